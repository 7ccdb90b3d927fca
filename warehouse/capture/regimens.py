"""Dosing regimens from the product reference data: labels, defaults and dose schedules.

Products are reference data (``schemas/reference/products.yaml``): a loading-then-
maintenance regimen (nusinersen: 12 mg intrathecally on days 0, 14, 28 and 63, then
every 4 months), a single dose (Zolgensma, 1.1e14 vg/kg IV) or a daily oral course
(risdiplam, by age and weight). This module proposes the doses to record and builds
treatment rows (dates shifted) for :func:`warehouse.store.cases.add_records`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from schemas.common import REF
from schemas.problems import Problem
from schemas.treatments import SWITCH_REASONS
from warehouse.capture.case_entry import new_row_id, shifted
from warehouse.capture.real_dates import DatedField, future_problems

DAYS_PER_MONTH = 30.4375
# Risdiplam (Evrysdi SmPC): mg/kg by age below 2 years; from 2 years by weight.
RISDIPLAM_BANDS = ((2.0, 0.15), (24.0, 0.2))
RISDIPLAM_FROM_2_YEARS = (20.0, 0.25, 5.0)  # weight limit kg, mg/kg below it, mg at or above


@dataclass(frozen=True)
class PlannedDose:
    """One proposed administration: its real date and whether it is loading or maintenance."""

    day: dt.date
    phase: str  # "loading", "maintenance", "single" or "course"
    number: int  # 1-based position in the subject's doses of this INN


def products_for(disease: str | None) -> list[str]:
    """Product ids indicated for a disease, references before their generics."""
    rows = REF.products[REF.products["diseases"].map(lambda d: disease in d)]
    return list(rows.sort_values(["inn", "is_generic"])["product_id"])


def product_kind(product_id: str) -> str | None:
    """'generic', 'reference' (an original that has a generic) or None."""
    row = REF.product(product_id)
    if row["is_generic"]:
        return "generic"
    has_generic = (REF.products["reference_product_id"] == product_id).any()
    return "reference" if has_generic else None


def product_label(product_id: str, lang: str = "en") -> str:
    """The product's one label on every page ('Spinraza (nusinersen)', 'Lantesens
    (nusinersen, generic)'), from the reference data."""
    return REF.product_label(product_id, lang)


def regimen_text(product_id: str, lang: str = "en") -> str:
    """The product's regimen in words, from the reference data."""
    return str(REF.product(product_id)[f"regimen_{'ru' if lang == 'ru' else 'en'}"])


def risdiplam_dose(age_months: float, weight_kg: float | None) -> tuple[float, str]:
    """The risdiplam daily dose (value, unit) for an age in months and a weight in kg."""
    for below, per_kg in RISDIPLAM_BANDS:
        if age_months < below:
            return per_kg, "mg/kg"
    limit, per_kg, fixed = RISDIPLAM_FROM_2_YEARS
    return (fixed, "mg") if weight_kg is not None and weight_kg >= limit else (per_kg, "mg/kg")


def default_dose(
    product_id: str, age_months: float | None = None, weight_kg: float | None = None
) -> tuple[float | None, str]:
    """The regimen's dose (value, unit): fixed, per kg, or None when set by protocol."""
    row = REF.product(product_id)
    if row["dose_kind"] == "protocol":
        return None, str(row["dose_unit"])
    if row["regimen_kind"] == "daily" and age_months is not None:
        return risdiplam_dose(age_months, weight_kg)
    first = row["doses"][0]
    return float(first["value"]), str(first["unit"])


def amount_for_weight(dose: float, unit: str, weight_kg: float | None) -> float | None:
    """The total amount for a per-kg dose (e.g. vector genomes, mg); None without weight."""
    if not unit.endswith("/kg"):
        return dose
    return None if weight_kg is None else dose * weight_kg


def add_months(day: dt.date, months: float) -> dt.date:
    """A calendar date ``months`` later (whole months by calendar, fractions in days)."""
    whole = int(months)
    moved = (pd.Timestamp(day) + pd.DateOffset(months=whole)).date()
    return moved + dt.timedelta(days=round((months - whole) * DAYS_PER_MONTH))


