"""Drill: forged site bundles. Every forgery is refused, writes nothing, memory bounded.

The coordinating centre has enrolled MSK and PRM by their public keys and imported a
genuine bundle of each. The attacker can put any file in front of it: changed rows with
every hash recomputed (unsigned, junk, replayed or foreign signatures), a manifest
edited after signing, an old bundle replayed, and - as an insider holding MSK's real
signing key - cross-site ids, future or invalid timestamps and zip bombs (2 MB that
unpack to 2 GB). Bombs are imported by the real ``caseguard bundle import`` in a child
process that reports its own peak memory (VmHWM of its address space, so the pages of
the test process it was forked from do not count); it must stay under 300 MB.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.errors import CaseguardError
from tests.drills.report import report
from tests.drills.scale import size
from tests.processes import CLI, finish, spawn
from tests.warehouse_fixtures import (
    audit_count,
    coordinator,
    enrol,
    make_case,
    make_db,
    site_user,
    table_counts,
)
from warehouse.exchange import bundles
from warehouse.exchange.bundles import export_bundle, import_bundle
from warehouse.store.audit import verify
from warehouse.store.cases import save_case
from warehouse.store.db import Database

pytestmark = pytest.mark.drill

MUTATIONS = size(18, 50)
BOMB_BYTES = 2 * 1024 * 1024 * 1024  # unpacked; about 2 MB packed
MEMORY_LIMIT_MB = 300
# The CLI, reporting the peak resident memory of its own address space when it exits.
MEASURED_CLI = (
    "import atexit, sys\n"
    "def peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            sys.stderr.write('\\nPEAK_KB ' + line.split()[1] + '\\n')\n"
    "atexit.register(peak)\n" + CLI
)
TALLY: Counter[str] = Counter()
PEAKS: dict[str, float] = {}


@dataclass
class Env:
    """The site (holding MSK's and PRM's signing keys), the centre and the genuine bundles."""

    site: Database
    centre: Database
    good: dict[str, bytes]  # members of the newest genuine MSK bundle
    older: bytes  # an older genuine MSK bundle (replay)
    prm_ae: str  # an adverse event stored for a PRM subject at the centre
    root: Path


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    root = tmp_path_factory.mktemp("forged")
    site = make_db(root / "site" / "s.duckdb", root / "site" / "keys", sites=("MSK", "PRM"))
    for n in range(3):
        save_case(site_user(site, "MSK"), make_case(site, "MSK", f"FORGE-MSK-{n}"))
    prm_case = make_case(site, "PRM", "FORGE-PRM-0")
    save_case(site_user(site, "PRM"), prm_case)
    centre = make_db(root / "centre" / "c.duckdb", root / "centre" / "keys", sites=())
    enrol(site, centre, "MSK")
    enrol(site, centre, "PRM")
    export_bundle(coordinator(site), "MSK", root / "older.zip")
    export_bundle(coordinator(site), "MSK", root / "msk.zip")
    export_bundle(coordinator(site), "PRM", root / "prm.zip")
    for name in ("prm.zip", "msk.zip"):
        import_bundle(coordinator(centre), root / name)
    with zipfile.ZipFile(root / "msk.zip") as archive:
        good = {n: archive.read(n) for n in archive.namelist()}
    TALLY.clear()
    PEAKS.clear()
    yield Env(
        site,
        centre,
        good,
        (root / "older.zip").read_bytes(),
        prm_case.adverse_events[0]["ae_id"],
        root,
    )
    figures: dict[str, object] = {"forgeries tried": sum(TALLY.values())}
    figures.update({f"refused: {k}": v for k, v in sorted(TALLY.items())})
    figures["partial writes"] = 0
    figures.update({f"peak memory, {k}": f"{v:.0f} MB" for k, v in PEAKS.items()})
    report(
        "Forged site bundles",
        figures,
        "Each forgery is imported into a coordinator that enrolled MSK and PRM by their "
        "public keys; tables and audit log are compared before and after. Bombs run in "
        "a `caseguard bundle import` child that reports its own peak resident memory "
        f"(VmHWM); it must stay under {MEMORY_LIMIT_MB} MB.",
    )


# --- building forgeries ----------------------------------------------------------------


def table(members: dict[str, bytes], name: str) -> pd.DataFrame:
    return pq.read_table(io.BytesIO(members[f"{name}.parquet"])).to_pandas()


def with_table(members: dict[str, bytes], name: str, frame: pd.DataFrame) -> dict[str, bytes]:
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
    return {**members, f"{name}.parquet": sink.getvalue()}


def rehashed(members: dict[str, bytes], **fields: object) -> bytes:
    """The manifest with every member's hash, size and rows recomputed (and ``fields``)."""
    manifest = json.loads(members[bundles.MANIFEST])
    for name, entry in manifest["tables"].items():
        data = members[f"{name}.parquet"]
        rows = pq.ParquetFile(io.BytesIO(data)).metadata.num_rows
        entry.update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data), rows=rows)
    manifest.update(fields)
    return json.dumps(manifest, indent=2, sort_keys=True).encode()


