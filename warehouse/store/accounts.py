"""Logging in and out, lockout after failed attempts, and account management.

Passwords are checked against their argon2id hashes (argon2-cffi). Five failed
attempts in a row lock the account for 15 minutes; every login, failure, lockout
and logout is written to the audit log. A failed login never says whether the
user name exists.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from schemas.errors import CaseguardError, NotFound
from warehouse.store.access import MANAGE_USERS, ROLE_ACTIONS, Session, require
from warehouse.store.admin import add_user, hash_password
from warehouse.store.audit import Actor, Event, audited_transaction
from warehouse.store.db import Database, one

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
IDLE_TIMEOUT = dt.timedelta(minutes=30)
_hasher = PasswordHasher()

__all__ = [
    "IDLE_TIMEOUT",
    "LOCKOUT",
    "MAX_FAILED_LOGINS",
    "AccountLocked",
    "LoginFailed",
    "add_user",
    "disable_user",
    "list_users",
    "log_in",
    "log_out",
    "reset_password",
    "session_expired",
]


class LoginFailed(CaseguardError):
    """Wrong user name or password, or a disabled account (deliberately alike)."""

    title = "Login failed"


class AccountLocked(CaseguardError):
    """Too many failed attempts; the account is locked for a while."""

    title = "Account locked"

    def __init__(self, minutes: int) -> None:
        super().__init__(f"too many failed attempts; try again in {minutes} min")
        self.minutes = minutes


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def log_in(db: Database, username: str, password: str, now: dt.datetime | None = None) -> Session:
    """Check a password and return the user's scoped session.

    Raises :class:`LoginFailed` (unknown user, wrong password, disabled account —
    the message is the same) or :class:`AccountLocked`.
    """
    now = now or _now()
    username = username.strip()
    if not db.exists():
        raise NotFound(f"no database at {db.path} (run: caseguard init --db {db.path})")
    # Whatever was typed as a user name stays out of the log unless it is an account.
    with audited_transaction(db, Actor("(login)", "anonymous", None)) as (conn, events):
        row = one(
            conn,
            "SELECT password_hash, role, site_code, active, failed_logins, locked_until "
            "FROM users WHERE username = ?",
            [username],
        )
        if row is None:
            events.append(Event("login_failed", "users", None, after={"reason": "unknown"}))
            outcome: Any = LoginFailed("wrong user name or password")
        else:
            outcome = _check(db, conn, events, (username, password), row, now)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _check(
    db: Database,
    conn: Any,
    events: list[Event],
    credentials: tuple[str, str],
    row: tuple[Any, ...],
    now: dt.datetime,
) -> Session | CaseguardError:
    """Apply lockout and password rules to one account row; return a session or the error."""
    username, password = credentials
    password_hash, role, site_code, active, failed, locked_until = row
    if locked_until is not None and locked_until > now:
        events.append(Event("login_failed", "users", username, after={"reason": "locked"}))
        return AccountLocked(_minutes_left(locked_until, now))
    if not _verified(password_hash, password) or not active:
        failed = (failed or 0) + 1
        lock = now + LOCKOUT if failed >= MAX_FAILED_LOGINS else None
        conn.execute(
            "UPDATE users SET failed_logins = ?, locked_until = ? WHERE username = ?",
            [0 if lock else failed, lock, username],
        )
        reason = "disabled" if not active else "password"
        events.append(Event("login_failed", "users", username, after={"reason": reason}))
        if lock:
            events.append(Event("account_locked", "users", username, after={"until": lock}))
            return AccountLocked(_minutes_left(lock, now))
        return LoginFailed("wrong user name or password")
    conn.execute(
        "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = ?", [username]
    )
    events.append(Event("login", "users", username, after={"role": role, "site": site_code}))
    return Session(db, username, role, site_code)


def _verified(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def _minutes_left(until: dt.datetime, now: dt.datetime) -> int:
    return max(1, -(-int((until - now).total_seconds()) // 60))


def log_out(session: Session, reason: str = "user") -> None:
    """Record the end of a session ("user" logout or "timeout")."""
    with audited_transaction(session.db, session.actor) as (_conn, events):
        events.append(Event("logout", "users", session.username, after={"reason": reason}))


def session_expired(last_activity: dt.datetime, now: dt.datetime | None = None) -> bool:
    """True once a session has been idle for :data:`IDLE_TIMEOUT`."""
    return (now or _now()) - last_activity >= IDLE_TIMEOUT


def list_users(session: Session) -> pd.DataFrame:
    """Accounts without their password hashes."""
    require(session, MANAGE_USERS, None, "list users")
    with session.db.connect(read_only=True) as conn:
        return conn.execute(
            "SELECT username, role, site_code, active, failed_logins, locked_until "
            "FROM users ORDER BY username"
        ).df()


def _set(session: Session, username: str, action: str, sql: str, params: list[Any]) -> None:
    require(session, MANAGE_USERS, None, f"{action} {username}")
    with audited_transaction(session.db, session.actor) as (conn, events):
        if not one(conn, "SELECT 1 FROM users WHERE username = ?", [username]):
            raise NotFound(f"no user {username}")
        conn.execute(sql, [*params, username])
        events.append(Event(action, "users", username))


def disable_user(session: Session, username: str) -> None:
    """Disable an account: it can no longer log in (its audit history stays)."""
    sql = "UPDATE users SET active = FALSE WHERE username = ?"
    _set(session, username, "disable_user", sql, [])


def reset_password(session: Session, username: str, password: str) -> None:
    """Set a new password, re-enable and unlock the account."""
    new_hash = hash_password(password)
    _set(
        session,
        username,
        "reset_password",
        "UPDATE users SET password_hash = ?, active = TRUE, failed_logins = 0, "
        "locked_until = NULL WHERE username = ?",
        [new_hash],
    )


def known_role(role: str) -> bool:
    """True for a role the access layer knows."""
    return role in ROLE_ACTIONS
