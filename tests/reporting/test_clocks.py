"""Clock arithmetic, table-driven: calendar days, weekends, month and year ends,
time zones, follow-ups and what each submission closes."""

from __future__ import annotations

import datetime as dt

import pytest

from warehouse.reporting.clocks import (
    DUE,
    NO_DAY0,
    OVERDUE,
    SUBMITTED,
    EventFacts,
    Submission,
    add_days,
    clocks_for,
    local_today,
    urgency,
)
from warehouse.reporting.rules import ClockRule, Jurisdiction, load_rules

ICH = load_rules().jurisdictions["ICH"]
ROLLING = Jurisdiction("X", "x", "x", True, ICH.rules)
D = dt.date


@pytest.mark.parametrize(
    ("start", "days", "roll", "due"),
    [
        (D(2026, 3, 2), 7, False, D(2026, 3, 9)),  # Monday + 7
        (D(2026, 3, 6), 15, False, D(2026, 3, 21)),  # lands on a Saturday: stays (calendar days)
        (D(2026, 3, 6), 15, True, D(2026, 3, 23)),  # ... or rolls to Monday where the rule says
        (D(2026, 3, 7), 15, True, D(2026, 3, 23)),  # Sunday -> Monday
        (D(2026, 3, 2), 15, True, D(2026, 3, 17)),  # a weekday never moves
        (D(2026, 1, 28), 7, False, D(2026, 2, 4)),  # over a month end
        (D(2028, 2, 22), 7, False, D(2028, 2, 29)),  # leap day
        (D(2026, 2, 22), 7, False, D(2026, 3, 1)),  # February of a common year
        (D(2026, 12, 28), 7, False, D(2027, 1, 4)),  # over the year end
    ],
)
def test_due_dates(start: dt.date, days: int, roll: bool, due: dt.date) -> None:
    assert add_days(start, days, roll) == due


@pytest.mark.parametrize(
    ("utc", "zone", "today"),
    [
        (dt.datetime(2026, 3, 9, 20, 30, tzinfo=dt.UTC), "Europe/Moscow", D(2026, 3, 9)),  # 23:30
        (dt.datetime(2026, 3, 9, 21, 30, tzinfo=dt.UTC), "Europe/Moscow", D(2026, 3, 10)),  # 00:30
        (dt.datetime(2026, 3, 9, 17, 30, tzinfo=dt.UTC), "Asia/Barnaul", D(2026, 3, 10)),  # +7
        (dt.datetime(2026, 3, 9, 17, 30, tzinfo=dt.UTC), "Europe/Moscow", D(2026, 3, 9)),
    ],
)
def test_today_is_the_sites_own_date(utc: dt.datetime, zone: str, today: dt.date) -> None:
    assert local_today(utc, zone) == today


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        local_today(dt.datetime(2026, 1, 1), "UTC")


def _facts(category: str | None, day0: dt.date | None, **kw: object) -> EventFacts:
    return EventFacts("AE-1", "MSK", category, day0, **kw)  # type: ignore[arg-type]


# (category, today, submissions, expected [(kind, due, state, days_left)])
CASES = [
    (
        "fatal_or_life_threatening",
        D(2026, 3, 5),
        (),
        [("initial", D(2026, 3, 9), DUE, 4), ("completion", D(2026, 3, 17), DUE, 12)],
    ),
    (
        "fatal_or_life_threatening",
        D(2026, 3, 9),
        (),
        [("initial", D(2026, 3, 9), DUE, 0), ("completion", D(2026, 3, 17), DUE, 8)],
    ),  # due today is still due
    (
        "fatal_or_life_threatening",
        D(2026, 3, 10),
        (),
        [("initial", D(2026, 3, 9), OVERDUE, -1), ("completion", D(2026, 3, 17), DUE, 7)],
    ),
    (
        "fatal_or_life_threatening",
        D(2026, 3, 12),
        (Submission("initial", 1, D(2026, 3, 6)),),
        [("initial", D(2026, 3, 9), SUBMITTED, None), ("completion", D(2026, 3, 17), DUE, 5)],
    ),
    ("other_serious", D(2026, 3, 5), (), [("initial", D(2026, 3, 17), DUE, 12)]),
    ("other_serious", D(2026, 3, 18), (), [("initial", D(2026, 3, 17), OVERDUE, -1)]),
    (None, D(2026, 3, 18), (), []),  # not expedited: no clock
]


