"""What is recorded about an existing subject, as short labelled facts for the screen.

Stored dates are shifted; the site user who opened the subject by its local id
sees them moved back to the real calendar (the shift is known from the pseudonym).
Codes are shown with their reference-data labels in the user's language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from schemas import Case
from schemas.common import REF, as_dict
from schemas.formats import date_text, number_text
from schemas.labels import text
from warehouse.capture.regimens import product_label

COUNTED = ("treatments", "assessments", "labs", "adverse_events", "narratives")


@dataclass
class SubjectSummary:
    """Consent and demographics as (label, value) pairs, treatments and row counts."""

    consent: list[tuple[str, str]] = field(default_factory=list)
    demographics: list[tuple[str, str]] = field(default_factory=list)
    treatments: pd.DataFrame = field(default_factory=pd.DataFrame)
    counts: dict[str, int] = field(default_factory=dict)


def real_date(value: Any, shift_days: int) -> dt.date | None:
    """A stored (shifted) date moved back to the real calendar."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date() - dt.timedelta(days=shift_days)


def _date_text(value: Any, shift_days: int, lang: str) -> str:
    found = real_date(value, shift_days)
    return date_text(found, lang) if found else "—"


def _yes(value: Any, lang: str) -> str:
    return text("subject_sum_yes" if value else "subject_sum_no", lang)


def genetics_text(disease: str, genetics: Any, lang: str) -> str:
    """Genetic findings as 'SMN1 status: ...; SMN2 copy number: 2' with reference labels."""
    found = REF.diseases.get(disease)
    values = as_dict(genetics) or {}
    if found is None or not values:
        return "—"
    parts = []
    for name, code in values.items():
        spec = found.genetic_markers.get(name, {})
        names = {str(v["code"]): v[f"name_{lang}"] for v in spec.get("values", [])}
        parts.append(f"{spec.get(f'label_{lang}', name)}: {names.get(str(code), code)}")
    return "; ".join(parts)


def _consent(case: Case, shift: int, lang: str) -> list[tuple[str, str]]:
    if not case.consents:
        return []
    c = case.consents[0]
    rows = [
        (text(f"subject_sum_{f}", lang), _yes(c.get(f), lang))
        for f in ("processing", "pooled_research", "publication")
    ]
    rows.append(
        (text("subject_sum_signed_by", lang), REF.label("consent_signers", c["signed_by"], lang))
    )
    rows.append(
        (text("subject_sum_signed_date", lang), _date_text(c.get("signed_date"), shift, lang))
    )
    if c.get("withdrawn_date") is not None and not pd.isna(c["withdrawn_date"]):
        rows.append(
            (text("subject_sum_withdrawn", lang), _date_text(c["withdrawn_date"], shift, lang))
        )
    return rows


def _demographics(case: Case, shift: int, lang: str) -> list[tuple[str, str]]:
    s = case.subject
    disease = REF.diseases.get(s.get("disease", ""))
    subtype = disease.subtypes.get(str(s.get("disease_subtype"))) if disease else None
    onset = s.get("age_at_onset_months")
    return [
        (text("subject_sum_sex", lang), REF.label("sexes", s.get("sex", ""), lang)),
        (text("subject_sum_birth_year", lang), str(s.get("birth_year"))),
        (text("subject_sum_disease", lang), getattr(disease, f"name_{lang}", "—")),
        (text("subject_sum_subtype", lang), getattr(subtype, f"name_{lang}", "—")),
        (text("subject_sum_genetics", lang), genetics_text(s["disease"], s.get("genetics"), lang)),
        (text("subject_sum_onset", lang), "—" if onset is None else f"{float(onset):g}"),
        (text("subject_sum_index_date", lang), _date_text(s.get("index_date"), shift, lang)),
        (
            text("subject_sum_status", lang),
            REF.label("subject_statuses", s.get("status", ""), lang),
        ),
    ]


def treatments_table(case: Case, shift: int, lang: str) -> pd.DataFrame:
    """The subject's treatments, oldest first, with product labels and real dates."""
    rows = [
        {
            text("subject_sum_col_date", lang): _date_text(t["start_date"], shift, lang),
            text("subject_sum_col_product", lang): product_label(t["product_id"], lang),
            text("subject_sum_col_dose", lang): (
                f"{number_text(float(t['dose']), lang)} {REF.unit(str(t['dose_unit']), lang)}"
            ),
            text("subject_sum_col_route", lang): REF.label("routes", t["route"], lang),
            text("subject_sum_col_lot", lang): t.get("lot") or "",
            text("subject_sum_col_switch", lang): product_label(t["switched_from"], lang)
            if t.get("switched_from")
            else "",
        }
        for t in sorted(case.treatments, key=lambda t: pd.Timestamp(t["start_date"]))
    ]
    return pd.DataFrame(rows)


def adverse_events_table(
    case: Case, shift: int, lang: str, meddra: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The subject's adverse events already recorded, newest first: real onset and end
    dates, the term, CTCAE grade, seriousness and outcome, all in ``lang``. A MedDRA-coded
    term (``PT:…``) is named from ``meddra`` (code → name, as ``meddra_names`` gives)."""
    terms = REF.ae_terms
    meddra = meddra or {}
    rows = [
        {
            text("ae_list_onset", lang): _date_text(ae["onset_date"], shift, lang),
            text("ae_list_end", lang): _date_text(ae.get("end_date"), shift, lang)
            if ae.get("end_date") is not None
            else text("ae_list_ongoing", lang),
            text("ae_list_term", lang): terms.at[ae["coded_term"], f"term_{lang}"]
            if ae.get("coded_term") in terms.index
            else meddra.get(str(ae.get("coded_term")), str(ae.get("coded_term") or "")),
            text("ae_list_grade", lang): REF.label("ctcae_grades", str(ae["ctcae_grade"]), lang),
            text("ae_list_serious", lang): _yes(ae.get("serious"), lang),
            text("ae_list_outcome", lang): REF.label("outcomes", str(ae.get("outcome")), lang),
        }
        for ae in sorted(
            case.adverse_events, key=lambda a: pd.Timestamp(a["onset_date"]), reverse=True
        )
    ]
    return pd.DataFrame(rows)


def summarise(case: Case, shift_days: int, lang: str) -> SubjectSummary:
    """Everything the subject page shows about an existing subject."""
    return SubjectSummary(
        consent=_consent(case, shift_days, lang),
        demographics=_demographics(case, shift_days, lang),
        treatments=treatments_table(case, shift_days, lang),
        counts={table: len(case.rows(table)) for table in COUNTED},
    )
