"""The adverse-event page run headless with AppTest: report, scrub, grade-5 rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_helpers import open_page, page_path, signed_in
from tests.reporting.fixtures import load_fixture, term_index
from tests.warehouse_fixtures import (
    clone_db,
    make_demo_with_case,
    site_user,
    system_session,
)
from warehouse.capture.subjects_lookup import OpenSubject, open_subject
from warehouse.reporting import synthetic_meddra as syn
from warehouse.reporting.expectedness import seed_reference_safety
from warehouse.store.cases import load_case
from warehouse.store.db import Database

LOCAL_ID = "AE-PAGE-PATIENT-0077"
PAGE_SCRIPT = "adverse_events.py"
PAGE = page_path(PAGE_SCRIPT)
MENINGITIS = term_index("ASEPTIC-MENINGITIS")
# typed into the verbatim term: a name, a phone number and a SNILS with a valid checksum
IDENTIFIERS = ("Ivanova", "Maria Petrovna", "+7 912 345-67-89", "345-67-89", "112-233-445 95")
VERBATIM = (
    "Severe headache after lumbar puncture, mother Ivanova Maria Petrovna called "
    "from +7 912 345-67-89, SNILS 112-233-445 95"
)


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    """Demo accounts and sites, plus one SMA subject treated with Spinraza."""
    return make_demo_with_case(tmp_path_factory.mktemp("ae-template"), LOCAL_ID, seed=4)


@pytest.fixture
def db(template_db: Database, tmp_path: Path) -> Database:
    return clone_db(template_db, tmp_path / "db")


def _subject(db: Database) -> OpenSubject:
    return open_subject(site_user(db, "MSK"), LOCAL_ID)


def _ae_page(
    monkeypatch: pytest.MonkeyPatch, db: Database, subject: OpenSubject | None, lang: str = "en"
) -> AppTest:
    return open_page(monkeypatch, Path(db.path), PAGE_SCRIPT, lang=lang, subject=subject)


def _fill(at: AppTest, verbatim: str = VERBATIM) -> AppTest:
    at.selectbox(key="ae_term").set_value("HEADACHE")
    at.text_area(key="ae_verbatim").input(verbatim)
    at.date_input(key="ae_onset").set_value(dt.date(2021, 6, 10))
    at.checkbox(key="ae_ongoing").uncheck().run()
    at.date_input(key="ae_end").set_value(dt.date(2021, 6, 12))
    at.date_input(key="ae_aware_date").set_value(dt.date(2021, 6, 11))
    return _hospitalised(at, "recovered")


def _hospitalised(at: AppTest, outcome: str) -> AppTest:
    """Grade 3, hospitalised, possibly caused by Spinraza, dose not changed, ``outcome``."""
    at.selectbox(key="ae_grade").set_value(3)
    at.checkbox(key="ae_serious_hospitalisation").check()
    at.selectbox(key="ae_causality_NUS-SPINRAZA").set_value("possible")
    at.selectbox(key="ae_action").set_value("dose_not_changed")
    at.selectbox(key="ae_outcome").set_value(outcome)
    return at.run()


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def _stored_events(db: Database, subject: OpenSubject) -> list[dict[str, object]]:
    return load_case(site_user(db, "MSK"), subject.subject_id).adverse_events


def test_renders_for_site_user(monkeypatch: pytest.MonkeyPatch, db: Database) -> None:
    at = _ae_page(monkeypatch, db, _subject(db))
    assert at.title[0].value == "Adverse event report"
    term = at.selectbox(key="ae_term")
    assert term.value is None and "Headache" in term.options and len(term.options) == 28
    # causality is asked only for the products this subject received
    causality = [s.label for s in at.selectbox if (s.key or "").startswith("ae_causality_")]
    assert causality == ["Spinraza (nusinersen)"]
    labels = [c.label for c in at.checkbox]
    assert labels[0] == "Ongoing (no end date yet)" and labels[1] == "Results in death"
    assert not at.error


def test_body_system_follows_the_term(monkeypatch: pytest.MonkeyPatch, db: Database) -> None:
    at = _ae_page(monkeypatch, db, _subject(db))
    at.selectbox(key="ae_term").set_value("THROMBOCYTOPENIA").run()
    assert "Body system: Blood and lymphatic system disorders" in [c.value for c in at.caption]


def test_russian_labels(monkeypatch: pytest.MonkeyPatch, db: Database) -> None:
    at = _ae_page(monkeypatch, db, _subject(db), lang="ru")
    assert at.title[0].value == "Сообщение о нежелательном явлении"
    assert "Головная боль" in at.selectbox(key="ae_term").options
    assert at.selectbox(key="ae_grade").options[4] == "Степень 5 - смерть, связанная с НЯ"


def test_without_open_subject_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    at = _ae_page(monkeypatch, db, None)
    assert "Subject page" in at.info[0].value
    assert not at.selectbox


@pytest.mark.parametrize("username", ["monitor", "admin", "coordinator"])
def test_other_roles_do_not_get_the_page(
    monkeypatch: pytest.MonkeyPatch, db: Database, username: str
) -> None:
    at = signed_in(monkeypatch, Path(db.path), username)
    with pytest.raises(Exception):  # noqa: B017 - AppTest refuses a page not in the navigation
        at.switch_page(PAGE).run()


def test_valid_event_saves_scrubbed_and_says_what(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    subject = _subject(db)
    at = _fill(_ae_page(monkeypatch, db, subject))
    at.button(key="aes_save_button").click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == [
        f"Adverse event saved for subject {subject.subject_id}: Headache, grade 3, serious, "
        "outcome Recovered / resolved; causality rows: 1. Day 0: 2021-06-11; "
        "the reporting clock is on the SAE reporting page."
    ]
    captions = " ".join(c.value for c in at.caption)
    assert "Verbatim as stored" in captions and "[PERSON]" in captions
    assert "PERSON × " in captions and "PHONE × 1" in captions
    (event,) = _stored_events(db, subject)[1:]
    assert event["verbatim_term"].startswith("Severe headache after lumbar puncture")
    assert not any(ident in event["verbatim_term"] for ident in IDENTIFIERS)
    assert event["seriousness"] == ["hospitalisation"] and event["serious"] is True
    assert event["onset_date"] == dt.date(2021, 6, 10) + dt.timedelta(subject.date_shift_days)
    causality = load_case(site_user(db, "MSK"), subject.subject_id).ae_causality
    mine = {(c["product_id"], c["causality"]) for c in causality if c["ae_id"] == event["ae_id"]}
    assert mine == {("NUS-SPINRAZA", "possible")}
    assert at.selectbox(key="ae_term").value is None  # form cleared for the next report


def _disk_bytes(db: Database) -> bytes:
    path = Path(db.path)
    files = [path, *path.parent.glob(path.name + ".wal")]
    return b"".join(f.read_bytes() for f in files if f.is_file())


def test_identifiers_typed_in_the_verbatim_never_reach_the_database(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    subject = _subject(db)
    marker = "zqxvwy-marker"  # a non-identifying word proves the verbatim itself is there
    at = _fill(_ae_page(monkeypatch, db, subject), verbatim=f"{marker}; {VERBATIM}")
    at.button(key="aes_save_button").click().run()
    assert at.success, _errors(at)
    data = _disk_bytes(db)
    assert marker.encode() in data
    for ident in (*IDENTIFIERS, LOCAL_ID):
        for codec in ("utf-8", "utf-16-le"):
            assert ident.encode(codec) not in data, ident


def test_invalid_event_shows_problems_by_the_fields_and_keeps_inputs(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    subject = _subject(db)
    at = _fill(_ae_page(monkeypatch, db, subject))
    at.checkbox(key="ae_ongoing").uncheck().run()
    at.date_input(key="ae_end").set_value(dt.date(2021, 6, 1))  # before the onset
    at.selectbox(key="ae_outcome").set_value("fatal")  # fatal with grade 3
    at.run()
    at.button(key="aes_save_button").click().run()
    assert not at.exception and not at.success
    errors = _errors(at)
    assert "End date: end date is before the start date" in errors
    grade_message = "CTCAE grade: a fatal outcome or the criterion death requires CTCAE grade 5"
    assert grade_message in errors
    assert any(e.startswith("The adverse event was not saved") for e in errors)
    # the grade problem sits right after the grade selector, before the checkboxes
    grade_error = errors.index(grade_message)
    assert grade_error < errors.index(next(e for e in errors if "not saved" in e))
    assert len(_stored_events(db, subject)) == 1  # only make_case's event
    kept = {
        "ae_term": "HEADACHE",
        "ae_grade": 3,
        "ae_outcome": "fatal",
        "ae_action": "dose_not_changed",
        "ae_causality_NUS-SPINRAZA": "possible",
    }
    assert {key: at.selectbox(key=key).value for key in kept} == kept
    assert at.text_area(key="ae_verbatim").value == VERBATIM
    assert at.date_input(key="ae_onset").value == dt.date(2021, 6, 10)
    assert at.date_input(key="ae_end").value == dt.date(2021, 6, 1)
    assert at.checkbox(key="ae_serious_hospitalisation").value is True
    assert "Verbatim after scrubbing" in " ".join(c.value for c in at.caption)


def test_missing_fields_are_each_flagged(monkeypatch: pytest.MonkeyPatch, db: Database) -> None:
    at = _ae_page(monkeypatch, db, _subject(db))
    at.button(key="aes_save_button").click().run()
    assert not at.exception and not at.success
    assert [e for e in _errors(at) if e.endswith(" is required")] == [
        "Adverse event term is required",
        "Verbatim term (as reported) is required",
        "Onset date is required",
        "CTCAE grade is required",
        "Action taken with the product is required",
        "Outcome is required",
    ]


def test_grade5_sets_fatal_outcome_and_death(monkeypatch: pytest.MonkeyPatch, db: Database) -> None:
    at = _fill(_ae_page(monkeypatch, db, _subject(db)))
    at.selectbox(key="ae_grade").set_value(5).run()
    assert at.selectbox(key="ae_outcome").value == "fatal"
    assert at.selectbox(key="ae_outcome").disabled
    death = at.checkbox(key="ae_serious_death")
    assert death.value is True and death.disabled
    assert at.checkbox(key="ae_serious_hospitalisation").value is True  # other ticks kept
    assert any("Grade 5 means death" in i.value for i in at.info)
    # no Session-State-vs-default warnings: the only warning is the reporting clock's
    assert [w.icon for w in at.warning] == [":material/alarm:"] and not at.exception
    at.selectbox(key="ae_grade").set_value(4).run()  # lowering the grade releases them
    assert at.selectbox(key="ae_outcome").value is None
    assert at.checkbox(key="ae_serious_death").value is False
    assert not at.checkbox(key="ae_serious_death").disabled


def test_grade5_event_saves_and_records_the_death(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    subject = _subject(db)
    at = _fill(_ae_page(monkeypatch, db, subject))
    at.selectbox(key="ae_grade").set_value(5).run()
    at.button(key="aes_save_button").click().run()
    assert not at.exception and at.success
    assert not _errors(at)
    stored = load_case(system_session(db, "test"), subject.subject_id)
    assert stored.subject["status"] == "died"


def test_end_date_can_be_taken_back_by_marking_the_event_ongoing(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    """Item 9: an end date, once typed, could not be cleared, so an ongoing event with a
    mistyped end date could not be saved as ongoing."""
    subject = _subject(db)
    at = _fill(_ae_page(monkeypatch, db, subject))
    at.checkbox(key="ae_ongoing").check().run()
    assert at.date_input(key="ae_end").disabled
    at.selectbox(key="ae_outcome").set_value("not_recovered").run()
    at.button(key="aes_save_button").click().run()
    assert at.success, _errors(at)
    saved = [e for e in _stored_events(db, subject) if e["coded_term"] == "HEADACHE"]
    assert saved and saved[-1]["end_date"] is None


def test_after_a_save_the_form_holds_nothing_identifying(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    """Item 11: after a save the verbatim box is empty (the scrubbed text is shown as stored)."""
    at = _fill(_ae_page(monkeypatch, db, _subject(db)))
    at.button(key="aes_save_button").click().run()
    assert at.success, _errors(at)
    assert at.text_area(key="ae_verbatim").value == ""
    shown = " ".join(c.value for c in at.caption) + " ".join(e.value for e in at.text_area)
    for ident in IDENTIFIERS:
        assert ident not in shown


def test_a_fixed_field_drops_its_error_at_once(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    at = _ae_page(monkeypatch, db, _subject(db))
    at.button(key="aes_save_button").click().run()
    assert "Outcome is required" in _errors(at)
    at.selectbox(key="ae_outcome").set_value("recovered").run()
    assert "Outcome is required" not in _errors(at)
    assert "Onset date is required" in _errors(at)


def test_leaving_and_coming_back_keeps_the_form_and_its_messages_together(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    """Item 8: leaving the page emptied the form but kept the old errors and preview."""
    subject = _subject(db)
    at = _fill(_ae_page(monkeypatch, db, subject))
    at.selectbox(key="ae_outcome").set_value("fatal").run()
    at.button(key="aes_save_button").click().run()
    before = _errors(at)
    assert before and not at.success
    at.switch_page(page_path("visits.py")).run()
    at.switch_page(PAGE).run()
    assert at.selectbox(key="ae_outcome").value == "fatal"
    assert at.text_area(key="ae_verbatim").value == VERBATIM
    assert _errors(at) == before


@pytest.fixture(scope="module")
def meddra_template(template_db: Database, tmp_path_factory: pytest.TempPathFactory) -> Database:
    """The template with the synthetic MedDRA-layout dictionary and the RSI lists loaded."""
    root = tmp_path_factory.mktemp("ae-meddra")
    loaded = clone_db(template_db, root / "db")
    seed_reference_safety(system_session(loaded, "test"))
    load_fixture(loaded, root / "meddra")
    return loaded


@pytest.fixture
def meddra_db(meddra_template: Database, tmp_path: Path) -> Database:
    return clone_db(meddra_template, tmp_path / "db")


def _coded_fill(at: AppTest, query: str, day0: dt.date) -> AppTest:
    at.text_input(key="ae_term_query").input(query).run()
    at.selectbox(key="ae_term").set_value(syn.llt_code(MENINGITIS, 0))
    at.text_area(key="ae_verbatim").input("aseptic meningitis, admitted")
    at.date_input(key="ae_onset").set_value(dt.date(2021, 6, 10))
    at.date_input(key="ae_aware_date").set_value(day0)
    return _hospitalised(at, "recovering")


@pytest.mark.parametrize(
    ("lang", "query", "unexpected", "clock"),
    [
        ("en", "asep men", "Unexpected for this product", "due 15 calendar days after day 0"),
        ("ru", "асепт", "Непредвиденное для этого препарата", "в течение 15 календарных дней"),
    ],
)
def test_llt_search_codes_the_event_with_day0_and_its_clock(
    monkeypatch: pytest.MonkeyPatch,
    meddra_db: Database,
    lang: str,
    query: str,
    unexpected: str,
    clock: str,
) -> None:
    subject = _subject(meddra_db)
    at = _ae_page(monkeypatch, meddra_db, subject, lang=lang)
    assert at.selectbox(key="ae_term").options == []  # nothing until the user searches
    at = _coded_fill(at, query, dt.date(2021, 6, 11))
    options = at.selectbox(key="ae_term").options
    assert options[0].startswith("Aseptic meningitis" if lang == "en" else "Асептический")
    assert not any("obsolete" in o or "устаревший" in o for o in options)
    captions = " ".join(c.value for c in at.caption)
    assert "→ PT " in captions and "MedDRA 90.0" in captions and unexpected in captions
    assert clock in " ".join(w.value for w in at.warning)
    at.button(key="aes_save_button").click().run()
    assert not at.exception and not at.error and at.success
    (event,) = _stored_events(meddra_db, subject)[1:]
    assert event["coded_term"] == f"PT:{syn.pt_code(MENINGITIS):08d}"
    assert str(event["body_system"]).startswith("SOC:")
    with meddra_db.connect(read_only=True) as conn:
        coded = conn.execute(
            "SELECT llt_code, meddra_version FROM ae_meddra WHERE ae_id = ?", [event["ae_id"]]
        ).fetchall()
        aware = conn.execute(
            "SELECT aware_date FROM ae_awareness WHERE ae_id = ?", [event["ae_id"]]
        ).fetchall()
    assert coded == [(syn.llt_code(MENINGITIS, 0), syn.VERSION)]
    assert aware == [(dt.date(2021, 6, 11),)]  # as entered: day 0 is not shifted
    assert event["onset_date"] != dt.date(2021, 6, 10)  # the onset is
    listed = " ".join(str(cell) for table in at.table for cell in table.value.to_numpy().ravel())
    assert ("Aseptic meningitis" if lang == "en" else "Асептический") in listed
    assert "PT:" not in listed  # the recorded list names the coded term, never its code


def test_day0_before_onset_is_refused_under_its_field(
    monkeypatch: pytest.MonkeyPatch, meddra_db: Database
) -> None:
    subject = _subject(meddra_db)
    at = _coded_fill(_ae_page(monkeypatch, meddra_db, subject), "asep", dt.date(2021, 6, 9))
    at.button(key="aes_save_button").click().run()
    assert any(
        e.startswith("Date the site first knew of the event (day 0)") and "before the onset" in e
        for e in _errors(at)
    )
    assert len(_stored_events(meddra_db, subject)) == 1  # nothing saved
    at.date_input(key="ae_aware_date").set_value(None).run()
    at.button(key="aes_save_button").click().run()
    assert "Date the site first knew of the event (day 0) is required" in _errors(at)


def test_recorded_events_are_listed_in_the_users_language(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    subject = _subject(db)
    (first,) = _stored_events(db, subject)
    at = _ae_page(monkeypatch, db, subject, lang="ru")
    listed = at.table[0].value
    assert len(listed) == 1 and "Уже зарегистрированные нежелательные явления (1)" in [
        e.label for e in at.expander
    ]
    from schemas import load_reference

    assert listed["Термин"].tolist() == [
        load_reference().ae_terms.at[first["coded_term"], "term_ru"]
    ]
    real_onset = first["onset_date"] - dt.timedelta(subject.date_shift_days)
    assert listed["Начало"].tolist() == [real_onset.strftime("%d.%m.%Y")]
    at = _fill(_ae_page(monkeypatch, db, subject))
    at.button(key="aes_save_button").click().run()
    listed = at.table[0].value
    assert listed["Onset"].tolist()[0] == "2021-06-10" and len(listed) == 2  # newest first
