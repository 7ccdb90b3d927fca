"""The new-case wizard without the UI: its steps, fields, checks and the Case it builds.

The wizard collects plain form values (real dates, codes, numbers) in four steps:
consent, demographics, diagnosis and baseline. This module turns them into one
:class:`~schemas.Case` with every date moved by the subject's date shift, checks a
step (required fields first, then the table models and case rules) and says which
form field and step each problem belongs to, so the page can show it in place.
Nothing here sees the local patient id: the case is built from the pseudonym.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from typing import Any

from anonymise.pseudonym import shift_date
from schemas import TABLES, Case, Problem, validate_case
from schemas.common import REF
from schemas.problems import translate
from warehouse.capture.real_dates import future_problems
from warehouse.capture.subjects_lookup import OpenSubject

STEPS = ("consent", "demographics", "diagnosis", "baseline")
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "consent": ("processing", "pooled_research", "publication", "signed_by", "signed_date"),
    "demographics": (
        "sex",
        "birth_year",
        "age_at_onset_months",
        "index_date",
        "age_at_index_months",
    ),
    "diagnosis": ("disease", "disease_subtype", "genetics"),
    "baseline": (
        "visit_date",
        "scale",
        "score",
        "ventilation",
        "niv_hours_per_day",
        "feeding",
        "motor_function",
    ),
}
FIELD_STEP = {f: step for step, fields in STEP_FIELDS.items() for f in fields}
_REQUIRED = {
    "consent": ("signed_by", "signed_date"),
    "demographics": ("sex", "birth_year", "index_date"),
    "diagnosis": ("disease", "disease_subtype"),
    "baseline": ("visit_date", "scale", "score"),
}
_TABLE_OF = {
    **{f: "consents" for f in STEP_FIELDS["consent"]},
    **{f: "subjects" for f in STEP_FIELDS["demographics"] + STEP_FIELDS["diagnosis"]},
    **{f: "assessments" for f in STEP_FIELDS["baseline"]},
}


def default_values(today: dt.date) -> dict[str, Any]:
    """The wizard's starting values: nothing consented, dates today, the first disease."""
    values: dict[str, Any] = {f: None for f in FIELD_STEP}
    values.update(
        processing=False,
        pooled_research=False,
        publication=False,
        signed_date=today,
        index_date=today,
        disease=next(iter(REF.diseases)),
        genetics={},
    )
    return values


def subtype_options(disease: str | None) -> list[str]:
    """Subtype codes of a disease, in reference-data order (none for an unknown one)."""
    found = REF.diseases.get(disease or "")
    return list(found.subtypes) if found else []


def genetic_markers(disease: str | None) -> dict[str, dict[str, Any]]:
    """The disease's genetic markers (label, required, value codes) from reference data."""
    found = REF.diseases.get(disease or "")
    return dict(found.genetic_markers) if found else {}


def scale_options(disease: str | None) -> list[str]:
    """The outcome scales collected for a disease."""
    found = REF.diseases.get(disease or "")
    return list(found.scales) if found else []


def onset_expected(disease: str | None, subtype: str | None) -> bool:
    """False for a subtype without onset (presymptomatic): the onset field stays empty."""
    found = REF.diseases.get(disease or "")
    sub = found.subtypes.get(subtype or "") if found else None
    return not (sub and sub.no_onset)


def new_row_id(prefix: str, subject_id: str) -> str:
    """A fresh row id like ``AS-<pseudonym code>-<8 hex>`` (unique, no identifiers)."""
    return f"{prefix}-{subject_id.split('-', 1)[1]}-{uuid.uuid4().hex[:8]}"


def shifted(value: dt.date | None, days: int) -> dt.date | None:
    """A real date moved by the subject's date shift (None stays None)."""
    return shift_date(value, days)


def _genetics(values: Mapping[str, Any]) -> str | None:
    given = {k: str(v) for k, v in (values.get("genetics") or {}).items() if v not in (None, "")}
    return json.dumps(given, sort_keys=True) if given else None


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def build_case(
    subject: OpenSubject, values: Mapping[str, Any], username: str, now: dt.datetime
) -> Case:
    """The Case for the wizard's values; dates shifted, baseline only once scored."""
    shift, sid = subject.date_shift_days, subject.subject_id
    row = {
        "subject_id": sid,
        "site_code": subject.site_code,
        "sex": values.get("sex"),
        "birth_year": values.get("birth_year"),
        "disease": values.get("disease"),
        "disease_subtype": values.get("disease_subtype"),
        "genetics": _genetics(values),
        "age_at_onset_months": _number(values.get("age_at_onset_months")),
        "age_at_index_months": _number(values.get("age_at_index_months")),
        "index_date": shifted(values.get("index_date"), shift),
        "status": "active",
        "created_at": now,
        "created_by": username,
    }
    consent = {
        "subject_id": sid,
        **{f: bool(values.get(f)) for f in ("processing", "pooled_research", "publication")},
        "signed_by": values.get("signed_by"),
        "signed_date": shifted(values.get("signed_date"), shift),
        "withdrawn_date": None,
    }
    case = Case(subjects=[row], consents=[consent])
    if values.get("scale") and values.get("score") is not None:
        niv = values.get("ventilation") == "niv"
        case.assessments.append(
            {
                "assessment_id": new_row_id("AS", sid),
                "subject_id": sid,
                "visit_date": shifted(values.get("visit_date"), shift),
                "scale": values["scale"],
                "score": float(values["score"]),
                "ventilation": values.get("ventilation"),
                "niv_hours_per_day": _number(values.get("niv_hours_per_day")) if niv else None,
                "feeding": values.get("feeding"),
                "motor_function": values.get("motor_function"),
            }
        )
    return case


