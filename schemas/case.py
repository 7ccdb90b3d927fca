"""A case: one subject with everything recorded about them, validated as a whole."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import pandas as pd

from schemas.common import REF, as_list
from schemas.problems import Problem, translate
from schemas.tables import CLINICAL_TABLES
from schemas.validate import validate_table

ONSET_TOLERANCE_DAYS = 30
# WHO-UMC assessments that attribute the event to the product: each needs a plausible
# time relationship, so the product must have been given on or before the onset.
ATTRIBUTING = ("certain", "probable", "possible")
CONSENT_AGE = 15  # Russian law (323-FZ art. 54): from 15 a patient consents alone


@dataclass
class Case:
    """The rows of one subject across the clinical tables (dates already shifted)."""

    subjects: list[dict[str, Any]]
    consents: list[dict[str, Any]] = field(default_factory=list)
    treatments: list[dict[str, Any]] = field(default_factory=list)
    assessments: list[dict[str, Any]] = field(default_factory=list)
    labs: list[dict[str, Any]] = field(default_factory=list)
    adverse_events: list[dict[str, Any]] = field(default_factory=list)
    ae_causality: list[dict[str, Any]] = field(default_factory=list)
    narratives: list[dict[str, Any]] = field(default_factory=list)

    @property
    def subject(self) -> dict[str, Any]:
        """The case's single subject row."""
        return self.subjects[0]

    def rows(self, table: str) -> list[dict[str, Any]]:
        """The rows of one clinical table."""
        return list(getattr(self, table))

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """Every clinical table's rows, in write order."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in CLINICAL_TABLES}


def _problem(table: str, row: int, field_name: str, value: Any, check: str) -> Problem:
    return translate(table, row, field_name, value, check)


def _belongs(case: Case) -> list[Problem]:
    sid = case.subject.get("subject_id")
    return [
        _problem(table, i, "subject_id", r.get("subject_id"), "rows_belong_to_subject")
        for table, rows in case.tables().items()
        if table not in ("subjects", "ae_causality")
        for i, r in enumerate(rows)
        if r.get("subject_id") != sid
    ]


def _first_dose(case: Case) -> pd.Timestamp | None:
    starts = [
        pd.Timestamp(t["start_date"]) for t in case.treatments if t.get("start_date") is not None
    ]
    return min(starts) if starts else None


def _fits_disease(case: Case) -> list[Problem]:
    disease = REF.diseases.get(case.subject.get("disease", ""))
    if disease is None:
        return []
    out = [
        _problem("assessments", i, "scale", a.get("scale"), "scale_fits_disease")
        for i, a in enumerate(case.assessments)
        if a.get("scale") not in disease.scales
    ]
    out += [
        _problem("labs", i, "test", lab.get("test"), "test_fits_disease")
        for i, lab in enumerate(case.labs)
        if lab.get("test") not in disease.lab_tests
    ]
    for i, t in enumerate(case.treatments):
        pid = t.get("product_id")
        if (
            isinstance(pid, str)
            and pid in REF.products.index
            and disease.code not in REF.product(pid)["diseases"]
        ):
            out.append(_problem("treatments", i, "product_id", pid, "product_fits_disease"))
    return out


def _ae_timing(case: Case) -> list[Problem]:
    first = _first_dose(case)
    if first is None:
        return []
    earliest = first - pd.Timedelta(days=ONSET_TOLERANCE_DAYS)
    return [
        _problem("adverse_events", i, "onset_date", ae.get("onset_date"), "ae_after_first_dose")
        for i, ae in enumerate(case.adverse_events)
        if ae.get("onset_date") is not None and pd.Timestamp(ae["onset_date"]) < earliest
    ]


def _consent(case: Case) -> list[Problem]:
    out = []
    birth_year = case.subject.get("birth_year")
    for i, c in enumerate(case.consents):
        signed = c.get("signed_date")
        if birth_year is None or signed is None:
            continue
        # Dates are shifted by up to half a year, so only a surely-minor age is enforced.
        surely_minor = pd.Timestamp(signed).year - int(birth_year) <= CONSENT_AGE - 2
        if surely_minor and c.get("signed_by") == "patient":
            out.append(
                _problem("consents", i, "signed_by", "patient", "minor_signed_by_representative")
            )
        if (
            c.get("withdrawn_date") is not None
            and not pd.isna(c["withdrawn_date"])
            and case.subject.get("status") not in ("withdrawn", "died")
        ):
            out.append(
                _problem(
                    "subjects",
                    0,
                    "status",
                    case.subject.get("status"),
                    "withdrawal_means_withdrawn",
                )
            )
    return out


def _causality(case: Case) -> list[Problem]:
    ae_ids = {ae.get("ae_id") for ae in case.adverse_events}
    given = {t.get("product_id") for t in case.treatments}
    out = []
    for i, c in enumerate(case.ae_causality):
        if c.get("ae_id") not in ae_ids:
            out.append(
                _problem("ae_causality", i, "ae_id", c.get("ae_id"), "causality_for_known_event")
            )
        if c.get("product_id") not in given:
            out.append(
                _problem("ae_causality", i, "product_id", c.get("product_id"), "suspect_was_given")
            )
    return out


def _dated(row: dict[str, Any], column: str) -> pd.Timestamp | None:
    value = row.get(column)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value)


def _causality_timing(case: Case) -> list[Problem]:
    """An attributing assessment for a product first given after the event began."""
    onsets = {ae.get("ae_id"): _dated(ae, "onset_date") for ae in case.adverse_events}
    first_given: dict[str, pd.Timestamp] = {}
    for t in case.treatments:
        start = _dated(t, "start_date")
        pid = t.get("product_id")
        if start is not None and isinstance(pid, str):
            first_given[pid] = min(start, first_given.get(pid, start))
    out = []
    for i, c in enumerate(case.ae_causality):
        onset, first = onsets.get(c.get("ae_id")), first_given.get(str(c.get("product_id")))
        attributing = c.get("causality") in ATTRIBUTING
        if attributing and onset is not None and first is not None and first > onset:
            out.append(
                _problem(
                    "ae_causality",
                    i,
                    "causality",
                    c.get("causality"),
                    "causality_before_exposure",
                )
            )
    return out


def _switch_order(case: Case) -> list[Problem]:
    """A product's dose after a switch away from it, with no switch back in between."""
    doses = [(i, t, _dated(t, "start_date")) for i, t in enumerate(case.treatments)]
    switches = [(j, t, day) for j, t, day in doses if day is not None and t.get("switched_from")]
    out: list[Problem] = []
    for j, switch, switched_on in switches:
        away = switch.get("switched_from")
        for i, dose, day in doses:
            if dose.get("product_id") != away or day is None or day <= switched_on:
                continue
            back = any(
                other.get("product_id") == away and switched_on < other_day <= day
                for _, other, other_day in switches
            )
            if not back:
                out.append(
                    _problem("treatments", i, "start_date", day.date(), "dose_after_switch_away")
                )
                out.append(
                    _problem("treatments", j, "switched_from", away, "switch_before_later_doses")
                )
    return out


