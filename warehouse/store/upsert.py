"""The one path by which cases enter the warehouse: forms, legacy import, bundle import.

:func:`cases_from_rows` groups table rows into one :class:`~schemas.Case` per subject;
:func:`upsert_cases` then, in this order:

1. refuses (and audits) any case outside the session's scope - *before* it looks at
   what is stored, so a refusal never tells whether a subject exists elsewhere;
2. validates every table and every case's cross-table rules;
3. in one transaction, checks ownership: a row whose key is already stored may only be
   written if the stored row belongs to the same subject of the same site (a bundle
   from one centre can never take over another centre's row, whatever it carries);
4. inserts new rows and, by ``mode``, refuses existing subjects (``new``: a form's new
   case), leaves identical stored rows alone and refuses different ones (``skip``: a
   legacy import run again), or updates changed rows (``update``: a site bundle). An
   update never rewrites a key column, ``subject_id`` or ``site_code``; every insert and
   update has its audit entry.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from schemas import CLINICAL_TABLES, TABLES, Case
from schemas.case import case_rule_problems
from schemas.errors import CaseguardError, Conflict, ValidationFailed
from schemas.problems import Problem, short_value
from schemas.validate import checked_table
from warehouse.store.access import WRITE_CLINICAL, Session, require
from warehouse.store.audit import Event, audited_transaction, canonical_json, canonical_rows
from warehouse.store.db import one
from warehouse.store.frames import (
    insert,
    key_of,
    plain_columns,
    records,
    records_as_given,
)
from warehouse.store.review_marks import clear_after_changes

MODES = ("new", "skip", "update")
# Columns a re-run of the same import fills afresh: not a difference in what was entered.
VOLATILE = {"subjects": ("created_at", "created_by"), "narratives": ("created_at",)}
FIXED = ("subject_id", "site_code")

Finish = Callable[[duckdb.DuckDBPyConnection, list[Event], "UpsertSummary"], None]


@dataclass
class UpsertSummary:
    """What :func:`upsert_cases` wrote, per table."""

    subject_ids: list[str]
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)


def _problem(table: str, row: int | None, column: str, value: Any, en: str, ru: str) -> Problem:
    return Problem(table, row, column, short_value(value), "ownership", en, ru)


def cases_from_rows(
    rows: Mapping[str, Sequence[dict[str, Any]]],
) -> tuple[list[Case], list[Problem]]:
    """One case per subject row; rows of a subject (or AE) not among them are problems."""
    subjects = list(rows.get("subjects", []))
    owner_of_ae = {r.get("ae_id"): r.get("subject_id") for r in rows.get("adverse_events", [])}
    grouped: dict[Any, dict[str, list[dict[str, Any]]]] = {
        s.get("subject_id"): defaultdict(list) for s in subjects
    }
    problems: list[Problem] = []
    for table in CLINICAL_TABLES:
        for index, row in enumerate(rows.get(table, [])):
            owner = owner_of_ae.get(row.get("ae_id")) if table == "ae_causality" else None
            sid = owner if table == "ae_causality" else row.get("subject_id")
            if sid not in grouped:
                column = "ae_id" if table == "ae_causality" else "subject_id"
                problems.append(
                    _problem(
                        table,
                        index,
                        column,
                        row.get(column),
                        "row belongs to a subject that is not among the subjects given",
                        "строка относится к субъекту, которого нет среди переданных",
                    )
                )
                continue
            grouped[sid][table].append(row)
    cases = [Case(**{t: list(g.get(t, [])) for t in CLINICAL_TABLES}) for g in grouped.values()]
    return cases, problems


def check_batch(cases: Sequence[Case]) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Validate all cases' tables in one pass per table, then each case's rules."""
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for case in cases:
        if len(case.subjects) != 1:
            raise CaseguardError("a case holds exactly one subject row")
    for table in CLINICAL_TABLES:
        frames[table], found = checked_table(
            table, [row for case in cases for row in case.rows(table)]
        )
        problems += found
    if problems:  # the cross-table rules need typed values
        return frames, problems
    for case in cases:
        problems += case_rule_problems(case)
    return frames, problems


