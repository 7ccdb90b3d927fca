"""Running the app headless with AppTest, signed in as a demo user.

Pages are reached the way a user reaches them: sign in on the login form, then
switch page. Use ``signed_in(monkeypatch, db_path, "monitor")`` and then
``at.switch_page(page_path("safety.py")).run()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "capture_app.py"
PAGES = ROOT / "warehouse" / "ui" / "pages"
DEMO_PASSWORD = "caseguard-demo"
SITE_USERS = {"MSK": "msk_neuro", "PRM": "prm_neuro", "NNV": "nnv_neuro", "MYT": "myt_neuro"}


def page_path(script: str) -> str:
    """The path AppTest.switch_page expects for a page script."""
    return str(PAGES / script)


def start_app(monkeypatch: pytest.MonkeyPatch, db_path: Path, lang: str = "en") -> AppTest:
    """The app on the login page, in ``lang``, serving ``db_path`` (keys beside it)."""
    monkeypatch.setenv("CASEGUARD_DB", str(db_path))
    monkeypatch.setenv("CASEGUARD_KEY_DIR", str(db_path.parent / "keys"))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def sign_in(at: AppTest, username: str, password: str = DEMO_PASSWORD) -> AppTest:
    """Fill in the login form and submit it."""
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    return at


def signed_in(
    monkeypatch: pytest.MonkeyPatch, db_path: Path, username: str, lang: str = "en"
) -> AppTest:
    """The app signed in as ``username`` (a demo account), on its first page."""
    at = sign_in(start_app(monkeypatch, db_path, lang), username)
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["auth_user"] == username
    return at


def open_page(
    monkeypatch: pytest.MonkeyPatch,
    db_path: Path,
    script: str,
    user: str = "msk_neuro",
    lang: str = "en",
    subject: Any = None,
) -> AppTest:
    """Sign in as ``user``, open ``subject`` (an OpenSubject, if given) as the case pages
    keep it, switch to the page ``script`` and check it ran without an exception."""
    from warehouse.ui import subject_state

    at = signed_in(monkeypatch, db_path, user, lang=lang)
    if subject is not None:
        at.session_state[subject_state._KEY] = subject
    at.switch_page(page_path(script)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(autouse=True)
def fresh_app_cache() -> Iterator[None]:
    """Empty Streamlit's resource cache before and after a test (autouse where imported)."""
    import streamlit as st

    st.cache_resource.clear()
    yield
    st.cache_resource.clear()
