"""Russian named entities from Natasha (slovnet NER with navec embeddings).

Natasha runs inside the Russian spaCy pipeline as the ``caseguard_natasha_ner``
component, so ``nlp.pipe`` batches many texts through slovnet at once; this
recognizer turns its PER/LOC/ORG spans into PERSON, LOCATION and ORGANIZATION.
Natasha handles inflected names ("у Кузенковой Л.М.", "пациенту Иванову").

slovnet multiplies small matrices with numpy; tagging runs with one BLAS thread
(see :mod:`anonymise.blas`), under a lock that keeps concurrent scrubs from
sharing the tagger's batch size.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import islice
from typing import Any

from razdel.segmenters.tokenize import ATOM
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import filter_spans

from anonymise.blas import one_blas_thread
from anonymise.recognizers.spacy_ner import SpacyNerRecognizer

NATASHA_LABELS = {
    "PER": ("PERSON", 0.8),
    "LOC": ("LOCATION", 0.7),
    "ORG": ("ORGANIZATION", 0.55),
}


@lru_cache(maxsize=1)
def natasha_tagger() -> Any:
    """Load Natasha's news NER model from the installed package (no download)."""
    from natasha import NewsEmbedding, NewsNERTagger

    return NewsNERTagger(NewsEmbedding())


_TAGGER_LOCK = threading.Lock()


def tag_texts(tagger: Any, texts: list[str], batch_size: int) -> list[Any]:
    """Natasha's markups of ``texts``, computed with a single BLAS thread."""
    with _TAGGER_LOCK, one_blas_thread():
        tagger.batch_size = batch_size
        return list(tagger.map(texts))


def _has_token(text: str) -> bool:
    """True if razdel (Natasha's tokenizer) finds at least one token in ``text``.

    razdel makes a token of every atom its ``ATOM`` pattern matches, so searching
    for one atom answers the same; ``tokenize`` splits the whole text into atoms
    before yielding the first token, which cost as much as Natasha's own pass.
    """
    return ATOM.search(text) is not None


class NatashaComponent:
    """spaCy pipeline component that sets ``doc.ents`` from Natasha's spans."""

    def __init__(self, batch_size: int = 32) -> None:
        self.tagger = natasha_tagger()
        self.batch_size = batch_size

    def __call__(self, doc: Doc) -> Doc:
        """Tag one document."""
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        """Tag documents in batches through slovnet."""
        size = batch_size or self.batch_size
        iterator = iter(docs)
        while batch := list(islice(iterator, size)):
            # slovnet fails on a batch without a single token (whitespace, \v\f only),
            # so texts with no token skip the tagger: they have no entities anyway
            # Doc.text joins every token's text: read it once per document
            every_text = [d.text for d in batch]
            tagged = [_has_token(text) for text in every_text]
            texts = [text for text, has in zip(every_text, tagged, strict=True) if has]
            markups = iter(tag_texts(self.tagger, texts, size))
            for doc, has in zip(batch, tagged, strict=True):
                spans = []
                for found in next(markups).spans if has else ():
                    span = doc.char_span(
                        found.start, found.stop, label=found.type, alignment_mode="expand"
                    )
                    if span is not None:
                        spans.append(span)
                doc.ents = filter_spans(spans)
                yield doc


@Language.factory("caseguard_natasha_ner", default_config={"batch_size": 32})
def make_natasha_component(nlp: Language, name: str, batch_size: int) -> NatashaComponent:
    """spaCy factory for :class:`NatashaComponent`."""
    return NatashaComponent(batch_size)


class NatashaNerRecognizer(SpacyNerRecognizer):
    """Presidio recognizer for Natasha's PER/LOC/ORG entities (Russian)."""

    LABELS = NATASHA_LABELS

    def __init__(self, supported_language: str = "ru") -> None:
        super().__init__(supported_language)
