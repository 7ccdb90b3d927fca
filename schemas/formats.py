"""One way to write a date and a number per language, everywhere the user reads one.

Russian pages write dates as ``DD.MM.YYYY`` and English pages as ISO ``YYYY-MM-DD``
(unambiguous across the English-speaking health systems a study hears from). Date
inputs use the same pattern, so what a user types looks like what they read. Numbers
follow the language's CLDR conventions through Babel: "1 333,5" in Russian (a
no-break space between thousands, a decimal comma), "1,333.5" in English; charts get
the same conventions and month names (:func:`vega_locale`).
"""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache
from typing import Any

import pandas as pd
from babel import Locale
from babel.dates import format_date, get_day_names, get_month_names
from babel.numbers import format_decimal

DATE_INPUT_FORMAT = {"ru": "DD.MM.YYYY", "en": "YYYY-MM-DD"}
_DATE_PATTERN = {"ru": "dd.MM.yyyy", "en": "yyyy-MM-dd"}  # CLDR patterns (Babel)
_STRFTIME = {"ru": "%d.%m.%Y", "en": "%Y-%m-%d"}
# The same patterns for charts (Vega's d3-time-format uses strftime's directives).
CHART_DATE_FORMAT = _STRFTIME
# CLDR locales: Russian as in Russia; English with ISO-friendly British conventions.
LOCALES = {"ru": "ru_RU", "en": "en_GB"}
# What a date input accepts: wide enough that a typed date always reaches the checks
# (a widget's own range would silently keep the previous value instead).
EARLIEST_INPUT = dt.date(1900, 1, 1)
LATEST_INPUT = dt.date(2099, 12, 31)


def locale_of(lang: str) -> str:
    """The CLDR locale of a UI language (English for an unknown one)."""
    return LOCALES.get(lang, LOCALES["en"])


def date_text(value: Any, lang: str) -> str:
    """A date in the language's format ('' for a missing one); times are dropped."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    day = pd.Timestamp(value).date()
    pattern = _DATE_PATTERN.get(lang, _DATE_PATTERN["en"])
    return format_date(day, format=pattern, locale=locale_of(lang))


def number_text(value: float, lang: str, decimals: int | None = None) -> str:
    """A number as a user reads it in ``lang``, grouped by thousands: with
    ``decimals`` fixed places ("5,00" → ``decimals=2``), else without trailing zeros."""
    if not math.isfinite(value) or abs(value) >= 1e15:
        # Babel's decimal context overflows on such values; they are only ever quoted back
        # (an out-of-range entry), so the plain scientific form is enough
        return f"{value:g}"
    if decimals is None:
        pattern = "#,##0.######"
    else:
        pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(float(value), format=pattern, locale=locale_of(lang))


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def dose_amount_text(value: float, lang: str) -> str:
    """An amount to three significant digits; one of a million or more in scientific
    notation as a prescriber writes it ("8.8 × 10¹⁴", "8,8 × 10¹⁴"), not as 15 digits."""
    if value == 0 or abs(value) < 1e6:
        return number_text(float(f"{value:.3g}"), lang)
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{number_text(float(mantissa), lang)} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"


@lru_cache(maxsize=4)
def vega_locale(lang: str) -> dict[str, dict[str, Any]]:
    """Vega's ``formatLocale`` (d3-format) and ``timeFormatLocale`` (d3-time-format)
    for ``lang``, built from CLDR: a chart's numbers, month and day names read as the
    page's ("1 333,5", "октябрь") and its dates in the page's one format."""
    name = locale_of(lang)
    symbols = Locale.parse(name).number_symbols.get("latn", {})
    months = get_month_names("wide", context="stand-alone", locale=name)
    short_months = get_month_names("abbreviated", context="stand-alone", locale=name)
    days = get_day_names("wide", context="stand-alone", locale=name)
    short_days = get_day_names("abbreviated", context="stand-alone", locale=name)
    sunday_first = [6, 0, 1, 2, 3, 4, 5]  # d3 counts from Sunday, CLDR from Monday
    return {
        "number": {
            "decimal": symbols.get("decimal", "."),
            "thousands": symbols.get("group", ","),
            "grouping": [3],
            "currency": ["", ""],
        },
        "time": {
            "dateTime": f"{_STRFTIME.get(lang, _STRFTIME['en'])} %H:%M",
            "date": _STRFTIME.get(lang, _STRFTIME["en"]),
            "time": "%H:%M:%S",
            "periods": ["AM", "PM"] if lang == "en" else ["", ""],
            "days": [days[i] for i in sunday_first],
            "shortDays": [short_days[i] for i in sunday_first],
            "months": [months[i] for i in range(1, 13)],
            "shortMonths": [short_months[i] for i in range(1, 13)],
        },
    }


# Okabe & Ito's colour-blind-safe palette (Color Universal Design): eight colours that
# stay apart for protan, deutan and tritan vision, so each series keeps its own colour.
COLOUR_BLIND_SAFE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)


LABEL_LIMIT = 400  # pixels; Vega's default (160-180) cuts a product's full label


def chart_config(lang: str) -> dict[str, Any]:
    """Vega-Lite ``config`` for a chart on a page in ``lang``: the locale of
    :func:`vega_locale`, the colour-blind-safe category palette and labels that are
    not cut."""
    return {
        "locale": vega_locale(lang),
        "range": {"category": list(COLOUR_BLIND_SAFE)},
        # Product labels ("Золгенсма (онасемноген абепарвовек)") whole, not cut with "…".
        "axis": {"labelLimit": LABEL_LIMIT},
        "legend": {"labelLimit": LABEL_LIMIT},
    }
