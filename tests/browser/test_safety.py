"""The safety dashboard in a real Chromium: the monitor opens it, the Vega charts draw,
and the page is captured to docs/screenshots/safety_dashboard.png.

The shared served demo (tests/conftest.py) has too few subjects for a generic vs
reference comparison (its counts are masked), so this module serves its own
300-subject demo - the size ``make run`` creates - to show the dashboard's answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import SCREENSHOTS
from tests.conftest import serve_app, sign_in_browser
from tests.warehouse_fixtures import make_demo

pytestmark = pytest.mark.browser

SCREENSHOT = SCREENSHOTS / "safety_dashboard.png"
CHART = "[data-testid=stVegaLiteChart]"
DEMO_SUBJECTS = 300


@pytest.fixture(scope="module")
def safety_app_url(
    chromium_path: Path, tmp_path_factory: pytest.TempPathFactory, net_guard_dir: Path
) -> Iterator[str]:
    """``caseguard serve`` on a 300-subject demo database, once healthy."""
    root = tmp_path_factory.mktemp("served-safety")
    db = make_demo(root, subjects=DEMO_SUBJECTS, seed=11)
    with serve_app(Path(db.path), root / "keys", root / "serve.log", net_guard_dir) as url:
        yield url


def test_monitor_sees_the_dashboard_charts_render(safety_app_url: str, browser_page: Any) -> None:
    page = browser_page
    sign_in_browser(page, safety_app_url, "monitor")
    page.get_by_role("link", name="Safety dashboard").click()
    page.get_by_role("heading", name="Safety dashboard").wait_for(state="visible", timeout=30_000)
    headline = page.get_by_text("incidence rate ratio").first
    headline.wait_for(state="visible", timeout=60_000)
    assert "Lantesens" in headline.inner_text() and "95% CI" in headline.inner_text()
    for label in ("Children treated", "Patient-years", "Serious AEs", "Rate ratio"):
        tile = page.get_by_test_id("stMetric").filter(has_text=label)
        tile.first.wait_for(state="visible", timeout=15_000)
    # Vega draws into a canvas (or svg) inside each chart container once rendered
    drawn = page.locator(f"{CHART} canvas, {CHART} svg")
    drawn.first.wait_for(state="visible", timeout=30_000)
    box = drawn.first.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 50
    assert page.get_by_test_id("stException").count() == 0

    # Streamlit scrolls inside its main block, so a tall viewport captures the page
    page.set_viewport_size({"width": 1400, "height": 1800})
    page.wait_for_timeout(1500)  # let the charts redraw at the new size
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_monitor_opens_the_sae_listing(safety_app_url: str, browser_page: Any) -> None:
    page = browser_page
    sign_in_browser(page, safety_app_url, "monitor")
    page.get_by_role("link", name="Safety listings").click()
    page.get_by_role("heading", name="Safety listings").wait_for(state="visible", timeout=30_000)
    page.get_by_text("Open one event").wait_for(state="visible", timeout=30_000)
    page.locator("[role=gridcell]", has_text="BRN").first.wait_for(state="attached", timeout=15_000)
    assert page.get_by_test_id("stException").count() == 0