def _missing(values: Mapping[str, Any], steps: tuple[str, ...]) -> list[Problem]:
    out = [
        translate(_TABLE_OF[f], 0, f, "", "not_nullable")
        for step in steps
        for f in _REQUIRED[step]
        if values.get(f) in (None, "")
    ]
    if "diagnosis" in steps:
        given = values.get("genetics") or {}
        out += [
            translate("subjects", 0, "genetics", "", "not_nullable")
            for name, spec in genetic_markers(values.get("disease")).items()
            if spec.get("required") and given.get(name) in (None, "")
        ][:1]
    niv = values.get("ventilation") == "niv"
    if "baseline" in steps and niv and values.get("niv_hours_per_day") is None:
        out.append(translate("assessments", 0, "niv_hours_per_day", "", "not_nullable"))
    return out


def _column_check(problem: Problem) -> bool:
    """True for a check on one filled-in column (not a rule that may read an empty one)."""
    if problem.value == "":
        return False
    columns = TABLES[problem.table].model.to_schema().columns
    column = columns.get(problem.field)
    names = {str(c.name) for c in column.checks} if column is not None else set()
    return problem.check.split("(", 1)[0] in names


# Rules that read fields of two steps. Such a problem is shown on the later step, with
# the earlier field repeated there, so both can be changed in one place (sending the
# user back to the earlier step would leave the later field out of reach).
RELATED_FIELDS: dict[str, tuple[str, ...]] = {
    "onset_fits_subtype": ("disease_subtype", "disease"),
    "minor_signed_by_representative": ("birth_year",),
}


def field_of(problem: Problem) -> str | None:
    """The wizard field a problem belongs to (None: about the case as a whole)."""
    return problem.field if problem.field in FIELD_STEP else None


def fields_of(problem: Problem) -> tuple[str, ...]:
    """Every wizard field the problem's rule reads (its own field first)."""
    own = field_of(problem)
    related = RELATED_FIELDS.get(problem.check, ())
    return tuple(f for f in dict.fromkeys((own, *related)) if f in FIELD_STEP)


def step_of(problem: Problem) -> int:
    """The 0-based wizard step to show a problem on: the latest step of the fields its
    rule reads (general problems: the last step)."""
    steps = [STEPS.index(FIELD_STEP[f]) for f in fields_of(problem)]
    return max(steps) if steps else len(STEPS) - 1


def repeated_fields(problems: list[Problem], step: int) -> list[str]:
    """Fields of earlier steps to show again on ``step``: those a problem shown there is
    about, so the user can change either side of a rule that spans steps."""
    return list(
        dict.fromkeys(
            f
            for p in problems
            if step_of(p) == step
            for f in fields_of(p)
            if STEPS.index(FIELD_STEP[f]) < step
        )
    )


def check_steps(
    subject: OpenSubject,
    values: Mapping[str, Any],
    upto: int,
    username: str,
    now: dt.datetime,
    today: dt.date | None = None,
) -> list[Problem]:
    """Every problem in steps 0..``upto``: required fields first, then the schema rules.

    A real date after ``today`` (the site's local date, by default this machine's) is
    refused before it is shifted.

    Problems about later steps (not filled in yet) are left out; checking the last
    step checks the whole case exactly as :func:`warehouse.store.cases.save_case` will.
    """
    return checked_case(subject, values, upto, username, now, today)[1]


def checked_case(
    subject: OpenSubject,
    values: Mapping[str, Any],
    upto: int,
    username: str,
    now: dt.datetime,
    today: dt.date | None = None,
) -> tuple[Case, list[Problem]]:
    """The case the values make and :func:`check_steps`'s problems. Saving this very
    case (rather than building it again, with new row ids and time) lets the save reuse
    the validation just done (``schemas.validate.checked_table``)."""
    steps = STEPS[: upto + 1]
    dated = [
        (_TABLE_OF[f], 0, f, values.get(f))
        for f in ("signed_date", "index_date", "visit_date")
        if FIELD_STEP[f] in steps
    ]
    future = future_problems(dated, today or dt.date.today())
    missing = _missing(values, steps) + future
    incomplete = {p.table for p in missing}
    case = build_case(subject, values, username, now)
    found = [p for p in validate_case(case) if p.table not in incomplete or _column_check(p)]
    last = upto == len(STEPS) - 1
    return case, missing + [p for p in found if step_of(p) <= upto or last]


def problems_by_field(problems: list[Problem]) -> dict[str | None, list[Problem]]:
    """Problems grouped by wizard field (key None: the case as a whole)."""
    grouped: dict[str | None, list[Problem]] = {}
    for problem in problems:
        grouped.setdefault(field_of(problem), []).append(problem)
    return grouped
