"""The free-text scrubber: Presidio analyzer + anonymizer for Russian and English.

Build it once (:func:`get_scrubber` caches it per process) and call
:meth:`Scrubber.scrub` or :meth:`Scrubber.scrub_batch`. Entities are reported
with offsets into the ORIGINAL text; the scrubbed text has typed placeholders
("[PERSON]") or, for full dates when the subject's date shift is known, the
shifted date.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from anonymise import offline
from anonymise.clinical_terms import ClinicalTerms, merge_spans
from anonymise.config import EngineConfig, load_config
from anonymise.errors import ScrubInputError
from anonymise.language import detect_language, secondary_language
from anonymise.postprocess import (
    Found,
    drop_implausible_names,
    propagate_names,
    remove_clinical,
    resolve_overlaps,
)

offline.enforce()

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry  # noqa: E402
from presidio_analyzer import RecognizerResult as AnalyzerResult  # noqa: E402
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer  # noqa: E402
from presidio_analyzer.nlp_engine import NlpArtifacts  # noqa: E402
from presidio_anonymizer import AnonymizerEngine  # noqa: E402
from presidio_anonymizer.entities import OperatorConfig, RecognizerResult  # noqa: E402

from anonymise.date_shift import shift_date_text  # noqa: E402
from anonymise.nlp_engine import CaseguardNlpEngine  # noqa: E402
from anonymise.recognizers.initials import post_nominal_spans  # noqa: E402

MAX_SHIFT_DAYS = 3650
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class ScrubbedEntity:
    """An identifier that was removed: offsets in the original text, type, score."""

    start: int
    end: int
    type: str
    score: float

    def to_dict(self) -> dict[str, object]:
        """The JSON form used by the command line."""
        return {
            "start": self.start,
            "end": self.end,
            "type": self.type,
            "score": round(self.score, 3),
        }


@dataclass(frozen=True)
class ScrubResult:
    """A scrubbed text, what was removed from it and the language it was read as."""

    text: str
    entities: list[ScrubbedEntity] = field(default_factory=list)
    language: str = "en"

    def counts(self) -> dict[str, int]:
        """Number of redactions per type."""
        counts: dict[str, int] = {}
        for entity in self.entities:
            counts[entity.type] = counts.get(entity.type, 0) + 1
        return counts

    def __repr__(self) -> str:  # the scrubbed text is safe, but keep logs short
        entities = len(self.entities)
        chars = len(self.text)
        return f"ScrubResult(language={self.language!r}, entities={entities}, chars={chars})"


class NoContextEnhancer(ContextAwareEnhancer):
    """Skips Presidio's context-word boosting.

    No caseguard recognizer declares context words (each looks at its own
    context in its pattern), and the stock enhancer deep-copies every result of
    every text, which cost about a tenth of the scrub time.
    """

    def __init__(self) -> None:
        super().__init__(0.0, 0.0, 0, 0)

    def enhance_using_context(  # noqa: D102
        self,
        text: str,
        raw_results: list[AnalyzerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[Any],
        context: list[str] | None = None,
    ) -> list[AnalyzerResult]:
        return raw_results


class CaseguardAnalyzerEngine(AnalyzerEngine):
    """Presidio's analyzer without the per-recognizer context pass when none can act.

    ``AnalyzerEngine._enhance_using_context`` splits the results by recognizer
    (two list scans per recognizer per text) to call each recognizer's own
    ``enhance_using_context``, then the engine-wide enhancer. With the
    :class:`NoContextEnhancer` and no recognizer overriding the per-recognizer
    hook (both return the results they get), the pass only regroups results by
    recognizer, and they already come grouped in recognizer order: it is skipped.
    """

    def _enhance_using_context(
        self,
        text: str,
        raw_results: list[AnalyzerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[AnalyzerResult]:
        if isinstance(self.context_aware_enhancer, NoContextEnhancer) and all(
            type(r).enhance_using_context is EntityRecognizer.enhance_using_context
            for r in recognizers
        ):
            return raw_results
        return super()._enhance_using_context(
            text, raw_results, nlp_artifacts, recognizers, context
        )


class Scrubber:
    """Presidio engines configured for caseguard; thread-safe for reading."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config or load_config()
        self.nlp_engine = CaseguardNlpEngine(self.config.languages)
        self.nlp_engine.load()
        registry = RecognizerRegistry(supported_languages=self.config.supported_languages)
        for spec in self.config.recognizers:
            cls = spec.load_class()
            for language in spec.languages:
                registry.add_recognizer(cls(supported_language=language))
        self.analyzer = CaseguardAnalyzerEngine(
            registry=registry,
            nlp_engine=self.nlp_engine,
            supported_languages=self.config.supported_languages,
            default_score_threshold=self.config.score_threshold,
            context_aware_enhancer=NoContextEnhancer(),
        )
        self.anonymizer = AnonymizerEngine()
        self.terms = ClinicalTerms.default()

    # -- public API ---------------------------------------------------------------

    def scrub(
        self, text: str, language: str | None = None, date_shift_days: int | None = None
    ) -> ScrubResult:
        """Scrub one text (see :func:`anonymise.scrub_text`)."""
        return self.scrub_batch([text], [language], [date_shift_days])[0]

    def scrub_batch(
        self,
        texts: Sequence[str],
        languages: Sequence[str | None] | None = None,
        date_shifts: Sequence[int | None] | None = None,
    ) -> list[ScrubResult]:
        """Scrub many texts, batching the NER of each language through ``nlp.pipe``."""
        languages = list(languages) if languages is not None else [None] * len(texts)
        date_shifts = list(date_shifts) if date_shifts is not None else [None] * len(texts)
        if not (len(texts) == len(languages) == len(date_shifts)):
            raise ScrubInputError("texts, languages and date shifts must have the same length")
        resolved = [
            self._language(text, lang, i)
            for i, (text, lang) in enumerate(zip(texts, languages, strict=True))
        ]
        for i, shift in enumerate(date_shifts):
            _check_shift(shift, i)
        # A lone surrogate (from a JSON escape such as \ud800) is not text: it becomes
        # U+FFFD, one character for one, so offsets still point into the input.
        texts = [_SURROGATE.sub("\ufffd", text) for text in texts]
        # A text mixing in the other script also goes through the other language's
        # NER; both passes are batched per language.
        secondary = [
            secondary_language(text, lang, self.config.secondary_script_share) if text else None
            for text, lang in zip(texts, resolved, strict=True)
        ]
        artifacts = self._artifacts(texts, resolved)
        extra = self._artifacts(texts, secondary)
        others = {i: (str(secondary[i]), nlp_artifacts) for i, nlp_artifacts in extra.items()}
        return [
            self._scrub_one(texts[i], resolved[i], date_shifts[i], artifacts[i], others.get(i))
            if texts[i]
            else ScrubResult("", [], resolved[i])
            for i in range(len(texts))
        ]

    # -- internals ----------------------------------------------------------------

    def _language(self, text: object, language: str | None, index: int) -> str:
        if not isinstance(text, str):
            raise ScrubInputError(
                f"item {index + 1}: text must be a string, not {type(text).__name__}"
            )
        if language in (None, "", "auto"):
            return detect_language(text, self.config.cyrillic_share_for_russian)
        if language not in self.config.languages:
            raise ScrubInputError(
                f"item {index + 1}: language {language!r} is not supported "
                f"(supported: {', '.join(self.config.languages)}); the text was not scrubbed"
            )
        return str(language)

    def _artifacts(
        self, texts: Sequence[str], languages: Sequence[str | None]
    ) -> dict[int, NlpArtifacts]:
        """NLP artifacts of each text that has a language, batched per language."""
        artifacts: dict[int, NlpArtifacts] = {}
        for language in {lang for lang in languages if lang is not None}:
            indexes = [i for i, lang in enumerate(languages) if lang == language and texts[i]]
            batch = self.nlp_engine.process_batch(
                (texts[i] for i in indexes), language, batch_size=self.config.batch_size
            )
            for i, (_, nlp_artifacts) in zip(indexes, batch, strict=True):
                artifacts[i] = nlp_artifacts
        return artifacts

    def _analyze(
        self,
        text: str,
        language: str,
        nlp_artifacts: NlpArtifacts | None,
        secondary: tuple[str, NlpArtifacts] | None = None,
    ) -> list[Found]:
        results = self.analyzer.analyze(text, language, nlp_artifacts=nlp_artifacts)
        found = [_found(r) for r in results]
        if secondary is not None:
            other, other_artifacts = secondary
            extra = self.analyzer.analyze(
                text,
                other,
                entities=["PERSON", "LOCATION", "ORGANIZATION"],
                nlp_artifacts=other_artifacts,
            )
            found += [_found(r) for r in extra]
        return found

    def _scrub_one(
        self,
        text: str,
        language: str,
        shift: int | None,
        nlp_artifacts: NlpArtifacts,
        secondary: tuple[str, NlpArtifacts] | None = None,
    ) -> ScrubResult:
        found = self._analyze(text, language, nlp_artifacts, secondary)
        found = [f for f in found if f.score >= self.config.score_threshold]
        # A clinician's degrees ("A. Smith, MB ChB, MRCPCH") are kept like clinical terms.
        protected = merge_spans([*self.terms.spans(text), *post_nominal_spans(text)])
        found = remove_clinical(text, found, protected)
        found = drop_implausible_names(text, found)
        if self.config.propagate_names:
            found = propagate_names(text, found, protected)
        found = resolve_overlaps(found)
        operators = {
            entity: OperatorConfig("replace", {"new_value": placeholder})
            for entity, placeholder in self.config.placeholders.items()
        }
        if shift is not None:
            operators["DATE"] = OperatorConfig(
                "custom",
                {
                    "lambda": partial(
                        _shifted_or_placeholder, shift, language, self.config.placeholders["DATE"]
                    )
                },
            )
        results = [RecognizerResult(f.entity_type, f.start, f.end, f.score) for f in found]
        anonymized = self.anonymizer.anonymize(
            text=text, analyzer_results=results, operators=operators
        )
        entities = [ScrubbedEntity(f.start, f.end, f.entity_type, f.score) for f in found]
        return ScrubResult(anonymized.text, entities, language)


