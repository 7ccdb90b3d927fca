"""Refreshing the cohort snapshot for the subjects a write touched, not the whole cohort.

Every write records its changes in the audit log in the same transaction, one entry
per changed clinical row (``table_name``, ``row_key``, and the row's values, which
hold its ``subject_id``). :func:`touched_subjects` reads the entries newer than a
snapshot and names the subjects whose rows changed - or answers None when an entry
may have changed something the snapshot derives from all subjects at once (products,
MedDRA, confirmed links between subjects, a restored backup, any action it does not
know), or when more than :func:`refresh_limit` subjects changed: then the snapshot is
rebuilt whole. :func:`refresh_subjects` re-derives those subjects' rows with the same
statements as the full build (:mod:`warehouse.safety.cohort_tables`), their sources
narrowed to the subjects, replaces them in the in-memory snapshot, and recomputes
the per-stratum totals of every stratum (site, disease, age band) a touched subject
was in before or is in now - all in one transaction of the snapshot database, so a
reader sees the snapshot before or after, never between.

A subject's snapshot key (``sid``) is a hash of its pseudonym, the same in every
build, so a new subject never renumbers the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import duckdb
import pandas as pd

from warehouse.safety.cohort_tables import (
    BUILD,
    BUILD_DETAILS,
    GLOBAL_TABLES,
    SNAPSHOT_TABLES,
    STRATA,
    STRATA_DERIVED,
    event_risk,
    strata_derived,
    subject_derived,
)

READ_ONLY_AUDIT_ACTIONS = ("view_listing", "access_denied")
# Clinical tables whose rows belong to one subject: (key column, where the subject is).
SUBJECT_TABLES = {
    "subjects": "subject_id",
    "consents": "subject_id",
    "treatments": "treatment_id",
    "assessments": "assessment_id",
    "labs": "lab_id",
    "adverse_events": "ae_id",
    "narratives": "narrative_id",
}
EVENT_TABLES = ("ae_causality", "ae_meddra")  # rows of one adverse event (key ae_id|...)
# Tables no snapshot table is derived from (accounts, review, reporting, linkage inputs
# other than the confirmed decisions, site keys): entries on them change nothing here.
UNREAD_TABLES = (
    "users",
    "login_failures",
    "investigators",
    "sites",
    "site_public_keys",
    "site_reporting",
    "queries",
    "query_messages",
    "sdv_marks",
    "signatures",
    "rsi_expected_terms",
    "ae_awareness",
    "ae_followup_receipts",
    "report_submissions",
    "linkage_tokens",
    "linkage_pairs",
)
# Actions on no table that write nothing the snapshot reads (exports only read).
NEUTRAL_ACTIONS = ("export", "export_refused", "export_bundle")
BUNDLE_IMPORT = "import_bundle"  # row_key: the site; it may touch any subject of the site
# Above this many touched subjects a full rebuild is about as quick: random subjects'
# strata soon cover most of the cohort, so the strata's totals cost what the whole
# derivation costs, on top of reading the subjects' rows by key. Measured at 100,000
# subjects (2 busy cores, one run): full build 9-17 s; refresh of 1 subject 0.5-0.8 s,
# 100: 4.7 s, 1,000: 6.8 s, 5,000: 16 s, 20,000: 41 s. A bundle import touches every
# subject of its site (a fifth of the demo cohort): rebuilt whole.
MIN_REFRESH_LIMIT = 500
REFRESH_SHARE = 0.02
UNRESOLVED_CAP = 5_000  # rows named only by key (AE causality, coding): looked up


def refresh_limit(subjects: int) -> int:
    """The most touched subjects refreshed in place in a cohort of ``subjects``."""
    return max(MIN_REFRESH_LIMIT, int(subjects * REFRESH_SHARE))


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def touched_subjects(
    conn: duckdb.DuckDBPyConnection, after_seq: int, limit: int
) -> set[str] | None:
    """Subjects whose clinical rows changed in audit entries after ``after_seq`` (empty:
    nothing the snapshot reads changed), or None if the snapshot must be rebuilt whole."""
    skip = _quoted(READ_ONLY_AUDIT_ACTIONS)
    tail = f"FROM audit_log WHERE seq > {int(after_seq)} AND action NOT IN ({skip})"
    subject_tables = _quoted([*SUBJECT_TABLES, *EVENT_TABLES])
    known = (
        f"table_name IN ({subject_tables}) OR table_name IN ({_quoted(UNREAD_TABLES)}) "
        f"OR (table_name IS NULL AND action IN ({_quoted([*NEUTRAL_ACTIONS, BUNDLE_IMPORT])}))"
    )
    unknown = conn.execute(f"SELECT count(*) {tail} AND NOT coalesce({known}, FALSE)").fetchall()
    if unknown[0][0]:
        return None
    sites = [
        str(r[0])
        for r in conn.execute(
            f"SELECT DISTINCT row_key {tail} AND action = '{BUNDLE_IMPORT}' AND table_name IS NULL"
        ).fetchall()
    ]
    found: set[str] = set()
    if sites:
        rows = conn.execute(
            "SELECT subject_id FROM subjects WHERE list_contains(?, site_code) LIMIT ?",
            [sites, limit + 1],
        ).fetchall()
        found |= {str(r[0]) for r in rows}
        if len(found) > limit:
            return None
    subject = (
        "coalesce(json_extract_string(after, '$.subject_id'), "
        "json_extract_string(before, '$.subject_id'), "
        "CASE WHEN table_name IN ('subjects', 'consents') THEN split_part(row_key, '|', 1) END)"
    )
    entries = f"{tail} AND table_name IN ({subject_tables})"
    rows = conn.execute(
        f"SELECT DISTINCT {subject} AS s {entries} AND s IS NOT NULL LIMIT {limit + 1}"
    ).fetchall()
    found |= {str(r[0]) for r in rows}
    if len(found) > limit:
        return None
    rows = conn.execute(
        f"SELECT DISTINCT table_name, split_part(row_key, '|', 1) {entries} AND {subject} IS NULL "
        f"LIMIT {UNRESOLVED_CAP + 1}"
    ).fetchall()
    if len(rows) > UNRESOLVED_CAP:
        return None
    unresolved: dict[str, set[str]] = {}
    for table, key in rows:
        owner = "adverse_events" if table in EVENT_TABLES else str(table)
        unresolved.setdefault(owner, set()).add(str(key))
    for table, keys in unresolved.items():
        column = SUBJECT_TABLES[table]
        rows = conn.execute(
            f"SELECT DISTINCT {column}, subject_id FROM {table} WHERE list_contains(?, {column})",
            [sorted(keys)],
        ).fetchall()
        if len(rows) < len(keys):  # a row gone without its subject in the entry
            return None
        found |= {str(r[1]) for r in rows}
    return None if len(found) > limit else found


# --- re-deriving the touched subjects ---------------------------------------------------


def _listed(column: str, values: Iterable[str]) -> str:
    """SQL condition: ``column`` is one of ``values``, written out as literals (DuckDB
    then reads the rows through the column's index instead of scanning the table)."""
    literals = ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values))
    return f"{column} IN ({literals})" if literals else "FALSE"


