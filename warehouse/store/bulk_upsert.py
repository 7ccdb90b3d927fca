"""The one write path for many cases at once (a site bundle): the same rules as
:func:`~warehouse.store.upsert.upsert_cases`, written in batches of subjects.

Scope, validation (every table and every case's cross-table rules, all problems at
once; the rules run for the cases a column-at-a-time screen flags,
:mod:`schemas.case_screen`) and ownership are decided for the whole import before
anything is written, with the same functions and the same messages as a single save.
Then, still in the one transaction, the rows are written a batch of subjects at a
time and each batch's audit entries are appended to the chain before the next batch
is built, so the entries (and the JSON texts they carry) of hundreds of thousands of
rows are never all held at once.
Either every batch and every entry commits, or nothing does.

Ownership is screened for the whole import in one SQL join over the incoming keys
(registered frames, not a Python list per key column); only when that screen finds a
row does the single-save check (:func:`~warehouse.store.upsert._ownership`) run, so
every refusal names the same rows in the same words.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import duckdb
import numpy as np
import pandas as pd

from schemas import CLINICAL_TABLES, TABLES, Case
from schemas.case import case_rule_problems
from schemas.case_screen import cases_to_check
from schemas.errors import CaseguardError, ValidationFailed
from schemas.problems import Problem
from schemas.validate import checked_table
from warehouse.store.access import WRITE_CLINICAL, Session, require
from warehouse.store.audit import Event, audited_batches
from warehouse.store.review_marks import clear_after_changes
from warehouse.store.upsert import (
    Finish,
    UpsertSummary,
    _ownership,
    _write_table,
    owner_join,
)

BATCH_SUBJECTS = 2_000  # subjects written (and their audit entries chained) at a time
_PAUSE_LOCK = threading.Lock()
_pauses = {"count": 0, "was_enabled": False}


@contextmanager
def collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for a bulk write.

    An import holds millions of rows, dicts and texts at once; none of them form cycles
    (reference counting frees them), but each time the heap grows by a quarter the
    collector walks all of them again, a fifth of a 20,000-subject import's time.
    Re-enabled (if it was on) when the last pause in the process ends.
    """
    with _PAUSE_LOCK:
        if _pauses["count"] == 0:
            _pauses["was_enabled"] = gc.isenabled()
            gc.disable()
        _pauses["count"] += 1
    try:
        yield
    finally:
        with _PAUSE_LOCK:
            _pauses["count"] -= 1
            if _pauses["count"] == 0 and _pauses["was_enabled"]:
                gc.enable()


def upsert_in_batches(
    session: Session,
    cases: Sequence[Case],
    mode: str = "update",
    reason: str | None = None,
    finish: Finish | None = None,
    batch_subjects: int = BATCH_SUBJECTS,
    *,
    text_from_utf8: bool = False,
) -> UpsertSummary:
    """Write whole cases in one transaction, a batch of subjects at a time.

    The rules, refusals and audit entries are those of
    :func:`~warehouse.store.upsert.upsert_cases` in its ``update`` mode (a bundle's).
    ``finish(conn, events, summary)`` runs inside the transaction after every batch is
    written; the events it adds are chained last. ``text_from_utf8``: every text of the
    cases was decoded from UTF-8 (read from a bundle's Parquet), so the scan for lone
    surrogates, which UTF-8 cannot carry, is left out.
    """
    if mode != "update":  # the skip mode's refusals name rows within the whole import
        raise CaseguardError(f"bulk upserts only update, not {mode!r}")
    sites = dict.fromkeys(
        case.subject.get("site_code") if len(case.subjects) == 1 else None for case in cases
    )
    for site in sites:  # the first refused site is the first refused case's
        require(session, WRITE_CLINICAL, site, "save a case")
    frames, counts, problems = check_bulk(cases, text_from_utf8=text_from_utf8)
    if problems:
        raise ValidationFailed(problems)
    ids = [str(c.subject["subject_id"]) for c in cases]
    summary = UpsertSummary(ids)
    for table in CLINICAL_TABLES:
        summary.inserted[table] = summary.updated[table] = summary.unchanged[table] = 0
    with audited_batches(session.db, session.actor) as (conn, flush):
        if _ownership_screen(conn, cases, frames, counts):
            problems = _ownership(conn, cases)  # names the rows, in the single save's words
            if problems:
                raise ValidationFailed(problems)
        ends = {t: np.concatenate([[0], np.cumsum(counts[t])]) for t in CLINICAL_TABLES}
        for start in range(0, len(cases), batch_subjects):
            stop = min(start + batch_subjects, len(cases))
            events: list[Event] = []
            part = UpsertSummary([])
            for table in CLINICAL_TABLES:
                rows = frames[table].iloc[ends[table][start] : ends[table][stop]]
                _write_table(conn, table, rows, None, mode, reason, (events, problems, part))
            for table in CLINICAL_TABLES:
                summary.inserted[table] += part.inserted[table]
                summary.updated[table] += part.updated[table]
                summary.unchanged[table] += part.unchanged[table]
            events.extend(clear_after_changes(conn, events))
            flush(events)
        if finish is not None:
            events = []
            finish(conn, events, summary)
            flush(events)
    return summary