def plan_doses(product_id: str, start: dt.date, given: Sequence[dt.date] = ()) -> list[PlannedDose]:
    """The doses to record next, from the regimen and the real dates already given.

    Nothing given yet: the whole loading schedule from ``start`` (days 0/14/28/63 for
    nusinersen). Loading under way: its remaining doses, counted from the first dose.
    Loading complete: the next maintenance dose, one interval after the last dose.
    """
    row = REF.product(product_id)
    kind, history = row["regimen_kind"], sorted(given)
    if kind == "single_dose":
        return [PlannedDose(start, "single", len(history) + 1)]
    if kind != "loading_then_maintenance":
        return [PlannedDose(start, "course", len(history) + 1)]
    loading = [int(d) for d in row["loading_days"]]
    if not history:
        return [
            PlannedDose(start + dt.timedelta(days=d), "loading", i + 1)
            for i, d in enumerate(loading)
        ]
    if len(history) < len(loading):
        first = history[0]
        return [
            PlannedDose(first + dt.timedelta(days=d), "loading", i + 1)
            for i, d in enumerate(loading)
            if i >= len(history)
        ]
    interval = float(row["maintenance_interval_months"])
    return [PlannedDose(add_months(history[-1], interval), "maintenance", len(history) + 1)]


def same_inn_dates(
    treatments: Sequence[dict[str, Any]], product_id: str, shift: int
) -> list[dt.date]:
    """Real dates of earlier doses of the same active substance (any brand)."""
    inn = REF.product(product_id)["inn"]
    return sorted(
        pd.Timestamp(t["start_date"]).date() - dt.timedelta(days=shift)
        for t in treatments
        if t.get("product_id") in REF.products.index and REF.product(t["product_id"])["inn"] == inn
    )


def last_product(treatments: Sequence[dict[str, Any]]) -> str | None:
    """The product of the most recent treatment, or None."""
    if not treatments:
        return None
    latest = max(treatments, key=lambda t: pd.Timestamp(t["start_date"]))
    return str(latest["product_id"])


def age_months_at(subject: dict[str, Any], day: dt.date, shift: int) -> float | None:
    """Age in months on a real date, from the age at the (shifted) index date."""
    age, index = subject.get("age_at_index_months"), subject.get("index_date")
    if age is None or index is None or pd.isna(age):
        return None
    real_index = pd.Timestamp(index).date() - dt.timedelta(days=shift)
    return round(float(age) + (day - real_index).days / DAYS_PER_MONTH, 1)


@dataclass(frozen=True)
class TreatmentForm:
    """What the user confirmed on the treatments page (real dates)."""

    product_id: str
    dose: float | None
    dose_unit: str
    doses: Sequence[tuple[dt.date, str | None]]  # (date, lot) per administration
    end_date: dt.date | None = None  # for a daily course; single doses end the same day
    switched_from: str | None = None
    switch_reason: str | None = None  # a SWITCH_REASONS code


def treatment_rows(subject_id: str, shift: int, form: TreatmentForm) -> list[dict[str, Any]]:
    """Treatment rows with shifted dates; a switch is recorded on the first new dose."""
    row = REF.product(form.product_id)
    rows = []
    for i, (day, lot) in enumerate(sorted(form.doses, key=lambda d: d[0])):
        first = i == 0
        end = form.end_date if row["regimen_kind"] == "daily" else day
        rows.append(
            {
                "treatment_id": new_row_id("TR", subject_id),
                "subject_id": subject_id,
                "product_id": form.product_id,
                "dose": form.dose,
                "dose_unit": form.dose_unit,
                "route": row["route"],
                "start_date": shifted(day, shift),
                "end_date": shifted(end, shift),
                "lot": (lot or "").strip() or None,
                "switched_from": form.switched_from if first else None,
                "switch_reason": SWITCH_REASONS.get(form.switch_reason or "")
                if first and form.switch_reason
                else None,
            }
        )
    return rows


def dose_date_problems(form: TreatmentForm, today: dt.date | None = None) -> list[Problem]:
    """A problem for each dose (rows in date order, as :func:`treatment_rows` writes them)
    or course end dated after ``today`` (the site's date, by default this machine's)."""
    ordered = sorted(form.doses, key=lambda d: d[0])
    dated: list[DatedField] = [
        ("treatments", i, "start_date", day) for i, (day, _) in enumerate(ordered)
    ]
    dated.append(("treatments", None, "end_date", form.end_date))
    return future_problems(dated, today or dt.date.today())
