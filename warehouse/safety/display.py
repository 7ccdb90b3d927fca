"""Turning the dashboard's masked tables into what the page shows: numbers in the
user's language, masked entries as text, product names, headline values.

No streamlit here: the page passes the language and draws the result.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from schemas import load_reference
from schemas.formats import date_text, number_text
from schemas.labels import text
from warehouse.safety.dashboard import Comparison


def number(value: Any, decimals: int = 1, lang: str = "en") -> str:
    """A number as text ("1.29" / "1,29"); masked entries as they are; blank if missing."""
    if value is None or (isinstance(value, float | np.floating) and math.isnan(value)):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, numbers.Integral) or (decimals == 0 and float(value).is_integer()):
        return number_text(int(value), lang, 0)
    if math.isinf(float(value)):
        return "∞"
    return number_text(float(value), lang, decimals)


def formatted(frame: pd.DataFrame, lang: str = "en", decimals: int = 1) -> pd.DataFrame:
    """Columns that mix numbers with masked entries (or hold floats) as text, so one
    table shows "<5" beside numbers; whole-number and text columns stay as they are."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_integer_dtype(series):
            continue
        if pd.api.types.is_float_dtype(series) or series.dtype == object:
            values = series.tolist()
            if all(isinstance(v, str) or v is None for v in values):
                continue
            whole = all(
                isinstance(v, str | numbers.Integral)
                or v is None
                or (isinstance(v, float) and v.is_integer())
                for v in values
            )
            out[column] = [number(v, 0 if whole else decimals, lang) for v in values]
    return out


def product_name(product_id: str, lang: str = "en") -> str:
    """The product's one label ("Лантесенс (нусинерсен, дженерик)"), else its id."""
    return load_reference().product_label(product_id, lang)


