"""Recording a follow-up visit: scale scores, functional status and labs.

What a form needs to offer (the scales and lab tests of the subject's disease, with
their ranges, units and normal limits, all from reference data), how the entered
values become ``assessments`` and ``labs`` rows (dates shifted by the subject's
date shift, fresh row ids), and where a validation problem belongs on the form.
Saving is one :func:`warehouse.store.cases.add_records` call: one transaction.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass
from typing import Any

from anonymise.pseudonym import shift_date
from schemas import load_reference
from schemas.errors import CaseguardError, ValidationFailed
from schemas.problems import Problem
from warehouse.capture.entry_problems import Locate, all_problems, missing
from warehouse.capture.real_dates import future_problems
from warehouse.capture.subjects_lookup import OpenSubject
from warehouse.review.soft_checks import checks_after_save
from warehouse.store.access import Session
from warehouse.store.cases import SaveSummary, add_records

VISIT_DATE = "visit_date"
STATUS_FIELDS = {
    "ventilation": "visit_ventilation",
    "niv_hours_per_day": "visit_niv_hours",
    "feeding": "visit_feeding",
    "motor_function": "visit_motor_function",
}
LAB_FIELDS = ("value", "lower", "upper")


class NothingToRecord(CaseguardError):
    """A visit without any score or lab value."""

    title = "Nothing to save"


@dataclass(frozen=True)
class ScaleSpec:
    """One outcome scale as a score input needs it."""

    code: str
    name_en: str
    name_ru: str
    min: float
    max: float | None
    integer: bool
    unit: str

    def name(self, lang: str) -> str:
        """The scale's name in ``lang``."""
        return self.name_ru if lang == "ru" else self.name_en

    def unit_label(self, lang: str) -> str:
        """The scale's unit as written in ``lang`` ("points" / "баллов")."""
        return load_reference().unit(self.unit, lang)

    @property
    def step(self) -> float:
        """Input step: whole points for point scales, tenths otherwise."""
        return 1 if self.integer else 0.1


@dataclass(frozen=True)
class LabSpec:
    """One lab test as a result input needs it: its one unit and default normal range."""

    code: str
    name_en: str
    name_ru: str
    unit: str
    lower: float | None
    upper: float | None

    def name(self, lang: str) -> str:
        """The test's name in ``lang``."""
        return self.name_ru if lang == "ru" else self.name_en

    def unit_label(self, lang: str) -> str:
        """The test's unit as written in ``lang`` ("g/L" / "г/л")."""
        return load_reference().unit(self.unit, lang)


@dataclass(frozen=True)
class LabInput:
    """A lab result as entered: value and the lab's normal range (test's own unit)."""

    test: str
    value: float | None
    lower: float | None = None
    upper: float | None = None


@dataclass(frozen=True)
class VisitInput:
    """A visit as entered on the form; the date is the real (unshifted) date."""

    visit_date: dt.date | None
    scores: dict[str, float | None]
    ventilation: str | None = None
    niv_hours_per_day: float | None = None
    feeding: str | None = None
    motor_function: str | None = None
    labs: tuple[LabInput, ...] = ()


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def disease_name(code: str, lang: str) -> str:
    """A disease's name in ``lang`` (the code itself if it is not in the reference data)."""
    found = load_reference().diseases.get(code)
    if found is None:
        return code
    return found.name_ru if lang == "ru" else found.name_en


def scales_for(disease: str) -> list[ScaleSpec]:
    """The scales valid for ``disease``, in reference-data order (none if unknown)."""
    ref = load_reference()
    found = ref.diseases.get(disease)
    specs = []
    for code in found.scales if found else ():
        row = ref.scale(code)
        specs.append(
            ScaleSpec(
                code=code,
                name_en=str(row["name_en"]),
                name_ru=str(row["name_ru"]),
                min=_number(row["min"]) or 0.0,
                max=_number(row["max"]),
                integer=bool(row["integer"]),
                unit=str(row["unit"]),
            )
        )
    return specs


def lab_tests_for(disease: str) -> list[LabSpec]:
    """The lab tests collected for ``disease`` with unit and default normal range."""
    ref = load_reference()
    found = ref.diseases.get(disease)
    specs = []
    for code in found.lab_tests if found else ():
        row = dict(ref.lab_tests.loc[code])
        specs.append(
            LabSpec(
                code=code,
                name_en=str(row["name_en"]),
                name_ru=str(row["name_ru"]),
                unit=str(row["unit"]),
                lower=_number(row.get("lower")),
                upper=_number(row.get("upper")),
            )
        )
    return specs


