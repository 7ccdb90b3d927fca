"""The served app in a real Chromium: sign in, the overview lists the sites (every
column inside the page, none cut at its edge), and is captured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser import SCREENSHOTS
from tests.conftest import BROWSER_DEMO_SUBJECTS, sign_in_browser

pytestmark = pytest.mark.browser

SCREENSHOT = SCREENSHOTS / "overview.png"


def _subjects_in(db_path: Path) -> int:
    """Subjects now in the served database (other browser tests add cases to it)."""
    from warehouse.store.db import Database

    db = Database(db_path, key_dir=db_path.parent / "keys")
    with db.connect(read_only=True) as conn:
        return int(conn.execute("SELECT count(*) FROM subjects").fetchall()[0][0])


def test_overview_in_browser(app_url: str, browser_page: Any, browser_demo_db: Path) -> None:
    page = browser_page
    sign_in_browser(page, app_url, "coordinator")
    page.get_by_text("Per site").wait_for(state="visible", timeout=30_000)
    table = page.get_by_test_id("stTable")
    for code in ("MSK", "BRN"):
        table.get_by_text(code, exact=True).first.wait_for(state="visible", timeout=15_000)
    # item 17 of the first-day report: the per-site table was cut at "Serious"
    cut = table.evaluate("t => t.scrollWidth > t.clientWidth + 1")
    assert not cut
    table.get_by_text("Serious AEs").wait_for(state="visible", timeout=15_000)
    subjects = (
        page.get_by_test_id("stMetric").filter(has_text="Subjects").get_by_test_id("stMetricValue")
    )
    subjects.wait_for(state="visible", timeout=15_000)
    shown = int(subjects.inner_text().strip())
    assert shown == _subjects_in(browser_demo_db) >= BROWSER_DEMO_SUBJECTS
    assert page.get_by_test_id("stException").count() == 0

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
