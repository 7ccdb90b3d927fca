"""A person written as initials alone: "the patient (B.D.C., 7 yrs)", "subject M.M.".

Safety listings, MDT notes and screening logs name a child by initials only.
Two to four initials, each a capital letter (Latin, Cyrillic) or an Arabic letter
with its full stop and no space between them ("J.N.E.", "Г.К.Р.", "م.ا."), are a
name. A transliterated digraph counts as one initial ("Sh.T.F.", "Ch.J.").

Dotted abbreviations in capitals that are not initials — routes and frequencies
("I.V.", "T.D.S."), degrees ("M.D.", "Ch.B."), countries and prose ("U.S.",
"N.B.", "D.O.B.") — are listed in ``conf/abbreviations.yaml`` and left alone; a
run of initials that goes on into a surname ("J.T. Smith") is found here as the
initials and joined to the surname by the person recognizers' overlap.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

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


@lru_cache(maxsize=1)
def not_initials() -> frozenset[str]:
    """Dotted abbreviations that are not initials, in capitals without spaces."""
    groups = yaml.safe_load(CONF.read_text(encoding="utf-8"))["not_initials"]
    return frozenset(word.replace(" ", "").upper() for words in groups.values() for word in words)


class InitialsRecognizer(CaseguardRecognizer):
    """Finds a person written as two to four dotted initials."""

    ENTITY = "PERSON"

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        """Each run of initials that is not a known abbreviation."""
        return [
            self.result(match.start(), match.end(), SCORE)
            for match in _INITIALS.finditer(text)
            if match.group().upper() not in not_initials()
        ]
