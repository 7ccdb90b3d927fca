"""Replace a date found in a narrative by the same date moved by the subject's shift.

The shifted date keeps the original's layout ("12.03.2019 г." -> "09.09.2019 г.",
"12 марта 2019" -> "9 сентября 2019", "March 12, 2019" -> "September 9, 2019"), so
intervals in the narrative stay true and the text still reads naturally. A date
that cannot be pinned to one day (month and year only, no year, "03/04/2019" in
English where day and month could swap) returns ``None``: the caller then puts a
placeholder instead of guessing.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

RU_MONTHS_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip
EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

_NUMERIC = re.compile(r"^(\d{1,2})([./\-])(\d{1,2})\2(\d{4}|\d{2})(.*)$", re.DOTALL)
_ISO = re.compile(r"^(\d{4})([./\-])(\d{1,2})\2(\d{1,2})$")
_SUFFIX = re.compile(r"(\s?(?:г\.|гг\.|года|год|г))$")


@lru_cache(maxsize=4096)
def _parse_named(value: str, language: str) -> dt.date | None:
    """Parse a date written with a month name (dateparser, both languages)."""
    import dateparser

    parsed = dateparser.parse(
        value,
        languages=["ru", "en"] if language == "ru" else ["en", "ru"],
        settings={
            "STRICT_PARSING": True,
            "REQUIRE_PARTS": ["day", "month", "year"],
            "DATE_ORDER": "DMY",
        },
    )
    return parsed.date() if parsed else None


def _numeric(value: str, language: str) -> tuple[dt.date, str] | None:
    match = _NUMERIC.match(value)
    if not match:
        return None
    first, sep, second, year_text, suffix = match.groups()
    a, b = int(first), int(second)
    if sep == "/" and language == "en" and a <= 12 and b <= 12 and a != b:
        return None  # 03/04/2019: US or UK order? Do not guess.
    day, month = (b, a) if sep == "/" and language == "en" and b > 12 else (a, b)
    year = int(year_text) if len(year_text) == 4 else 2000 + int(year_text)
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return None
    return date, f"{first}{sep}{second}{sep}{year_text}"


def shift_date_text(value: str, days: int, language: str) -> str | None:
    """The date in ``value`` moved by ``days``, in the same layout; ``None`` if unsure."""
    suffix_match = _SUFFIX.search(value)
    suffix = suffix_match.group(1) if suffix_match else ""
    core = value[: len(value) - len(suffix)].strip()
    delta = dt.timedelta(days=days)

    if _NUMERIC.match(core):
        # All digits: an ambiguous or impossible date stays a placeholder; never let
        # a lenient parser guess ("03/04/2019" in English: March or April?).
        numeric = _numeric(core, language)
        if numeric is None:
            return None
        date, original = numeric
        return _format_numeric(original, date + delta) + suffix
    iso = _ISO.match(core)
    if iso:
        try:
            date = dt.date(int(iso.group(1)), int(iso.group(3)), int(iso.group(4)))
        except ValueError:
            return None
        sep = iso.group(2)
        return (date + delta).strftime(f"%Y{sep}%m{sep}%d") + suffix
    if not re.search(r"\d{4}", core) or not re.search(r"(?<!\d)\d{1,2}(?!\d)", core):
        return None  # month and year only, or day and month only
    named = _parse_named(core, language)
    if named is None:
        return None
    new = named + delta
    if re.match(r"^[A-Za-z]", core):  # "March 12, 2019"
        return f"{EN_MONTHS[new.month - 1]} {new.day}, {new.year}{suffix}"
    if re.search(r"[а-яё]", core, re.IGNORECASE):
        return f"{new.day} {RU_MONTHS_GENITIVE[new.month - 1]} {new.year}{suffix}"
    return f"{new.day} {EN_MONTHS[new.month - 1]} {new.year}{suffix}"


def _format_numeric(original: str, new: dt.date) -> str:
    """Write ``new`` in the layout of ``original`` (separator, padding, year digits)."""
    first, sep, second, _, year_text = re.split(r"([./\-])", original)
    day_first = not (sep == "/" and int(second) > 12)
    day = f"{new.day:02d}" if len(first if day_first else second) == 2 else str(new.day)
    month = f"{new.month:02d}" if len(second if day_first else first) == 2 else str(new.month)
    year = str(new.year) if len(year_text) == 4 else f"{new.year % 100:02d}"
    return f"{day}{sep}{month}{sep}{year}" if day_first else f"{month}{sep}{day}{sep}{year}"
