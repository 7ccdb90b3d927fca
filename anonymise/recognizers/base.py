"""Shared machinery for the regular-expression recognizers.

Each recognizer module defines one subclass of :class:`RegexRecognizer` with its
patterns; a pattern's ``value`` group (or the whole match) is the identifier, so
label words such as "СНИЛС" or "MRN" are kept and only the number is redacted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from presidio_analyzer import LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

#: Hyphen, non-breaking hyphen, en and em dashes: clinicians type all of them.
DASH_CHARS = "\\-\u2010\u2011\u2012\u2013\u2014"
DASH = f"[{DASH_CHARS}]"


@dataclass(frozen=True)
class Rule:
    """One compiled pattern and the score a match of it earns."""

    pattern: re.Pattern[str]
    score: float
    name: str


def rule(name: str, pattern: str, score: float, flags: int = 0) -> Rule:
    """Compile ``pattern`` into a :class:`Rule`."""
    return Rule(re.compile(pattern, flags), score, name)


def value_span(match: re.Match[str]) -> tuple[int, int]:
    """Span of the identifier in a match: its ``value`` (or ``value2``) group, else all."""
    for name in ("value", "value2"):
        if name in match.re.groupindex and match.group(name) is not None:
            return match.span(name)
    return match.span()


def value_of(match: re.Match[str]) -> str:
    """Text of the identifier in a match (see :func:`value_span`)."""
    start, end = value_span(match)
    return match.string[start:end]


def digits(text: str) -> str:
    """Return only the ASCII digits of ``text``."""
    return "".join(ch for ch in text if ch.isdigit())


def adjacent_runs(matches: Iterable[re.Match[str]], text: str) -> list[list[re.Match[str]]]:
    """Group word matches into runs separated by exactly one space ("Иванов Пётр")."""
    runs: list[list[re.Match[str]]] = []
    for match in matches:
        if runs and text[runs[-1][-1].end() : match.start()] in (" ", "\u00a0"):
            runs[-1].append(match)
        else:
            runs.append([match])
    return runs


class CaseguardRecognizer(LocalRecognizer):
    """Base of the project's recognizers: one entity type, nothing to load."""

    ENTITY: ClassVar[str] = ""

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=[self.ENTITY],
            supported_language=supported_language,
            name=type(self).__name__,
        )

    def load(self) -> None:
        """Nothing to load: patterns compile at import, dictionaries on first use."""

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
    ) -> list[RecognizerResult]:
        """The results of :meth:`find`, or none when this entity type is not asked for."""
        if entities and self.ENTITY not in entities:
            return []
        return self.find(text, nlp_artifacts)

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        """Every match of this recognizer's entity type in ``text``."""
        raise NotImplementedError

    def result(self, start: int, end: int, score: float, **metadata: str) -> RecognizerResult:
        """A result of this recognizer's entity, named after the recognizer."""
        return RecognizerResult(
            self.ENTITY,
            start,
            end,
            score,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                **metadata,
            },
        )


class RegexRecognizer(CaseguardRecognizer):
    """A Presidio recognizer driven by a list of :class:`Rule` objects.

    Subclasses set ``ENTITY`` and ``RULES`` and may override :meth:`score` to
    validate a candidate (checksums) or to drop it (return ``None``).
    """

    RULES: ClassVar[tuple[Rule, ...]] = ()

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        """Return one result per validated match of any rule."""
        results: list[RecognizerResult] = []
        for item in self.RULES:
            for match in item.pattern.finditer(text):
                start, end = value_span(match)
                if start < 0 or start == end:
                    continue
                score = self.score(match, item, text)
                if score is None:
                    continue
                results.append(self.result(start, end, score, rule=item.name))
        return results

    def score(self, match: re.Match[str], item: Rule, text: str) -> float | None:
        """Score a candidate match; ``None`` rejects it. Default: the rule's score."""
        return item.score
