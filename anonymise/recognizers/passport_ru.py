"""Russian internal passport: series (4 digits, often split 2+2) and number (6).

Forms: "45 12 345678", "4512 345678", "серия 4512 № 345678", "паспорт 4512345678".
"""

from __future__ import annotations

from anonymise.recognizers.base import RegexRecognizer, rule

_SERIES_NUMBER = r"\d{2}\s?\d{2}\s*(?:№|N|No\.?)?\s*\d{6}"


class RussianPassportRecognizer(RegexRecognizer):
    """Finds Russian passport series and numbers."""

    ENTITY = "ID"
    RULES = (
        rule(
            "labelled",
            r"(?i:паспорт\w{0,2}|passport)(?:\s+(?:гражданина\s+)?(?:РФ|России|Российской\s+Федерации|RF))?"
            rf"\s*(?:№|No\.?|:|-)?\s*(?:(?i:серия|сер\.|series)\s*)?(?P<value>{_SERIES_NUMBER}|\d{{10}})(?!\d)",
            0.95,
        ),
        rule(
            "series_word",
            r"(?i:серия|сер\.)\s*(?P<value>\d{2}\s?\d{2}\s*(?:№|N)\s*\d{6})(?!\d)",
            0.9,
        ),
        rule(
            "layout",
            r"(?<![\d\w.,\-/+])(?P<value>\d{2}\s\d{2}\s\d{6}|\d{4}\s№?\s?\d{6})(?![\d\w])",
            0.7,
        ),
    )
