"""Schema migrations: small named functions, recorded, each in one transaction.

A migration is registered with ``@migration`` and applied once; its name is stored
in ``_migrations`` so applying the list again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import duckdb

from warehouse.store.db import Database, one

Migration = Callable[[duckdb.DuckDBPyConnection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(func: Migration) -> Migration:
    """Register a migration under its function name (order = definition order)."""
    MIGRATIONS.append((func.__name__, func))
    return func


@migration
def m001_bookkeeping(conn: duckdb.DuckDBPyConnection) -> None:
    """Database identity, used to pair the database with its audit anchor."""
    conn.execute("CREATE TABLE _meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")
    conn.execute("INSERT INTO _meta VALUES ('db_id', ?)", [uuid.uuid4().hex])


@migration
def m002_administration(conn: duckdb.DuckDBPyConnection) -> None:
    """Sites, users and the product reference table."""
    conn.execute("""
        CREATE TABLE sites (
            site_code VARCHAR PRIMARY KEY, name VARCHAR NOT NULL,
            region VARCHAR NOT NULL, country VARCHAR NOT NULL)""")
    conn.execute("""
        CREATE TABLE users (
            username VARCHAR PRIMARY KEY, password_hash VARCHAR NOT NULL,
            role VARCHAR NOT NULL, site_code VARCHAR, active BOOLEAN NOT NULL,
            failed_logins INTEGER NOT NULL DEFAULT 0, locked_until TIMESTAMP)""")
    conn.execute("""
        CREATE TABLE products (
            product_id VARCHAR PRIMARY KEY, inn VARCHAR NOT NULL, inn_ru VARCHAR,
            brand VARCHAR, brand_ru VARCHAR, manufacturer VARCHAR, is_generic BOOLEAN NOT NULL,
            reference_product_id VARCHAR, route VARCHAR NOT NULL, dose_kind VARCHAR NOT NULL,
            dose_unit VARCHAR NOT NULL, regimen_kind VARCHAR NOT NULL,
            loading_days INTEGER[], maintenance_interval_months DOUBLE)""")


@migration
def m003_clinical(conn: duckdb.DuckDBPyConnection) -> None:
    """Subjects and everything recorded about them (dates stored shifted)."""
    conn.execute("""
        CREATE TABLE subjects (
            subject_id VARCHAR PRIMARY KEY, site_code VARCHAR NOT NULL, sex VARCHAR NOT NULL,
            birth_year INTEGER NOT NULL, disease VARCHAR NOT NULL, disease_subtype VARCHAR NOT NULL,
            genetics VARCHAR, age_at_onset_months DOUBLE, age_at_index_months DOUBLE,
            index_date DATE NOT NULL, status VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL, created_by VARCHAR NOT NULL)""")
    conn.execute("""
        CREATE TABLE consents (
            subject_id VARCHAR PRIMARY KEY, processing BOOLEAN NOT NULL,
            pooled_research BOOLEAN NOT NULL, publication BOOLEAN NOT NULL,
            signed_by VARCHAR NOT NULL, signed_date DATE NOT NULL, withdrawn_date DATE)""")
    conn.execute("""
        CREATE TABLE treatments (
            treatment_id VARCHAR PRIMARY KEY, subject_id VARCHAR NOT NULL,
            product_id VARCHAR NOT NULL, dose DOUBLE NOT NULL, dose_unit VARCHAR NOT NULL,
            route VARCHAR NOT NULL, start_date DATE NOT NULL, end_date DATE, lot VARCHAR,
            switched_from VARCHAR, switch_reason VARCHAR)""")
    conn.execute("""
        CREATE TABLE assessments (
            assessment_id VARCHAR PRIMARY KEY, subject_id VARCHAR NOT NULL,
            visit_date DATE NOT NULL, scale VARCHAR NOT NULL, score DOUBLE NOT NULL,
            ventilation VARCHAR, niv_hours_per_day DOUBLE, feeding VARCHAR,
            motor_function VARCHAR)""")
    conn.execute("""
        CREATE TABLE labs (
            lab_id VARCHAR PRIMARY KEY, subject_id VARCHAR NOT NULL, date DATE NOT NULL,
            test VARCHAR NOT NULL, value DOUBLE NOT NULL, unit VARCHAR NOT NULL,
            lower DOUBLE, upper DOUBLE)""")
    conn.execute("""
        CREATE TABLE adverse_events (
            ae_id VARCHAR PRIMARY KEY, subject_id VARCHAR NOT NULL,
            verbatim_term VARCHAR NOT NULL, coded_term VARCHAR NOT NULL,
            body_system VARCHAR NOT NULL, onset_date DATE NOT NULL, end_date DATE,
            ctcae_grade INTEGER NOT NULL, serious BOOLEAN NOT NULL, seriousness VARCHAR[],
            action_taken VARCHAR NOT NULL, outcome VARCHAR NOT NULL)""")
    conn.execute("""
        CREATE TABLE ae_causality (
            ae_id VARCHAR NOT NULL, product_id VARCHAR NOT NULL, causality VARCHAR NOT NULL,
            PRIMARY KEY (ae_id, product_id))""")
    conn.execute("""
        CREATE TABLE narratives (
            narrative_id VARCHAR PRIMARY KEY, subject_id VARCHAR NOT NULL,
            visit_date DATE NOT NULL, language VARCHAR NOT NULL, text_scrubbed VARCHAR NOT NULL,
            redaction_counts VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL)""")
    for table in ("treatments", "assessments", "labs", "adverse_events", "narratives"):
        conn.execute(f"CREATE INDEX idx_{table}_subject ON {table} (subject_id)")


@migration
def m004_audit_log(conn: duckdb.DuckDBPyConnection) -> None:
    """The append-only, hash-chained audit log."""
    conn.execute("""
        CREATE TABLE audit_log (
            seq BIGINT PRIMARY KEY, ts TIMESTAMP NOT NULL, username VARCHAR NOT NULL,
            role VARCHAR NOT NULL, site_code VARCHAR, action VARCHAR NOT NULL,
            table_name VARCHAR, row_key VARCHAR, before VARCHAR, after VARCHAR,
            reason VARCHAR, prev_hash VARCHAR NOT NULL, hash VARCHAR NOT NULL)""")


@migration
def m005_site_public_keys(conn: duckdb.DuckDBPyConnection) -> None:
    """The bundle-verifying public key of each enrolled site (the private half stays at
    the site; rotations are audited, so the audit log holds every earlier key)."""
    conn.execute("""
        CREATE TABLE site_public_keys (
            site_code VARCHAR PRIMARY KEY, public_key VARCHAR NOT NULL,
            fingerprint VARCHAR NOT NULL, registered_at TIMESTAMP NOT NULL)""")


@migration
def m006_login_failures(conn: duckdb.DuckDBPyConnection) -> None:
    """Counters of failed sign-ins that are not each written to the audit log (unknown
    user names, attempts on a locked account): one row per kind, so a flood of attempts
    cannot grow the append-only log."""
    conn.execute("""
        CREATE TABLE login_failures (
            kind VARCHAR PRIMARY KEY, unaudited BIGINT NOT NULL,
            last_audited TIMESTAMP NOT NULL)""")


@migration
def m007_expedited_reporting(conn: duckdb.DuckDBPyConnection) -> None:
    """Expedited safety reporting: loaded MedDRA releases (every version kept), the LLT
    that coded each event and the version that coded it, day 0 (the date the site first
    knew, a real date: it does not identify the child), follow-up receipts, report
    submissions, each product's reference safety information (expected terms) and each
    site's time zone and jurisdiction for its reporting clocks."""
    conn.execute("""
        CREATE TABLE meddra_releases (
            version VARCHAR NOT NULL, language VARCHAR NOT NULL,
            loaded_at TIMESTAMP NOT NULL, loaded_by VARCHAR NOT NULL,
            llt_count INTEGER NOT NULL, files_sha256 VARCHAR NOT NULL,
            PRIMARY KEY (version, language))""")
    conn.execute("""
        CREATE TABLE meddra_terms (
            version VARCHAR NOT NULL, language VARCHAR NOT NULL, level VARCHAR NOT NULL,
            code INTEGER NOT NULL, name VARCHAR NOT NULL, parent_code INTEGER,
            is_current BOOLEAN NOT NULL,
            PRIMARY KEY (version, language, level, code))""")
    conn.execute("""
        CREATE TABLE meddra_links (
            version VARCHAR NOT NULL, parent_level VARCHAR NOT NULL,
            parent_code INTEGER NOT NULL, child_code INTEGER NOT NULL,
            PRIMARY KEY (version, parent_level, parent_code, child_code))""")
    conn.execute("""
        CREATE TABLE meddra_paths (
            version VARCHAR NOT NULL, pt_code INTEGER NOT NULL, hlt_code INTEGER NOT NULL,
            hlgt_code INTEGER NOT NULL, soc_code INTEGER NOT NULL, is_primary BOOLEAN NOT NULL,
            PRIMARY KEY (version, pt_code, hlt_code, hlgt_code, soc_code))""")
    conn.execute("""
        CREATE TABLE ae_meddra (
            ae_id VARCHAR PRIMARY KEY, llt_code INTEGER NOT NULL,
            meddra_version VARCHAR NOT NULL, coded_by VARCHAR NOT NULL,
            coded_at TIMESTAMP NOT NULL)""")
    conn.execute("""
        CREATE TABLE ae_awareness (
            ae_id VARCHAR PRIMARY KEY, aware_date DATE NOT NULL,
            recorded_by VARCHAR NOT NULL, recorded_at TIMESTAMP NOT NULL)""")
    conn.execute("""
        CREATE TABLE ae_followup_receipts (
            receipt_id VARCHAR PRIMARY KEY, ae_id VARCHAR NOT NULL,
            received_date DATE NOT NULL, recorded_by VARCHAR NOT NULL,
            recorded_at TIMESTAMP NOT NULL)""")
    conn.execute("""
        CREATE TABLE report_submissions (
            submission_id VARCHAR PRIMARY KEY, ae_id VARCHAR NOT NULL, kind VARCHAR NOT NULL,
            version INTEGER NOT NULL, submitted_date DATE NOT NULL,
            jurisdiction VARCHAR NOT NULL, recorded_by VARCHAR NOT NULL,
            recorded_at TIMESTAMP NOT NULL)""")
    conn.execute("""
        CREATE TABLE rsi_expected_terms (
            product_id VARCHAR NOT NULL, term VARCHAR NOT NULL,
            added_by VARCHAR NOT NULL, added_at TIMESTAMP NOT NULL,
            PRIMARY KEY (product_id, term))""")
    conn.execute("""
        CREATE TABLE site_reporting (
            site_code VARCHAR PRIMARY KEY, time_zone VARCHAR NOT NULL,
            jurisdiction VARCHAR NOT NULL)""")
    conn.execute("CREATE INDEX idx_meddra_terms_parent ON meddra_terms (version, parent_code)")
    conn.execute("CREATE INDEX idx_followups_ae ON ae_followup_receipts (ae_id)")
    conn.execute("CREATE INDEX idx_submissions_ae ON report_submissions (ae_id)")


