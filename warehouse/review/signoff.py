"""Investigator sign-off of a subject's casebook (21 CFR Part 11 §11.50, §11.200).

An admin makes a site user an investigator. An investigator signs a casebook of their
own centre by entering their password again (the user name of the signed-in session and
the password: two components; a wrong password counts toward the lockout). The signature
records who, when, the meaning shown and the SHA-256 of the signed rows; any later
change to the subject's rows marks it broken (:mod:`warehouse.store.review_marks`) until
the investigator signs again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pandas as pd

from schemas.errors import AccessDenied, CaseguardError, Conflict, NotFound
from warehouse.store.access import (
    MANAGE_USERS,
    READ_AGGREGATE,
    READ_CLINICAL,
    SIGN_CASEBOOK,
    Session,
    require,
    scope_filter,
)
from warehouse.store.accounts import confirm_password
from warehouse.store.audit import Event, audited_transaction
from warehouse.store.db import one
from warehouse.store.review_marks import rows_sha256, subject_rows

MAX_MEANING_CHARS = 500


class CasebookChanged(Conflict):
    """The casebook changed between showing it and signing it."""

    title = "Casebook changed"


@dataclass(frozen=True)
class SignatureStatus:
    """The newest signature of a subject's casebook and whether it still holds."""

    signature_id: str | None
    username: str | None
    signed_at: dt.datetime | None
    meaning: str | None
    valid: bool
    broken_at: dt.datetime | None
    broken_by: str | None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def set_investigator(session: Session, username: str, investigator: bool = True) -> None:
    """Make a site user an investigator of their centre, or stop them being one (admins)."""
    require(session, MANAGE_USERS, None, f"set investigator {username}")
    with audited_transaction(session.db, session.actor) as (conn, events):
        user = one(conn, "SELECT role, site_code FROM users WHERE username = ?", [username])
        if user is None:
            raise NotFound(f"no user {username}")
        if user[0] != "site_user":
            raise CaseguardError(
                f"{username} is a {user[0]}; only a site user can be a centre's investigator"
            )
        has = one(conn, "SELECT 1 FROM investigators WHERE username = ?", [username])
        if investigator and not has:
            conn.execute(
                "INSERT INTO investigators VALUES (?, ?, ?)", [username, session.username, _now()]
            )
            events.append(Event("investigator_granted", "users", username, after={"site": user[1]}))
        elif not investigator and has:
            conn.execute("DELETE FROM investigators WHERE username = ?", [username])
            events.append(Event("investigator_revoked", "users", username, after={"site": user[1]}))


def is_investigator(session: Session) -> bool:
    """True if the session's user is an investigator (and a site user)."""
    if not session.allows(SIGN_CASEBOOK):
        return False
    with session.db.connect(read_only=True) as conn:
        return bool(one(conn, "SELECT 1 FROM investigators WHERE username = ?", [session.username]))


def _site_of(session: Session, subject_id: str) -> str:
    with session.db.connect(read_only=True) as conn:
        row = one(conn, "SELECT site_code FROM subjects WHERE subject_id = ?", [subject_id])
    if row is None:
        raise NotFound(f"no subject {subject_id}")
    return str(row[0])


def casebook(session: Session, subject_id: str) -> tuple[dict[str, int], str]:
    """What a signature would cover: rows per table and their SHA-256."""
    require(session, READ_CLINICAL, _site_of(session, subject_id), f"read subject {subject_id}")
    with session.db.connect(read_only=True) as conn:
        rows = subject_rows(conn, subject_id)
    return {t: len(r) for t, r in rows.items() if r}, rows_sha256(rows)


def sign_casebook(
    session: Session, subject_id: str, password: str, meaning: str, shown_sha256: str
) -> str:
    """Sign a subject's casebook with the password entered again; returns the signature id.

    ``shown_sha256`` is the hash of what the page showed: if the rows changed since, the
    signature is refused (:class:`CasebookChanged`) rather than covering unseen data.
    """
    site = _site_of(session, subject_id)
    require(session, SIGN_CASEBOOK, site, f"sign subject {subject_id}")
    if not is_investigator(session):
        with audited_transaction(session.db, session.actor) as (_conn, events):
            events.append(
                Event(
                    "access_denied",
                    key=f"sign subject {subject_id}",
                    after={"action": "sign_casebook", "site": site},
                )
            )
        raise AccessDenied(f"{session.username} is not an investigator and may not sign")
    meaning = (meaning or "").strip()
    if not meaning or len(meaning) > MAX_MEANING_CHARS:
        raise CaseguardError(
            f"the meaning of a signature must be 1..{MAX_MEANING_CHARS} characters"
        )
    confirm_password(session, password)
    with audited_transaction(session.db, session.actor) as (conn, events):
        digest = rows_sha256(subject_rows(conn, subject_id))
        if digest != shown_sha256:
            raise CasebookChanged(
                f"the casebook of {subject_id} changed while it was shown; review it and sign again"
            )
        signature_id = "SIG-" + uuid.uuid4().hex[:12].upper()
        conn.execute(
            "INSERT INTO signatures VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
            [signature_id, subject_id, site, session.username, _now(), meaning, digest],
        )
        events.append(
            Event(
                "casebook_signed",
                "signatures",
                signature_id,
                after={"subject_id": subject_id, "meaning": meaning, "rows_sha256": digest},
            )
        )
    return signature_id


def signature_status(session: Session, subject_id: str) -> SignatureStatus:
    """The newest signature of the casebook; valid only if unbroken and its hash still
    equals the rows (a change made outside the write paths is caught too)."""
    site = _site_of(session, subject_id)
    require(session, READ_CLINICAL, site, f"read subject {subject_id}")
    with session.db.connect(read_only=True) as conn:
        row = one(
            conn,
            "SELECT signature_id, username, signed_at, meaning, rows_sha256, broken_at, broken_by "
            "FROM signatures WHERE subject_id = ? ORDER BY signed_at DESC, signature_id LIMIT 1",
            [subject_id],
        )
        digest = rows_sha256(subject_rows(conn, subject_id)) if row else None
    if row is None:
        return SignatureStatus(None, None, None, None, False, None, None)
    valid = row[5] is None and row[4] == digest
    return SignatureStatus(
        str(row[0]), str(row[1]), row[2], str(row[3]), valid, row[5], row[6] or None
    )


def signature_progress(session: Session) -> pd.DataFrame:
    """Per centre: subjects, casebooks signed (signature standing) and broken signatures."""
    require(session, READ_AGGREGATE, None, "read signature progress")
    condition, params = scope_filter(session, "s.site_code")
    with session.db.connect(read_only=True) as conn:
        return conn.execute(
            f"""
            WITH latest AS (
                SELECT subject_id, broken_at,
                       row_number() OVER (PARTITION BY subject_id
                                          ORDER BY signed_at DESC, signature_id DESC) AS k
                FROM signatures)
            SELECT s.site_code, count(*)::BIGINT AS subjects,
                   count(*) FILTER (WHERE l.subject_id IS NOT NULL AND l.broken_at IS NULL)::BIGINT
                       AS signed,
                   count(*) FILTER (WHERE l.broken_at IS NOT NULL)::BIGINT AS broken
            FROM subjects s LEFT JOIN latest l ON l.subject_id = s.subject_id AND l.k = 1
            WHERE {condition} GROUP BY s.site_code ORDER BY s.site_code""",
            params,
        ).df()
