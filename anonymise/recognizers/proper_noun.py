"""A lone English surname in the place of the person a note is about.

Statistical NER often misses a single surname used as the subject of a clinical
sentence: "By day 211 Thompson could sit unsupported", "Green's CHOP INTEND was
40". The part-of-speech tagger still marks such a word as a proper noun (NNP);
where it stands where a person does — before a modal or an active verb, before
a possessive "'s", or opening a line as the label of a score ("Burke: ASDAS-CRP
1.0"; the scale names come from the reference data) — it is taken as a name.
Headings before other text ("Outcome: recovered") are left alone. Clinical words (brands, eponyms, scales) are cut out later
by the allow-list, as for every other result.
"""

from __future__ import annotations

import re
from functools import lru_cache

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.tokens import Doc, Token

from anonymise.recognizers.base import CaseguardRecognizer
from anonymise.recognizers.latin import LATIN_LOWER as _L
from anonymise.recognizers.latin import LATIN_UPPER as _U
from anonymise.recognizers.morphology import ENGLISH_NON_NAMES

# Latin letters with diacritics too: "Zülgarni's PEG", "Åsa could sit".
_NAME_SHAPE = re.compile(rf"(?:Mc|Mac|O['’])?[{_U}][{_L}]+(?:[\-'’][{_U}][{_L}]+)?")
_MONTHS = "January February March April May June July August September October November December"
_CALENDAR = frozenset(
    [*_MONTHS.split(), *(m[:3] for m in _MONTHS.split()), "Sept"]
    + ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
)
_ACTIVE_VERBS = {"MD", "VBD", "VBZ", "VBP"}
_OPENERS = {".", ";", "!", "?"}


class EnglishProperNounRecognizer(CaseguardRecognizer):
    """Finds a proper noun (by part-of-speech tag) where a person's name stands."""

    ENTITY = "PERSON"

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(supported_language)

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        """Runs of NNP tokens in a person's slot, as PERSON results."""
        doc = nlp_artifacts.tokens if nlp_artifacts is not None else None
        if not isinstance(doc, Doc) or not doc.has_annotation("TAG"):
            return []
        results = []
        for first, last in _proper_noun_runs(doc, text):
            if _in_person_slot(doc, last) or _labels_a_score(doc, first, last, text):
                span = doc[first : last + 1]
                results.append(self.result(span.start_char, span.end_char, 0.55))
        return results


def _proper_noun_runs(doc: Doc, text: str) -> list[tuple[int, int]]:
    """(first, last) token indexes of runs of name-shaped NNP tokens."""
    runs: list[tuple[int, int]] = []
    for token in doc:
        if not _name_token(token, text):
            continue
        if runs and _joins(doc, runs[-1][1], token.i):
            runs[-1] = (runs[-1][0], token.i)
        else:
            runs.append((token.i, token.i))
    return runs


def _joins(doc: Doc, last: int, current: int) -> bool:
    """Two name tokens are one name: "Mary Jones", "Mitchell-Stephenson"."""
    if current == last + 1:
        return doc[last].whitespace_ == " "
    between = doc[last + 1]
    return (
        current == last + 2
        and between.text in ("-", "\u2010")
        and not doc[last].whitespace_
        and not between.whitespace_
    )


def _name_token(token: Token, text: str) -> bool:
    # The tagger saw title-cased text; the shape is checked on the original, so
    # acronyms in capitals ("CHOP INTEND") never count.
    original = text[token.idx : token.idx + len(token)]
    return (
        token.tag_ in ("NNP", "NNPS")
        and _NAME_SHAPE.fullmatch(original) is not None
        and original not in _CALENDAR
        and original not in ENGLISH_NON_NAMES
    )


def _in_person_slot(doc: Doc, last: int) -> bool:
    after = doc[last + 1] if last + 1 < len(doc) else None
    if after is None:
        return False
    if after.tag_ == "POS":
        return True
    if after.tag_ in _ACTIVE_VERBS:
        # "Nurofen was given": a passive is as likely a drug or a procedure.
        following = doc[last + 2] if last + 2 < len(doc) else None
        return following is None or following.tag_ != "VBN"
    return False


def _labels_a_score(doc: Doc, first: int, last: int, text: str) -> bool:
    """ "Burke: ASDAS-CRP 1.0" — a line opened by the name, a colon, then a scale."""
    if last + 1 >= len(doc) or doc[last + 1].text != ":":
        return False
    before = doc[first - 1] if first > 0 else None
    opens = before is None or before.text in _OPENERS or "\n" in before.text_with_ws
    return opens and _scale_after().match(text, doc[last + 1].idx + 1) is not None


@lru_cache(maxsize=1)
def _scale_after() -> re.Pattern[str]:
    """A scale's code or name right after a colon (scales from the reference data)."""
    from schemas.reference import load_reference

    scales = load_reference().scales
    names = {*scales.index, *scales["name_en"].dropna(), *scales["name_ru"].dropna()}
    parts = (re.split(r"[\s\-]+", str(name).strip()) for name in names)
    alternatives = sorted((r"[\s\-]".join(map(re.escape, p)) for p in parts), key=len, reverse=True)
    return re.compile(rf"\s*(?:{'|'.join(alternatives)})(?!\w)")
