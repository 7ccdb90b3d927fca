"""The scrubber's analyzer skips Presidio's context pass only where it changes nothing.

``CaseguardAnalyzerEngine`` returns the recognizers' results as they come
instead of regrouping them by recognizer for context enhancers that would return
them unchanged. Scrubbing the independent clinical notes with Presidio's own
pass and with the shortcut must give the same text and the same entities.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from anonymise import get_scrubber
from anonymise.scrubber import CaseguardAnalyzerEngine, NoContextEnhancer

pytestmark = pytest.mark.slow

NOTES = Path(__file__).resolve().parents[1] / "data" / "independent" / "clinical_notes.jsonl"


def _notes() -> tuple[list[str], list[str]]:
    rows = [json.loads(line) for line in NOTES.read_text(encoding="utf-8").splitlines()]
    return [r["text"] for r in rows], [r["language"] for r in rows]


def test_scrubbing_with_and_without_the_shortcut_gives_the_same_output(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts, languages = _notes()
    scrubber = get_scrubber()
    fast = scrubber.scrub_batch(texts, languages)
    monkeypatch.setattr(
        CaseguardAnalyzerEngine, "_enhance_using_context", AnalyzerEngine._enhance_using_context
    )
    slow = scrubber.scrub_batch(texts, languages)
    assert [r.text for r in fast] == [r.text for r in slow]
    assert [r.entities for r in fast] == [r.entities for r in slow]


class _Boosting(EntityRecognizer):
    """A recognizer with its own context hook: the shortcut must not skip it."""

    def load(self) -> None:  # noqa: D102
        pass

    def analyze(  # noqa: D102
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        return []

    def enhance_using_context(  # noqa: D102
        self,
        text: str,
        raw_recognizer_results: list[RecognizerResult],
        other_raw_recognizer_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        return []  # drops everything it is given


def test_a_recognizer_with_its_own_context_hook_still_gets_the_pass() -> None:
    engine = get_scrubber().analyzer
    assert isinstance(engine.context_aware_enhancer, NoContextEnhancer)
    boosting = _Boosting(supported_entities=["PERSON"], name="boost")
    result = RecognizerResult(
        "PERSON", 0, 4, 0.9, recognition_metadata={"recognizer_identifier": boosting.id}
    )
    kept = engine._enhance_using_context("John", [result], None, [boosting])  # type: ignore[arg-type]
    assert kept == []  # the recognizer's hook ran and dropped it
