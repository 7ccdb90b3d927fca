"""The analysis cohort snapshot: follow-up, product episodes and attributed adverse events.

Derived from the clinical tables (see :mod:`warehouse.safety.cohort_tables` for the
definitions: first dose, end of follow-up, product episodes, attribution, age band,
motor change) in one read transaction, and kept in process memory as an in-memory
DuckDB database of small, ``sid``-keyed tables, so a dashboard query aggregates
those instead of re-deriving follow-up from every clinical table, and never opens
the database file. The snapshot is keyed by the database id and checked before use
against the audit log, which records every write in the same transaction as the
write: entries newer than the snapshot that changed clinical rows of a few subjects
refresh just those subjects' rows and their strata's totals
(:mod:`warehouse.safety.cohort_refresh`); any other change (reference tables, links
between subjects, many subjects at once), or a history that differs from the one seen
(a restored copy of the file), rebuilds it whole. Read-only entries (a viewed listing,
a refusal) change nothing. Between checks, an unchanged file (same size, modification
time and inode, and the same for its write-ahead log) needs no look inside.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from schemas.errors import CaseguardError
from warehouse.safety.cohort_refresh import (
    READ_ONLY_AUDIT_ACTIONS,
    refresh_limit,
    refresh_subjects,
    touched_subjects,
)
from warehouse.safety.cohort_tables import (
    AGE_BANDS,
    BUILD,
    BUILD_DETAILS,
    BUILD_GLOBAL,
    DERIVE,
    SCRATCH,
    SNAPSHOT_TABLES,
    UNKNOWN_BAND,
    thresholds,
)
from warehouse.store.access import READ_CLINICAL, Session, require, scope_filter
from warehouse.store.audit import Event, audited_transaction
from warehouse.store.db import Database, one
from warehouse.store.person_links import person_ids

KEEP = 2  # snapshots kept (one per database)
_MEMORY_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": "false",
    "autoload_known_extensions": "false",
}


FileState = tuple[tuple[int, int, int] | None, ...]


@dataclass
class Snapshot:
    """The derived cohort tables of one database (an in-memory DuckDB database), valid
    up to audit entry ``seen_seq`` (whose hash, ``seen_hash``, pins the history before it).
    ``generation`` counts the refreshes made in place since it was built."""

    db_id: str
    migrations: int
    seen_seq: int
    seen_hash: str | None
    conn: duckdb.DuckDBPyConnection
    subjects: int = 0
    file_state: FileState | None = None
    generation: int = 0

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own to the snapshot database (one per thread and query)."""
        return self.conn.cursor()


_cache: dict[str, Snapshot] = {}
_by_path: dict[str, str] = {}  # database file -> db_id of its last snapshot
_lock = threading.Lock()


def _file_state(db: Database) -> FileState | None:
    """Size, modification time and inode of the database file and its WAL; None for
    an in-memory database (always checked inside)."""
    if db.in_memory:
        return None
    state: list[tuple[int, int, int] | None] = []
    for path in (Path(db.path), Path(db.path + ".wal")):
        try:
            st = path.stat()
        except FileNotFoundError:
            state.append(None)
            continue
        state.append((st.st_size, st.st_mtime_ns, st.st_ino))
    return tuple(state)


def _audit_tail(
    conn: duckdb.DuckDBPyConnection, after: int
) -> tuple[int | None, str | None, int | None]:
    """The newest audit entry after ``after`` (seq, hash) and the newest that may have
    changed data (any action but the read-only ones)."""
    skip = ", ".join("?" for _ in READ_ONLY_AUDIT_ACTIONS)
    row = one(
        conn,
        f"SELECT max(seq), arg_max(hash, seq), max(seq) FILTER (WHERE action NOT IN ({skip})) "
        "FROM audit_log WHERE seq > ?",
        [*READ_ONLY_AUDIT_ACTIONS, after],
    )
    return (row[0], row[1], row[2]) if row else (None, None, None)


