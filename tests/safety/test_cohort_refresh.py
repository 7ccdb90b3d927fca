"""The cohort snapshot refreshed for the subjects a write touched equals a full rebuild.

A demo warehouse gets random sequences of writes - new cases, follow-up AEs (some
fatal), corrections (an AE's grade, a motor score, a subject's age, which moves the
subject to another stratum), consent withdrawals and site bundle imports - and after
each one the snapshot, refreshed in place, must hold exactly the rows a build from
scratch holds (float sums up to rounding: their order of addition differs).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.errors import CaseguardError
from tests.warehouse_fixtures import clone_db, coordinator, make_case, make_demo, site_user
from warehouse.exchange.bundles import export_bundle, import_bundle
from warehouse.linkage.review import decide
from warehouse.safety import cohort
from warehouse.safety.cohort_refresh import narrowed, refresh_limit, touched_subjects
from warehouse.store.access import system_session
from warehouse.store.admin import sync_products
from warehouse.store.cases import Change, add_records, save_case, update_rows, withdraw_consent
from warehouse.store.db import Database

SITE = "MSK"


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Database:
    return make_demo(tmp_path_factory.mktemp("refresh-demo"), subjects=24, seed=2111)


def _rows(conn: duckdb.DuckDBPyConnection, table: str) -> list[tuple[Any, ...]]:
    rows = conn.execute(f"SELECT * FROM {table}").fetchall()
    # sorted on the exact columns first: float sums may differ in the last bits
    return sorted(
        rows,
        key=lambda r: (
            tuple((isinstance(v, float), repr(v) if not isinstance(v, float) else "") for v in r)
            + tuple(round(v, 6) for v in r if isinstance(v, float))
        ),
    )


def _equal(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return len(a) == len(b) and all(
        math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
        if isinstance(x, float) and isinstance(y, float)
        else x == y
        for x, y in zip(a, b, strict=True)
    )


def tables_of(snap: cohort.Snapshot) -> dict[str, list[tuple[Any, ...]]]:
    cursor = snap.cursor()
    try:
        names = [r[0] for r in cursor.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {name: _rows(cursor, name) for name in sorted(names)}
    finally:
        cursor.close()


def full_rebuild(db: Database) -> cohort.Snapshot:
    with db.connect(read_only=True) as conn:
        conn.execute("BEGIN TRANSACTION")
        try:
            db_id, migrations = cohort._identity(conn)
            return cohort._build(conn, db_id, migrations)
        finally:
            conn.execute("ROLLBACK")


def assert_same_as_rebuilt(db: Database, snap: cohort.Snapshot) -> None:
    kept, rebuilt = tables_of(snap), tables_of(full_rebuild(db))
    assert list(kept) == list(rebuilt)
    for name, rows in rebuilt.items():
        assert len(kept[name]) == len(rows), name
        different = [(a, b) for a, b in zip(kept[name], rows, strict=True) if not _equal(a, b)]
        assert not different, (name, different[:3])


# --- the writes -------------------------------------------------------------------------


def _subjects(db: Database, where: str = "TRUE") -> list[tuple[Any, ...]]:
    with db.connect(read_only=True) as conn:
        return conn.execute(
            f"SELECT subject_id, site_code FROM subjects WHERE {where} ORDER BY subject_id"
        ).fetchall()


def _pick(db: Database, table: str, column: str, choice: int) -> tuple[Any, ...] | None:
    with db.connect(read_only=True) as conn:
        rows = conn.execute(
            f"SELECT t.{column}, t.subject_id, s.site_code FROM {table} t "
            f"JOIN subjects s USING (subject_id) ORDER BY t.{column}"
        ).fetchall()
    return rows[choice % len(rows)] if rows else None


def new_case(db: Database, _site: Database, choice: int) -> None:
    site = ("MSK", "PRM")[choice % 2]
    save_case(site_user(db, site), make_case(db, site, f"REFRESH-{choice}"))


def follow_up_event(db: Database, _site: Database, choice: int) -> None:
    with db.connect(read_only=True) as conn:
        rows = conn.execute(
            "SELECT t.subject_id, s.site_code, min(t.start_date), max(t.product_id) "
            "FROM treatments t JOIN subjects s USING (subject_id) WHERE s.status = 'active' "
            "GROUP BY ALL ORDER BY 1"
        ).fetchall()
    subject, site, first, product = rows[choice % len(rows)]
    fatal = choice % 5 == 0
    onset = first + dt.timedelta(days=choice % 400)
    ae_id = f"AE-{subject.split('-', 1)[1]}-R{choice}"
    event = {
        "ae_id": ae_id,
        "subject_id": subject,
        "verbatim_term": "vomiting",
        "coded_term": "VOMITING",
        "body_system": "Gastrointestinal disorders",
        "onset_date": onset,
        "end_date": onset + dt.timedelta(days=3),
        "ctcae_grade": 5 if fatal else 1 + choice % 3,
        "serious": fatal,
        "seriousness": ["death"] if fatal else [],
        "action_taken": "dose_not_changed",
        "outcome": "fatal" if fatal else "recovered",
    }
    causality = {"ae_id": ae_id, "product_id": product, "causality": "unlikely"}
    add_records(
        site_user(db, site), subject, {"adverse_events": [event], "ae_causality": [causality]}
    )


def correct_grade(db: Database, _site: Database, choice: int) -> None:
    row = _pick(db, "adverse_events", "ae_id", choice)
    if row is not None:
        change = Change("adverse_events", {"ae_id": row[0]}, {"ctcae_grade": 1 + choice % 3})
        update_rows(site_user(db, row[2]), row[1], [change], "grade corrected")


def correct_score(db: Database, _site: Database, choice: int) -> None:
    row = _pick(db, "assessments", "assessment_id", choice)
    if row is not None:
        change = Change("assessments", {"assessment_id": row[0]}, {"score": float(choice % 60)})
        update_rows(site_user(db, row[2]), row[1], [change], "score corrected")


def correct_age(db: Database, _site: Database, choice: int) -> None:
    subject, site = _subjects(db)[choice % len(_subjects(db))]
    age = float((3, 15, 40, 100, 170, 230)[choice % 6])
    change = Change("subjects", {"subject_id": subject}, {"age_at_index_months": age})
    update_rows(site_user(db, site), subject, [change], "age corrected")


def withdraw(db: Database, _site: Database, choice: int) -> None:
    with db.connect(read_only=True) as conn:
        rows = conn.execute(
            "SELECT c.subject_id, s.site_code, max(t.start_date) FROM consents c "
            "JOIN subjects s USING (subject_id) JOIN treatments t USING (subject_id) "
            "WHERE c.withdrawn_date IS NULL AND s.status = 'active' GROUP BY ALL ORDER BY 1"
        ).fetchall()
    if rows:
        subject, site, last = rows[choice % len(rows)]
        withdraw_consent(site_user(db, site), subject, last + dt.timedelta(days=10), "withdrew")


def bundle_import(db: Database, site_db: Database, choice: int) -> None:
    """The site enters a new case and corrects a grade offline; its bundle comes in."""
    save_case(site_user(site_db, SITE), make_case(site_db, SITE, f"SITE-{choice}"))
    with contextlib.suppress(CaseguardError):
        correct_grade(site_db, site_db, choice)
    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "msk.zip"
        export_bundle(site_user(site_db, SITE), SITE, bundle)
        import_bundle(coordinator(db), bundle)


WRITES = [
    new_case,
    follow_up_event,
    correct_grade,
    correct_score,
    correct_age,
    withdraw,
    bundle_import,
]


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(WRITES), st.integers(min_value=0, max_value=10_000)),
        min_size=1,
        max_size=4,
    )
)
def test_a_refreshed_snapshot_equals_a_full_rebuild(
    demo_template: Database, steps: list[tuple[Any, int]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = clone_db(demo_template, Path(tmp) / "centre")
        site_db = clone_db(demo_template, Path(tmp) / "site")
        cohort.clear_cache()
        snap = cohort.current(db)
        for write, choice in steps:
            # a write refused by a rule of the data writes nothing: still compared
            with contextlib.suppress(CaseguardError):
                write(db, site_db, choice)
            refreshed = cohort.current(db)
            assert refreshed is snap  # refreshed in place, not rebuilt
            assert_same_as_rebuilt(db, refreshed)
        cohort.clear_cache()


# --- what the audit log tells -----------------------------------------------------------


@pytest.fixture
def demo(demo_template: Database, tmp_path: Path) -> Database:
    cohort.clear_cache()
    return clone_db(demo_template, tmp_path / "demo")


def _head(db: Database) -> int:
    with db.connect(read_only=True) as conn:
        return int(conn.execute("SELECT max(seq) FROM audit_log").fetchall()[0][0])


def _touched(db: Database, after: int, limit: int = 500) -> set[str] | None:
    with db.connect(read_only=True) as conn:
        return touched_subjects(conn, after, limit)


def test_a_save_names_its_subject_and_reads_name_none(demo: Database) -> None:
    head = _head(demo)
    case = make_case(demo, "MSK", "TOUCH-1")
    save_case(site_user(demo, "MSK"), case)
    assert _touched(demo, head) == {case.subject["subject_id"]}
    assert _touched(demo, _head(demo)) == set()


def test_an_entry_naming_a_row_only_by_its_key_is_looked_up(demo: Database) -> None:
    row = _pick(demo, "adverse_events", "ae_id", 3)
    assert row is not None
    head = _head(demo)
    from warehouse.store.audit import Event, audited_transaction

    with audited_transaction(demo, coordinator(demo).actor) as (_conn, events):
        events.append(Event("update", "ae_causality", f"{row[0]}|NUS-SPINRAZA", after={}))
    assert _touched(demo, head) == {row[1]}
    with audited_transaction(demo, coordinator(demo).actor) as (_conn, events):
        events.append(Event("update", "ae_causality", "AE-GONE-1|NUS-SPINRAZA", after={}))
    assert _touched(demo, head) is None  # a row that is gone: rebuilt whole


@pytest.mark.parametrize("write", ["products", "link", "many"])
def test_writes_beyond_single_subjects_rebuild_the_snapshot(demo: Database, write: str) -> None:
    first = cohort.current(demo)
    subjects = _subjects(demo)
    if write == "products":
        with demo.connect() as conn:
            conn.execute("DELETE FROM products WHERE product_id = 'RIS-EVRYSDI'")
        sync_products(system_session(demo, "test"))  # audited: sync_reference
    elif write == "link":
        decide(coordinator(demo), subjects[0][0], subjects[-1][0], "same", "one child")
    else:
        head = _head(demo)
        for i in range(3):
            save_case(site_user(demo, "PRM"), make_case(demo, "PRM", f"MANY-{i}"))
        assert _touched(demo, head, limit=2) is None
        assert len(_touched(demo, head, limit=3) or ()) == 3
        return
    rebuilt = cohort.current(demo)
    assert rebuilt is not first
    assert_same_as_rebuilt(demo, rebuilt)


def test_the_refresh_limit_grows_with_the_cohort() -> None:
    assert refresh_limit(100) == 500
    assert refresh_limit(100_000) == 2_000


def test_narrowed_statements_read_only_the_touched_subjects() -> None:
    sql = narrowed(
        "SELECT * FROM treatments t JOIN ae_causality c ON TRUE JOIN products p USING (x)",
        ["S-1", "S-'2"],
        [],
    )
    assert "FROM (SELECT * FROM treatments WHERE subject_id IN ('S-''2', 'S-1')) t" in sql
    assert "JOIN (SELECT * FROM ae_causality WHERE FALSE) c" in sql
    assert "JOIN products p" in sql
