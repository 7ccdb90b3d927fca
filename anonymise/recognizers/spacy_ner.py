"""Named entities from the spaCy pipeline (English): people, places, organisations.

The entities were computed by the NLP engine (``nlp_artifacts``); this recognizer
maps spaCy's labels onto ours. spaCy's DATE, CARDINAL and QUANTITY labels are
ignored on purpose: on clinical text they mark scores, doses and ages, and the
date recognizer finds real dates more precisely.
"""

from __future__ import annotations

from presidio_analyzer import LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

SPACY_LABELS = {
    "PERSON": ("PERSON", 0.7),
    "GPE": ("LOCATION", 0.7),
    "LOC": ("LOCATION", 0.6),
    "FAC": ("LOCATION", 0.6),
    "ORG": ("ORGANIZATION", 0.5),
}


class SpacyNerRecognizer(LocalRecognizer):
    """Presidio recognizer over the statistical NER entities of one language."""

    LABELS: dict[str, tuple[str, float]] = SPACY_LABELS

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=sorted({entity for entity, _ in self.LABELS.values()}),
            supported_language=supported_language,
            name=type(self).__name__,
        )

    def load(self) -> None:
        """The model is loaded by the NLP engine."""

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
    ) -> list[RecognizerResult]:
        """Map the engine's entities to PERSON, LOCATION and ORGANIZATION."""
        if nlp_artifacts is None:
            return []
        results = []
        for span in nlp_artifacts.entities:
            mapped = self.LABELS.get(span.label_)
            if mapped is None or (entities and mapped[0] not in entities):
                continue
            results.append(
                RecognizerResult(
                    mapped[0],
                    span.start_char,
                    span.end_char,
                    mapped[1],
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
            )
        return results
