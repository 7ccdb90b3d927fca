"""Calendar dates in Russian and English spellings (not bare years, ages or durations).

"12.03.2019 г.", "12.03.19", "12 марта 2019 года", "12 марта", "March 12, 2019",
"12th March 2019", "2019-03-12", "03/12/2019", and month + year ("март 2019 г.",
"в марте 2019 года", "March 2019"). The rule that matched tells
:mod:`anonymise.date_shift` whether the date is complete enough to shift.
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

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
# English month names in title case or in capitals ("JUNE 12, 2024"), not "may".
EN_MONTHS_CASED = rf"(?:{EN_MONTHS}|{EN_MONTHS.upper()})"
# "2019 г.", "2019 года"; not the "г.р." (year of birth) after a date of birth.
_YEAR_SUFFIX = r"(?:\s?(?:года|год|гг\.|г\.(?!\s?р\.)|г(?![.а-яё])))?"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_ORDINAL = r"(?:-?(?:го|е|ое|st|nd|rd|th))?"
_YEAR = r"(?:1[89]\d{2}|20\d{2})"
_SEP = r"[./\-]"
# "2019-03-12T14:30", "2019-03-12 14:30:05Z": a time after a full date is part of it.
_TIME = r"(?:[T\s]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+\-]\d{2}:?\d{2})?)?"

# "..., 11:02 AM", " в 23:28", " at 18:28": a clock time right after a date, also
# when a colon closes the clause after it ("09.12.2020 18:50: «...»").
_TIME_AFTER = re.compile(
    r",?\s(?:в\s|at\s|@\s?)?(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?:\s?[AaPp]\.?[Mm]\.?)?(?!\w|:\d)"
)
_PREPOSITION_BEFORE = re.compile(r"(?i:\b(?:с|по|до|от|на|к|since|from|to|until|till|on|by))\s$")

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
            rf"(?<![\w.,])(?P<value>[«\"“]?{_DAY}[»\"”]?{_ORDINAL}(?:\s+of)?\s+{MONTHS}(?:,?\s*{_YEAR}{_YEAR_SUFFIX})?)(?![\w])"
            # "20-Dec-2022", "20.Dec.2022", "20 Dec 22" as printed by lab systems
            rf"|(?<![\w.,])(?P<value2>{_DAY}(?P<s2>[\-./ ]){MONTHS}(?P=s2)(?:{_YEAR}|\d{{2}}))(?![\w]|[./\-]\d)",
            0.85,
        ),
        rule(
            "month_name_day",
            rf"(?<![\w.])(?P<value>{EN_MONTHS_CASED}\s+{_DAY}{_ORDINAL}(?:,?\s*{_YEAR})?)(?![\w]|[.,]\d)",
            0.85,
        ),
        rule(
            "month_year",
            rf"(?<![\w.])(?P<value>{MONTHS}\s*,?\s*(?:of\s)?{_YEAR}{_YEAR_SUFFIX})(?![\w])"
            # "Mar-19", "Jun '55": a month with a two-digit year after a dash or apostrophe
            rf"|(?<![\w.])(?P<value2>{EN_MONTHS}(?:-|\s?['’])\d{{2}})(?![\w]|[./\-]\d)",
            0.8,
        ),
        # "06/2022", "2021-05": month and year in digits, the month written in two
        rule(
            "numeric_month_year",
            rf"(?<![\w.,/\-])(?P<value>(?:0[1-9]|1[0-2])[./]{_YEAR}|{_YEAR}-(?:0[1-9]|1[0-2]))(?![\w]|[./\-]\d)",
            0.7,
        ),
        # "с 09.08 по 11.08.2020", "введение 20.12.": day and month, each in two digits
        rule(
            "day_month_numeric",
            r"(?<![\w.,/\-])(?P<value>(?:0[1-9]|[12]\d|3[01])\.(?:0[1-9]|1[0-2]))(?![\w]|[.,]\d|\s?(?:%|×|x10|мг|мл|мкг|ммоль|мкмоль|г/|Ед|ед|ЕД|кг|см|мм|g/|mg|ml|kg|cm|mm|mmol|µ|U/|IU))",
            0.6,
        ),
    )

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        """Dates, each with the clock time written after it ("14.11.2020 в 23:28")."""
        results = super().find(text, nlp_artifacts)
        for result in results:
            time = _TIME_AFTER.match(text, result.end)
            if time:
                result.end = time.end()
        return results

    def score(self, match: re.Match[str], item: Rule, text: str) -> float | None:
        """Reject a bare "May" without a day or year, and a 2-digit year with slashes."""
        value = value_of(match)
        if item.name == "day_month_numeric":
            # "12.09" is a decimal in English; Russian writes decimals with a comma, so
            # a day and month stand alone in Russian text or after a preposition.
            before = text[max(0, match.start() - 40) : match.start()]
            if not (_PREPOSITION_BEFORE.search(before) or re.search("[а-яё]", before, re.I)):
                return None
        parts = re.split(r"[/\s]", value)
        # "3/4/12" is as often a fraction or a ratio as a date; "03/04/12" and
        # "11/06/22", with day and month written in two digits, are dates.
        short_year = item.name == "numeric" and "/" in value and len(parts[2]) == 2
        if short_year and (len(parts[0]) < 2 or len(parts[1]) < 2):
            return None
        return item.score
