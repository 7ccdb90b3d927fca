"""Dates as the user typed them, checked before they are shifted.

Dates are stored moved by the subject's date shift (up to half a year either way),
so the store cannot tell whether a date is in the future; the form and every import
path see the real date, and refuse one after today with a message naming the date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from schemas.errors import ValidationFailed
from schemas.formats import date_text
from schemas.problems import Problem, translate

NOT_IN_FUTURE = "date_not_in_future"
DatedField = tuple[str, int | None, str, object]  # (table, row, field, real date)


def as_date(value: object) -> dt.date | None:
    """A typed date value as a date (None for empty or unreadable)."""
    if value is None or value == "":
        return None
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if pd.isna(stamp) else stamp.date()


def future_problems(fields: Iterable[DatedField], today: dt.date) -> list[Problem]:
    """A problem for every real date after ``today``, at its table, row and field."""
    found = []
    for table, row, field, value in fields:
        day = as_date(value)
        if day is not None and day > today:
            context = {
                f"{k}_{lang}": date_text(v, lang)
                for k, v in (("day", day), ("today", today))
                for lang in ("en", "ru")
            }
            found.append(translate(table, row, field, day, NOT_IN_FUTURE, context))
    return found


def refuse_future(fields: Iterable[DatedField], today: dt.date | None = None) -> None:
    """Raise ValidationFailed if any real date is after ``today`` (default: this machine's)."""
    found = future_problems(fields, today or dt.date.today())
    if found:
        raise ValidationFailed(found)
