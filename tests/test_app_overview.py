"""The overview page of the web app, run headless with Streamlit's AppTest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from warehouse.db import Database
from warehouse.demo import create_demo
from warehouse.migrations import migrate

APP = Path(__file__).resolve().parent.parent / "capture_app.py"
SUBJECTS = 25
SITES = ["BRN", "MSK", "MYT", "NNV", "PRM"]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("app-demo")
    db = Database(root / "demo.duckdb", key_dir=root / "keys")
    migrate(db)
    create_demo(db, subjects=SUBJECTS, seed=11)
    return root / "demo.duckdb"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    st.cache_resource.clear()  # capture_app.database() is cached per process
    yield
    st.cache_resource.clear()


def run_app(monkeypatch: pytest.MonkeyPatch, db_path: Path) -> AppTest:
    monkeypatch.setenv("CASEGUARD_DB", str(db_path))
    monkeypatch.setenv("CASEGUARD_KEY_DIR", str(db_path.parent / "keys"))
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_overview_shows_demo_counts_per_site(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = run_app(monkeypatch, demo_db)
    assert "overview" in at.title[0].value.lower()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Subjects"] == str(SUBJECTS)
    assert int(metrics["Treatments"]) > SUBJECTS
    assert int(metrics["Serious AEs"]) <= int(metrics["Adverse events"])
    table = at.dataframe[0].value
    assert table["Site"].tolist() == SITES
    assert table["Subjects"].sum() == SUBJECTS
    assert not at.info and not at.error


def test_empty_warehouse_invites_demo_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    migrate(Database(tmp_path / "empty.duckdb", key_dir=tmp_path / "keys"))
    at = run_app(monkeypatch, tmp_path / "empty.duckdb")
    assert len(at.info) == 1
    assert "no subjects" in at.info[0].value and "caseguard demo" in at.info[0].value
    assert {m.label: m.value for m in at.metric}["Subjects"] == "0"


def test_missing_database_is_an_error_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "missing.duckdb"
    at = run_app(monkeypatch, missing)
    assert len(at.error) == 1
    assert "no database" in at.error[0].value and "caseguard init" in at.error[0].value
    assert not at.metric and not at.dataframe
    assert not missing.exists()