def _identity(conn: duckdb.DuckDBPyConnection) -> tuple[str, int]:
    db_id = one(conn, "SELECT value FROM _meta WHERE key = 'db_id'")
    migrations = one(conn, "SELECT count(*) FROM _migrations")
    if not db_id or not migrations:
        raise CaseguardError("the database is not initialised (run: caseguard init)")
    return str(db_id[0]), int(migrations[0])


@contextmanager
def _scratch(conn: duckdb.DuckDBPyConnection, people: dict[str, str]) -> Iterator[None]:
    """The person map registered for the build statements; their temporary tables
    dropped afterwards."""
    conn.register(
        "_cg_person_map",
        pd.DataFrame(
            {"subject_id": list(people), "person_id": list(people.values())}, dtype="string"
        ),
    )
    try:
        yield
    finally:
        conn.unregister("_cg_person_map")
        for name in SCRATCH:
            with contextlib.suppress(duckdb.Error):  # an aborted transaction refuses it
                conn.execute(f"DROP TABLE IF EXISTS {name}")


def _build(conn: duckdb.DuckDBPyConnection, db_id: str, migrations: int) -> Snapshot:
    head, digest, _ = _audit_tail(conn, 0)
    memory = duckdb.connect(":memory:", config=_MEMORY_CONFIG)
    try:
        with _scratch(conn, person_ids(conn)):
            for statement in BUILD + BUILD_DETAILS + BUILD_GLOBAL:
                conn.execute(statement)
            clash = one(conn, "SELECT count(*) - count(DISTINCT sid) FROM _cg_subjects")
            if clash and clash[0]:
                raise CaseguardError("two subjects share a cohort snapshot key; report this")
            for name, columns in SNAPSHOT_TABLES.items():
                incoming = conn.sql(f"SELECT {columns} FROM {name}").to_arrow_table()
                memory.register("_incoming", incoming)
                memory.execute(f"CREATE TABLE {name} AS SELECT * FROM _incoming")
                memory.unregister("_incoming")
        memory.register("_incoming_thresholds", thresholds())
        for statement in DERIVE:
            memory.execute(statement)
        memory.unregister("_incoming_thresholds")
        subjects = one(memory, "SELECT count(*) FROM _cg_subjects")
    except BaseException:
        memory.close()
        raise
    count = int(subjects[0]) if subjects else 0
    return Snapshot(db_id, migrations, head or 0, digest, memory, count)


def _brought_up_to_date(conn: duckdb.DuckDBPyConnection, cached: Snapshot, migrations: int) -> bool:
    """True if the snapshot now reflects the database: nothing but reads happened since
    it was made, or the subjects that writes touched were refreshed in it (advancing its
    mark); False if it must be rebuilt whole.

    The hash check catches a copied or restored file with the same database id whose
    history differs (or stops) at the entry the snapshot had seen.
    """
    if cached.migrations != migrations:
        return False
    row = one(conn, "SELECT hash FROM audit_log WHERE seq = ?", [cached.seen_seq])
    if (row[0] if row else None) != cached.seen_hash:
        return False
    newest, digest, changed = _audit_tail(conn, cached.seen_seq)
    if changed is not None:
        touched = touched_subjects(conn, cached.seen_seq, refresh_limit(cached.subjects))
        if touched is None:
            return False
        if touched:
            people = person_ids(conn)
            with _scratch(conn, people):
                refresh_subjects(conn, cached.conn, touched, people)
            counted = one(cached.conn, "SELECT count(*) FROM _cg_subjects")
            cached.subjects = int(counted[0]) if counted else 0
        cached.generation += 1  # results kept from it are forgotten after any write
    if newest is not None:
        cached.seen_seq, cached.seen_hash = newest, digest
    return True


