"""Queries on one field of one row: raised, answered, closed or re-opened; all audited.

A query points at (subject, table, row, field). Monitors and coordinators raise, close
and re-open queries; site users answer those of their own centre with text, with a
correction of the value (which carries the query as its reason, in the same transaction),
or both. Every text is scrubbed of identifiers and size-limited before it is stored.
A rule query (see :mod:`warehouse.review.soft_checks`) stores its rule and the values
that tripped it instead of free text, so it reads in either language.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from schemas import CLINICAL_TABLES, TABLES
from schemas.errors import CaseguardError, NotFound
from warehouse.store.access import (
    ANSWER_QUERY,
    READ_CLINICAL,
    WRITE_REVIEW,
    Session,
    require,
    scope_filter,
)
from warehouse.store.audit import Actor, Event, audited_transaction
from warehouse.store.db import one

MAX_TEXT_CHARS = 2000
OPEN, ANSWERED, CLOSED = "open", "answered", "closed"
STATES = (OPEN, ANSWERED, CLOSED)
ACTIVE = (OPEN, ANSWERED)
Scrub = Callable[[str], str]


class QueryTextError(CaseguardError):
    """A query's question or answer cannot be stored (empty or too long)."""

    title = "Query text refused"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class QueryStateError(CaseguardError):
    """The step is not possible in the query's present state."""

    title = "Query state"


@dataclass(frozen=True)
class Target:
    """What a query is about: one field of one row of one subject."""

    subject_id: str
    table: str
    row_key: str
    field: str


@dataclass(frozen=True)
class Query:
    """One stored query (its thread is read with :func:`messages`)."""

    query_id: str
    site_code: str
    target: Target
    state: str
    origin: str
    rule_id: str | None
    opened_by: str
    opened_at: dt.datetime


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def scrub_with_presidio(text: str) -> str:
    """The project's scrubber (identifiers replaced by placeholders)."""
    from anonymise import scrub_text  # loads its models on first use

    return scrub_text(text).text


def clean_text(text: str | None, required: bool = True, scrub: Scrub | None = None) -> str:
    """A question or answer as it may be stored: stripped, size-checked, scrubbed.

    Raises :class:`QueryTextError` ("empty" or "too_long") with a message saying the rule.
    """
    stripped = (text or "").strip()
    if not stripped:
        if required:
            raise QueryTextError("empty", "the text of a query or answer is required")
        return ""
    if len(stripped) > MAX_TEXT_CHARS:
        raise QueryTextError(
            "too_long",
            f"the text has {len(stripped)} characters; at most {MAX_TEXT_CHARS} are allowed",
        )
    return (scrub or scrub_with_presidio)(stripped)


def key_values(table: str, row_key: str) -> dict[str, str]:
    """A row key text ('a' or 'a|b') as {key column: value}."""
    columns = TABLES[table].key
    parts = row_key.split("|")
    if len(parts) != len(columns):
        raise NotFound(f"no {table} row {row_key}")
    return dict(zip(columns, parts, strict=True))


def locate(conn: duckdb.DuckDBPyConnection, table: str, row_key: str) -> tuple[str, str] | None:
    """(subject_id, site_code) of a stored row, or None if there is no such row."""
    if table not in CLINICAL_TABLES:
        return None
    key = key_values(table, row_key)
    where = " AND ".join(f"t.{c} = ?" for c in key)
    if table == "ae_causality":
        sql = (
            "SELECT s.subject_id, s.site_code FROM ae_causality t "
            "JOIN adverse_events a USING (ae_id) JOIN subjects s ON s.subject_id = a.subject_id "
        )
    elif table == "subjects":
        sql = "SELECT t.subject_id, t.site_code FROM subjects t "
    else:
        sql = f"SELECT s.subject_id, s.site_code FROM {table} t JOIN subjects s USING (subject_id) "
    row = one(conn, sql + f"WHERE {where}", list(key.values()))
    return (str(row[0]), str(row[1])) if row else None


