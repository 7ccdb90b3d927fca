"""Site bundles (warehouse/exchange/bundles.py, bundle_rows.py): signed, verified, idempotent.

The coordinating centre in these tests holds only the sites' public keys, as in real
use; the source database plays the sites (it holds their signing keys).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas import load_reference
from schemas.errors import AccessDenied, Conflict, KeyFileError, ValidationFailed
from tests.warehouse_fixtures import (
    audit_count,
    audit_rows,
    clone_db,
    coordinator,
    enrol,
    make_case,
    make_db,
    site_user,
    table_counts,
)
from warehouse.demo.build import create_demo
from warehouse.exchange import bundles
from warehouse.exchange.bundles import TRAILER, BundleRejected, export_bundle, import_bundle
from warehouse.exchange.limits import InputLimits, InputTooLarge
from warehouse.store.access import system_session
from warehouse.store.admin import add_site
from warehouse.store.audit import verify
from warehouse.store.cases import Change, load_case, save_case, update_rows
from warehouse.store.db import Database
from warehouse.store.migrations import migrate
from warehouse.store.site_keys import fingerprint, public_pem, register_site

CLINICAL = ("subjects", "consents", "treatments", "assessments", "labs", "adverse_events")


@pytest.fixture(scope="module")
def source_template(tmp_path_factory: pytest.TempPathFactory) -> Database:
    root = tmp_path_factory.mktemp("bundle-src")
    db = Database(root / "site.duckdb", key_dir=root / "keys")
    migrate(db)
    create_demo(db, subjects=40, seed=7)
    return db


@pytest.fixture
def source(source_template: Database, tmp_path: Path) -> Database:
    return clone_db(source_template, tmp_path / "src")


def centre(tmp_path: Path, source: Database, key: str = "same") -> Database:
    """The coordinating centre: MSK registered with its real public key, another key,
    or no key at all. The centre's key store never holds a site's secret."""
    db = make_db(tmp_path / "centre" / "c.duckdb", tmp_path / "centre" / "keys", sites=())
    if key == "same":
        enrol(source, db, "MSK")
    elif key == "other":
        other = public_pem(Ed25519PrivateKey.generate())
        register_site(system_session(db, "setup"), "MSK", other, "Moscow centre", "Moscow")
    else:
        add_site(system_session(db, "setup"), "MSK", "Moscow centre", "Moscow")
    assert not list(db.keys.directory.glob("site-*"))
    return db


def msk_counts(db: Database) -> dict[str, int]:
    with db.connect(read_only=True) as conn:
        return {
            t: conn.execute(
                f"SELECT count(*) FROM {t} JOIN subjects USING (subject_id) WHERE site_code = 'MSK'"
                if t != "subjects"
                else "SELECT count(*) FROM subjects WHERE site_code = 'MSK'"
            ).fetchall()[0][0]
            for t in CLINICAL
        }


def test_a_bundle_carries_one_site_and_imports_fully(source: Database, tmp_path: Path) -> None:
    bundle = tmp_path / "msk.zip"
    summary = export_bundle(site_user(source, "MSK"), "MSK", bundle)
    assert summary.signed and summary.rows["subjects"] == msk_counts(source)["subjects"] > 0
    target = centre(tmp_path, source)
    result = import_bundle(coordinator(target), bundle)
    assert msk_counts(target) == msk_counts(source)
    assert sum(result.updated.values()) == 0 and result.signed
    assert result.inserted["subjects"] == summary.rows["subjects"]
    last = audit_rows(target)[-1]
    assert last["action"] == "import_bundle" and last["row_key"] == "MSK"
    assert json.loads(last["after"])["payload_sha256"] == summary.payload_sha256
    with target.connect(read_only=True) as conn:
        assert conn.execute(
            "SELECT count(*) FROM subjects WHERE site_code <> 'MSK'"
        ).fetchall() == [(0,)]


def test_the_same_bundle_twice_changes_nothing(source: Database, tmp_path: Path) -> None:
    bundle = tmp_path / "msk.zip"
    export_bundle(coordinator(source), "MSK", bundle)
    target = centre(tmp_path, source)
    import_bundle(coordinator(target), bundle)
    before, entries = table_counts(target), audit_count(target)
    again = import_bundle(coordinator(target), bundle)
    assert again.already_imported
    assert table_counts(target) == before and audit_count(target) == entries
    # a fresh bundle of unchanged data adds and updates nothing either
    export_bundle(coordinator(source), "MSK", tmp_path / "msk2.zip")
    fresh = import_bundle(coordinator(target), tmp_path / "msk2.zip")
    assert sum(fresh.inserted.values()) == sum(fresh.updated.values()) == 0
    assert table_counts(target)["subjects"] == before["subjects"]


@pytest.mark.parametrize("where", ["start", "middle", "manifest", "end", "trailer"])
def test_a_bundle_with_one_altered_byte_is_rejected(
    source: Database, tmp_path: Path, where: str
) -> None:
    bundle = tmp_path / "msk.zip"
    export_bundle(coordinator(source), "MSK", bundle)
    data = bytearray(bundle.read_bytes())
    position = {
        "start": 10,
        "middle": len(data) // 2,
        "manifest": data.rindex(b"key_fingerprint") + 20,
        "end": len(data) - TRAILER - 5,
        "trailer": len(data) - 3,
    }[where]
    data[position] ^= 0x01
    bundle.write_bytes(bytes(data))
    target = centre(tmp_path, source)
    before = table_counts(target)
    with pytest.raises(BundleRejected):
        import_bundle(coordinator(target), bundle)
    assert table_counts(target) == before


def test_a_bundle_from_an_unknown_site_is_rejected(source: Database, tmp_path: Path) -> None:
    export_bundle(coordinator(source), "PRM", tmp_path / "prm.zip")
    target = centre(tmp_path, source)
    with pytest.raises(BundleRejected, match="not registered"):
        import_bundle(coordinator(target), tmp_path / "prm.zip")
    assert table_counts(target)["subjects"] == 0


def test_a_bundle_signed_with_another_key_is_rejected(source: Database, tmp_path: Path) -> None:
    export_bundle(coordinator(source), "MSK", tmp_path / "msk.zip")
    target = centre(tmp_path, source, key="other")
    with pytest.raises(BundleRejected, match="signature"):
        import_bundle(coordinator(target), tmp_path / "msk.zip")


def test_a_site_registered_without_a_public_key_cannot_send_bundles(
    source: Database, tmp_path: Path
) -> None:
    """It used to import on matching hashes alone (issue 18 item 1): now refused."""
    export_bundle(coordinator(source), "MSK", tmp_path / "msk.zip")
    target = centre(tmp_path, source, key="none")
    before = table_counts(target)
    with pytest.raises(BundleRejected, match="no registered public key"):
        import_bundle(coordinator(target), tmp_path / "msk.zip")
    assert table_counts(target) == before


def test_a_newer_bundle_updates_records_with_audit_entries(
    source: Database, tmp_path: Path
) -> None:
    export_bundle(coordinator(source), "MSK", tmp_path / "old.zip")
    target = centre(tmp_path, source)
    import_bundle(coordinator(target), tmp_path / "old.zip")
    export_bundle(coordinator(source), "MSK", tmp_path / "never.zip")  # made, not imported
    sid = str(load_case_ids(source)[0])
    case = load_case(coordinator(source), sid)
    lab = case.labs[0]
    update_rows(
        coordinator(source),
        sid,
        [Change("labs", {"lab_id": lab["lab_id"]}, {"value": lab["value"] + 1.5})],
        "lab re-read",
    )
    export_bundle(coordinator(source), "MSK", tmp_path / "new.zip")
    result = import_bundle(coordinator(target), tmp_path / "new.zip")
    assert result.updated == {**dict.fromkeys(result.updated, 0), "labs": 1}
    assert sum(result.inserted.values()) == 0
    stored = load_case(coordinator(target), sid).labs
    assert [r["value"] for r in stored if r["lab_id"] == lab["lab_id"]] == [lab["value"] + 1.5]
    update = [r for r in audit_rows(target) if r["action"] == "update"]
    assert len(update) == 1 and update[0]["row_key"] == lab["lab_id"]
    assert json.loads(update[0]["before"])["value"] == lab["value"]
    assert "site bundle" in update[0]["reason"]
    with pytest.raises(Conflict, match="older"):
        import_bundle(coordinator(target), tmp_path / "never.zip")
    assert import_bundle(coordinator(target), tmp_path / "old.zip").already_imported


def load_case_ids(db: Database) -> list[str]:
    """MSK subjects with labs, those of the disease most of them have first (so a lab
    row moved between the first two fits the other's disease: only ownership is wrong;
    the demo's pseudonyms, and so which subject sorts first, change with every build)."""
    with db.connect(read_only=True) as conn:
        rows = conn.execute(
            "SELECT DISTINCT subject_id, disease FROM labs JOIN subjects USING (subject_id) "
            "WHERE site_code = 'MSK' ORDER BY 1"
        ).fetchall()
    diseases = [r[1] for r in rows]
    common = max(set(diseases), key=diseases.count)
    assert diseases.count(common) >= 2, "the demo needs two MSK subjects of one disease"
    return [r[0] for r in sorted(rows, key=lambda r: (r[1] != common, r[0]))]


def members_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def tables_of(members: dict[str, bytes]) -> dict[str, bytes]:
    return {n.removesuffix(".parquet"): d for n, d in members.items() if n.endswith(".parquet")}


def changed_table(data: bytes, change: object) -> bytes:
    frame = pq.read_table(io.BytesIO(data)).to_pandas()
    frame = change(frame)  # type: ignore[operator]
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
    return sink.getvalue()


def forge(path: Path, members: dict[str, bytes], signature: bytes | None) -> None:
    """Re-pack ``members`` with every manifest hash recomputed, as an attacker would,
    with the given signature (None: no signature member)."""
    manifest = json.loads(members[bundles.MANIFEST])
    for table, entry in manifest["tables"].items():
        data = members[f"{table}.parquet"]
        entry.update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    members = {**members, bundles.MANIFEST: json.dumps(manifest).encode()}
    members.pop(bundles.SIGNATURE)
    if signature is not None:
        members[bundles.SIGNATURE] = signature
    path.write_bytes(bundles.zip_bytes(members))


def resign(path: Path, site_db: Database, site: str, created: str | None = None, **tables: object):
    """Re-pack a bundle with tables changed, signed by the site itself (an honest site
    with bad data, or a dishonest site: either way the signature verifies)."""
    members = members_of(path)
    data = tables_of(members)
    for table, change in tables.items():
        data[table] = changed_table(data[table], change)
    manifest = json.loads(members[bundles.MANIFEST])
    created = created or bundles.utc_now_text()
    signed = bundles.sign_members(
        coordinator(site_db), site, data, created, str(manifest["source_db"])
    )
    path.write_bytes(bundles.zip_bytes(signed))


def downgrade_first_sae(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn the first serious AE into a grade-1, non-serious one (the finding's forgery)."""
    first = frame.index[frame["serious"]][0]
    frame.loc[first, "ctcae_grade"] = 1
    frame.at[first, "serious"] = False
    frame.at[first, "seriousness"] = []
    return frame


def test_a_forged_bundle_with_recomputed_hashes_is_refused(
    source: Database, tmp_path: Path
) -> None:
    """Issue 18 item 1: an SAE downgraded, every hash recomputed, signature stripped,
    junk, or made with the attacker's own key: all refused, nothing written."""
    bundle = tmp_path / "msk.zip"
    export_bundle(coordinator(source), "MSK", bundle)
    target = centre(tmp_path, source)
    before, entries = table_counts(target), audit_count(target)
    members = members_of(bundle)
    members["adverse_events.parquet"] = changed_table(
        members["adverse_events.parquet"], downgrade_first_sae
    )
    attacker = Ed25519PrivateKey.generate()
    forged_manifest = json.loads(members[bundles.MANIFEST])
    signatures = {
        "unsigned": (None, "unsigned"),
        "junk": (b"not a signature at all\n", "does not verify"),
        "old signature replayed": (members[bundles.SIGNATURE], "does not verify"),
        "attacker's key": (b"", "does not verify"),
    }
    for name, (signature, reason) in signatures.items():
        if name == "attacker's key":
            forge(bundle, members, b"placeholder")
            manifest_bytes = members_of(bundle)[bundles.MANIFEST]
            signature = base64.b64encode(attacker.sign(manifest_bytes))
        forge(bundle, members, signature)
        with pytest.raises(BundleRejected, match=reason):
            import_bundle(coordinator(target), bundle)
        assert table_counts(target) == before and audit_count(target) == entries, name
    assert forged_manifest["site_code"] == "MSK"


def test_the_signature_covers_the_whole_manifest(source: Database, tmp_path: Path) -> None:
    """Any field of the manifest changed after signing - site, time, a hash - breaks it."""
    bundle = tmp_path / "msk.zip"
    export_bundle(coordinator(source), "MSK", bundle)
    target = centre(tmp_path, source)
    enrol(source, target, "PRM")
    good = members_of(bundle)
    edits = {
        "created_utc": "2099-12-31T00:00:00.000000Z",
        "source_db": "another",
        "key_fingerprint": "0" * 64,
    }
    for field_name, value in edits.items():
        manifest = json.loads(good[bundles.MANIFEST])
        manifest[field_name] = value
        members = {**good, bundles.MANIFEST: json.dumps(manifest, indent=2).encode()}
        bundle.write_bytes(bundles.zip_bytes(members))
        with pytest.raises(BundleRejected, match="does not verify"):
            import_bundle(coordinator(target), bundle)
    assert table_counts(target)["subjects"] == 0


def test_created_utc_must_be_a_valid_utc_time_not_in_the_future(
    source: Database, tmp_path: Path
) -> None:
    """Signed by the real site, yet refused: a forged 9999-12-31 used to block every
    later bundle (issue 18 item 1); the comparison is now of times, not strings."""
    bundle = tmp_path / "msk.zip"
    target = centre(tmp_path, source)
    for created, reason in (
        ("9999-12-31T23:59:59Z", "lies in the future"),
        ("2026-13-01T00:00:00Z", "not a valid date"),
        ("yesterday", "not a UTC timestamp"),
        ("2026-01-01T00:00:00+03:00", "not a UTC timestamp"),
    ):
        export_bundle(coordinator(source), "MSK", bundle)
        resign(bundle, source, "MSK", created=created)
        with pytest.raises(BundleRejected, match=reason):
            import_bundle(coordinator(target), bundle)
        assert table_counts(target)["subjects"] == 0
    # a genuine bundle goes in afterwards: the refused ones left no trace to block it
    export_bundle(coordinator(source), "MSK", bundle)
    assert import_bundle(coordinator(target), bundle).inserted["subjects"] > 0


def test_an_hmac_signed_format_1_bundle_is_refused_with_how_to_re_export(
    source: Database, tmp_path: Path
) -> None:
    bundle = tmp_path / "old.zip"
    manifest = {"format": "caseguard-bundle/1", "site_code": "MSK", "signature": "ab" * 32}
    manifest |= {"created_utc": "2026-01-01T00:00:00Z", "payload_sha256": "0" * 64}
    bundle.write_bytes(bundles.zip_bytes({"manifest.json": json.dumps(manifest).encode()}))
    target = centre(tmp_path, source)
    with pytest.raises(BundleRejected) as refused:
        import_bundle(coordinator(target), bundle)
    text = str(refused.value)
    assert "HMAC" in text and "caseguard site init MSK" in text
    assert "caseguard bundle export" in text and "site public-key" in text


def test_the_audit_records_the_fingerprint_that_verified(source: Database, tmp_path: Path) -> None:
    export_bundle(coordinator(source), "MSK", tmp_path / "msk.zip")
    target = centre(tmp_path, source)
    import_bundle(coordinator(target), tmp_path / "msk.zip")
    entry = json.loads(audit_rows(target)[-1]["after"])
    expected = fingerprint(source.keys.signing_key("MSK").public_key())
    assert entry["key_fingerprint"] == expected and entry["signed"] is True


def test_exporting_needs_the_sites_own_signing_key(source: Database, tmp_path: Path) -> None:
    target = centre(tmp_path, source)
    with pytest.raises(KeyFileError, match="site init MSK"):
        export_bundle(coordinator(target), "MSK", tmp_path / "x.zip")
    assert not list(tmp_path.glob("*x.zip*"))


def test_an_invalid_row_fails_validation_and_writes_nothing(
    source: Database, tmp_path: Path
) -> None:
    export_bundle(coordinator(source), "MSK", tmp_path / "msk.zip")

    def bad_score(frame: pd.DataFrame) -> pd.DataFrame:
        # a scale with an upper bound (which row comes first follows the keyed pseudonyms)
        bounded = frame["scale"].map(load_reference().scales["max"]).notna()
        frame.loc[frame.index[bounded][0], "score"] = 999.0
        return frame

    resign(tmp_path / "msk.zip", source, "MSK", assessments=bad_score)
    target = centre(tmp_path, source)
    before, entries = table_counts(target), audit_count(target)
    with pytest.raises(ValidationFailed) as failed:
        import_bundle(coordinator(target), tmp_path / "msk.zip")
    assert any(p.table == "assessments" and p.field == "score" for p in failed.value.problems)
    assert table_counts(target) == before and audit_count(target) == entries


def test_rows_of_another_site_are_refused(source: Database, tmp_path: Path) -> None:
    export_bundle(coordinator(source), "MSK", tmp_path / "msk.zip")

    def move(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[frame.index[0], "site_code"] = "PRM"
        return frame

    resign(tmp_path / "msk.zip", source, "MSK", subjects=move)
    target = centre(tmp_path, source)
    with pytest.raises(ValidationFailed) as failed:
        import_bundle(coordinator(target), tmp_path / "msk.zip")
    assert failed.value.problems[0].check == "bundle_membership"


def stored_ae(db: Database, ae_id: str) -> tuple[object, ...]:
    with db.connect(read_only=True) as conn:
        return conn.execute(
            "SELECT a.subject_id, s.site_code, a.ctcae_grade, a.serious FROM adverse_events a "
            "JOIN subjects s USING (subject_id) WHERE ae_id = ?",
            [ae_id],
        ).fetchall()[0]


def test_a_signed_bundle_cannot_take_over_another_centres_rows(
    source: Database, tmp_path: Path
) -> None:
    """Issue 18 item 3: a correctly signed MSK bundle carrying a PRM adverse-event id
    (moved to an MSK subject) is refused; the PRM row keeps its subject and values."""
    target = centre(tmp_path, source)
    enrol(source, target, "PRM")
    for site in ("PRM", "MSK"):
        export_bundle(coordinator(source), site, tmp_path / f"{site}.zip")
        import_bundle(coordinator(target), tmp_path / f"{site}.zip")
    prm_aes = pq.read_table(
        io.BytesIO(members_of(tmp_path / "PRM.zip")["adverse_events.parquet"])
    ).to_pandas()
    stolen = prm_aes.iloc[0]
    before = stored_ae(target, stolen["ae_id"])
    counts, entries = table_counts(target), audit_count(target)

    def take_over(frame: pd.DataFrame) -> pd.DataFrame:
        row = frame.iloc[[0]].copy()
        row["ae_id"], row["ctcae_grade"] = stolen["ae_id"], 1
        return pd.concat([frame, row], ignore_index=True)

    def cause(frame: pd.DataFrame) -> pd.DataFrame:
        extra = pd.DataFrame([{**frame.iloc[0].to_dict(), "ae_id": stolen["ae_id"]}])
        return pd.concat([frame, extra], ignore_index=True)

    resign(tmp_path / "MSK.zip", source, "MSK", adverse_events=take_over, ae_causality=cause)
    with pytest.raises(ValidationFailed) as failed:
        import_bundle(coordinator(target), tmp_path / "MSK.zip")
    found = [p for p in failed.value.problems if p.check == "ownership"]
    assert found and found[0].table == "adverse_events" and found[0].field == "ae_id"
    assert stored_ae(target, stolen["ae_id"]) == before
    assert table_counts(target) == counts and audit_count(target) == entries


def test_an_update_never_rewrites_key_columns(source: Database, tmp_path: Path) -> None:
    """Near miss of the take-over: an MSK lab row moved to another MSK subject (same
    site) is refused too: an update never changes a row's subject."""
    target = centre(tmp_path, source)
    export_bundle(coordinator(source), "MSK", tmp_path / "msk.zip")
    import_bundle(coordinator(target), tmp_path / "msk.zip")
    subjects = load_case_ids(source)

    def move_lab(frame: pd.DataFrame) -> pd.DataFrame:
        first = frame.index[frame["subject_id"] == subjects[0]][0]
        frame.loc[first, "subject_id"] = subjects[1]
        return frame

    resign(tmp_path / "msk.zip", source, "MSK", labs=move_lab)
    with pytest.raises(ValidationFailed) as failed:
        import_bundle(coordinator(target), tmp_path / "msk.zip")
    assert [(p.table, p.check) for p in failed.value.problems][:1] == [("labs", "ownership")]


def test_input_caps_refuse_before_unpacking(source: Database, tmp_path: Path) -> None:
    bundle = tmp_path / "msk.zip"
    export_bundle(coordinator(source), "MSK", bundle)
    target = centre(tmp_path, source)
    size = bundle.stat().st_size
    caps = {
        "file": (InputLimits(max_file_bytes=size - 1), "--max-file-mb"),
        "rows": (InputLimits(max_rows=3), "--max-rows"),
        "member": (InputLimits(max_member_bytes=100), "--max-member-mb"),
        "total": (InputLimits(max_uncompressed_bytes=1000), "--max-uncompressed-mb"),
    }
    for name, (limits, flag) in caps.items():
        with pytest.raises(InputTooLarge, match=flag):
            import_bundle(coordinator(target), bundle, limits=limits)
        assert table_counts(target)["subjects"] == 0, name
    assert import_bundle(coordinator(target), bundle).inserted["subjects"] > 0


def test_roles(source: Database, tmp_path: Path) -> None:
    with pytest.raises(AccessDenied):
        export_bundle(site_user(source, "PRM"), "MSK", tmp_path / "x.zip")
    export_bundle(site_user(source, "MSK"), "MSK", tmp_path / "x.zip")
    target = centre(tmp_path, source)
    with pytest.raises(AccessDenied):
        import_bundle(site_user(target, "MSK"), tmp_path / "x.zip")


class _Boom(Exception):
    """A failure injected part-way through an import's transaction."""


def _fail_on_labs(real: object) -> object:
    def insert(conn: object, table: str, *rows: object) -> int:
        if table == "labs":  # subjects .. assessments are written by now
            raise _Boom
        return real(conn, table, *rows)  # type: ignore[operator]

    return insert


@pytest.mark.parametrize("where", ["rows", "audit", "finish"])
def test_a_failure_inside_the_import_leaves_the_database_as_it_was(
    source: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Half the rows written, the audit batch being built, or the bundle's own last
    writes: whichever fails, nothing of the import stays (one transaction), and the
    same bundle then imports whole."""
    from warehouse.store import audit, upsert

    export_bundle(coordinator(source), "MSK", tmp_path / "old.zip")
    target = centre(tmp_path, source)
    import_bundle(coordinator(target), tmp_path / "old.zip")
    sid = str(load_case_ids(source)[0])
    lab = load_case(coordinator(source), sid).labs[0]
    change = Change("labs", {"lab_id": lab["lab_id"]}, {"value": lab["value"] + 2.0})
    update_rows(coordinator(source), sid, [change], "lab re-read")
    new_case = make_case(source, "MSK", "PAT-LATE")  # new rows in every table as well
    assert new_case.labs
    save_case(site_user(source, "MSK"), new_case)
    export_bundle(coordinator(source), "MSK", tmp_path / "new.zip")
    before, entries = table_counts(target), audit_rows(target)
    with monkeypatch.context() as patch:
        if where == "rows":
            patch.setattr(upsert, "insert", _fail_on_labs(upsert.insert))
        elif where == "audit":
            patch.setattr(audit, "_text_array", lambda values: (_ for _ in ()).throw(_Boom()))
        else:
            patch.setattr(
                bundles, "write_reporting_rows", lambda *a: (_ for _ in ()).throw(_Boom())
            )
        with pytest.raises(_Boom):
            import_bundle(coordinator(target), tmp_path / "new.zip")
    assert table_counts(target) == before
    assert audit_rows(target) == entries
    stored = load_case(coordinator(target), sid).labs
    assert [r["value"] for r in stored if r["lab_id"] == lab["lab_id"]] == [lab["value"]]
    verify(target)
    result = import_bundle(coordinator(target), tmp_path / "new.zip")
    assert result.updated["labs"] == 1 and result.inserted["labs"] == len(new_case.labs)
    verify(target)
