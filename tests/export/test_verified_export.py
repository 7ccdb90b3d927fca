"""The pooled export's review figures (records verified, records in signed casebooks) and
``verified_only``: only subjects whose casebook is signed with every record verified."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.warehouse_fixtures import admin, coordinator, make_case, make_db, monitor
from warehouse.export.preview import preview
from warehouse.export.release import ExportOptions, export_pooled
from warehouse.review import sdv, signoff
from warehouse.store.access import Session
from warehouse.store.admin import add_user
from warehouse.store.cases import Change, save_case, update_rows
from warehouse.store.db import Database

PASSWORD = "investigator-pass-1"


@pytest.fixture
def db(tmp_path: Path) -> tuple[Database, list[str]]:
    db = make_db(tmp_path / "w.duckdb", tmp_path / "keys")
    ids = []
    for n in range(4):
        case = make_case(db, "MSK", f"PAT-{n}")
        save_case(coordinator(db), case)
        ids.append(str(case.subject["subject_id"]))
    add_user(coordinator(db), "msk_pi", PASSWORD, "site_user", "MSK")
    signoff.set_investigator(admin(db), "msk_pi")
    pi = Session(db, "msk_pi", "site_user", "MSK")
    for sid in ids[:2]:  # two complete: every record verified, casebook signed
        marks = sdv.subject_marks(monitor(db), sid)
        rows = list(zip(marks["table_name"], marks["row_key"], strict=True))
        sdv.mark_verified(monitor(db), sid, rows)
        _, digest = signoff.casebook(pi, sid)
        signoff.sign_casebook(pi, sid, PASSWORD, "I approve", digest)
    _, digest = signoff.casebook(pi, ids[2])  # signed, nothing verified
    signoff.sign_casebook(pi, ids[2], PASSWORD, "I approve", digest)
    return db, ids


def manifest(out: Path) -> dict[str, object]:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_manifest_counts_verified_and_signed_records(
    db: tuple[Database, list[str]], tmp_path: Path
) -> None:
    database, ids = db
    result = export_pooled(coordinator(database), tmp_path / "all", ExportOptions(k=1))
    review = manifest(tmp_path / "all")["review"]
    per_subject = review["rows"] // 4  # make_case: the same rows for every subject
    assert review == {
        "verified_only": False,
        "rows": 4 * per_subject,
        "rows_verified": 2 * per_subject,
        "rows_signed": 3 * per_subject,
        "subjects_verified_signed": 2,
    }
    assert result.manifest["subjects"]["released"] == 4


def test_verified_only_exports_complete_casebooks_and_a_change_drops_one(
    db: tuple[Database, list[str]], tmp_path: Path
) -> None:
    database, ids = db
    options = ExportOptions(k=1, verified_only=True)
    assert preview(coordinator(database), options)["excluded"]["not_verified_and_signed"] == 2
    export_pooled(coordinator(database), tmp_path / "v", options)
    data = manifest(tmp_path / "v")
    assert data["subjects"]["released"] == 2 and data["review"]["subjects_verified_signed"] == 2
    assert data["review"]["rows_verified"] == data["review"]["rows"]
    key = f"AS-{ids[0].split('-', 1)[1]}-1"
    update_rows(
        coordinator(database), ids[0],
        [Change("assessments", {"assessment_id": key}, {"score": 30.0})], "typo",
    )  # fmt: skip
    export_pooled(coordinator(database), tmp_path / "v2", options)
    assert manifest(tmp_path / "v2")["subjects"]["released"] == 1
