"""Logging in: argon2 passwords, lockout, disabled accounts, audit entries, CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from schemas.errors import AccessDenied, CaseguardError, NotFound
from tests.warehouse_fixtures import audit_rows, make_db, site_user, system_session
from warehouse.cli.main import main
from warehouse.store.accounts import (
    LOCKOUT,
    MAX_FAILED_LOGINS,
    AccountLocked,
    LoginFailed,
    disable_user,
    list_users,
    log_in,
    log_out,
    reset_password,
    session_expired,
)
from warehouse.store.admin import add_user
from warehouse.store.db import Database

PASSWORD = "correct horse battery"
NOW = dt.datetime(2026, 11, 21, 12, 0)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = make_db(tmp_path / "w.duckdb", tmp_path / "keys")
    add_user(system_session(database, "t"), "anna", PASSWORD, "site_user", "MSK")
    add_user(system_session(database, "t"), "mon", PASSWORD, "monitor", None)
    return database


def actions(db: Database) -> list[str]:
    return [row["action"] for row in audit_rows(db)]


def test_right_password_gives_the_accounts_scoped_session(db: Database) -> None:
    session = log_in(db, "anna", PASSWORD, NOW)
    assert (session.username, session.role, session.site_code) == ("anna", "site_user", "MSK")
    assert actions(db)[-1] == "login"


@pytest.mark.parametrize(("user", "password"), [("anna", "wrong password"), ("nobody", PASSWORD)])
def test_wrong_password_and_unknown_user_fail_alike(db: Database, user: str, password: str) -> None:
    with pytest.raises(LoginFailed) as caught:
        log_in(db, user, password, NOW)
    assert str(caught.value) == "wrong user name or password"
    assert actions(db)[-1] == "login_failed"


def test_unknown_user_name_is_not_written_to_the_audit_log(db: Database) -> None:
    typed = "Ivanova Maria 12345"  # a user may type anything here, even a patient's name
    with pytest.raises(LoginFailed):
        log_in(db, typed, PASSWORD, NOW)
    assert typed not in repr(audit_rows(db))


def test_fifth_failure_locks_the_account_for_fifteen_minutes(db: Database) -> None:
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(LoginFailed):
            log_in(db, "anna", "wrong password", NOW)
    with pytest.raises(AccountLocked) as caught:
        log_in(db, "anna", "wrong password", NOW)
    assert caught.value.minutes == 15
    # even the right password is refused while locked
    with pytest.raises(AccountLocked):
        log_in(db, "anna", PASSWORD, NOW + LOCKOUT - dt.timedelta(seconds=1))
    assert log_in(db, "anna", PASSWORD, NOW + LOCKOUT).username == "anna"
    assert "account_locked" in actions(db)


def test_a_success_resets_the_failure_count(db: Database) -> None:
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(LoginFailed):
            log_in(db, "anna", "wrong password", NOW)
    log_in(db, "anna", PASSWORD, NOW)
    with pytest.raises(LoginFailed):  # counting starts again: not locked on this one
        log_in(db, "anna", "wrong password", NOW)


def test_disabled_account_cannot_log_in_and_reset_reenables_it(db: Database) -> None:
    admin = system_session(db, "t")
    disable_user(admin, "anna")
    with pytest.raises(LoginFailed):
        log_in(db, "anna", PASSWORD, NOW)
    reset_password(admin, "anna", "a brand new password")
    assert log_in(db, "anna", "a brand new password", NOW).role == "site_user"
    with pytest.raises(LoginFailed):
        log_in(db, "anna", PASSWORD, NOW)


def test_only_user_managers_manage_accounts(db: Database) -> None:
    with pytest.raises(AccessDenied):
        disable_user(site_user(db), "mon")
    with pytest.raises(AccessDenied):
        list_users(site_user(db))
    with pytest.raises(NotFound):
        disable_user(system_session(db, "t"), "ghost")


def test_list_users_never_shows_password_hashes(db: Database) -> None:
    table = list_users(system_session(db, "t"))
    assert "password_hash" not in table.columns
    assert "argon2" not in table.to_string()


def test_logout_and_idle_timeout(db: Database) -> None:
    session = log_in(db, "mon", PASSWORD, NOW)
    log_out(session, "timeout")
    assert audit_rows(db)[-1]["action"] == "logout"
    assert not session_expired(NOW, NOW + dt.timedelta(minutes=29))
    assert session_expired(NOW, NOW + dt.timedelta(minutes=30))


def test_missing_database_is_not_created_by_a_login(tmp_path: Path) -> None:
    missing = Database(tmp_path / "none" / "x.duckdb", key_dir=tmp_path / "keys")
    with pytest.raises(CaseguardError, match="no database"):
        log_in(missing, "anna", PASSWORD)
    assert not (tmp_path / "none" / "x.duckdb").exists()


# --- caseguard users ... -------------------------------------------------------------


def cli(db: Database, *args: str, password: str | None = None) -> tuple[int, str]:
    env = {"CASEGUARD_KEY_DIR": str(Path(db.path).parent / "keys")}
    if password is not None:
        env["CASEGUARD_PASSWORD"] = password
    result = CliRunner().invoke(main, [*args, "--db", str(db.path)], env=env)
    return result.exit_code, result.output


def test_cli_adds_lists_disables_and_resets_users(db: Database) -> None:
    code, out = cli(
        db, "users", "add", "boris", "--role", "site_user", "--site", "PRM", password=PASSWORD
    )
    assert code == 0 and "boris added" in out
    assert log_in(db, "boris", PASSWORD, NOW).site_code == "PRM"
    code, out = cli(db, "users", "list")
    assert code == 0 and "boris" in out and "PRM" in out and "argon2" not in out
    assert cli(db, "users", "disable", "boris")[0] == 0
    with pytest.raises(LoginFailed):
        log_in(db, "boris", PASSWORD, NOW)
    assert cli(db, "users", "reset-password", "boris", password="another long one")[0] == 0
    assert log_in(db, "boris", "another long one", NOW).username == "boris"
    assert PASSWORD not in repr(audit_rows(db))


def test_cli_refuses_a_short_password_and_an_unknown_site(db: Database) -> None:
    code, out = cli(db, "users", "add", "c", "--role", "monitor", password="short")
    assert code == 1 and "at least 10 characters" in out
    code, out = cli(
        db, "users", "add", "d", "--role", "site_user", "--site", "ZZZ", password=PASSWORD
    )
    assert code == 1 and "Traceback" not in out
