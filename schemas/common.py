"""Shared field patterns and helpers for the table models."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd

from schemas.reference import load_reference

SITE_CODE = r"^[A-Z]{2,8}$"
SUBJECT_ID = r"^[A-Z]{2,8}-[0-9A-Z]{12}$"
ROW_ID = r"^[A-Za-z0-9][A-Za-z0-9_\-]{3,63}$"
MAX_TEXT = 20_000

REF = load_reference()


def vocab(name: str) -> list[str]:
    """Allowed codes of a closed vocabulary (for ``isin``)."""
    return REF.codes(name)


def this_year() -> int:
    """The current calendar year."""
    return dt.date.today().year


def as_list(value: Any) -> list[Any]:
    """A list-like cell (list, tuple, numpy array, JSON text) as a list; None -> []."""
    if value is None:
        return []
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        return parsed if isinstance(parsed, list) else [parsed]
    if hasattr(value, "tolist"):
        return list(value.tolist())
    if isinstance(value, list | tuple | set):
        return list(value)
    return [] if pd.isna(value) else [value]


def as_dict(value: Any) -> dict[str, Any] | None:
    """A JSON object cell (dict or JSON text) as a dict; None when it is not one."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def as_dates(series: pd.Series) -> pd.Series:
    """A column as datetimes for a comparison between date columns (unreadable and
    missing values as NaT, which compare false): explicit, where pandas would infer."""
    return pd.to_datetime(series, errors="coerce")


def row_by_row(func: Any, df: pd.DataFrame, *columns: str) -> pd.Series:
    """``func`` of each row's ``columns``, on ``df``'s index: what
    ``df.apply(lambda r: func(r[a], r[b]), axis=1)`` gives, in a plain loop (apply builds
    a Series per row, which a bulk import of 100,000s of rows cannot afford)."""
    values = [func(*cells) for cells in zip(*(df[c] for c in columns), strict=True)]
    return pd.Series(values, index=df.index, dtype=object if not values else None)
