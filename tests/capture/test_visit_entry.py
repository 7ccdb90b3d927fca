"""Recording visits: reference-driven inputs, row building, saving, problem placement."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from schemas import validate_table
from schemas.common import ROW_ID
from schemas.errors import ValidationFailed
from tests.warehouse_fixtures import audit_count, file_db, make_case, site_user  # noqa: F401
from warehouse.capture.entry_problems import GENERAL, place
from warehouse.capture.subjects_lookup import OpenSubject, open_subject
from warehouse.capture.visit_entry import (
    LabInput,
    NothingToRecord,
    VisitInput,
    disease_name,
    lab_key,
    lab_tests_for,
    required_problems,
    save_visit,
    scales_for,
    score_key,
    visit_locator,
    visit_rows,
    visit_summary,
)
from warehouse.store.cases import load_case, save_case
from warehouse.store.db import Database

SUBJECT = OpenSubject("MSK-ABCDEFGHJKLM", "MSK", date_shift_days=-40, exists=True)
VISIT = VisitInput(
    visit_date=dt.date(2023, 5, 20),
    scores={"HFMSE": 35, "RULM": 20},
    ventilation="niv",
    niv_hours_per_day=8,
    feeding="oral",
    motor_function="sitter",
    labs=(LabInput("PLT", 210.0, 150.0, 450.0), LabInput("ALT", 31.0, 0.0, 40.0)),
)


def test_scales_for_sma_with_exact_bounds() -> None:
    scales = {s.code: s for s in scales_for("SMA5Q")}
    assert list(scales) == ["CHOP-INTEND", "HFMSE", "RULM", "HINE-2", "6MWT"]
    bounds = {code: (s.min, s.max, s.integer) for code, s in scales.items()}
    assert bounds == {
        "CHOP-INTEND": (0, 64, True),
        "HFMSE": (0, 66, True),
        "RULM": (0, 37, True),
        "HINE-2": (0, 26, True),
        "6MWT": (0, None, False),
    }
    assert scales["HFMSE"].step == 1 and scales["6MWT"].step == 0.1
    assert scales["6MWT"].unit == "m" and scales["HFMSE"].name("ru").startswith("Расширенная")


def test_scales_and_labs_follow_the_disease() -> None:
    assert [s.code for s in scales_for("AS")] == ["ASDAS-CRP", "BASDAI", "BASFI"]
    assert [s.max for s in scales_for("AS")] == [None, 10, 10]
    assert scales_for("NOT-A-DISEASE") == [] and lab_tests_for("NOT-A-DISEASE") == []
    assert "CRP" in [lab.code for lab in lab_tests_for("AS")]
    assert "CRP" not in [lab.code for lab in lab_tests_for("SMA5Q")]


def test_lab_tests_carry_unit_and_default_range() -> None:
    labs = {lab.code: (lab.unit, lab.lower, lab.upper) for lab in lab_tests_for("SMA5Q")}
    assert labs == {
        "ALT": ("U/L", 0, 40),
        "AST": ("U/L", 0, 40),
        "PLT": ("10^9/L", 150, 450),
        "TROP-I": ("ng/L", 0, 26),
        "U-PROT": ("g/L", 0, 0.14),
    }


def test_disease_name() -> None:
    assert disease_name("SMA5Q", "en") == "5q spinal muscular atrophy"
    assert disease_name("SMA5Q", "ru") == "Спинальная мышечная атрофия 5q"
    assert disease_name("XYZ", "en") == "XYZ"


def test_visit_rows_shift_dates_and_fill_every_field() -> None:
    rows = visit_rows(SUBJECT, VISIT)
    assessments, labs = rows["assessments"], rows["labs"]
    assert [a["scale"] for a in assessments] == ["HFMSE", "RULM"]
    assert {a["visit_date"] for a in assessments} == {dt.date(2023, 4, 10)}  # 40 days earlier
    assert {lab["date"] for lab in labs} == {dt.date(2023, 4, 10)}
    assert assessments[0] | {"assessment_id": "x"} == {
        "assessment_id": "x",
        "subject_id": SUBJECT.subject_id,
        "visit_date": dt.date(2023, 4, 10),
        "scale": "HFMSE",
        "score": 35.0,
        "ventilation": "niv",
        "niv_hours_per_day": 8.0,
        "feeding": "oral",
        "motor_function": "sitter",
    }
    assert [(lab["test"], lab["unit"]) for lab in labs] == [("PLT", "10^9/L"), ("ALT", "U/L")]
    ids = [a["assessment_id"] for a in assessments] + [lab["lab_id"] for lab in labs]
    assert len(set(ids)) == 4 and all(re.match(ROW_ID, i) for i in ids)
    assert ids[0].startswith("AS-ABCDEFGHJKLM-") and ids[2].startswith("LB-ABCDEFGHJKLM-")


def test_labs_only_visit_has_no_assessment_rows() -> None:
    rows = visit_rows(SUBJECT, VisitInput(dt.date(2023, 1, 1), {}, labs=VISIT.labs))
    assert list(rows) == ["labs"]


def test_empty_visit_is_refused() -> None:
    with pytest.raises(NothingToRecord):
        visit_rows(SUBJECT, VisitInput(dt.date(2023, 1, 1), {}))


def test_required_problems_name_each_empty_field() -> None:
    visit = VisitInput(None, {"HFMSE": None, "RULM": 3}, labs=(LabInput("ALT", None),))
    found = {(p.table, p.row, p.field) for p in required_problems(visit)}
    assert found == {
        ("assessments", 0, "visit_date"),
        ("assessments", 0, "score"),
        ("labs", 0, "value"),
    }
    assert required_problems(VISIT) == []


def test_locator_puts_problems_under_their_widgets() -> None:
    visit = VisitInput(
        dt.date(2023, 1, 1),
        {"HFMSE": 35, "RULM": 40},  # RULM tops out at 37
        ventilation="niv",  # ... and NIV needs its hours
        labs=(LabInput("PLT", 200.0, 450.0, 150.0),),  # range upside down
    )
    rows = visit_rows(SUBJECT, visit)
    problems = validate_table("assessments", rows["assessments"])
    problems += validate_table("labs", rows["labs"])
    placed = place(problems, visit_locator(visit))
    assert placed.messages(score_key("RULM"), "en") == [
        "Revised Upper Limb Module is 0–37; 40 is out of range"
    ]
    assert placed.messages("visit_niv_hours", "en") == [
        "NIV hours per day are given only (and always) with non-invasive ventilation"
    ]
    assert placed.messages(lab_key("PLT", "upper"), "en") == [
        "upper normal limit is not above the lower limit"
    ]
    assert score_key("HFMSE") not in placed.fields() and GENERAL not in placed.fields()


def test_visit_summary() -> None:
    assert visit_summary(VISIT) == ("HFMSE 35, RULM 20", "PLT 210 10^9/L, ALT 31 U/L")
    assert visit_summary(VisitInput(dt.date(2023, 1, 1), {"6MWT": 312.5})) == ("6MWT 312.5", "-")


@pytest.fixture
def saved_subject(file_db: Database) -> OpenSubject:  # noqa: F811
    save_case(site_user(file_db), make_case(file_db, "MSK", "VISIT-UNIT-1"))
    return open_subject(site_user(file_db), "VISIT-UNIT-1")


def test_save_visit_writes_all_rows_in_one_audited_transaction(
    file_db: Database,  # noqa: F811
    saved_subject: OpenSubject,
) -> None:
    before = audit_count(file_db)
    summary = save_visit(site_user(file_db), saved_subject, VISIT)
    assert summary.rows == {"assessments": 2, "labs": 2}
    assert audit_count(file_db) == before + 4  # one entry per row, written together
    case = load_case(site_user(file_db), saved_subject.subject_id)
    shifted = dt.date(2023, 5, 20) + dt.timedelta(days=saved_subject.date_shift_days)
    assert {a["visit_date"] for a in case.assessments if a["scale"] == "HFMSE"} == {shifted}


def test_invalid_visit_stores_nothing(file_db: Database, saved_subject: OpenSubject) -> None:  # noqa: F811
    before = audit_count(file_db)
    bad = VisitInput(dt.date(2023, 5, 20), {"HFMSE": 35, "RULM": 40}, labs=VISIT.labs)
    with pytest.raises(ValidationFailed) as raised:
        save_visit(site_user(file_db), saved_subject, bad)
    assert [(p.table, p.row, p.check) for p in raised.value.problems] == [
        ("assessments", 1, "score_in_scale_range")
    ]
    assert audit_count(file_db) == before
    assert len(load_case(site_user(file_db), saved_subject.subject_id).assessments) == 1


def test_missing_values_are_reported_with_other_problems(
    file_db: Database,  # noqa: F811
    saved_subject: OpenSubject,
) -> None:
    bad = VisitInput(dt.date(2023, 5, 20), {"HFMSE": None, "RULM": 40})
    with pytest.raises(ValidationFailed) as raised:
        save_visit(site_user(file_db), saved_subject, bad)
    assert {(p.row, p.check) for p in raised.value.problems} == {
        (0, "not_nullable"),
        (1, "score_in_scale_range"),
    }
