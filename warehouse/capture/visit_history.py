"""A subject's earlier visits as the site neurologist sees them.

Dates are stored shifted; the neurologist of the subject's own site entered the real
dates and knows the subject's shift, so the history is shown on the real calendar
(stored date minus the shift). Nothing here is written anywhere.

Baseline follows the monitor's change-from-baseline analysis
(:data:`warehouse.safety.cohort_tables.BASELINE_WINDOW_DAYS`): per scale, the last assessment in
the 30 days up to and including the first dose. A subject not yet treated has the
first assessment of each scale as baseline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from schemas import Case, load_reference
from schemas.formats import date_text
from schemas.labels import text
from warehouse.capture.subjects_lookup import OpenSubject
from warehouse.safety.cohort_tables import BASELINE_WINDOW_DAYS
from warehouse.store.access import Session
from warehouse.store.cases import load_case

ASSESSMENT_COLUMNS = [
    "visit_date",
    "scale",
    "score",
    "baseline",
    "ventilation",
    "niv_hours_per_day",
    "feeding",
    "motor_function",
]
VOCABULARY_COLUMNS = ("ventilation", "feeding", "motor_function")
LAB_COLUMNS = ["date", "test", "value", "unit", "lower", "upper", "out_of_range"]


@dataclass(frozen=True)
class VisitHistory:
    """What a visit form needs about the open subject."""

    disease: str
    first_dose: dt.date | None
    assessments: pd.DataFrame
    labs: pd.DataFrame


def _unshift(values: pd.Series, shift: int) -> pd.Series:
    return (pd.to_datetime(values) - pd.Timedelta(days=shift)).dt.date


def first_dose(case: Case, shift: int = 0) -> dt.date | None:
    """The real date of the subject's first treatment, or None if never treated."""
    starts = [t["start_date"] for t in case.treatments if t.get("start_date") is not None]
    if not starts:
        return None
    return (pd.Timestamp(min(starts)) - pd.Timedelta(days=shift)).date()


def mark_baseline(frame: pd.DataFrame, dose: dt.date | None) -> pd.Series:
    """True on each scale's baseline assessment (see the module docstring)."""
    if frame.empty:
        return pd.Series(dtype=bool)
    dates = pd.to_datetime(frame["visit_date"])
    if dose is None:
        chosen = dates.groupby(frame["scale"]).idxmin()
    else:
        start = pd.Timestamp(dose) - pd.Timedelta(days=BASELINE_WINDOW_DAYS)
        window = dates[(dates >= start) & (dates <= pd.Timestamp(dose))]
        chosen = window.groupby(frame.loc[window.index, "scale"]).idxmax()
    return pd.Series(frame.index.isin(chosen.tolist()), index=frame.index)


def assessment_history(case: Case, shift: int) -> pd.DataFrame:
    """The subject's assessments on real dates, oldest first, with a baseline flag."""
    frame = pd.DataFrame(case.assessments)
    if frame.empty:
        return pd.DataFrame(columns=ASSESSMENT_COLUMNS)
    frame["visit_date"] = _unshift(frame["visit_date"], shift)
    frame = frame.sort_values(["visit_date", "scale"]).reset_index(drop=True)
    frame["baseline"] = mark_baseline(frame, first_dose(case, shift))
    return frame[ASSESSMENT_COLUMNS]


def lab_history(case: Case, shift: int) -> pd.DataFrame:
    """The subject's lab results on real dates, oldest first, flagged outside the range."""
    frame = pd.DataFrame(case.labs)
    if frame.empty:
        return pd.DataFrame(columns=LAB_COLUMNS)
    frame["date"] = _unshift(frame["date"], shift)
    low = frame["value"] < frame["lower"].fillna(float("-inf"))
    high = frame["value"] > frame["upper"].fillna(float("inf"))
    frame["out_of_range"] = low | high
    return frame.sort_values(["date", "test"]).reset_index(drop=True)[LAB_COLUMNS]


def with_labels(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A copy as the user reads it: functional-status codes as labels in ``lang``, dates
    in the language's format, yes/no for flags."""
    ref = load_reference()
    shown = frame.copy()
    for column in ("visit_date", "date"):
        if column in shown.columns:
            shown[column] = shown[column].map(lambda day: date_text(day, lang))
    yes_no = {True: text("subject_sum_yes", lang), False: text("subject_sum_no", lang)}
    for column in ("baseline", "out_of_range"):
        if column in shown.columns:
            shown[column] = shown[column].map(lambda flag: yes_no.get(bool(flag), ""))
    for column in VOCABULARY_COLUMNS:
        if column in shown.columns:
            shown[column] = shown[column].map(
                lambda code, vocab=column: (
                    ref.label(vocab, code, lang) if isinstance(code, str) else ""
                )
            )
    names = {"scale": ref.scales, "test": ref.lab_tests}
    for column, table in names.items():
        if column in shown.columns:
            shown[column] = shown[column].map(
                lambda code, table=table: (
                    table.at[code, f"name_{lang}"] if code in table.index else code
                )
            )
    if "unit" in shown.columns:
        shown["unit"] = shown["unit"].map(lambda unit: ref.unit(unit, lang))
    # A value not recorded (NIV hours without NIV, a range the lab did not give) is
    # blank, not the grid's "None".
    return shown.astype(object).where(shown.notna(), "")


def subject_visits(session: Session, subject: OpenSubject) -> VisitHistory:
    """The open subject's disease, first dose and earlier assessments and labs."""
    case = load_case(session, subject.subject_id)
    shift = subject.date_shift_days
    return VisitHistory(
        disease=str(case.subject["disease"]),
        first_dose=first_dose(case, shift),
        assessments=assessment_history(case, shift),
        labs=lab_history(case, shift),
    )
