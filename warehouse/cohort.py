"""The analysis cohort: follow-up, product episodes and attributed adverse events.

Derived from the clinical tables by five window-function queries (temporary tables,
one read transaction) and cached in process memory as three Arrow tables
(``_cg_subjects``, ``_cg_episodes``, ``_cg_events``), so dashboard queries aggregate
small tables instead of re-deriving follow-up from every table each time. The cache
is keyed by the database id and checked on every use against the audit log, which
records every write in the same transaction as the write: an entry newer than the
snapshot, other than a read-only one (a viewed listing, a refusal), or a history
that differs from the one seen (a restored copy of the file), rebuilds it.

Definitions (all on the stored, date-shifted timeline: a subject's dates share one
shift, so every interval is exact; a calendar date given by the user - a period,
``as_of`` - is only exact up to the shift of +/- 182 days):

- **First dose**: the subject's earliest treatment ``start_date``. Subjects without
  any treatment row have none and are left out of every analysis except data
  completeness.
- **Last follow-up**: the latest dated record of the subject - assessment visit, lab,
  AE onset or end, narrative visit, treatment start or end.
- **End of follow-up** (``fu_end``): the earliest of last follow-up, death and consent
  withdrawal, never before the first dose. **Death** is the end date (the date of the
  fatal outcome) of the earliest AE with outcome fatal or criterion death, or its
  onset if it has no end date.
- **Product episodes**: a subject's treatment rows in date order; an episode begins
  whenever the product changes, so a switch (reference -> generic, or back) ends one
  episode where the next begins. An episode runs from its first row's start to the
  next episode's start, or else to ``fu_end``. Rows are administrations (nusinersen
  doses, the single Zolgensma infusion, protocol infusions) except for products with
  a ``daily`` regimen (risdiplam), whose rows are courses: a closed course
  (``end_date`` set) ends the episode at its end date, an open one runs on. A
  single-dose gene therapy therefore counts all follow-up since the infusion. Two
  products started on the same day: the later row (by treatment id) takes the day.
  Episodes starting after ``fu_end`` are dropped.
- **Attribution**: an AE belongs to the episode covering its onset (the product the
  subject was on, or had started most recently). Onsets before the first dose
  (allowed up to 30 days before) are ``pre-treatment`` and go to the first episode;
  after a closed daily course and before any next product ``off-treatment``; after
  ``fu_end`` ``after follow-up``; all others ``on-treatment``.
- **Age band**: from ``age_at_index_months`` (age at the index date, fixed over
  follow-up): <6 m, 6-23 m, 2-5 y, 6-11 y, 12-17 y, >=18 y, unknown.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from schemas.errors import CaseguardError
from warehouse.access import READ_CLINICAL, Session, require, scope_filter
from warehouse.audit import Event, audited_transaction
from warehouse.db import one

BASELINE_WINDOW_DAYS = 30  # baseline: last assessment in [first dose - 30 d, first dose]
AGE_BANDS: tuple[tuple[str, float | None], ...] = (
    ("<6 m", 6),
    ("6-23 m", 24),
    ("2-5 y", 72),
    ("6-11 y", 144),
    ("12-17 y", 216),
    (">=18 y", None),
)
UNKNOWN_BAND = "unknown"
READ_ONLY_AUDIT_ACTIONS = ("view_listing", "access_denied")
TABLES = ("_cg_subjects", "_cg_episodes", "_cg_events")
# Snapshot tables key subjects by ``sid`` (an integer, fast to group by) and hold
# subject_id only in _cg_subjects; episodes lose subject_id once built.
KEEP = 2  # snapshots kept (one per database)

_AGE_BAND_SQL = (
    "CASE WHEN s.age_at_index_months IS NULL THEN 'unknown' "
    + " ".join(
        f"WHEN s.age_at_index_months < {limit} THEN '{label}'"
        for label, limit in AGE_BANDS
        if limit is not None
    )
    + f" ELSE '{AGE_BANDS[-1][0]}' END"
)

# Each statement creates one temporary table from the clinical tables and the ones before.
BUILD = (
    """CREATE OR REPLACE TEMP TABLE _cg_ep0 AS
    WITH tr AS (
        SELECT t.subject_id, t.treatment_id, t.product_id, t.start_date, t.end_date,
               p.regimen_kind,
               (t.product_id IS DISTINCT FROM lag(t.product_id) OVER w)::INTEGER AS new_episode
        FROM treatments t JOIN products p USING (product_id)
        WINDOW w AS (PARTITION BY t.subject_id ORDER BY t.start_date, t.treatment_id)
    )
    SELECT subject_id, episode, any_value(product_id) AS product_id,
           any_value(regimen_kind) AS regimen_kind, min(start_date) AS ep_start,
           CASE WHEN bool_or(end_date IS NULL) THEN NULL ELSE max(end_date) END AS last_end
    FROM (SELECT *, sum(new_episode) OVER (PARTITION BY subject_id
                 ORDER BY start_date, treatment_id ROWS UNBOUNDED PRECEDING) AS episode FROM tr)
    GROUP BY subject_id, episode""",
    f"""CREATE OR REPLACE TEMP TABLE _cg_fu AS
    WITH rec AS (
        SELECT subject_id, max(d) AS last_record FROM (
            SELECT subject_id, visit_date AS d FROM assessments
            UNION ALL SELECT subject_id, date FROM labs
            UNION ALL SELECT subject_id, greatest(onset_date, end_date) FROM adverse_events
            UNION ALL SELECT subject_id, visit_date FROM narratives
            UNION ALL SELECT subject_id, greatest(start_date, end_date) FROM treatments
        ) GROUP BY subject_id
    ),
    death AS (
        SELECT subject_id, min(coalesce(end_date, onset_date)) AS death_date
        FROM adverse_events WHERE outcome = 'fatal' OR list_contains(seriousness, 'death')
        GROUP BY subject_id
    ),
    firsts AS (SELECT subject_id, min(ep_start) AS first_dose FROM _cg_ep0 GROUP BY 1)
    SELECT row_number() OVER (ORDER BY s.subject_id)::INTEGER AS sid, s.subject_id,
           s.site_code, s.disease, s.disease_subtype, s.status,
           {_AGE_BAND_SQL} AS age_band, s.genetics IS NOT NULL AS has_genetics,
           s.age_at_index_months IS NOT NULL AS has_age, c.subject_id IS NOT NULL AS has_consent,
           c.withdrawn_date, d.death_date, f.first_dose,
           CASE WHEN f.first_dose IS NOT NULL THEN greatest(f.first_dose,
                least(coalesce(r.last_record, f.first_dose), d.death_date, c.withdrawn_date))
           END AS fu_end
    FROM subjects s LEFT JOIN firsts f USING (subject_id) LEFT JOIN rec r USING (subject_id)
    LEFT JOIN death d USING (subject_id) LEFT JOIN consents c USING (subject_id)""",
    """CREATE OR REPLACE TEMP TABLE _cg_episodes AS
    SELECT subject_id, sid, site_code, disease, age_band, episode, product_id, ep_start,
           ep_end, next_start,
           min(ep_start) OVER (PARTITION BY subject_id, product_id) AS product_start
    FROM (
        SELECT e.*, f.sid, f.site_code, f.disease, f.age_band, f.fu_end,
               lead(e.ep_start) OVER w AS next_start,
               greatest(e.ep_start, least(f.fu_end, lead(e.ep_start) OVER w,
                   CASE WHEN e.regimen_kind = 'daily' THEN e.last_end END)) AS ep_end
        FROM _cg_ep0 e JOIN _cg_fu f USING (subject_id)
        WINDOW w AS (PARTITION BY e.subject_id ORDER BY e.episode)
    ) WHERE ep_start <= fu_end AND ep_start IS DISTINCT FROM next_start""",
    """CREATE OR REPLACE TEMP TABLE _cg_events AS
    WITH a AS (
        SELECT a.ae_id, a.subject_id, a.onset_date, a.ctcae_grade, a.serious, a.body_system,
               a.coded_term, a.outcome = 'fatal' OR list_contains(a.seriousness, 'death') AS fatal,
               f.sid, f.site_code, f.disease, f.age_band, f.first_dose, f.fu_end,
               greatest(a.onset_date, f.first_dose) AS anchor
        FROM adverse_events a JOIN _cg_fu f USING (subject_id) WHERE f.first_dose IS NOT NULL
    )
    SELECT a.ae_id, a.sid, a.site_code, a.disease, a.age_band, e.product_id, e.episode,
           CASE WHEN a.onset_date < a.first_dose THEN 'pre-treatment'
                WHEN a.onset_date > a.fu_end THEN 'after follow-up'
                WHEN a.onset_date > e.ep_end THEN 'off-treatment'
                ELSE 'on-treatment' END AS period,
           a.onset_date, a.onset_date - a.first_dose AS onset_day,
           a.onset_date - e.product_start AS product_day,
           a.ctcae_grade, a.serious, a.body_system, a.coded_term, coalesce(a.fatal, FALSE) AS fatal
    FROM a LEFT JOIN _cg_episodes e ON e.sid = a.sid AND e.ep_start <= a.anchor
        AND (e.next_start IS NULL OR a.anchor < e.next_start)""",
    f"""CREATE OR REPLACE TEMP TABLE _cg_subjects AS
    WITH tr AS (
        SELECT subject_id, count(*) AS n_treatments, count(lot) AS n_lot
        FROM treatments GROUP BY 1
    ),
    ae AS (
        SELECT a.subject_id, count(*) AS n_aes, count(c.ae_id) AS n_aes_assessed
        FROM adverse_events a LEFT JOIN (SELECT DISTINCT ae_id FROM ae_causality) c USING (ae_id)
        GROUP BY 1
    ),
    visits AS (
        SELECT a.subject_id, a.visit_date, f.first_dose, f.fu_end
        FROM assessments a JOIN _cg_fu f USING (subject_id) WHERE f.first_dose IS NOT NULL
    ),
    base AS (
        SELECT DISTINCT subject_id FROM visits
        WHERE visit_date BETWEEN first_dose - {BASELINE_WINDOW_DAYS} AND first_dose
    ),
    gaps AS (
        SELECT subject_id, max(d - prev) AS max_gap FROM (
            SELECT subject_id, d, lag(d) OVER (PARTITION BY subject_id ORDER BY d) AS prev
            FROM (
                SELECT subject_id, first_dose AS d FROM _cg_fu WHERE first_dose IS NOT NULL
                UNION SELECT subject_id, fu_end FROM _cg_fu WHERE first_dose IS NOT NULL
                UNION SELECT subject_id, visit_date FROM visits
                      WHERE visit_date > first_dose AND visit_date < fu_end))
        GROUP BY 1
    ),
    products AS (
        SELECT subject_id, arg_min(product_id, episode) AS first_product,
               arg_max(product_id, episode) AS last_product
        FROM _cg_episodes GROUP BY 1
    )
    SELECT f.*, p.first_product, p.last_product,
           coalesce(tr.n_treatments, 0) AS n_treatments, coalesce(tr.n_lot, 0) AS n_lot,
           coalesce(ae.n_aes, 0) AS n_aes, coalesce(ae.n_aes_assessed, 0) AS n_aes_assessed,
           b.subject_id IS NOT NULL AS has_baseline, g.max_gap
    FROM _cg_fu f LEFT JOIN products p USING (subject_id) LEFT JOIN tr USING (subject_id)
    LEFT JOIN ae USING (subject_id) LEFT JOIN base b USING (subject_id)
    LEFT JOIN gaps g USING (subject_id)""",
)
SCRATCH = ("_cg_ep0", "_cg_fu", "_cg_episodes", "_cg_events", "_cg_subjects")


@dataclass
class Snapshot:
    """The derived cohort tables of one database, valid up to audit entry ``seen_seq``
    (whose hash, ``seen_hash``, pins the whole history before it)."""

    db_id: str
    migrations: int
    seen_seq: int
    seen_hash: str | None
    tables: dict[str, pa.Table] = field(default_factory=dict)


_cache: dict[str, Snapshot] = {}
_lock = threading.Lock()


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


def _build(conn: duckdb.DuckDBPyConnection, db_id: str, migrations: int) -> Snapshot:
    head, digest, _ = _audit_tail(conn, 0)
    for statement in BUILD:
        conn.execute(statement)
    columns = {"_cg_episodes": "* EXCLUDE (subject_id)"}  # sid is enough there
    tables = {
        name: conn.sql(f"SELECT {columns.get(name, '*')} FROM {name}").to_arrow_table()
        for name in TABLES
    }
    for name in SCRATCH:
        conn.execute(f"DROP TABLE IF EXISTS {name}")
    return Snapshot(db_id, migrations, head or 0, digest, tables)


def _still_valid(conn: duckdb.DuckDBPyConnection, cached: Snapshot, migrations: int) -> bool:
    """True if nothing but reads happened since the snapshot (advancing its mark).

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
        return False
    if newest is not None:
        cached.seen_seq, cached.seen_hash = newest, digest
    return True