def snapshot(conn: duckdb.DuckDBPyConnection) -> Snapshot:
    """The current cohort snapshot for the connection's database (built if stale)."""
    db_id, migrations = _identity(conn)
    with _lock:
        cached = _cache.get(db_id)
        if cached is not None and _brought_up_to_date(conn, cached, migrations):
            return cached
        fresh = _build(conn, db_id, migrations)
        old = _cache.pop(db_id, None)
        _cache[db_id] = fresh
        while len(_cache) > KEEP:
            _cache.pop(next(iter(_cache)))
        del old  # queries still running on it keep their own reference
        return fresh


def current(db: Database) -> Snapshot:
    """The snapshot of ``db``, checked against the audit log unless the file is
    untouched since the last check (then no connection is opened at all)."""
    state = _file_state(db)
    if state is not None:
        with _lock:
            cached = _cache.get(_by_path.get(db.path, ""))
            if cached is not None and cached.file_state == state:
                return cached
    with db.connect(read_only=True) as conn:
        conn.execute("BEGIN TRANSACTION")
        try:
            snap = snapshot(conn)
        finally:
            conn.execute("ROLLBACK")
    if state is not None:
        with _lock:
            snap.file_state = state  # taken before the check: a later write changes it
            _by_path[db.path] = snap.db_id
    return snap


def clear_cache() -> None:
    """Forget every snapshot (they are rebuilt on next use)."""
    with _lock:
        _cache.clear()
        _by_path.clear()


# --- filters and the per-query cohort --------------------------------------------------


@dataclass(frozen=True)
class SafetyFilter:
    """What to analyse; empty fields mean "all". Dates are on the stored timeline.

    Sites, disease and age bands select subjects; products select episodes (and the
    AEs attributed to them) after episodes are built from all of a subject's
    treatments, so switches stay intact; a period (inclusive) clips episodes and keeps
    events with onset inside it.
    """

    products: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    disease: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    age_bands: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = set(self.age_bands) - {b for b, _ in AGE_BANDS} - {UNKNOWN_BAND}
        if unknown:
            raise CaseguardError(f"unknown age band {', '.join(sorted(unknown))}")
        if self.period_start and self.period_end and self.period_start > self.period_end:
            raise CaseguardError("the period starts after it ends")

    def params(self) -> dict[str, Any]:
        """The filter as named SQL parameters (None where not filtering)."""
        return {
            "products": list(self.products) or None,
            "sites": list(self.sites) or None,
            "disease": self.disease,
            "bands": list(self.age_bands) or None,
            "ps": self.period_start,
            "pe": self.period_end,
        }

    def describe(self) -> dict[str, Any]:
        """The fields in use, for the audit log."""
        return {k: v for k, v in self.params().items() if v is not None}


ALL = SafetyFilter()

COHORT_SQL = """
WITH everyone AS (SELECT * FROM _cg_subjects WHERE {subject_where}),
fu AS (SELECT * FROM everyone WHERE first_dose IS NOT NULL),
ep AS (SELECT * FROM _cg_episodes WHERE {subject_where}),
ae AS (SELECT * FROM _cg_events WHERE {subject_where}),
xp AS (
    SELECT * FROM (
        SELECT sid, person_sid, product_id, site_code, disease, age_band,
               greatest(ep_start, $ps::DATE) AS x_start, least(ep_end, $pe::DATE) AS x_end
        FROM ep WHERE {product_where}
    ) WHERE x_end >= x_start
),
ev AS (SELECT * FROM ae WHERE period = 'on-treatment' AND {product_where} AND {onset_where})"""


def product_where(f: SafetyFilter, column: str = "product_id") -> str:
    """SQL condition of the product filter on ``column``."""
    return f"list_contains($products::VARCHAR[], {column})" if f.products else "TRUE"


def period_where(f: SafetyFilter, column: str) -> str:
    """SQL condition: ``column`` (a date) lies in the filter's period."""
    parts = [f"{column} >= $ps::DATE"] if f.period_start else []
    parts += [f"{column} <= $pe::DATE"] if f.period_end else []
    return " AND ".join(parts) or "TRUE"


