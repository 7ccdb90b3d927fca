"""Look-aheads added to slow patterns for speed find exactly what the patterns did.

A pattern that tries a long alternation at every position of a text (the USPS
state codes before a ZIP code, the flat words before a house number) got a cheap
look-ahead in front, which every match passes anyway. Each is compared here with
the pattern without it: on every text of the corpora and on generated text.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anonymise.recognizers.address_en import EnglishAddressRecognizer
from anonymise.recognizers.postcode import _rules

ROOT = Path(__file__).resolve().parents[2]
CORPORA = [
    ROOT / "bench" / "data" / "narratives.jsonl",
    ROOT / "bench" / "data" / "hard_cases.jsonl",
    ROOT / "tests" / "data" / "independent" / "clinical_notes.jsonl",
    ROOT / "tests" / "data" / "independent" / "pii_general_en.jsonl",
]
LOOKAHEADS = {
    "us_state_zip": r"(?=[A-Z]{2},?\s\d)",
    "number_street_city_code": r"(?=[FASU\d])",
}


def _fast_and_slow() -> list[tuple[str, re.Pattern[str], re.Pattern[str]]]:
    rules = [r for r in _rules() if r.name in LOOKAHEADS]
    rules += [r for r in EnglishAddressRecognizer.RULES if r.name in LOOKAHEADS]
    assert {r.name for r in rules} == set(LOOKAHEADS)
    pairs = []
    for item in rules:
        lookahead = LOOKAHEADS[item.name]
        assert lookahead in item.pattern.pattern, item.name
        slow = re.compile(item.pattern.pattern.replace(lookahead, "", 1), item.pattern.flags)
        pairs.append((item.name, item.pattern, slow))
    return pairs


@lru_cache(maxsize=1)
def _texts() -> list[str]:
    texts = []
    for path in CORPORA:
        texts += [json.loads(line)["text"] for line in path.read_text("utf-8").splitlines()]
    return texts


def _matches(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span("value") for m in pattern.finditer(text)]


@pytest.mark.parametrize(("name", "fast", "slow"), _fast_and_slow())
def test_the_fast_pattern_finds_what_the_slow_one_did_on_the_corpora(
    name: str, fast: re.Pattern[str], slow: re.Pattern[str]
) -> None:
    for text in _texts():
        assert _matches(fast, text) == _matches(slow, text), (name, text[:80])


PIECES = list("0123456789 ,-.ACDFGHILMNOPRSTUWXYZaeiklnortu\n")
PIECES += ["Apt ", "Flat ", "Suite ", "Unit ", "Street", "Road", "Oak", "TX ", "NY, "]
ADDRESSY = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)


@given(ADDRESSY)
def test_the_fast_pattern_finds_what_the_slow_one_did_on_any_text(text: str) -> None:
    for name, fast, slow in _fast_and_slow():
        assert _matches(fast, text) == _matches(slow, text), name
