"""Words in Arabic or Hebrew script inside an English or Russian note.

A family's names and addresses are often pasted in their own script
("Yasmin came in with her father, طارق", "Referral (NZ): NHI SEQ4959. كرمة ربيعة,
Tauranga"). Neither statistical model reads these scripts, and they have no
capital letters to mark a name. In notes written in English or Russian, a run of
such words is taken as a person's name (one to four words) — the clinical text
around it is never in these scripts. Longer runs (a quoted sentence) are left to
the reviewer: they are more likely a message than a name.
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from anonymise.recognizers.base import CaseguardRecognizer

# Arabic (with its supplement and presentation forms) and Hebrew letters and marks.
_LETTERS = "\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb1d-\ufdff\ufe70-\ufeff"
_WORD = rf"[{_LETTERS}]+(?:[’'\-][{_LETTERS}]+)*"
_RUN = re.compile(rf"(?<![{_LETTERS}\w])({_WORD}(?:[ \t]{_WORD})*)(?![{_LETTERS}\w])")
MAX_WORDS = 4
# Above the statistical NER's 0.7: spaCy tags such a run a PERSON too, and its
# result (dropped later, having no capitalised word) would otherwise hide this one.
SCORE = 0.75


class CaselessScriptRecognizer(CaseguardRecognizer):
    """Finds short runs of Arabic- or Hebrew-script words as names."""

    ENTITY = "PERSON"

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        """One result per run of one to four such words."""
        return [
            self.result(match.start(), match.end(), SCORE, rule="caseless_script")
            for match in _RUN.finditer(text)
            if len(match.group().split()) <= MAX_WORDS and re.search(r"[^\W\d_]", match.group())
        ]
