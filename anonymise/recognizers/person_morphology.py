"""Russian person names recognised by the dictionary, in any grammatical case.

pymorphy3 knows tens of thousands of first names, surnames and patronymics with
their inflections ("Иванову", "Кузенковой", "Сергеевичу"). A capitalised word
whose likely readings include a name is a candidate; a run of such words is one
name. At the start of a sentence a lone candidate must not also be a common word
("Роза"/"Вера" opening a sentence are more often names than not, "Мать" is not).
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from anonymise.recognizers.base import CaseguardRecognizer, adjacent_runs
from anonymise.recognizers.morphology import is_common_word, proper_name_tags

_WORD = re.compile(
    r"(?<![\w\-])(?:[А-ЯЁ][а-яё]+(?:[\-\u2013][А-ЯЁ][а-яё]+)?|[А-ЯЁ]{3,}(?:[\-\u2013][А-ЯЁ]{2,})?)(?![\w])"
)
_NAME_TAGS = {"Name", "Surn", "Patr"}


class RussianNameRecognizer(CaseguardRecognizer):
    """Finds Russian first names, surnames and patronymics by dictionary."""

    ENTITY = "PERSON"

    def __init__(self, supported_language: str = "ru") -> None:
        super().__init__(supported_language)

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        """Return runs of name words as PERSON results."""
        names = (m for m in _WORD.finditer(text) if _NAME_TAGS & proper_name_tags(m.group()))
        results = []
        for run in adjacent_runs(names, text):
            if len(run) == 1 and self._doubtful(text, run[0]):
                continue
            score = 0.7 if len(run) > 1 else 0.55
            results.append(self.result(run[0].start(), run[-1].end(), score))
        return results

    @staticmethod
    def _doubtful(text: str, match: re.Match[str]) -> bool:
        """A lone name word opening a sentence that is also a common word."""
        before = text[: match.start()].rstrip()
        sentence_start = not before or before[-1] in '.!?:;\n—–-(«"' or before.endswith("\n")
        if "Geox" in proper_name_tags(match.group()) and not (
            {"Surn", "Name"} & proper_name_tags(match.group())
        ):
            return True
        return (sentence_start or match.group().isupper()) and is_common_word(match.group())
