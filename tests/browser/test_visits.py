"""A site neurologist records a visit in a real Chromium and sees the score chart.

The subject is a demo subject of the signed-in centre, opened on the Subject page
by its local id; the first scale offered for its disease is scored 5 (inside every
scale's range), saved, and the chart and the history table show it.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.browser import SCREENSHOTS
from tests.conftest import sign_in_browser

pytestmark = pytest.mark.browser

SCREENSHOT = SCREENSHOTS / "visits.png"
LOCAL_ID = "DEMO-MSK-00010"  # a demo subject of MSK (demo ids are DEMO-<site>-<n>)
TIMEOUT = 60_000  # two shared cores: be generous


def _open_subject(page: Any) -> None:
    page.get_by_role("link", name="Subject").click()
    page.get_by_label("Local patient id", exact=True).fill(LOCAL_ID)
    page.get_by_role("button", name="Find or start").click()
    page.get_by_text("registered subject").wait_for(state="visible", timeout=TIMEOUT)


def test_record_a_visit_and_see_the_chart(app_url: str, browser_page: Any) -> None:
    page = browser_page
    sign_in_browser(page, app_url, "msk_neuro")
    _open_subject(page)
    page.get_by_role("link", name="Visits and labs").click()
    page.get_by_text("Record a visit").wait_for(state="visible", timeout=TIMEOUT)

    scales = page.get_by_test_id("stMultiSelect").filter(has_text="Scales assessed")
    scales.locator("input").click()
    option = page.get_by_role("option").filter(has_not_text="Select all").first
    scale_name = option.inner_text().strip()
    option.click()
    page.keyboard.press("Escape")
    score = page.get_by_test_id("stNumberInput").filter(has_text=scale_name).locator("input")
    score.fill("5")
    score.press("Enter")
    started = time.monotonic()
    page.get_by_role("button", name="Save visit").click()
    saved = page.get_by_text("saved for subject")
    saved.wait_for(state="visible", timeout=TIMEOUT)
    elapsed = time.monotonic() - started
    assert "scales —" in saved.inner_text() and " 5" in saved.inner_text()

    chart = page.get_by_test_id("stVegaLiteChart").first
    chart.wait_for(state="visible", timeout=TIMEOUT)
    chart.locator("canvas, svg").first.wait_for(state="visible", timeout=TIMEOUT)
    box = chart.bounding_box()
    assert box is not None and box["height"] > 100
    page.get_by_text("Diamond and dashed line: baseline").wait_for(state="visible")
    page.locator("[role=gridcell]", has_text="5").first.wait_for(state="attached", timeout=TIMEOUT)
    assert page.get_by_test_id("stException").count() == 0
    print(f"visit save to confirmation: {elapsed:.2f} s")

    chart.scroll_into_view_if_needed()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
