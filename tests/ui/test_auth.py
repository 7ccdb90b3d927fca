"""Signing in and out of the app (AppTest): only the login page until signed in,
clear messages, lockout, idle timeout, disabled accounts and a forged session."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.app_helpers import page_path, sign_in, signed_in, start_app
from tests.warehouse_fixtures import audit_rows, make_demo
from warehouse.store.access import Session, system_session
from warehouse.store.accounts import disable_user
from warehouse.store.db import Database


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    return Path(make_demo(tmp_path, subjects=12, seed=3).path)


def database(path: Path) -> Database:
    return Database(path, key_dir=path.parent / "keys")


def on_login_page(at: object) -> bool:
    return [t.value for t in at.title] == ["Sign in"] and not at.metric  # type: ignore[attr-defined]


def test_visitor_sees_only_the_login_page(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    at = start_app(monkeypatch, demo_db)
    assert on_login_page(at)
    # the only page registered for a visitor is the login page
    with pytest.raises(ValueError, match=r"Known pages: \['Sign in'\]"):
        at.switch_page(page_path("overview.py"))


def test_wrong_password_says_so_and_keeps_the_user_name(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = sign_in(start_app(monkeypatch, demo_db), "monitor", "not the password")
    assert [e.value for e in at.error] == ["Wrong user name or password."]
    assert at.text_input(key="login_username").value == "monitor"
    assert on_login_page(at)


def test_empty_form_asks_for_both_fields(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    at = start_app(monkeypatch, demo_db)
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Enter your user name and password."]


def test_fifth_wrong_password_locks_the_account(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = start_app(monkeypatch, demo_db)
    for _ in range(5):
        sign_in(at, "monitor", "not the password")
    assert "locked" in at.error[0].value and "15 min" in at.error[0].value
    sign_in(at, "monitor", "caseguard-demo")
    assert "locked" in at.error[0].value
    assert on_login_page(at)


def test_russian_login_messages(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    at = sign_in(start_app(monkeypatch, demo_db, lang="ru"), "monitor", "not the password")
    assert at.title[0].value == "Вход"
    assert at.error[0].value == "Неверное имя пользователя или пароль."


def test_sign_out_returns_to_login_and_is_audited(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = signed_in(monkeypatch, demo_db, "coordinator")
    assert at.sidebar.markdown[0].value == "Signed in as **coordinator**"
    at.button(key="sign_out").click().run()
    assert on_login_page(at)
    assert [i.value for i in at.info] == ["You have signed out."]
    last = audit_rows(database(demo_db))[-1]
    assert (last["action"], last["username"]) == ("logout", "coordinator")


def test_idle_session_times_out_after_thirty_minutes(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = signed_in(monkeypatch, demo_db, "monitor")
    stale = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=31)
    at.session_state["auth_last_seen"] = stale
    at.run()
    assert on_login_page(at)
    assert "30 minutes" in at.info[0].value
    assert audit_rows(database(demo_db))[-1]["action"] == "logout"


def test_disabled_account_loses_its_open_session(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = signed_in(monkeypatch, demo_db, "msk_neuro")
    disable_user(system_session(database(demo_db), "test"), "msk_neuro")
    at.run()
    assert on_login_page(at)


def test_forged_session_state_does_not_widen_access(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = signed_in(monkeypatch, demo_db, "msk_neuro")
    forged = Session(database(demo_db), "msk_neuro", "coordinator", None)
    at.session_state["_caseguard_session"] = forged
    at.run()
    assert not at.exception
    assert at.table[0].value.index.tolist() == ["MSK"]
    assert "site neurologist" in at.sidebar.caption[0].value
