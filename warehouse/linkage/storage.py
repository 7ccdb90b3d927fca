"""Linkage tokens in their own table: written at a site from identifiers typed there.

The identifiers live only in the call; the table holds keyed tokens, the key's public
fingerprint and the time. The audit log records which fields were given (names only):
neither identifiers nor tokens go to the log.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd

from schemas.errors import NotFound
from warehouse.linkage.tokens import TOKEN_COLUMNS, Identifiers, key_id, make_tokens
from warehouse.store.access import WRITE_CLINICAL, Session, require
from warehouse.store.audit import Event, audited_transaction
from warehouse.store.db import one

TABLE = "linkage_tokens"
_COLUMNS = ("subject_id", "site_code", "key_id", *TOKEN_COLUMNS, "updated_at")


def token_row(key: bytes, subject_id: str, site_code: str, ids: Identifiers) -> dict[str, Any]:
    """The stored row for one subject (tokens, never identifiers)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return {
        "subject_id": subject_id,
        "site_code": site_code,
        "key_id": key_id(key),
        **make_tokens(key, ids),
        "updated_at": now,
    }


def token_columns() -> tuple[str, ...]:
    """The stored columns of a token row, in order."""
    return _COLUMNS


def given_fields(row: dict[str, Any]) -> list[str]:
    """Names of the token fields present in a row (what the audit log may say)."""
    return [c for c in TOKEN_COLUMNS if row.get(c) is not None]


def write_token_rows(
    conn: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]], events: list[Event]
) -> int:
    """Insert or replace token rows inside the caller's transaction (all or nothing)."""
    if not rows:
        return 0
    frame = pd.DataFrame(list(rows), columns=list(_COLUMNS))
    conn.register("_incoming_tokens", frame)
    try:
        conn.execute(
            f"DELETE FROM {TABLE} WHERE subject_id IN (SELECT subject_id FROM _incoming_tokens)"
        )
        names = ", ".join(_COLUMNS)
        conn.execute(f"INSERT INTO {TABLE} ({names}) SELECT {names} FROM _incoming_tokens")
    finally:
        conn.unregister("_incoming_tokens")
    events.extend(
        Event(
            "linkage_tokens",
            TABLE,
            row["subject_id"],
            after={"fields": given_fields(row), "key_id": row["key_id"]},
        )
        for row in rows
    )
    return len(rows)


def record_identifiers(session: Session, subject_id: str, ids: Identifiers) -> list[str]:
    """Make and store the linkage tokens of an existing subject from identifiers typed
    at its site; return the names of the fields used. Empty identifiers store nothing.

    Needs the site's linkage key (KeyFileError at a coordinator, who has none) and the
    right to write clinical data at the subject's site.
    """
    with session.db.connect(read_only=True) as conn:
        found = one(conn, "SELECT site_code FROM subjects WHERE subject_id = ?", [subject_id])
    if found is None:
        raise NotFound(f"no subject {subject_id}")
    site = str(found[0])
    require(session, WRITE_CLINICAL, site, f"record linkage identifiers of {subject_id}")
    if ids.empty:
        return []
    row = token_row(session.db.keys.linkage_key(), subject_id, site, ids)
    with audited_transaction(session.db, session.actor) as (conn, events):
        write_token_rows(conn, [row], events)
    return given_fields(row)


def has_tokens(session: Session, subject_id: str) -> bool:
    """True if linkage tokens are stored for the subject."""
    with session.db.connect(read_only=True) as conn:
        return one(conn, f"SELECT 1 FROM {TABLE} WHERE subject_id = ?", [subject_id]) is not None


_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_KEY_ID = re.compile(r"^[0-9a-f]{16}$")
BUNDLE_MEMBER = TABLE  # the bundle member name (linkage_tokens.parquet)


def site_token_rows(conn: duckdb.DuckDBPyConnection, site: str) -> pd.DataFrame:
    """A site's token rows, as a bundle carries them."""
    names = ", ".join(_COLUMNS)
    return conn.execute(
        f"SELECT {names} FROM {TABLE} WHERE site_code = ? ORDER BY subject_id", [site]
    ).df()


def checked_token_rows(
    frame: pd.DataFrame, site: str, subjects: set[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Token rows from a bundle, checked before anything is written: exact columns, the
    bundle's site, one of its subjects, and every token 128 bits of hex (so a bundle
    cannot smuggle identifiers in as tokens). Returns the rows and the problems."""
    if list(frame.columns) != list(_COLUMNS):
        return [], [f"{TABLE}: columns must be {', '.join(_COLUMNS)}"]
    problems: list[str] = []
    rows: list[dict[str, Any]] = []
    for index, record in enumerate(frame.to_dict("records")):
        row = {str(k): v for k, v in record.items()}
        where = f"{TABLE} row {index}"
        if row["site_code"] != site or row["subject_id"] not in subjects:
            problems.append(f"{where}: not a subject of site {site} in this bundle")
            continue
        if not isinstance(row["key_id"], str) or not _KEY_ID.match(row["key_id"]):
            problems.append(f"{where}: key_id is not a key fingerprint")
        for column in TOKEN_COLUMNS:
            value = row[column]
            if isinstance(value, float) and value != value:  # a Parquet null read as NaN
                value = row[column] = None
            values = list(value) if column == "surname_parts" and value is not None else [value]
            if any(v is not None and not (isinstance(v, str) and _TOKEN.match(v)) for v in values):
                problems.append(f"{where}: {column} is not a token")
        if not isinstance(row["updated_at"], dt.datetime):
            problems.append(f"{where}: updated_at is not a time")
        rows.append(row)
    return rows, problems


def load_tokens(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every stored token row (the coordinator's linkage input)."""
    names = ", ".join(_COLUMNS)
    return conn.execute(f"SELECT {names} FROM {TABLE} ORDER BY subject_id").df()
