"""Post-processing of the analyzer's results (anonymise/postprocess.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anonymise.postprocess import Found, propagate_names


def mentions(text: str, name: str) -> list[str]:
    """Texts of the PERSON spans, in order, after one mention of ``name`` was found."""
    start = text.index(name)
    found = propagate_names(text, [Found(start, start + len(name), "PERSON", 0.9)], [])
    return [text[s:e] for s, e in sorted({(f.start, f.end) for f in found})]


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        # "İ" lower-cases to "i" + a combining dot: the name must still meet itself
        ("Seen: İşcan. Plan for İşcan: continue.", "İşcan", ["İşcan", "İşcan"]),
        ("Seen: İşcan. Plan for İŞCAN: continue.", "İşcan", ["İşcan", "İŞCAN"]),
        ("Seen: Ayşe Yıldız. Plan for Yıldız: continue.", "Ayşe Yıldız", None),
        ("Seen: Łukasz. Plan for ŁUKASZ.", "Łukasz", ["Łukasz", "ŁUKASZ"]),
    ],
)
def test_a_name_with_non_english_letters_is_found_everywhere(
    text: str, name: str, expected: list[str] | None
) -> None:
    got = mentions(text, name)
    if expected is None:  # a two-word name: each of its words is propagated
        assert got == ["Ayşe", "Ayşe Yıldız", "Yıldız", "Yıldız"]
    else:
        assert got == expected


def test_a_lower_case_word_spelled_like_the_name_is_left() -> None:
    # "smith" the trade is not "Smith" the patient; the same for dotted İ names
    assert mentions("İnci was seen. The inci bead test.", "İnci") == ["İnci"]


@given(st.text(alphabet="abcçdefgğhıijklmnoöprsştuüvyzİIŞĞÜÖÇ", min_size=3, max_size=8))
def test_any_capitalised_turkish_name_meets_its_other_mentions(word: str) -> None:
    name = word[0].upper() + word[1:]
    if len(name) != len(word) or not name[0].isupper():
        return
    text = f"Seen: {name}. Plan for {name}: continue."
    assert mentions(text, name) == [name, name]
