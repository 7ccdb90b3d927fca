"""Logging in and out, lockout after failed attempts, and account management.

Passwords are checked against their argon2id hashes (argon2-cffi). Five failed
attempts in a row lock the account for 15 minutes; every login, lockout and logout
and every wrong password of an account is written to the audit log. A failed login
never says whether the user name exists - not in its message and not in its time: an
unknown name costs one argon2 check like a real account. Attempts that nobody bounds
(unknown user names, attempts on a locked account) are counted, and written to the
audit log at most once per :data:`AUDIT_WINDOW` per kind with the count since the last
entry, so a flood of attempts cannot grow the append-only log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from schemas.errors import CaseguardError, NotFound
from warehouse.store.access import MANAGE_USERS, ROLE_ACTIONS, Session, require
from warehouse.store.admin import add_user, hash_password, require_grant
from warehouse.store.audit import Actor, Event, audited_transaction
from warehouse.store.db import Database, one

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
IDLE_TIMEOUT = dt.timedelta(minutes=30)
AUDIT_WINDOW = dt.timedelta(minutes=10)
_hasher = PasswordHasher()
_DUMMY_HASH: list[str] = []  # made once, on the first unknown user name

__all__ = [
    "IDLE_TIMEOUT",
    "LOCKOUT",
    "MAX_FAILED_LOGINS",
    "AccountLocked",
    "LoginFailed",
    "add_user",
    "confirm_password",
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
            _verified(_dummy_hash(), password)  # the same work as a real account's check
            _throttled(conn, events, "unknown", None, now)
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
    success: str = "login",
) -> Session | CaseguardError:
    """Apply lockout and password rules to one account row; return a session or the error."""
    username, password = credentials
    password_hash, role, site_code, active, failed, locked_until = row
    if locked_until is not None and locked_until > now:
        _verified(password_hash, password)  # the same time as any other attempt
        _throttled(conn, events, f"locked:{username}", username, now)
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
    events.append(Event(success, "users", username, after={"role": role, "site": site_code}))
    return Session(db, username, role, site_code)


def confirm_password(session: Session, password: str, now: dt.datetime | None = None) -> None:
    """Ask a signed-in user for their password again (an electronic signature's second
    component): a wrong one counts toward the lockout exactly as a failed login does.

    Raises :class:`LoginFailed` or :class:`AccountLocked`.
    """
    now = now or _now()
    with audited_transaction(session.db, session.actor) as (conn, events):
        row = one(
            conn,
            "SELECT password_hash, role, site_code, active, failed_logins, locked_until "
            "FROM users WHERE username = ?",
            [session.username],
        )
        if row is None:
            outcome: Any = LoginFailed("wrong user name or password")
        else:
            credentials = (session.username, password)
            outcome = _check(session.db, conn, events, credentials, row, now, "password_confirmed")
    if isinstance(outcome, Exception):
        raise outcome


def _dummy_hash() -> str:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(_hasher.hash("caseguard: no such account"))
    return _DUMMY_HASH[0]


def _throttled(
    conn: Any, events: list[Event], kind: str, username: str | None, now: dt.datetime
) -> None:
    """Count a failed attempt of ``kind``; audit it only if the window has passed."""
    row = one(conn, "SELECT unaudited, last_audited FROM login_failures WHERE kind = ?", [kind])
    if row is not None and now - row[1] < AUDIT_WINDOW:
        conn.execute("UPDATE login_failures SET unaudited = unaudited + 1 WHERE kind = ?", [kind])
        return
    reason = "unknown" if username is None else "locked"
    after = {"reason": reason, "earlier_attempts_not_logged": int(row[0]) if row else 0}
    events.append(Event("login_failed", "users", username, after=after))
    conn.execute("DELETE FROM login_failures WHERE kind = ?", [kind])
    conn.execute("INSERT INTO login_failures VALUES (?, 0, ?)", [kind, now])


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
    """Set a new password, re-enable and unlock the account (no one may take over an
    account that may do more than they may: see :func:`require_grant`)."""
    require(session, MANAGE_USERS, None, f"reset-password {username}")
    with session.db.connect(read_only=True) as conn:
        row = one(conn, "SELECT role FROM users WHERE username = ?", [username])
    if row is not None:
        require_grant(session, str(row[0]), f"reset the password of {username}")
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
