"""Validation at the boundaries: one table, or a whole case, lazily.

Every function returns a list of :class:`~schemas.problems.Problem` (empty means
valid) rather than raising, so callers can show all problems at once next to the
fields they concern.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from pandera.errors import SchemaError, SchemaErrors

from schemas.problems import Problem, from_failure_cases, translate
from schemas.tables import TABLES


def as_frame(table: str, rows: pd.DataFrame | Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Rows (a frame or dicts) as a frame with the table's columns in model order."""
    frame = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    columns = TABLES[table].columns
    if frame.empty and not len(frame.columns):
        return pd.DataFrame(columns=columns)
    schema = TABLES[table].model.to_schema()
    for name in columns:  # an optional field left out is simply empty
        if name not in frame.columns and schema.columns[name].nullable:
            frame[name] = None
    extra = [c for c in frame.columns if c not in columns]
    return frame[[c for c in columns if c in frame.columns] + extra].reset_index(drop=True)


def validate_table(table: str, rows: pd.DataFrame | Iterable[Mapping[str, Any]]) -> list[Problem]:
    """Validate rows of ``table`` against its model; return every problem found."""
    frame = as_frame(table, rows)
    if frame.empty:
        return []
    try:
        TABLES[table].model.validate(frame, lazy=True)
    except SchemaErrors as exc:
        return from_failure_cases(table, exc.failure_cases, frame)
    except SchemaError as exc:  # raised by non-lazy paths such as strict column order
        return [translate(table, None, str(getattr(exc, "column_name", "") or ""), "", str(exc.check))]
    return []


def coerce_table(table: str, rows: pd.DataFrame | Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Rows of a valid table with the model's types applied (call after validating)."""
    frame = as_frame(table, rows)
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLES[table].columns})
    return TABLES[table].model.validate(frame, lazy=True)
