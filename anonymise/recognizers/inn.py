"""INN, the Russian taxpayer number: 10 digits (organisations) or 12 (people).

After the label "ИНН" any 10 or 12 digits are redacted; alone, a 12-digit number
needs valid check digits (python-stdnum). A lone 10-digit number is left to the
long-number recognizer: it is as often a phone number or a passport.
"""

from __future__ import annotations

import re

from stdnum.ru import inn as stdnum_inn

from anonymise.recognizers.base import RegexRecognizer, Rule, rule, value_of


class InnRecognizer(RegexRecognizer):
    """Finds INN numbers."""

    ENTITY = "ID"
    RULES = (
        rule(
            "labelled",
            r"(?<![\w])(?:ИНН|инн|TIN|(?i:taxpayer\s+(?:id|number)))\s*(?:№|No\.?|\#|:|-)?\s*"
            r"(?P<value>\d{12}|\d{10})(?!\d)",
            0.95,
        ),
        rule("digits", r"(?<![\d\w.,\-/+])(?P<value>\d{12}|\d{10})(?![\d\w]|[.,]\d)", 0.6),
    )

    def score(self, match: re.Match[str], item: Rule, text: str) -> float | None:
        """Labelled numbers always count; others need a valid checksum."""
        if item.name == "labelled":
            return item.score
        return item.score if stdnum_inn.is_valid(value_of(match)) else None
