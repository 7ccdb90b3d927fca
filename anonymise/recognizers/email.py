"""E-mail addresses, including Cyrillic local parts and domains."""

from __future__ import annotations

from anonymise.recognizers.base import RegexRecognizer, rule


class EmailRecognizer(RegexRecognizer):
    """Finds e-mail addresses."""

    ENTITY = "EMAIL"
    RULES = (
        rule(
            "address",
            r"(?<![\w.+\-])(?P<value>[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,24})(?![\w\-])",
            0.95,
        ),
    )
