"""Turning the dashboard's masked tables into what the page shows: numbers in the
user's language, masked entries as text, product names, headline values.

No streamlit here: the page passes the language and draws the result.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import pandas as pd

from schemas import load_reference
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
        return f"{int(value):,}".replace(",", "\u202f" if lang == "ru" else ",")
    if math.isinf(float(value)):
        return "∞"
    text = f"{float(value):,.{decimals}f}"
    if lang == "ru":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


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
    """The brand name of a product ("Lantesens" / "Лантесенс"), else its id."""
    products = load_reference().products
    if product_id not in products.index:
        return product_id
    name = products.at[product_id, "brand_ru" if lang == "ru" else "brand"]
    return str(name) if isinstance(name, str) and name else product_id


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
