"""Russian birth certificate: Roman-numeral series, two Cyrillic letters, 6 digits.

"II-МЮ № 123456", "IV-АК 654321", "свидетельство о рождении V-РБ №765432".
"""

from __future__ import annotations

from anonymise.recognizers.base import DASH, RegexRecognizer, rule

# Latin I/V/X and the Cyrillic look-alikes people type instead (І, Х).
_ROMAN = "[IVXІХ]{1,5}"


class BirthCertificateRecognizer(RegexRecognizer):
    """Finds birth certificate numbers."""

    ENTITY = "ID"
    RULES = (
        rule(
            "series",
            rf"(?<![\w])(?P<value>{_ROMAN}\s?{DASH}?\s?[А-ЯЁ]{{2}}\s*(?:№|N)?\s*\d{{6}})(?!\d)",
            0.9,
        ),
        rule(
            "labelled",
            r"(?i:свидетельств\w{0,3}\s+о\s+рождении|св-в\w{0,2}\s+о\s+рожд\.?|birth\s+certificate)"
            r"\s*(?:№|No\.?|:|-)?\s*(?P<value>[\wА-ЯЁ\-\s№]{0,12}?\d{6})(?!\d)",
            0.9,
        ),
    )
