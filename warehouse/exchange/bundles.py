"""Site bundles: one site's pseudonymised records in one file, for offline centres.

A bundle is a zip file holding one Parquet file per clinical table, ``manifest.json``
(format, site, creation time, the signing key's fingerprint, and rows, bytes and
SHA-256 of every member) and ``manifest.sig``: the site's Ed25519 signature over the
manifest's exact bytes, made with the site's own signing key. The zip's comment - its
last 64 bytes - is the SHA-256 of every byte before it, so accidental damage is named
as such.

:func:`import_bundle` trusts nothing before the signature: it checks the file's size,
reads the (size-capped) manifest and signature, looks up the public key registered
for the site the manifest names, and verifies the signature - refusing an unsigned
bundle, an unregistered site, a signature that does not verify, a format-1 (HMAC)
bundle, and a creation time that is not a valid UTC time or lies in the future. Only
then are members unpacked, each capped while streaming and checked against its signed
size, hash and row count. Rows are validated with ``schemas/`` and written through
the one write path's rules (:func:`~warehouse.store.bulk_upsert.upsert_in_batches`,
mode ``update``, written a batch of subjects at a time within the one transaction): a
row already stored for another centre or subject is refused, key columns are never
rewritten, and the import's audit entry (with the verifying key's fingerprint)
commits with the rows. A bundle already imported changes nothing; one older than the
last imported from its site is refused. Rows missing from a bundle are not deleted.

Beside the clinical tables a bundle carries optional members: the site's linkage
tokens, and each adverse event's MedDRA coding and day 0
(:mod:`~warehouse.exchange.bundle_reporting`), so an SAE entered offline starts its
reporting clock at the coordinator. They are checked with the rest before the import's
one transaction opens and written inside it; a bundle without them still imports.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from cryptography.exceptions import InvalidSignature

from schemas import CLINICAL_TABLES, TABLES
from schemas.errors import CaseguardError, Conflict, ValidationFailed
from warehouse.exchange.bundle_reporting import MEMBERS as REPORTING
from warehouse.exchange.bundle_reporting import (
    check_entries,
    checked_reporting_rows,
    loaded_llts,
    site_reporting_rows,
    write_reporting_rows,
)
from warehouse.exchange.bundle_rows import check_membership, plain_lists
from warehouse.exchange.limits import CHUNK, InputLimits, read_member
from warehouse.linkage.storage import BUNDLE_MEMBER as TOKENS
from warehouse.linkage.storage import (
    checked_token_rows,
    site_token_rows,
    write_token_rows,
)
from warehouse.linkage.storage import token_columns as frames_columns
from warehouse.review.soft_checks import checks_after_save
from warehouse.store.access import EXPORT_BUNDLE, IMPORT_BUNDLE, Session, require
from warehouse.store.atomic import audit_recorder, database_id, staged_output
from warehouse.store.audit import Event, audited_transaction
from warehouse.store.bulk_upsert import collection_paused, upsert_in_batches
from warehouse.store.db import one
from warehouse.store.frames import records
from warehouse.store.progress import Progress, no_progress
from warehouse.store.site_keys import fingerprint, registered_key
from warehouse.store.upsert import UpsertSummary, cases_from_rows

FORMAT = "caseguard-bundle/2"
HMAC_FORMAT = "caseguard-bundle/1"
TRAILER = 64  # hex SHA-256 in the zip comment
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
MAX_MANIFEST = 256 * 1024
MAX_SIGNATURE = 1024
# Clocks of offline site machines drift; a bundle "from the future" beyond this is refused.
CLOCK_SKEW = dt.timedelta(minutes=10)
_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
_SITE = re.compile(r"^[A-Z]{2,8}$")
IMPORT_ACTION = "import_bundle"
EXPORT_ACTION = "export_bundle"


class BundleRejected(CaseguardError):
    """The bundle is damaged, altered, unsigned, from an unknown site, or not verifiable."""

    title = "Bundle rejected"


@dataclass
class BundleSummary:
    """What a bundle export or import did."""

    site_code: str
    payload_sha256: str
    rows: dict[str, int] = field(default_factory=dict)
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    signed: bool = False
    key_fingerprint: str = ""
    already_imported: bool = False


def _site_rows(conn: duckdb.DuckDBPyConnection, table: str, site: str) -> pd.DataFrame:
    columns = ", ".join(f"t.{c}" for c in TABLES[table].columns)
    if table == "subjects":
        sql = f"SELECT {columns} FROM subjects t WHERE t.site_code = ?"
    elif table == "ae_causality":
        sql = (
            f"SELECT {columns} FROM ae_causality t JOIN adverse_events a USING (ae_id) "
            "JOIN subjects s ON s.subject_id = a.subject_id WHERE s.site_code = ?"
        )
    else:
        sql = (
            f"SELECT {columns} FROM {table} t JOIN subjects s USING (subject_id) "
            "WHERE s.site_code = ?"
        )
    key = ", ".join(f"t.{c}" for c in TABLES[table].key)
    return conn.execute(f"{sql} ORDER BY {key}", [site]).df()


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
    return sink.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """The bundle file for ``members``: a stored zip whose comment is the SHA-256 trailer."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), data)
        archive.comment = b"0" * TRAILER
    data = buffer.getvalue()
    return data[:-TRAILER] + hashlib.sha256(data[:-TRAILER]).hexdigest().encode("ascii")


