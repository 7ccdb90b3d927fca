"""One way to write a date (and a number) per language, everywhere the user reads one.

Russian pages write dates as ``DD.MM.YYYY`` and English pages as ISO ``YYYY-MM-DD``
(unambiguous across the English-speaking health systems a study hears from). Date
inputs use the same pattern, so what a user types looks like what they read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

DATE_INPUT_FORMAT = {"ru": "DD.MM.YYYY", "en": "YYYY-MM-DD"}
_STRFTIME = {"ru": "%d.%m.%Y", "en": "%Y-%m-%d"}
# The same patterns for charts (Vega's d3-time-format uses strftime's directives).
CHART_DATE_FORMAT = _STRFTIME
# What a date input accepts: wide enough that a typed date always reaches the checks
# (a widget's own range would silently keep the previous value instead).
EARLIEST_INPUT = dt.date(1900, 1, 1)
LATEST_INPUT = dt.date(2099, 12, 31)


def date_text(value: Any, lang: str) -> str:
    """A date in the language's format ('' for a missing one); times are dropped."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    day = pd.Timestamp(value).date()
    return day.strftime(_STRFTIME.get(lang, _STRFTIME["en"]))


def number_text(value: float, lang: str) -> str:
    """A number as a user reads it: no trailing zeros, a decimal comma in Russian."""
    text = f"{float(value):g}"
    return text.replace(".", ",") if lang == "ru" else text
