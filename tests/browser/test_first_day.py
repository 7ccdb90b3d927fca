"""The first-day report, walked in a real Chromium: what a new site neurologist typed is
what is stored, and no step is a dead end (items 1, 2, 6 and 9), in Russian and English;
a Russian page shows none of Streamlit's English widget texts.

Subjects these tests need on the served demo are registered straight into its database
(by the warehouse, as the app would), so each test starts on the page it is about.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from schemas.common import REF
from schemas.labels import text
from tests.browser.wizard import (
    TIMEOUT,
    english_widget_texts,
    fill_consent,
    fill_demographics,
    fill_diagnosis,
    next_step,
    primary_button,
    settle,
    step_text,
    type_date,
)
from tests.conftest import choose_option, fill_number, sign_in_browser
from warehouse.capture.case_entry import build_case, default_values
from warehouse.capture.subjects_lookup import open_subject
from warehouse.store.access import Session
from warehouse.store.cases import load_case, save_case
from warehouse.store.db import Database

pytestmark = pytest.mark.browser


def _db(path: Path) -> Database:
    return Database(path, key_dir=path.parent / "keys", busy_timeout=30.0)


def _register(db_path: Path, local_id: str) -> str:
    """A saved SMA type 1b case without treatments, as the wizard would store it."""
    session = Session(_db(db_path), "msk_neuro", "site_user", "MSK")
    subject = open_subject(session, local_id)
    values = default_values(dt.date.today() - dt.timedelta(days=60))
    values.update(
        processing=True,
        signed_by="legal_representative",
        sex="female",
        birth_year=dt.date.today().year - 1,
        age_at_onset_months=2.0,
        age_at_index_months=10.0,
        disease_subtype="1b",
        genetics={"smn1_status": "homozygous_deletion", "smn2_copies": "2"},
    )
    save_case(session, build_case(subject, values, "msk_neuro", dt.datetime.now()))
    return subject.subject_id


def _case(db_path: Path, subject_id: str) -> Any:
    return load_case(Session(_db(db_path), "msk_neuro", "site_user", "MSK"), subject_id)


def _open(page: Any, local_id: str, lang: str = "en") -> None:
    page.get_by_role("link", name=text("page_subject", lang), exact=True).first.click()
    page.get_by_label(text("subject_local_id", lang), exact=True).fill(local_id)
    page.get_by_role("button", name=text("subject_open", lang)).click()
    status = text("subject_is_new", lang) + "|" + text("subject_known", lang)
    page.get_by_text(re.compile(status)).first.wait_for(state="visible", timeout=TIMEOUT)


def _no_exception(page: Any) -> None:
    assert page.get_by_test_id("stException").count() == 0


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_a_rule_spanning_two_wizard_steps_is_no_dead_end(
    app_url: str, browser_page: Any, lang: str
) -> None:
    """Item 6: subtype 3b with onset at 2 months sent the user back to step 2, where the
    subtype cannot be changed, and Next never reached step 3 again."""
    page = browser_page
    sign_in_browser(page, app_url, "msk_neuro", lang=lang)
    _open(page, f"FIRSTDAY-WIZ-{lang}", lang)
    page.get_by_text(step_text(1, lang)).wait_for(state="visible", timeout=TIMEOUT)
    fill_consent(page, lang)
    next_step(page, 2, lang)
    fill_demographics(page, dt.date.today().year - 1, onset="2", lang=lang)
    next_step(page, 3, lang)
    fill_diagnosis(page, subtype="3b", lang=lang)
    settle(page)
    primary_button(page, text("subject_next", lang)).click()
    onset = text("subject_f_age_at_onset_months", lang)
    message = page.get_by_text(f"{onset}: ", exact=False).first
    message.wait_for(state="visible", timeout=TIMEOUT)
    assert page.get_by_text(step_text(3, lang)).is_visible()  # still on the diagnosis step
    assert page.get_by_label(onset, exact=True).is_visible()  # the onset, repeated here
    if lang == "ru":
        # open a list and filter it to nothing: Streamlit's "No results" must be in Russian
        page.get_by_label(text("subject_f_disease_subtype", lang), exact=True).click()
        page.keyboard.type("qqqq")
        page.wait_for_timeout(800)
        assert english_widget_texts(page) == []
        page.keyboard.press("Escape")
    name = getattr(REF.diseases["SMA5Q"].subtypes["1b"], f"name_{lang}")
    choose_option(page, text("subject_f_disease_subtype", lang), name)
    next_step(page, 4, lang)
    _no_exception(page)
    if lang == "ru":
        assert english_widget_texts(page) == []


def test_a_consent_date_after_today_is_refused_not_replaced(
    app_url: str, browser_page: Any
) -> None:
    """Item 1: a future date showed "outside allowed range" and today was stored."""
    page = browser_page
    sign_in_browser(page, app_url, "msk_neuro")
    _open(page, "FIRSTDAY-FUTURE-1")
    page.get_by_text(step_text(1)).wait_for(state="visible", timeout=TIMEOUT)
    fill_consent(page)
    later = dt.date.today() + dt.timedelta(days=98)
    type_date(page, "Date of signing", later)
    settle(page)
    primary_button(page, "Next").click()
    error = page.get_by_text(f"Date of signing: {later.isoformat()} is after today")
    error.wait_for(state="visible", timeout=TIMEOUT)
    assert page.get_by_text(step_text(1)).is_visible()
    year = page.get_by_role("spinbutton", name="year, Date of signing")
    assert year.get_attribute("aria-valuetext") == str(later.year)  # kept as typed
    _no_exception(page)


def test_future_loading_doses_start_unticked_and_are_not_stored(
    app_url: str, browser_page: Any, browser_demo_db: Path
) -> None:
    """Item 2: all four proposed Spinraza loading doses were pre-ticked and doses on days
    28 and 63, still in the future, were stored as given."""
    sid = _register(browser_demo_db, "FIRSTDAY-DOSES-1")
    page = browser_page
    sign_in_browser(page, app_url, "msk_neuro")
    _open(page, "FIRSTDAY-DOSES-1")
    page.get_by_role("link", name="Treatments", exact=True).first.click()
    page.get_by_text("No treatment recorded yet").first.wait_for(state="visible", timeout=TIMEOUT)
    choose_option(page, "Product", "Spinraza (nusinersen)")
    first = dt.date.today() - dt.timedelta(days=20)
    type_date(page, "First date to record", first)
    page.get_by_text("Loading dose 4").wait_for(state="visible", timeout=TIMEOUT)
    settle(page)
    given = page.get_by_role("checkbox", name="Given")
    assert [given.nth(i).is_checked() for i in range(4)] == [True, True, False, False]
    lots = page.get_by_label("Lot number", exact=True)
    for i, lot in enumerate(("SPN-A1", "SPN-B2")):
        lots.nth(i).fill(lot)
        lots.nth(i).press("Enter")
        settle(page)
    page.get_by_role("button", name="Save treatment").click()
    page.get_by_text("Saved 2 dose(s) of Spinraza").wait_for(state="visible", timeout=TIMEOUT)
    case = _case(browser_demo_db, sid)
    shift = open_subject(
        Session(_db(browser_demo_db), "msk_neuro", "site_user", "MSK"), "FIRSTDAY-DOSES-1"
    ).date_shift_days
    days = sorted(
        pd.Timestamp(t["start_date"]).date() - dt.timedelta(days=shift) for t in case.treatments
    )
    assert days == [first, first + dt.timedelta(days=14)]
    assert sorted(t["lot"] for t in case.treatments) == ["SPN-A1", "SPN-B2"]  # item 3
    _no_exception(page)


def test_a_typed_end_date_can_be_taken_back(
    app_url: str, browser_page: Any, browser_demo_db: Path
) -> None:
    """Item 9: an AE end date, once typed, could not be cleared (Backspace put it back)."""
    sid = _register(browser_demo_db, "FIRSTDAY-AE-1")
    page = browser_page
    sign_in_browser(page, app_url, "msk_neuro")
    _open(page, "FIRSTDAY-AE-1")
    page.get_by_role("link", name="Adverse events", exact=True).first.click()
    page.get_by_text("Adverse event report").first.wait_for(state="visible", timeout=TIMEOUT)
    choose_option(page, "Adverse event term", "Headache")
    verbatim = page.get_by_label("Verbatim term (as reported)", exact=True)
    verbatim.fill("Головная боль, мама Петрова звонила с +7 912 345-67-89")
    verbatim.press("Control+Enter")
    type_date(page, "Onset date", dt.date.today() - dt.timedelta(days=3))
    ongoing = page.get_by_role("checkbox", name="Ongoing (no end date yet)")
    page.get_by_text("Ongoing (no end date yet)").click()
    settle(page)
    assert not ongoing.is_checked()
    type_date(page, "End date", dt.date.today() - dt.timedelta(days=1))  # the mistyped end
    page.get_by_text("Ongoing (no end date yet)").click()  # ... taken back
    settle(page)
    assert ongoing.is_checked()
    assert page.get_by_role("spinbutton", name="year, End date").is_disabled()
    choose_option(page, "CTCAE grade", "Grade 2 - moderate")
    choose_option(page, "Action taken with the product", "Unknown")
    choose_option(page, "Outcome", "Not recovered / not resolved")
    settle(page)
    page.get_by_role("button", name="Save adverse event").click()
    page.get_by_text(f"Adverse event saved for subject {sid}").wait_for(
        state="visible", timeout=TIMEOUT
    )
    events = _case(browser_demo_db, sid).adverse_events
    assert len(events) == 1 and events[0]["end_date"] is None
    assert "Петрова" not in str(events[0]["verbatim_term"])
    assert verbatim.input_value() == ""  # item 11: nothing unscrubbed left in the box
    _no_exception(page)


def test_number_out_of_range_says_why_next_to_it(app_url: str, browser_page: Any) -> None:
    """Item 7: CHOP INTEND 70 showed "is required" while the value was visibly typed."""
    page = browser_page
    sign_in_browser(page, app_url, "msk_neuro")
    _open(page, "FIRSTDAY-RANGE-1")
    page.get_by_text(step_text(1)).wait_for(state="visible", timeout=TIMEOUT)
    fill_consent(page)
    next_step(page, 2)
    fill_demographics(page, dt.date.today().year - 1)
    next_step(page, 3)
    fill_diagnosis(page)
    next_step(page, 4)
    choose_option(page, "Scale", "CHOP INTEND")
    fill_number(page, "Score", "70")
    settle(page)
    page.get_by_role("button", name="Save new case").click()
    page.get_by_text("Score: CHOP INTEND is 0–64; 70 is out of range").wait_for(
        state="visible", timeout=TIMEOUT
    )
    assert page.get_by_text("is required").count() == 0