def utc_now_text() -> str:
    """Now, as a bundle's ``created_utc`` (microseconds, Z)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sign_members(
    session: Session, site_code: str, tables: dict[str, bytes], created_utc: str, db_id: str
) -> dict[str, bytes]:
    """Manifest, signature and tables of a bundle, signed with the site's private key."""
    key = session.db.keys.signing_key(site_code)
    entries = {}
    for table, data in tables.items():
        rows = pq.ParquetFile(io.BytesIO(data)).metadata.num_rows
        entries[table] = {"rows": rows, "bytes": len(data), "sha256": _sha256(data)}
    manifest = {
        "format": FORMAT,
        "site_code": site_code,
        "created_utc": created_utc,
        "source_db": db_id,
        "key_fingerprint": fingerprint(key.public_key()),
        "tables": entries,
    }
    text = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
    members = {MANIFEST: text, SIGNATURE: base64.b64encode(key.sign(text)) + b"\n"}
    members.update({f"{t}.parquet": data for t, data in tables.items()})
    return members


def _sha256(data: bytes | bytearray) -> str:
    return hashlib.sha256(data).hexdigest()


def export_bundle(
    session: Session, site_code: str, out_file: Path, progress: Progress | None = None
) -> BundleSummary:
    """Write ``site_code``'s records to a signed bundle file, whole or not at all.

    The file is written under a staging name beside ``out_file``, fsynced and renamed
    into place; its audit entry commits after the rename.
    """
    require(session, EXPORT_BUNDLE, site_code, f"export the bundle of site {site_code}")
    report = progress or no_progress
    with session.db.connect(read_only=True) as conn:
        if not one(conn, "SELECT 1 FROM sites WHERE site_code = ?", [site_code]):
            raise CaseguardError(f"unknown site {site_code}")
    session.db.keys.signing_key(site_code)  # a clear error before any work without it
    db_id = database_id(session.db)
    with session.db.connect(read_only=True) as conn:
        frames = {t: _site_rows(conn, t, site_code) for t in CLINICAL_TABLES}
        frames[TOKENS] = site_token_rows(conn, site_code)  # keyed tokens, never identifiers
        for table in REPORTING:  # MedDRA coding and day 0 (the reporting clock's start)
            frames[table] = site_reporting_rows(conn, table, site_code)
    tables: dict[str, bytes] = {}
    for done, (table, frame) in enumerate(frames.items(), start=1):
        tables[table] = _parquet_bytes(frame)
        report("bundle tables", done, len(frames))
    members = sign_members(session, site_code, tables, utc_now_text(), db_id)
    payload = _sha256(members[MANIFEST])
    manifest = json.loads(members[MANIFEST])
    rows = {t: int(v["rows"]) for t, v in manifest["tables"].items()}
    out = Path(out_file)
    recorded = audit_recorder(session.db, EXPORT_ACTION)
    with staged_output(out, db_id, recorded) as staged:
        try:
            staged.path.write_bytes(zip_bytes(members))
        except OSError as exc:
            raise CaseguardError(f"cannot write {out}: {exc.strerror or exc}") from None
        staged.publish(payload, db_id)
        with audited_transaction(session.db, session.actor) as (_conn, events):
            after = {"site": site_code, "rows": rows, "file": out.name}
            after["key_fingerprint"] = manifest["key_fingerprint"]
            events.append(Event(EXPORT_ACTION, None, payload, after=after))
    return BundleSummary(
        site_code, payload, rows, signed=True, key_fingerprint=manifest["key_fingerprint"]
    )


