"""Schema migrations: applied once, recorded, idempotent, atomic; file and memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from warehouse.store import migrations
from warehouse.store.db import MEMORY, Database
from warehouse.store.migrations import MIGRATIONS, applied, migrate

EXPECTED_TABLES = {
    "_meta",
    "_migrations",
    "sites",
    "users",
    "products",
    "subjects",
    "consents",
    "treatments",
    "assessments",
    "labs",
    "adverse_events",
    "ae_causality",
    "narratives",
    "audit_log",
    "site_public_keys",
    "login_failures",
    # m007: expedited reporting
    "meddra_releases",
    "meddra_terms",
    "meddra_links",
    "meddra_paths",
    "ae_meddra",
    "ae_awareness",
    "ae_followup_receipts",
    "report_submissions",
    "rsi_expected_terms",
    "site_reporting",
    # m008: record linkage
    "linkage_tokens",
    "linkage_pairs",
    "linkage_decisions",
    # m009: data review
    "queries",
    "query_messages",
    "sdv_marks",
    "investigators",
    "signatures",
}
ALL_NAMES = [name for name, _ in MIGRATIONS]


def _state(db: Database) -> tuple[list[str], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Tables, the _migrations ledger and the _meta rows, as a comparable snapshot."""
    with db.connect() as conn:
        tables = sorted(
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        )
        ledger = conn.execute("SELECT name, applied_at FROM _migrations ORDER BY name").fetchall()
        meta = conn.execute("SELECT key, value FROM _meta ORDER BY key").fetchall()
    return tables, ledger, meta


@pytest.fixture(params=["file", "memory"])
def blank_db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    path = tmp_path / "fresh.duckdb" if request.param == "file" else MEMORY
    return Database(path, key_dir=tmp_path / "keys")


def test_fresh_database_gets_every_migration_in_order(blank_db: Database) -> None:
    assert migrate(blank_db) == ALL_NAMES
    assert applied(blank_db) == ALL_NAMES
    tables, ledger, meta = _state(blank_db)
    assert set(tables) == EXPECTED_TABLES
    assert [name for name, _ in ledger] == sorted(ALL_NAMES)
    assert [k for k, _ in meta] == ["db_id"] and len(meta[0][1]) == 32


def test_applying_twice_changes_nothing(blank_db: Database) -> None:
    migrate(blank_db)
    before = _state(blank_db)
    assert migrate(blank_db) == []
    assert migrate(blank_db) == []
    assert _state(blank_db) == before  # same tables, same ledger timestamps, same db_id


def test_reopened_file_is_not_migrated_again(tmp_path: Path) -> None:
    path = tmp_path / "data" / "nested" / "cg.duckdb"  # parent folders are created
    first = Database(path, key_dir=tmp_path / "keys")
    assert migrate(first) == ALL_NAMES
    before = _state(first)
    again = Database(path, key_dir=tmp_path / "keys")
    assert migrate(again) == []
    assert _state(again) == before
    assert path.exists()


def test_memory_databases_are_independent(tmp_path: Path) -> None:
    one = Database(MEMORY, key_dir=tmp_path / "keys")
    two = Database(MEMORY, key_dir=tmp_path / "keys")
    assert migrate(one) == ALL_NAMES
    assert migrate(two) == ALL_NAMES  # a second :memory: database starts empty
    assert _state(one)[2] != _state(two)[2]  # each has its own identity


def test_new_migration_is_applied_alone(
    blank_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrate(blank_db)

    def m900_extra(conn: Any) -> None:
        conn.execute("CREATE TABLE extra_things (x INTEGER)")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS, ("m900_extra", m900_extra)])
    assert migrate(blank_db) == ["m900_extra"]
    assert migrate(blank_db) == []
    assert "extra_things" in _state(blank_db)[0]
    assert applied(blank_db)[-1] == "m900_extra"


def test_failing_migration_leaves_nothing_half_done(
    blank_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrate(blank_db)
    before = _state(blank_db)

    def m901_broken(conn: Any) -> None:
        conn.execute("CREATE TABLE half_done (x INTEGER)")
        conn.execute("INSERT INTO half_done VALUES (1)")
        raise RuntimeError("migration bug")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS, ("m901_broken", m901_broken)])
    with pytest.raises(RuntimeError, match="migration bug"):
        migrate(blank_db)
    assert _state(blank_db) == before  # no half_done table, not recorded as applied
    assert "m901_broken" not in applied(blank_db)


@pytest.mark.parametrize(
    ("name", "new_table"),
    [
        ("m007_expedited_reporting", "report_submissions"),
        ("m008_linkage", "linkage_tokens"),
        ("m009_data_review", "queries"),
    ],
)
def test_a_database_with_data_gains_a_later_migrations_tables(
    blank_db: Database, monkeypatch: pytest.MonkeyPatch, name: str, new_table: str
) -> None:
    older = [m for m in MIGRATIONS if m[0] != name]
    monkeypatch.setattr(migrations, "MIGRATIONS", older)
    migrate(blank_db)
    with blank_db.transaction() as conn:
        conn.execute("INSERT INTO sites VALUES ('MSK', 'Moscow', 'Moscow', 'RU')")
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS)
    assert migrate(blank_db) == [name]
    with blank_db.connect() as conn:
        assert conn.execute("SELECT site_code FROM sites").fetchall() == [("MSK",)]
        assert conn.execute(f"SELECT count(*) FROM {new_table}").fetchall() == [(0,)]  # noqa: S608
