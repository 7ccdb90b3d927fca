"""The new-case wizard logic: building the Case, shifting dates, checking steps, placing errors."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import Problem, validate
from schemas.common import ROW_ID
from tests import warehouse_fixtures as wf
from warehouse.capture import case_entry as ce
from warehouse.capture.subjects_lookup import OpenSubject, open_subject
from warehouse.store.cases import load_case, save_case
from warehouse.store.db import Database

memory_db = wf.memory_db
SUBJECT = OpenSubject("MSK-ABCDEFGHJK23", "MSK", 17, False)
NOW = dt.datetime(2026, 1, 5, 10, 0)


def complete(**changes: Any) -> dict[str, Any]:
    """Wizard values for a valid SMA type 1b case."""
    values = ce.default_values(dt.date(2025, 3, 3))
    values.update(
        processing=True,
        pooled_research=True,
        signed_by="legal_representative",
        signed_date=dt.date(2025, 3, 1),
        sex="female",
        birth_year=2024,
        age_at_onset_months=2.0,
        age_at_index_months=14.0,
        disease="SMA5Q",
        disease_subtype="1b",
        genetics={"smn1_status": "homozygous_deletion", "smn2_copies": "2"},
        visit_date=dt.date(2025, 3, 3),
        scale="CHOP-INTEND",
        score=32.0,
        ventilation="none",
        feeding="oral",
        motor_function="non_sitter",
    )
    values.update(changes)
    return values


def checks(values: dict[str, Any], upto: int = 3) -> list[tuple[str, str]]:
    return [(p.field, p.check) for p in ce.check_steps(SUBJECT, values, upto, "msk_neuro", NOW)]


# --- reference-driven options ---------------------------------------------------------


def test_defaults_start_without_consent() -> None:
    values = ce.default_values(dt.date(2025, 1, 2))
    assert values["processing"] is False and values["pooled_research"] is False
    assert values["signed_date"] == values["index_date"] == dt.date(2025, 1, 2)
    assert values["disease"] == "SMA5Q" and values["genetics"] == {}
    assert set(values) == set(ce.FIELD_STEP)


def test_options_come_from_reference_data() -> None:
    assert ce.subtype_options("SMA5Q")[:3] == ["0", "1a", "1b"]
    assert "presymptomatic" in ce.subtype_options("SMA5Q")
    assert ce.subtype_options("AS") == ["r-axSpA", "nr-axSpA"]
    assert ce.subtype_options(None) == [] and ce.genetic_markers("nope") == {}
    sma = ce.genetic_markers("SMA5Q")
    assert list(sma) == ["smn1_status", "smn2_copies"]
    assert sma["smn2_copies"]["codes"] == ["1", "2", "3", "4", ">=5", "unknown"]
    assert all(spec["required"] for spec in sma.values())
    assert list(ce.genetic_markers("AS")) == ["hla_b27"]
    assert ce.scale_options("AS") == ["ASDAS-CRP", "BASDAI", "BASFI"]
    assert ce.onset_expected("SMA5Q", "presymptomatic") is False
    assert ce.onset_expected("SMA5Q", "2a") is True


# --- building the case ------------------------------------------------------------------


def test_build_case_shifts_every_date_and_encodes_genetics() -> None:
    case = ce.build_case(SUBJECT, complete(), "msk_neuro", NOW)
    days = dt.timedelta(days=17)
    assert case.subject["index_date"] == dt.date(2025, 3, 3) + days
    assert case.consents[0]["signed_date"] == dt.date(2025, 3, 1) + days
    assert case.assessments[0]["visit_date"] == dt.date(2025, 3, 3) + days
    assert json.loads(case.subject["genetics"]) == {
        "smn1_status": "homozygous_deletion",
        "smn2_copies": "2",
    }
    assert case.subject["created_by"] == "msk_neuro" and case.subject["status"] == "active"
    assert case.subject["created_at"] == NOW


def test_no_baseline_row_without_a_score_and_niv_hours_only_with_niv() -> None:
    assert ce.build_case(SUBJECT, complete(score=None), "u", NOW).assessments == []
    hours = complete(ventilation="invasive", niv_hours_per_day=8.0)
    assert ce.build_case(SUBJECT, hours, "u", NOW).assessments[0]["niv_hours_per_day"] is None
    niv = complete(ventilation="niv", niv_hours_per_day=8.0)
    assert ce.build_case(SUBJECT, niv, "u", NOW).assessments[0]["niv_hours_per_day"] == 8.0


def test_empty_genetics_is_none_and_blank_markers_are_dropped() -> None:
    case = ce.build_case(SUBJECT, complete(genetics={"hla_b27": None}), "u", NOW)
    assert case.subject["genetics"] is None


@given(
    real=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)),
    shift=st.integers(min_value=-182, max_value=182),
)
def test_every_date_moves_by_exactly_the_shift(real: dt.date, shift: int) -> None:
    subject = OpenSubject("MSK-ABCDEFGHJK23", "MSK", shift, False)
    values = complete(signed_date=real, index_date=real, visit_date=real)
    case = ce.build_case(subject, values, "u", NOW)
    for stored in (
        case.subject["index_date"],
        case.consents[0]["signed_date"],
        case.assessments[0]["visit_date"],
    ):
        assert (stored - real).days == shift


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=12, max_size=12))
def test_row_ids_fit_the_schema(code: str) -> None:
    row_id = ce.new_row_id("AS", f"MSK-{code}")
    assert re.fullmatch(ROW_ID, row_id)
    assert row_id.startswith(f"AS-{code}-")


# --- checking steps --------------------------------------------------------------------


def test_a_complete_case_has_no_problems() -> None:
    assert checks(complete()) == []


def test_consent_step_requires_processing_and_a_signer() -> None:
    found = checks(complete(processing=False, signed_by=None), upto=0)
    assert ("signed_by", "not_nullable") in found
    assert ("processing", "processing_consent_given") in found


def test_missing_fields_do_not_cascade_into_rule_breaks() -> None:
    found = checks(complete(birth_year=None, sex=None), upto=1)
    assert sorted(found) == [("birth_year", "not_nullable"), ("sex", "not_nullable")]


def test_later_steps_are_not_checked_early() -> None:
    values = complete(disease_subtype=None, genetics={}, scale=None, score=None)
    assert checks(values, upto=1) == []
    assert ("disease_subtype", "not_nullable") in checks(values, upto=2)
    assert ("score", "not_nullable") in checks(values, upto=3)


def test_onset_not_fitting_subtype_is_shown_on_the_diagnosis_step() -> None:
    """The rule reads the onset (step 2) and the subtype (step 3): shown on step 3, with
    the onset repeated there, so both can be changed without a dead end."""
    problems = ce.check_steps(
        SUBJECT, complete(disease_subtype="1a", age_at_onset_months=12.0), 2, "u", NOW
    )
    assert [(p.field, p.check) for p in problems] == [("age_at_onset_months", "onset_fits_subtype")]
    assert ce.step_of(problems[0]) == ce.STEPS.index("diagnosis")
    assert ce.repeated_fields(problems, ce.STEPS.index("diagnosis")) == ["age_at_onset_months"]
    assert ce.repeated_fields(problems, ce.STEPS.index("baseline")) == []
    assert problems[0].message("ru") == "возраст начала не соответствует подтипу заболевания"


def test_presymptomatic_with_onset_and_missing_markers() -> None:
    found = checks(complete(disease_subtype="presymptomatic"), upto=2)
    assert found == [("age_at_onset_months", "onset_fits_subtype")]
    assert checks(complete(genetics={"smn1_status": "other"}), upto=2) == [
        ("genetics", "not_nullable")
    ]


def test_as_case_needs_no_genetics() -> None:
    values = complete(
        disease="AS",
        disease_subtype="r-axSpA",
        genetics={},
        scale="BASDAI",
        score=4.5,
        age_at_onset_months=240.0,
        age_at_index_months=300.0,
        birth_year=2000,
        ventilation=None,
        feeding=None,
        motor_function=None,
    )
    assert checks(values) == []


def test_niv_without_hours_and_minor_signing_alone() -> None:
    assert ("niv_hours_per_day", "not_nullable") in checks(complete(ventilation="niv"))
    found = checks(complete(signed_by="patient"), upto=1)
    assert found == [("signed_by", "minor_signed_by_representative")]


def test_score_out_of_range_is_placed_on_the_baseline_step() -> None:
    problems = ce.check_steps(SUBJECT, complete(score=70.0), 3, "u", NOW)
    assert [(p.field, p.check) for p in problems] == [("score", "score_in_scale_range")]
    assert ce.step_of(problems[0]) == 3


def test_problems_are_grouped_by_field() -> None:
    general = Problem("subjects", 0, "subject_id", "", "x", "en", "ru")
    onset = Problem("subjects", 0, "age_at_onset_months", "1", "y", "en", "ru")
    grouped = ce.problems_by_field([general, onset])
    assert grouped == {None: [general], "age_at_onset_months": [onset]}
    assert ce.step_of(general) == len(ce.STEPS) - 1


@given(st.sampled_from(sorted(ce.FIELD_STEP)) | st.text(max_size=20))
def test_every_problem_lands_on_a_step(field: str) -> None:
    step = ce.step_of(Problem("subjects", 0, field, "", "check", "en", "ru"))
    assert 0 <= step < len(ce.STEPS)


# --- the built case is what the warehouse accepts -------------------------------------


def test_built_case_saves_in_one_go(memory_db: Database) -> None:
    session = wf.site_user(memory_db)
    subject = open_subject(session, "WIZ-PAT-1")
    summary = save_case(session, ce.build_case(subject, complete(), "msk_neuro", NOW))
    assert summary.rows == {
        "subjects": 1,
        "consents": 1,
        "treatments": 0,
        "assessments": 1,
        "labs": 0,
        "adverse_events": 0,
        "ae_causality": 0,
        "narratives": 0,
    }
    stored = load_case(session, subject.subject_id)
    assert stored.subject["index_date"] == dt.date(2025, 3, 3) + dt.timedelta(
        days=subject.date_shift_days
    )


def test_the_checked_case_is_saved_without_validating_it_again(
    memory_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = wf.site_user(memory_db)
    subject = open_subject(session, "WIZ-PAT-2")
    validated: list[str] = []
    real = validate._checked_table

    def counted(table: str, rows: Any) -> Any:
        if len(rows):  # an empty table takes no checking
            validated.append(table)
        return real(table, rows)

    monkeypatch.setattr(validate, "_checked_table", counted)
    case, problems = ce.checked_case(subject, complete(), 3, "msk_neuro", NOW)
    assert problems == [] and sorted(validated) == ["assessments", "consents", "subjects"]
    save_case(session, case)
    assert sorted(validated) == ["assessments", "consents", "subjects"]
    assert load_case(session, subject.subject_id).subject["created_at"] == NOW
    # A near miss: a case built afresh (new row ids) is validated afresh.
    other = open_subject(session, "WIZ-PAT-3")
    save_case(session, ce.build_case(other, complete(), "msk_neuro", NOW))
    assert len(validated) == 6


@pytest.mark.parametrize("step", range(4))
def test_checking_never_raises_on_empty_values(step: int) -> None:
    values = {f: None for f in ce.FIELD_STEP}
    found = ce.check_steps(SUBJECT, values, step, "u", NOW)
    assert found and all(isinstance(p, Problem) for p in found)
