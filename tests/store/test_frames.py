"""records() converts column by column; it must equal the cell-by-cell conversion.

The reference is the definition: every cell of ``to_dict("records")`` through
:func:`plain`. Random frames mix the column kinds the warehouse stores (text, whole
and decimal numbers with gaps, yes/no, dates and timestamps with gaps, lists).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import CLINICAL_TABLES, TABLES
from schemas.validate import checked_table
from tests.schemas.test_screen import ROWS, batches
from warehouse.store.db import Database
from warehouse.store.frames import (
    SMALL_INSERT,
    insert,
    plain,
    records,
    records_as_given,
)
from warehouse.store.migrations import migrate


def _by_cell(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


DAYS = st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1))
COLUMNS = {
    "text": st.one_of(st.none(), st.text(max_size=5)),
    "whole": st.integers(-1000, 1000),
    "decimal": st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    "flag": st.booleans(),
    "day": st.one_of(st.none(), DAYS),
    "moment": st.one_of(st.none(), st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2030, 1, 1))),
    "items": st.one_of(st.none(), st.lists(st.text(max_size=3), max_size=3)),
}


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.fixed_dictionaries(COLUMNS), max_size=6),
    st.sets(st.sampled_from(sorted(COLUMNS)), min_size=1),
    st.booleans(),
)
def test_records_equal_the_cell_by_cell_conversion(
    rows: list[dict[str, Any]], kept: set[str], typed: bool
) -> None:
    frame = pd.DataFrame(rows, columns=sorted(COLUMNS))[sorted(kept)]
    if typed and len(frame):  # as Pandera leaves them: datetime64 dates and timestamps
        for column in {"day", "moment"} & kept:
            frame[column] = pd.to_datetime(frame[column])
    fast, slow = records(frame), _by_cell(frame)
    assert len(fast) == len(slow)
    for got, want in zip(fast, slow, strict=True):
        assert list(got) == list(want)
        assert all(_same(got[k], want[k]) for k in want), (got, want)


# -- a few rows inserted as statement parameters equal the frame inserted --------------


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Database:
    root = tmp_path_factory.mktemp("frames")
    db = Database(root / "w.duckdb", key_dir=root / "keys")
    migrate(db)
    return db


def _stored_both_ways(db: Database, table: str, rows: list[dict[str, Any]]) -> list[list]:
    frame, problems = checked_table(table, rows)
    assert problems == []
    out = []
    columns = ", ".join(TABLES[table].columns)
    with db.connect() as conn:
        for plain_rows in (None, records(frame)):
            conn.execute("BEGIN")
            insert(conn, table, frame, plain_rows)
            out.append(conn.execute(f"SELECT {columns} FROM {table} ORDER BY ALL").fetchall())
            conn.execute("ROLLBACK")
    return out


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    table=st.sampled_from([t for t in CLINICAL_TABLES if ROWS[t]]),
    picks=st.lists(st.integers(0, 10_000), min_size=1, max_size=6, unique=True),
)
def test_a_few_rows_as_parameters_are_stored_as_the_frame_stores_them(
    warehouse: Database, table: str, picks: list[int]
) -> None:
    pool = ROWS[table]
    rows = list({i % len(pool): pool[i % len(pool)] for i in picks}.values())
    by_frame, by_parameters = _stored_both_ways(warehouse, table, rows)
    assert by_parameters == by_frame and len(by_frame) == len(rows)


def test_every_demo_row_is_stored_alike_either_way(warehouse: Database) -> None:
    for table in CLINICAL_TABLES:
        if ROWS[table]:
            by_frame, by_parameters = _stored_both_ways(
                warehouse, table, ROWS[table][:SMALL_INSERT]
            )
            assert by_parameters == by_frame, table


# -- rows taken as given equal the checked frame converted back ------------------------


def _typed(rows: list[dict[str, Any]]) -> list[dict[str, tuple[type, Any]]]:
    return [{k: (type(v), v) for k, v in row.items()} for row in rows]


@settings(max_examples=300, deadline=None)
@given(batches())
def test_rows_taken_as_given_are_the_checked_frame_converted_back(
    batch: tuple[str, list[dict[str, Any]]],
) -> None:
    table, rows = batch
    frame, problems = checked_table(table, rows)
    given_rows = records_as_given(table, rows)
    if problems or given_rows is None:
        return
    assert _typed(given_rows) == _typed(records(frame.reset_index(drop=True)))


def test_demo_rows_are_taken_as_given_and_near_misses_are_converted() -> None:
    for table in CLINICAL_TABLES:
        if ROWS[table]:
            assert records_as_given(table, ROWS[table]) is not None, table
    row = ROWS["labs"][0]
    assert records_as_given("labs", [{**row, "value": 25}])[0]["value"] == 25.0  # type: ignore[index]
    assert records_as_given("labs", [{**row, "value": True}]) is None
    assert records_as_given("labs", [{**row, "date": dt.datetime(2024, 1, 2)}]) is None  # midnight
    assert records_as_given("labs", [{**row, "value": math.nan}]) is None
    assert records_as_given("labs", [{**row, "stray": 1}]) is None