def _owners(cases: Sequence[Case], table: str) -> list[list[Any]]:
    """Each incoming row's key columns, then the subject and site it must belong to."""
    key = TABLES[table].key
    columns: list[list[Any]] = [[] for _ in range(len(key) + 2)]
    for case in cases:
        sid, site = case.subject["subject_id"], case.subject["site_code"]
        for row in case.rows(table):
            for column, value in zip(columns, [*(row[k] for k in key), sid, site], strict=True):
                column.append(value)
    return columns


def owner_join(table: str) -> tuple[str, str]:
    """How incoming rows ``i`` (key columns, ``_subject``, ``_site``) meet the stored
    rows ``t`` that hold their key, and when such a stored row is another's: the join
    and the condition."""
    if table == "subjects":
        return "subjects t ON t.subject_id = i.subject_id", "t.site_code <> i._site"
    if table == "ae_causality":
        return "adverse_events t ON t.ae_id = i.ae_id", "t.subject_id <> i._subject"
    on = " AND ".join(f"t.{c} = i.{c}" for c in TABLES[table].key)
    return f"{table} t ON {on}", "t.subject_id <> i._subject"


def _taken_sql(table: str, first: int) -> str:
    """Incoming rows (from list parameters ``first``...) whose key is stored for another
    subject (or, for subjects, another site): their table and position."""
    names = [*TABLES[table].key, "_subject", "_site"]
    unnest = ", ".join(f"unnest(${first + i}::VARCHAR[]) AS {n}" for i, n in enumerate(names))
    incoming = f"(SELECT {unnest}, generate_subscripts(${first}::VARCHAR[], 1) - 1 AS _i) i"
    join, differs = owner_join(table)
    return f"SELECT '{table}' AS tbl, i._i FROM {incoming} JOIN {join} WHERE {differs}"


def _ownership(conn: duckdb.DuckDBPyConnection, cases: Sequence[Case]) -> list[Problem]:
    """Rows whose key is stored for another subject or site (a take-over attempt)."""
    problems: list[Problem] = []
    for case in cases:
        ae_ids = {r["ae_id"] for r in case.adverse_events}
        for index, row in enumerate(case.ae_causality):
            if row["ae_id"] not in ae_ids:
                problems.append(
                    _problem(
                        "ae_causality",
                        index,
                        "ae_id",
                        row["ae_id"],
                        "causality for an adverse event of another subject",
                        "оценка связи для явления другого субъекта",
                    )
                )
    owners = {t: _owners(cases, t) for t in CLINICAL_TABLES}
    parts: list[str] = []
    params: list[Any] = []
    for table, columns in owners.items():
        if columns[0]:  # one query for every table: one round trip per save
            parts.append(_taken_sql(table, len(params) + 1))
            params += columns
    if not parts:
        return problems
    taken: dict[str, set[int]] = defaultdict(set)
    for table, index in conn.execute(" UNION ALL ".join(parts), params).fetchall():
        taken[table].add(int(index))
    for table, columns in owners.items():
        for index in sorted(taken.get(table, ())):
            problems.append(
                _problem(
                    table,
                    index,
                    TABLES[table].key[0],
                    columns[0][index],
                    "this record is stored for another subject or centre; "
                    "it cannot be changed or moved by an import",
                    "эта запись хранится для другого субъекта или центра; "
                    "импорт не может её изменить или перенести",
                )
            )
    return problems


