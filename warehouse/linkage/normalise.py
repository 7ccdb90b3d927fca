"""Identifier normalisation before keying: one spelling for every way a name is written.

A name typed in Cyrillic at one centre and transliterated (GOST 7.79, ICAO Doc 9303, old
Soviet passport spellings) at another must give the same token. Latin input is therefore
read back into Cyrillic (longest Latin cluster first), then both are folded: case,
ё/е/э, й/и/ы, hard and soft signs dropped. The folded Cyrillic skeleton is what is keyed;
its ICAO Doc 9303 transliteration feeds the phonetic code (Metaphone, jellyfish).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import jellyfish

# Latin clusters read as one Cyrillic letter, longest first (GOST 7.79 B, ICAO 9303,
# BGN/PCGN and the spellings of old Soviet passports all reduce to these).
_LATIN_CLUSTERS: tuple[tuple[str, str], ...] = (
    ("shch", "щ"),
    ("shh", "щ"),
    ("sch", "щ"),
    ("tch", "ч"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("ts", "ц"),
    ("tc", "ц"),
    ("cz", "ч"),
    ("yu", "ю"),
    ("iu", "ю"),
    ("ju", "ю"),
    ("ya", "я"),
    ("ia", "я"),
    ("ja", "я"),
    ("yo", "е"),
    ("jo", "е"),
    ("ye", "е"),
    ("je", "е"),
    ("ph", "ф"),
    ("ck", "к"),
    ("x", "кс"),
    ("q", "к"),
    ("w", "в"),
    ("a", "а"),
    ("b", "б"),
    ("c", "ц"),
    ("d", "д"),
    ("e", "е"),
    ("f", "ф"),
    ("g", "г"),
    ("h", "х"),
    ("i", "и"),
    ("j", "и"),
    ("k", "к"),
    ("l", "л"),
    ("m", "м"),
    ("n", "н"),
    ("o", "о"),
    ("p", "п"),
    ("r", "р"),
    ("s", "с"),
    ("t", "т"),
    ("u", "у"),
    ("v", "в"),
    ("y", "и"),
    ("z", "з"),
)
_LATIN = re.compile("|".join(re.escape(latin) for latin, _ in _LATIN_CLUSTERS))
_LATIN_MAP = dict(_LATIN_CLUSTERS)

# Letters that transliteration systems and typists use interchangeably.
_FOLD = str.maketrans({"ё": "е", "э": "е", "й": "и", "ы": "и", "ъ": None, "ь": None})

# ICAO Doc 9303 (2015) transliteration of the folded alphabet.
_ICAO = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
        "и": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
        "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
        "щ": "shch", "ю": "iu", "я": "ia",
    }
)  # fmt: skip
_NOT_LETTER = re.compile(r"[^а-я]+")
_REPEATED = re.compile(r"(.)\1+")
_PART_SEPARATOR = re.compile(r"[\s\-‐‑–—]+")


def fold_name(text: str) -> str:
    """One name (or one part of a name) as a folded Cyrillic skeleton; '' if no letters."""
    lowered = unicodedata.normalize("NFC", text).lower()
    cyrillic = _LATIN.sub(lambda m: _LATIN_MAP[m.group(0)], lowered)
    letters = _NOT_LETTER.sub("", cyrillic.translate(_FOLD))
    return _REPEATED.sub(r"\1", letters)  # 'Филлипов', 'Mariia', 'Alla' typed single


def name_parts(text: str) -> list[str]:
    """The folded parts of a possibly hyphenated or double name ('Иванова-Петрова')."""
    return [part for part in (fold_name(p) for p in _PART_SEPARATOR.split(text)) if part]


def full_name(text: str) -> str:
    """All parts of a name joined: the token of the name as written in full."""
    return "".join(name_parts(text))


def icao(folded: str) -> str:
    """ICAO Doc 9303 transliteration of a folded skeleton."""
    return folded.translate(_ICAO)


def phonetic_code(folded: str) -> str:
    """A coarse sound code (Metaphone over ICAO, щ heard as ш, repeats collapsed): a
    blocking key and a weak partial agreement, never evidence alone."""
    if not folded:
        return ""
    return _REPEATED.sub(r"\1", jellyfish.metaphone(icao(folded.replace("щ", "ш"))))


def snils_digits(text: str) -> str:
    """The 11 digits of a SNILS; '' if blank. Raises ValueError if not a valid SNILS."""
    digits = re.sub(r"[\s\-]", "", text)
    if not digits:
        return ""
    if not re.fullmatch(r"\d{11}", digits):
        raise ValueError("a SNILS has 11 digits (NNN-NNN-NNN NN)")
    number, check = digits[:9], int(digits[9:])
    if int(number) > 1001998:  # the checksum applies to numbers above 001-001-998
        total = sum(int(d) * (9 - i) for i, d in enumerate(number))
        expected = total % 101 % 100
        if check != expected:
            raise ValueError("the SNILS check digits do not match")
    return digits


def region_key(text: str) -> str:
    """A birth region folded like a name ('Пермский край', 'Perm Krai' differ by design:
    the form offers the reference list, so free spellings are rare)."""
    return full_name(text)


def birth_date_parts(value: dt.date) -> dict[str, str]:
    """Birth date, its year-month (coarse) and its day/month-unordered form (catches a
    swapped day and month)."""
    low, high = sorted((value.day, value.month))
    return {
        "birth_date": value.isoformat(),
        "birth_year_month": f"{value.year:04d}-{value.month:02d}",
        "birth_date_unordered": f"{value.year:04d}:{low:02d}:{high:02d}",
    }