@dataclass
class VerifiedBundle:
    """A bundle whose signature verified: its manifest, hash, key and tables."""

    manifest: dict[str, Any]
    payload_sha256: str
    key_fingerprint: str
    created: dt.datetime
    frames: dict[str, pd.DataFrame]


def _checksum(path: Path, size: int) -> None:
    """The trailer: the SHA-256 of every byte before the last 64 (read in chunks)."""
    if size <= TRAILER:
        raise BundleRejected("the file is too short to be a caseguard site bundle")
    digest = hashlib.sha256()
    left = size - TRAILER
    with Path(path).open("rb") as handle:
        while left > 0:
            chunk = handle.read(min(CHUNK, left))
            if not chunk:
                break
            digest.update(chunk)
            left -= len(chunk)
        trailer = handle.read(TRAILER)
    if digest.hexdigest().encode("ascii") != trailer:
        raise BundleRejected("the file is damaged or was altered (checksum mismatch)")


def _small_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        if name == SIGNATURE:
            raise BundleRejected(
                "the bundle is unsigned (no manifest.sig); ask the site to re-export it with "
                "caseguard bundle export"
            ) from None
        raise BundleRejected(f"not a caseguard site bundle (no {name})") from None
    if info.file_size > limit:
        raise BundleRejected(f"{name} is larger than any caseguard bundle's ({limit:,} bytes)")
    return bytes(read_member(archive, info, limit, "the bundle"))


def _parse_created(value: Any, now: dt.datetime) -> dt.datetime:
    if not isinstance(value, str) or not _UTC.match(value):
        raise BundleRejected(
            f"created_utc {str(value)[:40]!r} is not a UTC timestamp (YYYY-MM-DDTHH:MM:SSZ)"
        )
    try:
        created = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BundleRejected(f"created_utc {value!r} is not a valid date and time") from None
    if created > now + CLOCK_SKEW:
        raise BundleRejected(
            f"created_utc {value} lies in the future (this machine's UTC time is "
            f"{now:%Y-%m-%dT%H:%M:%SZ}); check the site's clock and re-export"
        )
    return created


def _verify_manifest(session: Session, text: bytes, archive: zipfile.ZipFile) -> dict[str, Any]:
    """Parse just enough to find the site, then check the signature over ``text``."""
    try:
        manifest = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise BundleRejected("the manifest is not readable JSON") from None
    if not isinstance(manifest, dict):
        raise BundleRejected("not a caseguard site bundle (the manifest is not an object)")
    site = manifest.get("site_code")
    if manifest.get("format") == HMAC_FORMAT:
        raise BundleRejected(
            f"this is an old, HMAC-signed bundle (format 1) that a coordinator cannot verify; "
            f"at site {str(site)[:8]}: update caseguard, run caseguard site init {str(site)[:8]} "
            "(adds a signing key), send caseguard site public-key to the coordinator, then "
            "re-export with caseguard bundle export"
        )
    if manifest.get("format") != FORMAT:
        raise BundleRejected("not a caseguard site bundle (unknown format)")
    if not isinstance(site, str) or not _SITE.match(site):
        raise BundleRejected("the manifest names no valid site code")
    with session.db.connect(read_only=True) as conn:
        registered = one(conn, "SELECT 1 FROM sites WHERE site_code = ?", [site]) is not None
        key = registered_key(conn, site) if registered else None
    if not registered:
        raise BundleRejected(
            f"the bundle comes from site {site}, which is not registered here "
            f"(enrol it: caseguard site register {site} --name ... --region ... --public-key FILE)"
        )
    if key is None:
        raise BundleRejected(
            f"site {site} has no registered public key, so its bundles cannot be verified "
            f"(caseguard site register {site} --public-key FILE)"
        )
    signature = _small_member(archive, SIGNATURE, MAX_SIGNATURE)
    try:
        raw = base64.b64decode(signature.strip(), validate=True)
        key.key.verify(raw, text)
    except (InvalidSignature, binascii.Error, ValueError):
        raise BundleRejected(
            f"the signature does not verify against site {site}'s registered key "
            f"({key.fingerprint[:16]}...): altered, or signed by someone else"
        ) from None
    return manifest


