"""A site neurologist enters a new case in a real Chromium: lookup, four wizard steps, saved.

Afterwards the DuckDB file (and any WAL) is scanned for the typed local id.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser import SCREENSHOTS
from tests.browser.wizard import TIMEOUT, fill_new_case
from tests.conftest import sign_in_browser

pytestmark = pytest.mark.browser

SCREENSHOT = SCREENSHOTS / "new_case.png"
LOCAL_ID = "BRW-QZ-40417"


def test_new_case_in_browser(app_url: str, browser_page: Any, browser_demo_db: Path) -> None:
    page = browser_page
    sign_in_browser(page, app_url, "msk_neuro")
    page.get_by_role("link", name="Subject").click()
    page.get_by_text("Subject lookup and new case").wait_for(state="visible", timeout=TIMEOUT)

    page.get_by_label("Local patient id", exact=True).fill(LOCAL_ID)
    page.get_by_role("button", name="Find or start").click()
    page.get_by_text("Step 1 of 4").wait_for(state="visible", timeout=TIMEOUT)
    assert page.get_by_label("Local patient id", exact=True).input_value() == ""

    fill_new_case(page, birth_year=2024, chop_intend=31)
    started = time.monotonic()
    page.get_by_role("button", name="Save new case").click()
    success = page.get_by_text("New case MSK-")
    success.wait_for(state="visible", timeout=TIMEOUT)
    elapsed = time.monotonic() - started
    assert "saved (Subject: 1, Consent: 1, Assessments: 1)" in success.inner_text()
    page.get_by_text("registered subject").wait_for(state="visible", timeout=TIMEOUT)
    page.get_by_role("button", name="Save new case").wait_for(state="detached", timeout=TIMEOUT)
    page.get_by_role("cell", name="Legal representative").wait_for(state="visible", timeout=TIMEOUT)
    assert page.get_by_test_id("stException").count() == 0
    print(f"save to confirmation: {elapsed:.2f} s")

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    for path in [browser_demo_db, *browser_demo_db.parent.glob("*.wal")]:
        data = path.read_bytes()
        assert LOCAL_ID.encode() not in data and LOCAL_ID.lower().encode() not in data
