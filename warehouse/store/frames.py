"""Moving rows between pandas frames and DuckDB tables."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import duckdb
import pandas as pd

from schemas import TABLES


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


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as a list of dicts of plain values."""
    return [{str(k): plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def key_of(table: str, row: dict[str, Any]) -> str:
    """A row's key as text ('a' or 'a|b')."""
    return "|".join(str(row[c]) for c in TABLES[table].key)


def insert(conn: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> int:
    """Insert a frame already checked by :func:`schemas.checked_table`; return the count."""
    if frame.empty:
        return 0
    columns = ", ".join(TABLES[table].columns)
    name = f"_incoming_{table}"
    conn.register(name, frame)
    try:
        conn.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {name}")
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
