"""A safety net: long digit strings that no specific recognizer explained.

Nine or more digits in one token (separators allowed) in a case note are almost
always an identifier — a policy, card, account or record number in a layout
nobody anticipated. Lot and series numbers, and numbers with a unit after them,
are clinical and are left alone.
"""

from __future__ import annotations

import re

from anonymise.recognizers.base import RegexRecognizer, Rule, digits, rule, value_of

_LOT_BEFORE = re.compile(
    r"(?i:lot|batch|серия|серии|серию|партия|партии|series|кат\.|cat\.|REF)\s*(?:№|No\.?|#|:)?\s*$"
)
_UNIT_AFTER = re.compile(
    r"^\s?(?:мг|мл|г|кг|мкг|вг|vg|mg|ml|g|kg|µg|mcg|ЕД|IU|ед|копи|cop|×|x10|\*10|%)", re.IGNORECASE
)


class LongNumberRecognizer(RegexRecognizer):
    """Finds long unexplained numbers."""

    ENTITY = "ID"
    RULES = (rule("long", r"(?<![\w.,/\-])(?P<value>\d(?:[\s\-]?\d){8,24})(?![\w]|[.,]\d)", 0.45),)

    def score(self, match: re.Match[str], item: Rule, text: str) -> float | None:
        """Skip lot numbers and quantities."""
        start, end = match.span("value")
        if len(digits(value_of(match))) < 9:
            return None
        if _LOT_BEFORE.search(text[max(0, start - 20) : start]) or _UNIT_AFTER.match(
            text[end : end + 6]
        ):
            return None
        return item.score
