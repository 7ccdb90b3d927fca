"""Telephone numbers of every region the ``phonenumbers`` library knows.

Numbers in international form ("+44 20 7946 0958", "00 353 1 234 5678") are
checked against the numbering plan of their country code. Numbers in national
form ("(020) 7946 0958", "(02) 9876 5432", "087 123 4567", "(613) 555-0143")
are taken when they are a valid number of at least one region AND are written
the way that region writes its numbers: the first group of digits starts with
the region's own first group (area code, with the trunk prefix where the region
writes one), so a SNILS-shaped or score-shaped digit string that happens to be
dialable somewhere is left alone. Dates are never candidates.

Every region is tried (``phonenumbers.SUPPORTED_REGIONS``), English-speaking
and Russian first so a typical number is settled after a few; a number object
is built from the digits directly rather than by ``phonenumbers.parse`` for
each region, which would cost milliseconds per candidate. The library's own
pattern cache is switched on: checking a number against every region's plan
compiles more patterns than the ``re`` module keeps, which otherwise recompiled
them (and evicted every other module's patterns) on each candidate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberFormat
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from anonymise.recognizers.base import CaseguardRecognizer

# Candidates: 8+ digits in groups, an optional "+"/"00" and an area code in brackets.
_CANDIDATE = re.compile(
    r"(?<![\w+\-./])(?P<value>(?:\+\s?|00\s?)?(?:\d{1,2}\s)?(?:\(\d{1,5}(?:[ \-]\d{1,4})?\)|\d{1,5})(?:[ \u00a0\-\u2010-\u2013.]?(?:\(\d{1,5}\)|\d{1,6})){1,6})"
    # an extension after the number: "x511", " ext. 12", " доб. 123"
    r"(?:(?P<extension>\s?(?:x|ext\.?|extension|доб\.?)\s?\d{1,6}(?!\w))|(?![\w]|[\-.,/]\d))"
)
_DATE_SHAPE = re.compile(
    r"^(?:\d{1,2}([./\-])\d{1,2}\1(?:\d{2}|\d{4})|\d{4}([./\-])\d{1,2}\2\d{1,2})$"
)
_GROUP = re.compile(r"\d+")
# Tried first only to settle common numbers quickly; every region is tried.
_FIRST = ("GB", "US", "IE", "CA", "AU", "NZ", "RU", "IN", "ZA", "DE", "FR", "ES", "IT", "NL")
MIN_NATIONAL_DIGITS = 8

phonenumbers.enable_pattern_cache()


@dataclass(frozen=True)
class _Region:
    code: str
    country_code: int
    trunk: str
    #: How the region's numbering plan strips a trunk prefix before parsing.
    trunk_pattern: re.Pattern[str] | None
    lengths: frozenset[int]
    pattern: re.Pattern[str]


@lru_cache(maxsize=1)
def _regions() -> tuple[_Region, ...]:
    """The numbering plan of every region, in trial order."""
    order = {code: i for i, code in enumerate(_FIRST)}
    regions = []
    for code in sorted(phonenumbers.SUPPORTED_REGIONS, key=lambda c: (order.get(c, 99), c)):
        meta = PhoneMetadata.metadata_for_region(code)
        if meta is None or meta.general_desc is None:
            continue
        regions.append(
            _Region(
                code,
                int(meta.country_code or 0),
                meta.national_prefix or "",
                re.compile(meta.national_prefix_for_parsing)
                if meta.national_prefix_for_parsing and not meta.national_prefix_transform_rule
                else None,
                frozenset(meta.general_desc.possible_length or ()),
                re.compile(meta.general_desc.national_number_pattern or r"\d+"),
            )
        )
    return tuple(regions)


def _number(country_code: int, national: str) -> PhoneNumber:
    leading_zeros = len(national) - len(national.lstrip("0"))
    number = PhoneNumber(country_code=country_code, national_number=int(national or "0"))
    if leading_zeros and len(national) > 1:
        number.italian_leading_zero = True
        number.number_of_leading_zeros = leading_zeros
    return number


@lru_cache(maxsize=4096)
def national_region(candidate: str) -> str | None:
    """The first region in which ``candidate`` is a valid number written in its layout."""
    groups = _GROUP.findall(candidate)
    digits = "".join(groups)
    if len(digits) < MIN_NATIONAL_DIGITS or len(groups) < 2 or _DATE_SHAPE.match(candidate):
        return None
    for region in _regions():
        trunk = region.trunk
        national = digits[len(trunk) :] if trunk and digits.startswith(trunk) else digits
        stripped = region.trunk_pattern.match(digits) if region.trunk_pattern else None
        if stripped and stripped.end() and len(national) not in region.lengths:
            national = digits[stripped.end() :]
        if len(national) not in region.lengths or not region.pattern.fullmatch(national):
            continue
        number = _number(region.country_code, national)
        if not phonenumbers.is_valid_number_for_region(number, region.code):
            continue
        layout = _GROUP.findall(phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL))
        # "1-613-555-0143": a trunk prefix written as a group of its own.
        separate_trunk = trunk and groups[0] == trunk and layout and layout[0] != trunk
        written = groups[1:] if separate_trunk else groups
        if layout and written and written[0].startswith(layout[0]):
            return region.code
    return None


@lru_cache(maxsize=4096)
def international_region(candidate: str) -> str | None:
    """The region of a valid number written with "+" or "00" and a country code."""
    text = candidate.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+"):
        return None
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.region_code_for_number(number)


class WorldPhoneRecognizer(CaseguardRecognizer):
    """Finds phone numbers of any region by its numbering plan and layout."""

    ENTITY = "PHONE"

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        """One result per candidate that is a valid number of some region."""
        results = []
        for match in _CANDIDATE.finditer(text):
            candidate = match.group("value")
            region = international_region(candidate)
            score = 0.85
            if region is None and not candidate.startswith(("+", "00")):
                region = national_region(candidate)
                score = 0.6
            if region is not None:
                start, end = match.span("value")
                if match.group("extension"):
                    end = match.end("extension")
                results.append(self.result(start, end, score, region=region))
        return results