def narrowed(statement: str, subjects: Iterable[str], events: Iterable[str]) -> str:
    """A build statement reading only the clinical rows of ``subjects`` (and of their
    adverse events ``events``)."""
    by_subject = _listed("subject_id", subjects)
    by_event = _listed("ae_id", events)
    sources = {
        **{t: f"(SELECT * FROM {t} WHERE {by_subject})" for t in SUBJECT_TABLES},
        **{t: f"(SELECT * FROM {t} WHERE {by_event})" for t in EVENT_TABLES},
    }
    return _SOURCE.sub(lambda m: f"{m.group(1)} {sources[m.group(2)]}", statement)


_SOURCE = re.compile(r"\b(FROM|JOIN)\s+(" + "|".join([*SUBJECT_TABLES, *EVENT_TABLES]) + r")\b")


# Snapshot tables keyed by ``sid`` (others: _cg_sae by ae_id, _cg_products global).
SID_TABLES = ("_cg_subjects", "_cg_episodes", "_cg_events", "_cg_motor", "_cg_courses")


def _stratum_match(alias: str) -> str:
    return " AND ".join(
        f"a.{c} IS NOT DISTINCT FROM {alias}.{c}" for c in (c.strip() for c in STRATA.split(","))
    )


def refresh_subjects(
    conn: duckdb.DuckDBPyConnection,
    memory: duckdb.DuckDBPyConnection,
    touched: set[str],
    people: dict[str, str],
) -> None:
    """Re-derive the rows of ``touched`` subjects (and of subjects confirmed to be the
    same child) from ``conn`` (inside its read transaction) into the snapshot database
    ``memory``, and recompute the totals of their strata (one transaction)."""
    persons = {people.get(s, s) for s in touched}
    touched = touched | {s for s, p in people.items() if p in persons}
    ids = pd.DataFrame({"subject_id": sorted(touched)}, dtype="string")
    events = [
        str(r[0])
        for r in conn.execute(
            f"SELECT ae_id FROM adverse_events WHERE {_listed('subject_id', touched)}"
        ).fetchall()
    ]
    for statement in BUILD + BUILD_DETAILS:
        conn.execute(narrowed(statement, touched, events))
    incoming = {
        name: conn.sql(f"SELECT {columns} FROM {name}").to_arrow_table()
        for name, columns in SNAPSHOT_TABLES.items()
        if name not in GLOBAL_TABLES
    }
    cursor = memory.cursor()
    try:
        cursor.execute("BEGIN TRANSACTION")
        _replace(cursor, ids, incoming)
        cursor.execute("COMMIT")
    except BaseException:
        cursor.execute("ROLLBACK")
        raise
    finally:
        cursor.close()


