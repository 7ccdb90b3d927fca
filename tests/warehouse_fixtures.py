"""Shared builders for the warehouse and pseudonym tests.

Imported explicitly by the test modules (``from tests.warehouse_fixtures import ...``)
so they do not depend on a conftest.py. Everything lives under pytest's ``tmp_path``:
database files and key directories alike.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest

from anonymise import pseudonymise, shift_date
from schemas import CLINICAL_TABLES, Case
from warehouse.store.access import Session, system_session
from warehouse.store.admin import add_site, sync_products
from warehouse.store.audit import COLUMNS
from warehouse.store.db import MEMORY, Database
from warehouse.store.migrations import migrate
from warehouse.store.site_keys import public_pem, register_site

ROOT = Path(__file__).resolve().parent.parent
SITES = {"MSK": ("Moscow centre", "Moscow"), "PRM": ("Perm centre", "Perm Krai")}
ALL_TABLES = ("sites", "users", "products", *CLINICAL_TABLES, "audit_log")
SMA_GENETICS = json.dumps({"smn1_status": "homozygous_deletion", "smn2_copies": "2"})


# --- databases ---------------------------------------------------------------------


def make_db(
    path: str | Path, key_dir: str | Path, sites: tuple[str, ...] = ("MSK", "PRM")
) -> Database:
    """A migrated database with the given sites, their keys and the product list.

    Like ``caseguard site init CODE --name N``: each site gets its pseudonym key and its
    signing key pair, and its public key is registered.
    """
    db = Database(path, key_dir=key_dir, busy_timeout=30.0)
    migrate(db)
    system = system_session(db, "test-setup")
    for code in sites:
        name, region = SITES.get(code, (f"{code} centre", "Somewhere"))
        add_site(system, code, name, region)
        db.keys.create_site_key(code)
        db.keys.create_signing_key(code)
        register_site(system, code, public_pem(db.keys.signing_key(code)))
    sync_products(system)
    return db


def enrol(site_db: Database, coordinator_db: Database, site: str) -> None:
    """Register ``site`` at the coordinator by the public key held at the site (as
    ``caseguard site public-key`` + ``caseguard site register`` do)."""
    name, region = SITES.get(site, (f"{site} centre", "Somewhere"))
    pem = public_pem(site_db.keys.signing_key(site))
    register_site(system_session(coordinator_db, "enrol"), site, pem, name, region)


@pytest.fixture
def file_db(tmp_path: Path) -> Database:
    """A migrated file database (MSK and PRM sites, keys, products) under tmp_path."""
    return make_db(tmp_path / "warehouse.duckdb", tmp_path / "keys")


@pytest.fixture
def memory_db(tmp_path: Path) -> Database:
    """A migrated in-memory database whose key store lives under tmp_path."""
    return make_db(MEMORY, tmp_path / "keys")


@pytest.fixture(params=["file", "memory"])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    """Both kinds of database, one after the other."""
    path = tmp_path / "warehouse.duckdb" if request.param == "file" else MEMORY
    return make_db(path, tmp_path / "keys")


def clone_db(db: Database, directory: Path) -> Database:
    """A copy of a file database and its key store (keys and audit anchor) in ``directory``.

    Lets an expensive-to-build database be made once and handed out fresh to each test.
    """
    assert not db.in_memory
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / Path(db.path).name
    shutil.copyfile(db.path, target)
    shutil.copytree(db.keys.directory, directory / "keys", dirs_exist_ok=True)
    return Database(target, key_dir=directory / "keys", busy_timeout=db.busy_timeout)


# --- sessions ----------------------------------------------------------------------


def site_user(db: Database, site: str = "MSK") -> Session:
    return Session(db, f"{site.lower()}_neuro", "site_user", site)


def coordinator(db: Database) -> Session:
    return Session(db, "coord", "coordinator", None)


def monitor(db: Database) -> Session:
    return Session(db, "safety_monitor", "monitor", None)


def admin(db: Database) -> Session:
    return Session(db, "sysadmin", "admin", None)


# --- cases -------------------------------------------------------------------------


def subject_id_for(db: Database, site: str, local_id: str) -> str:
    return pseudonymise(db.keys.site_key(site), site, local_id).subject_id


def make_case(
    db: Database,
    site: str = "MSK",
    local_id: str = "PAT-001",
    *,
    created_by: str | None = None,
    minimal: bool = False,
) -> Case:
    """A valid SMA case (all eight clinical tables unless ``minimal``), dates shifted.

    Row ids are derived from the pseudonym, so cases of different patients never clash.
    """
    p = pseudonymise(db.keys.site_key(site), site, local_id)
    sid, code = p.subject_id, p.subject_id.split("-", 1)[1]

    def d(y: int, m: int, day: int) -> dt.date:
        shifted = shift_date(dt.date(y, m, day), p.date_shift_days)
        assert shifted is not None
        return shifted

    subject = dict(
        subject_id=sid,
        site_code=site,
        sex="female",
        birth_year=2021,
        disease="SMA5Q",
        disease_subtype="1b",
        genetics=SMA_GENETICS,
        age_at_onset_months=2.0,
        age_at_index_months=5.0,
        index_date=d(2021, 6, 1),
        status="active",
        created_at=dt.datetime(2024, 1, 1, 9, 30),
        created_by=created_by or f"{site.lower()}_neuro",
    )
    treatment = dict(
        treatment_id=f"TR-{code}-1",
        subject_id=sid,
        product_id="NUS-SPINRAZA",
        dose=12.0,
        dose_unit="mg",
        route="intrathecal",
        start_date=d(2021, 6, 1),
        end_date=None,
        lot="L123",
        switched_from=None,
        switch_reason=None,
    )
    if minimal:
        return Case(subjects=[subject], treatments=[treatment])
    consent = dict(
        subject_id=sid,
        processing=True,
        pooled_research=True,
        publication=False,
        signed_by="legal_representative",
        signed_date=d(2021, 5, 30),
        withdrawn_date=None,
    )
    second = dict(treatment, treatment_id=f"TR-{code}-2", start_date=d(2021, 6, 15), lot="L124")
    assessment = dict(
        assessment_id=f"AS-{code}-1",
        subject_id=sid,
        visit_date=d(2021, 6, 1),
        scale="CHOP-INTEND",
        score=31.0,
        ventilation="none",
        niv_hours_per_day=None,
        feeding="oral",
        motor_function="non_sitter",
    )
    lab = dict(
        lab_id=f"LB-{code}-1",
        subject_id=sid,
        date=d(2021, 6, 1),
        test="PLT",
        value=250.0,
        unit="10^9/L",
        lower=150.0,
        upper=450.0,
    )
    ae = dict(
        ae_id=f"AE-{code}-1",
        subject_id=sid,
        verbatim_term="headache after lumbar puncture",
        coded_term="HEADACHE",
        body_system="Nervous system disorders",
        onset_date=d(2021, 6, 2),
        end_date=None,
        ctcae_grade=2,
        serious=True,
        seriousness=["hospitalisation"],
        action_taken="dose_not_changed",
        outcome="recovering",
    )
    causality = dict(ae_id=f"AE-{code}-1", product_id="NUS-SPINRAZA", causality="possible")
    narrative = dict(
        narrative_id=f"NR-{code}-1",
        subject_id=sid,
        visit_date=d(2021, 6, 2),
        language="en",
        text_scrubbed="Headache on the day after the first dose, treated with paracetamol.",
        redaction_counts=json.dumps({"PERSON": 1}),
        created_at=dt.datetime(2024, 1, 1, 9, 31),
    )
    return Case(
        subjects=[subject],
        consents=[consent],
        treatments=[treatment, second],
        assessments=[assessment],
        labs=[lab],
        adverse_events=[ae],
        ae_causality=[causality],
        narratives=[narrative],
    )


def case_row_count(case: Case) -> int:
    return sum(len(rows) for rows in case.tables().values())


# --- looking at what is stored -----------------------------------------------------


def table_counts(db: Database) -> dict[str, int]:
    """Rows per table (administrative, clinical and audit)."""
    with db.connect(read_only=not db.in_memory) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in ALL_TABLES}


def audit_rows(db: Database) -> list[dict[str, Any]]:
    """The audit log, oldest first, as dicts."""
    with db.connect(read_only=not db.in_memory) as conn:
        rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_log ORDER BY seq").fetchall()
    return [dict(zip(COLUMNS, r, strict=True)) for r in rows]


def audit_count(db: Database) -> int:
    with db.connect(read_only=not db.in_memory) as conn:
        return int(conn.execute("SELECT count(*) FROM audit_log").fetchall()[0][0])


@contextmanager
def raw_file(db: Database) -> Iterator[duckdb.DuckDBPyConnection]:
    """A plain DuckDB connection to the file, bypassing caseguard (for tampering).

    caseguard holds no connection between operations, so the file is free here.
    """
    assert not db.in_memory
    conn = duckdb.connect(db.path)
    try:
        yield conn
    finally:
        conn.close()


def raw_execute(db: Database, *statements: str) -> None:
    """Run statements one by one (each autocommitted) straight on the file."""
    with raw_file(db) as conn:
        for sql in statements:
            conn.execute(sql)


def make_demo(root: Path, subjects: int, seed: int) -> Database:
    """A migrated database in ``root`` (keys beside it) with the demo centres, accounts
    and ``subjects`` synthetic subjects."""
    from warehouse.demo.build import create_demo

    db = Database(root / "demo.duckdb", key_dir=root / "keys")
    migrate(db)
    create_demo(db, subjects=subjects, seed=seed)
    return db


def make_demo_with_case(root: Path, local_id: str, seed: int) -> Database:
    """A small demo (5 subjects) plus one MSK SMA subject treated with Spinraza, entered
    by ``msk_neuro`` under ``local_id``: the starting point of the case-page tests."""
    from warehouse.store.cases import save_case

    db = make_demo(root, subjects=5, seed=seed)
    save_case(site_user(db, "MSK"), make_case(db, "MSK", local_id, created_by="msk_neuro"))
    return db
