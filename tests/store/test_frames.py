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
from hypothesis import given, settings
from hypothesis import strategies as st

from warehouse.store.frames import plain, records


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