def check_bulk(
    cases: Sequence[Case], *, text_from_utf8: bool = False
) -> tuple[dict[str, pd.DataFrame], dict[str, np.ndarray], list[Problem]]:
    """:func:`~warehouse.store.upsert.check_batch`'s frames and problems (the same, in
    the same order), with each case's rules run only for the cases that
    :func:`~schemas.case_screen.cases_to_check` flags; and each table's rows per case."""
    for case in cases:
        if len(case.subjects) != 1:
            raise CaseguardError("a case holds exactly one subject row")
    counts = {t: np.array([len(c.rows(t)) for c in cases], dtype=np.int64) for t in CLINICAL_TABLES}
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for table in CLINICAL_TABLES:
        frames[table], found = checked_table(
            table,
            [row for case in cases for row in case.rows(table)],
            text_from_utf8=text_from_utf8,
        )
        problems += found
    if problems:  # the cross-table rules need typed values
        return frames, counts, problems
    for index in np.flatnonzero(cases_to_check(frames, counts)):
        problems += case_rule_problems(cases[int(index)])
    return frames, counts, problems


def owner_frame(
    table: str, frame: pd.DataFrame, cases: Sequence[Case], counts: np.ndarray
) -> pd.DataFrame:
    """Each incoming row's key columns, then the subject and site it must belong to
    (its case's), as :func:`~warehouse.store.upsert._owners` lists them."""
    key = list(TABLES[table].key)
    out = pd.DataFrame({k: frame[k].astype(object).to_numpy() for k in key})
    subjects = np.array([str(c.subject["subject_id"]) for c in cases], dtype=object)
    sites = np.array([c.subject["site_code"] for c in cases], dtype=object)
    out["_subject"] = np.repeat(subjects, counts)
    out["_site"] = np.repeat(sites, counts)
    return out


def _ownership_screen(
    conn: duckdb.DuckDBPyConnection,
    cases: Sequence[Case],
    frames: dict[str, pd.DataFrame],
    counts: dict[str, np.ndarray],
) -> bool:
    """Whether any row may be refused by :func:`~warehouse.store.upsert._ownership`: a
    causality row of an event that is not its case's, or a key stored for another
    subject (another site, for a subject)."""
    owners = {t: owner_frame(t, frames[t], cases, counts[t]) for t in CLINICAL_TABLES}
    causality, events = owners["ae_causality"], owners["adverse_events"]
    own_events = pd.MultiIndex.from_arrays([events["_subject"], events["ae_id"]])
    if (
        not pd.MultiIndex.from_arrays([causality["_subject"], causality["ae_id"]])
        .isin(own_events)
        .all()
    ):
        return True
    parts, registered = [], []
    for table, owned in owners.items():
        if owned.empty:
            continue
        registered.append(f"_bulk_owners_{table}")
        name = registered[-1]
        conn.register(name, owned)
        join, differs = owner_join(table)
        parts.append(f"SELECT 1 FROM {name} i JOIN {join} WHERE {differs}")
    if not parts:
        return False
    try:
        taken = conn.execute(f"SELECT EXISTS ({' UNION ALL '.join(parts)})").fetchall()
    finally:
        for name in registered:
            conn.unregister(name)
    return bool(taken[0][0])
