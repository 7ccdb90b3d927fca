"""Answering a query with a correction of the queried value: the correction carries the
query as its reason and is written in one transaction with the answer; the soft checks
then run again for the subject (a corrected value may close a system query)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb

from warehouse.review.queries import (
    ANSWERED,
    OPEN,
    QueryStateError,
    Scrub,
    _transition,
    clean_text,
    get_query,
    key_values,
)
from warehouse.review.soft_checks import checks_after_save
from warehouse.store.access import ANSWER_QUERY, Session, require
from warehouse.store.audit import Event
from warehouse.store.cases import Change, update_rows


def answer_with_correction(
    session: Session,
    query_id: str,
    text: str,
    new_value: Any,
    scrub: Scrub | None = None,
    with_values: dict[str, Any] | None = None,
    finish: Callable[[duckdb.DuckDBPyConnection, list[Event]], None] | None = None,
) -> None:
    """Correct the queried value (given as stored, e.g. a date already shifted) and answer
    the query, in one transaction: the correction's reason names the query. Needs the
    right to write clinical values at the query's centre (a monitor has none).
    ``with_values`` are other columns of the row the value brings with it (a term's
    body system); ``finish`` writes, in the same transaction, what goes with it in
    another room (an event's MedDRA coding)."""
    query = get_query(session, query_id)
    require(session, ANSWER_QUERY, query.site_code, f"answer query {query_id}")
    if query.state != OPEN:
        raise QueryStateError(f"query {query_id} is {query.state}; only an open query is answered")
    answer = clean_text(text, required=False, scrub=scrub)
    target = query.target
    reason = f"query {query_id}: {answer}" if answer else f"query {query_id}"

    def record_answer(conn: duckdb.DuckDBPyConnection, events: list[Event]) -> None:
        if finish is not None:
            finish(conn, events)
        update = next(e for e in events if e.action == "update" and e.table == target.table)
        correction = {
            "field": target.field,
            "before": (update.before or {}).get(target.field),
            "after": (update.after or {}).get(target.field),
        }
        _transition(
            conn,
            events,
            session.actor,
            query_id,
            "query_answered",
            (OPEN,),
            ANSWERED,
            "answer",
            answer,
            correction,
        )

    change = Change(
        target.table,
        key_values(target.table, target.row_key),
        {**(with_values or {}), target.field: new_value},
    )
    update_rows(session, target.subject_id, [change], reason, finish=record_answer)
    checks_after_save(session.db, [target.subject_id], now=True)