@pytest.mark.parametrize(("category", "today", "sent", "expected"), CASES)
def test_clocks_from_day0(
    category: str | None,
    today: dt.date,
    sent: tuple[Submission, ...],
    expected: list[tuple[str, dt.date, str, int | None]],
) -> None:
    clocks = clocks_for(_facts(category, D(2026, 3, 2), submissions=sent), ICH, today)
    assert [(c.kind, c.due, c.state, c.days_left) for c in clocks] == expected


def test_a_late_submission_is_submitted_but_marked_late() -> None:
    sent = (Submission("initial", 1, D(2026, 3, 20)),)
    (clock,) = clocks_for(
        _facts("other_serious", D(2026, 3, 2), submissions=sent), ICH, D(2026, 4, 1)
    )
    assert clock.state == SUBMITTED and clock.late and clock.submitted_on == D(2026, 3, 20)


def test_each_follow_up_receipt_runs_15_days_and_is_closed_by_a_later_follow_up_report() -> None:
    facts = _facts(
        "other_serious",
        D(2026, 1, 5),
        receipts=(D(2026, 2, 1), D(2026, 2, 20)),
        submissions=(
            Submission("initial", 1, D(2026, 1, 10)),
            Submission("follow_up", 2, D(2026, 2, 10)),  # answers the first receipt only
        ),
    )
    clocks = clocks_for(facts, ICH, D(2026, 3, 10))
    follow = [
        (c.sequence, c.start, c.due, c.state, c.days_left) for c in clocks if c.kind == "follow_up"
    ]
    assert follow == [
        (1, D(2026, 2, 1), D(2026, 2, 16), SUBMITTED, None),
        (2, D(2026, 2, 20), D(2026, 3, 7), OVERDUE, -3),
    ]


def test_a_follow_up_report_sent_before_the_receipt_does_not_close_it() -> None:
    facts = _facts(
        "other_serious",
        D(2026, 1, 5),
        receipts=(D(2026, 2, 1),),
        submissions=(Submission("follow_up", 2, D(2026, 1, 20)),),
    )
    follow = [c for c in clocks_for(facts, ICH, D(2026, 2, 3)) if c.kind == "follow_up"]
    assert [(c.state, c.days_left) for c in follow] == [(DUE, 13)]


def test_weekend_rolling_applies_to_follow_ups_too() -> None:
    facts = _facts("other_serious", D(2026, 3, 2), receipts=(D(2026, 3, 6),))
    follow = [c for c in clocks_for(facts, ROLLING, D(2026, 3, 6)) if c.kind == "follow_up"]
    assert follow[0].due == D(2026, 3, 23)


def test_an_expedited_event_without_day0_is_listed_first() -> None:
    missing = clocks_for(_facts("other_serious", None), ICH, D(2026, 3, 5))
    assert [(c.state, c.due) for c in missing] == [(NO_DAY0, None)]
    overdue = clocks_for(_facts("other_serious", D(2026, 1, 1)), ICH, D(2026, 3, 5))
    due = clocks_for(_facts("fatal_or_life_threatening", D(2026, 3, 4)), ICH, D(2026, 3, 5))
    ordered = sorted(due + overdue + missing, key=urgency)
    assert [c.state for c in ordered] == [NO_DAY0, OVERDUE, DUE, DUE]


def test_a_custom_jurisdiction_is_just_data() -> None:
    strict = Jurisdiction("Y", "y", "y", False, (ClockRule("initial", "any_serious", 3, "day0"),))
    (clock,) = clocks_for(_facts("other_serious", D(2026, 3, 2)), strict, D(2026, 3, 4))
    assert (clock.due, clock.days_left) == (D(2026, 3, 5), 1)
