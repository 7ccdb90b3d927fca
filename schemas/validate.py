"""Validation at the boundaries: one table, or a whole case, lazily.

Every function returns a list of :class:`~schemas.problems.Problem` (empty means
valid) rather than raising, so callers can show all problems at once next to the
fields they concern.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from pandera.errors import SchemaError, SchemaErrors

from schemas.problems import Problem, from_failure_cases, translate
from schemas.reference import load_reference
from schemas.screen import schema_of, screened
from schemas.tables import TABLES


def as_frame(table: str, rows: pd.DataFrame | Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Rows (a frame or dicts) as a frame with the table's columns in model order."""
    schema = schema_of(table)
    text = [n for n, c in schema.columns.items() if _is_text(c)]
    if isinstance(rows, pd.DataFrame):
        frame = rows.copy()
        for name in text:
            if name in frame.columns:
                frame[name] = frame[name].map(_json_text)
    else:  # dicts: only the few cells holding a dict or list are turned into text
        listed = list(rows)
        if any(isinstance(row.get(n), dict | list) for row in listed for n in text):
            listed = [
                {k: _json_text(v) if k in text else v for k, v in row.items()} for row in listed
            ]
        frame = pd.DataFrame(listed)
    columns = TABLES[table].columns
    if frame.empty and not len(frame.columns):
        return pd.DataFrame(columns=columns)
    for name in columns:  # an optional field left out is simply empty
        if name not in frame.columns and schema.columns[name].nullable:
            frame[name] = None
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


def _strict_booleans(table: str, frame: pd.DataFrame) -> list[tuple[Problem, Any, str]]:
    """Yes/no fields take only real booleans: 'no' must not silently become True.

    Returns each offending cell's problem with its row label and column; the caller
    blanks those cells to False (see :func:`_blanked`) so the remaining checks can run.
    """
    found: list[tuple[Problem, Any, str]] = []
    for name, column in schema_of(table).columns.items():
        if str(column.dtype) != "bool" or name not in frame.columns:
            continue
        for row, value in frame[name].items():
            if isinstance(value, bool | np.bool_):
                continue
            missing = value is None or (not isinstance(value, str) and pd.isna(value))
            check = "not_nullable" if missing else "boolean"
            problem = translate(table, int(str(row)), name, "" if missing else value, check)
            found.append((problem, row, name))
    return found


def _blanked(frame: pd.DataFrame, cells: list[tuple[Problem, Any, str]]) -> pd.DataFrame:
    """The frame with the given cells set to False (it is never stored then)."""
    for _, row, name in cells:
        if frame[name].dtype != object:  # a column of text only is typed as text
            frame[name] = frame[name].astype(object)
        frame.at[row, name] = False
    return frame


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


# The few rows a form saves are validated twice within seconds: by the page before it
# offers Save (a wizard's last step) and by the save itself. Their result is kept for
# a while, keyed by the rows' exact values and types, the day (checks compare with
# today) and the reference data in use; a copy is handed out, never the kept frame.
_MEMO_MAX_ROWS = 64
_MEMO_SIZE = 256
_MEMO_SECONDS = 600.0
_memo: OrderedDict[Hashable, tuple[float, pd.DataFrame, list[Problem]]] = OrderedDict()
_memo_lock = threading.Lock()


def _memo_key(table: str, rows: list[Mapping[str, Any]]) -> Hashable | None:
    if not rows or len(rows) > _MEMO_MAX_ROWS:
        return None
    cells = tuple(
        tuple((str(k), type(v).__qualname__, repr(v)) for k, v in row.items()) for row in rows
    )
    return table, dt.date.today(), id(load_reference()), cells


def checked_table(
    table: str, rows: pd.DataFrame | Iterable[Mapping[str, Any]], *, text_from_utf8: bool = False
) -> tuple[pd.DataFrame, list[Problem]]:
    """Validate rows of ``table``; return the typed frame and every problem found.

    The frame carries the model's types (dates, numbers) and is what gets stored;
    it is only meaningful when the problem list is empty. ``text_from_utf8``: every
    text was decoded from UTF-8 (a bundle's Parquet), so none holds a lone surrogate.
    The result for the same few rows validated moments before is reused (see
    ``_memo_key``).
    """
    if isinstance(rows, pd.DataFrame) or text_from_utf8:
        return _checked_table(table, rows, text_from_utf8=text_from_utf8)
    rows = list(rows)
    if not rows:
        return _no_rows(table).copy(), []
    key = _memo_key(table, rows)
    if key is None:
        return _checked_table(table, rows)
    now = time.monotonic()
    with _memo_lock:
        kept = _memo.get(key)
        if kept is not None and now - kept[0] < _MEMO_SECONDS:
            _memo.move_to_end(key)
            return kept[1].copy(), list(kept[2])
    frame, problems = _checked_table(table, rows)
    with _memo_lock:
        _memo[key] = (now, frame.copy(), list(problems))
        while len(_memo) > _MEMO_SIZE:
            _memo.popitem(last=False)
    return frame, problems


@functools.cache
def _no_rows(table: str) -> pd.DataFrame:
    """The checked frame of no rows (hand out copies: callers may change theirs)."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLES[table].columns})


def forget_checked() -> None:
    """Drop every kept validation result (tests that change reference data or the
    clock use it)."""
    with _memo_lock:
        _memo.clear()


def _checked_table(
    table: str,
    rows: pd.DataFrame | Iterable[Mapping[str, Any]],
    *,
    text_from_utf8: bool = False,
) -> tuple[pd.DataFrame, list[Problem]]:
    rows, invalid = (rows, []) if text_from_utf8 else _valid_text(table, rows)
    frame = as_frame(table, rows)
    if frame.empty:
        return _no_rows(table).copy(), []
    not_boolean = _strict_booleans(table, frame)
    if not invalid and not not_boolean:
        fast = screened(table, frame)  # the same schema's checks, without the bookkeeping
        if fast is not None:
            return fast, []
    shown = frame.copy()  # as given, to show beside the problems
    frame = _blanked(frame, not_boolean)
    problems = invalid + [problem for problem, _, _ in not_boolean]
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