@migration
def m008_linkage(conn: duckdb.DuckDBPyConnection) -> None:
    """Record linkage (warehouse/linkage): keyed identifier tokens made at the sites
    (never the identifiers, never exported in pooled data), the pairs Splink scored,
    and the coordinator's decisions on them (same child / different children, undoable)."""
    conn.execute("""
        CREATE TABLE linkage_tokens (
            subject_id VARCHAR PRIMARY KEY, site_code VARCHAR NOT NULL,
            key_id VARCHAR NOT NULL, surname VARCHAR, surname_parts VARCHAR[],
            given_name VARCHAR, patronymic VARCHAR, birth_date VARCHAR,
            birth_date_unordered VARCHAR, sex VARCHAR, snils VARCHAR, birth_region VARCHAR,
            surname_phonetic VARCHAR, birth_year_month VARCHAR, given_initial VARCHAR,
            updated_at TIMESTAMP NOT NULL)""")
    conn.execute("""
        CREATE TABLE linkage_pairs (
            subject_id_a VARCHAR NOT NULL, subject_id_b VARCHAR NOT NULL,
            match_probability DOUBLE NOT NULL, match_weight DOUBLE NOT NULL,
            agreeing_fields VARCHAR NOT NULL, scored_at TIMESTAMP NOT NULL,
            PRIMARY KEY (subject_id_a, subject_id_b))""")
    conn.execute("""
        CREATE TABLE linkage_decisions (
            decision_id VARCHAR PRIMARY KEY, subject_id_a VARCHAR NOT NULL,
            subject_id_b VARCHAR NOT NULL, decision VARCHAR NOT NULL, reason VARCHAR NOT NULL,
            decided_by VARCHAR NOT NULL, decided_at TIMESTAMP NOT NULL,
            undone_by VARCHAR, undone_at TIMESTAMP, undo_reason VARCHAR)""")
    conn.execute(
        "CREATE INDEX idx_linkage_decisions_pair ON linkage_decisions (subject_id_a, subject_id_b)"
    )


