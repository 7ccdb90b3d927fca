"""SNILS, the Russian individual insurance account number (11 digits).

Written ``123-456-789 64``. A number after the word "СНИЛС" is redacted even when
its check digits are wrong (a typo is still the patient's number); without the
word, only the canonical layout with valid check digits is taken.
"""

from __future__ import annotations

import re

from anonymise.recognizers.base import (
    DASH,
    DASH_CHARS,
    RegexRecognizer,
    Rule,
    digits,
    rule,
    value_of,
)

_NUMBER = rf"\d{{3}}(?:{DASH}|\s)?\d{{3}}(?:{DASH}|\s)?\d{{3}}(?:{DASH}|\s)?\d{{2}}"


def snils_is_valid(number: str) -> bool:
    """True if the 11-digit SNILS has correct check digits."""
    number = digits(number)
    if len(number) != 11:
        return False
    body, check = number[:9], int(number[9:])
    if int(body) <= 1001998:  # numbers this low were issued without a checksum
        return True
    total = sum(int(d) * w for d, w in zip(body, range(9, 0, -1), strict=True))
    while total > 101:
        total %= 101
    return check == (0 if total in (100, 101) else total)


class SnilsRecognizer(RegexRecognizer):
    """Finds SNILS numbers."""

    ENTITY = "ID"
    RULES = (
        rule(
            "labelled",
            rf"(?i:снилс\w{{0,2}}|snils|страхов\w+\s+номер\w*(?:\s+индивидуальн\w+\s+лицев\w+\s+сч[её]т\w*)?)"
            rf"\s*(?:№|No\.?|\#|:|-)?\s*(?P<value>{_NUMBER})(?!\d)",
            0.95,
        ),
        rule(
            "layout",
            rf"(?<![\d\w])(?P<value>\d{{3}}{DASH}\d{{3}}{DASH}\d{{3}}[\s{DASH_CHARS}]\d{{2}})(?![\d\w])",
            0.85,
        ),
        rule("digits", r"(?<![\d\w.,\-/])(?P<value>\d{11})(?![\d\w]|[.,]\d)", 0.6),
    )

    def score(self, match: re.Match[str], item: Rule, text: str) -> float | None:
        """Labelled numbers always count; others need valid check digits."""
        if item.name == "labelled":
            return item.score
        return item.score if snils_is_valid(value_of(match)) else None
