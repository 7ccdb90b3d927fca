"""Source-data verification: a monitor marks a row, or a whole visit, as checked against
the source documents. Any later change to a marked row removes its mark inside the
change's own transaction (:mod:`warehouse.store.review_marks`), audited; progress is
counted per centre and per table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from schemas.errors import CaseguardError, NotFound
from warehouse.review.queries import locate
from warehouse.store.access import READ_AGGREGATE, WRITE_REVIEW, Session, require, scope_filter
from warehouse.store.audit import Event, audited_transaction
from warehouse.store.review_marks import verified_signed_rows

VISIT_TABLES = {"assessments": "visit_date", "labs": "date"}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def mark_verified(session: Session, subject_id: str, rows: Sequence[tuple[str, str]]) -> int:
    """Mark rows ((table, row key) of one subject) as verified; returns how many were new."""
    require(session, WRITE_REVIEW, None, f"verify rows of subject {subject_id}")
    if not rows:
        raise CaseguardError("choose at least one record to mark as verified")
    now, added = _now(), 0
    with audited_transaction(session.db, session.actor) as (conn, events):
        for table, row_key in rows:
            found = locate(conn, table, row_key)
            if found is None or found[0] != subject_id:
                raise NotFound(f"no {table} row {row_key} of subject {subject_id}")
            inserted = conn.execute(
                "INSERT INTO sdv_marks VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING "
                "RETURNING row_key",
                [table, row_key, subject_id, found[1], session.username, now],
            ).fetchall()
            if inserted:
                added += 1
                events.append(Event("sdv_marked", table, row_key, after={"subject_id": subject_id}))
    return added


def visit_rows(session: Session, subject_id: str, visit_date: dt.date) -> list[tuple[str, str]]:
    """The rows of one visit of a subject (assessments and labs of that stored date)."""
    rows = []
    with session.db.connect(read_only=True) as conn:
        for table, column in VISIT_TABLES.items():
            key = "assessment_id" if table == "assessments" else "lab_id"
            found = conn.execute(
                f"SELECT {key} FROM {table} WHERE subject_id = ? AND {column} = ? ORDER BY {key}",
                [subject_id, visit_date],
            ).fetchall()
            rows += [(table, str(r[0])) for r in found]
    return rows


def mark_visit(session: Session, subject_id: str, visit_date: dt.date) -> int:
    """Mark every row of one visit as verified; returns how many were new."""
    rows = visit_rows(session, subject_id, visit_date)
    if not rows:
        raise NotFound(f"subject {subject_id} has no visit on {visit_date}")
    return mark_verified(session, subject_id, rows)


def subject_marks(session: Session, subject_id: str) -> pd.DataFrame:
    """Every row of one subject with whether it is verified (and its casebook signed)."""
    require(session, READ_AGGREGATE, None, "read verification marks")
    with session.db.connect(read_only=True) as conn:
        return verified_signed_rows(conn, [subject_id])


def sdv_progress(session: Session) -> pd.DataFrame:
    """Per centre and table: rows, rows verified and the share verified (0..1)."""
    require(session, READ_AGGREGATE, None, "read verification progress")
    condition, params = scope_filter(session)
    with session.db.connect(read_only=True) as conn:
        ids = [
            r[0]
            for r in conn.execute(
                f"SELECT subject_id FROM subjects WHERE {condition}", params
            ).fetchall()
        ]
        rows = verified_signed_rows(conn, ids)
        sites = conn.execute(
            f"SELECT subject_id, site_code FROM subjects WHERE {condition}", params
        ).df()
    if rows.empty:
        return pd.DataFrame(columns=["site_code", "table_name", "rows", "verified", "share"])
    rows = rows.merge(sites, on="subject_id")
    out = (
        rows.groupby(["site_code", "table_name"])
        .agg(rows=("row_key", "size"), verified=("verified", "sum"))
        .reset_index()
    )
    out["verified"] = out["verified"].astype(int)
    out["share"] = out["verified"] / out["rows"]
    return out
