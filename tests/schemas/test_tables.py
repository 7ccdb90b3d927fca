"""Table-level validation: one valid-row factory per table, then table-driven bad values.

Every invalid case builds a three-row frame whose middle row (position 1) is the bad
one, so each test also checks that the problem points at the right row and field and
that the valid rows around it stay clean.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from schemas import TABLES, Problem, validate_table

ARGON2 = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
SMA_GENETICS = '{"smn1_status": "homozygous_deletion", "smn2_copies": "2"}'
SID = "MSK-ABCDEF12345{}"
NEXT_YEAR = dt.date.today().year + 1


# --- valid-row factories (i makes the row's key unique) ----------------------------


def site(i: int) -> dict[str, Any]:
    return {
        "site_code": ("MSK", "SPB", "KZN", "NSK")[i],
        "name": "Children's clinic",
        "region": "Moscow",
        "country": "RU",
    }


def user(i: int) -> dict[str, Any]:
    return {
        "username": f"user{i}",
        "password_hash": ARGON2,
        "role": "site_user",
        "site_code": "MSK",
        "active": True,
        "failed_logins": 0,
        "locked_until": None,
    }


def subject(i: int) -> dict[str, Any]:
    return {
        "subject_id": SID.format(i),
        "site_code": "MSK",
        "sex": "female",
        "birth_year": 2020,
        "disease": "SMA5Q",
        "disease_subtype": "1b",
        "genetics": SMA_GENETICS,
        "age_at_onset_months": 2.0,
        "age_at_index_months": 10.0,
        "index_date": "2021-03-01",
        "status": "active",
        "created_at": "2021-03-01T10:00:00",
        "created_by": "dr_petrova",
    }


def consent(i: int) -> dict[str, Any]:
    return {
        "subject_id": SID.format(i),
        "processing": True,
        "pooled_research": True,
        "publication": False,
        "signed_by": "legal_representative",
        "signed_date": "2021-02-20",
        "withdrawn_date": None,
    }


def treatment(i: int) -> dict[str, Any]:
    return {
        "treatment_id": f"TR-000{i}",
        "subject_id": SID.format(0),
        "product_id": "NUS-SPINRAZA",
        "dose": 12.0,
        "dose_unit": "mg",
        "route": "intrathecal",
        "start_date": "2021-03-01",
        "end_date": None,
        "lot": "AB123/4",
        "switched_from": None,
        "switch_reason": None,
    }


def assessment(i: int) -> dict[str, Any]:
    return {
        "assessment_id": f"AS-000{i}",
        "subject_id": SID.format(0),
        "visit_date": "2021-03-01",
        "scale": "CHOP-INTEND",
        "score": 30.0,
        "ventilation": "none",
        "niv_hours_per_day": None,
        "feeding": "oral",
        "motor_function": "non_sitter",
    }


def lab(i: int) -> dict[str, Any]:
    return {
        "lab_id": f"LB-000{i}",
        "subject_id": SID.format(0),
        "date": "2021-03-01",
        "test": "ALT",
        "value": 25.0,
        "unit": "U/L",
        "lower": 0.0,
        "upper": 40.0,
    }


def adverse_event(i: int) -> dict[str, Any]:
    return {
        "ae_id": f"AE-000{i}",
        "subject_id": SID.format(0),
        "verbatim_term": "headache after LP",
        "coded_term": "HEADACHE",
        "body_system": "Nervous system disorders",
        "onset_date": "2021-03-02",
        "end_date": "2021-03-04",
        "ctcae_grade": 1,
        "serious": False,
        "seriousness": None,
        "action_taken": "dose_not_changed",
        "outcome": "recovered",
    }


def causality(i: int) -> dict[str, Any]:
    return {"ae_id": f"AE-000{i}", "product_id": "NUS-SPINRAZA", "causality": "possible"}


def narrative(i: int) -> dict[str, Any]:
    return {
        "narrative_id": f"NR-000{i}",
        "subject_id": SID.format(0),
        "visit_date": "2021-03-01",
        "language": "ru",
        "text_scrubbed": "Пациент <PERSON> получил 3-е введение.",
        "redaction_counts": '{"PERSON": 1}',
        "created_at": "2021-03-01T12:00:00",
    }


FACTORIES: dict[str, Callable[[int], dict[str, Any]]] = {
    "sites": site,
    "users": user,
    "subjects": subject,
    "consents": consent,
    "treatments": treatment,
    "assessments": assessment,
    "labs": lab,
    "adverse_events": adverse_event,
    "ae_causality": causality,
    "narratives": narrative,
}


def frame(table: str, **bad: Any) -> list[dict[str, Any]]:
    """Three valid rows of ``table``; the middle one (row 1) gets the ``bad`` values."""
    rows = [FACTORIES[table](i) for i in range(3)]
    rows[1].update(bad)
    return rows


def find(problems: list[Problem], row: int | None, field: str, check: str) -> Problem:
    """The problem at (row, field) whose check is ``check`` or ``check(...)``."""
    hits = [
        p
        for p in problems
        if p.row == row
        and p.field == field
        and (p.check == check or p.check.startswith(check + "("))
    ]
    assert hits, f"no {check} problem at row {row}, field {field}; got {problems}"
    return hits[0]


def assert_readable(problem: Problem) -> None:
    assert problem.message_en and problem.message_ru
    assert problem.message_en != problem.message_ru


# --- valid frames --------------------------------------------------------------------


@pytest.mark.parametrize("table", list(FACTORIES))
def test_valid_frame_has_no_problems(table: str) -> None:
    assert validate_table(table, frame(table)) == []


@pytest.mark.parametrize("table", list(FACTORIES))
def test_valid_dataframe_has_no_problems(table: str) -> None:
    assert validate_table(table, pd.DataFrame(frame(table))) == []


def test_every_clinical_and_admin_table_has_a_factory() -> None:
    assert set(FACTORIES) == set(TABLES) - {"products"}


# --- one bad value per row: table, bad values, field, check -------------------------

ENUM = [
    ("users", {"role": "root"}, "role", "isin"),
    ("subjects", {"sex": "x"}, "sex", "isin"),
    ("subjects", {"disease": "DMD"}, "disease", "isin"),
    ("subjects", {"status": "alive"}, "status", "isin"),
    ("consents", {"signed_by": "parent"}, "signed_by", "isin"),
    ("treatments", {"route": "iv"}, "route", "isin"),
    ("treatments", {"product_id": "XYZ"}, "product_id", "isin"),
    ("treatments", {"switched_from": "XYZ", "switch_reason": "supply"}, "switched_from", "isin"),
    ("assessments", {"scale": "MFM-32"}, "scale", "isin"),
    ("assessments", {"ventilation": "cpap"}, "ventilation", "isin"),
    ("assessments", {"feeding": "parenteral"}, "feeding", "isin"),
    ("assessments", {"motor_function": "crawler"}, "motor_function", "isin"),
    ("labs", {"test": "HB"}, "test", "isin"),
    ("adverse_events", {"action_taken": "stopped"}, "action_taken", "isin"),
    ("adverse_events", {"outcome": "died"}, "outcome", "isin"),
    ("ae_causality", {"causality": "likely"}, "causality", "isin"),
    ("ae_causality", {"product_id": "XYZ"}, "product_id", "isin"),
    ("narratives", {"language": "de"}, "language", "isin"),
]

RANGE = [
    ("users", {"failed_logins": -1}, "failed_logins", "greater_than_or_equal_to"),
    ("subjects", {"birth_year": 1899}, "birth_year", "greater_than_or_equal_to"),
    (
        "subjects",
        {"disease_subtype": "4", "age_at_onset_months": 1201.0, "age_at_index_months": 1300.0},
        "age_at_onset_months",
        "less_than_or_equal_to",
    ),
    ("subjects", {"age_at_index_months": 1501.0}, "age_at_index_months", "less_than_or_equal_to"),
    ("treatments", {"dose": 0.0}, "dose", "greater_than"),
    ("assessments", {"score": -1.0}, "score", "greater_than_or_equal_to"),
    (
        "assessments",
        {"ventilation": "niv", "niv_hours_per_day": 25.0},
        "niv_hours_per_day",
        "in_range",
    ),
    ("labs", {"value": -1.0}, "value", "greater_than_or_equal_to"),
    ("labs", {"lower": None, "upper": 0.0}, "upper", "greater_than"),
    ("adverse_events", {"ctcae_grade": 0}, "ctcae_grade", "in_range"),
    ("adverse_events", {"ctcae_grade": 6}, "ctcae_grade", "in_range"),
    ("adverse_events", {"verbatim_term": "x"}, "verbatim_term", "str_length"),
    ("sites", {"name": "X"}, "name", "str_length"),
    (
        "treatments",
        {"switched_from": "NUS-LANTESENS", "switch_reason": "x" * 501},
        "switch_reason",
        "str_length",
    ),
    ("narratives", {"text_scrubbed": ""}, "text_scrubbed", "str_length"),
    ("narratives", {"text_scrubbed": "a" * 20_001}, "text_scrubbed", "str_length"),
]

WRONG_TYPE = [
    ("users", {"failed_logins": "many"}, "failed_logins", "coerce_dtype"),
    ("users", {"locked_until": "tomorrow"}, "locked_until", "coerce_dtype"),
    ("subjects", {"birth_year": "2020a"}, "birth_year", "coerce_dtype"),
    pytest.param(
        "subjects",
        {"index_date": "not a date"},
        "index_date",
        "coerce_dtype",
    ),
    ("consents", {"signed_date": "soon"}, "signed_date", "coerce_dtype"),
    ("treatments", {"dose": "twelve"}, "dose", "coerce_dtype"),
    ("assessments", {"score": "high"}, "score", "coerce_dtype"),
    ("labs", {"value": "raised"}, "value", "coerce_dtype"),
    ("adverse_events", {"ctcae_grade": "severe"}, "ctcae_grade", "coerce_dtype"),
    ("narratives", {"visit_date": "yesterday"}, "visit_date", "coerce_dtype"),
]

MISSING = [
    ("sites", {"name": None}, "name", "not_nullable"),
    ("users", {"password_hash": None}, "password_hash", "not_nullable"),
    ("subjects", {"sex": None}, "sex", "not_nullable"),
    ("consents", {"signed_date": None}, "signed_date", "not_nullable"),
    ("treatments", {"start_date": None}, "start_date", "not_nullable"),
    ("assessments", {"visit_date": None}, "visit_date", "not_nullable"),
    ("labs", {"value": None}, "value", "not_nullable"),
    ("adverse_events", {"onset_date": None}, "onset_date", "not_nullable"),
    ("ae_causality", {"causality": None}, "causality", "not_nullable"),
    ("narratives", {"created_at": None}, "created_at", "not_nullable"),
]

PATTERN = [
    ("sites", {"site_code": "spb"}, "site_code", "str_matches"),
    ("sites", {"site_code": "ABCDEFGHI"}, "site_code", "str_matches"),
    ("sites", {"country": "RUS"}, "country", "str_matches"),
    ("users", {"username": "Dr Petrova"}, "username", "str_matches"),
    ("users", {"site_code": "msk"}, "site_code", "str_matches"),
    ("subjects", {"subject_id": "MSK-ABC"}, "subject_id", "str_matches"),
    ("consents", {"subject_id": "MSK-abcdef123451"}, "subject_id", "str_matches"),
    ("treatments", {"treatment_id": "T1"}, "treatment_id", "str_matches"),
    ("assessments", {"assessment_id": "-AS-1"}, "assessment_id", "str_matches"),
    ("labs", {"lab_id": "LB 1"}, "lab_id", "str_matches"),
    ("adverse_events", {"subject_id": "AE-0001"}, "subject_id", "str_matches"),
    ("ae_causality", {"ae_id": "A"}, "ae_id", "str_matches"),
    ("narratives", {"narrative_id": "N!"}, "narrative_id", "str_matches"),
]

SUBJECT_RULES = [
    ("subjects", {"site_code": "SPB"}, "subject_id", "subject_id_has_site_prefix"),
    ("subjects", {"disease_subtype": "5"}, "disease_subtype", "subtype_fits_disease"),
    ("subjects", {"disease_subtype": "r-axSpA"}, "disease_subtype", "subtype_fits_disease"),
    ("subjects", {"genetics": None}, "genetics", "genetics_fit_disease"),
    (
        "subjects",
        {"genetics": '{"smn1_status": "homozygous_deletion"}'},
        "genetics",
        "genetics_fit_disease",
    ),
    (
        "subjects",
        {"genetics": '{"smn1_status": "homozygous_deletion", "smn2_copies": "6"}'},
        "genetics",
        "genetics_fit_disease",
    ),
    (
        "subjects",
        {"genetics": '{"smn1_status": "deleted", "smn2_copies": "2"}'},
        "genetics",
        "genetics_fit_disease",
    ),
    (
        "subjects",
        {"genetics": SMA_GENETICS[:-1] + ', "hla_b27": "positive"}'},
        "genetics",
        "genetics_fit_disease",
    ),
    ("subjects", {"genetics": "SMN1 deleted"}, "genetics", "genetics_fit_disease"),
    (
        "subjects",
        {"disease_subtype": "1c", "age_at_onset_months": 2.0},
        "age_at_onset_months",
        "onset_fits_subtype",
    ),
    (
        "subjects",
        {"disease_subtype": "presymptomatic", "age_at_onset_months": 2.0},
        "age_at_onset_months",
        "onset_fits_subtype",
    ),
    ("subjects", {"age_at_onset_months": None}, "age_at_onset_months", "onset_fits_subtype"),
    (
        "subjects",
        {"disease_subtype": "2a", "age_at_onset_months": 12.0, "age_at_index_months": 10.0},
        "age_at_onset_months",
        "onset_before_index",
    ),
    (
        "subjects",
        {"birth_year": NEXT_YEAR, "index_date": f"{NEXT_YEAR}-06-01"},
        "birth_year",
        "birth_year_not_future",
    ),
    ("subjects", {"index_date": "2018-12-31"}, "index_date", "index_after_birth"),
]

CONSENT_RULES = [
    ("consents", {"processing": False}, "processing", "processing_consent_given"),
    ("consents", {"processing": None}, "processing", "processing_consent_given"),
    ("consents", {"withdrawn_date": "2021-02-19"}, "withdrawn_date", "withdrawal_after_signing"),
]

SWITCH = {"product_id": "NUS-LANTESENS", "switched_from": "NUS-SPINRAZA"}
TREATMENT_RULES = [
    ("treatments", {"end_date": "2021-02-28"}, "end_date", "end_not_before_start"),
    ("treatments", {"dose": 10.0}, "dose", "dose_fits_regimen"),
    ("treatments", {"dose": 12.0, "dose_unit": "mL"}, "dose", "dose_fits_regimen"),
    (
        "treatments",
        {
            "product_id": "ONA-ZOLGENSMA",
            "route": "intravenous",
            "dose": 1.0e14,
            "dose_unit": "vg/kg",
        },
        "dose",
        "dose_fits_regimen",
    ),
    (
        "treatments",
        {"product_id": "ONA-ZOLGENSMA", "route": "intravenous", "dose": 1.1e14, "dose_unit": "vg"},
        "dose",
        "dose_fits_regimen",
    ),
    (
        "treatments",
        {"product_id": "RIS-EVRYSDI", "route": "oral", "dose": 5.0, "dose_unit": "mg/kg"},
        "dose",
        "dose_fits_regimen",
    ),
    (
        "treatments",
        {"product_id": "RIS-EVRYSDI", "route": "oral", "dose": 0.3, "dose_unit": "mg/kg"},
        "dose",
        "dose_fits_regimen",
    ),
    (
        "treatments",
        {"product_id": "SEN-SENIPRUTUG", "route": "intravenous", "dose": 3.0, "dose_unit": "mg"},
        "dose",
        "dose_fits_regimen",
    ),
    ("treatments", {"route": "intravenous"}, "route", "route_fits_product"),
    (
        "treatments",
        {"product_id": "ONA-ZOLGENSMA", "dose": 1.1e14, "dose_unit": "vg/kg", "route": "oral"},
        "route",
        "route_fits_product",
    ),
    ("treatments", {**SWITCH, "switch_reason": None}, "switch_reason", "switch_has_reason"),
    ("treatments", {**SWITCH, "switch_reason": "   "}, "switch_reason", "switch_has_reason"),
    ("treatments", {"switch_reason": "supply interruption"}, "switch_reason", "switch_has_reason"),
    (
        "treatments",
        {"switched_from": "NUS-SPINRAZA", "switch_reason": "x"},
        "switched_from",
        "switch_from_other_product",
    ),
    ("treatments", {"lot": "lot no. 5, box 2"}, "lot", "lot_format"),
    ("treatments", {"lot": "A" * 41}, "lot", "lot_format"),
]

ASSESSMENT_RULES = [
    ("assessments", {"scale": "CHOP-INTEND", "score": 65.0}, "score", "score_in_scale_range"),
    ("assessments", {"scale": "HFMSE", "score": 67.0}, "score", "score_in_scale_range"),
    ("assessments", {"scale": "RULM", "score": 38.0}, "score", "score_in_scale_range"),
    ("assessments", {"scale": "HINE-2", "score": 27.0}, "score", "score_in_scale_range"),
    ("assessments", {"scale": "BASDAI", "score": 10.5}, "score", "score_in_scale_range"),
    ("assessments", {"scale": "BASFI", "score": 11.0}, "score", "score_in_scale_range"),
    ("assessments", {"scale": "CHOP-INTEND", "score": 30.5}, "score", "score_is_whole"),
    ("assessments", {"scale": "HFMSE", "score": 0.5}, "score", "score_is_whole"),
    (
        "assessments",
        {"ventilation": "niv", "niv_hours_per_day": None},
        "niv_hours_per_day",
        "niv_hours_with_niv",
    ),
    (
        "assessments",
        {"ventilation": "invasive", "niv_hours_per_day": 8.0},
        "niv_hours_per_day",
        "niv_hours_with_niv",
    ),
    (
        "assessments",
        {"ventilation": None, "niv_hours_per_day": 8.0},
        "niv_hours_per_day",
        "niv_hours_with_niv",
    ),
]

LAB_RULES = [
    ("labs", {"unit": "mmol/L"}, "unit", "unit_fits_test"),
    (
        "labs",
        {"test": "PLT", "unit": "U/L", "lower": 150.0, "upper": 450.0},
        "unit",
        "unit_fits_test",
    ),
    ("labs", {"lower": 40.0, "upper": 40.0}, "upper", "range_ordered"),
]

DEATH = {"serious": True, "seriousness": ["death"]}
AE_RULES = [
    ("adverse_events", {"coded_term": "MIGRAINE"}, "coded_term", "term_is_listed"),
    ("adverse_events", {"coded_term": "Headache"}, "coded_term", "term_is_listed"),
    (
        "adverse_events",
        {"body_system": "Gastrointestinal disorders"},
        "body_system",
        "body_system_fits_term",
    ),
    ("adverse_events", {"end_date": "2021-03-01"}, "end_date", "end_not_before_start"),
    (
        "adverse_events",
        {"serious": True, "seriousness": ["hospitalised"]},
        "seriousness",
        "criteria_are_known",
    ),
    ("adverse_events", {"serious": True}, "serious", "serious_iff_criteria"),
    ("adverse_events", {"seriousness": ["hospitalisation"]}, "serious", "serious_iff_criteria"),
    ("adverse_events", {"ctcae_grade": 5, **DEATH}, "outcome", "grade5_is_fatal_death"),
    (
        "adverse_events",
        {"ctcae_grade": 5, "serious": True, "seriousness": ["hospitalisation"], "outcome": "fatal"},
        "outcome",
        "grade5_is_fatal_death",
    ),
    (
        "adverse_events",
        {"ctcae_grade": 4, **DEATH, "outcome": "fatal"},
        "ctcae_grade",
        "fatal_is_grade5",
    ),
    ("adverse_events", {"ctcae_grade": 3, **DEATH}, "ctcae_grade", "fatal_is_grade5"),
    ("adverse_events", {"end_date": None}, "end_date", "end_date_fits_outcome"),
    (
        "adverse_events",
        {"ctcae_grade": 5, **DEATH, "outcome": "fatal", "end_date": None},
        "end_date",
        "end_date_fits_outcome",
    ),
    ("adverse_events", {"outcome": "recovering"}, "end_date", "end_date_fits_outcome"),
    ("adverse_events", {"outcome": "not_recovered"}, "end_date", "end_date_fits_outcome"),
]

NARRATIVE_RULES = [
    ("narratives", {"redaction_counts": value}, "redaction_counts", "redaction_counts_json")
    for value in (
        '{"PERSON": -1}',
        '{"PERSON": 1.5}',
        '{"PERSON": true}',
        '{"PERSON": "1"}',
        "[1, 2]",
        "PERSON=1",
        "",
    )
]

USER_RULES = [
    (
        "users",
        {"password_hash": "$argon2i$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"},
        "password_hash",
        "password_is_argon2",
    ),
    (
        "users",
        {"password_hash": "$2b$12$abcdefghijklmnopqrstuv"},
        "password_hash",
        "password_is_argon2",
    ),
    ("users", {"site_code": None}, "site_code", "site_user_has_site"),
]

INVALID = (
    ENUM
    + RANGE
    + WRONG_TYPE
    + MISSING
    + PATTERN
    + SUBJECT_RULES
    + CONSENT_RULES
    + TREATMENT_RULES
    + ASSESSMENT_RULES
    + LAB_RULES
    + AE_RULES
    + NARRATIVE_RULES
    + USER_RULES
)


def case_id(case: Any) -> str:
    table, _, field, check = getattr(case, "values", case)
    return f"{table}.{field}.{check}"


@pytest.mark.parametrize(("table", "bad", "field", "check"), INVALID, ids=map(case_id, INVALID))
def test_bad_value_names_table_row_and_field(
    table: str, bad: dict[str, Any], field: str, check: str
) -> None:
    problems = validate_table(table, frame(table, **bad))
    problem = find(problems, 1, field, check)
    assert problem.table == table
    assert_readable(problem)
    assert {p.row for p in problems} == {1}, "the valid rows around the bad one are flagged"


# Boolean columns accept any text: "no" and "false" are coerced to True, None to False.
BOOL_TEXT = [
    ("consents", {"processing": "no"}, "processing"),
    ("consents", {"pooled_research": "no"}, "pooled_research"),
    ("users", {"active": "false"}, "active"),
    ("users", {"active": None}, "active"),
]


@pytest.mark.parametrize(("table", "bad", "field"), BOOL_TEXT)
def test_text_in_boolean_field_is_a_problem(table: str, bad: dict[str, Any], field: str) -> None:
    problems = validate_table(table, frame(table, **bad))
    assert [p for p in problems if p.row == 1 and p.field == field]


# --- key and column problems --------------------------------------------------------


def test_text_in_the_boolean_field_of_every_row_is_a_problem_per_row() -> None:
    """A column holding only text is typed as text: blanking it must not crash."""
    rows = [{**row, "processing": "да"} for row in frame("consents")]
    problems = validate_table("consents", rows)
    assert {p.row for p in problems if p.check == "boolean"} == set(range(len(rows)))


@pytest.mark.parametrize("table", list(FACTORIES))
def test_duplicate_key_flags_both_rows(table: str) -> None:
    rows = frame(table)
    rows[2] = dict(rows[1])
    problems = validate_table(table, rows)
    key = TABLES[table].key
    check = "field_uniqueness" if len(key) == 1 else "multiple_fields_uniqueness"
    for row in (1, 2):
        for column in key:
            assert_readable(find(problems, row, column, check))
    assert {p.row for p in problems} == {1, 2}


@pytest.mark.parametrize("table", list(FACTORIES))
def test_unknown_column_is_named(table: str) -> None:
    problems = validate_table(table, frame(table, shoe_size=42))
    problem = find(problems, None, "shoe_size", "column_in_schema")
    assert problem.table == table
    assert_readable(problem)


@pytest.mark.parametrize("table", list(FACTORIES))
def test_missing_column_is_named(table: str) -> None:
    column = TABLES[table].key[0]
    rows = [{k: v for k, v in row.items() if k != column} for row in frame(table)]
    problem = find(validate_table(table, rows), None, column, "column_in_dataframe")
    assert problem.table == table
    assert_readable(problem)


# --- near misses that must pass -----------------------------------------------------

VALID_EDGES = [
    ("sites", {"site_code": "AB"}),
    ("sites", {"site_code": "ABCDEFGH"}),
    ("users", {"role": "coordinator", "site_code": None}),
    ("users", {"role": "admin", "site_code": None, "locked_until": "2030-01-01T00:00:00"}),
    ("subjects", {"disease_subtype": "presymptomatic", "age_at_onset_months": None}),
    ("subjects", {"disease_subtype": "1c", "age_at_onset_months": 3.0}),
    ("subjects", {"disease_subtype": "1c", "age_at_onset_months": 6.0}),
    (
        "subjects",
        {"disease_subtype": "3b", "age_at_onset_months": 36.0, "age_at_index_months": 36.0},
    ),
    ("subjects", {"genetics": '{"smn1_status": "compound_heterozygous", "smn2_copies": ">=5"}'}),
    ("subjects", {"genetics": '{"smn1_status": "other", "smn2_copies": 3}'}),
    (
        "subjects",
        {
            "disease": "AS",
            "disease_subtype": "r-axSpA",
            "age_at_onset_months": None,
            "genetics": '{"hla_b27": "positive"}',
            "birth_year": 1990,
        },
    ),
    (
        "subjects",
        {
            "disease": "AS",
            "disease_subtype": "nr-axSpA",
            "age_at_onset_months": 300.0,
            "genetics": "{}",
            "birth_year": 1990,
            "age_at_index_months": 370.0,
        },
    ),
    ("subjects", {"index_date": "2019-01-01"}),
    ("consents", {"withdrawn_date": "2021-02-20"}),
    ("consents", {"pooled_research": False, "publication": False}),
    ("treatments", {"end_date": "2021-03-01"}),
    ("treatments", {"lot": None}),
    ("treatments", {"lot": "Л-2021/05.1"}),
    ("treatments", {**SWITCH, "switch_reason": "supply interruption"}),
    ("treatments", {"product_id": "NUS-LANTESENS", "dose": 12.0}),
    (
        "treatments",
        {
            "product_id": "ONA-ZOLGENSMA",
            "route": "intravenous",
            "dose": 1.1e14,
            "dose_unit": "vg/kg",
        },
    ),
    ("treatments", {"product_id": "RIS-EVRYSDI", "route": "oral", "dose": 5.0, "dose_unit": "mg"}),
    (
        "treatments",
        {"product_id": "RIS-EVRYSDI", "route": "oral", "dose": 0.15, "dose_unit": "mg/kg"},
    ),
    (
        "treatments",
        {"product_id": "SEN-SENIPRUTUG", "route": "intravenous", "dose": 7.5, "dose_unit": "mg/kg"},
    ),
    ("assessments", {"scale": "CHOP-INTEND", "score": 0.0}),
    ("assessments", {"scale": "CHOP-INTEND", "score": 64.0}),
    ("assessments", {"scale": "HFMSE", "score": 66.0}),
    ("assessments", {"scale": "RULM", "score": 37.0}),
    ("assessments", {"scale": "HINE-2", "score": 26.0}),
    ("assessments", {"scale": "BASDAI", "score": 10.0}),
    ("assessments", {"scale": "BASDAI", "score": 4.5}),
    ("assessments", {"scale": "6MWT", "score": 412.5}),
    ("assessments", {"scale": "ASDAS-CRP", "score": 3.7}),
    ("assessments", {"ventilation": "niv", "niv_hours_per_day": 24.0}),
    ("assessments", {"ventilation": "niv", "niv_hours_per_day": 0.0}),
    ("assessments", {"ventilation": None, "feeding": None, "motor_function": None}),
    ("labs", {"lower": None, "upper": None}),
    ("labs", {"test": "U-PROT", "unit": "g/L", "value": 0.0, "lower": 0.0, "upper": 0.14}),
    ("adverse_events", {"end_date": "2021-03-02"}),
    ("adverse_events", {"outcome": "unknown", "end_date": None}),
    ("adverse_events", {"outcome": "unknown"}),
    ("adverse_events", {"outcome": "recovering", "end_date": None}),
    (
        "adverse_events",
        {
            "ctcae_grade": 3,
            "serious": True,
            "outcome": "recovered_with_sequelae",
            "seriousness": ["hospitalisation", "disability"],
        },
    ),
    ("adverse_events", {"ctcae_grade": 3, "serious": True, "seriousness": '["hospitalisation"]'}),
    ("adverse_events", {"ctcae_grade": 5, **DEATH, "outcome": "fatal"}),
    ("ae_causality", {"ae_id": "AE-0000", "product_id": "NUS-LANTESENS"}),
    ("narratives", {"redaction_counts": "{}"}),
    ("narratives", {"redaction_counts": '{"PERSON": 0, "RU_SNILS": 2}'}),
    ("narratives", {"language": "en", "text_scrubbed": "a" * 20_000}),
]


def edge_id(edge: tuple[str, dict[str, Any]]) -> str:
    table, values = edge
    return table + ":" + ",".join(f"{k}={v}" for k, v in values.items())[:60]


@pytest.mark.parametrize(("table", "values"), VALID_EDGES, ids=map(edge_id, VALID_EDGES))
def test_near_miss_passes(table: str, values: dict[str, Any]) -> None:
    assert validate_table(table, frame(table, **values)) == []


def test_subject_without_genetics_passes_when_no_marker_is_required() -> None:
    values = {
        "disease": "AS",
        "disease_subtype": "r-axSpA",
        "age_at_onset_months": None,
        "genetics": None,
        "birth_year": 1990,
    }
    assert validate_table("subjects", frame("subjects", **values)) == []


# --- how problems are reported ------------------------------------------------------


def test_row_is_position_not_frame_label() -> None:
    rows = pd.DataFrame(frame("assessments", score=65.0), index=[10, 20, 30])
    problems = validate_table("assessments", rows)
    assert [(p.row, p.field, p.check) for p in problems] == [(1, "score", "score_in_scale_range")]


def test_problem_value_is_the_offending_value() -> None:
    problem = find(
        validate_table("labs", frame("labs", unit="mmol/L")), 1, "unit", "unit_fits_test"
    )
    assert problem.value == "mmol/L"


def test_describe_names_row_field_and_value_in_both_languages() -> None:
    problem = find(
        validate_table("labs", frame("labs", unit="mmol/L")), 1, "unit", "unit_fits_test"
    )
    assert (
        problem.describe("en") == "labs row 1, unit = 'mmol/L': unit is not the unit of this test"
    )
    assert problem.describe("ru").startswith("labs строка 1, unit = 'mmol/L': ")
    assert problem.describe("ru").endswith(problem.message_ru)


def test_all_problems_are_reported_at_once() -> None:
    rows = frame("labs", unit="mmol/L")
    rows[2].update(value=-5.0)
    problems = validate_table("labs", rows)
    assert {(p.row, p.field) for p in problems} == {(1, "unit"), (2, "value")}


def test_empty_table_is_valid() -> None:
    assert validate_table("subjects", []) == []


def test_a_subject_row_with_empty_dates_and_years_warns_nothing() -> None:
    """A NaN comparison in a check printed a NumPy RuntimeWarning into the served app's log."""
    import warnings

    row = {
        "subject_id": "MSK-ABCDEF123456",
        "site_code": "MSK",
        "sex": None,
        "birth_year": None,
        "disease": "SMA5Q",
        "disease_subtype": None,
        "genetics": None,
        "age_at_onset_months": None,
        "age_at_index_months": None,
        "index_date": None,
        "status": "active",
        "created_at": "2026-01-01T00:00:00",
        "created_by": "u",
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        validate_table("subjects", [row])
    assert [w for w in caught if issubclass(w.category, RuntimeWarning)] == []


@pytest.mark.parametrize("score", [70.0, float("nan"), float("inf")])
def test_score_range_message_quotes_only_a_real_number(score: float) -> None:
    row = {
        "assessment_id": "AS-ABCDEF123456-0001",
        "subject_id": "MSK-ABCDEF123456",
        "visit_date": "2026-01-01",
        "scale": "CHOP-INTEND",
        "score": score,
        "ventilation": None,
        "niv_hours_per_day": None,
        "feeding": None,
        "motor_function": None,
    }
    messages = [p.message("en") for p in validate_table("assessments", [row])]
    if score == 70.0:
        assert "CHOP INTEND is 0–64; 70 is out of range" in messages
    else:
        assert not any("nan" in m or "inf" in m for m in messages), messages
