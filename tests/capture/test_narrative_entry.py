"""Narrative entry (warehouse/capture/narrative_entry.py): preview, marks, stored row, scope."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from schemas.errors import AccessDenied
from tests.warehouse_fixtures import make_case, memory_db, monitor, site_user  # noqa: F401
from warehouse.capture import narrative_entry as ne
from warehouse.capture.subjects_lookup import OpenSubject
from warehouse.store.cases import load_case, save_case
from warehouse.store.db import Database

TEXT = "Пациентка Кузнецова Мария, тел. +7 912 345-67-89. Дома зовут Бусинка; Бусинка спокойна."


def _subject(db: Database) -> OpenSubject:
    case = make_case(db, "MSK", "NARR-ENTRY-1")
    save_case(site_user(db), case)
    from anonymise import pseudonymise

    p = pseudonymise(db.keys.site_key("MSK"), "MSK", "NARR-ENTRY-1")
    return OpenSubject(p.subject_id, "MSK", p.date_shift_days, True)


def test_detected_language() -> None:
    assert ne.detected_language(TEXT) == "ru"
    assert ne.detected_language("Seen in clinic, stable.") == "en"


def test_row_shifts_the_visit_date_and_stores_counts_as_json() -> None:
    subject = OpenSubject("MSK-ABCDEFGHJKLM", "MSK", -10, True)
    narrative = ne.ScrubbedNarrative("[PERSON] seen.", "en", {"PERSON": 1})
    row = ne.narrative_row(subject, dt.date(2024, 3, 11), narrative, dt.datetime(2024, 3, 11, 9))
    assert row["visit_date"] == dt.date(2024, 3, 1)
    assert row["text_scrubbed"] == "[PERSON] seen." and row["language"] == "en"
    assert json.loads(str(row["redaction_counts"])) == {"PERSON": 1}
    assert str(row["narrative_id"]).startswith("NR-")
    assert ne.new_narrative_id() != ne.new_narrative_id()


@pytest.mark.slow
def test_preview_marks_and_save_store_only_scrubbed_text(memory_db: Database) -> None:  # noqa: F811
    subject = _subject(memory_db)
    review = ne.preview(TEXT, ne.AUTO, subject.date_shift_days)
    assert review.language == "ru"
    unmarked = ne.finish(TEXT, review, [])
    assert "Кузнецова" not in unmarked.text and "Бусинка" in unmarked.text
    done = ne.finish(TEXT, review, [("Бусинка", "PERSON")])
    assert "Бусинка" not in done.text and done.counts["PERSON"] == unmarked.counts["PERSON"] + 2
    ne.save_narrative(site_user(memory_db), subject, dt.date(2024, 3, 11), done)
    stored = load_case(site_user(memory_db), subject.subject_id).narratives
    assert done.text in [n["text_scrubbed"] for n in stored]
    with pytest.raises(AccessDenied):
        ne.save_narrative(monitor(memory_db), subject, dt.date(2024, 3, 11), done)
    with pytest.raises(AccessDenied):
        ne.save_narrative(site_user(memory_db, "PRM"), subject, dt.date(2024, 3, 11), done)
