"""Reporting-clock arithmetic: pure functions of dates, rules and what was submitted.

Day 0 is the date the site first knew of the event, in the site's own calendar; a due
date is day 0 (or a follow-up's receipt date) plus the rule's calendar days, moved to
the next Monday only where the jurisdiction says weekends roll forward. "Today" is
taken in the site's time zone, so an event known in Barnaul is a day older there than
in Moscow for a few hours each night. A clock is ``due`` until its due date has
passed, then ``overdue``; a submission closes it (``submitted``, noting if it was late).
An expedited event without day 0 yields one ``no_day0`` clock, so it is never silent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from warehouse.reporting.rules import Jurisdiction

DUE, OVERDUE, SUBMITTED, NO_DAY0 = "due", "overdue", "submitted", "no_day0"
SATURDAY = 5


@dataclass(frozen=True)
class Submission:
    """A report sent to the regulator: its kind, version and date."""

    kind: str
    version: int
    submitted_on: dt.date


@dataclass(frozen=True)
class EventFacts:
    """What the clocks of one event depend on."""

    ae_id: str
    site_code: str
    category: str | None  # fatal_or_life_threatening, other_serious, or None (not expedited)
    day0: dt.date | None
    receipts: tuple[dt.date, ...] = ()
    submissions: tuple[Submission, ...] = ()


@dataclass(frozen=True)
class Clock:
    """One reporting obligation and where it stands."""

    ae_id: str
    site_code: str
    kind: str
    sequence: int  # 1 for initial/completion; n for the n-th follow-up
    start: dt.date | None
    due: dt.date | None
    state: str
    days_left: int | None
    submitted_on: dt.date | None = None
    late: bool = False


def add_days(start: dt.date, days: int, weekend_rolls_forward: bool = False) -> dt.date:
    """``start`` plus calendar ``days``; a Saturday or Sunday moves to Monday if asked."""
    due = start + dt.timedelta(days=days)
    if weekend_rolls_forward and due.weekday() >= SATURDAY:
        due += dt.timedelta(days=7 - due.weekday())
    return due


def local_today(now: dt.datetime, time_zone: str) -> dt.date:
    """The calendar date at ``now`` (timezone-aware) in ``time_zone``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(ZoneInfo(time_zone)).date()


def _state(due: dt.date, today: dt.date, submitted: dt.date | None) -> tuple[str, int | None]:
    if submitted is not None:
        return SUBMITTED, None
    left = (due - today).days
    return (OVERDUE if left < 0 else DUE), left


def _clock(
    facts: EventFacts,
    kind: str,
    sequence: int,
    start: dt.date,
    due: dt.date,
    today: dt.date,
    submitted: dt.date | None,
) -> Clock:
    state, left = _state(due, today, submitted)
    late = submitted is not None and submitted > due
    return Clock(
        facts.ae_id, facts.site_code, kind, sequence, start, due, state, left, submitted, late
    )


def _first(submissions: Sequence[Submission], kind: str) -> dt.date | None:
    dates = sorted(s.submitted_on for s in submissions if s.kind == kind)
    return dates[0] if dates else None


def clocks_for(facts: EventFacts, jurisdiction: Jurisdiction, today: dt.date) -> list[Clock]:
    """Every clock the event's category starts under ``jurisdiction``, as of ``today``."""
    if facts.category is None:
        return []
    rules = [r for r in jurisdiction.rules if r.applies(facts.category)]
    if facts.day0 is None:
        return [Clock(facts.ae_id, facts.site_code, "initial", 1, None, None, NO_DAY0, None)]
    roll = jurisdiction.weekend_rolls_forward
    clocks = []
    for rule in (r for r in rules if r.start == "day0"):
        due = add_days(facts.day0, rule.days, roll)
        submitted = _first(facts.submissions, rule.kind)
        clocks.append(_clock(facts, rule.kind, 1, facts.day0, due, today, submitted))
    follow_rules = [r for r in rules if r.start == "receipt"]
    if follow_rules:
        rule = follow_rules[0]
        unused = sorted(s.submitted_on for s in facts.submissions if s.kind == "follow_up")
        for n, received in enumerate(sorted(facts.receipts), start=1):
            answer = next((d for d in unused if d >= received), None)
            if answer is not None:
                unused.remove(answer)
            due = add_days(received, rule.days, roll)
            clocks.append(_clock(facts, "follow_up", n, received, due, today, answer))
    return clocks


def urgency(clock: Clock) -> tuple[int, int, str]:
    """Sort key: missing day 0 first, then open clocks by days left, submitted last."""
    order = {NO_DAY0: 0, OVERDUE: 1, DUE: 1, SUBMITTED: 2}[clock.state]
    left = clock.days_left if clock.days_left is not None else -(10**6)
    return order, left, clock.ae_id
