"""Which language a text is in, from the share of Cyrillic among its letters."""

from __future__ import annotations

import re

_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")
_CYRILLIC_NAME = re.compile(r"[А-ЯЁ][а-яё]{2,}")


def script_shares(text: str) -> tuple[float, float]:
    """Shares of Cyrillic and of Latin letters among all letters of ``text``."""
    cyrillic = len(_CYRILLIC.findall(text))
    latin = len(_LATIN.findall(text))
    total = cyrillic + latin
    if total == 0:
        return 0.0, 0.0
    return cyrillic / total, latin / total


def detect_language(text: str, russian_share: float = 0.5) -> str:
    """ "ru" if at least ``russian_share`` of the letters are Cyrillic, else "en"."""
    cyrillic, _ = script_shares(text)
    return "ru" if cyrillic >= russian_share and cyrillic > 0 else "en"


def secondary_language(text: str, primary: str, share: float) -> str | None:
    """The other language, if the text mixes in enough of its script to need its NER.

    An English note that quotes one Russian name ("mother: Иванова") needs the
    Russian NER even though Cyrillic is a tiny share of it.
    """
    cyrillic, latin = script_shares(text)
    if primary == "en" and (cyrillic >= share or _CYRILLIC_NAME.search(text)):
        return "ru"
    if primary == "ru" and latin >= share:
        return "en"
    return None