NER_RECOGNIZERS = {
    "SpacyNerRecognizer",
    "NatashaNerRecognizer",
    "RussianNameRecognizer",
    "TransliteratedNameRecognizer",
    "EnglishProperNounRecognizer",
}


def _found(result: Any) -> Found:
    name = (result.recognition_metadata or {}).get("recognizer_name", "")
    return Found(
        result.start,
        result.end,
        result.entity_type,
        result.score,
        "ner" if name in NER_RECOGNIZERS else "pattern",
    )


def _shifted_or_placeholder(shift: int, language: str, placeholder: str, value: str) -> str:
    return shift_date_text(value, shift, language) or placeholder


def _check_shift(shift: object, index: int) -> None:
    if shift is None:
        return
    if isinstance(shift, bool) or not isinstance(shift, int) or abs(shift) > MAX_SHIFT_DAYS:
        raise ScrubInputError(
            f"item {index + 1}: date shift must be a whole number of days within ±{MAX_SHIFT_DAYS}"
        )


_SCRUBBER: Scrubber | None = None
_SCRUBBER_LOCK = threading.Lock()


def get_scrubber() -> Scrubber:
    """The process-wide scrubber, built on first use."""
    global _SCRUBBER
    with _SCRUBBER_LOCK:
        if _SCRUBBER is None:
            _SCRUBBER = Scrubber()
        return _SCRUBBER


