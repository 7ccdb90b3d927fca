"""The NER models' fast matrix products give the same answers as the stock ones.

The scrubber runs spaCy's English pipeline with numpy's matmul on one BLAS
thread instead of thinc's BLIS, and Natasha on one BLAS thread (anonymise/blas.py):
a speed change only. On the independent clinical notes, every entity and every
part-of-speech tag (the proper-noun recognizer reads them) must be the same as
the stock pipeline's, and Natasha's spans the same as with OpenBLAS's own threads.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy
from threadpoolctl import threadpool_info

from anonymise.blas import one_blas_thread, use_numpy_matmul
from anonymise.config import load_config
from anonymise.nlp_engine import title_case_capitals
from anonymise.recognizers.natasha_ner import natasha_tagger, tag_texts

pytestmark = pytest.mark.slow

NOTES = Path(__file__).resolve().parents[1] / "data" / "independent" / "clinical_notes.jsonl"


def _notes(language: str) -> list[str]:
    rows = [json.loads(line) for line in NOTES.read_text(encoding="utf-8").splitlines()]
    return [row["text"] for row in rows if row["language"] == language]


def _english() -> spacy.language.Language:
    settings = load_config().languages["en"]
    return spacy.load(str(settings["model"]), exclude=list(settings.get("exclude", [])))


def _annotations(nlp: spacy.language.Language, texts: list[str]) -> list[object]:
    docs = nlp.pipe((title_case_capitals(t) for t in texts), batch_size=32)
    return [
        ([(e.start_char, e.end_char, e.label_) for e in doc.ents], [t.tag_ for t in doc])
        for doc in docs
    ]


def test_english_pipeline_with_numpy_matmul_tags_as_stock() -> None:
    texts = _notes("en")
    stock = _annotations(_english(), texts)
    fast = _english()
    use_numpy_matmul(fast)
    with one_blas_thread():
        assert _annotations(fast, texts) == stock


def test_natasha_on_one_blas_thread_finds_the_same_spans() -> None:
    texts = _notes("ru")
    tagger = natasha_tagger()
    tagger.batch_size = 32
    threaded = [[(s.start, s.stop, s.type) for s in m.spans] for m in tagger.map(texts)]
    single = [[(s.start, s.stop, s.type) for s in m.spans] for m in tag_texts(tagger, texts, 32)]
    assert single == threaded
    assert any(threaded), "test bug: Natasha found nothing at all"


def test_one_blas_thread_is_given_back() -> None:
    def threads() -> list[int]:
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    before = threads()
    assert before, "numpy is expected to bring an OpenBLAS"
    with one_blas_thread():
        assert threads() == [1] * len(before)
    assert threads() == before
