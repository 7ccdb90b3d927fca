"""Site bundles (warehouse/exchange/bundles.py, bundle_rows.py): verified, idempotent imports."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from schemas.errors import AccessDenied, Conflict, ValidationFailed
from tests.warehouse_fixtures import (
    audit_count,
    audit_rows,
    clone_db,
    coordinator,
    make_db,
    site_user,
    table_counts,
)
from warehouse.demo.build import create_demo
from warehouse.exchange.bundles import TRAILER, BundleRejected, export_bundle, import_bundle
from warehouse.store.access import system_session
from warehouse.store.admin import add_site
from warehouse.store.cases import Change, load_case, update_rows
from warehouse.store.db import Database
from warehouse.store.migrations import migrate

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
    """The coordinating centre: MSK registered; its key copied, missing or different."""
    db = make_db(tmp_path / "centre" / "c.duckdb", tmp_path / "centre" / "keys", sites=())
    add_site(system_session(db, "setup"), "MSK", "Moscow centre", "Moscow")
    if key == "same":
        shutil.copy(source.keys.site_key_path("MSK"), db.keys.site_key_path("MSK"))
    elif key == "other":
        db.keys.create_site_key("MSK")
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
        "manifest": data.rindex(b"payload_sha256") + 20,
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


def test_without_the_site_key_hashes_are_still_checked(source: Database, tmp_path: Path) -> None:
    export_bundle(coordinator(source), "MSK", tmp_path / "msk.zip")
    target = centre(tmp_path, source, key="none")
    result = import_bundle(coordinator(target), tmp_path / "msk.zip")
    assert result.inserted["subjects"] > 0


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
    with db.connect(read_only=True) as conn:
        rows = conn.execute(
            "SELECT DISTINCT subject_id FROM labs JOIN subjects USING (subject_id) "
            "WHERE site_code = 'MSK' ORDER BY 1"
        ).fetchall()
    return [r[0] for r in rows]


def rewrite_bundle(path: Path, table: str, change: object) -> None:
    """Re-pack a bundle with one table changed and every hash recomputed (no signature)."""
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    frame = pq.read_table(io.BytesIO(members[f"{table}.parquet"])).to_pandas()
    frame = change(frame)  # type: ignore[operator]
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
    members[f"{table}.parquet"] = sink.getvalue()
    manifest = json.loads(members["manifest.json"])
    manifest["tables"][table]["sha256"] = hashlib.sha256(sink.getvalue()).hexdigest()
    manifest.pop("signature", None)
    from warehouse.exchange.bundles import _payload_hash, _write_zip

    manifest["payload_sha256"] = _payload_hash(manifest)
    members["manifest.json"] = json.dumps(manifest).encode()
    _write_zip(path, members)


def test_an_invalid_row_fails_validation_and_writes_nothing(
    source: Database, tmp_path: Path
) -> None:
    export_bundle(coordinator(source), "MSK", tmp_path / "msk.zip")

    def bad_score(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[frame.index[0], "score"] = 999.0
        return frame

    rewrite_bundle(tmp_path / "msk.zip", "assessments", bad_score)
    target = centre(tmp_path, source, key="none")
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

    rewrite_bundle(tmp_path / "msk.zip", "subjects", move)
    target = centre(tmp_path, source, key="none")
    with pytest.raises(ValidationFailed) as failed:
        import_bundle(coordinator(target), tmp_path / "msk.zip")
    assert failed.value.problems[0].check == "bundle_membership"


def test_roles(source: Database, tmp_path: Path) -> None:
    with pytest.raises(AccessDenied):
        export_bundle(site_user(source, "PRM"), "MSK", tmp_path / "x.zip")
    export_bundle(site_user(source, "MSK"), "MSK", tmp_path / "x.zip")
    target = centre(tmp_path, source)
    with pytest.raises(AccessDenied):
        import_bundle(site_user(target, "MSK"), tmp_path / "x.zip")
