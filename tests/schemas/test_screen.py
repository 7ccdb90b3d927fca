"""The quick screen and Pandera's validate agree on every table, for random rows.

:func:`schemas.screen.screened` may only vouch for rows that Pandera accepts, and must
then return exactly Pandera's typed frame; it should also vouch for (almost) every
valid batch, or saves lose the speed it exists for. Rows are a demo case's, with
random fields replaced by values of other rows, blanks, wrong types, out-of-range
numbers and stray text.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import tempfile
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anonymise.keys import KeyStore
from schemas import CLINICAL_TABLES, TABLES
from schemas.screen import screened
from schemas.validate import as_frame, checked_table
from warehouse.demo.build import build_case


def _demo_rows() -> dict[str, list[dict[str, Any]]]:
    keys = KeyStore(tempfile.mkdtemp(prefix="screen-keys-"))
    keys.create_site_key("MSK")
    rng = random.Random(7)
    rows: dict[str, list[dict[str, Any]]] = {t: [] for t in CLINICAL_TABLES}
    for number in range(12):
        case = build_case(rng, "MSK", keys.site_key("MSK"), 500_000 + number, "msk_neuro")
        for table in CLINICAL_TABLES:
            rows[table] += case.rows(table)
    return rows


ROWS = _demo_rows()
ODD = [None, "", "x", "NEVER", -1, 0, 1.5, 1e9, math.nan, True, "2020-01-01", dt.date(1800, 1, 1)]


@st.composite
def batches(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]]]:
    table = draw(st.sampled_from([t for t in CLINICAL_TABLES if ROWS[t]]))
    pool = ROWS[table]
    picked = draw(st.lists(st.integers(0, len(pool) - 1), min_size=1, max_size=4))
    rows = [dict(pool[i]) for i in picked]
    columns = TABLES[table].columns
    for row in rows:
        for _ in range(draw(st.integers(0, 2))):
            column = draw(st.sampled_from(columns))
            other = draw(st.sampled_from(pool)).get(column)
            row[column] = draw(st.sampled_from([other, *ODD]))
    return table, rows


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_screen_vouches_only_for_what_pandera_accepts(batch: tuple[str, list[dict]]) -> None:
    table, rows = batch
    frame = as_frame(table, rows)
    fast = screened(table, frame.copy())
    try:
        slow = TABLES[table].model.validate(frame.copy(), lazy=True)
    except Exception:  # noqa: BLE001 - Pandera refuses: the screen must not vouch
        assert fast is None, f"screen passed rows Pandera refuses: {rows}"
        return
    if fast is not None:
        pd.testing.assert_frame_equal(fast, slow, check_exact=True)


def test_screen_vouches_for_every_valid_demo_table() -> None:
    for table, rows in ROWS.items():
        if rows:
            frame = as_frame(table, rows)
            fast = screened(table, frame.copy())
            assert fast is not None, table
            pd.testing.assert_frame_equal(fast, TABLES[table].model.validate(frame.copy()))


def test_checked_table_reports_the_same_problems_with_or_without_the_screen() -> None:
    table = "treatments"
    bad = [{**ROWS[table][0], "dose": -5.0}, {**ROWS[table][1], "route": "oral-ish"}]
    frame, problems = checked_table(table, bad)
    assert {(p.row, p.field) for p in problems} >= {(0, "dose"), (1, "route")}
    good, none = checked_table(table, ROWS[table][:3])
    assert none == [] and len(good) == 3
