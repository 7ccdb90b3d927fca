"""Legacy import: the optional identifier columns become linkage tokens and are forgotten."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from anonymise import pseudonymise
from tests.exchange.test_legacy_import import LOCAL_IDS, _encodings, patient, workbook
from tests.warehouse_fixtures import audit_count, coordinator, make_db, table_counts
from warehouse.exchange.legacy_import import LegacyImportFailed, import_legacy
from warehouse.export.release import ExportOptions, export_pooled
from warehouse.store.db import Database

IDENTIFIERS = {
    "surname": "Ковалевская-Орлова",
    "given_name": "Снежана",
    "patronymic": "Ростиславовна",
    "birth_date": "17.09.2020",
    "snils": "112-233-445 95",
    "birth_region": "Камчатский край",
}


def _with_identifiers(local_id: str, **changes: str) -> dict:
    rows = patient(local_id)
    rows["subjects"][0].update({**IDENTIFIERS, **changes})
    return rows


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = make_db(tmp_path / "data" / "w.duckdb", tmp_path / "keys")
    database.keys.create_linkage_key()
    return database


def test_identifier_columns_become_tokens_and_are_stored_nowhere(
    db: Database, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    path = workbook(tmp_path / "in" / "legacy.xlsx", _with_identifiers(LOCAL_IDS[0]))
    import_legacy(coordinator(db), path, site="MSK")
    sid = pseudonymise(db.keys.site_key("MSK"), "MSK", LOCAL_IDS[0]).subject_id
    with db.connect() as conn:
        tokens = conn.execute("SELECT * FROM linkage_tokens").df()
    assert list(tokens["subject_id"]) == [sid]
    assert tokens.loc[0, "sex"] is not None  # from the subjects sheet's own sex column
    assert len(tokens.loc[0, "surname_parts"]) == 2
    out = tmp_path / "export"
    export_pooled(coordinator(db), out, ExportOptions(fmt="csv", k=1, sdtm=True))
    raw = duckdb.connect(db.path)
    raw.execute("CHECKPOINT")
    raw.close()
    files = [p for p in Path(db.path).parent.rglob("*") if p.is_file()]
    exported = [p for p in out.rglob("*") if p.is_file()]
    needles = set()
    for value in (*IDENTIFIERS.values(), "Kovalevskaia", "2020-09-17", "11223344595"):
        needles |= _encodings(value)
    hits = [f"{p.name}: {n!r}" for p in files + exported for n in needles if n in p.read_bytes()]
    assert hits == []
    token = str(tokens.loc[0, "surname"]).encode()
    assert token in Path(db.path).read_bytes()  # the scan would find a stored token
    assert [p.name for p in exported if token in p.read_bytes()] == []  # never exported


def test_without_the_linkage_key_identifier_columns_are_refused(
    db: Database, tmp_path: Path
) -> None:
    db.keys.linkage_key_path.unlink()  # the coordinator's warehouse has no linkage key
    path = workbook(tmp_path / "legacy.xlsx", _with_identifiers(LOCAL_IDS[0]))
    before, entries = table_counts(db), audit_count(db)
    with pytest.raises(LegacyImportFailed) as failed:
        import_legacy(coordinator(db), path, site="MSK")
    assert table_counts(db) == before and audit_count(db) == entries
    report = pd.read_csv(failed.value.report, dtype=str, encoding="utf-8-sig")
    assert report.loc[0, "column"] == "surname"
    assert "linkage key" in report.loc[0, "problem_en"]
    assert "Ковалевская" not in failed.value.report.read_text(encoding="utf-8-sig")


def test_a_bad_snils_is_reported_without_its_value(db: Database, tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "legacy.xlsx", _with_identifiers(LOCAL_IDS[0], snils="112-233-445 96")
    )
    with pytest.raises(LegacyImportFailed) as failed:
        import_legacy(coordinator(db), path, site="MSK")
    report = pd.read_csv(failed.value.report, dtype=str, encoding="utf-8-sig")
    assert report[["sheet", "column"]].values.tolist() == [["subjects", "snils"]]
    assert "445" not in failed.value.report.read_text(encoding="utf-8-sig")
    with db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM linkage_tokens").fetchall() == [(0,)]


def test_rows_without_identifiers_import_as_before(db: Database, tmp_path: Path) -> None:
    db.keys.linkage_key_path.unlink()
    path = workbook(tmp_path / "legacy.xlsx", patient(LOCAL_IDS[1]))
    assert import_legacy(coordinator(db), path, site="MSK").subjects == 1
