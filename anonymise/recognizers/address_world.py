"""Postal addresses of many countries, one line or several, as one span.

An address is found from an anchor and then grown over the parts that follow
it. Anchors:

- a house number and a street whose type comes after its name, in the English
  of any postal service ("12 Baker Street", "388/6 Smith Cruiseway", "Flat 3,
  45 Kings Rd"); the suffixes are USPS Publication 28's plus Commonwealth ones;
- a street type written before the name with the number after it or before it
  ("Via Goffredo, 19", "507, rue de Maury", "al. Gałczyńskiego 99/92");
- a one-word Germanic street name with its number ("Ullmannallee 19",
  "Jentesingel 391", "Parkgatan 907");
- a PO box;
- Japanese block numbers and district before a ward ("3-6-20 Umeda, Chuo-ku").

After the anchor come, separated by commas, line breaks or " / ": flat,
suite, unit and level parts; postcodes of the major formats (UK, Irish
Eircode, Canadian, US ZIP with state, Australian state and code, Dutch, Polish,
Brazilian, Japanese, plain 4-8 digits); Japanese wards ("Naka-ku"); town names (up to four capitalised words) and
state or province abbreviations; towns in capitals ("WINNIPEG, MB"). A flat or unit line just before the anchor
joins it. A part that runs on into a sentence ("..., Mother said") is not
taken. Word lists are in ``conf/addresses.yaml``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from anonymise.recognizers.base import CaseguardRecognizer
from anonymise.recognizers.latin import LATIN_LOWER, LATIN_UPPER

CONF = Path(__file__).parent.parent / "conf" / "addresses.yaml"

_UPPER = f"{LATIN_UPPER}А-ЯЁ"
_LOWER = f"{LATIN_LOWER}а-яё"
_CAP = rf"(?:Mc|Mac|O['’]|D['’])?[{_UPPER}][{_LOWER}'’]+(?:-[{_UPPER}]?[{_LOWER}'’]+)*"
_PARTICLE = r"(?:de|da|do|dos|das|del|della|di|du|des|la|le|van|von|der|den|am|an|op|upon|on|in|im|sur|St\.?|Ste\.?)"
_NAME = rf"(?:{_PARTICLE}(?=[ \-])|{_CAP})"
_NUMBER = r"\d{1,5}[A-Za-z]?(?:[/\-]\d{1,5}[A-Za-z]?)?"
_HOUSE = rf"(?:No\.?[ \t]?)?{_NUMBER}"
_UNIT = (
    r"(?:(?i:flat|apt\.?|apartment|appartamento|suite|ste\.?|unit|level|floor|piso|puerta|room|bldg\.?|building"
    r"|lgh|app\.?|wohnung|etage|box"
    # house, building and flat in Russian addresses, transliterated too: "д. 8 к. 98"
    r"|д\.|дом|корп\.|корпус|к\.|стр\.|строение|кв\.|квартира|буд\.|d\.|korp\.|k\.|str\.|kv\.)"
    r"\s?\d{1,5}[A-Za-zА-Яа-я]?(?:/\d{1,5})?|(?i:rd|r\.?d\.?)\s\d{1,3})"
)
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"
_EIRCODE = r"[AC-FHKNPRTV-Y]\d{2}\s?[0-9AC-FHKNPRTV-Y]{4}"
_CA_POSTCODE = r"[ABCEGHJ-NPRSTVXY]\d[A-Z]\s?\d[A-Z]\d"
_STATE = r"[A-Z]{2,3}"
_POSTCODE = (
    rf"(?:{_STATE},?\s)?(?:{_UK_POSTCODE}|{_EIRCODE}|{_CA_POSTCODE}|\d{{5}}-\d{{4}}"
    r"|\d{4}\s?[A-Z]{2}|\d{2}-\d{3}|\d{5}-\d{3}|\d{3}-\d{4}|\d{4,8})"
)
# Japanese wards, cities and districts: "Chuo-ku", "AOBA-KU", "Setagaya-ku".
_JP_WARD = rf"[{_UPPER}][{_LOWER}{_UPPER}]+-(?i:ku|shi|cho|machi|gun|mura)"
# A town written in capitals on an envelope ("WINNIPEG", "ABU DHABI"): four or more
# letters with a vowel, so "DOB" or "NHS" after an address is not taken.
_CAPS_TOWN = rf"(?=[{_UPPER}]*[AEIOUY])[{_UPPER}]{{4,}}(?:[ \-][{_UPPER}]{{2,}}){{0,2}}"
# What may follow an anchor, each after a separator.
_SEP = r"(?:,?[ \t]*\n[ \t]*|,[ \t]*|[ \t]+/[ \t]+|[ \t]+)"
_TOWN = rf"{_NAME}(?:[ \-]{_NAME}){{0,3}}(?:[ \-]\([A-Z]{{2}}\))?"
_PART = (
    rf"(?:{_UNIT}|{_JP_WARD}|{_CAPS_TOWN}(?:,?[ \t]+{_POSTCODE})?|{_POSTCODE}(?:[ \t]+{_TOWN})?|{_TOWN}(?:,?[ \t]+{_POSTCODE})?(?:-\d{{6}})?"
    rf"|{_STATE}|\d{{1,5}}[A-Za-z]?)"
)
# A part must end where the address can: a separator, a full stop, a bracket, the
# end, or a function word going on with the sentence ("... 33643 by Friday").
# A word followed by a colon is the next line's label ("Khabarovsk, 680433\nTel: ..."),
# not a town.
_PART_END = (
    r"(?=\s*(?:[,;.)\]\n]|/|$)|[ \t]+(?:by|on|and|or|from|to|until|before|after|since|for|at|in|is|was"
    r"|has|had|with|where|which|who|until)\b)"
)


@lru_cache(maxsize=1)
def _words() -> dict[str, list[str]]:
    return yaml.safe_load(CONF.read_text(encoding="utf-8"))


def _alternatives(words: list[str]) -> str:
    return "|".join(sorted((re.escape(w) for w in set(words)), key=len, reverse=True))


@lru_cache(maxsize=1)
def _anchors() -> re.Pattern[str]:
    words = _words()
    suffixes = _alternatives(words["street_suffixes"])
    prefixes = _alternatives(words["street_prefixes"])
    endings = _alternatives(words["street_endings"])
    # "Flat 77Z\nFiona Heights": the house number may be the flat's alone.
    # "Unit 5/093 Hinton Mount": unit and house number (Australia); "No. 48
    # Zhongshan Road": the house number after "No.".
    english = (
        rf"(?:{_UNIT}(?:/\d{{1,5}}[A-Za-z]?)?(?:,?\s{_HOUSE})?|{_HOUSE}),?[ \t\n]"
        rf"(?:{_CAP}[ \t]){{1,3}}(?:{suffixes})\.?(?![\w\-])(?:,?\s{_UNIT})?"
    )
    # Turkish: "Güçlü Sokak No: 96 D: 18", "KISAKÜREK SOKAK NO: 17 D: 10".
    numbered = _alternatives(words["street_types_numbered"])
    turkish = (
        rf"(?:[{_UPPER}][{_LOWER}{_UPPER}'’\-]+[ \t]){{1,3}}(?i:{numbered})[ \t](?i:no)[ \t]?[:.]?[ \t]?"
        rf"\d{{1,5}}[A-Za-z]?(?:[ \t](?i:d|daire)[ \t]?[:.]?[ \t]?\d{{1,4}})?"
    )
    prefix_first = (
        rf"(?:\d{{1,5}}[A-Za-z]?,?\s)?(?i:{prefixes})\.?\s(?:{_NAME}\s?){{1,5}},?\s?(?:{_NUMBER})?"
    )
    germanic = rf"[{_UPPER}][\w\-]*(?i:{endings})\.?\s{_NUMBER}"
    po_box = r"(?i:P\.?\s?O\.?\s?Box|Postfach|Apartado|Caixa\sPostal|PSC)\s\d{1,6}"
    # Japanese block numbers (chōme-banchi-gō) and district, before a ward: "3-6-20
    # Umeda, Chuo-ku", "5-27-6 NISHI\nAOBA-KU"; a date and a word never have the ward.
    japanese = rf"\d{{1,2}}-\d{{1,2}}(?:-\d{{1,3}})?[ \t](?:{_CAP}|[{_UPPER}]{{3,}})(?=,?\s+{_JP_WARD}(?!\w))"
    return re.compile(
        rf"(?<![\w\-])(?:{english}|{turkish}|{germanic}|{prefix_first}|{po_box}|{japanese})(?![\w])",
        re.UNICODE,
    )


_TAIL = re.compile(rf"{_SEP}(?P<part>{_PART}){_PART_END}")
_UNIT_BEFORE = re.compile(rf"(?:{_UNIT}|{_NUMBER})(?:,?[ \t]*\n[ \t]*|,[ \t]*|[ \t]+)$")
MAX_PARTS = 6


def grow_address(text: str, end: int) -> int:
    """Where an address ending at ``end`` really ends: over its flat, postcode and town parts."""
    return WorldAddressRecognizer._grow(text, end)


class WorldAddressRecognizer(CaseguardRecognizer):
    """Finds postal addresses of many countries, spanning lines."""

    ENTITY = "LOCATION"

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        """One result per address: its anchor grown over the parts around it."""
        results = []
        for match in _anchors().finditer(text):
            if not re.search(r"\d", match.group()) and "box" not in match.group().lower():
                # A prefix-first street without a number ("place de la Gare") needs
                # a postcode after it to be an address.
                end = self._grow(text, match.end())
                if not re.search(r"\d{4}", text[match.end() : end]):
                    continue
            start = self._grow_left(text, match.start())
            end = self._grow(text, match.end())
            results.append(self.result(start, end, 0.8))
        return results

    @staticmethod
    def _grow(text: str, end: int) -> int:
        for _ in range(MAX_PARTS):
            tail = _TAIL.match(text, end)
            if tail is None or not tail.group("part").strip():
                break
            end = tail.end()
        return end

    @staticmethod
    def _grow_left(text: str, start: int) -> int:
        before = _UNIT_BEFORE.search(text[max(0, start - 30) : start])
        return start - len(before.group(0)) if before else start
