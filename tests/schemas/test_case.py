"""Whole-case validation: every table plus the rules that span tables; two properties."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import Case, load_reference, validate_case, validate_table

SID = "MSK-ABCDEF123456"
OTHER_SID = "MSK-ZZZZZZZZZZZZ"


# --- a full valid case: SMA type 2a, Spinraza loading then a switch to Lantesens -------


def treatment(i: int, product_id: str, start: str, **values: Any) -> dict[str, Any]:
    return {
        "treatment_id": f"TR-000{i}",
        "subject_id": SID,
        "product_id": product_id,
        "dose": 12.0,
        "dose_unit": "mg",
        "route": "intrathecal",
        "start_date": start,
        "end_date": None,
        "lot": "AB123",
        "switched_from": None,
        "switch_reason": None,
        **values,
    }


def assessment(i: int, visit: str, score: float, **values: Any) -> dict[str, Any]:
    return {
        "assessment_id": f"AS-000{i}",
        "subject_id": SID,
        "visit_date": visit,
        "scale": "HFMSE",
        "score": score,
        "ventilation": "none",
        "niv_hours_per_day": None,
        "feeding": "oral",
        "motor_function": "sitter",
        **values,
    }


def lab(i: int, **values: Any) -> dict[str, Any]:
    return {
        "lab_id": f"LB-000{i}",
        "subject_id": SID,
        "date": "2021-09-01",
        "test": "PLT",
        "value": 250.0,
        "unit": "10^9/L",
        "lower": 150.0,
        "upper": 450.0,
        **values,
    }


def adverse_event(i: int, **values: Any) -> dict[str, Any]:
    return {
        "ae_id": f"AE-000{i}",
        "subject_id": SID,
        "verbatim_term": "headache after LP",
        "coded_term": "POST-LP-SYNDROME",
        "body_system": "Injury and procedural complications",
        "onset_date": "2021-09-02",
        "end_date": "2021-09-04",
        "ctcae_grade": 2,
        "serious": False,
        "seriousness": None,
        "action_taken": "dose_not_changed",
        "outcome": "recovered",
        **values,
    }


FATAL_AE = adverse_event(
    2,
    coded_term="RESPIRATORY-FAILURE",
    body_system="Respiratory, thoracic and mediastinal disorders",
    onset_date="2022-02-01",
    end_date="2022-02-03",
    ctcae_grade=5,
    serious=True,
    seriousness=["death"],
    outcome="fatal",
)


def full_case() -> Case:
    """A valid SMA case with every clinical table filled."""
    return Case(
        subjects=[
            {
                "subject_id": SID,
                "site_code": "MSK",
                "sex": "male",
                "birth_year": 2019,
                "disease": "SMA5Q",
                "disease_subtype": "2a",
                "genetics": '{"smn1_status": "homozygous_deletion", "smn2_copies": "3"}',
                "age_at_onset_months": 9.0,
                "age_at_index_months": 26.0,
                "index_date": "2021-09-01",
                "status": "active",
                "created_at": "2021-09-01T10:00:00",
                "created_by": "dr_petrova",
            }
        ],
        consents=[
            {
                "subject_id": SID,
                "processing": True,
                "pooled_research": True,
                "publication": False,
                "signed_by": "legal_representative",
                "signed_date": "2021-08-20",
                "withdrawn_date": None,
            }
        ],
        treatments=[
            treatment(1, "NUS-SPINRAZA", "2021-09-01"),
            treatment(2, "NUS-SPINRAZA", "2021-09-15"),
            treatment(
                3,
                "NUS-LANTESENS",
                "2022-01-15",
                lot="LN-0042",
                switched_from="NUS-SPINRAZA",
                switch_reason="supply interruption",
            ),
        ],
        assessments=[assessment(1, "2021-09-01", 20.0), assessment(2, "2022-03-01", 24.0)],
        labs=[lab(1), lab(2, test="ALT", value=22.0, unit="U/L", lower=0.0, upper=40.0)],
        adverse_events=[adverse_event(1)],
        ae_causality=[{"ae_id": "AE-0001", "product_id": "NUS-SPINRAZA", "causality": "probable"}],
        narratives=[
            {
                "narrative_id": "NR-0001",
                "subject_id": SID,
                "visit_date": "2021-09-01",
                "language": "ru",
                "text_scrubbed": "Пациент <PERSON> перенёс введение хорошо.",
                "redaction_counts": '{"PERSON": 1}',
                "created_at": "2021-09-01T12:00:00",
            }
        ],
    )


def change(**tables: Callable[[Case], list[dict[str, Any]]]) -> Callable[[Case], Case]:
    """A function that replaces some tables of a case, each computed from the case."""
    return lambda case: replace(case, **{name: make(case) for name, make in tables.items()})


def with_row(table: str, row: dict[str, Any]) -> Callable[[Case], Case]:
    """A function that appends one row to a table of a case."""
    return lambda case: replace(case, **{table: case.rows(table) + [row]})


def edit(table: str, row: int, **values: Any) -> Callable[[Case], Case]:
    """A function that changes some values of one row of a case."""

    def apply(case: Case) -> Case:
        rows = [dict(r) for r in case.rows(table)]
        rows[row].update(values)
        return replace(case, **{table: rows})

    return apply


def problems_of(case: Case, stored: Case | None = None) -> list[tuple[str, int | None, str, str]]:
    return [(p.table, p.row, p.field, p.check) for p in validate_case(case, stored)]


# --- the valid case -----------------------------------------------------------------


def test_full_valid_case_passes() -> None:
    assert validate_case(full_case()) == []


def test_subject_only_case_passes() -> None:
    assert validate_case(Case(subjects=full_case().subjects)) == []


# --- each cross-table rule: how to break it, and where the problem must point -------

BROKEN = {
    "ae_31_days_before_first_dose": (
        with_row(
            "adverse_events", adverse_event(2, onset_date="2021-08-01", end_date="2021-08-03")
        ),
        ("adverse_events", 1, "onset_date", "ae_after_first_dose"),
    ),
    "scale_of_other_disease": (
        with_row("assessments", assessment(3, "2022-06-01", 3.0, scale="BASDAI")),
        ("assessments", 2, "scale", "scale_fits_disease"),
    ),
    "lab_of_other_disease": (
        with_row("labs", lab(3, test="CRP", value=3.0, unit="mg/L", lower=0.0, upper=5.0)),
        ("labs", 2, "test", "test_fits_disease"),
    ),
    "product_of_other_disease": (
        with_row(
            "treatments",
            treatment(
                4, "SEN-SENIPRUTUG", "2022-05-01", dose=3.0, dose_unit="mg/kg", route="intravenous"
            ),
        ),
        ("treatments", 3, "product_id", "product_fits_disease"),
    ),
    "minor_signs_alone": (
        edit("consents", 0, signed_by="patient"),
        ("consents", 0, "signed_by", "minor_signed_by_representative"),
    ),
    "causality_for_unknown_ae": (
        with_row(
            "ae_causality",
            {"ae_id": "AE-0099", "product_id": "NUS-SPINRAZA", "causality": "possible"},
        ),
        ("ae_causality", 1, "ae_id", "causality_for_known_event"),
    ),
    "suspect_not_given": (
        with_row(
            "ae_causality",
            {"ae_id": "AE-0001", "product_id": "RIS-EVRYSDI", "causality": "unlikely"},
        ),
        ("ae_causality", 1, "product_id", "suspect_was_given"),
    ),
    "fatal_ae_subject_active": (
        with_row("adverse_events", FATAL_AE),
        ("subjects", 0, "status", "fatal_event_means_died"),
    ),
    "withdrawn_consent_subject_active": (
        edit("consents", 0, withdrawn_date="2022-04-01"),
        ("subjects", 0, "status", "withdrawal_means_withdrawn"),
    ),
    "lab_of_other_subject": (
        edit("labs", 1, subject_id=OTHER_SID),
        ("labs", 1, "subject_id", "rows_belong_to_subject"),
    ),
    "treatment_of_other_subject": (
        edit("treatments", 2, subject_id=OTHER_SID),
        ("treatments", 2, "subject_id", "rows_belong_to_subject"),
    ),
    "consent_of_other_subject": (
        edit("consents", 0, subject_id=OTHER_SID),
        ("consents", 0, "subject_id", "rows_belong_to_subject"),
    ),
    "assessment_of_other_subject": (
        edit("assessments", 1, subject_id=OTHER_SID),
        ("assessments", 1, "subject_id", "rows_belong_to_subject"),
    ),
    "ae_of_other_subject": (
        edit("adverse_events", 0, subject_id=OTHER_SID),
        ("adverse_events", 0, "subject_id", "rows_belong_to_subject"),
    ),
    "narrative_of_other_subject": (
        edit("narratives", 0, subject_id=OTHER_SID),
        ("narratives", 0, "subject_id", "rows_belong_to_subject"),
    ),
    "two_subjects": (
        change(subjects=lambda c: c.subjects + [dict(c.subject, subject_id="MSK-ABCDEF123457")]),
        ("subjects", 0, "subject_id", "rows_belong_to_subject"),
    ),
    "table_rule_inside_case": (
        edit("assessments", 1, score=67.0),
        ("assessments", 1, "score", "score_in_scale_range"),
    ),
}


@pytest.mark.parametrize(("breaker", "expected"), BROKEN.values(), ids=BROKEN.keys())
def test_broken_rule_names_table_row_and_field(
    breaker: Callable[[Case], Case], expected: tuple[str, int, str, str]
) -> None:
    problems = validate_case(breaker(full_case()))
    assert [(p.table, p.row, p.field, p.check) for p in problems] == [expected]
    assert all(p.message_en and p.message_ru and p.message_en != p.message_ru for p in problems)


FIXED = {
    "ae_30_days_before_first_dose": with_row(
        "adverse_events", adverse_event(2, onset_date="2021-08-02", end_date="2021-08-03")
    ),
    "fatal_ae_subject_died": change(
        adverse_events=lambda c: c.adverse_events + [FATAL_AE],
        subjects=lambda c: [dict(c.subject, status="died")],
    ),
    "withdrawn_consent_subject_withdrawn": change(
        consents=lambda c: [dict(c.consents[0], withdrawn_date="2022-04-01")],
        subjects=lambda c: [dict(c.subject, status="withdrawn")],
    ),
    "causality_for_generic_given": with_row(
        "ae_causality", {"ae_id": "AE-0001", "product_id": "NUS-LANTESENS", "causality": "unlikely"}
    ),
}


@pytest.mark.parametrize("fixer", FIXED.values(), ids=FIXED.keys())
def test_near_miss_case_passes(fixer: Callable[[Case], Case]) -> None:
    assert problems_of(fixer(full_case())) == []


@pytest.mark.parametrize(("birth_year", "flagged"), [(2008, True), (2006, False), (2001, False)])
def test_patient_signs_alone_only_when_surely_15(birth_year: int, flagged: bool) -> None:
    teenager = change(
        subjects=lambda c: [
            dict(
                c.subject,
                birth_year=birth_year,
                disease_subtype="3b",
                age_at_onset_months=40.0,
                age_at_index_months=150.0,
            )
        ],
        consents=lambda c: [dict(c.consents[0], signed_by="patient")],
    )
    expected = [("consents", 0, "signed_by", "minor_signed_by_representative")] if flagged else []
    assert problems_of(teenager(full_case())) == expected


def test_causality_may_refer_to_stored_event_and_doses() -> None:
    stored = full_case()
    follow_up = Case(
        subjects=stored.subjects,
        ae_causality=[{"ae_id": "AE-0001", "product_id": "NUS-LANTESENS", "causality": "unlikely"}],
    )
    assert {p[3] for p in problems_of(follow_up)} == {
        "causality_for_known_event",
        "suspect_was_given",
    }
    assert problems_of(follow_up, stored) == []


def test_ae_timing_uses_doses_already_stored() -> None:
    stored = full_case()
    early = adverse_event(5, onset_date="2021-07-01", end_date="2021-07-02")
    follow_up = Case(subjects=stored.subjects, adverse_events=[early])
    assert problems_of(follow_up) == []
    assert [p[2:] for p in problems_of(follow_up, stored)] == [
        ("onset_date", "ae_after_first_dose")
    ]


def test_problem_with_stored_rows_points_at_submitted_row() -> None:
    stored = full_case()
    early = adverse_event(5, onset_date="2021-07-01", end_date="2021-07-02")
    follow_up = Case(subjects=stored.subjects, adverse_events=[early])
    assert problems_of(follow_up, stored) == [
        ("adverse_events", 0, "onset_date", "ae_after_first_dose")
    ]


# --- properties ---------------------------------------------------------------------

REF = load_reference()
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(
    scale=st.sampled_from(sorted(REF.scales.index)),
    score=st.integers(min_value=-(2**53), max_value=2**53),
)
def test_score_flagged_exactly_when_outside_scale_range(scale: str, score: int) -> None:
    low, high = REF.scales.loc[scale, "min"], REF.scales.loc[scale, "max"]
    outside = score < low or (not math.isnan(high) and score > high)
    rows = [assessment(1, "2022-01-01", 10.0), assessment(2, "2022-01-01", score, scale=scale)]
    flagged = [p for p in validate_table("assessments", rows) if p.check == "score_in_scale_range"]
    assert [(p.row, p.field) for p in flagged] == ([(1, "score")] if outside else [])


OUTCOMES = REF.codes("outcomes")
CRITERIA = REF.codes("seriousness_criteria")


@FAST
@given(
    grade=st.integers(min_value=1, max_value=5),
    outcome=st.sampled_from(OUTCOMES),
    criteria=st.lists(st.sampled_from(CRITERIA), unique=True, max_size=3),
)
def test_grade5_and_fatal_rules_flag_exactly_per_rule(
    grade: int, outcome: str, criteria: list[str]
) -> None:
    ae = adverse_event(
        2, ctcae_grade=grade, outcome=outcome, serious=bool(criteria), seriousness=criteria or None
    )
    checks = {
        (p.row, p.field, p.check) for p in validate_table("adverse_events", [adverse_event(1), ae])
    }
    death = outcome == "fatal" and "death" in criteria
    assert ((1, "outcome", "grade5_is_fatal_death") in checks) == (grade == 5 and not death)
    fatal = outcome == "fatal" or "death" in criteria
    assert ((1, "ctcae_grade", "fatal_is_grade5") in checks) == (fatal and grade != 5)


# --- timing rules: causality, switches, dose intervals ---------------------------------


def _with_causality(onset: str, causality: str) -> Case:
    """The full case plus an AE on ``onset`` assessed for Lantesens (first given 2022-01-15)."""
    event = adverse_event(3, onset_date=onset, end_date=None, outcome="not_recovered")
    return with_row(
        "ae_causality", {"ae_id": "AE-0003", "product_id": "NUS-LANTESENS", "causality": causality}
    )(with_row("adverse_events", event)(full_case()))


@pytest.mark.parametrize(
    ("onset", "causality", "flagged"),
    [
        ("2022-01-13", "possible", True),  # two days before Lantesens was first given
        ("2022-01-13", "certain", True),
        ("2022-01-13", "unlikely", False),  # saying "not caused by it" is always allowed
        ("2022-01-15", "possible", False),  # the day of the first dose
        ("2022-01-20", "probable", False),
    ],
)
def test_causality_needs_the_product_given_by_onset(
    onset: str, causality: str, flagged: bool
) -> None:
    expected = [("ae_causality", 1, "causality", "causality_before_exposure")] if flagged else []
    assert problems_of(_with_causality(onset, causality)) == expected


def test_causality_timing_counts_stored_doses() -> None:
    stored = full_case()
    event = adverse_event(3, onset_date="2022-01-13", end_date=None, outcome="not_recovered")
    follow_up = Case(
        subjects=stored.subjects,
        adverse_events=[event],
        ae_causality=[{"ae_id": "AE-0003", "product_id": "NUS-LANTESENS", "causality": "possible"}],
    )
    assert problems_of(follow_up, stored) == [
        ("ae_causality", 0, "causality", "causality_before_exposure")
    ]


def test_dose_after_a_switch_away_is_flagged_on_both_rows() -> None:
    late = treatment(4, "NUS-SPINRAZA", "2022-05-20")
    found = problems_of(with_row("treatments", late)(full_case()))
    assert ("treatments", 3, "start_date", "dose_after_switch_away") in found
    assert ("treatments", 2, "switched_from", "switch_before_later_doses") in found


def test_a_switch_back_allows_the_earlier_product_again() -> None:
    back = treatment(
        4,
        "NUS-SPINRAZA",
        "2022-05-20",
        switched_from="NUS-LANTESENS",
        switch_reason="supply interruption",
    )
    assert problems_of(with_row("treatments", back)(full_case())) == []


def test_a_switch_saved_between_stored_doses_is_refused() -> None:
    """The first-day report: a switch dated between two stored Spinraza doses."""
    stored = full_case()
    stored.treatments = [
        treatment(1, "NUS-SPINRAZA", "2021-09-01"),
        treatment(2, "NUS-SPINRAZA", "2021-09-15"),
        treatment(3, "NUS-SPINRAZA", "2021-09-29"),
    ]
    stored.ae_causality = []
    switch = treatment(
        4,
        "NUS-LANTESENS",
        "2021-09-22",
        switched_from="NUS-SPINRAZA",
        switch_reason="supply interruption",
    )
    found = problems_of(Case(subjects=stored.subjects, treatments=[switch]), stored)
    assert ("treatments", 0, "switched_from", "switch_before_later_doses") in found
    assert ("treatments", 0, "start_date", "dose_interval_too_short") in found


@pytest.mark.parametrize(("second", "flagged"), [("2021-09-08", True), ("2021-09-15", False)])
def test_nusinersen_doses_at_least_14_days_apart(second: str, flagged: bool) -> None:
    case = full_case()
    case.treatments[1] = treatment(2, "NUS-SPINRAZA", second)
    found = sorted(p for p in problems_of(case) if p[3] == "dose_interval_too_short")
    assert found == (
        [
            ("treatments", 0, "start_date", "dose_interval_too_short"),
            ("treatments", 1, "start_date", "dose_interval_too_short"),
        ]
        if flagged
        else []
    )


def test_interval_counts_across_brands_of_one_substance() -> None:
    case = full_case()
    case.treatments[2] = dict(case.treatments[2], start_date="2021-09-22")
    messages = [
        p.message("en") for p in validate_case(case) if p.check == "dose_interval_too_short"
    ]
    assert (
        messages
        and "nusinersen doses must be at least 14 days apart; this one is 7 days" in messages[0]
    )


def _doses_case(gaps: list[int]) -> Case:
    case = full_case()
    day = pd.Timestamp("2021-09-01")
    rows = []
    for i, gap in enumerate([0, *gaps]):
        day += pd.Timedelta(days=gap)
        rows.append(treatment(i + 1, "NUS-SPINRAZA", day.date().isoformat()))
    case.treatments, case.ae_causality = rows, []
    return case


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 150), min_size=1, max_size=6))
def test_interval_rule_flags_exactly_the_short_gaps(gaps: list[int]) -> None:
    found = {p[1] for p in problems_of(_doses_case(gaps)) if p[3] == "dose_interval_too_short"}
    expected = {row for i, gap in enumerate(gaps) if gap < 14 for row in (i, i + 1)}
    assert found == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    onset=st.integers(-40, 40),
    causality=st.sampled_from(["certain", "probable", "possible", "unlikely", "unassessable"]),
)
def test_causality_rule_flags_exactly_attributions_before_exposure(
    onset: int, causality: str
) -> None:
    day = (pd.Timestamp("2022-01-15") + pd.Timedelta(days=onset)).date().isoformat()
    found = [
        p for p in problems_of(_with_causality(day, causality)) if p[3] != "ae_after_first_dose"
    ]
    flagged = onset < 0 and causality in ("certain", "probable", "possible")
    assert found == (
        [("ae_causality", 1, "causality", "causality_before_exposure")] if flagged else []
    )
