"""The coordinator previews a pooled export in a real Chromium, pins a level, sees its cost.

The preview writes nothing: no zip is offered and the audit log does not grow.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import choose_option, sign_in_browser

pytestmark = pytest.mark.browser


def _audit_entries(db_path: Path) -> int:
    from warehouse.store.db import Database

    db = Database(db_path, key_dir=db_path.parent / "keys")
    with db.connect(read_only=True) as conn:
        return int(conn.execute("SELECT count(*) FROM audit_log").fetchall()[0][0])


def _metric(page: Any, label: str) -> str:
    value = page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")
    value.wait_for(state="visible", timeout=30_000)
    return str(value.inner_text().strip())


def test_preview_and_pin_in_browser(app_url: str, browser_page: Any, browser_demo_db: Path) -> None:
    page = browser_page
    sign_in_browser(page, app_url, "coordinator")
    page.get_by_role("link", name="Pooled export").click()
    page.get_by_role("heading", name="Pooled, disclosure-checked export").wait_for(
        state="visible", timeout=30_000
    )
    before = _audit_entries(browser_demo_db)
    page.get_by_role("button", name="Preview").click()
    page.get_by_text("Preview (nothing written yet)").wait_for(state="visible", timeout=60_000)
    free_loss = float(_metric(page, "Information loss"))
    assert re.fullmatch(r"\d+", _metric(page, "Subjects suppressed"))
    assert float(_metric(page, "Loss of the greedy ladder")) >= 0
    for qi in ("disease_subtype", "age_band", "area"):
        page.locator("[role=gridcell]", has_text=qi).first.wait_for(
            state="attached", timeout=15_000
        )

    page.get_by_text("Pin generalisation levels").click()
    choose_option(page, "Age at index date", "fine age band")
    page.get_by_role("button", name="Preview").click()
    page.locator("[role=gridcell]", has_text="fine age band 📌").first.wait_for(
        state="attached", timeout=60_000
    )
    assert float(_metric(page, "Information loss")) >= free_loss
    assert page.get_by_role("button", name="Download the export (zip)").count() == 0
    assert page.get_by_test_id("stException").count() == 0
    assert _audit_entries(browser_demo_db) == before
