"""The app's kept-open connection: reused by every operation, given up when the CLI asks.

The app (``Database(keep_open=True)``) opens the file once and lends a cursor per
operation; a ``caseguard`` process that finds the file held asks for it and gets it
within a bounded wait, even while the app's users keep saving; afterwards the app
carries on, and nothing saved on either side is lost.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.processes import CLI, child_env, finish, spawn
from tests.warehouse_fixtures import coordinator, make_case, make_db, site_user
from warehouse.store import held
from warehouse.store.audit import verify
from warehouse.store.cases import list_subjects, load_case, save_case
from warehouse.store.db import Database

CLI_TIMEOUT = 120


def _app(tmp_path: Path) -> Database:
    setup = make_db(tmp_path / "warehouse.duckdb", tmp_path / "keys")
    return Database(setup.path, key_dir=setup.keys.directory, busy_timeout=30, keep_open=True)


def test_operations_share_one_connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = _app(tmp_path)
    opened: list[bool] = []
    real_open = Database._open

    def counting(self: Database, read_only: bool):
        opened.append(read_only)
        return real_open(self, read_only)

    monkeypatch.setattr(Database, "_open", counting)
    held.release(db.path)
    for i in range(5):
        save_case(site_user(db), make_case(db, "MSK", f"HELD-{i}"))
    listed = list_subjects(coordinator(db))
    assert len(listed) == 5
    assert load_case(coordinator(db), str(listed["subject_id"].iloc[0])).narratives
    assert opened == [False], "each operation opened the file again"
    held.release(db.path)


def test_an_idle_app_lets_go_of_the_file(tmp_path: Path) -> None:
    db = _app(tmp_path)
    save_case(site_user(db), make_case(db, "MSK", "IDLE-1"))
    deadline = time.monotonic() + held.IDLE_CLOSE_S + 5
    while held.held(db.path)._conn is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert held.held(db.path)._conn is None, "an idle app kept the file open"


@pytest.mark.slow
def test_the_cli_gets_the_file_while_the_app_is_busy(tmp_path: Path) -> None:
    """``caseguard export`` and ``caseguard backup`` finish against an app whose users
    save without pause; every save of the users is stored and the audit log verifies."""
    db = _app(tmp_path)
    for i in range(10):
        save_case(site_user(db), make_case(db, "MSK", f"PRE-{i:03d}"))
    stop = threading.Event()
    saved: list[str] = []
    errors: list[str] = []

    def user(number: int) -> None:
        i = 0
        while not stop.is_set():
            try:
                case = make_case(db, "MSK", f"LOAD-{number}-{i:04d}")
                save_case(site_user(db), case)
                saved.append(str(case.subject["subject_id"]))
            except Exception as exc:  # noqa: BLE001 - asserted on below
                errors.append(f"{type(exc).__name__}: {exc}")
            i += 1

    users = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(4)]
    for thread in users:
        thread.start()
    env = child_env(CASEGUARD_KEY_DIR=str(db.keys.directory))
    try:
        time.sleep(1.0)  # the app holds the file and is saving
        assert held.held(db.path)._conn is not None
        before = len(saved)
        started = time.monotonic()
        out = tmp_path / "out"
        export = spawn(CLI, "export", "--db", db.path, "--out", out, "--k", "1", env=env)
        code, _, err = finish(export, "caseguard export", CLI_TIMEOUT)
        assert code == 0, err[-2000:]
        backup = spawn(CLI, "backup", "--db", db.path, "--out", tmp_path / "b.zip", env=env)
        code, _, err = finish(backup, "caseguard backup", CLI_TIMEOUT)
        assert code == 0, err[-2000:]
        took = time.monotonic() - started
        time.sleep(1.0 + held.REQUEST_FRESH_S)  # the app takes the file back and saves on
        after = len(saved)
        time.sleep(1.0)
    finally:
        stop.set()
        for thread in users:
            thread.join(timeout=60)
    assert errors == [], errors[:3]
    assert len(saved) > after > before, "the app did not carry on saving after the CLI"
    assert took < CLI_TIMEOUT
    assert (tmp_path / "b.zip").exists() and any((tmp_path / "out").iterdir())
    stored = set(list_subjects(coordinator(db))["subject_id"])
    assert set(saved) <= stored
    verify(db)
    held.release(db.path)


def test_a_restore_in_the_app_process_is_what_the_app_reads_next(tmp_path: Path) -> None:
    from warehouse.store.backup import backup, restore

    db = _app(tmp_path)
    save_case(site_user(db), make_case(db, "MSK", "KEPT-1"))
    backup(db, tmp_path / "before.zip")
    save_case(site_user(db), make_case(db, "MSK", "AFTER-1"))
    assert len(list_subjects(coordinator(db))) == 2
    restore(tmp_path / "before.zip", db, force=True)
    assert len(list_subjects(coordinator(db))) == 1, "the app still read the replaced file"
    verify(db)
    held.release(db.path)
