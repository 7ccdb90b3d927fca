"""Telephone numbers: every common Russian spelling plus international ones.

Russian numbers are 11 digits starting +7, 7 or 8 ("+7 (495) 123-45-67",
"8-912-345-67-89", "89123456789"); short city numbers ("234-56-78") are taken on
their own layout; other countries need a leading "+" or a "tel"/"тел." label.
These are taken on their layout and digit count alone, so a number the
``phonenumbers`` plans reject (an area code not in the plan, a new range) is
still a phone here. An extension ("x442", "ext. 12", "доб. 123") belongs to
the number and does not count towards its digits.
"""

from __future__ import annotations

import re

from anonymise.recognizers.base import RegexRecognizer, Rule, digits, rule, value_of

_SEP = r"[\s\-\u2010-\u2014.]{0,2}"
_LABEL = (
    r"(?i:тел\.?|телефон\w{0,2}|моб\.?|мобильн\w{0,3}|сот\.?|сотов\w{0,3}|т\.|ph\.?|phone|tel\.?|"
    r"telephone|mobile|mob\.?|cell|fax|факс|call[\s\-]?back|ring[\s\-]?back|whatsapp|viber|"
    r"перезвонить|обратн\w{2}\s+звон\w{2,3})"
)
# An extension written after the number, inside the redaction.
_EXTENSION = r"(?:,?\s?(?:x|ext\.?|extn\.?|extension|доб\.?)\s?\d{1,6})?"
# "Ring back 14.03.2021": a date after a call label is a date.
_DATE_SHAPE = re.compile(
    r"^(?:\d{1,2}([./\-])\d{1,2}\1(?:\d{2}|\d{4})|\d{4}([./\-])\d{1,2}\2\d{1,2})$"
)
_EXTENSION_TAIL = re.compile(r",?\s?(?:x|ext\.?|extn\.?|extension|доб\.?)\s?\d{1,6}$")


class PhoneRecognizer(RegexRecognizer):
    """Finds telephone numbers."""

    ENTITY = "PHONE"
    RULES = (
        rule(
            "russian",
            rf"(?<![\w+])(?P<value>(?:\+\s?7|8|7){_SEP}\(?\d{{3,5}}\)?{_SEP}\d{{1,3}}{_SEP}\d{{2}}{_SEP}\d{{2}})(?![\w])",
            0.85,
        ),
        rule(
            "international",
            rf"(?<![\w+])(?P<value>(?:\+|00)\s?[1-9]\d{{0,2}}{_SEP}\(?\d{{1,5}}\)?(?:{_SEP}\d{{2,5}}){{1,4}}{_EXTENSION})(?![\w])",
            0.8,
        ),
        rule(
            "north_american",
            rf"(?<![\w+])(?P<value>(?:\(\d{{3}}\)\s?\d{{3}}[\-\s.]\d{{4}}|\d{{3}}[\-.]\d{{3}}[\-.]\d{{4}}){_EXTENSION})(?![\w])",
            0.7,
        ),
        rule(
            "city",
            r"(?<![\w\-./,])(?P<value>\d{3}[\-\u2010-\u2014]\d{2}[\-\u2010-\u2014]\d{2})(?![\w]|[\-.]\d)",
            0.7,
        ),
        rule(
            "labelled",
            rf"(?<!\w){_LABEL}\s*(?:№|No\.?|:|-)?\s*(?P<value>\+?[\d(][\d\s()\-\u2010-\u2014.]{{4,18}}\d{_EXTENSION})(?!\d)",
            0.9,
        ),
    )

    def score(self, match: re.Match[str], item: Rule, text: str) -> float | None:
        """Accept only digit counts a phone number can have."""
        number = _EXTENSION_TAIL.sub("", value_of(match))
        if _DATE_SHAPE.match(number.strip()):
            return None
        count = len(digits(number))
        limits = {"russian": (11, 11), "international": (9, 15), "north_american": (10, 10)}
        low, high = limits.get(item.name, (5, 15))
        return item.score if low <= count <= high else None
