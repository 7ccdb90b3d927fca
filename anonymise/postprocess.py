"""Turn the analyzer's raw results into final, non-overlapping redactions.

1. Clinical vocabulary is cut out of name-like results (PERSON, LOCATION,
   ORGANIZATION); a structured identifier inside a protected term (a lot number)
   is dropped.
2. Names found once are found everywhere in the same text, in any case form.
3. Overlapping results merge into one span, so no fragment of an identifier is
   left between two redactions; the merged span takes the type of the most
   confident result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from anonymise.clinical_terms import merge_spans
from anonymise.recognizers.morphology import (
    ENGLISH_NON_NAMES,
    is_common_word,
    normalise_case,
    proper_name_tags,
)

NAME_LIKE = {"PERSON", "LOCATION", "ORGANIZATION"}
# On equal scores the more specific type names the merged span.
TYPE_PRIORITY = ["ID", "EMAIL", "URL", "PHONE", "DATE", "PERSON", "LOCATION", "ORGANIZATION"]
_MEANINGFUL = re.compile(r"[^\W_]{2,}|\d")
_TRIM = " \t\n,.;:()[]«»\"'-–—/"
_WORD = re.compile(r"[^\W\d_]+(?:[\-'’][^\W\d_]+)*")


@dataclass(frozen=True)
class Found:
    """One identifier: where it is in the original text, its type and confidence."""

    start: int
    end: int
    entity_type: str
    score: float
    #: "ner" for statistical and dictionary recognizers, "pattern" for the rest.
    source: str = "pattern"


def remove_clinical(text: str, found: list[Found], protected: list[tuple[int, int]]) -> list[Found]:
    """Cut clinical vocabulary (``protected`` spans) out of results; drop what is left empty."""
    if not protected:
        return found
    kept: list[Found] = []
    for item in found:
        overlapping = [(s, e) for s, e in protected if s < item.end and e > item.start]
        if not overlapping:
            kept.append(item)
            continue
        if item.entity_type not in NAME_LIKE:
            if not any(s <= item.start and item.end <= e for s, e in overlapping):
                kept.append(item)
            continue
        cursor = item.start
        pieces = []
        for s, e in overlapping:
            if s > cursor:
                pieces.append((cursor, s))
            cursor = max(cursor, e)
        if cursor < item.end:
            pieces.append((cursor, item.end))
        for start, end in pieces:
            while start < end and text[start] in _TRIM:
                start += 1
            while end > start and text[end - 1] in _TRIM:
                end -= 1
            if _MEANINGFUL.search(text[start:end]) and _looks_like_name_piece(text[start:end]):
                kept.append(Found(start, end, item.entity_type, item.score, item.source))
    return kept


_UNITISH = re.compile(
    r"^(?:[A-ZА-ЯЁ]{1,5}\d*|[A-Za-zА-Яа-яё]{1,4}\d{1,2}|[A-Za-zА-Яа-яё]{1,4}/[A-Za-zА-Яа-яё]{1,4}\.?|[\d.,×x^⁰¹²³⁴⁵⁶⁷⁸⁹]+)$"
)
_VOWEL = re.compile("[AEIOUYАЕЁИОУЫЭЮЯ]")
_SENTENCE_BREAK = re.compile(r"[.!?]\s+(?=[A-ZА-ЯЁ])|\n")


def drop_implausible_names(text: str, found: list[Found]) -> list[Found]:
    """Trim or drop name-like results that cannot be a name.

    A PERSON, LOCATION or ORGANIZATION must contain a capitalised word that is
    not an abbreviation, unit or number ("U/L", "WBC", "SpO2", "143 g/L"); words
    after a sentence break that are ordinary words ("... Л.М. Мать") and job
    titles at the edges ("Consultant Paediatric Neurologist") are trimmed; a lone
    Russian word that is an ordinary dictionary word ("Инфузия", "Дата") is dropped.
    """
    kept = []
    for item in found:
        if item.entity_type not in NAME_LIKE:
            kept.append(item)
            continue
        start, end = item.start, item.end
        if item.entity_type == "PERSON":
            start, end = _trim_edge_titles(text, start, end)
            if start >= end:
                continue
        if item.source != "ner":
            kept.append(Found(start, end, item.entity_type, item.score, item.source))
            continue
        start, end = _trim_tail_sentence(text, start, end)
        # A statistical entity never spans lines ("U/L.\nSmith's"): judge each line.
        for line in re.finditer(r"[^\n]+", text[start:end]):
            piece_start, piece_end = start + line.start(), start + line.end()
            if _plausible_name(text[piece_start:piece_end], item.entity_type):
                kept.append(Found(piece_start, piece_end, item.entity_type, item.score, "ner"))
    return kept


def _plausible_name(span: str, entity_type: str) -> bool:
    """A statistical name must have a capitalised word that is not a unit or a common word."""
    span = span.strip(_TRIM)
    parts = [p for w in _WORD.findall(span) for p in re.split(r"[\-'’]", w)]
    # Two or more capitalised words with vowels are a name in capitals ("LISA
    # BARR"), not abbreviations, although each alone looks like one.
    caps = [w for w in parts if w.isupper() and len(w) >= 3 and _VOWEL.search(w)]
    caps = caps if len(caps) >= 2 else []
    words = [w for w in parts if w[:1].isupper() and not _UNITISH.match(w) or w in caps]
    if not words and entity_type == "PERSON":
        # A name written in lower case ("nigel carroll") opens with a known given name.
        return _lower_case_name(span)
    tokens = span.split()
    if not words or not caps and all(_UNITISH.match(t.strip(",.;:()")) for t in tokens):
        return False
    return not all(_ordinary_word(w, entity_type) for w in words)


def _lower_case_name(span: str) -> bool:
    """Two or three lower-case words, the first a given name, none a stop word."""
    from spacy.lang.en.stop_words import STOP_WORDS

    from anonymise.recognizers.person_lexicon import is_given_name

    words = span.split()
    return (
        2 <= len(words) <= 3
        and is_given_name(words[0])
        and not any(w in STOP_WORDS for w in words)
        and all(_WORD.fullmatch(w) for w in words)
    )


def _trim_tail_sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """Cut a tail after a sentence break when it is made of ordinary words."""
    breaks = list(_SENTENCE_BREAK.finditer(text, start, end))
    if not breaks:
        return start, end
    cut = breaks[-1]
    tail = _WORD.findall(text[cut.end() : end])
    if tail and all(_ordinary_word(w, "PERSON") for w in tail):
        end = cut.start() + 1 if text[cut.start()] == "." else cut.start()
    return start, end


def _trim_edge_titles(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop job titles and headings from both ends of a span."""
    words = list(_WORD.finditer(text, start, end))
    first, last = 0, len(words)
    while first < last and words[first].group() in ENGLISH_NON_NAMES:
        first += 1
    while last > first and words[last - 1].group() in ENGLISH_NON_NAMES:
        last -= 1
    if first == last:
        return start, start
    # Only a trimmed edge moves; "Кузенковой Л.М." keeps the period of its initials.
    new_start = start if first == 0 else words[first].start()
    new_end = end if last == len(words) else words[last - 1].end()
    return new_start, new_end


