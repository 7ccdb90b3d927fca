"""SAE reporting in a real Chromium: the monitor opens the clocks page of the demo that
``make run`` builds (overdue clocks first), downloads both drafts of one serious event,
and the page is captured to docs/screenshots/sae_clocks.png."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from pypdf import PdfReader

from tests.conftest import serve_app, sign_in_browser
from tests.reporting.fixtures import schema_dir
from tests.warehouse_fixtures import make_demo
from warehouse.reporting.demo_setup import prepare_demo_reporting
from warehouse.reporting.e2b import validate
from warehouse.store.access import system_session

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "sae_clocks.png"


@pytest.fixture(scope="module")
def reporting_app_url(
    chromium_path: Path, tmp_path_factory: pytest.TempPathFactory, net_guard_dir: Path
) -> Iterator[str]:
    root = tmp_path_factory.mktemp("served-reporting")
    db = make_demo(root, subjects=120, seed=20261121)
    prepare_demo_reporting(system_session(db, "demo"), dt.datetime.now(dt.UTC))
    with serve_app(Path(db.path), root / "keys", root / "serve.log", net_guard_dir) as url:
        yield url


def _download(page: Any, fmt_label: str, target: Path) -> Path:
    page.get_by_text(fmt_label).click()
    page.get_by_role("button", name="Prepare draft").click()
    button = page.get_by_test_id("stDownloadButton").filter(has_text=target.suffix)
    button.wait_for(state="visible", timeout=60_000)
    with page.expect_download(timeout=60_000) as info:
        button.get_by_role("button").click()
    info.value.save_as(str(target))
    return target


def test_monitor_sees_clocks_and_downloads_both_drafts(
    reporting_app_url: str, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    sign_in_browser(page, reporting_app_url, "monitor")
    page.get_by_role("link", name="SAE reporting").click()
    page.get_by_role("heading", name="Serious adverse events").wait_for(
        state="visible", timeout=30_000
    )
    page.locator("[role=gridcell]", has_text="OVERDUE").first.wait_for(
        state="attached", timeout=30_000
    )
    assert page.get_by_test_id("stException").count() == 0
    page.set_viewport_size({"width": 1400, "height": 1300})
    page.wait_for_timeout(1000)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    xml = _download(page, "ICH E2B(R3) (XML)", tmp_path / "draft.xml")
    assert etree.parse(str(xml)).getroot().tag.endswith("MCCI_IN200100UV01")
    assert validate(xml.read_bytes(), schema_dir()) == []
    pdf = _download(page, "CIOMS I (PDF)", tmp_path / "draft.pdf")
    assert "PRIVACY" in PdfReader(str(pdf)).pages[0].extract_text()
