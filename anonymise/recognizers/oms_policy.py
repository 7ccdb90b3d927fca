"""OMS compulsory medical insurance policy number (16 digits, unified policy).

The 16th digit is a Luhn check digit over the first fifteen. After "полис",
"ОМС" or "ЕНП" any 16 digits are redacted; without such a word, a 16-digit number
is taken only when its check digit is valid.
"""

from __future__ import annotations

import re

from stdnum import luhn

from anonymise.recognizers.base import RegexRecognizer, Rule, digits, rule, value_of

_NUMBER = r"\d{4}[\s\-]?\d{4}[\s\-]?\d{4}[\s\-]?\d{4}"


class OmsPolicyRecognizer(RegexRecognizer):
    """Finds OMS policy numbers."""

    ENTITY = "ID"
    RULES = (
        rule(
            "labelled",
            r"(?i:полис\w{0,2}(?:\s+(?:обязательного\s+медицинского\s+страхования|омс))?|омс|енп"
            r"|(?:insurance\s+)?policy(?:\s+(?:number|no\.?))?)"
            rf"\s*(?:№|No\.?|\#|:|-)?\s*(?P<value>{_NUMBER})(?!\d)",
            0.95,
        ),
        rule("digits", rf"(?<![\d\w.,\-/])(?P<value>{_NUMBER})(?![\d\w]|[.,]\d)", 0.7),
    )

    def score(self, match: re.Match[str], item: Rule, text: str) -> float | None:
        """Labelled numbers always count; others need a valid Luhn digit."""
        if item.name == "labelled":
            return item.score
        return item.score if luhn.is_valid(digits(value_of(match))) else None
