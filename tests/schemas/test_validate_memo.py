"""A form's rows validated twice in a row (the page, then the save) are checked once:
the kept result must be exactly what a fresh validation gives, and a caller changing
the frame it was handed must not change what the next caller gets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings

from schemas import validate
from schemas.validate import checked_table, forget_checked
from tests.schemas.test_screen import ROWS, batches


def _same(a: tuple[pd.DataFrame, list], b: tuple[pd.DataFrame, list]) -> None:
    pd.testing.assert_frame_equal(a[0], b[0], check_exact=True)
    assert a[1] == b[1]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_a_kept_result_is_what_a_fresh_validation_gives(batch: tuple[str, list[dict]]) -> None:
    table, rows = batch
    fresh = validate._checked_table(table, [dict(r) for r in rows])
    first = checked_table(table, [dict(r) for r in rows])
    again = checked_table(table, [dict(r) for r in rows])
    _same(first, fresh)
    _same(again, fresh)


def test_rows_that_differ_in_a_value_or_only_its_type_are_validated_afresh() -> None:
    forget_checked()
    row = dict(ROWS["labs"][0])
    good = checked_table("labs", [row])
    assert good[1] == []
    changed = checked_table("labs", [{**row, "value": -1e9}])  # a near miss: one value
    assert changed[1] and changed[1] != good[1]
    as_text = checked_table("labs", [{**row, "value": str(row["value"])}])
    fresh = validate._checked_table("labs", [{**row, "value": str(row["value"])}])
    _same(as_text, fresh)


def test_changing_a_handed_out_frame_does_not_change_the_next_result() -> None:
    forget_checked()
    rows: list[dict[str, Any]] = [dict(r) for r in ROWS["treatments"][:2]]
    frame, problems = checked_table("treatments", rows)
    assert problems == []
    frame.loc[0, "dose"] = 999.0
    frame["route"] = "changed"
    again, _ = checked_table("treatments", rows)
    _same((again, []), validate._checked_table("treatments", rows))


def test_a_result_is_not_kept_past_its_day(monkeypatch: Any) -> None:
    forget_checked()
    rows = [dict(ROWS["subjects"][0])]
    checked_table("subjects", rows)

    class Tomorrow(dt.date):
        @classmethod
        def today(cls) -> dt.date:
            return dt.date.fromordinal(dt.date.fromisoformat("2026-01-01").toordinal() + 400)

    monkeypatch.setattr(validate.dt, "date", Tomorrow)
    assert validate._memo_key("subjects", rows) not in validate._memo
