"""Russian names written in Latin letters ("Pimen Gerasimov", "Anatoliy Lavrentev").

English notes about Russian patients spell their names in Latin; the English NER
misses many of them. A capitalised Latin word is transliterated back to Cyrillic
(cyrtranslit, after the common digraphs: shch, kh, ts, zh, ya, yu, iy...) and
looked up in pymorphy3's dictionary of first names, surnames and patronymics.
"""

from __future__ import annotations

import re
from functools import lru_cache

import cyrtranslit
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from anonymise.recognizers.base import CaseguardRecognizer, adjacent_runs
from anonymise.recognizers.morphology import ENGLISH_NON_NAMES, proper_name_tags

_WORD = re.compile(r"(?<![\w\-'’])[A-Z][a-z]{2,}(?:-[A-Z][a-z]{2,})?(?![\w])")
# Longest first: "shch" before "sh", "iya" before "iy" and "ya".
_DIGRAPHS = (
    ("shch", "щ"), ("iya", "ия"), ("ykh", "ых"), ("ikh", "их"), ("kh", "х"), ("ts", "ц"),
    ("iy", "ий"), ("yy", "ый"), ("ye", "е"), ("yo", "ё"), ("ya", "я"), ("yu", "ю"), ("y", "й"),
)  # fmt: skip


@lru_cache(maxsize=65536)
def to_cyrillic(word: str) -> str:
    """Best-effort Cyrillic spelling of a transliterated Russian name."""
    text = word.lower()
    for latin, cyrillic in _DIGRAPHS:
        text = text.replace(latin, cyrillic)
    return str(cyrtranslit.to_cyrillic(text, "ru")).capitalize()


def name_tags(word: str) -> frozenset[str]:
    """Which of Name, Surn, Patr the Latin word reads as, in Russian."""
    if word in ENGLISH_NON_NAMES:
        return frozenset()
    return frozenset({"Name", "Surn", "Patr"} & proper_name_tags(to_cyrillic(word)))


def is_russian_name(word: str) -> bool:
    """True if the Latin word reads as a Russian first name, surname or patronymic."""
    return bool(name_tags(word))


class TransliteratedNameRecognizer(CaseguardRecognizer):
    """Finds Russian names spelled in Latin letters."""

    ENTITY = "PERSON"

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        """Runs of Latin words that read as Russian names."""
        accepted: list[re.Match[str]] = []
        previous_given = False
        for match in _WORD.finditer(text):
            adjacent = bool(accepted) and text[accepted[-1].end() : match.start()] in (
                " ",
                "\u00a0",
            )
            is_name = all(is_russian_name(part) for part in match.group().split("-"))
            # "Anatoliy Lavrentev": a capitalised word right after a first name is its surname.
            if not is_name and not (
                adjacent and previous_given and match.group() not in ENGLISH_NON_NAMES
            ):
                previous_given = False
                continue
            previous_given = "Name" in name_tags(match.group())
            accepted.append(match)
        results = []
        for run in adjacent_runs(accepted, text):
            before = text[: run[0].start()].rstrip()
            sentence_start = not before or before[-1] in ".!?:\n"
            if (
                len(run) == 1
                and sentence_start
                and not ({"Surn", "Patr"} & name_tags(run[0].group()))
            ):
                continue  # "Mark the site" / "Vera" opening a sentence: too weak alone
            score = 0.7 if len(run) > 1 else 0.5
            results.append(self.result(run[0].start(), run[-1].end(), score))
        return results