# Made-up texts touching every kind of identifier, in both languages: scrubbing them
# once loads what the recognizers load on first use (gazetteers, name lists, NER
# models), so the first clinician to save after a start does not wait for it.
_WARM_UP_TEXTS = (
    (
        "Seen 12.03.2024 by Dr John Smith at St Mary's Hospital, 5 Baker Street, London "
        "NW1 6XE; mother Anna (+44 20 7946 0958, anna.smith@example.org, "
        "https://example.org/p/1) says he lives in Novosibirsk. MRN AB123456.",
        "en",
    ),
    (
        "Осмотрен 12.03.2024 врачом Ивановым Петром Сергеевичем в ГБУЗ ДГКБ № 9, "
        "г. Екатеринбург, ул. Ленина, д. 5, кв. 12; мама (тел. +7 912 345-67-89, "
        "ivanova@example.ru) живёт в нижегородском районе. СНИЛС 112-233-445 95.",
        "ru",
    ),
)


def warm_up() -> None:
    """Build the process-wide scrubber and scrub made-up texts once (see above)."""
    texts, languages = zip(*_WARM_UP_TEXTS, strict=True)
    get_scrubber().scrub_batch(list(texts), list(languages), [None] * len(texts))


def scrub_text(
    text: str, language: str | None = None, date_shift_days: int | None = None
) -> ScrubResult:
    """Remove identifiers from one Russian or English text.

    ``language`` is "ru", "en" or ``None`` (detected from the share of Cyrillic).
    With ``date_shift_days`` full dates become the shifted date; otherwise "[DATE]".
    Raises :class:`~anonymise.errors.ScrubberUnavailable` if the text cannot be
    scanned — callers must then refuse the text, never store it unscanned.
    """
    return get_scrubber().scrub(text, language, date_shift_days)


def scrub_texts(
    texts: Iterable[str],
    languages: Sequence[str | None] | None = None,
    date_shifts: Sequence[int | None] | None = None,
) -> list[ScrubResult]:
    """Batch form of :func:`scrub_text` (NER batched per language with ``nlp.pipe``)."""
    return get_scrubber().scrub_batch(list(texts), languages, date_shifts)
