"""The subject page headless: lookup, new-case wizard, errors in place, no local id on disk."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from anonymise import pseudonymise
from tests.app_helpers import page_path, signed_in
from tests.warehouse_fixtures import make_demo
from warehouse.store.access import Session
from warehouse.store.cases import load_case
from warehouse.store.db import Database
from warehouse.ui.navigation import pages_for

SIGNED = dt.date(2025, 3, 1)
INDEX = dt.date(2025, 3, 3)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("subject-demo")
    return Path(make_demo(root, subjects=10, seed=11).path)


def _db(path: Path) -> Database:
    return Database(path, key_dir=path.parent / "keys")


def subject_page(monkeypatch: pytest.MonkeyPatch, db: Path, user: str = "msk_neuro") -> AppTest:
    at = signed_in(monkeypatch, db, user)
    at.switch_page(page_path("subject.py")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def look_up(at: AppTest, local_id: str) -> AppTest:
    """Type a local id and press the lookup form's button."""
    at.text_input(key="subject_local_id").input(local_id)
    next(b for b in at.button if str(b.key).startswith("FormSubmitter:subject_lookup")).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def go(at: AppTest) -> AppTest:
    at.button(key="cw_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def fill_consent(at: AppTest, processing: bool = True) -> None:
    if processing:
        at.checkbox(key="cw_processing").check()
    at.checkbox(key="cw_pooled_research").check()
    at.radio(key="cw_signed_by").set_value("legal_representative")
    at.date_input(key="cw_signed_date").set_value(SIGNED)


def fill_demographics(at: AppTest, onset: float = 2.0) -> None:
    at.selectbox(key="cw_sex").set_value("female")
    at.number_input(key="cw_birth_year").set_value(2024)
    at.number_input(key="cw_age_at_onset_months").set_value(onset)
    at.date_input(key="cw_index_date").set_value(INDEX)
    at.number_input(key="cw_age_at_index_months").set_value(14.0)


def fill_diagnosis(at: AppTest, subtype: str = "1b") -> None:
    at.selectbox(key="cw_disease_subtype").set_value(subtype)
    at.selectbox(key="cw_gen_smn1_status").set_value("homozygous_deletion")
    at.selectbox(key="cw_gen_smn2_copies").set_value("2")


def fill_baseline(at: AppTest) -> None:
    at.selectbox(key="cw_scale").set_value("CHOP-INTEND")
    at.number_input(key="cw_score").set_value(32.0)
    at.selectbox(key="cw_ventilation").set_value("niv").run()
    at.number_input(key="cw_niv_hours_per_day").set_value(10.0)
    at.selectbox(key="cw_feeding").set_value("oral")
    at.selectbox(key="cw_motor_function").set_value("non_sitter")


def complete_wizard(at: AppTest, onset: float = 2.0, subtype: str = "1b") -> AppTest:
    fill_consent(at)
    go(at)
    fill_demographics(at, onset)
    go(at)
    fill_diagnosis(at, subtype)
    go(at)
    fill_baseline(at)
    return go(at)


def wizard_values(at: AppTest) -> dict[str, Any]:
    return dict(at.session_state["subject_wizard"]["values"])


# --- access and empty state ----------------------------------------------------------


def test_site_user_gets_the_page_with_an_empty_state(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = subject_page(monkeypatch, demo_db)
    assert at.title[0].value == "Subject lookup and new case"
    assert "No subject is open" in at.info[0].value
    assert not at.error


def test_page_in_russian(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    at = signed_in(monkeypatch, demo_db, "msk_neuro", lang="ru")
    at.switch_page(page_path("subject.py")).run()
    assert not at.exception
    assert at.title[0].value == "Поиск пациента и новый случай"
    look_up(at, "RU-NEW-1")
    assert at.checkbox(key="cw_processing").label.startswith("Согласие на обработку")


@pytest.mark.parametrize("user", ["monitor", "admin"])
def test_monitor_and_admin_do_not_get_the_page(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path, user: str
) -> None:
    assert "subject.py" not in {p.script for p in pages_for(user)}
    at = signed_in(monkeypatch, demo_db, user)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page_path("subject.py"))


def test_coordinator_chooses_the_centre(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    at = subject_page(monkeypatch, demo_db, "coordinator")
    at.selectbox(key="subject_site").set_value("PRM").run()
    look_up(at, "COORD-NEW-1")
    assert any("(centre PRM)" in m.value for m in at.markdown)
    assert at.checkbox(key="cw_processing") is not None


# --- new case --------------------------------------------------------------------------


def test_complete_new_case_saves_and_appears(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = look_up(subject_page(monkeypatch, demo_db), "NEW-CASE-001")
    assert any("new subject, not saved yet" in m.value for m in at.markdown)
    complete_wizard(at)
    assert not at.error, [e.value for e in at.error]
    db = _db(demo_db)
    p = pseudonymise(db.keys.site_key("MSK"), "MSK", "NEW-CASE-001")
    message = at.success[0].value
    assert p.subject_id in message and "Consent: 1" in message and "Assessments: 1" in message
    assert any("registered subject" in m.value for m in at.markdown)
    case = load_case(Session(db, "msk_neuro", "site_user", "MSK"), p.subject_id)
    shift = dt.timedelta(days=p.date_shift_days)
    assert case.consents[0]["signed_date"] == SIGNED + shift
    assert case.subject["index_date"] == INDEX + shift
    assert case.subject["disease_subtype"] == "1b"
    assert case.assessments[0]["niv_hours_per_day"] == 10.0
    # the summary of the saved subject, in real dates
    consent = at.table[0].value
    assert SIGNED.isoformat() in consent.to_string()
    assert {m.label: m.value for m in at.metric}["Assessments"] == "1"
    # looking the same id up again opens the registered subject
    look_up(at, "new-case-001")
    assert any("registered subject" in m.value for m in at.markdown)
    assert "5q spinal muscular atrophy" in at.table[1].value.to_string()


def test_no_processing_consent_is_refused_in_place(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = look_up(subject_page(monkeypatch, demo_db), "NO-CONSENT-1")
    fill_consent(at, processing=False)
    go(at)
    assert "Step 1 of 4" in at.get("progress")[0].proto.text
    assert any("consent to data processing is required" in e.value for e in at.error)
    assert at.checkbox(key="cw_pooled_research").value is True
    assert at.radio(key="cw_signed_by").value == "legal_representative"
    assert at.date_input(key="cw_signed_date").value == SIGNED


def test_onset_not_fitting_subtype_is_fixed_where_both_fields_are(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    """Item 6 of the first-day report: subtype 3b with onset at 2 months sent the user back
    to step 2, where the subtype cannot be changed. The problem now stays on step 3 with
    the age at onset repeated there; everything typed is kept."""
    at = look_up(subject_page(monkeypatch, demo_db), "BAD-ONSET-1")
    fill_consent(at)
    go(at)
    fill_demographics(at, onset=2.0)
    go(at)
    fill_diagnosis(at, subtype="3b")
    go(at)
    assert "Step 3 of 4" in at.get("progress")[0].proto.text
    assert [e.value for e in at.error] == [
        "Age at onset of symptoms, months: age at onset does not fit the disease subtype"
    ]
    assert at.number_input(key="cw_age_at_onset_months").value == 2.0  # repeated on step 3
    assert at.selectbox(key="cw_disease_subtype").value == "3b"
    values = wizard_values(at)
    assert values["processing"] is True and values["signed_date"] == SIGNED
    assert values["genetics"] == {"smn1_status": "homozygous_deletion", "smn2_copies": "2"}
    # changing the subtype here clears the message at once and Next goes on
    at.selectbox(key="cw_disease_subtype").set_value("1b").run()
    assert not at.error
    go(at)
    assert "Step 4 of 4" in at.get("progress")[0].proto.text


def test_onset_can_be_changed_on_the_step_that_shows_the_problem(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = look_up(subject_page(monkeypatch, demo_db), "BAD-ONSET-2")
    fill_consent(at)
    go(at)
    fill_demographics(at, onset=12.0)
    go(at)
    fill_diagnosis(at, subtype="1a")
    go(at)
    assert "Step 3 of 4" in at.get("progress")[0].proto.text
    at.number_input(key="cw_age_at_onset_months").set_value(0.5).run()
    assert not at.error
    go(at)
    assert "Step 4 of 4" in at.get("progress")[0].proto.text
    assert wizard_values(at)["age_at_onset_months"] == 0.5


def test_consent_date_after_today_is_refused_not_replaced(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = look_up(subject_page(monkeypatch, demo_db), "FUTURE-1")
    fill_consent(at)
    tomorrow = dt.date.today() + dt.timedelta(days=100)
    at.date_input(key="cw_signed_date").set_value(tomorrow)
    go(at)
    assert "Step 1 of 4" in at.get("progress")[0].proto.text
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Date of signing: ")
    assert tomorrow.isoformat() in errors[0] and "after today" in errors[0]
    assert at.date_input(key="cw_signed_date").value == tomorrow  # kept, not replaced by today


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cw_birth_year", 2099, "Year of birth: birth year is in the future"),
        (
            "cw_age_at_onset_months",
            5000.0,
            "Age at onset of symptoms, months: must be at most 1200",
        ),
    ],
)
def test_out_of_range_number_says_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path, field: str, value: float, message: str
) -> None:
    at = look_up(subject_page(monkeypatch, demo_db), "RANGE-1")
    fill_consent(at)
    go(at)
    fill_demographics(at)
    at.number_input(key=field).set_value(value)
    go(at)
    errors = [e.value for e in at.error]
    assert any(e.startswith(message) for e in errors), errors
    assert not any("is required" in e for e in errors)


def test_chop_intend_out_of_range_names_scale_range_and_value(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = look_up(subject_page(monkeypatch, demo_db), "RANGE-2")
    fill_consent(at)
    go(at)
    fill_demographics(at)
    go(at)
    fill_diagnosis(at)
    go(at)
    fill_baseline(at)
    at.number_input(key="cw_score").set_value(70.0)
    go(at)
    assert [e.value for e in at.error] == ["Score: CHOP INTEND is 0–64; 70 is out of range"]


def test_fixed_field_loses_its_error_before_the_next_click(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = look_up(subject_page(monkeypatch, demo_db), "STALE-1")
    at.checkbox(key="cw_processing").check()
    go(at)
    assert "Consent signed by is required" in [e.value for e in at.error]
    at.radio(key="cw_signed_by").set_value("legal_representative").run()
    assert "Consent signed by is required" not in [e.value for e in at.error]


def test_missing_fields_are_named_and_nothing_is_saved(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = look_up(subject_page(monkeypatch, demo_db), "MISSING-1")
    go(at)
    assert [e.value for e in at.error].count("Consent signed by is required") == 1
    assert any("consent to data processing" in e.value for e in at.error)
    db = _db(demo_db)
    p = pseudonymise(db.keys.site_key("MSK"), "MSK", "MISSING-1")
    with db.connect(read_only=True) as conn:
        found = conn.execute("SELECT count(*) FROM subjects WHERE subject_id = ?", [p.subject_id])
        assert found.fetchall()[0][0] == 0


def test_existing_demo_subject_shows_its_summary(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = look_up(subject_page(monkeypatch, demo_db), "DEMO-MSK-00000")
    assert any("registered subject" in m.value for m in at.markdown)
    assert at.table[0].value.shape[0] >= 5
    counts = {m.label: int(m.value) for m in at.metric}
    assert counts["Treatments"] >= 1
    assert at.dataframe[0].value.shape[0] == counts["Treatments"]


def test_empty_local_id_gets_a_message(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    at = look_up(subject_page(monkeypatch, demo_db), "   ")
    assert [e.value for e in at.error] == ["Enter the local patient id first."]


# --- the local id never reaches the disk -----------------------------------------------


def test_local_id_is_never_stored(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    local_id = "ZQX-LOCAL-778899"
    at = look_up(subject_page(monkeypatch, demo_db), local_id)
    assert at.session_state["subject_local_id"] == ""  # the form cleared it
    complete_wizard(at)
    assert at.success
    db = _db(demo_db)
    with db.connect(read_only=True) as conn:
        audit = conn.execute("SELECT * FROM audit_log").fetchall()
    assert local_id not in repr(audit)
    files = [demo_db, *demo_db.parent.glob("*.wal"), *(demo_db.parent / "keys").glob("*")]
    for path in files:
        data = path.read_bytes()
        for form in (local_id, local_id.lower(), local_id.replace("-", "")):
            assert form.encode() not in data, path.name
            assert form.encode("utf-16-le") not in data, path.name
    shown = [m.value for m in at.markdown] + [s.value for s in at.success]
    assert not any(local_id in text for text in shown)