@migration
def m009_data_review(conn: duckdb.DuckDBPyConnection) -> None:
    """Data review: queries on one field of one row and their messages (question,
    answers, closing, re-opening; scrubbed text only), source-data verification marks per
    row, investigators (an attribute of a site user set by an admin) and casebook
    signatures (who, when, meaning, hash of the signed rows; broken by a later change)."""
    conn.execute("""
        CREATE TABLE queries (
            query_id VARCHAR PRIMARY KEY, site_code VARCHAR NOT NULL,
            subject_id VARCHAR NOT NULL, table_name VARCHAR NOT NULL,
            row_key VARCHAR NOT NULL, field VARCHAR NOT NULL, state VARCHAR NOT NULL,
            origin VARCHAR NOT NULL, rule_id VARCHAR, opened_by VARCHAR NOT NULL,
            opened_at TIMESTAMP NOT NULL, answered_at TIMESTAMP, closed_at TIMESTAMP,
            first_answered_at TIMESTAMP)""")
    conn.execute("""
        CREATE TABLE query_messages (
            query_id VARCHAR NOT NULL, n INTEGER NOT NULL, kind VARCHAR NOT NULL,
            text VARCHAR, correction VARCHAR, author VARCHAR NOT NULL,
            role VARCHAR NOT NULL, written_at TIMESTAMP NOT NULL, PRIMARY KEY (query_id, n))""")
    conn.execute("""
        CREATE TABLE sdv_marks (
            table_name VARCHAR NOT NULL, row_key VARCHAR NOT NULL,
            subject_id VARCHAR NOT NULL, site_code VARCHAR NOT NULL,
            verified_by VARCHAR NOT NULL, verified_at TIMESTAMP NOT NULL,
            PRIMARY KEY (table_name, row_key))""")
    conn.execute("""
        CREATE TABLE investigators (
            username VARCHAR PRIMARY KEY, granted_by VARCHAR NOT NULL,
            granted_at TIMESTAMP NOT NULL)""")
    conn.execute("""
        CREATE TABLE signatures (
            signature_id VARCHAR PRIMARY KEY, subject_id VARCHAR NOT NULL,
            site_code VARCHAR NOT NULL, username VARCHAR NOT NULL,
            signed_at TIMESTAMP NOT NULL, meaning VARCHAR NOT NULL,
            rows_sha256 VARCHAR NOT NULL, broken_at TIMESTAMP, broken_by VARCHAR)""")
    conn.execute("CREATE INDEX idx_queries_subject ON queries (subject_id)")
    conn.execute("CREATE INDEX idx_queries_site_state ON queries (site_code, state)")
    conn.execute("CREATE INDEX idx_sdv_subject ON sdv_marks (subject_id)")
    conn.execute("CREATE INDEX idx_signatures_subject ON signatures (subject_id)")


def _ensure_ledger(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("""
        CREATE TABLE IF NOT EXISTS _migrations (
            name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL)""")


def applied(db: Database) -> list[str]:
    """Names of the migrations already applied, in order."""
    with db.transaction() as conn:
        _ensure_ledger(conn)
        rows = conn.execute("SELECT name FROM _migrations ORDER BY applied_at, name").fetchall()
    return [r[0] for r in rows]


def migrate(db: Database) -> list[str]:
    """Apply every pending migration, each in its own transaction; return their names."""
    done = set(applied(db))
    newly: list[str] = []
    for name, func in MIGRATIONS:
        if name in done:
            continue
        with db.transaction() as conn:
            if one(conn, "SELECT 1 FROM _migrations WHERE name = ?", [name]):
                continue  # another process applied it meanwhile
            func(conn)
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            conn.execute("INSERT INTO _migrations VALUES (?, ?)", [name, now])
        newly.append(name)
    return newly


# --- issue 18: site exchange (public keys of enrolled sites) ----------------------------
