"""The narrative page in a real Chromium: open a subject, preview the scrub, save.

A site user opens a demo subject on the Subject page (by its demo local id), goes
to the Narrative page, types a narrative with a name and a phone number, sees them
replaced in the preview and saves; the saved text is checked in the database.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser import SCREENSHOTS
from tests.conftest import sign_in_browser
from warehouse.store.db import Database

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = SCREENSHOTS / "narrative.png"
DEMO_LOCAL_ID = "DEMO-MSK-00005"  # demo subject number 5 is at MSK (sites in turn)
SURNAME, PHONE = "Кузнецова", "+7 912 345-67-89"
NARRATIVE = (
    f"Пациентка {SURNAME} Мария Сергеевна, 3 года. После третьей инъекции головная боль "
    f"2 степени, купирована парацетамолом. Мать просит звонить по тел. {PHONE}."
)


def test_narrative_preview_and_save_in_browser(
    app_url: str, browser_page: Any, browser_demo_db: Path
) -> None:
    page = browser_page
    sign_in_browser(page, app_url, "msk_neuro")
    page.get_by_role("link", name="Subject").first.click()
    page.get_by_label("Local patient id", exact=True).fill(DEMO_LOCAL_ID)
    page.get_by_role("button", name="Find or start").click()
    page.get_by_text("registered subject").first.wait_for(state="visible", timeout=30_000)

    page.get_by_role("link", name="Narrative").first.click()
    original = page.get_by_role("textbox", name="Narrative (free text)")
    original.wait_for(state="visible", timeout=30_000)
    original.fill(NARRATIVE)
    page.keyboard.press("Control+Enter")  # commit the text area before the click
    page.get_by_role("button", name="Preview scrubbed text").click()
    preview = page.locator("span[title=PERSON]").first
    preview.wait_for(state="visible", timeout=90_000)
    assert preview.inner_text() == "[PERSON]"
    assert page.locator("span[title=PHONE]").first.inner_text() == "[PHONE]"
    body = page.get_by_text("головная боль").first.inner_text()
    assert SURNAME not in body and "912" not in body

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    # the typed original is masked: only the scrubbed preview is kept in the picture
    page.screenshot(path=str(SCREENSHOT), full_page=True, mask=[original])

    started = time.monotonic()
    page.get_by_role("button", name="Save scrubbed narrative").click()
    page.get_by_text("Saved the scrubbed narrative").wait_for(state="visible", timeout=30_000)
    print(f"save-to-confirmation {time.monotonic() - started:.2f} s")  # noqa: T201
    assert page.get_by_test_id("stException").count() == 0

    db = Database(browser_demo_db, key_dir=browser_demo_db.parent / "keys", busy_timeout=30.0)
    with db.connect(read_only=True) as conn:  # retries while the server holds the file
        texts = [
            str(r[0])
            for r in conn.execute(
                "SELECT text_scrubbed FROM narratives WHERE text_scrubbed LIKE '%парацетамолом%'"
            ).fetchall()
        ]
    assert texts and all(SURNAME not in t and PHONE not in t and "[PERSON]" in t for t in texts)