def _dose_intervals(case: Case) -> list[Problem]:
    """Consecutive doses of one substance closer than the product's minimum interval."""
    by_substance: dict[str, list[tuple[pd.Timestamp, int, str]]] = {}
    for i, t in enumerate(case.treatments):
        pid, day = t.get("product_id"), _dated(t, "start_date")
        if day is None or not isinstance(pid, str) or pid not in REF.products.index:
            continue
        by_substance.setdefault(str(REF.product(pid)["inn"]), []).append((day, i, pid))
    out = []
    for doses in by_substance.values():
        doses.sort()
        for (before, i, _), (after, j, pid) in zip(doses, doses[1:], strict=False):
            minimum = REF.product(pid)["min_interval_days"]
            if minimum is None or pd.isna(minimum):
                continue
            gap = (after - before).days
            if gap < minimum:
                context = {
                    "substance_en": REF.product(pid)["inn"],
                    "substance_ru": REF.product(pid)["inn_ru"],
                    "days": int(minimum),
                    "gap": gap,
                }
                for row, day in ((j, after), (i, before)):
                    out.append(
                        translate(
                            "treatments",
                            row,
                            "start_date",
                            day.date(),
                            "dose_interval_too_short",
                            context,
                        )
                    )
    return out


def _fatal_status(case: Case) -> list[Problem]:
    fatal = any(
        ae.get("outcome") == "fatal" or "death" in as_list(ae.get("seriousness"))
        for ae in case.adverse_events
    )
    if fatal and case.subject.get("status") != "died":
        return [
            _problem("subjects", 0, "status", case.subject.get("status"), "fatal_event_means_died")
        ]
    return []


def case_rule_problems(case: Case, existing: Case | None = None) -> list[Problem]:
    """Rules that span tables; ``existing`` supplies stored rows (e.g. earlier doses)."""
    merged = merge_cases(case, existing) if existing else case
    found = (
        _belongs(case)
        + _fits_disease(case)
        + _ae_timing(merged)
        + _consent(merged)
        + _causality(merged)
        + _causality_timing(merged)
        + _switch_order(merged)
        + _dose_intervals(merged)
        + _fatal_status(merged)
    )
    # The submitted rows come first in the merged case: keep only problems about them.
    return [p for p in found if p.row is None or p.row < len(case.rows(p.table))]


def merge_cases(first: Case, second: Case) -> Case:
    """A case holding the rows of both, ``first``'s rows (and subject, consent) first."""
    merged = {t: first.rows(t) + second.rows(t) for t in CLINICAL_TABLES}
    merged["subjects"] = first.subjects or second.subjects
    merged["consents"] = first.consents or second.consents
    return Case(**merged)


def validate_case(case: Case, existing: Case | None = None) -> list[Problem]:
    """Validate every table of a case, then the cross-table rules.

    Every field problem is reported at once; the cross-table rules run only when
    there is none, since they need well-formed values (a birth year of NaN or
    infinity has no age to compare).
    """
    if len(case.subjects) != 1:
        return [_problem("subjects", 0, "subject_id", "", "rows_belong_to_subject")]
    problems: list[Problem] = []
    for table, rows in case.tables().items():
        problems += validate_table(table, rows) if rows else []
    return problems or case_rule_problems(case, existing)