def headline_values(comparison: Comparison, lang: str = "en") -> dict[str, str]:
    """The placeholders of the headline sentence: generic, reference, ratio, lower,
    upper, p (two decimals; p with three, "<0.001" below that)."""
    p = comparison.p_value
    p_text = "" if p is None else ("<0.001" if p < 0.001 else number(p, 3, lang))
    if lang == "ru" and p_text.startswith("<"):
        p_text = p_text.replace(".", ",")
    return {
        "generic": product_name(comparison.generic, lang),
        "reference": product_name(comparison.reference, lang),
        "ratio": number(comparison.ratio, 2, lang),
        "lower": number(comparison.lower, 2, lang),
        "upper": number(comparison.upper, 2, lang),
        "p": p_text,
    }


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A shown table as UTF-8 CSV (with BOM, so spreadsheet programs read Cyrillic)."""
    return frame.to_csv(index=False).encode("utf-8-sig")


# Columns holding codes of a closed vocabulary, shown by their label in the user's language.
_VOCABULARY_COLUMNS = {
    "outcome": "outcomes",
    "action_taken": "action_taken",
    "causality": "causality",
    "sex": "sexes",
    "status": "subject_statuses",
    "ctcae_grade_name": "ctcae_grades",
}
_YES_NO = {"en": ("yes", "no"), "ru": ("да", "нет")}
_PERIODS = {
    "on-treatment": {"en": "on treatment", "ru": "на терапии"},
    "pre-treatment": {"en": "before the first dose", "ru": "до первого введения"},
    "off-treatment": {"en": "off treatment", "ru": "вне терапии"},
    "after follow-up": {"en": "after follow-up", "ru": "после наблюдения"},
}
_TOTAL = {"en": "Total", "ru": "Всего"}
_GROUPS = {
    "all": {"en": "all adverse events", "ru": "все нежелательные явления"},
    "serious": {"en": "serious", "ru": "серьёзные"},
    "ctcae_grade": {"en": "CTCAE grade", "ru": "степень CTCAE"},
    "age_band": {"en": "age band", "ru": "возрастная группа"},
}


def _yes_no(value: Any, lang: str) -> Any:
    if isinstance(value, str) and value in ("True", "False"):
        value = value == "True"
    if not isinstance(value, bool | np.bool_):
        return value
    yes, no = _YES_NO[lang]
    return yes if value else no


def _meddra(code: str, names: Mapping[str, str] | None) -> str:
    """A MedDRA code's name, marked as MedDRA: where events coded before a dictionary was
    loaded sit beside coded ones, "Headache" (list) and "Headache (MedDRA)" are two rows."""
    name = (names or {}).get(code)
    return f"{name} (MedDRA)" if name else code


def _term(code: Any, lang: str, column: str, names: Mapping[str, str] | None = None) -> Any:
    terms = load_reference().ae_terms
    if not isinstance(code, str) or code not in terms.index:
        return _meddra(code, names) if isinstance(code, str) else code
    return terms.at[code, f"{column}_{'ru' if lang == 'ru' else 'en'}"]


def _criteria(value: Any, lang: str) -> Any:
    if not isinstance(value, str) or not value:
        return value
    ref = load_reference()
    parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
    return ", ".join(ref.label("seriousness_criteria", p, lang) for p in parts)


def _per_product(value: Any, lang: str) -> Any:
    """ "RIS-EVRYSDI: unlikely; NUS-SPINRAZA: possible" with names and labels."""
    if not isinstance(value, str) or ":" not in value:
        return value
    ref = load_reference()
    shown = []
    for part in value.split(";"):
        product, _, code = part.partition(":")
        shown.append(
            f"{product_name(product.strip(), lang)}: {ref.label('causality', code.strip(), lang)}"
        )
    return "; ".join(shown)


def _category(group: Any, category: Any, lang: str) -> Any:
    """A forest row's category: an age band's label, "all" for the overall row, yes/no."""
    if group == "age_band":
        return load_reference().label("age_bands", str(category), lang)
    if group == "all" and category == "all":
        return _GROUPS["all"][lang]
    return _yes_no(category, lang)


def _named(table: pd.DataFrame, code: Any, lang: str) -> Any:
    """A scale's or lab test's name in ``lang`` (the code if it is not listed)."""
    return table.at[code, f"name_{lang}"] if isinstance(code, str) and code in table.index else code


def _disease(code: Any, lang: str) -> Any:
    disease = load_reference().diseases.get(str(code))
    return code if disease is None else (disease.name_ru if lang == "ru" else disease.name_en)


def _subtype(code: Any, lang: str) -> Any:
    for disease in load_reference().diseases.values():
        if str(code) in disease.subtypes:
            subtype = disease.subtypes[str(code)]
            return subtype.name_ru if lang == "ru" else subtype.name_en
    return code


def _body_system(frame: pd.DataFrame, lang: str, names: Mapping[str, str] | None) -> pd.Series:
    """A row's body system: a MedDRA SOC named from ``names``, else the list term's own."""
    terms = frame["coded_term"] if "coded_term" in frame else frame["body_system"]
    return pd.Series(
        [
            _meddra(system, names)
            if isinstance(system, str) and system.startswith("SOC:")
            else _term(term, lang, "body_system")
            if "coded_term" in frame
            else system
            for system, term in zip(frame["body_system"], terms, strict=True)
        ],
        index=frame.index,
        dtype=object,
    )


def with_labels(
    frame: pd.DataFrame, lang: str = "en", names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """A table as a monitor reads it: codes of products, terms, criteria, outcomes,
    causality, periods and the like replaced by their labels in ``lang``; yes/no for
    true/false; dates in the language's format. Codes stay in exports only.

    ``names`` names MedDRA codes (``PT:…`` terms, ``SOC:…`` body systems) of coded
    events (:func:`warehouse.store.meddra_names.meddra_names`)."""
    ref = load_reference()
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if column == "product_id":
            out[column] = series.map(
                lambda p: _TOTAL[lang] if p == "Total" else product_name(str(p), lang)
            )
        elif column in ("coded_term", "cause_term", "term"):
            source = frame["coded_term"] if column == "term" and "coded_term" in frame else series
            out[column] = source.map(lambda c: _term(c, lang, "term", names))
        elif column == "body_system":
            out[column] = _body_system(frame, lang, names)
        elif column in ("criteria", "seriousness"):
            out[column] = series.map(lambda v: _criteria(v, lang))
        elif column == "causality_all_products":
            out[column] = series.map(lambda v: _per_product(v, lang))
        elif column == "period":
            out[column] = series.map(lambda v: _PERIODS.get(str(v), {}).get(lang, v))
        elif column == "disease":
            out[column] = series.map(lambda v: _disease(v, lang))
        elif column == "disease_subtype":
            out[column] = series.map(lambda v: _subtype(v, lang))
        elif column in _VOCABULARY_COLUMNS:
            vocabulary = _VOCABULARY_COLUMNS[column]
            out[column] = series.map(
                lambda v, voc=vocabulary: ref.label(voc, v, lang) if isinstance(v, str) else v
            )
        elif column == "category" and "group" in frame:
            out[column] = [
                _category(g, c, lang) for g, c in zip(frame["group"], series, strict=True)
            ]
        elif column == "measure":
            out[column] = series.map(
                lambda m: text(f"safety_measure_{m}", lang) if m in ("incidence", "event") else m
            )
        elif pd.api.types.is_bool_dtype(series) or column in ("serious", "category"):
            out[column] = series.map(lambda v: _yes_no(v, lang))
        elif column in ("generic", "reference"):
            out[column] = series.map(lambda p: product_name(str(p), lang))
        elif column == "group":
            out[column] = series.map(lambda g: _GROUPS.get(str(g), {}).get(lang, g))
        elif column == "scale":
            out[column] = series.map(lambda c: _named(ref.scales, c, lang))
        elif column in ("test", "lab_test"):
            out[column] = series.map(lambda c: _named(ref.lab_tests, c, lang))
        elif column in ("unit", "dose_unit"):
            out[column] = series.map(lambda u: ref.unit(u, lang) if isinstance(u, str) else u)
        elif column == "window":
            out[column] = series.map(lambda w: ref.label("onset_windows", str(w), lang))
        elif column == "age_band":
            out[column] = series.map(lambda b: ref.label("age_bands", str(b), lang))
        elif pd.api.types.is_datetime64_any_dtype(series):
            out[column] = series.map(lambda v: date_text(v, lang))
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(lambda v: _TOTAL[lang] if v == "Total" else v)
    return out


def product_columns(frame: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """A table with one column per product (and "Total"): column titles as names."""
    products = load_reference().products.index
    names = {c: product_name(c, lang) for c in frame.columns if c in products}
    if "Total" in frame.columns:
        names["Total"] = _TOTAL[lang]
    return frame.rename(columns=names)