def _table_entries(manifest: dict[str, Any], limits: InputLimits) -> dict[str, dict[str, Any]]:
    tables = manifest.get("tables")
    optional = {TOKENS, *REPORTING}  # tokens: since issue 23; coding and day 0: issue 22
    if not isinstance(tables, dict) or not (
        set(CLINICAL_TABLES) <= set(tables) <= set(CLINICAL_TABLES) | optional
    ):
        raise BundleRejected("the bundle does not hold exactly the clinical tables")
    for table, entry in tables.items():
        ok = isinstance(entry, dict) and isinstance(entry.get("sha256"), str)
        for name in ("rows", "bytes"):
            ok = ok and isinstance(entry.get(name), int) and entry[name] >= 0
        if not ok:
            raise BundleRejected(f"the manifest entry of {table} is malformed")
        limits.check_rows(entry["rows"], f"table {table} of the bundle")
    check_entries(tables)
    return tables


def _member_tables(
    archive: zipfile.ZipFile, tables: dict[str, dict[str, Any]], limits: InputLimits
) -> dict[str, pd.DataFrame]:
    expected = {f"{t}.parquet" for t in tables} | {MANIFEST, SIGNATURE}
    infos = {info.filename: info for info in archive.infolist()}
    extra = sorted(set(infos) - expected)
    if extra or len(infos) != len(archive.infolist()):
        raise BundleRejected(f"the bundle holds members it should not: {extra[:3]}")
    limits.check_members(infos.values(), "the bundle")
    frames: dict[str, pd.DataFrame] = {}
    for table in [t for t in (*CLINICAL_TABLES, TOKENS, *REPORTING) if t in tables]:
        info = infos.get(f"{table}.parquet")
        entry = tables[table]
        if info is None:
            raise BundleRejected(f"the bundle lacks {table}.parquet")
        if info.file_size != entry["bytes"]:
            raise BundleRejected(f"{table}: its size does not match the signed manifest")
        data = read_member(archive, info, entry["bytes"], "the bundle")
        if _sha256(data) != entry["sha256"]:
            raise BundleRejected(f"{table}: content does not match its hash in the manifest")
        parquet = pq.ParquetFile(pa.BufferReader(pa.py_buffer(data)))  # no copy
        if parquet.metadata.num_rows != entry["rows"]:
            raise BundleRejected(f"{table}: row count does not match the signed manifest")
        frames[table] = plain_lists(parquet.read().to_pandas())
    return frames


def read_bundle(session: Session, path: Path, limits: InputLimits | None = None) -> VerifiedBundle:
    """Check a bundle's size, checksum and signature, then unpack it within the caps."""
    limits = limits or InputLimits()
    size = limits.check_file(Path(path))
    _checksum(Path(path), size)
    now = dt.datetime.now(dt.UTC)
    try:
        with zipfile.ZipFile(path) as archive:
            text = _small_member(archive, MANIFEST, MAX_MANIFEST)
            manifest = _verify_manifest(session, text, archive)
            created = _parse_created(manifest.get("created_utc"), now)
            fp = manifest.get("key_fingerprint")
            tables = _table_entries(manifest, limits)
            frames = _member_tables(archive, tables, limits)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, AttributeError, OSError) as exc:
        # a member that is not Parquet (pyarrow's errors are ValueErrors) or a broken zip
        raise BundleRejected(
            f"not a readable caseguard site bundle ({exc.__class__.__name__})"
        ) from None
    except (pa.ArrowException, NotImplementedError, EOFError) as exc:
        raise BundleRejected(
            f"not a readable caseguard site bundle ({exc.__class__.__name__})"
        ) from None
    with session.db.connect(read_only=True) as conn:
        key = registered_key(conn, str(manifest["site_code"]))
    return VerifiedBundle(
        manifest, _sha256(text), key.fingerprint if key else str(fp), created, frames
    )


def _previous_imports(conn: duckdb.DuckDBPyConnection, site: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT after FROM audit_log WHERE action = ? AND row_key = ? ORDER BY seq",
        [IMPORT_ACTION, site],
    ).fetchall()
    return [json.loads(r[0]) for r in rows if r[0]]


