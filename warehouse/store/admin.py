"""Sites, user accounts and the product reference table."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from argon2 import PasswordHasher

from schemas import TABLES, checked_table, load_reference
from schemas.errors import AccessDenied, CaseguardError, Conflict, ValidationFailed
from warehouse.store.access import (
    ATTRIBUTE_GATED,
    MANAGE_SITES,
    MANAGE_USERS,
    ROLE_ACTIONS,
    Session,
    require,
)
from warehouse.store.audit import Event, audited_transaction, canonical_json
from warehouse.store.db import one
from warehouse.store.frames import insert, key_of, records

MIN_PASSWORD = 10
_hasher = PasswordHasher()


def _insert_new(
    session: Session, table: str, row: dict[str, Any], hidden: tuple[str, ...] = ()
) -> None:
    """Validate and insert one new sites/users row with its audit entry (secrets left out)."""
    frame, problems = checked_table(table, [row])
    if problems:
        raise ValidationFailed(problems)
    key = key_of(table, row)
    with audited_transaction(session.db, session.actor) as (conn, events):
        if one(conn, f"SELECT 1 FROM {table} WHERE {TABLES[table].key[0]} = ?", [key]):
            raise Conflict(f"{table[:-1]} {key} already exists")
        site = row.get("site_code")
        if (
            table == "users"
            and site
            and not one(conn, "SELECT 1 FROM sites WHERE site_code = ?", [site])
        ):
            raise CaseguardError(f"unknown site {site}")
        insert(conn, table, frame)
        shown = {k: v for k, v in row.items() if k not in hidden}
        events.append(Event("insert", table, key, after=shown))


def add_site(session: Session, site_code: str, name: str, region: str, country: str = "RU") -> None:
    """Register a centre (its key file is created separately, outside the database)."""
    require(session, MANAGE_SITES, None, f"add site {site_code}")
    row = {"site_code": site_code, "name": name, "region": region, "country": country}
    _insert_new(session, "sites", row)


def list_sites(db_session: Session) -> pd.DataFrame:
    """All sites (codes, names, regions)."""
    with db_session.db.connect(read_only=True) as conn:
        return conn.execute("SELECT * FROM sites ORDER BY site_code").df()


def hash_password(password: str) -> str:
    """An argon2id hash of a password (the password itself is never stored)."""
    if len(password) < MIN_PASSWORD:
        raise CaseguardError(f"a password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def require_grant(session: Session, role: str, what: str) -> None:
    """Refuse (and audit) giving anyone a role that may do more than the session may.

    Least privilege: an administrator manages accounts but reads no clinical rows, so
    an administrator can neither create nor take over (by a password reset) an account
    that reads them; only a role that already holds those rights can grant them.
    """
    extra = ROLE_ACTIONS.get(role, frozenset()) - ROLE_ACTIONS[session.role] - ATTRIBUTE_GATED
    if not extra:
        return
    with audited_transaction(session.db, session.actor) as (_conn, events):
        events.append(
            Event("access_denied", key=what, after={"action": "grant_role", "role": role})
        )
    raise AccessDenied(
        f"{session.username} ({session.role}) may not {what}: a {role} account may "
        f"{', '.join(sorted(a.replace('_', ' ') for a in extra))}, which a {session.role} "
        "may not; ask a coordinator"
    )


def add_user(
    session: Session, username: str, password: str, role: str, site_code: str | None
) -> None:
    """Create an active account with an argon2id password hash."""
    require(session, MANAGE_USERS, None, f"add user {username}")
    require_grant(session, role, f"add user {username}")
    row: dict[str, Any] = {
        "username": username,
        "password_hash": hash_password(password),
        "role": role,
        "site_code": site_code,
        "active": True,
        "failed_logins": 0,
        "locked_until": None,
    }
    _insert_new(session, "users", row, hidden=("password_hash",))


def sync_products(session: Session) -> int:
    """Load the product reference data into the ``products`` table (idempotent)."""
    products = load_reference().products
    columns = [
        "product_id",
        "inn",
        "inn_ru",
        "brand",
        "brand_ru",
        "manufacturer",
        "is_generic",
        "reference_product_id",
        "route",
        "dose_kind",
        "dose_unit",
        "regimen_kind",
        "loading_days",
        "maintenance_interval_months",
    ]
    frame = products[columns].reset_index(drop=True)
    frame = frame.astype(object).where(frame.notna(), None)
    with audited_transaction(session.db, session.actor) as (conn, events):
        stored = conn.execute(f"SELECT {', '.join(columns)} FROM products ORDER BY product_id").df()
        if canonical_json({"rows": records(stored)}) == canonical_json(
            {"rows": records(frame.sort_values("product_id"))}
        ):
            return len(frame)  # already up to date: nothing written, nothing audited
        before = one(conn, "SELECT count(*) FROM products")
        conn.execute("DELETE FROM products")
        conn.register("_products", frame)
        conn.execute(f"INSERT INTO products SELECT {', '.join(columns)} FROM _products")
        conn.unregister("_products")
        events.append(
            Event(
                "sync_reference",
                "products",
                None,
                before={"rows": before[0] if before else 0},
                after={"rows": len(frame), "at": dt.date.today()},
            )
        )
    return len(frame)