def subject_where(session: Session, f: SafetyFilter) -> tuple[str, dict[str, Any]]:
    """SQL condition selecting subjects in the session's scope and the filter's sites,
    disease and age bands (on columns site_code, disease, age_band) + parameters."""
    scope, scope_values = scope_filter(session, "site_code")
    params: dict[str, Any] = {}
    for i, value in enumerate(scope_values):  # access's ? parameters, as named ones
        scope = scope.replace("?", f"$scope{i}", 1)
        params[f"scope{i}"] = value
    where = [scope]
    where += ["list_contains($sites::VARCHAR[], site_code)"] if f.sites else []
    where += ["disease = $disease"] if f.disease else []
    where += ["list_contains($bands::VARCHAR[], age_band)"] if f.age_bands else []
    return " AND ".join(where), {**params, **f.params()}


def cohort_sql(session: Session, f: SafetyFilter) -> tuple[str, dict[str, Any]]:
    """The CTEs everyone (subjects in scope and filter, treated or not), fu (treated),
    ep, ae, xp (exposure clipped to the period) and ev (counted events) + parameters."""
    where, params = subject_where(session, f)
    sql = COHORT_SQL.format(
        subject_where=where,
        product_where=product_where(f),
        onset_where=period_where(f, "onset_date"),
    )
    return sql, params


def authorise(session: Session, f: SafetyFilter, what: str) -> None:
    """Safety analyses read clinical data: READ_CLINICAL, within the session's sites."""
    require(session, READ_CLINICAL, None, what)
    for site in f.sites:
        require(session, READ_CLINICAL, site, what)


def _used(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    names = set(re.findall(r"\$(\w+)", sql))
    return {k: v for k, v in params.items() if k in names}


_shared = threading.local()


@contextmanager
def one_read(session: Session) -> Iterator[None]:
    """Run every :func:`run` of this thread inside the block on one snapshot.

    A page asks eight or more questions of the same data: they all see the same
    snapshot, checked once, through one cursor, in one read transaction (a refresh of
    the snapshot committed meanwhile is not seen half-way).
    """
    if getattr(_shared, "cursor", None) is not None:  # already inside one: reuse it
        yield
        return
    snap = current(session.db)
    cursor = snap.cursor()
    cursor.execute("BEGIN TRANSACTION")
    _shared.cursor, _shared.db = cursor, session.db
    try:
        yield
    finally:
        _shared.cursor = _shared.db = None
        with contextlib.suppress(duckdb.Error):
            cursor.execute("ROLLBACK")
        cursor.close()


def _execute(cursor: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    try:
        return cursor.execute(sql, _used(sql, params)).df()
    except duckdb.Error as exc:
        raise CaseguardError(f"the safety query failed: {exc}") from exc


def run(session: Session, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """One analysis query on the snapshot tables (callers have authorised it)."""
    shared = getattr(_shared, "cursor", None)
    if shared is not None and getattr(_shared, "db", None) is session.db:
        return _execute(shared, sql, params)
    cursor = current(session.db).cursor()
    try:
        return _execute(cursor, sql, params)
    finally:
        cursor.close()


def run_listing(
    session: Session, name: str, sql: str, params: dict[str, Any], f: SafetyFilter
) -> pd.DataFrame:
    """A row-level listing, audited as ``view_listing`` (which subjects, which filters,
    which snapshot): the rows are returned only once their audit entry is committed."""
    snap = current(session.db)
    cursor = snap.cursor()
    try:
        frame = _execute(cursor, sql, params)
    finally:
        cursor.close()
    subjects = sorted(set(frame["subject_id"])) if "subject_id" in frame else []
    after = {"rows": len(frame), "subjects": subjects, "filters": f.describe()}
    with audited_transaction(session.db, session.actor) as (_, events):
        events.append(Event("view_listing", None, name, after=after | {"as_of_seq": snap.seen_seq}))
    return frame
