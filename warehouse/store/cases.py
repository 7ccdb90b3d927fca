"""Saving, reading and correcting cases, one transaction per save.

A case (a subject with consent, treatments, assessments, labs, adverse events and
narratives) is validated as a whole first; then its rows and one audit entry per
row are written in a single transaction: all of it or none of it. Every function
takes a :class:`~warehouse.store.access.Session` and refuses out-of-scope reads/writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb
import pandas as pd

from schemas import CLINICAL_TABLES, TABLES, Case, validate_case
from schemas.case import case_rule_problems
from schemas.common import as_list
from schemas.errors import CaseguardError, NotFound, ValidationFailed
from schemas.validate import checked_table
from warehouse.store.access import READ_CLINICAL, WRITE_CLINICAL, Session, require, scope_filter
from warehouse.store.audit import Event, audited_transaction
from warehouse.store.db import one
from warehouse.store.frames import insert, key_of, records, records_as_given, select
from warehouse.store.review_marks import clear_after_changes
from warehouse.store.upsert import upsert_cases

ROW_ACTIONS = frozenset({"insert", "update", "delete"})

Progress = Callable[[int, int], None]


@dataclass
class SaveSummary:
    """What a save wrote: subjects and rows per table."""

    subject_ids: list[str]
    rows: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        """One line for the user, e.g. '1 subject (treatments: 4, assessments: 2)'."""
        parts = [
            f"{t.replace('_', ' ')}: {n}" for t, n in self.rows.items() if n and t != "subjects"
        ]
        head = f"{len(self.subject_ids)} subject" + ("s" if len(self.subject_ids) != 1 else "")
        return head + (f" ({', '.join(parts)})" if parts else "")


def _insert_checked(
    conn: duckdb.DuckDBPyConnection,
    checked: dict[str, tuple[pd.DataFrame, list[dict[str, Any]]]],
    events: list[Event],
) -> dict[str, int]:
    """Insert each table's checked frame (with the rows it was checked from: stored as
    given when they are plain already) and add an audit event per row."""
    counts: dict[str, int] = {}
    for table in CLINICAL_TABLES:
        if table not in checked:
            continue
        frame, given = checked[table]
        rows = records_as_given(table, given)
        rows = records(frame) if rows is None else rows
        counts[table] = insert(conn, table, frame, rows)
        events.extend(Event("insert", table, key_of(table, r), after=r) for r in rows)
    return counts


def save_cases(
    session: Session, cases: Sequence[Case], progress: Progress | None = None
) -> SaveSummary:
    """Save new subjects with all their rows in one transaction; all or nothing.

    The one write path (:func:`~warehouse.store.upsert.upsert_cases`, mode ``new``): scope
    is checked per case first, then validation, then ownership of every row key.
    """
    summary = upsert_cases(session, cases, mode="new")
    if progress:
        progress(len(cases), len(cases))
    return SaveSummary(summary.subject_ids, summary.inserted)


def save_case(session: Session, case: Case) -> SaveSummary:
    """Save one new subject with everything recorded about them."""
    return save_cases(session, [case])


def _subject_site(conn: duckdb.DuckDBPyConnection, subject_id: str) -> str | None:
    row = one(conn, "SELECT site_code FROM subjects WHERE subject_id = ?", [subject_id])
    return str(row[0]) if row else None


def _read_case(conn: duckdb.DuckDBPyConnection, subject_id: str) -> Case:
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in CLINICAL_TABLES:
        if table == "ae_causality":
            where = "ae_id IN (SELECT ae_id FROM adverse_events WHERE subject_id = ?)"
        else:
            where = "subject_id = ?"
        tables[table] = select(conn, table, where, [subject_id])
    return Case(**tables)


# The stored rows the cross-table rules read when rows are added to a subject: the
# subject and consent, doses (first dose, intervals, switches, suspects) and events
# (onsets, fatal outcomes, causality targets). Stored visits, labs, narratives and
# causality rows are never read by a rule about new rows, so they are not loaded.
RULE_TABLES = ("subjects", "consents", "treatments", "adverse_events")


def _rule_rows(session: Session, subject_id: str) -> Case:
    """The stored rows of one subject that the case rules need (see RULE_TABLES)."""
    with session.db.connect(read_only=True) as conn:
        site = _subject_site(conn, subject_id)
        if site is not None and session.allows(READ_CLINICAL, site):
            return Case(**{t: select(conn, t, "subject_id = ?", [subject_id]) for t in RULE_TABLES})
    if site is not None:
        require(session, READ_CLINICAL, site, f"read subject {subject_id}")
    raise NotFound(f"no subject {subject_id}")


def load_case(session: Session, subject_id: str) -> Case:
    """Everything stored about one subject, if the session may see that subject."""
    with session.db.connect(read_only=True) as conn:
        site = _subject_site(conn, subject_id)
        if site is not None and session.allows(READ_CLINICAL, site):
            return _read_case(conn, subject_id)
    if site is not None:
        require(session, READ_CLINICAL, site, f"read subject {subject_id}")
    raise NotFound(f"no subject {subject_id}")


def subject_exists(session: Session, subject_id: str) -> bool:
    """True if the subject exists within the session's scope."""
    condition, params = scope_filter(session)
    with session.db.connect(read_only=True) as conn:
        row = one(
            conn,
            f"SELECT count(*) FROM subjects WHERE subject_id = ? AND {condition}",
            [subject_id, *params],
        )
    return bool(row and row[0])


