"""Turn Pandera failure cases and rule breaks into readable, bilingual problems.

A :class:`Problem` names the table, the row (0-based position in the frame that was
validated), the field and the offending value, and says what is wrong in English
and Russian. Values are cut short: they are pseudonymised data, but a long value in
an error message helps nobody.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

MESSAGES_FILE = Path(__file__).parent / "messages" / "checks.yaml"
_VALUE_LIMIT = 60
SECRET_FIELDS = frozenset({"password_hash", "password"})  # values never echoed in messages
# Named checks whose message quotes the failing row ("CHOP INTEND is 0-64; 70 is out of
# range"): check name -> function from the row to the message's {placeholders}.
MESSAGE_DETAILS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {}


@dataclass(frozen=True)
class Problem:
    """One broken rule: where it is and what is wrong, in English and Russian."""

    table: str
    row: int | None
    field: str
    value: str
    check: str
    message_en: str
    message_ru: str

    def message(self, lang: str = "en") -> str:
        """The message in ``en`` or ``ru``."""
        return self.message_ru if lang == "ru" else self.message_en

    def describe(self, lang: str = "en") -> str:
        """One line: table, row, field, value and what is wrong."""
        where = "строка" if lang == "ru" else "row"
        row = f" {where} {self.row}" if self.row is not None else ""
        value = f" = {self.value!r}" if self.value else ""
        return f"{self.table}{row}, {self.field}{value}: {self.message(lang)}"


@lru_cache(maxsize=1)
def check_messages() -> dict[str, dict[str, str]]:
    """Named-check messages from ``messages/checks.yaml``."""
    with open(MESSAGES_FILE, encoding="utf-8") as handle:
        return dict(yaml.safe_load(handle))


def short_value(value: Any) -> str:
    """A value as a short string for a message ('' for missing values)."""
    if value is None or (not isinstance(value, list | tuple) and _is_missing(value)):
        return ""
    text = str(value)
    return text if len(text) <= _VALUE_LIMIT else text[: _VALUE_LIMIT - 1] + "…"


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


_CRASH = re.compile(r"^[A-Za-z]*(Error|Exception)\(")


def _args(check: str) -> str:
    match = re.search(r"\((.*)\)", check)
    return match.group(1) if match else ""


_BUILTIN: list[tuple[str, str, str]] = [
    # (check-name prefix, English, Russian); {args} is what is in the brackets
    ("isin", "must be one of {args}", "должно быть одним из {args}"),
    ("in_range", "must be between {args}", "должно быть в диапазоне {args}"),
    ("greater_than_or_equal_to", "must be at least {args}", "должно быть не меньше {args}"),
    ("greater_than", "must be more than {args}", "должно быть больше {args}"),
    ("less_than_or_equal_to", "must be at most {args}", "должно быть не больше {args}"),
    ("less_than", "must be less than {args}", "должно быть меньше {args}"),
    ("str_matches", "has the wrong format", "имеет неверный формат"),
    ("str_length", "has the wrong length", "имеет недопустимую длину"),
    ("not_nullable", "is required", "обязательное поле"),
    ("boolean", "must be yes or no (true/false)", "должно быть 'да' или 'нет' (true/false)"),
    ("field_uniqueness", "must be unique", "должно быть уникальным"),
    ("unique", "must be unique", "должно быть уникальным"),
    ("multiple_fields_uniqueness", "duplicate row", "повторяющаяся строка"),
    ("coerce_dtype", "has the wrong type (expected {args})", "неверный тип (ожидается {args})"),
    ("dtype", "has the wrong type (expected {args})", "неверный тип (ожидается {args})"),
    ("column_in_schema", "is not a field of this table", "нет такого поля в таблице"),
    ("column_in_dataframe", "is missing", "поле отсутствует"),
    ("valid_text", "contains characters that are not valid text", "содержит недопустимые символы"),
]


class _Keep(dict[str, Any]):
    """Placeholders a message has but the context lacks stay as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def message_details(check: str, row: Mapping[str, Any] | None) -> dict[str, Any]:
    """The placeholders of a named check's message for one row (empty if it has none)."""
    detail = MESSAGE_DETAILS.get(check)
    if detail is None or row is None:
        return {}
    try:
        return detail(row)
    except (KeyError, TypeError, ValueError):
        return {}


def translate(
    table: str,
    row: int | None,
    field: str,
    value: Any,
    check: str,
    context: Mapping[str, Any] | None = None,
) -> Problem:
    """Build a :class:`Problem` for one failed check (builtin or named).

    A named message may quote ``{value}`` and the ``context`` (see :data:`MESSAGE_DETAILS`);
    without them its generic wording is used.
    """
    if field in SECRET_FIELDS:
        value = ""
    named = check_messages().get(check)
    if named:
        field = field or named["field"]
        en, ru = named["en"], named["ru"]
        if context and "en_detail" in named:
            filled = _Keep({**context, "value": short_value(value)})
            en = named["en_detail"].format_map(filled)
            ru = named["ru_detail"].format_map(filled)
    else:
        en, ru = f"fails the check {check}", f"не проходит проверку {check}"
        for prefix, en_text, ru_text in _BUILTIN:
            if check == prefix or check.startswith(prefix + "("):
                args = _args(check).replace("'", "")
                en, ru = en_text.format(args=args), ru_text.format(args=args)
                break
    return Problem(table, row, field, short_value(value), check, en, ru)


def from_failure_cases(table: str, cases: pd.DataFrame, frame: pd.DataFrame) -> list[Problem]:
    """Convert Pandera ``failure_cases`` to problems, one per row and field.

    Type errors hide the checks that could not run on a badly typed column, so only
    the type problem is reported for such a column. Dataframe-level checks are
    attributed to the field their message names.
    """
    problems: list[Problem] = []
    seen: set[tuple[Any, str, str]] = set()
    bad_types = set(cases.loc[cases["check"].astype(str).str.contains("dtype"), "column"])
    for case in cases.itertuples(index=False):
        check, column = str(case.check), str(case.column)
        index = getattr(case, "index")  # noqa: B009 - the field, not tuple.index
        row = None if _is_missing(index) else int(index)
        if bad_types and isinstance(case.failure_case, str) and _CRASH.match(case.failure_case):
            continue  # this check could not run because of a type problem reported anyway
        if check in ("column_in_schema", "column_in_dataframe"):
            column = str(case.failure_case)  # the column itself is the problem
        elif check in check_messages():
            # dataframe-wide checks list every column of a failing row: name the one
            # field the rule is about instead
            column = check_messages()[check]["field"]
        record = (
            {str(k): v for k, v in frame.iloc[row].items()}
            if row is not None and row < len(frame)
            else None
        )
        if record is not None and column in frame.columns:
            value = record[column]
        else:
            value = case.failure_case if row is None else ""
        key = (row, column, "dtype" if "dtype" in check else check)
        if key not in seen:
            seen.add(key)
            context = message_details(check, record)
            problems.append(translate(table, row, column, value, check, context))
    return sorted(problems, key=lambda p: (p.row if p.row is not None else -1, p.field))
