"""Saving, reading and correcting cases: round trips, all-or-nothing saves, conflicts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from schemas import CLINICAL_TABLES
from schemas.errors import CaseguardError, Conflict, NotFound, ValidationFailed
from tests import warehouse_fixtures as wf
from tests.warehouse_fixtures import (
    audit_count,
    audit_rows,
    coordinator,
    make_case,
    site_user,
    table_counts,
)
from warehouse.store import upsert as upsert_module
from warehouse.store.audit import verify
from warehouse.store.cases import (
    Change,
    add_records,
    list_subjects,
    load_case,
    save_case,
    save_cases,
    subject_exists,
    update_rows,
    withdraw_consent,
)
from warehouse.store.db import Database

# Shared fixtures, imported explicitly (no conftest); pytest finds them by name here.
any_db = wf.any_db
file_db = wf.file_db
memory_db = wf.memory_db


def _clinical_counts(db: Database) -> dict[str, int]:
    counts = table_counts(db)
    return {t: counts[t] for t in CLINICAL_TABLES}


def _anchor_files(db: Database) -> dict[str, str]:
    return {p.name: p.read_text() for p in Path(db.keys.directory).glob("audit-anchor-*.json")}


# --- round trip --------------------------------------------------------------------


def test_saved_case_reads_back_exactly(any_db: Database) -> None:
    case = make_case(any_db, "MSK", "PAT-001")
    summary = save_case(site_user(any_db), case)
    sid = case.subject["subject_id"]
    assert summary.subject_ids == [sid]
    assert summary.rows == {t: len(case.rows(t)) for t in CLINICAL_TABLES}
    assert summary.describe().startswith("1 subject (consents: 1, treatments: 2")
    loaded = load_case(site_user(any_db), sid)
    for table in CLINICAL_TABLES:
        assert loaded.rows(table) == case.rows(table), table


def test_save_cases_writes_a_batch_in_one_go(any_db: Database) -> None:
    batch = [make_case(any_db, "MSK", f"PAT-{i:03d}") for i in range(4)]
    progress: list[tuple[int, int]] = []
    summary = save_cases(site_user(any_db), batch, progress=lambda a, b: progress.append((a, b)))
    assert sorted(summary.subject_ids) == sorted(c.subject["subject_id"] for c in batch)
    assert summary.rows["treatments"] == 8
    assert progress == [(4, 4)]
    assert len(list_subjects(site_user(any_db))) == 4
    assert all(subject_exists(site_user(any_db), c.subject["subject_id"]) for c in batch)


def test_unknown_subject_is_not_found(memory_db: Database) -> None:
    with pytest.raises(NotFound):
        load_case(site_user(memory_db), "MSK-AAAAAAAAAAAA")
    assert not subject_exists(site_user(memory_db), "MSK-AAAAAAAAAAAA")


# --- a failing save writes nothing -------------------------------------------------


def _break_narrative(case: Any) -> None:
    case.narratives[0]["language"] = "klingon"


def _break_ae(case: Any) -> None:
    case.adverse_events[0]["ctcae_grade"] = 9


def _break_causality(case: Any) -> None:
    case.ae_causality[0]["causality"] = "obvious"


@pytest.mark.parametrize(
    ("breaker", "table"),
    [
        (_break_narrative, "narratives"),
        (_break_ae, "adverse_events"),
        (_break_causality, "ae_causality"),
    ],
)
def test_invalid_last_table_leaves_no_partial_rows(
    any_db: Database, breaker: Any, table: str
) -> None:
    before_counts, before_audit = table_counts(any_db), audit_rows(any_db)
    case = make_case(any_db, "MSK", "PAT-BAD")
    breaker(case)
    with pytest.raises(ValidationFailed) as caught:
        save_case(site_user(any_db), case)
    assert caught.value.problems and {p.table for p in caught.value.problems} == {table}
    assert all(n == 0 for n in _clinical_counts(any_db).values())
    assert table_counts(any_db) == before_counts
    assert audit_rows(any_db) == before_audit
    verify(any_db)


def test_one_invalid_case_in_a_batch_saves_none(any_db: Database) -> None:
    batch = [make_case(any_db, "MSK", f"PAT-{i}") for i in range(3)]
    batch[2].labs[0]["unit"] = "mg/dL"  # wrong unit for platelets
    before = audit_count(any_db)
    with pytest.raises(ValidationFailed) as caught:
        save_cases(site_user(any_db), batch)
    assert [(p.table, p.field) for p in caught.value.problems] == [("labs", "unit")]
    assert all(n == 0 for n in _clinical_counts(any_db).values())
    assert audit_count(any_db) == before


def test_failure_inside_the_transaction_rolls_everything_back(
    any_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    before_counts, before_audit = table_counts(any_db), audit_rows(any_db)
    before_anchor = _anchor_files(any_db)
    real_insert = upsert_module.insert  # the one write path (forms, imports, bundles)
    written: list[str] = []

    def insert_failing_on_labs(conn: Any, table: str, *rows: Any) -> int:
        if table == "labs":
            raise OSError("disk full while writing labs")
        written.append(table)
        return real_insert(conn, table, *rows)

    monkeypatch.setattr(upsert_module, "insert", insert_failing_on_labs)
    case = make_case(any_db, "MSK", "PAT-LABS")
    with pytest.raises(OSError, match="disk full"):
        save_case(site_user(any_db), case)
    assert written == ["subjects", "consents", "treatments", "assessments"]  # really got that far
    assert table_counts(any_db) == before_counts
    assert audit_rows(any_db) == before_audit
    assert _anchor_files(any_db) == before_anchor
    verify(any_db)

    monkeypatch.setattr(upsert_module, "insert", real_insert)  # the user retries: nothing lost
    save_case(site_user(any_db), case)
    assert _clinical_counts(any_db)["labs"] == 1
    verify(any_db)


def test_failure_writing_the_audit_entries_rolls_back_the_rows(
    any_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last step before COMMIT (appending the audit entries) fails: rows go too."""
    from warehouse.store import audit

    before_counts, before_audit = table_counts(any_db), audit_rows(any_db)
    before_anchor = _anchor_files(any_db)

    def append_failing(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("audit key unreadable")

    monkeypatch.setattr(audit, "append", append_failing)
    with pytest.raises(RuntimeError, match="audit key unreadable"):
        save_case(site_user(any_db), make_case(any_db, "MSK", "PAT-AUDIT"))
    assert table_counts(any_db) == before_counts
    assert audit_rows(any_db) == before_audit
    assert _anchor_files(any_db) == before_anchor


def test_saving_an_existing_subject_is_a_conflict(memory_db: Database) -> None:
    case = make_case(memory_db, "MSK", "PAT-001")
    save_case(site_user(memory_db), case)
    before_counts, before_audit = table_counts(memory_db), audit_count(memory_db)
    again = make_case(memory_db, "MSK", " pat-001 ")  # same patient typed differently
    with pytest.raises(Conflict, match="already exist"):
        save_case(site_user(memory_db), again)
    assert table_counts(memory_db) == before_counts
    assert audit_count(memory_db) == before_audit


def test_clashing_row_id_rolls_back_the_whole_case(any_db: Database) -> None:
    first = make_case(any_db, "MSK", "PAT-001")
    save_case(site_user(any_db), first)
    before_counts, before_audit = table_counts(any_db), audit_count(any_db)
    second = make_case(any_db, "MSK", "PAT-002")
    second.labs[0]["lab_id"] = first.labs[0]["lab_id"]  # only found by the database
    with pytest.raises(ValidationFailed) as clash:
        save_case(site_user(any_db), second)
    # named as a row owned by another subject (the ownership check), not a raw DB error
    assert [(p.table, p.field, p.check) for p in clash.value.problems] == [
        ("labs", "lab_id", "ownership")
    ]
    assert table_counts(any_db) == before_counts
    assert audit_count(any_db) == before_audit
    assert not subject_exists(site_user(any_db), second.subject["subject_id"])


def test_a_case_needs_exactly_one_subject(memory_db: Database) -> None:
    case = make_case(memory_db, "MSK", "PAT-001")
    other = make_case(memory_db, "MSK", "PAT-002")
    case.subjects.append(other.subject)
    with pytest.raises(CaseguardError):
        save_case(site_user(memory_db), case)
    assert _clinical_counts(memory_db)["subjects"] == 0


# --- follow-up records and corrections ----------------------------------------------


def test_add_records_appends_follow_up_rows(memory_db: Database) -> None:
    case = make_case(memory_db, "MSK", "PAT-001")
    save_case(site_user(memory_db), case)
    sid = case.subject["subject_id"]
    visit = dict(
        case.assessments[0],
        assessment_id=case.assessments[0]["assessment_id"] + "b",
        visit_date=case.assessments[0]["visit_date"] + dt.timedelta(days=120),
        score=38.0,
    )
    summary = add_records(site_user(memory_db), sid, {"assessments": [visit]})
    assert summary.rows["assessments"] == 1
    scores = sorted(a["score"] for a in load_case(site_user(memory_db), sid).assessments)
    assert scores == [31.0, 38.0]


def test_add_records_validates_and_writes_nothing_on_error(memory_db: Database) -> None:
    case = make_case(memory_db, "MSK", "PAT-001")
    save_case(site_user(memory_db), case)
    sid = case.subject["subject_id"]
    before_counts, before_audit = table_counts(memory_db), audit_count(memory_db)
    good = dict(case.labs[0], lab_id="LB-FOLLOWUP-1")
    bad = dict(case.assessments[0], assessment_id="AS-FOLLOWUP-1", score=70.0)  # CHOP max 64
    with pytest.raises(ValidationFailed):
        add_records(site_user(memory_db), sid, {"labs": [good], "assessments": [bad]})
    with pytest.raises(CaseguardError, match="cannot add rows to subjects"):
        add_records(site_user(memory_db), sid, {"subjects": [case.subject]})
    assert table_counts(memory_db) == before_counts
    assert audit_count(memory_db) == before_audit


def test_update_rows_changes_the_value(memory_db: Database) -> None:
    case = make_case(memory_db, "MSK", "PAT-001")
    save_case(site_user(memory_db), case)
    sid, ae_id = case.subject["subject_id"], case.adverse_events[0]["ae_id"]
    end = case.adverse_events[0]["onset_date"] + dt.timedelta(days=3)
    update_rows(
        site_user(memory_db),
        sid,
        [Change("adverse_events", {"ae_id": ae_id}, {"outcome": "recovered", "end_date": end})],
        "resolved at follow-up",
    )
    ae = load_case(site_user(memory_db), sid).adverse_events[0]
    assert (ae["outcome"], ae["end_date"]) == ("recovered", end)


def test_invalid_update_is_refused_and_changes_nothing(memory_db: Database) -> None:
    case = make_case(memory_db, "MSK", "PAT-001")
    save_case(site_user(memory_db), case)
    sid = case.subject["subject_id"]
    before_audit = audit_rows(memory_db)
    bad_changes = [
        Change(
            "assessments", {"assessment_id": case.assessments[0]["assessment_id"]}, {"score": 99.0}
        ),
        Change(
            "adverse_events", {"ae_id": case.adverse_events[0]["ae_id"]}, {"outcome": "recovered"}
        ),
    ]
    for change in bad_changes:
        with pytest.raises(ValidationFailed):
            update_rows(site_user(memory_db), sid, [change], "typo")
    with pytest.raises(CaseguardError, match="cannot change"):
        update_rows(
            site_user(memory_db),
            sid,
            [Change("subjects", {"subject_id": sid}, {"site_code": "PRM"})],
            "move",
        )
    with pytest.raises(CaseguardError, match="cannot change"):
        update_rows(
            site_user(memory_db),
            sid,
            [Change("labs", {"lab_id": case.labs[0]["lab_id"]}, {"lab_id": "LB-OTHER-1"})],
            "x",
        )
    with pytest.raises(NotFound):
        update_rows(
            site_user(memory_db),
            sid,
            [Change("labs", {"lab_id": "LB-NOPE-1"}, {"value": 1.0})],
            "x",
        )
    assert load_case(site_user(memory_db), sid).rows("assessments") == case.assessments
    assert load_case(site_user(memory_db), sid).rows("adverse_events") == case.adverse_events
    assert audit_rows(memory_db) == before_audit


def test_withdrawn_consent_marks_the_subject(memory_db: Database) -> None:
    case = make_case(memory_db, "MSK", "PAT-001")
    save_case(site_user(memory_db), case)
    sid = case.subject["subject_id"]
    when = case.consents[0]["signed_date"] + dt.timedelta(days=200)
    withdraw_consent(site_user(memory_db), sid, when, "parent request")
    stored = load_case(coordinator(memory_db), sid)
    assert stored.consents[0]["withdrawn_date"] == when
    assert stored.subject["status"] == "withdrawn"
    listed = list_subjects(coordinator(memory_db))
    assert listed.set_index("subject_id").loc[sid, "status"] == "withdrawn"


@pytest.mark.parametrize("birth_year", [float("nan"), float("inf")])
def test_a_birth_year_that_is_no_number_is_a_field_problem(
    memory_db: Database, birth_year: float
) -> None:
    """Found by the hostile-input drill: the consent-age rule crashed on it."""
    case = make_case(memory_db, "MSK", "PAT-001")
    save_case(site_user(memory_db), case)
    sid = case.subject["subject_id"]
    change = Change("subjects", {"subject_id": sid}, {"birth_year": birth_year})
    with pytest.raises(ValidationFailed) as caught:
        update_rows(site_user(memory_db), sid, [change], "typo")
    assert "birth_year" in {p.field for p in caught.value.problems}
    assert load_case(site_user(memory_db), sid).subject["birth_year"] == case.subject["birth_year"]
