"""Placing validation problems next to the form fields they concern.

Schema and case rules report a :class:`~schemas.problems.Problem` by table, row and
field. A data-entry form knows which widget produced each row's field; it passes a
``locate`` function that names that widget, and gets back the problems grouped by
widget, so each message can be shown right under its field. Problems no widget
owns are grouped under :data:`GENERAL` and shown with the save button.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from schemas.problems import Problem, translate
from schemas.validate import validate_table

GENERAL = "_general"
REQUIRED = "not_nullable"
Locate = Callable[[Problem], str | None]


@dataclass
class FieldProblems:
    """Problems grouped by the widget key they belong to (``GENERAL`` for the rest)."""

    by_field: dict[str, list[Problem]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def messages(self, key: str, lang: str) -> list[str]:
        """The messages for one widget, in ``lang``, each once."""
        seen: list[str] = []
        for problem in self.by_field.get(key, []):
            text = problem.message(lang)
            if text not in seen:
                seen.append(text)
        return seen

    def problems(self, key: str) -> list[Problem]:
        """The problems placed on one widget."""
        return list(self.by_field.get(key, []))

    def fields(self) -> list[str]:
        """The widget keys that have problems, in the order first reported."""
        return list(self.by_field)


def place(problems: Iterable[Problem], locate: Locate) -> FieldProblems:
    """Group ``problems`` by the widget ``locate`` names; unplaced ones under GENERAL.

    The same rule broken on several rows that share one widget (e.g. the visit date
    repeated on every assessment row) is kept once.
    """
    placed = FieldProblems()
    seen: set[tuple[str, str]] = set()
    for problem in problems:
        key = locate(problem) or GENERAL
        if (key, problem.check) in seen:
            continue
        seen.add((key, problem.check))
        placed.by_field.setdefault(key, []).append(problem)
    return placed


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def missing(table: str, row: int, values: dict[str, object]) -> list[Problem]:
    """A 'required' problem for each field of ``values`` left empty.

    Checked before the schema runs, so an empty field gets one clear message
    instead of the type and range errors an empty value would also trigger.
    """
    return [translate(table, row, name, None, REQUIRED) for name, v in values.items() if _blank(v)]


def all_problems(required: list[Problem], rows: dict[str, list[dict[str, Any]]]) -> list[Problem]:
    """The empty required fields plus every table problem of the fields that were filled.

    Lets a form show all it can at once even when something is still empty; the
    checks an empty value itself trips (type, range) are left out.
    """
    blank = {(p.table, p.row, p.field) for p in required}
    found = [
        p
        for table, table_rows in rows.items()
        for p in validate_table(table, table_rows)
        if (p.table, p.row, p.field) not in blank
    ]
    return required + found
