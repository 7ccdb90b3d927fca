"""The narrative page: scrub preview, manual redaction, saving only scrubbed text."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from anonymise.errors import ScrubberUnavailable
from tests.app_helpers import PAGES, page_path, signed_in
from tests.case_page_fixtures import (
    CaseDb,
    build_case_db,
    disk_bytes,
    fresh_copy,
    open_in_app,
    query,
)
from warehouse.ui.navigation import pages_for

NAME, SURNAME, PHONE, SNILS = "Мария", "Кузнецова", "+7 912 345-67-89", "112-233-445 95"
NICKNAME = "Бусинка"  # a pet name: an ordinary word, so the scanner keeps it
NARRATIVE = (
    f"Пациентка {SURNAME} {NAME} Сергеевна, 3 года. Мать просит звонить по тел. {PHONE}. "
    f"СНИЛС {SNILS}. После третьей инъекции головная боль 2 степени, дома зовут {NICKNAME}; "
    f"{NICKNAME} стала спокойнее."
)
IDENTIFIERS = [NAME, SURNAME, PHONE, SNILS, NICKNAME]


@pytest.fixture(scope="module")
def base_db(tmp_path_factory: pytest.TempPathFactory) -> CaseDb:
    return build_case_db(tmp_path_factory.mktemp("narrative-app"))


@pytest.fixture
def case_db(base_db: CaseDb, tmp_path: Path) -> CaseDb:
    return fresh_copy(base_db, tmp_path / "copy")


def open_page(monkeypatch: pytest.MonkeyPatch, db: CaseDb, lang: str = "en") -> AppTest:
    at = signed_in(monkeypatch, db.path, "msk_neuro", lang=lang)
    open_in_app(at, db.subjects["MSK"])
    at.switch_page(page_path("narrative.py")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def preview(at: AppTest, text: str = NARRATIVE) -> AppTest:
    at.text_area(key="narr_text").input(text)
    at.button(key="narr_preview_button").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def preview_markup(at: AppTest) -> str:
    found = [m.value for m in at.markdown if "<span style=" in m.value or "&#" in m.value]
    assert found, "no preview shown"
    return found[0]


def counts(at: AppTest) -> dict[str, int]:
    return {m.label: int(m.value) for m in at.metric}


# --- access ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["monitor", "admin", "coordinator"])
def test_only_site_users_get_the_page(role: str) -> None:
    assert "narrative.py" not in [p.script for p in pages_for(role)]
    assert "narrative.py" in [p.script for p in pages_for("site_user")]
    assert (PAGES / "narrative.py").is_file()


def test_page_source_caches_nothing() -> None:
    assert "@st.cache" not in (PAGES / "narrative.py").read_text(encoding="utf-8")


def test_without_an_open_subject_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, base_db: CaseDb
) -> None:
    at = signed_in(monkeypatch, base_db.path, "msk_neuro")
    at.switch_page(page_path("narrative.py")).run()
    assert not at.exception
    assert "Open a subject on the Subject page" in at.info[0].value
    assert not at.text_area


def test_renders_in_russian_by_default(monkeypatch: pytest.MonkeyPatch, base_db: CaseDb) -> None:
    at = open_page(monkeypatch, base_db, lang="ru")
    assert at.title[0].value == "Описание случая"
    assert at.text_area(key="narr_text").label == "Описание (свободный текст)"


# --- preview -----------------------------------------------------------------------------


def test_preview_highlights_and_counts_redactions(
    monkeypatch: pytest.MonkeyPatch, base_db: CaseDb
) -> None:
    at = preview(open_page(monkeypatch, base_db))
    markup = preview_markup(at)
    assert 'title="PERSON"' in markup and 'title="PHONE"' in markup and 'title="ID"' in markup
    assert "&#91;PERSON&#93;" in markup  # "[PERSON]", escaped
    for identifier in (NAME, SURNAME, SNILS):
        assert identifier not in markup
    assert "912" not in markup
    found = counts(at)
    assert found["PERSON"] >= 1 and found["PHONE"] == 1 and found["ID"] == 1
    assert NICKNAME in at.selectbox(key="narr_mark_pick").options  # still visible: offered
    assert at.button(key="narr_save_button")


def test_empty_text_is_refused_next_to_the_field(
    monkeypatch: pytest.MonkeyPatch, base_db: CaseDb
) -> None:
    at = preview(open_page(monkeypatch, base_db), "   ")
    assert at.error[0].value == "Type the narrative first."
    assert not at.metric


def test_marking_a_missed_identifier_redacts_every_occurrence(
    monkeypatch: pytest.MonkeyPatch, base_db: CaseDb
) -> None:
    at = preview(open_page(monkeypatch, base_db))
    before = counts(at).get("PERSON", 0)
    assert preview_markup(at).count(NICKNAME) == 2
    at.selectbox(key="narr_mark_pick").set_value(NICKNAME)
    at.selectbox(key="narr_mark_type").set_value("PERSON")
    at.button(key="narr_mark_button").click().run()
    assert not at.exception and not at.error
    markup = preview_markup(at)
    assert NICKNAME not in markup
    assert markup.count('title="PERSON"') == before + 2
    assert counts(at)["PERSON"] == before + 2
    assert NICKNAME not in at.selectbox(key="narr_mark_pick").options
    assert at.text_area(key="narr_text").value == NARRATIVE  # the original is untouched


def test_marking_text_that_is_not_there_is_refused(
    monkeypatch: pytest.MonkeyPatch, base_db: CaseDb
) -> None:
    at = preview(open_page(monkeypatch, base_db))
    at.text_input(key="narr_mark_text").input("Петров")
    at.button(key="narr_mark_button").click().run()
    assert not at.exception
    assert "does not occur in the narrative" in at.error[0].value
    assert "Петров" not in at.error[0].value
    assert at.text_input(key="narr_mark_text").value == "Петров"  # kept for correction


def test_changed_text_needs_a_new_preview(monkeypatch: pytest.MonkeyPatch, base_db: CaseDb) -> None:
    at = preview(open_page(monkeypatch, base_db))
    at.text_area(key="narr_text").input(NARRATIVE + " Ещё текст.").run()
    assert "changed after the preview" in at.warning[0].value
    assert not [b for b in at.button if b.key == "narr_save_button"]


def test_scanner_unavailable_refuses_the_text_and_keeps_it(
    monkeypatch: pytest.MonkeyPatch, case_db: CaseDb
) -> None:
    def broken() -> None:
        raise ScrubberUnavailable("model missing")

    monkeypatch.setattr("anonymise.scrubber.get_scrubber", broken)
    at = preview(open_page(monkeypatch, case_db))
    assert "scanner is not available" in at.error[0].value
    assert at.text_area(key="narr_text").value == NARRATIVE
    assert not [b for b in at.button if b.key == "narr_save_button"]
    sid = case_db.subjects["MSK"].subject_id
    assert query(case_db.path, "SELECT count(*) FROM narratives WHERE subject_id = ?", [sid]) == [
        (1,)
    ]


# --- saving ------------------------------------------------------------------------------


def test_saving_stores_only_scrubbed_text(monkeypatch: pytest.MonkeyPatch, case_db: CaseDb) -> None:
    at = preview(open_page(monkeypatch, case_db))
    at.selectbox(key="narr_mark_pick").set_value(NICKNAME)
    at.button(key="narr_mark_button").click().run()
    at.button(key="narr_save_button").click().run()
    assert not at.exception and not at.error
    assert "Saved the scrubbed narrative" in at.success[0].value
    assert "original text was discarded" in at.success[0].value
    # the original text and the marks are gone from the session
    assert at.text_area(key="narr_text").value == ""
    for key in ("narr_preview", "narr_marks"):
        assert key not in at.session_state
    subject = case_db.subjects["MSK"]
    rows = query(
        case_db.path,
        "SELECT text_scrubbed, redaction_counts, language FROM narratives "
        "WHERE subject_id = ? AND narrative_id LIKE 'NR-%' ORDER BY created_at DESC",
        [subject.subject_id],
    )
    text, redaction_counts, language = rows[0]
    assert "[PERSON]" in str(text) and "[PHONE]" in str(text) and "[ID]" in str(text)
    assert language == "ru"
    assert json.loads(str(redaction_counts))["PERSON"] >= 3
    audit = query(case_db.path, "SELECT * FROM audit_log")
    audit_text = json.dumps([[str(v) for v in row] for row in audit], ensure_ascii=False)
    data = disk_bytes(case_db.path)
    for identifier in IDENTIFIERS:
        assert identifier not in str(text)
        assert identifier not in audit_text
        for codec in ("utf-8", "utf-16-le"):
            assert identifier.encode(codec) not in data, identifier
    assert "головная боль" in str(text)  # clinical content kept


def test_a_longer_paste_is_kept_whole_and_the_user_told(
    monkeypatch: pytest.MonkeyPatch, base_db: CaseDb
) -> None:
    """A narrative over the limit was cut by the text box without a word."""
    long_text = "Осмотр без особенностей. " * 1000  # 25 000 characters
    at = open_page(monkeypatch, base_db)
    at.text_area(key="narr_text").input(long_text).run()
    assert at.text_area(key="narr_text").value == long_text
    assert any("25 000 characters" in w.value and "20 000" in w.value for w in at.warning)
    at.button(key="narr_preview_button").click().run()
    assert any("too long" in e.value for e in at.error)
    assert "narr_preview" not in at.session_state


def test_visit_date_after_today_is_refused_next_to_it(
    monkeypatch: pytest.MonkeyPatch, case_db: CaseDb
) -> None:
    at = preview(open_page(monkeypatch, case_db))
    later = dt.date.today() + dt.timedelta(days=3)
    at.date_input(key="narr_visit_date").set_value(later).run()
    at.button(key="narr_save_button").click().run()
    errors = [e.value for e in at.error]
    assert any(e.startswith("Visit date") and "after today" in e for e in errors), errors
    assert not at.success
    assert at.text_area(key="narr_text").value == NARRATIVE  # nothing typed is lost
