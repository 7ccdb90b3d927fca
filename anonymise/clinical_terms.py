"""The clinical allow-list: words a de-identifier must never redact.

Drug INNs and brands, scale, gene, lab and disease names come from the project's
reference data (``schemas/reference``) plus ``conf/clinical_terms.yaml``; a term
found by any recognizer is cut out of the candidate identifier, so "Иванову
введён Спинраза" loses the name and keeps the brand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import yaml

from anonymise.phrase_index import PhraseIndex

CONF = Path(__file__).parent / "conf" / "clinical_terms.yaml"
_CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
_DASHES = "-\u2010\u2011\u2012\u2013\u2014"


def _term_pattern(term: str) -> str:
    """Regex for one term: dashes and spaces interchangeable; Russian endings.

    Matched ignoring case, except acronyms, which must be in capitals.
    """
    parts = re.split(f"[{_DASHES}\\s]+", term.strip())
    body = f"[{_DASHES}\\s]?".join(re.escape(part) for part in parts if part)
    if _CYRILLIC.search(term[-1:]):
        # Inflection: "Спинраза" -> "Спинразы", "Спинразой"; drop a final vowel first.
        stem = body[:-1] if term[-1].lower() in "аяоеьйыиу" and len(term) > 4 else body
        return rf"(?<!\w){stem}[а-яё]{{0,3}}(?!\w)"
    if re.fullmatch(r"[A-Z0-9\W_]+", term) and re.search("[A-Z]{2}", term):
        # An acronym is clinical only in capitals: "HINE" the scale, "Hines" a surname.
        return rf"(?<!\w)(?-i:{body}(?:'s|’s|s)?)(?!\w)"
    return rf"(?<!\w){body}(?:'s|’s|s)?(?!\w)"


def reference_terms() -> list[str]:
    """Clinical names carried by the reference data (both languages)."""
    from schemas.reference import load_reference

    ref = load_reference()
    terms: list[str] = []
    for column in ("inn", "inn_ru", "brand", "brand_ru"):
        terms += [str(v) for v in ref.products[column].dropna() if str(v).strip()]
    for frame in (ref.scales, ref.lab_tests):
        terms += [str(code) for code in frame.index]
        for column in ("name_en", "name_ru"):
            for name in frame[column].dropna():
                terms.append(str(name))
                terms += re.findall(r"\(([^)]+)\)", str(name))
    for disease in ref.diseases.values():
        terms += [disease.name_en, disease.name_ru]
        terms += list(disease.genetic_markers)
    for column in ("term_en", "term_ru"):
        terms += [str(v) for v in ref.ae_terms[column].dropna()]
    return terms


@lru_cache(maxsize=1)
def load_terms() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return (terms, context patterns) from reference data and the YAML file."""
    raw = yaml.safe_load(CONF.read_text(encoding="utf-8"))
    terms = [str(t) for group in raw["terms"].values() for t in group]
    terms += reference_terms()
    unique = sorted({t.strip() for t in terms if len(t.strip()) >= 2}, key=len, reverse=True)
    return tuple(unique), tuple(raw.get("patterns", []))


class ClinicalTerms:
    """Finds clinical vocabulary in a text."""

    def __init__(self, terms: Iterable[str], patterns: Iterable[str] = ()) -> None:
        terms = sorted(set(terms), key=len, reverse=True)
        self._terms = PhraseIndex(((t, _term_pattern(t)) for t in terms), ignore_case=True)
        self._patterns = [re.compile(p) for p in patterns]

    @classmethod
    def default(cls) -> ClinicalTerms:
        """The allow-list configured for this project."""
        terms, patterns = load_terms()
        return cls(terms, patterns)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of clinical vocabulary in ``text``, sorted and merged."""
        found: list[tuple[int, int]] = []
        found += list(self._terms.finditer(text))
        for pattern in self._patterns:
            found += [m.span() for m in pattern.finditer(text)]
        return merge_spans(found)


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort spans and merge the ones that overlap or touch."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