def snapshot(conn: duckdb.DuckDBPyConnection) -> Snapshot:
    """The current cohort snapshot for the connection's database (built if stale)."""
    db_id, migrations = _identity(conn)
    with _lock:
        cached = _cache.get(db_id)
        if cached is not None and _still_valid(conn, cached, migrations):
            return cached
        fresh = _build(conn, db_id, migrations)
        _cache.pop(db_id, None)
        _cache[db_id] = fresh
        while len(_cache) > KEEP:
            _cache.pop(next(iter(_cache)))
        return fresh


def clear_cache() -> None:
    """Forget every snapshot (they are rebuilt on next use)."""
    with _lock:
        _cache.clear()


@contextmanager
def attached(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """The connection with the snapshot tables registered under their names."""
    snap = snapshot(conn)
    for name, table in snap.tables.items():
        conn.register(name, table)
    try:
        yield conn
    finally:
        for name in snap.tables:
            with contextlib.suppress(duckdb.Error):  # an aborted transaction refuses it
                conn.unregister(name)


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
        SELECT sid, product_id, site_code, disease, age_band,
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


def cohort_sql(session: Session, f: SafetyFilter) -> tuple[str, dict[str, Any]]:
    """The CTEs everyone (subjects in scope and filter, treated or not), fu (treated),
    ep, ae, xp (exposure clipped to the period) and ev (counted events) + parameters."""
    scope, scope_values = scope_filter(session, "site_code")
    params: dict[str, Any] = {}
    for i, value in enumerate(scope_values):  # access's ? parameters, as named ones
        scope = scope.replace("?", f"$scope{i}", 1)
        params[f"scope{i}"] = value
    where = [scope]
    where += ["list_contains($sites::VARCHAR[], site_code)"] if f.sites else []
    where += ["disease = $disease"] if f.disease else []
    where += ["list_contains($bands::VARCHAR[], age_band)"] if f.age_bands else []
    sql = COHORT_SQL.format(
        subject_where=" AND ".join(where),
        product_where=product_where(f),
        onset_where=period_where(f, "onset_date"),
    )
    return sql, {**params, **f.params()}


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
    """Run every :func:`run` of this thread inside the block on one read connection.

    A page asks eight or more questions of the same data; opening the file, checking
    the snapshot and attaching it once instead of per query saves most of the time of
    the small ones. Listings still write their audit entry on their own connection.
    """
    if getattr(_shared, "conn", None) is not None:  # already inside one: reuse it
        yield
        return
    with session.db.connect(read_only=True) as conn:
        conn.execute("BEGIN TRANSACTION")
        try:
            with attached(conn):
                _shared.conn, _shared.db = conn, session.db
                try:
                    yield
                finally:
                    _shared.conn = _shared.db = None
        finally:
            conn.execute("ROLLBACK")


def run(session: Session, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """One analysis query, snapshot attached, in a read transaction."""
    shared = getattr(_shared, "conn", None)
    if shared is not None and getattr(_shared, "db", None) is session.db:
        try:
            return shared.execute(sql, _used(sql, params)).df()
        except duckdb.Error as exc:
            raise CaseguardError(f"the safety query failed: {exc}") from exc
    with session.db.connect(read_only=True) as conn:
        conn.execute("BEGIN TRANSACTION")
        try:
            with attached(conn):
                return conn.execute(sql, _used(sql, params)).df()
        except duckdb.Error as exc:
            raise CaseguardError(f"the safety query failed: {exc}") from exc
        finally:
            conn.execute("ROLLBACK")


def run_listing(
    session: Session, name: str, sql: str, params: dict[str, Any], f: SafetyFilter
) -> pd.DataFrame:
    """A row-level listing, audited as ``view_listing`` (which subjects, which filters)
    in the same transaction: no listing without its audit entry."""
    with audited_transaction(session.db, session.actor) as (conn, events), attached(conn):
        frame = conn.execute(sql, _used(sql, params)).df()
        subjects = sorted(set(frame["subject_id"])) if "subject_id" in frame else []
        events.append(
            Event(
                "view_listing",
                None,
                name,
                after={"rows": len(frame), "subjects": subjects, "filters": f.describe()},
            )
        )
    return frame
