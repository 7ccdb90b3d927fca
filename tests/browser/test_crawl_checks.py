"""The language crawl's checks on plain text (no browser): each finds what it is for
and passes its near misses."""

from __future__ import annotations

from tests.browser.crawl import bad_dates, foreign_words, raw_codes, raw_codes_in


def test_latin_words_on_a_russian_page() -> None:
    texts = ["Доза: 12 mg", "Lantesens (нусинерсен)", "статус: active", "Всего: 2536"]
    assert foreign_words(texts, "ru") == ["mg", "Lantesens", "active"]


def test_allowed_latin_on_a_russian_page_near_miss() -> None:
    texts = [
        "Шкала CHOP INTEND, HFMSE; копий SMN2: 2; степень CTCAE 3",
        "Пациент MSK-PUQSCCREHUPC, идентификатор DEMO-MSK-00000",
        "Тропонин I; p = 0,03; n = 12",
        "Вы вошли как msk_neuro (MSK)",
    ]
    assert foreign_words(texts, "ru", allowed={"msk_neuro", "MSK"}) == []


def test_a_word_mixing_scripts_is_caught() -> None:
    assert foreign_words(["ASDAS-СРБ"], "ru") == []  # ASDAS is allowed, СРБ is Russian
    assert foreign_words(["Spinraza-Спинраза"], "ru") == ["Spinraza-Спинраза"]


def test_cyrillic_words_on_an_english_page() -> None:
    assert foreign_words(["Platelets 10^9/L", "Русский"], "en") == []
    assert foreign_words(["Dose 12 мг", "Total: Всего"], "en") == ["мг", "Всего"]


def test_raw_codes_are_found_and_labels_are_not() -> None:
    codes = raw_codes()
    assert {"NUS-SPINRAZA", "POST-LP-SYNDROME", "U-PROT", "PLT", "lost_to_follow_up"} <= codes
    assert "ALT" not in codes  # spelled out in its own name: "Alanine aminotransferase (ALT)"
    found = raw_codes_in(["U-PROT 0.2 g/L", "Product NUS-SPINRAZA", "ALT 31 U/L", "Urine protein"])
    assert found == ["U-PROT", "NUS-SPINRAZA"]


def test_dates_in_the_pages_format() -> None:
    assert bad_dates(["14.05.2026", "с 01.01.2026 по 07.12.2026"], "ru") == []
    assert bad_dates(["2026-05-14 00:00:00", "2026/12/07", "dd.mm.yyyy"], "ru") == [
        "2026-05-14",
        "00:00:00",
        "2026/12/07",
        "dd.mm.yyyy",
    ]
    assert bad_dates(["2026-05-14"], "en") == []
    assert bad_dates(["14.05.2026"], "en") == ["14.05.2026"]


def test_numbers_that_look_like_dates_are_not_dates_near_miss() -> None:
    assert bad_dates(["1,29 (0,85–1,96)", "v2.10.2026a", "12.5", "1 333,5"], "ru") == []
