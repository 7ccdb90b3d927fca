"""pymorphy3 is asked to parse only dictionary words: the same answers, faster.

``proper_name_tags`` and ``is_common_word`` count dictionary readings only, and
first ask whether the word is in the dictionary at all, skipping the guessing by
analogy that makes up most of a parse of an unknown word. Property: on any word
(real names, places, common words, transliterations and random Cyrillic), both
give what a full parse gives.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anonymise.recognizers import morphology

KINDS = ("Name", "Surn", "Patr", "Geox")
REAL_WORDS = [
    "Иванова",
    "Пётр",
    "Петрович",
    "Артем",
    "Артём",
    "Москва",
    "Уфа",
    "Оренбург",
    "Волк",
    "Романов",
    "Евдокимов-Романов",
    "Юго-Камский",
    "больница",
    "клинический",
    "московской",
    "Нижнего",
    "Новгорода",
    "Кузенковой",
    "Бишоп",
    "Смит",
    "Джонсон",
    "старший",
    "младший",
    "Хоспитал",
    "Лантесенс",
    "ИВАНОВА",
    "Ростов-на-Дону",
]
CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ-"


def _full_parse_tags(word: str, min_score: float) -> frozenset[str]:
    tags: set[str] = set()
    for parse in morphology.analyzer().parse(morphology.normalise_case(word)):
        if parse.is_known and parse.score >= min_score:
            tags |= {kind for kind in KINDS if kind in parse.tag}
    return frozenset(tags)


def _full_parse_common(word: str) -> bool:
    readings = morphology.analyzer().parse(word.lower())
    total = sum(p.score for p in readings if p.is_known and not set(KINDS) & set(p.tag.grammemes))
    return total >= 0.25


WORDS = st.one_of(
    st.sampled_from(REAL_WORDS),
    st.text(alphabet=CYRILLIC, min_size=1, max_size=14),
    st.sampled_from(REAL_WORDS).map(str.lower),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(word=WORDS, min_score=st.sampled_from([0.0, 0.25]))
def test_dictionary_check_first_gives_the_full_parse_answer(word: str, min_score: float) -> None:
    assert morphology._name_tags(word, min_score) == _full_parse_tags(word, min_score)
    assert morphology.is_common_word.__wrapped__(word) == _full_parse_common(word)


@pytest.mark.parametrize(
    ("word", "kind"), [("Иванова", "Surn"), ("Пётр", "Name"), ("Петрович", "Patr"), ("Уфа", "Geox")]
)
def test_known_names_and_places_still_read_as_such(word: str, kind: str) -> None:
    assert kind in morphology.proper_name_tags(word)


def test_an_unknown_word_has_no_tags_and_is_not_common() -> None:
    assert morphology.proper_name_tags("Хоспиталище") == frozenset()
    assert not morphology.is_common_word("бздрымк")