def _stored(conn: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> dict[str, str]:
    key = TABLES[table].key
    columns = ", ".join(f"t.{c}" for c in TABLES[table].columns)
    on = " AND ".join(f"t.{c} = k.{c}" for c in key)
    conn.register("_upsert_keys", frame[list(key)])
    try:
        stored = conn.execute(f"SELECT {columns} FROM {table} t JOIN _upsert_keys k ON {on}").df()
    finally:
        conn.unregister("_upsert_keys")
    return {key_of(table, r): canonical_json(r) or "" for r in records(stored)}


def _update(conn: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    key = TABLES[table].key
    sets = ", ".join(
        f"{c} = s.{c}" for c in TABLES[table].columns if c not in key and c not in FIXED
    )
    where = " AND ".join(f"{table}.{c} = s.{c}" for c in key)
    conn.register("_upsert_changed", frame)
    try:
        conn.execute(f"UPDATE {table} SET {sets} FROM _upsert_changed s WHERE {where}")
    finally:
        conn.unregister("_upsert_changed")


def _comparable(table: str, row: dict[str, Any], mode: str) -> str:
    ignored = VOLATILE.get(table, ()) if mode == "skip" else ()
    return canonical_json({k: v for k, v in row.items() if k not in ignored}) or ""


def _write_table(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    frame: pd.DataFrame,
    given: list[dict[str, Any]] | None,
    mode: str,
    reason: str | None,
    out: tuple[list[Event], list[Problem], UpsertSummary],
) -> None:
    events, problems, summary = out
    summary.inserted[table] = summary.updated[table] = summary.unchanged[table] = 0
    if frame.empty:
        return
    frame = frame.reset_index(drop=True)
    stored = {} if mode == "new" else _stored(conn, table, frame)
    rows = None if given is None else records_as_given(table, given)
    if rows is None:
        columns = plain_columns(frame)
        rows = records(frame, columns)
    else:
        columns = {c: [r[c] for r in rows] for c in TABLES[table].columns}
    keys = [key_of(table, r) for r in rows]
    new, changed = [], []
    for i, k in enumerate(keys):
        if k not in stored:
            new.append(i)
        elif _comparable(table, json.loads(stored[k]), mode) == _comparable(table, rows[i], mode):
            summary.unchanged[table] += 1
        elif mode == "update":
            changed.append(i)
        else:
            problems.append(
                _problem(
                    table,
                    i,
                    TABLES[table].key[0],
                    keys[i],
                    "this record is already stored with other values; "
                    "change it on the Corrections page",
                    "эта запись уже хранится с другими значениями; "
                    "измените её на странице исправлений",
                )
            )
    if new:
        every = len(new) == len(rows)
        insert(conn, table, frame if every else frame.iloc[new], [rows[i] for i in new])
        texts = canonical_rows(
            columns
            if len(new) == len(rows)
            else {c: [v[i] for i in new] for c, v in columns.items()}
        )
        events.extend(
            Event("insert", table, keys[i], after=rows[i], reason=reason, after_text=text)
            for i, text in zip(new, texts, strict=True)
        )
    if changed:
        _update(conn, table, frame.iloc[changed])
        for i in changed:
            before = json.loads(stored[keys[i]])
            events.append(
                Event("update", table, keys[i], before=before, after=rows[i], reason=reason)
            )
    summary.inserted[table], summary.updated[table] = len(new), len(changed)


def upsert_cases(
    session: Session,
    cases: Sequence[Case],
    mode: str = "new",
    reason: str | None = None,
    finish: Finish | None = None,
) -> UpsertSummary:
    """Write whole cases in one transaction (see the module text for the rules).

    ``finish(conn, events, summary)`` runs inside the transaction after the rows are
    written (a bundle import adds its own audit entry there, or raises to roll back).
    """
    if mode not in MODES:
        raise CaseguardError(f"unknown upsert mode {mode!r}")
    for case in cases:
        site = case.subject.get("site_code") if len(case.subjects) == 1 else None
        require(session, WRITE_CLINICAL, site, "save a case")
    frames, problems = check_batch(cases)
    if problems:
        raise ValidationFailed(problems)
    ids = [str(c.subject["subject_id"]) for c in cases]
    summary = UpsertSummary(ids)
    with audited_transaction(session.db, session.actor) as (conn, events):
        problems = _ownership(conn, cases)
        if problems:
            raise ValidationFailed(problems)
        if mode == "new":
            clash = one(
                conn,
                "SELECT count(*) FROM subjects WHERE subject_id IN (SELECT unnest(?::VARCHAR[]))",
                [ids],
            )
            if clash and clash[0]:
                raise Conflict(
                    f"{clash[0]} of these subjects already exist; open them to add records"
                )
        for table in CLINICAL_TABLES:
            given = [row for case in cases for row in case.rows(table)]
            out = (events, problems, summary)
            _write_table(conn, table, frames[table], given, mode, reason, out)
        if problems:
            raise ValidationFailed(problems)
        events.extend(clear_after_changes(conn, events))
        if finish is not None:
            finish(conn, events, summary)
    return summary