def _ordinary_word(word: str, entity_type: str) -> bool:
    """A Russian dictionary word that is not a name or place ("Инфузия", "Дата")."""
    if not re.search("[а-яё]", word, re.IGNORECASE):
        return word in ENGLISH_NON_NAMES
    tags = proper_name_tags(normalise_case(word))
    if tags:
        return False
    return is_common_word(word)


def _looks_like_name_piece(piece: str) -> bool:
    """A left-over after cutting a clinical term must still look like a name."""
    return any(ch.isupper() or ch.isdigit() for ch in piece)


def propagate_names(text: str, found: list[Found], protected: list[tuple[int, int]]) -> list[Found]:
    """Add every other mention of each name word already found as PERSON."""
    words: set[str] = set()
    for item in found:
        if item.entity_type != "PERSON":
            continue
        for word in _WORD.findall(text[item.start : item.end]):
            if len(word) >= 3 and word[0].isupper() and not _is_common(word):
                words.add(word)
    if not words:
        return found
    folded = _lower_same_length(text)
    extra = []
    for word in sorted(words, key=len, reverse=True):
        for start, end in _mentions(text, folded, word):
            if not text[start].isupper():
                continue  # "smith" the trade, lower case, is not the patient
            if any(s <= start and end <= e for s, e in protected):
                continue
            extra.append(Found(start, end, "PERSON", 0.5))
    return found + extra


def _mentions(text: str, folded: str, word: str) -> list[tuple[int, int]]:
    """Spans of ``word`` in ``text`` as a whole word, any case; Russian words inflected.

    A Russian name keeps its stem and may take up to four Cyrillic letters of
    ending ("Кузенкова" -> "Кузенковой"); a Latin one must match exactly.
    ``folded`` is ``text`` lower-cased with the same length.
    """
    russian = bool(re.search("[а-яё]", word, re.IGNORECASE))
    if russian:
        stem = word[:-2] if len(word) >= 6 else word[:-1] if len(word) >= 4 else word
    else:
        stem = word
    # lowered as the text was: "İşcan" must meet "İşcan", not "i̇şcan" (i + a dot)
    stem = _lower_same_length(stem)
    spans = []
    at = folded.find(stem)
    while at >= 0:
        end = at + len(stem)
        if russian:
            while end < len(text) and end - at - len(stem) <= 4 and folded[end] in _CYRILLIC_LOWER:
                end += 1
        before_ok = at == 0 or not (text[at - 1].isalnum() or text[at - 1] in "_-")
        after_ok = end - at - len(stem) <= 4 and not (end < len(text) and _is_word_char(text[end]))
        if before_ok and after_ok:
            spans.append((at, end))
        at = folded.find(stem, at + 1)
    return spans


def _lower_same_length(text: str) -> str:
    """``text`` lower-cased, except characters whose lower case is longer ("İ")."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


_CYRILLIC_LOWER = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _is_common(word: str) -> bool:
    if re.search("[а-яё]", word, re.IGNORECASE):
        return is_common_word(word)
    return False


def resolve_overlaps(found: list[Found]) -> list[Found]:
    """Merge overlapping results; the merged span takes the strongest type."""
    if not found:
        return []
    ordered = sorted(found, key=lambda f: (f.start, -f.end))
    groups: list[list[Found]] = [[ordered[0]]]
    group_end = ordered[0].end
    for item in ordered[1:]:
        if item.start < group_end:
            groups[-1].append(item)
            group_end = max(group_end, item.end)
        else:
            groups.append([item])
            group_end = item.end
    merged = []
    for group in groups:
        best = max(
            group,
            key=lambda f: (
                f.score,
                -TYPE_PRIORITY.index(f.entity_type) if f.entity_type in TYPE_PRIORITY else -99,
            ),
        )
        span = merge_spans((f.start, f.end) for f in group)[0]
        merged.append(Found(span[0], span[1], best.entity_type, max(f.score for f in group)))
    return merged
