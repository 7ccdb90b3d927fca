"""Row-level work of a bundle import: membership, case rules and insert/update diffs."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from typing import Any

import duckdb
import pandas as pd

from schemas import CLINICAL_TABLES, TABLES, Case, Problem
from schemas.case import case_rule_problems
from schemas.problems import short_value
from warehouse.store.audit import Event, canonical_json
from warehouse.store.frames import insert, key_of, records


def _problem(table: str, row: int, field: str, value: Any, en: str, ru: str) -> Problem:
    return Problem(table, row, field, short_value(value), "bundle_membership", en, ru)


def plain_lists(frame: pd.DataFrame) -> pd.DataFrame:
    """Arrays read from Parquet (list columns) as plain lists, as the warehouse stores them."""
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(lambda v: v.tolist() if hasattr(v, "tolist") else v)
    return frame


def check_membership(site: str, frames: dict[str, pd.DataFrame]) -> list[Problem]:
    """Every row must belong to a subject of the bundle's site, every causality to its AE."""
    problems: list[Problem] = []
    subjects = frames["subjects"]
    for row, value in enumerate(subjects.get("site_code", pd.Series(dtype=object))):
        if value != site:
            problems.append(
                _problem(
                    "subjects",
                    row,
                    "site_code",
                    value,
                    f"subject is not from the bundle's site {site}",
                    f"субъект не относится к центру пакета {site}",
                )
            )
    ids = set(subjects.get("subject_id", []))
    for table in CLINICAL_TABLES[1:]:
        if table == "ae_causality":
            continue
        for row, value in enumerate(frames[table].get("subject_id", [])):
            if value not in ids:
                problems.append(
                    _problem(
                        table,
                        row,
                        "subject_id",
                        value,
                        "row belongs to a subject that is not in the bundle",
                        "строка относится к субъекту, которого нет в пакете",
                    )
                )
    ae_ids = set(frames["adverse_events"].get("ae_id", []))
    for row, value in enumerate(frames["ae_causality"].get("ae_id", [])):
        if value not in ae_ids:
            problems.append(
                _problem(
                    "ae_causality",
                    row,
                    "ae_id",
                    value,
                    "causality for an adverse event that is not in the bundle",
                    "оценка связи для явления, которого нет в пакете",
                )
            )
    return problems


def case_problems(frames: dict[str, pd.DataFrame]) -> list[Problem]:
    """The cross-table rules of every subject's case; rows numbered as in the bundle."""
    events = frames["adverse_events"]
    owner = dict(zip(events["ae_id"], events["subject_id"], strict=True))
    buckets: dict[str, dict[str, list[tuple[int, dict[str, Any]]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for table in CLINICAL_TABLES:
        for row, record in enumerate(records(frames[table])):
            subject = (
                owner.get(record["ae_id"]) if table == "ae_causality" else record["subject_id"]
            )
            buckets[str(subject)][table].append((row, record))
    problems: list[Problem] = []
    for tables in buckets.values():
        if len(tables.get("subjects", [])) != 1:
            continue
        case = Case(**{t: [r for _, r in tables.get(t, [])] for t in CLINICAL_TABLES})
        for problem in case_rule_problems(case):
            positions = tables.get(problem.table, [])
            at = problem.row
            place = positions[at][0] if at is not None and at < len(positions) else at
            problems.append(replace(problem, row=place))
    return problems


def _stored(conn: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> dict[str, str]:
    key = TABLES[table].key
    columns = ", ".join(f"t.{c}" for c in TABLES[table].columns)
    on = " AND ".join(f"t.{c} = k.{c}" for c in key)
    conn.register("_bundle_keys", frame[list(key)])
    try:
        stored = conn.execute(f"SELECT {columns} FROM {table} t JOIN _bundle_keys k ON {on}").df()
    finally:
        conn.unregister("_bundle_keys")
    return {key_of(table, r): canonical_json(r) or "" for r in records(stored)}


def _update(conn: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    key = TABLES[table].key
    sets = ", ".join(f"{c} = s.{c}" for c in TABLES[table].columns if c not in key)
    where = " AND ".join(f"{table}.{c} = s.{c}" for c in key)
    conn.register("_bundle_changed", frame)
    try:
        conn.execute(f"UPDATE {table} SET {sets} FROM _bundle_changed s WHERE {where}")
    finally:
        conn.unregister("_bundle_changed")


def diff_table(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    frame: pd.DataFrame,
    events: list[Event],
    reason: str,
) -> tuple[int, int]:
    """Insert new rows and update changed ones of ``table``; return (inserted, updated)."""
    if frame.empty:
        return 0, 0
    frame = plain_lists(frame.reset_index(drop=True))
    stored = _stored(conn, table, frame)
    rows = records(frame)
    keys = [key_of(table, r) for r in rows]
    new = [i for i, k in enumerate(keys) if k not in stored]
    changed = [
        i for i, k in enumerate(keys) if k in stored and stored[k] != canonical_json(rows[i])
    ]
    if new:
        insert(conn, table, frame.iloc[new])
        events.extend(Event("insert", table, keys[i], after=rows[i], reason=reason) for i in new)
    if changed:
        _update(conn, table, frame.iloc[changed])
        for i in changed:
            before = json.loads(stored[keys[i]])
            events.append(
                Event("update", table, keys[i], before=before, after=rows[i], reason=reason)
            )
    return len(new), len(changed)
