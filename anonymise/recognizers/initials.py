"""A person written as initials alone: "the patient (B.D.C., 7 yrs)", "subject M.M.".

Safety listings, MDT notes and screening logs name a child by initials only.
Two to four initials, each a capital letter (Latin, Cyrillic) or an Arabic letter
with its full stop and no space between them ("J.N.E.", "Г.К.Р.", "م.ا."), are a
name. A transliterated digraph counts as one initial ("Sh.T.F.", "Ch.J.").

Dotted abbreviations in capitals that are not initials — routes and frequencies
("I.V.", "T.D.S."), countries and prose ("U.S.", "N.B.", "D.O.B.") — are listed
in ``conf/abbreviations.yaml`` and left alone; a run of initials that goes on
into a surname ("J.T. Smith") is found here as the initials and joined to the
surname by the person recognizers' overlap.

Degrees ("M.D.", "M.A.", "Ch.B.") are also somebody's initials, so they are
left alone only where a degree stands: after another degree ("M.B. Ch.B.",
"MB, Ch.B."), before one ("Ch.B., M.R.C.P.C.H."), after a full name and a comma
("A. Smith, M.D.", "Dr Jane Roe, M.A.") or after an article ("an M.D."). Alone
in a table cell, before a surname ("M.D. Jones") or after a lone surname and a
comma ("Jones, M.D.", the inverted form of a name) they are initials.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from anonymise.recognizers.base import CaseguardRecognizer

CONF = Path(__file__).parent.parent / "conf" / "abbreviations.yaml"

# Above the statistical NER's 0.7: spaCy tags "J.J." a PERSON too, and its result
# (dropped later, as no capitalised word) would otherwise hide this one.
SCORE = 0.75
_DIGRAPHS = "Ch|Sh|Zh|Kh|Ts|Yu|Ya|Ye|Yo"
_INITIAL = rf"(?:{_DIGRAPHS}|[A-ZА-ЯЁ\u0620-\u064a])\."
_INITIALS = re.compile(rf"(?<![\w.\-/])(?:{_INITIAL}){{2,4}}(?![\w\-/]|\.\w)")
# The word just before a match (after an optional comma) and just after it.
_WORD_BEFORE = re.compile(r"(?P<word>[^\W\d_][\w.]*)(?P<comma>\s*,)?\s*$")
_WORD_AFTER = re.compile(r"^\s*,?\s*(?P<word>[^\W\d_][\w.]*)")
# A full name ending in a comma: two or more capitalised words or initials
# ("A. Smith,", "Dr Jane Roe,", "Mary-Ann O'Neil,"), the way a signature ends.
_FULL_NAME_COMMA = re.compile(
    r"(?:^|[\s(])(?:[^\W\d_a-zа-яё][\w'\u2019\-]*\.?\s+)+[^\W\d_a-zа-яё][\w'\u2019\-]+\s*,\s*$"
)
_ARTICLE_BEFORE = re.compile(r"(?:^|\s)(?:a|an|the|An|The|A)\s+$")
# A run of degree-shaped words, dotted or not ("MB ChB, MRCPCH", "M.B. Ch.B.").
_DEGREE_RUN = re.compile(r"(?<![\w.])[A-Z][A-Za-z.]{0,14}(?:(?:\s*,\s*|\s+)[A-Z][A-Za-z.]{0,14})*")
_DEGREE_WORD = re.compile(r"[A-Z][A-Za-z.]{0,14}")


@lru_cache(maxsize=1)
def _abbreviations() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CONF.read_text(encoding="utf-8"))
    return loaded


@lru_cache(maxsize=1)
def not_initials() -> frozenset[str]:
    """Dotted abbreviations that are never initials, in capitals without spaces."""
    groups: dict[str, list[str]] = _abbreviations()["not_initials"]
    return frozenset(word.replace(" ", "").upper() for words in groups.values() for word in words)


@lru_cache(maxsize=1)
def degrees() -> frozenset[str]:
    """Degrees and post-nominals, in capitals without dots or spaces ("MBCHB", "MD")."""
    return frozenset(
        word.replace(" ", "").replace(".", "").upper() for word in _abbreviations()["degrees"]
    )


def _undotted(word: str) -> str:
    return word.replace(".", "").upper()


def is_post_nominal(text: str, start: int, end: int) -> bool:
    """Whether the dotted degree at ``text[start:end]`` stands where a degree is written."""
    before = text[max(0, start - 80) : start]
    previous = _WORD_BEFORE.search(before)
    if previous and _undotted(previous.group("word")) in degrees():
        return True
    following = _WORD_AFTER.match(text[end : end + 40])
    if following and _undotted(following.group("word")) in degrees():
        return True
    return bool(_FULL_NAME_COMMA.search(before) or _ARTICLE_BEFORE.search(before))


def post_nominal_spans(text: str) -> list[tuple[int, int]]:
    """Spans of degree lists written after a name ("A. Smith, MB ChB, MRCPCH").

    A list is two or more degrees in a row, or one degree after a full name and
    a comma; every word of it must be a degree. The scrubber keeps them, so a
    clinician's qualifications are not read as a person or an organisation.
    """
    spans = []
    for run in _DEGREE_RUN.finditer(text):
        words = list(_DEGREE_WORD.finditer(text, run.start(), run.end()))
        chain: list[re.Match[str]] = []
        for word in [*words, None]:
            if word is not None and _is_degree_word(word.group()):
                chain.append(word)
                continue
            if chain and _is_degree_list(text, chain):
                end = chain[-1].end()
                spans.append((chain[0].start(), end))
            chain = []
    return spans


def _is_degree_word(word: str) -> bool:
    # "MB", "ChB", "M.B.", "PhD": capitals or dotted, never an ordinary word ("Ma").
    shaped = "." in word or sum(ch.isupper() for ch in word) >= 2
    return shaped and _undotted(word) in degrees()


def _is_degree_list(text: str, chain: list[re.Match[str]]) -> bool:
    if len(chain) >= 2:
        return True
    # One degree after "Town Name," may be a state or province ("Baltimore, MD
    # 21201", "North Adams, MA"): alone, two bare capitals are left to the others.
    word = chain[0].group()
    if "." not in word and len(word) <= 2:
        return False
    before = text[max(0, chain[0].start() - 80) : chain[0].start()]
    return bool(_FULL_NAME_COMMA.search(before))


class InitialsRecognizer(CaseguardRecognizer):
    """Finds a person written as two to four dotted initials."""

    ENTITY = "PERSON"

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        """Each run of initials that is not a known abbreviation nor a degree in place."""
        results = []
        for match in _INITIALS.finditer(text):
            word = match.group().upper()
            if word in not_initials():
                continue
            if _undotted(word) in degrees() and is_post_nominal(text, *match.span()):
                continue
            results.append(self.result(match.start(), match.end(), SCORE))
        return results