def new_row_id(prefix: str, subject_id: str) -> str:
    """A fresh row id such as ``AS-<pseudonym code>-<random>`` (never reused)."""
    code = subject_id.split("-", 1)[-1]
    return f"{prefix}-{code}-{uuid.uuid4().hex[:10].upper()}"


def visit_rows(subject: OpenSubject, visit: VisitInput) -> dict[str, list[dict[str, Any]]]:
    """The ``assessments`` and ``labs`` rows of a visit, dates shifted for storage.

    One assessment row per chosen scale (each carrying the functional status) and one
    lab row per chosen test. Raises :class:`NothingToRecord` if nothing was chosen.
    """
    if not visit.scores and not visit.labs:
        raise NothingToRecord("choose at least one scale or lab test")
    when = shift_date(visit.visit_date, subject.date_shift_days)
    ref = load_reference()
    assessments = [
        {
            "assessment_id": new_row_id("AS", subject.subject_id),
            "subject_id": subject.subject_id,
            "visit_date": when,
            "scale": scale,
            "score": _number(score),
            "ventilation": visit.ventilation,
            "niv_hours_per_day": _number(visit.niv_hours_per_day),
            "feeding": visit.feeding,
            "motor_function": visit.motor_function,
        }
        for scale, score in visit.scores.items()
    ]
    labs = [
        {
            "lab_id": new_row_id("LB", subject.subject_id),
            "subject_id": subject.subject_id,
            "date": when,
            "test": lab.test,
            "value": _number(lab.value),
            "unit": str(ref.lab_tests.loc[lab.test, "unit"]),
            "lower": _number(lab.lower),
            "upper": _number(lab.upper),
        }
        for lab in visit.labs
    ]
    rows = {"assessments": assessments, "labs": labs}
    return {table: found for table, found in rows.items() if found}


def required_problems(visit: VisitInput, today: dt.date | None = None) -> list[Problem]:
    """'Required' problems for an empty date, a chosen scale without score, a test without
    value; and a visit date after ``today`` (the site's date, by default this machine's)."""
    problems = missing("assessments", 0, {"visit_date": visit.visit_date})
    problems += future_problems(
        [("assessments", 0, "visit_date", visit.visit_date)], today or dt.date.today()
    )
    for row, score in enumerate(visit.scores.values()):
        problems += missing("assessments", row, {"score": score})
    for row, lab in enumerate(visit.labs):
        problems += missing("labs", row, {"value": lab.value})
    return problems


def save_visit(
    session: Session, subject: OpenSubject, visit: VisitInput, today: dt.date | None = None
) -> SaveSummary:
    """Validate and store a visit's rows in one transaction.

    Raises :class:`NothingToRecord` for an empty visit and ValidationFailed listing
    the empty required fields, or else every schema and case-rule problem.
    """
    rows = visit_rows(subject, visit)
    required = required_problems(visit, today)
    if required:
        raise ValidationFailed(all_problems(required, rows))
    summary = add_records(session, subject.subject_id, rows)
    checks_after_save(session.db, [subject.subject_id])
    return summary


def score_key(scale: str) -> str:
    """The widget key of a scale's score input."""
    return f"visit_score_{scale}"


def lab_key(test: str, field: str) -> str:
    """The widget key of a lab test's value, lower or upper input."""
    return f"visit_lab_{test}_{field}"


def visit_locator(visit: VisitInput) -> Locate:
    """A function naming the widget a problem with this visit's rows belongs to."""
    scales = list(visit.scores)
    tests = [lab.test for lab in visit.labs]

    def locate(problem: Problem) -> str | None:
        row = problem.row
        if problem.table == "assessments":
            if problem.field == "visit_date":
                return VISIT_DATE
            if problem.field in STATUS_FIELDS:
                return STATUS_FIELDS[problem.field]
            if row is not None and row < len(scales):
                return score_key(scales[row])
        if problem.table == "labs" and row is not None and row < len(tests):
            if problem.field == "date":
                return VISIT_DATE
            return lab_key(tests[row], problem.field if problem.field in LAB_FIELDS else "value")
        return None

    return locate


def _shown(value: float | None, integer: bool = False) -> str:
    if value is None:
        return "-"
    return str(int(value)) if integer or float(value).is_integer() else f"{value:g}"


def visit_summary(visit: VisitInput) -> tuple[str, str]:
    """What a visit holds, for the success message: ('HFMSE 35, RULM 20', 'ALT 31 U/L')."""
    ref = load_reference()
    scores = ", ".join(
        f"{scale} {_shown(score, bool(ref.scale(scale)['integer']))}"
        for scale, score in visit.scores.items()
    )
    labs = ", ".join(
        f"{lab.test} {_shown(lab.value)} {ref.lab_tests.loc[lab.test, 'unit']!s}"
        for lab in visit.labs
    )
    return scores or "-", labs or "-"
