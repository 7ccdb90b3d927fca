"""In the served app the soft checks after a save run behind the click: the save
returns at once, the query opens moments later, subjects saved meanwhile are checked
together, and a failing check neither loses the save nor stops later checks."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

from tests.review.test_soft_checks import first_visit, rule_queries, saved, visit
from tests.warehouse_fixtures import (
    coordinator,
    file_db,  # noqa: F401
)
from warehouse.review import checks_behind as behind
from warehouse.review.soft_checks import checks_after_save
from warehouse.store.cases import add_records
from warehouse.store.db import Database


class _Db:
    def __init__(self, path: str) -> None:
        self.path = Path(path)


def test_a_save_returns_before_its_checks_and_subjects_saved_meanwhile_go_together() -> None:
    release, runs = threading.Event(), []

    def slow_run(db: Any, ids: list[str]) -> None:
        runs.append(ids)
        release.wait(10)

    with behind.checks_behind():
        behind.submit(_Db("a.duckdb"), ["S-1"], slow_run)  # type: ignore[arg-type]
        assert not behind.wait_until_checked(timeout=0.2), "the first check runs behind"
        for sid in ("S-2", "S-3", "S-2"):
            behind.submit(_Db("a.duckdb"), [sid], slow_run)  # type: ignore[arg-type]
        release.set()
    assert runs == [["S-1"], ["S-2", "S-3"]]  # the queued saves: one run, each subject once
    assert not behind.behind(), "leaving the served app's mode restores checks in the call"


def test_a_failing_check_does_not_stop_the_next() -> None:
    done: list[str] = []

    def failing(db: Any, ids: list[str]) -> None:
        if ids == ["BAD"]:
            raise RuntimeError("boom")
        done.extend(ids)

    with behind.checks_behind():
        behind.submit(_Db("b.duckdb"), ["BAD"], failing)  # type: ignore[arg-type]
        assert behind.wait_until_checked(timeout=10)
        behind.submit(_Db("b.duckdb"), ["GOOD"], failing)  # type: ignore[arg-type]
    assert done == ["GOOD"]


def _score_drop(db: Database) -> str:
    """A saved subject and a visit whose score trips the score-change rule."""
    sid = saved(db)
    later = first_visit(db, sid) + dt.timedelta(days=30)
    add_records(coordinator(db), sid, {"assessments": [visit(sid, 1, later, 10.0)]})
    return sid


def test_the_query_of_a_save_opens_once_its_checks_ran_behind(file_db: Database) -> None:  # noqa: F811
    sid = _score_drop(file_db)
    with behind.checks_behind():
        checks_after_save(file_db, [sid])
        assert behind.wait_until_checked(timeout=30)
    assert rule_queries(file_db, sid) == [("motor-score-change", "AS-X1", "open")]


def test_outside_the_served_app_the_checks_run_inside_the_call(file_db: Database) -> None:  # noqa: F811
    sid = _score_drop(file_db)
    checks_after_save(file_db, [sid])
    assert rule_queries(file_db, sid) == [("motor-score-change", "AS-X1", "open")]


def test_a_correction_checks_at_once_even_in_the_served_app(file_db: Database) -> None:  # noqa: F811
    sid = _score_drop(file_db)
    with behind.checks_behind():
        checks_after_save(file_db, [sid], now=True)
        assert rule_queries(file_db, sid) == [("motor-score-change", "AS-X1", "open")]