def _created(entry: dict[str, Any]) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(entry.get("created_utc")).replace("Z", "+00:00"))
    except ValueError:
        return None


def import_bundle(
    session: Session,
    path: Path,
    progress: Progress | None = None,
    limits: InputLimits | None = None,
) -> BundleSummary:
    """Import a site bundle: verified, validated, all or nothing, idempotent, audited."""
    require(session, IMPORT_BUNDLE, None, "import a site bundle")
    with collection_paused():
        return _import(session, path, progress or no_progress, limits)


def _import(
    session: Session, path: Path, report: Progress, limits: InputLimits | None
) -> BundleSummary:
    bundle = read_bundle(session, path, limits)
    manifest, frames = bundle.manifest, bundle.frames
    site, payload = str(manifest["site_code"]), bundle.payload_sha256
    summary = BundleSummary(site, payload, {t: len(f) for t, f in frames.items()})
    summary.signed, summary.key_fingerprint = True, bundle.key_fingerprint
    with session.db.connect(read_only=True) as conn:
        if any(e.get("payload_sha256") == payload for e in _previous_imports(conn, site)):
            summary.already_imported = True  # nothing to do, nothing written
            return summary
    report("check", 1, 3)
    problems = check_membership(site, frames)
    rows = {t: records(frames[t]) for t in CLINICAL_TABLES}
    cases, orphans = cases_from_rows(rows)
    if problems or orphans:
        raise ValidationFailed(problems + orphans)
    subjects = {str(s) for s in frames["subjects"]["subject_id"]}
    tokens, refused = checked_token_rows(
        frames.get(TOKENS, pd.DataFrame(columns=list(frames_columns()))), site, subjects
    )
    if refused:
        raise BundleRejected("; ".join(refused[:3]))
    reporting, wrong = _reporting_rows(session, frames, site, bundle.created)
    if wrong:
        raise BundleRejected("; ".join(wrong[:5]) + (" ..." if len(wrong) > 5 else ""))
    report("validate", 2, 3)

    def finish(conn: duckdb.DuckDBPyConnection, events: list[Event], done: UpsertSummary) -> None:
        earlier = _previous_imports(conn, site)
        if any(e.get("payload_sha256") == payload for e in earlier):
            raise _AlreadyImported
        latest = max((c for c in map(_created, earlier) if c is not None), default=None)
        if latest is not None and bundle.created < latest:
            raise Conflict(
                f"this bundle of site {site} ({manifest['created_utc']}) is older than the "
                f"last one imported ({latest:%Y-%m-%dT%H:%M:%SZ}); import the newest instead"
            )
        write_token_rows(conn, tokens, events)
        coded, recoded = write_reporting_rows(conn, reporting, events)
        summary.inserted = {**done.inserted, **coded}
        summary.updated = {**done.updated, **recoded}
        after = {
            "payload_sha256": payload,
            "created_utc": manifest["created_utc"],
            "signed": True,
            "key_fingerprint": bundle.key_fingerprint,
            "inserted": summary.inserted,
            "updated": summary.updated,
        }
        events.append(Event(IMPORT_ACTION, None, site, after=after))

    reason = f"site bundle {payload[:12]} from {site}"
    try:
        upsert_in_batches(
            session, cases, mode="update", reason=reason, finish=finish, text_from_utf8=True
        )
    except _AlreadyImported:
        summary.already_imported = True
        summary.inserted, summary.updated = {}, {}
    if not summary.already_imported:
        checks_after_save(session.db, [str(c.subject["subject_id"]) for c in cases], now=True)
    report("import", 3, 3)
    return summary


def _reporting_rows(
    session: Session, frames: dict[str, pd.DataFrame], site: str, created: dt.datetime
) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """The bundle's MedDRA coding and day 0 rows, checked against its own events and
    the MedDRA versions loaded here (before the import's transaction opens)."""
    coding = frames.get(REPORTING[0])
    versions = set()
    if coding is not None and "meddra_version" in coding:
        versions = {v for v in coding["meddra_version"] if isinstance(v, str) and len(v) <= 8}
    with session.db.connect(read_only=True) as conn:
        loaded = loaded_llts(conn, versions)
    return checked_reporting_rows(frames, site, created, loaded)


class _AlreadyImported(Exception):
    """Raised inside the import transaction to roll it back: another run got there first."""