def insert_query(
    conn: duckdb.DuckDBPyConnection,
    events: list[Event],
    actor: Actor,
    site: str,
    target: Target,
    question: str,
    rule_id: str | None = None,
) -> str:
    """Write a new open query and its question inside the caller's transaction."""
    return insert_queries(conn, events, [NewQuery(actor, site, target, question, rule_id)])[0]


@dataclass(frozen=True)
class NewQuery:
    """A query about to be opened: by whom, at which site, on what, asking what."""

    actor: Actor
    site: str
    target: Target
    question: str
    rule_id: str | None = None


def _new_query_table(new: Sequence[NewQuery], ids: list[str]) -> pa.Table:
    text = pa.string()
    return pa.table(
        {
            "query_id": pa.array(ids, text),
            "site_code": pa.array([q.site for q in new], text),
            "subject_id": pa.array([q.target.subject_id for q in new], text),
            "table_name": pa.array([q.target.table for q in new], text),
            "row_key": pa.array([q.target.row_key for q in new], text),
            "field": pa.array([q.target.field for q in new], text),
            "origin": pa.array(["rule" if q.rule_id else "manual" for q in new], text),
            "rule_id": pa.array([q.rule_id for q in new], text),
            "opened_by": pa.array([q.actor.username for q in new], text),
            "text": pa.array([q.question or None for q in new], text),
            "role": pa.array([q.actor.role for q in new], text),
        }
    )


def insert_queries(
    conn: duckdb.DuckDBPyConnection, events: list[Event], new: Sequence[NewQuery]
) -> list[str]:
    """Write new open queries, each with its question as message 1, inside the caller's
    transaction: one INSERT per table however many (the soft checks after a bulk import
    open thousands). Their audit events are appended in the order given."""
    if not new:
        return []
    now = _now()
    ids = ["Q-" + uuid.uuid4().hex[:10].upper() for _ in new]
    try:
        queries = _new_query_table(new, ids)
    except UnicodeEncodeError:  # a lone surrogate, only possible through the library
        raise CaseguardError(
            "a value or reason contains characters that are not valid text"
        ) from None
    conn.register("_new_queries", queries)
    try:
        conn.execute(
            "INSERT INTO queries (query_id, site_code, subject_id, table_name, row_key, field, "
            "state, origin, rule_id, opened_by, opened_at) SELECT query_id, site_code, "
            "subject_id, table_name, row_key, field, 'open', origin, rule_id, opened_by, ? "
            "FROM _new_queries",
            [now],
        )
        conn.execute(
            "INSERT INTO query_messages (query_id, n, kind, text, correction, author, role, "
            "written_at) SELECT query_id, 1, 'question', text, NULL, opened_by, role, ? "
            "FROM _new_queries",
            [now],
        )
    finally:
        conn.unregister("_new_queries")
    events.extend(
        Event(
            "query_opened",
            "queries",
            query_id,
            after={
                "subject_id": q.target.subject_id,
                "table": q.target.table,
                "row_key": q.target.row_key,
                "field": q.target.field,
                "rule": q.rule_id,
                "text": q.question,
            },
        )
        for query_id, q in zip(ids, new, strict=True)
    )
    return ids


def add_message(
    conn: duckdb.DuckDBPyConnection,
    query_id: str,
    kind: str,
    text: str | None,
    correction: dict[str, Any] | None,
    actor: Actor,
    at: dt.datetime,
) -> None:
    """Append one step (question, answer, close, reopen, auto_close) to a query's thread."""
    row = one(conn, "SELECT coalesce(max(n), 0) FROM query_messages WHERE query_id = ?", [query_id])
    n = int(row[0]) + 1 if row else 1
    conn.execute(
        "INSERT INTO query_messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            query_id,
            n,
            kind,
            text or None,
            json.dumps(correction, ensure_ascii=False, default=str) if correction else None,
            actor.username,
            actor.role,
            at,
        ],
    )


