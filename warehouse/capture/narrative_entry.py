"""Entering a case narrative: scrub, review, mark missed identifiers, save scrubbed text.

The original text lives only in the caller's memory. :func:`preview` scrubs it
and returns a :class:`Preview` holding the redactions; the reviewer's marks are
applied on top (:meth:`Preview.with_marks`); :func:`save_narrative` stores only
the redacted text and the counts per type. No function here writes, logs or
raises with the original text.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from anonymise import manual_redaction as mr
from anonymise.config import load_config
from anonymise.language import detect_language
from anonymise.pseudonym import shift_date
from schemas.common import MAX_TEXT
from schemas.errors import CaseguardError
from schemas.labels import text as ui_text
from warehouse.capture.real_dates import refuse_future
from warehouse.capture.subjects_lookup import OpenSubject
from warehouse.review.soft_checks import checks_after_save
from warehouse.store.access import Session
from warehouse.store.cases import SaveSummary, add_records

AUTO = "auto"
LANGUAGE_CHOICES = (AUTO, "ru", "en")


class NarrativeTooLong(CaseguardError):
    """A narrative longer than can be stored (``MAX_TEXT``): refused before scrubbing."""

    title = "Narrative too long"

    def __init__(self) -> None:
        super().__init__(self.message_in("en"))

    @staticmethod
    def message_in(lang: str) -> str:
        """What the user reads, in ``lang``."""
        return ui_text("narr_text_too_long", lang, limit=f"{MAX_TEXT:,}".replace(",", " "))


@dataclass(frozen=True)
class Preview:
    """A scrubbed narrative under review: the language it was read in and its redactions."""

    language: str
    redactions: tuple[mr.Redaction, ...]

    def with_marks(self, text: str, marks: Sequence[tuple[str, str]]) -> list[mr.Redaction]:
        """The scrubber's redactions plus the reviewer's marks, merged."""
        return mr.apply_marks(text, self.redactions, marks)


def detected_language(text: str) -> str:
    """The language the scrubber would read ``text`` in ("ru" or "en")."""
    return detect_language(text, load_config().cyrillic_share_for_russian)


def preview(text: str, language: str, date_shift_days: int) -> Preview:
    """Scrub ``text`` ("auto", "ru" or "en") with the subject's date shift.

    Raises :class:`NarrativeTooLong` for a text longer than a narrative may be (it
    is not scanned at all) and :class:`~anonymise.errors.ScrubberUnavailable` when
    the text cannot be scanned; the caller must then refuse it.
    """
    if len(text) > MAX_TEXT:
        raise NarrativeTooLong()
    from anonymise import scrub_text  # the scrubber loads its models on first use

    result = scrub_text(text, None if language == AUTO else language, date_shift_days)
    redactions = mr.from_scrub(text, result.entities, date_shift_days, result.language)
    return Preview(result.language, tuple(redactions))


@dataclass(frozen=True)
class ScrubbedNarrative:
    """What may be stored: redacted text, its language and redactions per type."""

    text: str
    language: str
    counts: dict[str, int]


def finish(text: str, review: Preview, marks: Sequence[tuple[str, str]]) -> ScrubbedNarrative:
    """The stored form of a reviewed narrative (only redacted text)."""
    redactions = review.with_marks(text, marks)
    scrubbed = mr.redacted_text(mr.render(text, redactions))
    return ScrubbedNarrative(scrubbed, review.language, mr.counts(redactions))


def new_narrative_id() -> str:
    """A fresh narrative row id ("NR-" and twelve hex digits)."""
    return f"NR-{uuid.uuid4().hex[:12].upper()}"


def narrative_row(
    subject: OpenSubject,
    visit_date: dt.date,
    narrative: ScrubbedNarrative,
    now: dt.datetime | None = None,
) -> dict[str, object]:
    """The narratives row: visit date shifted by the subject's shift, counts as JSON."""
    return {
        "narrative_id": new_narrative_id(),
        "subject_id": subject.subject_id,
        "visit_date": shift_date(visit_date, subject.date_shift_days),
        "language": narrative.language,
        "text_scrubbed": narrative.text,
        "redaction_counts": json.dumps(narrative.counts, sort_keys=True),
        "created_at": now or dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
    }


def save_narrative(
    session: Session, subject: OpenSubject, visit_date: dt.date, narrative: ScrubbedNarrative
) -> SaveSummary:
    """Store one scrubbed narrative for the subject (validated, audited, one transaction);
    a visit date after today is refused."""
    refuse_future([("narratives", 0, "visit_date", visit_date)])
    row = narrative_row(subject, visit_date, narrative)
    summary = add_records(session, subject.subject_id, {"narratives": [row]})
    checks_after_save(session.db, [subject.subject_id])
    return summary
