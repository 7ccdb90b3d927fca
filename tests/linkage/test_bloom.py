"""Bloom-filter name encodings (clkhash): Dice sees a typo that an exact token cannot."""

from __future__ import annotations

from warehouse.linkage.bloom import CLK_BITS, name_clks
from warehouse.linkage.tokens import Identifiers

KEY = b"\x01" * 32


def _dice(a: bytes, b: bytes) -> float:
    x, y = int.from_bytes(a, "big"), int.from_bytes(b, "big")
    return 2 * (x & y).bit_count() / (x.bit_count() + y.bit_count())


def test_a_typo_or_a_transliteration_keeps_the_filters_close() -> None:
    child = Identifiers(surname="Кузнецова", given_name="Юлия", patronymic="Сергеевна")
    typo = Identifiers(surname="Кузнецва", given_name="Юлия", patronymic="Сергеевна")
    latin = Identifiers(surname="Kuznetsova", given_name="Iuliia", patronymic="Sergeevna")
    other = Identifiers(surname="Смирнов", given_name="Антон", patronymic="Павлович")
    a, b, c, d = name_clks(KEY, [child, typo, latin, other])
    assert len(a) * 8 == CLK_BITS
    assert a == c  # normalised before encoding
    assert _dice(a, b) > 0.85 > 0.5 > _dice(a, d)


def test_the_filters_depend_on_the_key() -> None:
    child = [Identifiers(surname="Кузнецова", given_name="Юлия")]
    assert name_clks(KEY, child) != name_clks(b"\x02" * 32, child)
