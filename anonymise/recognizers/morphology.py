"""Shared Russian morphology (pymorphy3) for the name and place recognizers."""

from __future__ import annotations

import re
from functools import lru_cache

import pymorphy3


@lru_cache(maxsize=1)
def analyzer() -> pymorphy3.MorphAnalyzer:
    """The pymorphy3 analyser (its dictionary ships in pymorphy3-dicts-ru)."""
    return pymorphy3.MorphAnalyzer()


#: Capitalised English words in case notes that are job titles, departments or
#: section headings, never names: trimmed from the edges of a PERSON span.
ENGLISH_NON_NAMES = frozenset(
    [
        "Consultant",
        "Paediatric",
        "Pediatric",
        "Neurologist",
        "Neurology",
        "Neuromuscular",
        "Registrar",
        "Nurse",
        "Doctor",
        "Professor",
        "Physician",
        "Specialist",
        "Department",
        "Dept",
        "Clinic",
        "Hospital",
        "Unit",
        "Team",
        "Service",
        "Head",
        "Chief",
        "Senior",
        "Junior",
        "Clinical",
        "Medical",
        "Weekly",
        "Daily",
        "Monthly",
        "Outpatient",
        "Inpatient",
        "Urinalysis",
        "Pre",
        "Post",
        "Rheumatologist",
        "Rheumatology",
        "Paediatrician",
        "Pediatrician",
        "Geneticist",
        "Genetics",
        "Physiotherapist",
        "Dr",
        "Mr",
        "Mrs",
        "Ms",
        "Miss",
        "Prof",
        "Sister",
        "Patient",
        "Mother",
        "Father",
        "Mum",
        "Mom",
        "Mummy",
        "Mommy",
        "Dad",
        "Daddy",
        "Grandma",
        "Granny",
        "Grandpa",
        "Nan",
        "Parent",
        "Guardian",
        "Name",
        "Signed",
        "Reporter",
        "Date",
        "Phone",
        "Tel",
        "Email",
        "Address",
        "Diagnosis",
        "History",
        "Summary",
        "Discharge",
        "Referral",
        "Report",
        "Visit",
        "Note",
        "Notes",
        "Plan",
        "Assessment",
        "Re",
        "Dear",
        "Regards",
        "Sincerely",
        "Kind",
        "Yours",
        "Cc",
        "To",
        "From",
        "Subject",
        "Attn",
        "Lab",
        "Labs",
        "Bloods",
        "Sample",
        "Results",
        "Weight",
        "Height",
    ]
)


def normalise_case(word: str) -> str:
    """ "ИВАНОВА" -> "Иванова": dictionary lookups need title case."""
    return word.capitalize() if word.isupper() and len(word) > 1 else word


@lru_cache(maxsize=65536)
def proper_name_tags(word: str) -> frozenset[str]:
    """Which of Name, Surn, Patr, Geox a known word most plausibly is.

    Only dictionary words count, and only grammemes of parses carrying at least a
    quarter of the probability, so a common noun that is rarely a surname ("Волк")
    is not taken as a name.
    """
    parts = [p for p in re.split(r"[\-\u2013]", word) if p]
    if len(parts) > 1:
        # "Евдокимов-Романов": a tag one part plausibly has and every part can have
        # ("Романов" is more often "of novels" than a surname).
        likely = frozenset.union(*(proper_name_tags(p.capitalize()) for p in parts))
        possible = [_name_tags(p.capitalize(), 0.0) for p in parts]
        return frozenset(t for t in likely if all(t in tags for tags in possible))
    return _name_tags(word, 0.25)


def _name_tags(word: str, min_score: float) -> frozenset[str]:
    word = normalise_case(word)
    # Only dictionary readings count, and pymorphy3 gives a word none unless the
    # word itself is in the dictionary: asking that first skips the guessing by
    # analogy that makes up most of a parse of an unknown word.
    if not analyzer().word_is_known(word):
        return frozenset()
    tags: set[str] = set()
    for parse in analyzer().parse(word):
        if not parse.is_known or parse.score < min_score:
            continue
        tags |= {g for g in ("Name", "Surn", "Patr", "Geox") if g in parse.tag}
    return frozenset(tags)


@lru_cache(maxsize=65536)
def is_common_word(word: str) -> bool:
    """True if the lower-case word is a dictionary word that is not a proper name.

    The readings' probabilities are added up: an adjective spreads its weight over
    its case forms ("выписной": 0.17 each), none of which alone looks likely.
    """
    if not analyzer().word_is_known(word.lower()):
        return False
    common = sum(
        parse.score
        for parse in analyzer().parse(word.lower())
        if parse.is_known and not {"Name", "Surn", "Patr", "Geox"} & set(parse.tag.grammemes)
    )
    return common >= 0.25
