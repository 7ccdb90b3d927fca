"""Calendar dates in Russian and English spellings (not bare years, ages or durations).

"12.03.2019 г.", "12.03.19", "12 марта 2019 года", "12 марта", "March 12, 2019",
"12th March 2019", "2019-03-12", "03/12/2019", and month + year ("март 2019 г.",
"в марте 2019 года", "March 2019"). The rule that matched tells
:mod:`anonymise.date_shift` whether the date is complete enough to shift.
"""

from __future__ import annotations

import re

from anonymise.recognizers.base import RegexRecognizer, Rule, rule, value_of

RU_MONTHS = (
    r"(?:январ[ьяюе]|феврал[ьяюе]|март[аеу]?|апрел[ьяюе]|ма[йяюе]|июн[ьяюе]|июл[ьяюе]|август[аеу]?"
    r"|сентябр[ьяюе]|октябр[ьяюе]|ноябр[ьяюе]|декабр[ьяюе]"
    r"|янв|фев|февр|мар|апр|авг|сен|сент|окт|ноя|нояб|дек)(?![а-яё])\.?"
)
EN_MONTHS = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)(?![a-z])\.?"
)
MONTHS = rf"(?:(?i:{RU_MONTHS})|(?i:{EN_MONTHS}))"
# "2019 г.", "2019 года"; not the "г.р." (year of birth) after a date of birth.
_YEAR_SUFFIX = r"(?:\s?(?:года|год|гг\.|г\.(?!\s?р\.)|г(?![.а-яё])))?"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_ORDINAL = r"(?:-?(?:го|е|ое|st|nd|rd|th))?"
_YEAR = r"(?:1[89]\d{2}|20\d{2})"
_SEP = r"[./\-]"
# "2019-03-12T14:30", "2019-03-12 14:30:05Z": a time after a full date is part of it.
_TIME = r"(?:[T\s]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+\-]\d{2}:?\d{2})?)?"

FULL_RULES = ("numeric", "iso", "day_month_name", "month_name_day")


class DateRecognizer(RegexRecognizer):
    """Finds dates more specific than a year."""

    ENTITY = "DATE"
    RULES = (
        rule(
            "numeric",
            rf"(?<![\w.,/\-])(?P<value>{_DAY}(?P<s1>{_SEP})(?:0?[1-9]|1[0-2]|{_DAY})(?P=s1)(?:{_YEAR}|\d{{2}}){_YEAR_SUFFIX})"
            r"(?![\w]|[./\-]\d)",
            0.9,
        ),
        rule(
            "iso",
            rf"(?<![\w.,/\-])(?P<value>{_YEAR}(?P<s1>[\-./])(?:0?[1-9]|1[0-2])(?P=s1){_DAY}{_TIME})(?![\w]|[./\-:]\d)",
            0.9,
        ),
        rule(
            "day_month_name",
            rf"(?<![\w.,])(?P<value>{_DAY}{_ORDINAL}(?:\s+of)?\s+{MONTHS}(?:,?\s*{_YEAR}{_YEAR_SUFFIX})?)(?![\w])"
            # "20-Dec-2022", "20.Dec.2022", "20 Dec 22" as printed by lab systems
            rf"|(?<![\w.,])(?P<value2>{_DAY}(?P<s2>[\-./ ]){MONTHS}(?P=s2)(?:{_YEAR}|\d{{2}}))(?![\w]|[./\-]\d)",
            0.85,
        ),
        rule(
            "month_name_day",
            rf"(?<![\w.])(?P<value>{EN_MONTHS}\s+{_DAY}{_ORDINAL}(?:,?\s*{_YEAR})?)(?![\w]|[.,]\d)",
            0.85,
        ),
        rule(
            "month_year",
            rf"(?<![\w.])(?P<value>{MONTHS}\s*,?\s*{_YEAR}{_YEAR_SUFFIX})(?![\w])"
            # "Mar-19", "Jun '55": a month with a two-digit year after a dash or apostrophe
            rf"|(?<![\w.])(?P<value2>{EN_MONTHS}(?:-|\s?['’])\d{{2}})(?![\w]|[./\-]\d)",
            0.8,
        ),
    )

    def score(self, match: re.Match[str], item: Rule, text: str) -> float | None:
        """Reject a bare "May" without a day or year, and a 2-digit year with slashes."""
        value = value_of(match)
        parts = re.split(r"[/\s]", value)
        if item.name == "numeric" and "/" in value and len(parts[2]) == 2:
            # "3/4/12" is as often a fraction or a ratio as a date; "03/04/12" and
            # "11/06/22", with day and month written in two digits, are dates.
            if len(parts[0]) < 2 or len(parts[1]) < 2:
                return None
        return item.score
