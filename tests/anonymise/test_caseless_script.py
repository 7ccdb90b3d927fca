"""Names in Arabic or Hebrew script inside English or Russian notes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anonymise.recognizers.caseless_script import MAX_WORDS, CaselessScriptRecognizer


def found(text: str) -> list[str]:
    return [text[r.start : r.end] for r in CaselessScriptRecognizer("en").analyze(text, [])]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yasmin came in with her father, طارق, and a family friend.", ["طارق"]),
        ("Referral (NZ): NHI SEQ4959. كرمة ربيعة, Tauranga.", ["كرمة ربيعة"]),
        ("Name: שרה כהן", ["שרה כהן"]),
        ("Мать — أولاد بوعزيز, тел. +7 900 000-00-00", ["أولاد بوعزيز"]),
    ],
)
def test_short_runs_are_names(text: str, expected: list[str]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Nusinersen 12 mg intrathecal; HFMSE 57; lot 4D45F.",
        "Выписана домой, доза 5 мг.",
        # a quoted sentence is a message, not a name: no run is cut out of it
        "Mother wrote: ملاحظة طويلة جدا عن حالة المريض اليوم وغدا",
        "Arabic digits ١٢٣ alone",
    ],
)
def test_clinical_text_and_long_runs_give_nothing(text: str) -> None:
    assert found(text) == []


ARABIC_WORD = st.text(
    alphabet=st.characters(min_codepoint=0x0621, max_codepoint=0x064A), min_size=2, max_size=8
)


@given(st.lists(ARABIC_WORD, min_size=1, max_size=8))
def test_a_run_is_found_whole_or_not_at_all(words: list[str]) -> None:
    run = " ".join(words)
    result = found(f"Contact: {run}, tel. 0871234567")
    assert result == ([run] if len(words) <= MAX_WORDS else [])


def test_a_name_the_ner_also_tags_is_still_removed() -> None:
    from anonymise import scrub_text

    text = "Referral (NZ): NHI SEQ4959. كرمة ربيعة, Tauranga. Kugelberg-Welander disease."
    result = scrub_text(text, "en")
    assert "كرمة" not in result.text and "ربيعة" not in result.text
    assert "Kugelberg-Welander disease" in result.text
