"""Logging in: argon2 passwords, lockout, disabled accounts, audit entries, CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from schemas.errors import AccessDenied, CaseguardError, NotFound
from tests.warehouse_fixtures import audit_rows, make_db, site_user, system_session
from warehouse.cli.main import main
from warehouse.store.access import Session
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


# --- issue 18: least privilege for administrators, sign-in that tells nothing ------------


def test_an_admin_cannot_create_or_take_over_an_account_that_reads_clinical_rows(
    db: Database,
) -> None:
    """Item 8: an admin manages accounts but must not be able to give itself (through a
    new or a taken-over account) the clinical access it does not have."""
    admin = Session(db, "sysadmin", "admin", None)
    for role, site in (("coordinator", None), ("monitor", None), ("site_user", "MSK")):
        with pytest.raises(AccessDenied, match="ask a coordinator"):
            add_user(admin, f"new_{role}", PASSWORD, role, site)
    with pytest.raises(AccessDenied):
        reset_password(admin, "anna", "a takeover password")  # anna reads MSK's rows
    assert log_in(db, "anna", PASSWORD, NOW).username == "anna"  # unchanged
    assert {u for u in list_users(system_session(db, "t"))["username"]} == {"anna", "mon"}
    refusals = [r for r in audit_rows(db) if r["action"] == "access_denied"]
    assert len(refusals) == 4 and all(r["username"] == "sysadmin" for r in refusals)
    # what an admin may do: accounts that read no clinical rows, and disabling any account
    add_user(admin, "second_admin", PASSWORD, "admin", None)
    reset_password(admin, "second_admin", "another long password")
    disable_user(admin, "anna")
    # a coordinator (who already reads every centre) grants clinical roles
    add_user(system_session(db, "t"), "new_coord", PASSWORD, "coordinator", None)


def test_an_unknown_user_name_costs_one_argon2_check_like_a_real_account(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 9: the time of a failure must not tell whether the user name exists. The
    expensive step (argon2) runs exactly once either way; measured times agree too."""
    import time

    from warehouse.store import accounts

    calls: list[str] = []
    real = accounts._verified

    def counting(password_hash: str, password: str) -> bool:
        calls.append(password_hash[:9])
        return real(password_hash, password)

    monkeypatch.setattr(accounts, "_verified", counting)
    for user in ("nobody", "anna"):
        calls.clear()
        with pytest.raises(LoginFailed):
            log_in(db, user, "wrong password", NOW)
        assert calls == ["$argon2id"], user
    monkeypatch.setattr(accounts, "_verified", real)

    def median_seconds(user: str) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            with pytest.raises(LoginFailed):
                log_in(db, user, "wrong password", NOW - dt.timedelta(days=1))
            times.append(time.perf_counter() - started)
            if user == "mon":  # keep the real account below the lockout threshold
                reset_password(system_session(db, "t"), "mon", PASSWORD)
        return sorted(times)[2]

    unknown, known = median_seconds("nobody"), median_seconds("mon")
    assert unknown > 0.5 * known, (unknown, known)  # it was 25 ms against 120 ms


def test_a_flood_of_failed_sign_ins_cannot_grow_the_audit_log(db: Database) -> None:
    """Item 9: unknown names and attempts on a locked account are counted, and logged at
    most once per window with the count, instead of one audit row per attempt."""
    from warehouse.store.accounts import AUDIT_WINDOW

    start = len(audit_rows(db))
    for n in range(40):
        with pytest.raises(LoginFailed):
            log_in(db, f"guess{n}", "x", NOW)
    assert len(audit_rows(db)) == start + 1
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises((LoginFailed, AccountLocked)):
            log_in(db, "anna", "wrong", NOW)
    locked = len(audit_rows(db))
    for _ in range(30):
        with pytest.raises(AccountLocked):
            log_in(db, "anna", "wrong", NOW + dt.timedelta(minutes=1))
    assert len(audit_rows(db)) == locked + 1  # the first attempt while locked, then counts
    later = NOW + AUDIT_WINDOW
    with pytest.raises(LoginFailed):
        log_in(db, "one more guess", "x", later)
    entry = audit_rows(db)[-1]
    assert entry["action"] == "login_failed" and '"earlier_attempts_not_logged":39' in str(
        entry["after"]
    )