def open_query(session: Session, target: Target, question: str, scrub: Scrub | None = None) -> str:
    """Raise a query on one stored field (monitors, coordinators); returns its id."""
    require(session, WRITE_REVIEW, None, "raise a query")
    if target.table not in CLINICAL_TABLES or target.field not in TABLES[target.table].columns:
        raise NotFound(f"no field {target.field} in {target.table}")
    text = clean_text(question, scrub=scrub)
    with session.db.connect(read_only=True) as conn:
        found = locate(conn, target.table, target.row_key)
    if found is None or found[0] != target.subject_id:
        raise NotFound(f"no {target.table} row {target.row_key} of subject {target.subject_id}")
    with audited_transaction(session.db, session.actor) as (conn, events):
        return insert_query(conn, events, session.actor, found[1], target, text)


_COLUMNS = (
    "query_id, site_code, subject_id, table_name, row_key, field, state, origin, rule_id, "
    "opened_by, opened_at, answered_at, closed_at, first_answered_at"
)


def _as_query(row: tuple[Any, ...]) -> Query:
    return Query(
        str(row[0]),
        str(row[1]),
        Target(str(row[2]), str(row[3]), str(row[4]), str(row[5])),
        str(row[6]),
        str(row[7]),
        row[8],
        str(row[9]),
        row[10],
    )


def get_query(session: Session, query_id: str) -> Query:
    """One query, if the session may see its centre (refused and audited otherwise)."""
    with session.db.connect(read_only=True) as conn:
        row = one(conn, f"SELECT {_COLUMNS} FROM queries WHERE query_id = ?", [query_id])
    if row is None:
        raise NotFound(f"no query {query_id}")
    query = _as_query(row)
    require(session, READ_CLINICAL, query.site_code, f"read query {query_id}")
    return query


def _step(
    session: Session,
    query_id: str,
    action: str,
    allowed_from: tuple[str, ...],
    new_state: str,
    kind: str,
    text: str,
    extra: Callable[[duckdb.DuckDBPyConnection, list[Event]], None] | None = None,
) -> None:
    query = get_query(session, query_id)
    permission = ANSWER_QUERY if kind == "answer" else WRITE_REVIEW
    require(session, permission, query.site_code, f"{kind} query {query_id}")
    with audited_transaction(session.db, session.actor) as (conn, events):
        _transition(
            conn, events, session.actor, query_id, action, allowed_from, new_state, kind, text
        )
        if extra is not None:
            extra(conn, events)


def _transition(
    conn: duckdb.DuckDBPyConnection,
    events: list[Event],
    actor: Actor,
    query_id: str,
    action: str,
    allowed_from: tuple[str, ...],
    new_state: str,
    kind: str,
    text: str,
    correction: dict[str, Any] | None = None,
) -> None:
    row = one(conn, "SELECT state FROM queries WHERE query_id = ?", [query_id])
    state = str(row[0]) if row else None
    if state not in allowed_from:
        raise QueryStateError(f"query {query_id} is {state}; it cannot be {action.split('_')[-1]}")
    now = _now()
    stamp = {"answered": "answered_at", "closed": "closed_at", "open": None}[new_state]
    sets = ["state = ?"] + ([f"{stamp} = ?"] if stamp else [])
    params: list[Any] = [new_state] + ([now] if stamp else [])
    if new_state == ANSWERED:
        sets.append("first_answered_at = coalesce(first_answered_at, ?)")
        params.append(now)
    if new_state == OPEN:
        sets += ["answered_at = NULL", "closed_at = NULL"]
    conn.execute(f"UPDATE queries SET {', '.join(sets)} WHERE query_id = ?", [*params, query_id])
    add_message(conn, query_id, kind, text, correction, actor, now)
    after: dict[str, Any] = {"state": new_state, "text": text or None}
    if correction:
        after["correction"] = correction
    events.append(Event(action, "queries", query_id, before={"state": state}, after=after))