def list_subjects(session: Session) -> pd.DataFrame:
    """The subjects the session may see, newest first (no clinical detail)."""
    require(session, READ_CLINICAL, None, "list subjects")
    condition, params = scope_filter(session)
    with session.db.connect(read_only=True) as conn:
        return conn.execute(
            "SELECT subject_id, site_code, disease, disease_subtype, status, created_at "
            f"FROM subjects WHERE {condition} ORDER BY created_at DESC, subject_id",
            params,
        ).df()


def add_records(
    session: Session,
    subject_id: str,
    rows: dict[str, list[dict[str, Any]]],
    also: Callable[[duckdb.DuckDBPyConnection, list[Event]], None] | None = None,
) -> SaveSummary:
    """Add follow-up rows (visits, doses, AEs, narratives) to an existing subject.

    ``also`` writes what belongs with the rows in another room's tables (an event's
    MedDRA coding and day 0) inside the same audited transaction, after the rows:
    if it raises, nothing is saved."""
    unknown = set(rows) - (set(CLINICAL_TABLES) - {"subjects", "consents"})
    if unknown:
        raise CaseguardError(f"cannot add rows to {', '.join(sorted(unknown))} this way")
    existing = _rule_rows(session, subject_id)
    require(session, WRITE_CLINICAL, existing.subject["site_code"], f"add to subject {subject_id}")
    checked = {table: checked_table(table, table_rows) for table, table_rows in rows.items()}
    problems = [p for _, found in checked.values() for p in found]
    if problems:  # the cross-table rules need typed values (a bad date cannot be compared)
        raise ValidationFailed(problems)
    subjects = existing.subjects
    died = existing.subject.get("status") == "active" and _reports_death(rows)
    if died:  # a fatal event is the news of the death: the subject's status follows
        subjects = [{**existing.subject, "status": "died"}]
        existing = replace(existing, subjects=subjects)
    problems += case_rule_problems(Case(subjects=subjects, **rows), existing)
    if problems:
        raise ValidationFailed(problems)
    with audited_transaction(session.db, session.actor) as (conn, events):
        counts = _insert_checked(
            conn, {t: (frame, rows[t]) for t, (frame, _) in checked.items()}, events
        )
        if also is not None:
            also(conn, events)
        if died:
            conn.execute("UPDATE subjects SET status = 'died' WHERE subject_id = ?", [subject_id])
            events.append(
                Event(
                    "update",
                    "subjects",
                    subject_id,
                    before={"status": "active"},
                    after={"status": "died"},
                    reason="fatal adverse event recorded",
                )
            )
        events.extend(clear_after_changes(conn, events))
    return SaveSummary([subject_id], counts)


