"""Validation at the boundaries: one table, or a whole case, lazily.

Every function returns a list of :class:`~schemas.problems.Problem` (empty means
valid) rather than raising, so callers can show all problems at once next to the
fields they concern.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from pandera.errors import SchemaError, SchemaErrors

from schemas.problems import Problem, from_failure_cases, translate
from schemas.screen import screened
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
        elif name in frame.columns and _is_text(schema.columns[name]):
            frame[name] = frame[name].map(_json_text)
    extra = [c for c in frame.columns if c not in columns]
    return frame[[c for c in columns if c in frame.columns] + extra].reset_index(drop=True)


def _is_text(column: Any) -> bool:
    return str(column.dtype) in ("str", "string")


def _json_text(value: Any) -> Any:
    """Dicts and lists given for a text field (genetics, counts) as JSON text."""
    return (
        json.dumps(value, sort_keys=True, ensure_ascii=False)
        if isinstance(value, dict | list)
        else value
    )


def _strict_booleans(table: str, frame: pd.DataFrame) -> list[Problem]:
    """Yes/no fields take only real booleans: 'no' must not silently become True.

    Offending cells are reported and then blanked to False so the remaining checks
    can run; the frame is never stored when problems exist.
    """
    problems: list[Problem] = []
    schema = TABLES[table].model.to_schema()
    for name, column in schema.columns.items():
        if str(column.dtype) != "bool" or name not in frame.columns:
            continue
        for row, value in frame[name].items():
            if isinstance(value, bool | np.bool_):
                continue
            missing = value is None or (not isinstance(value, str) and pd.isna(value))
            check = "not_nullable" if missing else "boolean"
            problems.append(translate(table, int(str(row)), name, "" if missing else value, check))
            frame.at[row, name] = False
    return problems


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(value: Any) -> bool:
    # ASCII text cannot hold one; otherwise one regex scan in C, not a loop per character.
    return isinstance(value, str) and not value.isascii() and bool(_SURROGATE.search(value))


def _any_lone_surrogate(values: Iterable[Any]) -> bool:
    """Whether any text among ``values`` holds a lone surrogate: one scan of all the
    text at once (a bulk import has millions of cells; finding one is then done cell
    by cell, to name it)."""
    joined = "\n".join([v for v in values if isinstance(v, str)])
    return not joined.isascii() and _SURROGATE.search(joined) is not None


def _arrow_text(dtype: Any) -> bool:
    """Arrow holds only valid UTF-8: a column stored in Arrow has no lone surrogate."""
    return getattr(dtype, "storage", None) == "pyarrow"


def _valid_text(
    table: str, rows: pd.DataFrame | Iterable[Mapping[str, Any]]
) -> tuple[pd.DataFrame | list[dict[str, Any]], list[Problem]]:
    """Text must be valid Unicode: a lone surrogate (possible only through the
    library, never a page, CSV, XLSX or bundle) cannot be stored, hashed or even put
    in a frame. Such cells are reported (their value left out) and blanked so the
    other checks can run."""
    if isinstance(rows, pd.DataFrame):
        text = rows.select_dtypes(include=["object", "str"])
        text = text[[c for c in text.columns if not _arrow_text(text[c].dtype)]]
        if not _any_lone_surrogate(v for column in text for v in text[column]):
            return rows, []
        records: Iterable[Mapping[str, Any]] = [
            {str(k): v for k, v in r.items()} for r in rows.to_dict("records")
        ]
    else:
        records = list(rows)
        # one list comprehension, not a chain of generators: a bundle has millions of cells
        if not _any_lone_surrogate([v for row in records for v in row.values()]):
            return [r if type(r) is dict else dict(r) for r in records], []
    problems: list[Problem] = []
    cleaned = []
    for i, row in enumerate(records):
        fixed = dict(row)
        for name, value in row.items():
            if _has_lone_surrogate(value):
                problems.append(translate(table, i, str(name), "", "valid_text"))
                fixed[name] = None
        cleaned.append(fixed)
    return cleaned, problems


def checked_table(
    table: str, rows: pd.DataFrame | Iterable[Mapping[str, Any]], *, text_from_utf8: bool = False
) -> tuple[pd.DataFrame, list[Problem]]:
    """Validate rows of ``table``; return the typed frame and every problem found.

    The frame carries the model's types (dates, numbers) and is what gets stored;
    it is only meaningful when the problem list is empty. ``text_from_utf8``: every
    text was decoded from UTF-8 (a bundle's Parquet), so none holds a lone surrogate.
    """
    rows, invalid = (rows, []) if text_from_utf8 else _valid_text(table, rows)
    frame = as_frame(table, rows)
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLES[table].columns}), []
    shown = frame.copy()
    problems = invalid + _strict_booleans(table, frame)
    if not problems:
        fast = screened(table, frame)  # the same schema's checks, without the bookkeeping
        if fast is not None:
            return fast, []
    try:
        checked = TABLES[table].model.validate(frame, lazy=True)
    except SchemaErrors as exc:
        found = from_failure_cases(table, exc.failure_cases, shown)
        return shown, sorted(
            problems + found, key=lambda p: (-1 if p.row is None else p.row, p.field)
        )
    except SchemaError as exc:  # raised by non-lazy paths such as strict column order
        column = str(getattr(exc, "column_name", "") or "")
        return shown, [*problems, translate(table, None, column, "", str(exc.check))]
    return (shown, problems) if problems else (checked, [])


def validate_table(table: str, rows: pd.DataFrame | Iterable[Mapping[str, Any]]) -> list[Problem]:
    """Validate rows of ``table`` against its model; return every problem found."""
    return checked_table(table, rows)[1]
