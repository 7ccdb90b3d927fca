"""Review marks that a change to clinical data must undo, inside the change's transaction.

A source-data verification mark says "this row equals the source document"; a casebook
signature says "this subject's rows are complete and correct". Either stops being true
the moment a row changes, so every clinical write path (form saves, corrections, imports)
calls :func:`clear_after_changes` with its audit events before it commits: marks of the
changed rows are removed and signatures of the changed subjects are marked broken, each
with its own audit entry. The review room (warehouse.review) sets the marks; this module
only undoes them and counts them, so the store and the export can use it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb

from schemas import CLINICAL_TABLES, TABLES
from warehouse.store.audit import Event, canonical_json
from warehouse.store.frames import key_of, select

CHANGES = frozenset({"insert", "update"})


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _has_review_tables(conn: duckdb.DuckDBPyConnection) -> bool:
    rows = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('sdv_marks', 'signatures')"
    ).fetchall()
    return bool(rows and rows[0][0] == 2)


def subject_rows(
    conn: duckdb.DuckDBPyConnection, subject_id: str
) -> dict[str, list[dict[str, Any]]]:
    """Every clinical row of one subject, per table, each table sorted by its key."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in CLINICAL_TABLES:
        if table == "ae_causality":
            where = "ae_id IN (SELECT ae_id FROM adverse_events WHERE subject_id = ?)"
        else:
            where = "subject_id = ?"
        rows = select(conn, table, where, [subject_id])
        tables[table] = sorted(rows, key=lambda r, t=table: key_of(t, r))  # type: ignore[misc]
    return tables


def rows_sha256(rows: dict[str, list[dict[str, Any]]]) -> str:
    """SHA-256 of a subject's rows in a stable text form (what a signature covers)."""
    text = canonical_json({"tables": rows}) or ""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def clear_after_changes(conn: duckdb.DuckDBPyConnection, events: Sequence[Event]) -> list[Event]:
    """Undo the review marks the changes in ``events`` make untrue; return their audit events.

    An updated row loses its verification mark; a subject with an inserted or updated row
    loses the validity of its signature (marked broken, kept for the record).
    """
    changes = [e for e in events if e.action in CHANGES and e.table in CLINICAL_TABLES]
    if not changes or not _has_review_tables(conn):
        return []
    out: list[Event] = []
    updated = {(e.table, e.key) for e in changes if e.action == "update" and e.key}
    if updated:
        out += _clear_sdv(conn, updated)
    # A bulk import brings hundreds of thousands of changes and usually no signature
    # stands: whose subjects changed is only worked out when one could break.
    if _standing_signatures(conn):
        owners = _ae_owners(conn, changes)
        subject_of = [_subject_in(e, owners) for e in changes]
        subjects = {s for s in subject_of if s}
        if subjects:
            out += _break_signatures(conn, subjects, changes, subject_of)
    return out


def _standing_signatures(conn: duckdb.DuckDBPyConnection) -> bool:
    have = conn.execute("SELECT count(*) FROM signatures WHERE broken_at IS NULL").fetchall()
    return bool(have and have[0][0])


def _ae_owners(conn: duckdb.DuckDBPyConnection, changes: Sequence[Event]) -> dict[str, str]:
    """The subject of every adverse event a causality change names, in one query
    (the rows are already written, so a new event's subject is found too)."""
    ae_ids = sorted(
        {
            str((e.after or e.before or {}).get("ae_id"))
            for e in changes
            if e.table == "ae_causality"
            and not (e.after or e.before or {}).get("subject_id")
            and (e.after or e.before or {}).get("ae_id")
        }
    )
    if not ae_ids:
        return {}
    found = conn.execute(
        "SELECT ae_id, subject_id FROM adverse_events WHERE ae_id IN (SELECT unnest(?::VARCHAR[]))",
        [ae_ids],
    ).fetchall()
    return {str(ae): str(sid) for ae, sid in found}


def _subject_in(event: Event, ae_owners: dict[str, str]) -> str | None:
    """The subject a change concerns (a causality row's through its adverse event)."""
    row = event.after or event.before or {}
    if row.get("subject_id"):
        return str(row["subject_id"])
    if event.table == "ae_causality" and row.get("ae_id"):
        return ae_owners.get(str(row["ae_id"]))
    return None


def _clear_sdv(conn: duckdb.DuckDBPyConnection, keys: set[tuple[Any, Any]]) -> list[Event]:
    have = conn.execute("SELECT count(*) FROM sdv_marks").fetchall()
    if not have or not have[0][0]:
        return []
    out = []
    for table, key in sorted(keys):
        deleted = conn.execute(
            "DELETE FROM sdv_marks WHERE table_name = ? AND row_key = ? "
            "RETURNING verified_by, verified_at, subject_id",
            [table, key],
        ).fetchall()
        for mark in deleted:
            out.append(
                Event(
                    "sdv_cleared",
                    table,
                    key,
                    before={"verified_by": mark[0], "verified_at": mark[1], "subject_id": mark[2]},
                    reason="value changed after source-data verification",
                )
            )
    return out


