"""Redactions for the narrative preview: the scrubber's, the reviewer's, and highlighting.

The scrubber reports what it removed as spans of the ORIGINAL text. A reviewer
may mark an identifier it missed by its exact text; every occurrence of that text
is then redacted as well. The redacted text is always rebuilt from the original
and the list of redactions, so text outside a redaction is never changed and no
character inside one survives. Everything here is pure (no Presidio, no UI); the
functions never put the original text into an error message.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Protocol

from anonymise.config import load_config
from anonymise.date_shift import shift_date_text
from anonymise.errors import ScrubInputError

HIGHLIGHT = "background-color:rgb(255,224,138);border-radius:3px;padding:0 2px"
HIGHLIGHT_MANUAL = "background-color:rgb(255,179,167);border-radius:3px;padding:0 2px"
_WORD = re.compile(r"[^\W_]+(?:[\-'’.][^\W_]+)*")
_SPACES_ONLY = re.compile(r"^( )+$")


class MarkNotFound(ScrubInputError):
    """The text marked as a missed identifier does not occur in the narrative."""

    title = "Marked text not found"


class Entity(Protocol):
    """What the scrubber reports per identifier (see ``anonymise.ScrubbedEntity``)."""

    @property
    def start(self) -> int: ...  # noqa: D102

    @property
    def end(self) -> int: ...  # noqa: D102

    @property
    def type(self) -> str: ...  # noqa: D102


@dataclass(frozen=True)
class Redaction:
    """A span of the original text and what replaces it."""

    start: int
    end: int
    type: str
    replacement: str
    manual: bool = False


@dataclass(frozen=True)
class Piece:
    """A run of the preview: kept original text (``redaction`` None) or a replacement."""

    text: str
    redaction: Redaction | None = None


@lru_cache(maxsize=1)
def _placeholders() -> dict[str, str]:
    return dict(load_config().placeholders)


def redaction_types() -> list[str]:
    """The identifier types a reviewer can choose, as configured for the scrubber."""
    return list(_placeholders())


def placeholder(kind: str) -> str:
    """The placeholder of an identifier type ("PERSON" -> "[PERSON]")."""
    found = _placeholders().get(kind)
    if found is None:
        raise ScrubInputError(f"unknown identifier type {kind!r}")
    return found


def _replacement(text: str, start: int, end: int, kind: str, shift: int | None, lang: str) -> str:
    if kind == "DATE" and shift is not None:
        return shift_date_text(text[start:end], shift, lang) or placeholder(kind)
    return placeholder(kind)


def from_scrub(
    text: str, entities: Iterable[Entity], date_shift_days: int | None, language: str
) -> list[Redaction]:
    """The scrubber's entities as redactions, replaced exactly as the scrubber does.

    Like Presidio's anonymizer, neighbours of the same type separated only by
    spaces become one redaction; full dates become the shifted date when the
    subject's shift is known.
    """
    spans: list[tuple[int, int, str]] = []
    for entity in sorted(entities, key=lambda e: (e.start, e.end)):
        if (
            spans
            and spans[-1][2] == entity.type
            and _SPACES_ONLY.match(text[spans[-1][1] : entity.start])
        ):
            spans[-1] = (spans[-1][0], entity.end, entity.type)
        else:
            spans.append((entity.start, entity.end, entity.type))
    return [
        Redaction(s, e, k, _replacement(text, s, e, k, date_shift_days, language))
        for s, e, k in spans
    ]


def occurrences(text: str, span: str) -> list[tuple[int, int]]:
    """Start and end of every occurrence of ``span`` in ``text``, overlapping ones included."""
    if not span:
        return []
    found = []
    start = text.find(span)
    while start != -1:
        found.append((start, start + len(span)))
        start = text.find(span, start + 1)
    return found


def merge(redactions: Iterable[Redaction]) -> list[Redaction]:
    """Sorted, non-overlapping redactions; overlapping ones become one.

    A merged redaction covers the union of its parts and takes the type of the
    first manual part (the reviewer's choice wins), else of the first part.
    """
    merged: list[list[Redaction]] = []
    for item in sorted(redactions, key=lambda r: (r.start, -r.end)):
        if merged and item.start < max(r.end for r in merged[-1]):
            merged[-1].append(item)
        else:
            merged.append([item])
    out = []
    for group in merged:
        if len(group) == 1:
            out.append(group[0])
            continue
        lead = next((r for r in group if r.manual), group[0])
        end = max(r.end for r in group)
        out.append(replace(lead, start=group[0].start, end=end, replacement=placeholder(lead.type)))
    return out


def mark(text: str, redactions: Sequence[Redaction], span: str, kind: str) -> list[Redaction]:
    """Add a reviewer's mark: every occurrence of ``span`` is redacted as ``kind``.

    Leading and trailing whitespace of ``span`` is ignored. Raises
    :class:`MarkNotFound` when the text does not occur (the message never quotes it).
    """
    span = span.strip()
    replacement = placeholder(kind)
    found = occurrences(text, span)
    if not found:
        raise MarkNotFound("the marked text does not occur in the narrative (exact match needed)")
    added = [Redaction(s, e, kind, replacement, manual=True) for s, e in found]
    return merge([*redactions, *added])


def apply_marks(
    text: str, redactions: Sequence[Redaction], marks: Iterable[tuple[str, str]]
) -> list[Redaction]:
    """Apply reviewer marks ``(span, kind)`` in order; marks no longer found are skipped."""
    current = merge(redactions)
    for span, kind in marks:
        if occurrences(text, span.strip()):
            current = mark(text, current, span, kind)
    return current


def render(text: str, redactions: Sequence[Redaction]) -> list[Piece]:
    """The preview as pieces: kept original text and replacements, in order."""
    pieces: list[Piece] = []
    cursor = 0
    for item in merge(redactions):
        if item.start > cursor:
            pieces.append(Piece(text[cursor : item.start]))
        pieces.append(Piece(item.replacement, item))
        cursor = item.end
    if cursor < len(text):
        pieces.append(Piece(text[cursor:]))
    return pieces


def redacted_text(pieces: Iterable[Piece]) -> str:
    """The text that may be stored: the pieces joined."""
    return "".join(p.text for p in pieces)


def counts(redactions: Iterable[Redaction]) -> dict[str, int]:
    """Number of redactions per identifier type, in first-seen order."""
    found: dict[str, int] = {}
    for item in merge(redactions):
        found[item.type] = found.get(item.type, 0) + 1
    return found


def _inert(char: str) -> str:
    return f"&#{ord(char)};" if char.isascii() and not char.isalnum() and char != " " else char


def escape(text: str) -> str:
    """Text made inert for ``st.markdown(..., unsafe_allow_html=True)``.

    Every ASCII punctuation character becomes a numeric character reference, so
    neither HTML nor Markdown (emphasis, links, headings, LaTeX) can be injected;
    line breaks become ``<br>`` and leading spaces stay visible.
    """
    out = []
    for line in text.split("\n"):
        chars = [
            f"&#{ord(c)};" if c.isascii() and not c.isalnum() and c != " " else c for c in line
        ]
        body = "".join(chars)
        stripped = body.lstrip(" ")
        out.append("&nbsp;" * (len(body) - len(stripped)) + stripped)
    return "<br>".join(out)


def highlight_html(pieces: Iterable[Piece]) -> str:
    """The preview as escaped HTML, each replacement on a coloured background."""
    parts = []
    for piece in pieces:
        if piece.redaction is None:
            parts.append(escape(piece.text))
            continue
        style = HIGHLIGHT_MANUAL if piece.redaction.manual else HIGHLIGHT
        kind = html.escape(piece.redaction.type)
        parts.append(f'<span style="{style}" title="{kind}">{escape(piece.text)}</span>')
    return "".join(parts)


def visible_words(text: str, redactions: Sequence[Redaction]) -> list[str]:
    """Words still shown in the preview that could be names or numbers, first-seen order.

    Offered to the reviewer as candidates to mark: words with a capital letter or
    a digit, at least two characters long.
    """
    seen: dict[str, None] = {}
    for piece in render(text, redactions):
        if piece.redaction is not None:
            continue
        for word in _WORD.findall(piece.text):
            if len(word) >= 2 and any(c.isupper() or c.isdigit() for c in word):
                seen.setdefault(word, None)
    return list(seen)
