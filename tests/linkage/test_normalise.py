"""Identifier normalisation: every usual spelling of a Russian name gives one skeleton."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warehouse.linkage.normalise import (
    birth_date_parts,
    fold_name,
    full_name,
    name_parts,
    phonetic_code,
    snils_digits,
)
from warehouse.linkage.synthetic import snils

SPELLINGS = [
    ("Щукина", ["Shchukina", "Schukina", "SHHukina", "ЩУКИНА", "щукина"]),
    ("Юлия", ["Yuliya", "Iuliia", "Julija", "Yulija"]),
    ("Ёлкина", ["Елкина", "Elkina", "Yolkina", "Jolkina"]),
    ("Хабибуллина", ["Khabibullina", "Habibullina", "Хабибулина"]),
    ("Цветков", ["Tsvetkov", "Tcvetkov", "Cvetkov"]),
    ("Алексей", ["Aleksei", "Aleksey", "Alexey", "Алексеи"]),
    ("Мария", ["Mariia", "Mariya", "Marija"]),
    ("Дмитриев", ["Dmitriev"]),
    ("Жуков", ["Zhukov"]),
    ("Чернышёв", ["Chernyshev", "Chernyshyov", "Чернышев"]),
]


@pytest.mark.parametrize(("cyrillic", "variants"), SPELLINGS)
def test_transliterations_and_case_fold_to_one_skeleton(cyrillic: str, variants: list[str]) -> None:
    for variant in variants:
        assert fold_name(variant) == fold_name(cyrillic), variant


def test_different_names_stay_different() -> None:
    # near misses: one letter apart, or a different name that sounds close
    assert fold_name("Иванова") != fold_name("Иванов")
    assert fold_name("Юлия") != fold_name("Юрий")
    assert fold_name("Dmitriev") != fold_name("Dmitrieva")
    assert fold_name("Sasha") != fold_name("Masha")


def test_hyphenated_surnames_split_into_parts() -> None:
    assert name_parts("Иванова-Петрова") == ["иванова", "петрова"]
    assert name_parts("Ivanova – Petrova") == ["иванова", "петрова"]
    assert full_name("Иванова-Петрова") == "ивановапетрова"
    assert name_parts("  ") == []


def test_phonetic_code_joins_spellings_and_typos_of_one_sound() -> None:
    assert phonetic_code(fold_name("Шукина")) == phonetic_code(fold_name("Щукина"))
    assert phonetic_code(fold_name("Смирнова")) != phonetic_code(fold_name("Кузнецова"))
    assert phonetic_code("") == ""


def test_birth_date_parts_catch_a_swapped_day_and_month() -> None:
    one = birth_date_parts(dt.date(2019, 3, 7))
    swapped = birth_date_parts(dt.date(2019, 7, 3))
    assert one["birth_date"] != swapped["birth_date"]
    assert one["birth_date_unordered"] == swapped["birth_date_unordered"]
    assert one["birth_year_month"] == "2019-03"


def test_snils_checksum() -> None:
    assert snils_digits("112-233-445 95") == "11223344595"
    assert snils_digits("") == ""
    with pytest.raises(ValueError, match="check digits"):
        snils_digits("112-233-445 96")
    with pytest.raises(ValueError, match="11 digits"):
        snils_digits("112-233")


@given(st.integers(min_value=0, max_value=10_000))
def test_generated_snils_numbers_pass_the_check(seed: int) -> None:
    import random

    assert len(snils_digits(snils(random.Random(seed)))) == 11


@given(st.text(max_size=40))
def test_folding_is_idempotent_and_yields_only_folded_cyrillic(text: str) -> None:
    folded = fold_name(text)
    assert fold_name(folded) == folded
    assert set(folded) <= set("абвгдежзиклмнопрстуфхцчшщюя")