def _break_signatures(
    conn: duckdb.DuckDBPyConnection,
    subjects: Iterable[str],
    changes: Sequence[Event],
    subject_of: Sequence[str | None],
) -> list[Event]:
    first_change = {}
    for event, sid in zip(changes, subject_of, strict=True):
        if sid and sid not in first_change:
            first_change[sid] = f"{event.action} {event.table} {event.key}"
    out = []
    now = _now()
    for sid in sorted(subjects):
        broken = conn.execute(
            "UPDATE signatures SET broken_at = ?, broken_by = ? "
            "WHERE subject_id = ? AND broken_at IS NULL RETURNING signature_id, username",
            [now, first_change.get(sid, "change"), sid],
        ).fetchall()
        out += [
            Event(
                "signature_broken",
                "signatures",
                str(signature_id),
                before={"subject_id": sid, "signed_by": username},
                after={"broken_by": first_change.get(sid)},
                reason="signed casebook changed after signing",
            )
            for signature_id, username in broken
        ]
    return out


def review_counts(conn: duckdb.DuckDBPyConnection, subject_ids: Sequence[str]) -> dict[str, int]:
    """For the given subjects: rows, rows verified against source, rows in a currently
    signed casebook, and subjects whose casebook is signed with every row verified.

    Counted in the database: a pooled export asks this of every released row (millions
    at 100,000 subjects), which need not be fetched one by one to be counted."""
    if not _has_review_tables(conn):
        return {"rows": 0, "rows_verified": 0, "rows_signed": 0, "subjects_verified_signed": 0}
    with _review_ids(conn, subject_ids):
        row = conn.execute(f"""
            WITH rows AS ({_COUNTED_ROWS_SQL}),
            whole AS (
                SELECT subject_id FROM rows GROUP BY subject_id
                HAVING bool_and(verified) AND bool_and(signed)
            )
            SELECT count(*), count(*) FILTER (WHERE verified), count(*) FILTER (WHERE signed),
                   (SELECT count(*) FROM whole)
            FROM rows""").fetchall()[0]
    rows, verified, signed, whole = (int(v) for v in row)
    return {
        "rows": rows,
        "rows_verified": verified,
        "rows_signed": signed,
        "subjects_verified_signed": whole,
    }


def _rows_sql(marked_keys_only: bool) -> str:
    """Every clinical row of the subjects registered as ``_review_ids``, with its marks;
    with ``marked_keys_only`` the row key is built only for subjects with a mark (a mark
    is always recorded with its row's subject, so only theirs can match one): for counts."""
    parts = []
    for table in CLINICAL_TABLES:
        key_sql = " || '|' || ".join(f"CAST(t.{c} AS VARCHAR)" for c in TABLES[table].key)
        if table == "ae_causality":
            source = (
                "ae_causality t JOIN adverse_events a USING (ae_id) "
                "JOIN _review_ids i ON a.subject_id = i.subject_id"
            )
            sid = "a.subject_id"
        else:
            source = f"{table} t JOIN _review_ids i ON t.subject_id = i.subject_id"
            sid = "t.subject_id"
        if marked_keys_only:
            key_sql = f"CASE WHEN {sid} IN (SELECT subject_id FROM sdv_marks) THEN {key_sql} END"
        parts.append(
            f"SELECT {sid} AS subject_id, '{table}' AS table_name, {key_sql} AS row_key "
            f"FROM {source}"
        )
    return f"""
        WITH r AS ({" UNION ALL ".join(parts)})
        SELECT r.subject_id, r.table_name, r.row_key,
               m.row_key IS NOT NULL AS verified,
               r.subject_id IN (SELECT subject_id FROM signatures
                                WHERE broken_at IS NULL) AS signed
        FROM r LEFT JOIN sdv_marks m
          ON m.table_name = r.table_name AND m.row_key = r.row_key"""


_ROWS_SQL = _rows_sql(marked_keys_only=False)
_COUNTED_ROWS_SQL = _rows_sql(marked_keys_only=True)


@contextmanager
def _review_ids(conn: duckdb.DuckDBPyConnection, subject_ids: Sequence[str]) -> Iterator[None]:
    import pandas as pd

    conn.register("_review_ids", pd.DataFrame({"subject_id": list(subject_ids)}, dtype=object))
    try:
        yield
    finally:
        conn.unregister("_review_ids")


def verified_signed_rows(conn: duckdb.DuckDBPyConnection, subject_ids: Sequence[str]) -> Any:
    """One row per clinical row of the subjects: subject_id, table_name, row_key,
    verified (an SDV mark stands) and signed (the subject's signature stands)."""
    with _review_ids(conn, subject_ids):
        return conn.execute(_ROWS_SQL).df()
