"""Natasha's spaCy component: the cheap "has a token" check equals razdel's tokenizer.

The component skips texts in which razdel (Natasha's tokenizer) finds no token,
as slovnet fails on them. The check searches for one razdel atom instead of
tokenizing the whole text; it must answer exactly as ``razdel.tokenize`` does.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from razdel import tokenize

from anonymise.recognizers.natasha_ner import _has_token

DATA = Path(__file__).resolve().parents[1] / "data" / "independent"
WHITESPACE = " \t\n\r\v\f\u00a0\u2002\u2003\u2009\u200b\u2028\u2029\u3000\ufeff\x1c\x1d\x1e\x1f\x85"


def razdel_has_token(text: str) -> bool:
    return next(iter(tokenize(text)), None) is not None


@given(st.text(alphabet=st.sampled_from(WHITESPACE), max_size=20))
def test_whitespace_of_every_kind_answers_as_razdel(text: str) -> None:
    assert _has_token(text) == razdel_has_token(text)


@given(st.text(max_size=40))
def test_any_text_answers_as_razdel(text: str) -> None:
    assert _has_token(text) == razdel_has_token(text)


def test_every_corpus_text_answers_as_razdel() -> None:
    for path in sorted(DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            text = json.loads(line)["text"]
            assert _has_token(text) == razdel_has_token(text)
            assert _has_token(text)  # every corpus text has words
