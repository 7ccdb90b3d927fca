"""The served overview page in a real Chromium: it loads, shows the pooled counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BROWSER_DEMO_SUBJECTS

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "screenshots" / "overview.png"


def test_overview_in_browser(app_url: str, browser_page: Any) -> None:
    page = browser_page
    page.goto(app_url)
    page.get_by_text("Per site").wait_for(state="visible", timeout=30_000)
    subjects = page.locator('[data-testid="stMetric"]').filter(has_text="Subjects")
    subjects.wait_for(state="visible", timeout=30_000)
    assert subjects.locator('[data-testid="stMetricValue"]').inner_text().strip() == str(
        BROWSER_DEMO_SUBJECTS
    )
    grid = page.locator('[data-testid="stDataFrame"]')
    grid.wait_for(state="visible", timeout=30_000)
    assert grid.bounding_box()["height"] > 150  # five site rows drawn, not an empty grid
    assert page.locator('[data-testid="stException"]').count() == 0
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
