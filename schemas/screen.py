"""A quick pass of a table's own Pandera schema that can only say "all valid".

For the few rows of one save, Pandera's ``validate`` spends most of its time on
bookkeeping (a copy of each column's component, failure-case frames, error reports)
rather than on the checks. :func:`screened` runs the same cached schema objects in a
plain loop: the same coercion (``DataType.try_coerce``), the same dtype check,
nullability and uniqueness (column and table level), and every column and dataframe
``Check`` object of the schema, called exactly as Pandera calls them. It returns the
coerced frame when every one of them passes, and None otherwise (or on anything
unexpected); the caller then runs Pandera's ``validate``, so every problem a user sees
is still Pandera's own. Nothing is written twice: the checks are the schema's.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.backends.pandas.checks import PandasCheckBackend
from pandera.engines.pandas_engine import Engine

from schemas.tables import TABLES


@functools.cache
def schema_of(table: str) -> pa.DataFrameSchema:
    """The table's Pandera schema object, built once per process."""
    return TABLES[table].model.to_schema()


_BACKENDS: dict[int, tuple[Any, PandasCheckBackend]] = {}


def _backend(check: Any) -> PandasCheckBackend:
    """The check's Pandera backend, built once (Pandera builds one per call). Kept by
    the check's identity: checks belong to the cached schemas and live as long, and
    comparing checks for equality costs more than building a backend."""
    kept = _BACKENDS.get(id(check))
    if kept is None or kept[0] is not check:
        kept = _BACKENDS[id(check)] = (check, PandasCheckBackend(check))
    return kept[1]


def _passes(check: Any, data: pd.DataFrame, column: str | None = None) -> bool:
    """Whether the check passes, as Pandera's backend decides it: its own preprocess
    and apply, then the pass/fail part of its postprocess without collecting the
    failure cases (which only a failing check has, and Pandera then reports)."""
    backend = _backend(check)
    checked = backend.preprocess(data, column)
    output = backend.apply(checked)
    if isinstance(output, bool | np.bool_):
        return bool(output)
    if not isinstance(checked, pd.Series | pd.DataFrame):
        raise TypeError("grouped checks are left to Pandera")
    if isinstance(output, pd.DataFrame):
        if check.ignore_na and checked.index.equals(output.index):
            output = output | checked.isna()
        return bool(output.all(axis=None))
    if not isinstance(output, pd.Series):
        raise TypeError("an unexpected check output is left to Pandera")
    if isinstance(checked, pd.DataFrame) and check.ignore_na and checked.index.equals(output.index):
        output = output | checked.isna().all(axis="columns")
    return bool(output.all())


def screened(table: str, frame: pd.DataFrame) -> pd.DataFrame | None:
    """The frame as Pandera would return it if every check of ``table`` passes, else None."""
    schema = schema_of(table)
    if not schema.strict or list(frame.columns) != list(schema.columns) or frame.empty:
        return None  # only the shape the tables use: strict, every column, in order
    try:
        columns: dict[str, pd.Series] = {}
        for name, column in schema.columns.items():
            series = frame[name]
            if column.dtype is not None and (schema.coerce or column.coerce):
                series = column.dtype.try_coerce(series)
            if column.dtype is not None and not _dtype_ok(column.dtype, series):
                return None
            if not column.nullable and bool(series.isna().any()):
                return None
            if column.unique and bool(series.duplicated().any()):
                return None
            columns[name] = series
        coerced = pd.DataFrame(columns, index=frame.index)
        if schema.unique and bool(coerced.duplicated(subset=list(schema.unique)).any()):
            return None
        for name, column in schema.columns.items():
            if not all(_passes(check, coerced, name) for check in column.checks):
                return None
        if not all(_passes(check, coerced) for check in schema.checks):
            return None
    except Exception:  # noqa: BLE001 - any surprise: let Pandera itself decide and report
        return None
    return coerced


@functools.lru_cache(maxsize=256)
def _engine_dtype(dtype: Any) -> Any:
    """Pandera's data type for a pandas dtype (a fixed mapping; Pandera looks it up,
    trying to import optional libraries, on every call)."""
    return Engine.dtype(dtype)


def _dtype_ok(dtype: Any, series: pd.Series) -> bool:
    result = dtype.check(_engine_dtype(series.dtype), series)
    return bool(result) if isinstance(result, bool) else bool(pd.Series(result).all())
