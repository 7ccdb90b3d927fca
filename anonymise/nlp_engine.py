"""Presidio NLP engine with one spaCy pipeline per language, loaded offline.

English uses the installed small English model with ``tok2vec``, ``tagger`` and ``ner``;
Russian uses spaCy's Russian tokenizer with Natasha's NER as a pipeline component.
Both run with numpy's matrix products on one BLAS thread (see :mod:`anonymise.blas`).
A model that is not installed raises :class:`ScrubberUnavailable` — the engine
never downloads anything and never falls back to scanning without NER.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cached_property
from typing import Any

import spacy
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine
from spacy.language import Language
from spacy.tokens import Doc

from anonymise.blas import one_blas_thread, use_numpy_matmul
from anonymise.errors import ScrubberUnavailable

NER_ENTITIES = ["PERSON", "LOCATION", "ORGANIZATION"]
_CAPS_WORD = re.compile(r"\b[^\W\d_]{3,}\b")


def title_case_capitals(text: str) -> str:
    """ "ИВАНОВА ТАМАРА" -> "Иванова Тамара", same length, so offsets still hold.

    Statistical NER models learnt names in title case; forms and headers often
    write them in capitals. The recognizers still see the original text.
    """
    return _CAPS_WORD.sub(
        lambda m: m.group().capitalize() if m.group().isupper() else m.group(), text
    )


def load_pipeline(language: str, settings: dict[str, Any]) -> Language:
    """Load the configured spaCy pipeline for one language."""
    model = str(settings["model"])
    try:
        if model.startswith("blank:"):
            nlp = spacy.blank(model.removeprefix("blank:"))
        else:
            if not spacy.util.is_package(model):
                raise OSError(f"spaCy model package {model!r} is not installed")
            nlp = spacy.load(model, exclude=list(settings.get("exclude", [])))
        if language == "ru":
            import anonymise.recognizers.natasha_ner  # noqa: F401  (registers the factory)
        for component in settings.get("components", []):
            nlp.add_pipe(component)
        use_numpy_matmul(nlp)
    except Exception as exc:  # any failure means this language cannot be scanned
        raise ScrubberUnavailable(
            f"The {language} identifier scanner could not be loaded ({type(exc).__name__}: {exc}). "
            "Texts in this language are refused until it is installed (make install)."
        ) from None
    return nlp


class CaseguardNlpEngine(NlpEngine):
    """One spaCy pipeline per language; lemmas are lower-cased tokens."""

    def __init__(self, languages: dict[str, dict[str, Any]]) -> None:
        self.settings = languages
        self.nlp: dict[str, Language] = {}

    def load(self) -> None:
        """Load every configured pipeline (raises :class:`ScrubberUnavailable`)."""
        self.nlp = {lang: load_pipeline(lang, settings) for lang, settings in self.settings.items()}

    def is_loaded(self) -> bool:
        """True once :meth:`load` has run."""
        return bool(self.nlp)

    def pipeline(self, language: str) -> Language:
        """The pipeline for ``language``, refusing languages not configured."""
        try:
            return self.nlp[language]
        except KeyError:
            raise ScrubberUnavailable(
                f"No identifier scanner is configured for language {language!r}; "
                f"supported: {', '.join(sorted(self.nlp))}."
            ) from None

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        """Run the language's pipeline on one text."""
        with one_blas_thread():
            doc = self.pipeline(language)(title_case_capitals(text))
        return self._artifacts(doc, language)

    def process_batch(
        self,
        texts: Iterable[str],
        language: str,
        batch_size: int = 32,
        n_process: int = 1,
        **kwargs: Any,
    ) -> Iterator[tuple[str, NlpArtifacts]]:
        """Run the pipeline over many texts with ``nlp.pipe`` batching."""
        originals = list(texts)
        pipeline = self.pipeline(language)
        with one_blas_thread():
            docs = list(
                pipeline.pipe((title_case_capitals(t) for t in originals), batch_size=batch_size)
            )
        for text, doc in zip(originals, docs, strict=True):
            yield text, self._artifacts(doc, language)

    def is_stopword(self, word: str, language: str) -> bool:
        """Stop word in the language's vocabulary."""
        return bool(self.pipeline(language).vocab[word].is_stop)

    def is_punct(self, word: str, language: str) -> bool:
        """Punctuation in the language's vocabulary."""
        return bool(self.pipeline(language).vocab[word].is_punct)

    def get_supported_entities(self) -> list[str]:
        """Entities the NER pipelines produce (after mapping)."""
        return list(NER_ENTITIES)

    def get_supported_languages(self) -> list[str]:
        """Configured languages."""
        return list(self.settings)

    def _artifacts(self, doc: Doc, language: str) -> NlpArtifacts:
        return LazyNlpArtifacts(doc, language, self)


class LazyNlpArtifacts(NlpArtifacts):
    """Presidio's NLP artifacts, with token offsets, lemmas and keywords made on first use.

    Only Presidio's context enhancer reads those three, and the scrubber replaces it
    (see ``NoContextEnhancer``); building them for every token of every text cost
    about a tenth of a scrub. Lemmas are the lower-cased tokens.
    """

    def __init__(self, doc: Doc, language: str, nlp_engine: NlpEngine) -> None:
        # Presidio's constructor builds the keywords at once; these are set directly.
        self.tokens = doc
        self.entities = list(doc.ents)
        self.scores = [0.85] * len(self.entities)
        self.nlp_engine = nlp_engine
        self.language = language

    @cached_property
    def tokens_indices(self) -> list[int]:  # type: ignore[override]
        """Character offset of each token."""
        return [token.idx for token in self.tokens]

    @cached_property
    def lemmas(self) -> list[str]:  # type: ignore[override]
        """Each token, lower-cased."""
        return [token.lower_ for token in self.tokens]

    @cached_property
    def keywords(self) -> list[str]:  # type: ignore[override]
        """Presidio's keywords: lemmas that are neither stop words nor punctuation."""
        return self.set_keywords(self.nlp_engine, self.lemmas, self.language)

    def to_json(self) -> str:
        """Presidio's JSON form, with every lazy field filled in."""
        _ = (self.tokens_indices, self.lemmas, self.keywords)
        return super().to_json()
