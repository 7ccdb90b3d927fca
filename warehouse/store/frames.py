"""Moving rows between pandas frames and DuckDB tables."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from schemas import TABLES
from schemas.screen import schema_of


def plain(value: Any) -> Any:
    """A cell as a plain Python value: NaN/NaT -> None, Timestamp -> date/datetime."""
    if hasattr(value, "tolist") and not isinstance(value, pd.Timestamp):
        return value.tolist()
    if isinstance(value, list | tuple):
        return list(value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date() if value == value.normalize() else value.to_pydatetime()
    return value


# Cells that :func:`plain` returns unchanged, told by their exact type (a subclass, such
# as pandas' Timestamp of datetime, still goes through plain).
_AS_IS = frozenset({str, int, bool, dt.date, dt.datetime, type(None)})


def _plain_column(series: pd.Series) -> list[Any]:
    """A column's cells as :func:`plain` gives them; NumPy numbers and booleans are
    already plain once listed (only a float NaN becomes None), dates and times are
    converted for the whole column at once, and text cells are kept as they are, so
    only other cells go through :func:`plain` one by one."""
    kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else ""
    if kind == "M":
        return _plain_times(series)
    values = series.tolist()
    if kind in ("i", "u", "b"):
        return values
    if kind == "f":
        return [None if v != v else v for v in values]  # noqa: PLR0124 - v != v: NaN
    return [v if type(v) in _AS_IS else plain(v) for v in values]


def _plain_times(series: pd.Series) -> list[Any]:
    """A datetime64 column as :func:`plain` gives each Timestamp: a date at midnight,
    else a datetime; NaT as None."""
    times = series.dt
    missing = series.isna().to_numpy()
    midnight = (series == times.normalize()).to_numpy()
    dates = times.date.tolist()
    stamps = list(times.to_pydatetime())
    return [
        None if gone else day if whole else stamp
        for gone, whole, day, stamp in zip(missing, midnight, dates, stamps, strict=True)
    ]


def plain_columns(frame: pd.DataFrame) -> dict[str, list[Any]]:
    """A frame's columns as lists of plain values (what :func:`records` holds per row)."""
    return {str(c): _plain_column(frame.iloc[:, i]) for i, c in enumerate(frame.columns)}


def records(
    frame: pd.DataFrame, columns: dict[str, list[Any]] | None = None
) -> list[dict[str, Any]]:
    """A frame as a list of dicts of plain values (column by column: a bundle's tables
    have hundreds of thousands of rows); ``columns``: its :func:`plain_columns`, when
    the caller has them already."""
    columns = plain_columns(frame) if columns is None else columns
    names = list(columns)
    return (
        [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]
        if names
        else [{} for _ in range(len(frame))]
    )


_CONVERTED = object()  # a value whose plain form must come from the checked frame


def _as_given(kind: str, value: Any) -> Any:
    """``value`` as Pandera's coercion to ``kind`` and then :func:`plain` give it, when
    that is plain to see (the value itself, or a whole number as a float); else
    ``_CONVERTED``."""
    if value is None:
        return None
    if kind == "datetime64[ns]":
        if type(value) is dt.date:
            return value
        timed = type(value) is dt.datetime and value.tzinfo is None and value.time() != dt.time()
        return value if timed else _CONVERTED
    if kind == "float64":
        if type(value) is int and abs(value) < 2**53:
            return float(value)
        return value if type(value) is float and value == value else _CONVERTED  # noqa: PLR0124
    if kind == "object":
        listed = type(value) is list and all(type(item) is str for item in value)
        return value if listed else _CONVERTED
    same = type(value) is {"string[pyarrow]": str, "int64": int, "bool": bool}.get(kind)
    return value if same else _CONVERTED


def records_as_given(table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Checked rows as :func:`records` of their checked frame gives them, taken from the
    rows themselves when every value's plain form is plain to see (what a form saves),
    else None (then convert the frame). Saves converting a frame back."""
    kinds = {name: str(column.dtype) for name, column in schema_of(table).columns.items()}
    out = []
    for row in rows:
        if not row.keys() <= kinds.keys():
            return None
        plain_row = {name: _as_given(kind, row.get(name)) for name, kind in kinds.items()}
        if any(v is _CONVERTED for v in plain_row.values()):
            return None
        out.append(plain_row)
    return out


def key_of(table: str, row: dict[str, Any]) -> str:
    """A row's key as text ('a' or 'a|b')."""
    return "|".join(str(row[c]) for c in TABLES[table].key)


# Up to this many rows go in as statement parameters (see :func:`insert`).
SMALL_INSERT = 64


def insert(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    frame: pd.DataFrame,
    plain_rows: list[dict[str, Any]] | None = None,
) -> int:
    """Insert a frame already checked by :func:`schemas.checked_table`; return the count.

    ``plain_rows``, the frame's :func:`records` when the caller has them: up to
    ``SMALL_INSERT`` rows then go in as the parameters of one statement, which for the
    few rows of a form's save is several times quicker than a scan of the frame."""
    if frame.empty:
        return 0
    columns = TABLES[table].columns
    if plain_rows is not None and len(plain_rows) <= SMALL_INSERT:
        one_row = "(" + ", ".join(["?"] * len(columns)) + ")"
        conn.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES {', '.join([one_row] * len(plain_rows))}",
            [row[c] for row in plain_rows for c in columns],
        )
        return len(plain_rows)
    name = f"_incoming_{table}"
    conn.register(name, frame)
    try:
        listed = ", ".join(columns)
        conn.execute(f"INSERT INTO {table} ({listed}) SELECT {listed} FROM {name}")
    finally:
        conn.unregister(name)
    return len(frame)


def _fetched(value: Any) -> Any:
    """A value fetched from DuckDB as :func:`plain` gives it after a frame round trip."""
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else value
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def select(
    conn: duckdb.DuckDBPyConnection, table: str, where: str, params: list[Any]
) -> list[dict[str, Any]]:
    """Rows of ``table`` matching ``where`` (code-built SQL, values as parameters), as
    plain values (the same as :func:`records` of the frame, without building one)."""
    columns = TABLES[table].columns
    fetched = conn.execute(
        f"SELECT {', '.join(columns)} FROM {table} WHERE {where}", params
    ).fetchall()
    return [{c: _fetched(v) for c, v in zip(columns, row, strict=True)} for row in fetched]