def answer_query(session: Session, query_id: str, text: str, scrub: Scrub | None = None) -> None:
    """Answer an open query of one's centre with text (site users, coordinators)."""
    answer = clean_text(text, scrub=scrub)
    _step(session, query_id, "query_answered", (OPEN,), ANSWERED, "answer", answer)


def close_query(
    session: Session, query_id: str, note: str = "", scrub: Scrub | None = None
) -> None:
    """Close a query (monitors, coordinators): the answer is accepted, or it was raised in error."""
    text = clean_text(note, required=False, scrub=scrub)
    _step(session, query_id, "query_closed", ACTIVE, CLOSED, "close", text)


def reopen_query(session: Session, query_id: str, text: str, scrub: Scrub | None = None) -> None:
    """Re-open an answered or closed query with a follow-up question (monitors, coordinators)."""
    follow_up = clean_text(text, scrub=scrub)
    _step(session, query_id, "query_reopened", (ANSWERED, CLOSED), OPEN, "reopen", follow_up)


def list_queries(
    session: Session,
    site: str | None = None,
    state: str | None = None,
    subject_id: str | None = None,
) -> pd.DataFrame:
    """Queries the session may see, newest first, with the latest text of their thread
    and their age in days (open queries: since opening; others: until answered/closed)."""
    require(session, READ_CLINICAL, site, "list queries")
    if state is not None and state not in STATES:
        raise CaseguardError(f"unknown query state {state!r} (one of: {', '.join(STATES)})")
    condition, params = scope_filter(session, "q.site_code")
    filters = [condition]
    for column, value in (("q.site_code", site), ("q.state", state), ("q.subject_id", subject_id)):
        if value is not None:
            filters.append(f"{column} = ?")
            params.append(value)
    sql = f"""
        SELECT q.query_id, q.site_code, q.subject_id, q.table_name, q.row_key, q.field,
               q.state, q.origin, q.rule_id, q.opened_by, q.opened_at, q.answered_at,
               q.closed_at, q.first_answered_at,
               (SELECT m.text FROM query_messages m WHERE m.query_id = q.query_id
                  AND m.kind IN ('question', 'reopen') ORDER BY m.n DESC LIMIT 1) AS question,
               (SELECT m.text FROM query_messages m WHERE m.query_id = q.query_id
                  AND m.kind = 'answer' ORDER BY m.n DESC LIMIT 1) AS answer,
               date_diff('day', q.opened_at, coalesce(q.closed_at, ?::TIMESTAMP)) AS age_days
        FROM queries q WHERE {" AND ".join(filters)}
        ORDER BY q.opened_at DESC, q.query_id"""
    with session.db.connect(read_only=True) as conn:
        return conn.execute(sql, [_now(), *params]).df()


def messages(session: Session, query_id: str) -> pd.DataFrame:
    """A query's thread in order: kind, text, correction, author, role, time."""
    get_query(session, query_id)
    with session.db.connect(read_only=True) as conn:
        return conn.execute(
            "SELECT n, kind, text, correction, author, role, written_at FROM query_messages "
            "WHERE query_id = ? ORDER BY n",
            [query_id],
        ).df()


def field_queries(
    session: Session, subject_id: str, states: tuple[str, ...] = (OPEN,)
) -> pd.DataFrame:
    """A subject's queries in ``states`` (open by default), for showing next to fields."""
    frame = list_queries(session, subject_id=subject_id)
    return frame[frame["state"].isin(states)].reset_index(drop=True)


def record_export(session: Session, rows: int, sha256: str, filters: dict[str, Any]) -> None:
    """Audit an export of the query list (rows, file hash and filters)."""
    require(session, READ_CLINICAL, filters.get("site"), "export queries")
    with audited_transaction(session.db, session.actor) as (_conn, events):
        events.append(
            Event(
                "queries_exported",
                "queries",
                None,
                after={"rows": rows, "sha256": sha256, **filters},
            )
        )
