"""Corrections (warehouse/capture/corrections.py): editable fields, shifting, checks, writes."""

from __future__ import annotations

import datetime as dt

import pytest

from anonymise import pseudonymise
from schemas import load_reference
from schemas.errors import AccessDenied, ValidationFailed
from tests.warehouse_fixtures import (  # noqa: F401
    coordinator,
    make_case,
    memory_db,
    monitor,
    site_user,
)
from warehouse.capture import corrections as corr
from warehouse.capture.subjects_lookup import OpenSubject
from warehouse.store.cases import load_case, save_case
from warehouse.store.db import Database


@pytest.fixture
def opened(memory_db: Database) -> tuple[Database, OpenSubject]:  # noqa: F811
    save_case(site_user(memory_db), make_case(memory_db, "MSK", "CORR-1"))
    p = pseudonymise(memory_db.keys.site_key("MSK"), "MSK", "CORR-1")
    return memory_db, OpenSubject(p.subject_id, "MSK", p.date_shift_days, True)


def spec(db: Database, subject: OpenSubject, table: str, name: str) -> corr.FieldSpec:
    case = load_case(site_user(db), subject.subject_id)
    return {s.name: s for s in corr.editable_fields(case, table)}[name]


def test_fields_follow_the_schema(opened: tuple[Database, OpenSubject]) -> None:
    db, subject = opened
    case = load_case(site_user(db), subject.subject_id)
    names = {t: [s.name for s in corr.editable_fields(case, t)] for t in corr.editable_tables(case)}
    assert "status" not in names["subjects"] and "withdrawn_date" not in names["consents"]
    assert "text_scrubbed" not in names["narratives"] and "narrative_id" not in names["narratives"]
    kinds = {s.name: s for s in corr.editable_fields(case, "adverse_events")}
    assert kinds["ctcae_grade"].kind == "int" and kinds["ctcae_grade"].maximum == 5
    assert kinds["onset_date"].kind == "date" and kinds["serious"].kind == "bool"
    assert kinds["outcome"].kind == "choice" and "fatal" in kinds["outcome"].options
    assert kinds["coded_term"].kind == "choice" and kinds["verbatim_term"].kind == "text"
    subtype = {s.name: s for s in corr.editable_fields(case, "subjects")}["disease_subtype"]
    assert "1b" in subtype.options


def test_rows_are_labelled_by_key_and_real_date(opened: tuple[Database, OpenSubject]) -> None:
    db, subject = opened
    case = load_case(site_user(db), subject.subject_id)
    [row] = corr.rows_of(case, "narratives", subject.date_shift_days)
    assert row.label.endswith("2021-06-02") and row.key == {"narrative_id": row.label.split(" ")[0]}


def test_dates_round_trip_through_the_shift() -> None:
    date_spec = corr.FieldSpec("labs", "date", "date", False)
    stored = corr.stored_value(date_spec, dt.date(2024, 1, 10), -5)
    assert stored == dt.date(2024, 1, 5)
    assert corr.shown_value(date_spec, stored, -5) == dt.date(2024, 1, 10)
    text_spec = corr.FieldSpec("treatments", "lot", "text", True)
    assert corr.stored_value(text_spec, "  ", 0) is None
    assert corr.stored_value(text_spec, " L9 ", 0) == "L9"


def test_reason_and_value_checks() -> None:
    assert corr.reason_problem("  ") == corr.InputProblem("missing")
    assert corr.reason_problem("Typo, corrected from the source document") is None
    found = corr.reason_problem("звонила Кузнецова Мария, +7 912 345-67-89")
    assert found is not None and {"PERSON", "PHONE"} <= set(found.types)
    text_spec = corr.FieldSpec("adverse_events", "verbatim_term", "text", False)
    assert corr.value_problem(text_spec, "") == corr.InputProblem("missing")
    assert corr.value_problem(text_spec, "headache") is None


def test_correct_writes_with_reason_and_validates(opened: tuple[Database, OpenSubject]) -> None:
    db, subject = opened
    score = spec(db, subject, "assessments", "score")
    case = load_case(site_user(db), subject.subject_id)
    key = corr.rows_of(case, "assessments", subject.date_shift_days)[0].key
    corr.correct(site_user(db), subject, score, key, 40.0, "Typo")
    case = load_case(site_user(db), subject.subject_id)
    assert corr.current_value(case, "assessments", key, "score") == 40.0
    with pytest.raises(ValidationFailed):
        corr.correct(site_user(db), subject, score, key, 99.0, "Typo")  # CHOP INTEND 0-64
    with pytest.raises(AccessDenied):
        corr.correct(monitor(db), subject, score, key, 41.0, "Typo")


def test_withdraw_shifts_the_date_and_marks_the_subject(
    opened: tuple[Database, OpenSubject],
) -> None:
    db, subject = opened
    stored = corr.withdraw(coordinator(db), subject, dt.date(2024, 2, 1), " Parents withdrew ")
    case = load_case(site_user(db), subject.subject_id)
    assert case.subject["status"] == "withdrawn"
    assert case.consents[0]["withdrawn_date"] == stored
    assert corr.withdrawal_of(case, subject.date_shift_days) == dt.date(2024, 2, 1)


def _event(db: Database, subject: OpenSubject) -> dict[str, object]:
    return dict(load_case(site_user(db), subject.subject_id).adverse_events[0])


def test_a_new_term_brings_its_own_body_system(opened: tuple[Database, OpenSubject]) -> None:
    """The body system follows the term (as on the AE form): correcting the term alone
    must not be refused for a body system the user cannot see or change."""
    db, subject = opened
    event = _event(db, subject)
    terms = load_reference().ae_terms
    other = next(
        term for term in terms.index if terms.at[term, "body_system_en"] != event["body_system"]
    )
    term = spec(db, subject, "adverse_events", "coded_term")
    corr.correct(site_user(db), subject, term, {"ae_id": event["ae_id"]}, other, "Miscoded")
    after = _event(db, subject)
    assert after["coded_term"] == other
    assert after["body_system"] == terms.at[other, "body_system_en"]
    case = load_case(site_user(db), subject.subject_id)
    fields = {s.name for s in corr.editable_fields(case, "adverse_events")}
    assert "body_system" not in fields  # derived from the term, never typed
