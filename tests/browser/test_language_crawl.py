"""Every page, as each role, in Russian and in English, on the `make run` demo database:
no word in the other language's script (beyond a short allow-list), no raw code from
the code lists, no text cut by its container, no date outside the page's one format.

Pages are found in the app's own navigation (the sidebar), so a page added later is
crawled without a change here. A site neurologist first opens a demo subject, so the
case pages show a case, not "no subject open". In Russian every page is captured (the
first role that sees it) as ``ru_<page>.png``; ``make screenshots`` commits them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schemas.labels import text
from tests.browser import SCREENSHOTS
from tests.browser.crawl import bad_dates, foreign_words, raw_codes_in, read_page
from tests.browser.wizard import TIMEOUT, settle
from tests.conftest import serve_app, sign_in_browser
from warehouse.demo.profiles import GLOBAL_USERS

pytestmark = pytest.mark.browser

USERS = {
    "site_user": "msk_neuro",
    "coordinator": "coordinator",
    "monitor": "monitor",
    "admin": "admin",
}
DEMO_SUBJECT = "DEMO-MSK-00000"
SITE_CODES = ("MSK", "PRM", "NNV", "MYT", "BRN")
_captured: set[str] = set()


@pytest.fixture(scope="module")
def make_run_app(
    chromium_path: Path, net_guard_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The app served on a database made as `make run` makes it (caseguard init + demo,
    default size and seed)."""
    root = tmp_path_factory.mktemp("makerun")
    db, keys = root / "caseguard.duckdb", root / "keys"
    caseguard = str(Path(sys.executable).parent / "caseguard")
    env = {**os.environ, "CASEGUARD_KEY_DIR": str(keys)}
    env.pop("CASEGUARD_DB", None)
    for command in ("init", "demo"):
        subprocess.run([caseguard, command, "--db", str(db)], env=env, check=True)  # noqa: S603
    with serve_app(db, keys, root / "serve.log", net_guard_dir) as url:
        yield url


def _open_demo_subject(page: Any, lang: str) -> None:
    """On the subject page, open the first demo subject of the user's centre."""
    _visit(
        page, page.get_by_test_id("stSidebarNavLink").filter(has_text=text("page_subject", lang))
    )
    page.get_by_label(text("subject_local_id", lang), exact=True).fill(DEMO_SUBJECT)
    page.get_by_role("button", name=text("subject_open", lang)).click()
    settle(page)


BUSY = '[data-testid="stSpinner"], [data-testid="stSkeleton"]'
QUIET_MS = 600


def _quiet(page: Any) -> None:
    """Wait until the page has stopped running and shows no spinner or skeleton for a
    second (a page read too early would pass for lack of content)."""
    deadline = time.monotonic() + TIMEOUT / 1000
    while time.monotonic() < deadline:
        settle(page)
        if page.locator(BUSY).count() == 0:
            page.wait_for_timeout(QUIET_MS)
            running = page.get_by_test_id("stStatusWidget").filter(has_text="Running").count()
            if running == 0 and page.locator(BUSY).count() == 0:
                return
        page.wait_for_timeout(250)
    raise AssertionError(f"{page.url} still busy after {TIMEOUT // 1000} s")


def _visit(page: Any, link: Any) -> None:
    link.first.click()
    settle(page)
    page.get_by_test_id("stMain").locator("h1").first.wait_for(state="visible", timeout=TIMEOUT)
    _quiet(page)


def _problems(page: Any, lang: str, allowed: set[str]) -> list[str]:
    """Everything wrong with what the page shows now, one line each, quoting the text."""
    shown = read_page(page)
    problems = []
    for piece in shown.texts:
        quoted = f"in {piece[:70]!r}"
        problems += [f"wrong script: {w!r} {quoted}" for w in foreign_words([piece], lang, allowed)]
        problems += [f"raw code: {c!r} {quoted}" for c in raw_codes_in([piece])]
        problems += [
            f"date not in the page's format: {d!r} {quoted}" for d in bad_dates([piece], lang)
        ]
    problems += [f"text cut by its container: {c[:60]!r}" for c in shown.cut]
    return problems


GLOBAL_NAMES = {name for name, _ in GLOBAL_USERS}


def _tabs(page: Any) -> Any:
    return page.get_by_test_id("stMain").get_by_role("tab")


@pytest.mark.parametrize("lang", ["ru", "en"])
@pytest.mark.parametrize("role", list(USERS))
def test_every_page_reads_in_one_language(
    make_run_app: str, chromium_browser: Any, role: str, lang: str
) -> None:
    username = USERS[role]
    # A laptop's screen: labels that fit a wide monitor can be cut here.
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        sign_in_browser(page, make_run_app, username, lang=lang)
        if role == "site_user":
            _open_demo_subject(page, lang)
        links = page.get_by_test_id("stSidebarNavLink")
        # A menu entry's text is its icon's name, then its title.
        names = [n.strip().splitlines()[-1] for n in links.all_inner_texts()]
        # Streamlit draws no menu for a single page (the admin's overview): crawl that one.
        # Authors of query messages are shown by their usernames, whoever reads them.
        allowed = {*GLOBAL_NAMES, *(f"{c.lower()}_neuro" for c in SITE_CODES), *SITE_CODES}
        found: dict[str, list[str]] = {}
        for index, name in enumerate(names or [""]):
            try:
                if name:
                    _visit(page, links.nth(index))
                else:
                    _quiet(page)
            except Exception as exc:  # noqa: BLE001  (name the page that never settled)
                raise AssertionError(f"{username} in {lang}: page {name!r} not shown") from exc
            problems = _problems(page, lang, allowed)
            for tab in range(_tabs(page).count()):  # each tab shown, so its cut text counts
                _tabs(page).nth(tab).click()  # drawn in the browser, no rerun
                page.wait_for_timeout(300)
                problems += _problems(page, lang, allowed)
            url = page.url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
            url = url if url and ":" not in url else "overview"
            if lang == "ru" and url not in _captured:
                _captured.add(url)
                if _tabs(page).count():
                    _tabs(page).first.click()
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"ru_{url}.png"), full_page=True)
            if problems:
                found[name or url] = sorted(set(problems))
        report = "\n".join(f"{name}: {'; '.join(items)}" for name, items in found.items())
        assert not found, f"{username} in {lang}:\n{report}"
    finally:
        context.close()
