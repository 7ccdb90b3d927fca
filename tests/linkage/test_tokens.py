"""Keyed tokens: equal for one child's spellings, unlinkable without the key, and never
carrying a value typed in the form."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.errors import ValidationFailed
from warehouse.linkage.tokens import TOKEN_COLUMNS, Identifiers, key_id, make_tokens

KEY = bytes(range(32))
CHILD = Identifiers(
    surname="Иванова-Петрова",
    given_name="Юлия",
    patronymic="Сергеевна",
    birth_date=dt.date(2019, 3, 7),
    sex="F",
    snils="112-233-445 95",
    birth_region="Пермский край",
)


def test_the_same_child_spelled_in_latin_gets_the_same_tokens() -> None:
    latin = Identifiers(
        surname="IVANOVA-PETROVA",
        given_name="Iuliia",
        patronymic="Sergeevna",
        birth_date=dt.date(2019, 3, 7),
        sex="ж",
        snils="11223344595",
        birth_region="Пермский край",
    )
    assert make_tokens(KEY, latin) == make_tokens(KEY, CHILD)


def test_tokens_depend_on_the_key_and_on_the_field() -> None:
    tokens = make_tokens(KEY, CHILD)
    other = make_tokens(bytes(32), CHILD)
    assert all(tokens[c] != other[c] for c in TOKEN_COLUMNS)
    same_text = make_tokens(KEY, Identifiers(surname="Юлия", given_name="Юлия"))
    assert same_text["surname"] != same_text["given_name"]  # domain-separated
    assert key_id(KEY) != key_id(bytes(32)) and len(key_id(KEY)) == 16


def test_missing_fields_have_no_token_and_parts_one_token_each() -> None:
    tokens = make_tokens(KEY, Identifiers(surname="Иванова-Петрова"))
    assert len(tokens["surname_parts"]) == 2
    assert tokens["given_name"] is None and tokens["birth_date"] is None
    plain = make_tokens(KEY, Identifiers(surname="Иванова"))
    assert plain["surname_parts"][0] == tokens["surname_parts"][0]


def test_identifiers_never_show_their_values() -> None:
    text = repr(CHILD) + str(CHILD)
    for value in ("Иванова", "Юлия", "Сергеевна", "2019", "112", "Пермский"):
        assert value not in text


def test_bad_snils_or_sex_names_the_field_not_the_value() -> None:
    with pytest.raises(ValidationFailed) as caught:
        make_tokens(KEY, Identifiers(snils="112-233-445 96"))
    assert "snils" in str(caught.value) and "445" not in str(caught.value)
    with pytest.raises(ValidationFailed, match="sex"):
        make_tokens(KEY, Identifiers(sex="unknown"))


@settings(max_examples=60, deadline=None)
@given(
    st.text(alphabet="абвгдежзийклмнопрстуфхцчшщъыьэюяABCXYZ- ", min_size=1, max_size=25),
    st.text(alphabet="абвгдежзийклмнопрстуфхцчшщъыьэюя", min_size=1, max_size=15),
)
def test_no_token_contains_a_typed_value(surname: str, given_name: str) -> None:
    tokens = make_tokens(KEY, Identifiers(surname=surname, given_name=given_name))
    flat = " ".join(str(v) for v in tokens.values())
    for value in (surname.strip(), given_name):
        if len(value) >= 3:
            assert value not in flat and value.lower() not in flat
