"""The app shell and the overview page, run headless with Streamlit's AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app_helpers import signed_in, start_app
from tests.warehouse_fixtures import make_demo
from warehouse.store.access import system_session
from warehouse.store.admin import add_site, add_user
from warehouse.store.db import Database
from warehouse.store.migrations import migrate

SUBJECTS = 25
SITES = ["BRN", "MSK", "MYT", "NNV", "PRM"]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("app-demo")
    return Path(make_demo(root, subjects=SUBJECTS, seed=11).path)


def _count(cell: object) -> int:
    """A count as the table shows it, formatted for the reader ("1,333", "1 333")."""
    return int("".join(ch for ch in str(cell) if ch.isdigit()))


@pytest.mark.parametrize("username", ["monitor", "coordinator", "admin"])
def test_overview_shows_demo_counts_per_site(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path, username: str
) -> None:
    at = signed_in(monkeypatch, demo_db, username)
    assert "overview" in at.title[0].value.lower()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Subjects"] == str(SUBJECTS)
    assert int(metrics["Treatments"]) > SUBJECTS
    assert int(metrics["Serious AEs"]) <= int(metrics["Adverse events"])
    table = at.table[0].value
    assert table.index.tolist() == SITES
    assert sum(_count(v) for v in table["Subjects"]) == SUBJECTS
    assert not at.info and not at.error


def test_site_user_sees_only_their_own_centre(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = signed_in(monkeypatch, demo_db, "msk_neuro")
    table = at.table[0].value
    assert table.index.tolist() == ["MSK"]
    subjects = sum(_count(v) for v in table["Subjects"])
    assert {m.label: m.value for m in at.metric}["Subjects"] == str(subjects)


def test_overview_in_russian_by_default(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    at = signed_in(monkeypatch, demo_db, "monitor", lang="ru")
    assert at.title[0].value == "Обзор объединённого регистра"
    assert {m.label for m in at.metric} >= {"Пациенты", "Серьёзные НЯ"}


def test_empty_warehouse_invites_demo_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    db = Database(tmp_path / "empty.duckdb", key_dir=tmp_path / "keys")
    migrate(db)
    session = system_session(db, "test")
    add_site(session, "MSK", "Moscow centre", "Moscow")
    add_user(session, "monitor", "caseguard-demo", "monitor", None)
    at = signed_in(monkeypatch, tmp_path / "empty.duckdb", "monitor")
    assert len(at.info) == 1
    assert "no subjects" in at.info[0].value and "caseguard demo" in at.info[0].value
    assert {m.label: m.value for m in at.metric}["Subjects"] == "0"


def test_missing_database_is_an_error_message_at_login(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "missing.duckdb"
    at = start_app(monkeypatch, missing)
    at.text_input(key="login_username").input("monitor")
    at.text_input(key="login_password").input("caseguard-demo")
    at.button[0].click().run()
    assert not at.exception
    assert len(at.error) == 1
    assert "no database" in at.error[0].value and "caseguard init" in at.error[0].value
    assert not at.metric and not at.table
    assert not missing.exists()


def test_unexpected_error_is_one_calm_message_without_its_text(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import warehouse.safety.overview

    def broken(*_args: object) -> None:
        raise RuntimeError("Иванов Пётр 12345")  # an exception quoting user input

    at = signed_in(monkeypatch, demo_db, "monitor")
    monkeypatch.setattr(warehouse.safety.overview, "site_overview", broken)
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Something went wrong and nothing was saved. The event was logged without any "
        "patient data; please try again or tell the coordinator."
    ]
    assert "Иванов" not in caplog.text and "RuntimeError" in caplog.text