def _reports_death(rows: dict[str, list[dict[str, Any]]]) -> bool:
    """True if new adverse events include a fatal outcome or the criterion death."""
    return any(
        ae.get("outcome") == "fatal" or "death" in as_list(ae.get("seriousness"))
        for ae in rows.get("adverse_events", [])
    )


@dataclass(frozen=True)
class Change:
    """New values for some fields of one row, identified by its key."""

    table: str
    key: dict[str, Any]
    values: dict[str, Any]


def _apply(case: Case, change: Change) -> tuple[dict[str, Any], dict[str, Any]]:
    for row in case.rows(change.table):
        if all(row.get(k) == v for k, v in change.key.items()):
            before = dict(row)
            row.update(change.values)  # rows are the case's own dicts
            return before, row
    raise NotFound(f"no {change.table} row {'|'.join(map(str, change.key.values()))}")


def update_rows(
    session: Session,
    subject_id: str,
    changes: Sequence[Change],
    reason: str,
    finish: Callable[[duckdb.DuckDBPyConnection, list[Event]], None] | None = None,
) -> None:
    """Correct stored values of one subject, with a reason; validated, audited, atomic.

    ``finish``, if given, runs inside the same transaction after the rows are written
    (a query answered by this correction is recorded with it, or neither is)."""
    if not reason or not reason.strip():
        raise CaseguardError("a reason is required to change a saved clinical value")
    case = load_case(session, subject_id)
    require(session, WRITE_CLINICAL, case.subject["site_code"], f"change subject {subject_id}")
    updates = []
    for change in changes:
        if change.table not in CLINICAL_TABLES:
            raise CaseguardError(f"{change.table} is not a clinical table")
        if set(change.key) != set(TABLES[change.table].key):
            raise CaseguardError(
                f"name the row by its full key ({', '.join(TABLES[change.table].key)})"
            )
        fixed = set(TABLES[change.table].key) | {"subject_id", "site_code"}
        bad = [f for f in change.values if f in fixed or f not in TABLES[change.table].columns]
        if bad:
            raise CaseguardError(
                f"cannot change {', '.join(bad) or change.table} in {change.table}"
            )
        updates.append((change, *_apply(case, change)))
    problems = validate_case(case)
    if problems:
        raise ValidationFailed(problems)
    with audited_transaction(session.db, session.actor) as (conn, events):
        for change, before, after in updates:
            sets = ", ".join(f"{c} = ?" for c in change.values)
            where = " AND ".join(f"{c} = ?" for c in change.key)
            conn.execute(
                f"UPDATE {change.table} SET {sets} WHERE {where}",
                [*change.values.values(), *change.key.values()],
            )
            events.append(
                Event(
                    "update",
                    change.table,
                    key_of(change.table, after),
                    before=before,
                    after=after,
                    reason=reason.strip(),
                )
            )
        events.extend(clear_after_changes(conn, events))
        if finish is not None:
            written = len(events)
            finish(conn, events)
            # a row another room changes with the correction is changed for its reason
            events[written:] = [
                replace(e, reason=reason.strip())
                if e.action in ROW_ACTIONS and e.reason is None
                else e
                for e in events[written:]
            ]


def withdraw_consent(session: Session, subject_id: str, withdrawn_date: Any, reason: str) -> None:
    """Record a consent withdrawal: the subject is marked and leaves every export."""
    update_rows(
        session,
        subject_id,
        [
            Change("consents", {"subject_id": subject_id}, {"withdrawn_date": withdrawn_date}),
            Change("subjects", {"subject_id": subject_id}, {"status": "withdrawn"}),
        ],
        reason,
    )
