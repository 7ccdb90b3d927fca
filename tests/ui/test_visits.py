"""The visits page run headless with AppTest: record scores and labs of the open subject."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_helpers import open_page, page_path, signed_in
from tests.warehouse_fixtures import clone_db, make_demo_with_case, site_user
from warehouse.capture.subjects_lookup import OpenSubject, open_subject
from warehouse.store.access import Session
from warehouse.store.cases import load_case
from warehouse.store.db import Database

LOCAL_ID = "VISITS-PAGE-0042"
PAGE_SCRIPT = "visits.py"
PAGE = page_path(PAGE_SCRIPT)


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    """Demo accounts and sites, plus one SMA subject treated with Spinraza."""
    return make_demo_with_case(tmp_path_factory.mktemp("visits-template"), LOCAL_ID, seed=3)


@pytest.fixture
def db(template_db: Database, tmp_path: Path) -> Database:
    return clone_db(template_db, tmp_path / "db")


def _subject(db: Database) -> OpenSubject:
    return open_subject(site_user(db, "MSK"), LOCAL_ID)


def _visits_page(
    monkeypatch: pytest.MonkeyPatch, db: Database, subject: OpenSubject | None, lang: str = "en"
) -> AppTest:
    return open_page(monkeypatch, Path(db.path), PAGE_SCRIPT, lang=lang, subject=subject)


def _texts(elements: object) -> list[str]:
    return [e.value for e in elements]  # type: ignore[attr-defined]


def test_renders_for_site_user_with_chart_and_history(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    at = _visits_page(monkeypatch, db, _subject(db))
    assert at.title[0].value == "Visits, assessments and labs"
    assert at.multiselect(key="visit_scales").options == [
        "CHOP INTEND",
        "Hammersmith Functional Motor Scale Expanded",
        "Revised Upper Limb Module",
        "HINE section 2 (motor milestones)",
        "6-minute walk test",
    ]
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    spec = json.loads(charts[0].proto.spec)
    assert spec["facet"]["row"]["field"] == "scale"
    assert any(layer["mark"].get("shape") == "diamond" for layer in spec["spec"]["layer"])
    history = at.dataframe[0].value
    assert history["Scale"].tolist() == ["CHOP INTEND"]  # the scale's name, not its code
    assert history["Baseline"].tolist() == ["yes"]
    assert history["Visit date"].tolist() == ["2021-06-01"]  # the real date, not the shifted
    x_axis = spec["spec"]["layer"][0]["encoding"]["x"]
    assert x_axis["axis"]["format"] == "%Y-%m-%d"  # day, month and year on every tick
    assert at.dataframe[1].value["Test"].tolist() == ["Platelets"]  # the test's name, not its code
    assert not at.error


def test_russian_labels(monkeypatch: pytest.MonkeyPatch, db: Database) -> None:
    at = _visits_page(monkeypatch, db, _subject(db), lang="ru")
    assert at.title[0].value == "Визиты, оценки и анализы"
    assert at.date_input(key="visit_date").label == "Дата визита"
    assert at.button(key="visits_save_button").label == "Сохранить визит"


def test_without_open_subject_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    at = _visits_page(monkeypatch, db, None)
    assert len(at.info) == 1 and "Subject page" in at.info[0].value
    assert not at.date_input


def test_new_unsaved_subject_points_to_the_subject_page(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    fresh = open_subject(site_user(db, "MSK"), "NOT-YET-SAVED-1")
    assert not fresh.exists
    at = _visits_page(monkeypatch, db, fresh)
    assert "not been saved yet" in at.info[0].value


@pytest.mark.parametrize("username", ["monitor", "admin", "coordinator"])
def test_other_roles_do_not_get_the_page(
    monkeypatch: pytest.MonkeyPatch, db: Database, username: str
) -> None:
    at = signed_in(monkeypatch, Path(db.path), username)
    with pytest.raises(Exception):  # noqa: B017 - AppTest refuses a page not in the navigation
        at.switch_page(PAGE).run()
        assert not at.date_input(key="visit_date")


def _fill_valid_visit(at: AppTest) -> AppTest:
    at.date_input(key="visit_date").set_value(dt.date(2022, 3, 14))
    at.multiselect(key="visit_scales").set_value(["HFMSE", "RULM"]).run()
    at.number_input(key="visit_score_HFMSE").set_value(35)
    at.number_input(key="visit_score_RULM").set_value(20)
    at.selectbox(key="visit_ventilation").set_value("niv").run()
    at.number_input(key="visit_niv_hours").set_value(10.0)
    at.selectbox(key="visit_feeding").set_value("oral")
    at.selectbox(key="visit_motor_function").set_value("sitter")
    at.multiselect(key="visit_tests").set_value(["ALT"]).run()
    at.number_input(key="visit_lab_ALT_value").set_value(31.0)
    return at.run()


def test_valid_visit_saves_and_says_what(monkeypatch: pytest.MonkeyPatch, db: Database) -> None:
    subject = _subject(db)
    at = _fill_valid_visit(_visits_page(monkeypatch, db, subject))
    assert at.number_input(key="visit_lab_ALT_lower").value == 0
    assert at.number_input(key="visit_lab_ALT_upper").value == 40
    at.button(key="visits_save_button").click().run()
    assert not at.exception and not at.error
    assert _texts(at.success) == [
        f"Visit of 2022-03-14 saved for subject {subject.subject_id}: "
        "scales — HFMSE 35, RULM 20; labs — ALT 31 U/L."
    ]
    case = load_case(site_user(db, "MSK"), subject.subject_id)
    saved = {a["scale"]: a for a in case.assessments}
    assert saved["HFMSE"]["score"] == 35 and saved["RULM"]["niv_hours_per_day"] == 10
    shifted = dt.date(2022, 3, 14) + dt.timedelta(days=subject.date_shift_days)
    assert saved["HFMSE"]["visit_date"] == shifted
    assert {(lab["test"], lab["value"], lab["unit"]) for lab in case.labs} >= {("ALT", 31, "U/L")}
    # the form is cleared for the next visit; the history shows the new scores
    assert at.multiselect(key="visit_scales").value == []
    assert set(at.dataframe[0].value["Scale"]) == {
        "CHOP INTEND",
        "Hammersmith Functional Motor Scale Expanded",
        "Revised Upper Limb Module",
    }


def _stored_rows(session: Session, subject_id: str) -> int:
    case = load_case(session, subject_id)
    return len(case.assessments) + len(case.labs)


def test_invalid_visit_shows_problems_by_the_fields_and_keeps_inputs(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    subject = _subject(db)
    before = _stored_rows(site_user(db, "MSK"), subject.subject_id)
    at = _fill_valid_visit(_visits_page(monkeypatch, db, subject))
    at.number_input(key="visit_score_RULM").set_value(None)  # a chosen scale without a score
    at.number_input(key="visit_lab_ALT_lower").set_value(50.0)  # range upside down
    at.button(key="visits_save_button").click().run()
    assert not at.exception and not at.success
    errors = _texts(at.error)
    assert errors[0] == "Revised Upper Limb Module is required"  # under the RULM score input
    assert any(e.endswith(": upper normal limit is not above the lower limit") for e in errors)
    assert any("not saved: 2 problem(s)" in e for e in errors)
    # nothing stored, nothing typed lost
    assert _stored_rows(site_user(db, "MSK"), subject.subject_id) == before
    assert at.date_input(key="visit_date").value == dt.date(2022, 3, 14)
    assert at.multiselect(key="visit_scales").value == ["HFMSE", "RULM"]
    assert at.number_input(key="visit_score_HFMSE").value == 35
    assert at.selectbox(key="visit_ventilation").value == "niv"
    assert at.number_input(key="visit_niv_hours").value == 10.0
    assert at.number_input(key="visit_lab_ALT_value").value == 31.0
    assert at.number_input(key="visit_lab_ALT_lower").value == 50.0


def test_niv_without_hours_is_flagged_at_the_hours_field(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    at = _fill_valid_visit(_visits_page(monkeypatch, db, _subject(db)))
    at.number_input(key="visit_niv_hours").set_value(None)
    at.button(key="visits_save_button").click().run()
    assert not at.success
    assert "only (and always) with non-invasive ventilation" in at.error[0].value


def test_empty_visit_asks_for_a_scale_or_test(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    at = _visits_page(monkeypatch, db, _subject(db))
    at.button(key="visits_save_button").click().run()
    assert not at.exception and not at.success
    assert "choose at least one scale or lab test" in at.warning[0].value


def test_visit_date_after_today_is_refused_and_kept(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    """Item 1: a visit date after today showed "outside allowed range" and today was saved."""
    subject = _subject(db)
    before = _stored_rows(site_user(db, "MSK"), subject.subject_id)
    at = _fill_valid_visit(_visits_page(monkeypatch, db, subject))
    later = dt.date.today() + dt.timedelta(days=30)
    at.date_input(key="visit_date").set_value(later)
    at.button(key="visits_save_button").click().run()
    errors = _texts(at.error)
    assert errors[0].startswith("Visit date: ") and "after today" in errors[0], errors
    assert at.date_input(key="visit_date").value == later
    assert _stored_rows(site_user(db, "MSK"), subject.subject_id) == before


def test_score_above_the_scale_names_the_range(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    """Item 7: an out-of-range score said "is required" while the value was visibly typed."""
    at = _fill_valid_visit(_visits_page(monkeypatch, db, _subject(db)))
    at.number_input(key="visit_score_RULM").set_value(40)
    at.button(key="visits_save_button").click().run()
    errors = _texts(at.error)
    assert "Revised Upper Limb Module is 0–37; 40 is out of range" in errors
    assert not any("is required" in e for e in errors)
