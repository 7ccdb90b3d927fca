"""Serious events on the reporting side: SUSAR or not, which clock, expectedness lists
edited by a coordinator, day 0 and submissions recorded with their rules."""

from __future__ import annotations

import datetime as dt

import pytest

from schemas.errors import AccessDenied, CaseguardError
from tests.reporting.fixtures import reporting_db, serious_case
from tests.warehouse_fixtures import audit_rows, coordinator, monitor, site_user
from warehouse.reporting.expectedness import add_expected, list_expected, remove_expected
from warehouse.reporting.sae import category, clock_board, serious_events
from warehouse.reporting.sae_records import (
    add_followup_receipt,
    record_submission,
    set_aware_date,
    set_site_reporting,
)
from warehouse.store.db import Database

__all__ = ["reporting_db"]
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("criteria", "causality", "expected", "result"),
    [
        (("death",), {"P": "possible"}, {"P": False}, "fatal_or_life_threatening"),
        (
            ("life_threatening", "hospitalisation"),
            {"P": "probable"},
            {"P": False},
            "fatal_or_life_threatening",
        ),
        (("hospitalisation",), {"P": "unassessable"}, {"P": False}, "other_serious"),
        (("hospitalisation",), {"P": "possible"}, {"P": True}, None),  # expected
        (("hospitalisation",), {"P": "unlikely"}, {"P": False}, None),  # not suspected
        ((), {"P": "certain"}, {"P": False}, None),  # not serious
        (
            ("death",),
            {"P": "unlikely", "Q": "possible"},
            {"P": False, "Q": False},
            "fatal_or_life_threatening",
        ),
        (("death",), {"P": "possible", "Q": "possible"}, {"P": True, "Q": True}, None),
    ],
)
def test_category(
    criteria: tuple[str, ...],
    causality: dict[str, str],
    expected: dict[str, bool],
    result: str | None,
) -> None:
    assert category(criteria, causality, expected) == result


def test_expectedness_follows_the_products_list_as_the_coordinator_edits_it(
    reporting_db: Database,
) -> None:
    _, ae_id = serious_case(reporting_db, "P-EXP", term="HEADACHE")
    (event,) = serious_events(coordinator(reporting_db))
    assert event.expected == {"NUS-SPINRAZA": True} and not event.susar
    assert remove_expected(coordinator(reporting_db), "NUS-SPINRAZA", "HEADACHE")
    (event,) = serious_events(coordinator(reporting_db))
    assert event.susar and event.facts.category == "other_serious"
    with pytest.raises(AccessDenied):
        add_expected(monitor(reporting_db), "NUS-SPINRAZA", "HEADACHE")
    with pytest.raises(CaseguardError, match="neither a term of the open list nor a MedDRA PT"):
        add_expected(coordinator(reporting_db), "NUS-SPINRAZA", "Headache")
    assert add_expected(coordinator(reporting_db), "NUS-SPINRAZA", "PT:91000001")
    assert "PT:91000001" in set(list_expected(monitor(reporting_db))["term"])
    keys = [
        r["row_key"] for r in audit_rows(reporting_db) if r["table_name"] == "rsi_expected_terms"
    ]
    assert "NUS-SPINRAZA/HEADACHE" in keys and "NUS-SPINRAZA/PT:91000001" in keys


def test_day0_submissions_and_follow_ups_drive_the_board(reporting_db: Database) -> None:
    _, fatal = serious_case(reporting_db, "P-FATAL", criteria=("death",))
    _, other = serious_case(reporting_db, "P-HOSP", site="PRM")
    board = clock_board(monitor(reporting_db), NOW)
    assert [c.state for c in board.clocks] == ["no_day0", "no_day0"]
    set_aware_date(site_user(reporting_db), fatal, dt.date(2026, 3, 1), NOW)
    set_aware_date(site_user(reporting_db, "PRM"), other, dt.date(2026, 3, 5), NOW)
    board = clock_board(monitor(reporting_db), NOW)
    assert [(c.ae_id, c.kind, c.state, c.days_left) for c in board.clocks] == [
        (fatal, "initial", "overdue", -2),
        (fatal, "completion", "due", 6),
        (other, "initial", "due", 10),
    ]
    assert (
        record_submission(coordinator(reporting_db), fatal, "initial", dt.date(2026, 3, 9), NOW)
        == 1
    )
    with pytest.raises(CaseguardError, match="has no initial report yet"):
        record_submission(coordinator(reporting_db), other, "follow_up", dt.date(2026, 3, 9), NOW)
    add_followup_receipt(site_user(reporting_db), fatal, dt.date(2026, 3, 9), NOW)
    assert (
        record_submission(coordinator(reporting_db), fatal, "completion", dt.date(2026, 3, 10), NOW)
        == 2
    )
    board = clock_board(monitor(reporting_db), NOW, open_only=True)
    assert [(c.ae_id, c.kind) for c in board.clocks] == [(other, "initial"), (fatal, "follow_up")]
    mine = clock_board(site_user(reporting_db, "PRM"), NOW)
    assert {c.ae_id for c in mine.clocks} == {other}


def test_day0_in_the_future_or_from_another_site_is_refused(reporting_db: Database) -> None:
    _, ae_id = serious_case(reporting_db, "P-FUT")
    with pytest.raises(CaseguardError, match="is in the future at site MSK"):
        set_aware_date(site_user(reporting_db), ae_id, dt.date(2026, 3, 11), NOW)
    with pytest.raises(AccessDenied):
        set_aware_date(site_user(reporting_db, "PRM"), ae_id, dt.date(2026, 3, 1), NOW)
    with pytest.raises(AccessDenied):
        set_aware_date(monitor(reporting_db), ae_id, dt.date(2026, 3, 1), NOW)


def test_a_sites_time_zone_moves_its_today(reporting_db: Database) -> None:
    _, ae_id = serious_case(reporting_db, "P-TZ", criteria=("life_threatening",))
    late_evening = dt.datetime(2026, 3, 9, 18, 0, tzinfo=dt.UTC)  # 21:00 Moscow, 01:00 Barnaul
    set_aware_date(site_user(reporting_db), ae_id, dt.date(2026, 3, 2), late_evening)
    assert clock_board(monitor(reporting_db), late_evening).clocks[0].days_left == 0
    set_site_reporting(coordinator(reporting_db), "MSK", "Asia/Barnaul", "ICH")
    assert clock_board(monitor(reporting_db), late_evening).clocks[0].days_left == -1
    with pytest.raises(CaseguardError, match="unknown jurisdiction"):
        set_site_reporting(coordinator(reporting_db), "MSK", "Asia/Barnaul", "FDA")