def _replace(
    cursor: duckdb.DuckDBPyConnection, ids: pd.DataFrame, incoming: dict[str, object]
) -> None:
    cursor.register("_cg_touched_ids", ids)
    cursor.execute(
        "CREATE TEMP TABLE _cg_touched AS SELECT hash(subject_id) AS sid, subject_id "
        "FROM _cg_touched_ids"
    )
    cursor.unregister("_cg_touched_ids")
    touched = "sid IN (SELECT sid FROM _cg_touched)"
    cursor.execute(
        f"CREATE TEMP TABLE _cg_affected AS SELECT DISTINCT {STRATA} FROM _cg_subjects "
        f"WHERE {touched}"
    )
    # Out with the touched subjects' rows (their SAE rows first: found through events).
    cursor.execute(
        f"DELETE FROM _cg_sae WHERE ae_id IN (SELECT ae_id FROM _cg_events WHERE {touched})"
    )
    for table in (*SID_TABLES, "_cg_exposure"):
        cursor.execute(f"DELETE FROM {table} WHERE {touched}")
    cursor.execute(
        "DELETE FROM _cg_deaths WHERE subject_id IN (SELECT subject_id FROM _cg_touched)"
    )
    # In with their rows as derived now.
    for name, rows in incoming.items():
        cursor.register("_incoming", rows)
        if name == "_cg_fatal_causality":
            cursor.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM _incoming")
        else:
            cursor.execute(f"INSERT INTO {name} SELECT * FROM _incoming")
        cursor.unregister("_incoming")
    clash = cursor.execute("SELECT count(*) - count(DISTINCT sid) FROM _cg_subjects").fetchall()
    if clash[0][0]:
        raise duckdb.ConstraintException("two subjects share a snapshot key")
    for table, sql in subject_derived("_cg_touched").items():
        cursor.execute(f"INSERT INTO {table} {sql}")
    cursor.execute("DROP TABLE _cg_fatal_causality")
    # Every stratum a touched subject left or joined: its totals from all its subjects.
    cursor.execute(
        f"INSERT INTO _cg_affected SELECT DISTINCT {STRATA} FROM _cg_subjects WHERE {touched}"
    )
    cursor.execute(
        "CREATE TEMP TABLE _cg_scope AS SELECT s.sid FROM _cg_subjects s "
        f"WHERE EXISTS (SELECT 1 FROM _cg_affected a WHERE {_stratum_match('s')})"
    )
    for table in STRATA_DERIVED:
        cursor.execute(
            f"DELETE FROM {table} t WHERE EXISTS "
            f"(SELECT 1 FROM _cg_affected a WHERE {_stratum_match('t')})"
        )
    cursor.execute(f"CREATE TEMP TABLE _cg_event_risk AS {event_risk('_cg_scope')}")
    for table, sql in strata_derived("_cg_scope").items():
        cursor.execute(f"INSERT INTO {table} {sql}")
    for name in ("_cg_event_risk", "_cg_scope", "_cg_affected", "_cg_touched"):
        cursor.execute(f"DROP TABLE {name}")
