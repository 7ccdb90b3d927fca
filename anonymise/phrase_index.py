"""Find many word-bounded phrases in a text quickly.

One big regex alternation of a few hundred (allow-list) or a few thousand
(gazetteer) phrases is tried at every character of every text, which cost more
than the NER itself. :class:`PhraseIndex` keys each phrase's own pattern by its
first two characters and tries only the patterns whose key matches the text at a
word start, keeping the alternation's result: leftmost match, and at one
position the first phrase in the given order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

_WORD_START = re.compile(r"(?<!\w)(?=\S)")
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2014]")


class PhraseIndex:
    """Patterns of phrases, each of which must start at a word start.

    ``entries`` are ``(phrase, pattern)`` pairs in priority order (put longer
    phrases first); ``pattern`` is matched at a candidate position with
    ``re.match`` semantics and may carry its own lookarounds. The phrase's
    first characters up to a space or dash (at most two) are its key.
    """

    def __init__(self, entries: Iterable[tuple[str, str]], ignore_case: bool = False) -> None:
        self._fold = str.lower if ignore_case else _same
        flags = re.IGNORECASE if ignore_case else 0
        self._by_key: dict[str, list[tuple[int, re.Pattern[str]]]] = {}
        for order, (phrase, pattern) in enumerate(entries):
            key = self._fold(_key(phrase))
            if key:
                self._by_key.setdefault(key, []).append((order, re.compile(pattern, flags)))

    def __bool__(self) -> bool:
        return bool(self._by_key)

    def finditer(self, text: str) -> Iterator[tuple[int, int]]:
        """Non-overlapping (start, end) spans, left to right."""
        position = 0
        for start in (m.start() for m in _WORD_START.finditer(text)):
            if start < position:
                continue
            candidates = self._candidates(text, start)
            for _, pattern in candidates:
                match = pattern.match(text, start)
                if match and match.end() > start:
                    yield start, match.end()
                    position = match.end()
                    break

    def _candidates(self, text: str, start: int) -> list[tuple[int, re.Pattern[str]]]:
        one = self._by_key.get(self._fold(text[start : start + 1]), [])
        two = self._by_key.get(self._fold(text[start : start + 2]), [])
        if not one or not two:
            return one or two
        return sorted(one + two, key=lambda entry: entry[0])


def _key(phrase: str) -> str:
    head = _SEPARATORS.split(phrase.strip(), maxsplit=1)[0]
    return head[:2]


def _same(value: str) -> str:
    return value
