"""Browser fixtures: a served demo app and a Playwright-driven Chromium.

Only tests marked ``browser`` use these; other tests import their own fixtures
explicitly (see tests/warehouse_fixtures.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
BROWSER_DEMO_SUBJECTS = 30
SERVER_START_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("localhost", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:  # noqa: S310
            return bool(response.read().decode().strip() == "ok")
    except (urllib.error.URLError, OSError):
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server's whole process group (caseguard and its streamlit child).

    SIGINT first, like Ctrl-C: streamlit shuts down and caseguard's subprocess.call
    reaps it (SIGTERM would kill caseguard first and orphan streamlit); then escalate.
    """
    for sig, grace in ((signal.SIGINT, 15), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError):  # anything left (normally nothing)
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """The system Chromium; fails in CI (where it must be installed), skips elsewhere."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        if os.environ.get("CI") == "true":
            pytest.fail(f"chromium missing at {CHROMIUM}: make test installs it with apt-get")
        pytest.skip(f"chromium not found at {CHROMIUM}")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser_demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo database (keys in a keys/ folder beside it) for the served app."""
    from warehouse.db import Database
    from warehouse.demo import create_demo
    from warehouse.migrations import migrate

    root = tmp_path_factory.mktemp("served")
    db = Database(root / "demo.duckdb", key_dir=root / "keys")
    migrate(db)
    create_demo(db, subjects=BROWSER_DEMO_SUBJECTS, seed=5)
    return root / "demo.duckdb"


@pytest.fixture(scope="session")
def app_url(chromium_path: Path, browser_demo_db: Path) -> Iterator[str]:
    """``caseguard serve`` on a free port; yields its URL once /_stcore/health says ok."""
    caseguard = Path(sys.executable).parent / "caseguard"
    if not caseguard.exists():
        pytest.fail(f"{caseguard} not found: install the project into the venv (pip install -e .)")
    port = _free_port()
    url = f"http://localhost:{port}"
    log_path = browser_demo_db.parent / "serve.log"
    env = {**os.environ, "CASEGUARD_KEY_DIR": str(browser_demo_db.parent / "keys")}
    env.pop("CASEGUARD_DB", None)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(  # noqa: S603
            [str(caseguard), "serve", "--db", str(browser_demo_db), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _healthy(url):
            if proc.poll() is not None:
                pytest.fail(
                    f"caseguard serve exited with {proc.returncode}:\n{log_path.read_text()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"{url} not healthy after {SERVER_START_TIMEOUT:.0f} s:\n{log_path.read_text()}"
                )
            time.sleep(0.25)
        yield url
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def chromium_browser(chromium_path: Path) -> Iterator[Any]:
    """A headless Chromium driven by Playwright (sync API)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def browser_page(chromium_browser: Any) -> Iterator[Any]:
    """A fresh page in its own context, closed after the test."""
    context = chromium_browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in_browser(page: Any, url: str, username: str, password: str = "caseguard-demo") -> None:
    """Open the app, switch it to English and sign in as ``username``."""
    page.goto(url)
    page.get_by_text("English").click()
    page.get_by_label("User name", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in as {username}").wait_for(state="visible", timeout=30_000)


def choose_option(page: Any, label: str, option: str) -> None:
    """Open the selectbox called ``label`` and pick ``option``.

    A rerun triggered by the previous widget can close a freshly opened list, so
    the list is opened again (a few times) until the option shows.
    """
    for _ in range(5):
        page.get_by_label(label, exact=True).click()
        choice = page.get_by_role("option", name=option, exact=True)
        try:
            choice.wait_for(state="visible", timeout=8_000)
        except Exception:  # noqa: BLE001  (list closed by a rerun: open it again)
            page.keyboard.press("Escape")
            continue
        choice.click()
        return
    raise AssertionError(f"option {option!r} never appeared in {label!r}")


def fill_number(page: Any, label: str, value: str) -> None:
    """Type ``value`` into the number input called ``label`` and commit it."""
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Enter")
