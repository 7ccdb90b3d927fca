"""The speakers of a chat transcript pasted into a note.

Ward group chats, WhatsApp exports and messaging logs open each message with a
time stamp and the sender's name:

- "[09:15] Jeremy: done, she says ..." (bracketed time);
- "[12/03/2021, 09:15:22] Jeremy Smith: ..." (WhatsApp on iOS);
- "12/03/2021, 09:15 - Jeremy Smith: ..." (WhatsApp on Android);
- "09:15 Jeremy: ..." (a time alone at the start of the line).

The sender (one to three words, capitalised or in a script without case) is a
person. A sender that is a role rather than a name ("[09:15] Nurse:", "Mum:")
is left alone, and so is a measurement's label ("[14:30] BP: 110/70"). A time
without brackets opens timed notes as often as messages ("09:15 Infusion
Started: ..."): there the sender must open with a given name known to the
lexicon, or be written in a script without case.
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

from anonymise.recognizers.base import CaseguardRecognizer
from anonymise.recognizers.latin import LATIN_LOWER, LATIN_UPPER
from anonymise.recognizers.morphology import ENGLISH_NON_NAMES, proper_name_tags
from anonymise.recognizers.person_lexicon import is_given_name

_UPPER = f"{LATIN_UPPER}А-ЯЁІЇЄҐ"
_LOWER = f"{LATIN_LOWER}а-яёіїєґ"
_CASELESS = "\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\u3040-\u30ff\u4e00-\u9fff"
_WORD = rf"(?:[{_UPPER}][{_LOWER}{_UPPER}'’\-]*|[{_CASELESS}]+)"
_DATE = r"\d{1,4}[./\-]\d{1,2}[./\-]\d{2,4}"
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[ \u202f]?[AaPp]\.?[Mm]\.?)?"
_STAMP = rf"(?:\[(?:{_DATE},?[ \t])?{_TIME}\]|(?:{_DATE},?[ \t])?{_TIME}(?:[ \t][\-–—])?)"
_SPEAKER = re.compile(rf"(?m)^[ \t]*{_STAMP}[ \t]+(?P<value>{_WORD}(?:[ \t]{_WORD}){{0,2}}):[ \t]")
_ROLES = frozenset(
    [
        "mum",
        "mom",
        "mam",
        "dad",
        "mother",
        "father",
        "parent",
        "carer",
        "nurse",
        "doctor",
        "dr",
        "sister",
        "staff",
        "reception",
        "admin",
        "pharmacy",
        "pharmacist",
        "physio",
        "ward",
        "team",
        "me",
        "you",
        "system",
        "bot",
        "registrar",
        "reg",
        "sho",
        "fy1",
        "fy2",
        "hca",
    ]
)


def _name_opening(word: str) -> bool:
    """A given name (any alphabet's lexicon) or a word of a script without case."""
    if not (word[0].isupper() or word[0].islower()):
        return True
    if re.match("[А-ЯЁІЇЄҐ]", word):
        return bool({"Name", "Surn"} & proper_name_tags(word))
    return is_given_name(word)


class ChatSpeakerRecognizer(CaseguardRecognizer):
    """Finds the sender's name at the start of each chat message."""

    ENTITY = "PERSON"

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        """One result per message whose sender is a name."""
        if ":" not in text:
            return []
        results = []
        for match in _SPEAKER.finditer(text):
            words = match.group("value").split()
            first = words[0].lower()
            if first in _ROLES or first in STOP_WORDS or words[0] in ENGLISH_NON_NAMES:
                continue
            if words[0].isupper() and len(words) == 1:
                continue  # "[14:30] BP: 110/70" — a measurement's label
            # "09:15 Infusion Started:" — without brackets, a time opens timed notes as
            # often as messages: the sender must open with a known given name or be
            # written in a script without case.
            bracketed = match.group().lstrip().startswith("[")
            if not bracketed and not _name_opening(words[0]):
                continue
            results.append(self.result(*match.span("value"), 0.6, rule="chat_sender"))
        return results