def signed(text: bytes, key: Ed25519PrivateKey | None) -> bytes | None:
    return None if key is None else base64.b64encode(key.sign(text)) + b"\n"


def packed(members: dict[str, bytes], text: bytes, signature: bytes | None) -> bytes:
    out = {**members, bundles.MANIFEST: text}
    out.pop(bundles.SIGNATURE, None)
    if signature is not None:
        out[bundles.SIGNATURE] = signature
    return bundles.zip_bytes(out)


CHANGES: list[tuple[str, Callable[[pd.DataFrame], pd.DataFrame]]] = []


def change(name: str) -> Callable[..., object]:
    def register(func: Callable[[pd.DataFrame], pd.DataFrame]) -> object:
        CHANGES.append((name, func))
        return func

    return register


@change("adverse_events")
def _downgrade_sae(frame: pd.DataFrame) -> pd.DataFrame:
    first = frame.index[frame["serious"]][0]
    frame.loc[first, "ctcae_grade"] = 1
    frame.at[first, "serious"] = False
    frame.at[first, "seriousness"] = []
    return frame


@change("ae_causality")
def _unlikely(frame: pd.DataFrame) -> pd.DataFrame:
    frame["causality"] = "unlikely"
    return frame


@change("labs")
def _lab_value(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[frame.index[0], "value"] = 999.0
    return frame


@change("consents")
def _consent(frame: pd.DataFrame) -> pd.DataFrame:
    frame["pooled_research"] = ~frame["pooled_research"]
    return frame


def forgery(env: Env, number: int) -> tuple[str, bytes]:
    """The ``number``-th forgery: (kind, file bytes)."""
    msk = env.site.keys.signing_key("MSK")
    prm = env.site.keys.signing_key("PRM")
    attacker = Ed25519PrivateKey.generate()
    name, func = CHANGES[number % len(CHANGES)]
    altered = with_table(env.good, name, func(table(env.good, name)))
    text = rehashed(altered)
    kinds: list[tuple[str, Callable[[], bytes]]] = [
        ("changed rows, unsigned", lambda: packed(altered, text, None)),
        ("changed rows, junk signature", lambda: packed(altered, text, b"c2lnbmF0dXJl\n")),
        (
            "changed rows, replayed signature",
            lambda: packed(altered, text, env.good[bundles.SIGNATURE]),
        ),
        ("changed rows, attacker's key", lambda: packed(altered, text, signed(text, attacker))),
        ("changed rows, PRM's key", lambda: packed(altered, text, signed(text, prm))),
        (
            "manifest edited after signing",
            lambda: packed(
                env.good,
                rehashed(env.good, source_db="elsewhere"),
                env.good[bundles.SIGNATURE],
            ),
        ),
        (
            "signature stripped",
            lambda: packed(env.good, env.good[bundles.MANIFEST], None),
        ),
        (
            "future created_utc (MSK's key)",
            lambda: packed(
                env.good,
                t := rehashed(env.good, created_utc="9999-12-31T23:59:59Z"),
                signed(t, msk),
            ),
        ),
        (
            "invalid created_utc (MSK's key)",
            lambda: packed(
                env.good,
                t := rehashed(env.good, created_utc="2026-02-30T10:00:00Z"),
                signed(t, msk),
            ),
        ),
        ("cross-site AE id (MSK's key)", lambda: cross_site_ae(env, msk)),
        ("cross-site subject (MSK's key)", lambda: cross_site_subject(env, msk)),
        ("older bundle replayed", lambda: env.older),
        ("format 1 (HMAC)", lambda: hmac_bundle()),
    ]
    kind, build = kinds[number % len(kinds)]
    return kind, build()


def cross_site_ae(env: Env, key: Ed25519PrivateKey) -> bytes:
    aes = table(env.good, "adverse_events")
    stolen = aes.iloc[[0]].copy()
    stolen["ae_id"] = env.prm_ae
    members = with_table(env.good, "adverse_events", pd.concat([aes, stolen], ignore_index=True))
    text = rehashed(members)
    return packed(members, text, signed(text, key))


def cross_site_subject(env: Env, key: Ed25519PrivateKey) -> bytes:
    subjects = table(env.good, "subjects")
    subjects.loc[subjects.index[0], "site_code"] = "PRM"
    members = with_table(env.good, "subjects", subjects)
    text = rehashed(members)
    return packed(members, text, signed(text, key))


def hmac_bundle() -> bytes:
    manifest = {"format": bundles.HMAC_FORMAT, "site_code": "MSK", "signature": "00" * 32}
    return bundles.zip_bytes({bundles.MANIFEST: json.dumps(manifest).encode()})


def state(db: Database) -> tuple[dict[str, int], int]:
    return table_counts(db), audit_count(db)


@pytest.mark.parametrize("number", range(MUTATIONS))
def test_every_forgery_is_refused_and_writes_nothing(env: Env, number: int) -> None:
    kind, data = forgery(env, number)
    path = env.root / f"forged-{number}.zip"
    path.write_bytes(data)
    before = state(env.centre)
    with pytest.raises(CaseguardError) as refused:
        import_bundle(coordinator(env.centre), path)
    message = str(refused.value)
    assert message and "Traceback" not in message
    assert state(env.centre) == before, f"{kind}: refused but the database changed"
    TALLY[kind] += 1


# --- bombs: the real command in a child, its peak memory measured ----------------------


def bomb_zip(
    members: dict[str, bytes], bomb: str, text: bytes, sig: bytes | None, unpacked: int = BOMB_BYTES
) -> bytes:
    """A bundle whose ``bomb`` member is ``unpacked`` zeros, deflated (2 GB: about 2 MB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in {**members, bundles.MANIFEST: text}.items():
            if name in (bomb, bundles.SIGNATURE):
                continue
            archive.writestr(name, data)
        if sig is not None:
            archive.writestr(bundles.SIGNATURE, sig)
        info = zipfile.ZipInfo(bomb, date_time=(2000, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        zeros = bytes(1024 * 1024)
        with archive.open(info, "w", force_zip64=True) as member:
            for _ in range(unpacked // len(zeros)):
                member.write(zeros)
        archive.comment = b"0" * bundles.TRAILER
    data = buffer.getvalue()
    body = data[: -bundles.TRAILER]
    return body + hashlib.sha256(body).hexdigest().encode()


def bombs(env: Env) -> dict[str, bytes]:
    msk = env.site.keys.signing_key("MSK")
    target = "labs.parquet"
    honest = json.loads(env.good[bundles.MANIFEST])
    honest["tables"]["labs"].update(bytes=BOMB_BYTES, sha256="0" * 64)
    honest_text = json.dumps(honest, indent=2, sort_keys=True).encode()
    # the worst a signer can do within the default caps: a member that really unpacks to
    # 30 MB, declared as such, with its true hash: it is unpacked, then fails as Parquet
    within_size = 30 * 1024 * 1024
    within = json.loads(env.good[bundles.MANIFEST])
    zeros_hash = hashlib.sha256(bytes(within_size)).hexdigest()
    within["tables"]["labs"].update(bytes=within_size, sha256=zeros_hash)
    within_text = json.dumps(within, indent=2, sort_keys=True).encode()
    lying = env.good[bundles.MANIFEST]  # declares the real, small labs member
    return {
        "unsigned bomb": bomb_zip(env.good, target, lying, None),
        "bomb, MSK's key, manifest says small": bomb_zip(
            env.good, target, lying, signed(lying, msk)
        ),
        "bomb, MSK's key, manifest says 2 GB": bomb_zip(
            env.good, target, honest_text, signed(honest_text, msk)
        ),
        "bomb, MSK's key, 30 MB declared and true": bomb_zip(
            env.good, target, within_text, signed(within_text, msk), within_size
        ),
    }


def test_bombs_are_refused_in_bounded_memory(env: Env) -> None:
    for kind, data in bombs(env).items():
        path = env.root / "bomb.zip"
        path.write_bytes(data)
        assert path.stat().st_size < 3 * 1024 * 1024, kind  # at most a 2 MB bomb
        before = state(env.centre)
        proc = spawn(MEASURED_CLI, "bundle", "import", "--db", env.centre.path, path)
        code, _, err = finish(proc, "caseguard bundle import", 300)
        lines = [line for line in err.splitlines() if line.strip()]
        peak = int(lines[-1].removeprefix("PEAK_KB ")) / 1024
        PEAKS[kind] = peak
        print(f"  {kind}: {lines[0][:150]}")
        assert code == 1 and lines[0].startswith("Error:"), (kind, err[-2000:])
        assert "Traceback" not in err
        assert peak < MEMORY_LIMIT_MB, f"{kind}: peak {peak:.0f} MB"
        assert state(env.centre) == before
        TALLY[kind] += 1
    verify(env.centre)
