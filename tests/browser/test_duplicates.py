"""The review of possible duplicates in a real Chromium: the coordinator opens the page,
sees pairs with their agreeing fields and both timelines, records a decision with a
reason, and undoes it (both audited)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser import SCREENSHOTS
from tests.conftest import sign_in_browser

pytestmark = pytest.mark.browser

SCREENSHOT = SCREENSHOTS / "duplicates.png"


def _actions(db_path: Path) -> list[str]:
    from warehouse.store.db import Database

    db = Database(db_path, key_dir=db_path.parent / "keys")
    with db.connect(read_only=True) as conn:
        rows = conn.execute(
            "SELECT action FROM audit_log WHERE action LIKE 'linkage_%' ORDER BY seq"
        ).fetchall()
    return [str(r[0]) for r in rows]


def test_review_a_pair_in_browser(app_url: str, browser_page: Any, browser_demo_db: Path) -> None:
    page = browser_page
    sign_in_browser(page, app_url, "coordinator")
    page.get_by_role("link", name="Possible duplicates").click()
    page.get_by_role("heading", name="Possible duplicates").first.wait_for(timeout=30_000)
    page.get_by_text("Treatment timelines", exact=False).wait_for(timeout=30_000)
    page.get_by_text("Agreeing fields:", exact=False).first.wait_for(timeout=15_000)
    before = _actions(browser_demo_db)
    reason = page.get_by_label("Reason (audited", exact=False)
    reason.fill("different birth order, per both centres")
    page.get_by_role("button", name="Different children").click()
    page.get_by_text("Recorded:", exact=False).wait_for(timeout=30_000)
    assert _actions(browser_demo_db)[len(before) :] == ["linkage_decision"]
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.get_by_label("Reason (audited", exact=False).fill("decided on the wrong pair")
    page.get_by_role("button", name="Undo this decision").click()
    page.get_by_text("was undone", exact=False).wait_for(timeout=30_000)
    assert _actions(browser_demo_db)[len(before) :] == ["linkage_decision", "linkage_undo"]
    assert page.get_by_test_id("stException").count() == 0
