"""Backup and restore: ``caseguard backup`` while the app saves, ``caseguard restore``.

A second process stands in for the app and keeps saving cases while the operator's
``caseguard backup`` runs; the backup must be a consistent copy as of its audit head
(restored, it verifies and holds exactly the rows saved up to that entry), a backup
with one changed byte must be refused, a restore must not overwrite a database
without ``--force``, and restoring an older backup over a newer database must leave
a verifiable audit log that records the restore.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.drills.report import report
from tests.drills.scale import size
from tests.drills.test_crash_consistency import stored_by_subject
from tests.processes import run_cli, spawn
from tests.warehouse_fixtures import audit_rows, clone_db, make_case, make_db, site_user
from warehouse.store.audit import verify
from warehouse.store.backup import (
    DB_MEMBER,
    MANIFEST,
    BackupRejected,
    _write_archive,
    backup,
    read_manifest,
    restore,
)
from warehouse.store.cases import save_case, save_cases
from warehouse.store.db import Database

pytestmark = pytest.mark.drill

SEED = 20261123
FLIPS = size(6, 40)  # single-byte corruptions tried
OLD_CASES = size(3, 1000)  # saved before the drill: the database being backed up
TIMEOUT = 120

APP = """
import sys
from pathlib import Path
from tests.warehouse_fixtures import make_case, site_user
from warehouse.store.cases import save_case, save_cases
from warehouse.store.db import Database

db_path, key_dir, progress, stop = sys.argv[1:5]
db = Database(db_path, key_dir=key_dir, busy_timeout=60)
session = site_user(db, "MSK")
saved = 0
while not Path(stop).exists() and saved < 2000:
    save_case(session, make_case(db, "MSK", f"LIVE-{saved:05d}"))
    saved += 1
    Path(progress).write_text(str(saved))
"""


def caseguard(*args: object) -> tuple[int, str, str]:
    """Run the real ``caseguard`` command in its own process."""
    code, out, err = run_cli(*args, timeout=TIMEOUT)
    assert "Traceback" not in err, err[-3000:]
    return code, out, err


def refused(args: tuple[object, ...], *words: str) -> str:
    """The command exits 1 with one clear 'Error:' line holding ``words``."""
    code, out, err = caseguard(*args)
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 1 and lines[0].startswith("Error:"), out + err
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def verifies(db: Path) -> str:
    code, out, err = caseguard("audit", "verify", "--db", db)
    assert code == 0, out + err
    return out


def _progress(path: Path) -> int:
    try:
        return int(path.read_text() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def _wait_saved(path: Path, at_least: int, app: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 60
    while (saved := _progress(path)) < at_least:
        if app.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the app stand-in stopped saving: {app.communicate()[1][-2000:]}")
        time.sleep(0.02)
    return saved


def sha256_of(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def restored_dir(tmp_path: Path, source: Database, name: str) -> Path:
    """A new directory with a copy of the source's key store (kept apart from backups)."""
    target = tmp_path / name
    shutil.copytree(source.keys.directory, target / "keys")
    return target / "x.duckdb"


def count_tables(db: Database, names: list[str]) -> dict[str, int]:
    with db.connect(read_only=True) as conn:
        return {n: int(conn.execute(f'SELECT count(*) FROM "{n}"').fetchall()[0][0]) for n in names}


def rows(db: Database, table: str, order: str) -> list[tuple[Any, ...]]:
    with db.connect(read_only=True) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Database:
    """A database with site MSK and some cases (made once; each test gets a copy)."""
    root = tmp_path_factory.mktemp("backup-base")
    db = make_db(root / "x.duckdb", root / "keys", sites=("MSK",))
    save_cases(site_user(db), [make_case(db, "MSK", f"OLD-{i:04d}") for i in range(OLD_CASES)])
    return db


@pytest.fixture
def source(base: Database, tmp_path: Path) -> Database:
    """A private copy of the base database and its key store (the live database)."""
    return clone_db(base, tmp_path / "live")


# --- a backup taken while the app saves --------------------------------------------


def test_backup_while_the_app_saves_restores_the_state_at_its_audit_head(
    source: Database, tmp_path: Path
) -> None:
    progress, stop = tmp_path / "app.progress", tmp_path / "app.stop"
    app = spawn(APP, source.path, source.keys.directory, progress, stop)
    at_start = _wait_saved(progress, 2, app)
    out_file = tmp_path / "backups" / "live.zip"
    started = time.monotonic()
    code, out, err = caseguard("backup", "--db", source.path, "--out", out_file)
    backup_seconds = time.monotonic() - started
    assert code == 0 and "keys are not in the backup" in out, out + err
    at_end = _wait_saved(progress, _progress(progress) + 2, app)  # the app kept going after
    stop.write_text("stop")
    _, app_err = app.communicate(timeout=TIMEOUT)
    assert app.returncode == 0, app_err[-2000:]
    saved = _progress(progress)

    manifest = read_manifest(out_file)
    head = manifest["audit_head"]["seq"]
    in_backup = manifest["tables"]["subjects"] - OLD_CASES
    assert at_start <= in_backup < saved, "the backup did not overlap the app's saves"

    target = restored_dir(tmp_path, source, "restored")
    started = time.monotonic()
    code, out, err = caseguard("restore", "--from", out_file, "--db", target)
    restore_seconds = time.monotonic() - started
    assert code == 0 and "audit log OK" in out, out + err
    assert f"{head + 1} entries verified" in verifies(target)
    restored = Database(target)

    # the tables hold what the manifest says (plus the restore's own audit entry)
    counts = count_tables(restored, list(manifest["tables"]))
    assert counts == {**manifest["tables"], "audit_log": head + 1}
    # ... and equal the source as it was at the backup's audit head
    log = audit_rows(restored)
    assert log[:head] == audit_rows(source)[:head]
    assert (
        log[-1]["action"] == "restore" and json.loads(log[-1]["after"])["backup_head_seq"] == head
    )
    at_head = {
        e["row_key"]
        for e in audit_rows(source)[:head]
        if e["action"] == "insert" and e["table_name"] == "subjects"
    }
    mine, theirs = stored_by_subject(restored), stored_by_subject(source)
    assert set(mine) == at_head
    assert mine == {sid: theirs[sid] for sid in at_head}
    for table, order in (("sites", "site_code"), ("users", "username"), ("products", "1")):
        assert rows(restored, table, order) == rows(source, table, order)

    report(
        "Backup and restore",
        {
            "cases saved by the app stand-in during the drill": saved - at_start,
            "cases in the backup / saved by the end": f"{in_backup} / {saved}",
            "saves after the backup began (app never stopped)": at_end - in_backup,
            "backup seconds (CLI, while saving)": f"{backup_seconds:.2f}",
            "restore seconds (CLI)": f"{restore_seconds:.2f}",
            "database / backup bytes": (
                f"{Path(source.path).stat().st_size} / {out_file.stat().st_size}"
            ),
            "subjects in the database before the drill": OLD_CASES,
            "single-byte corruptions tried (test_one_changed_byte_is_refused)": FLIPS,
        },
        notes=(
            "The backup holds a write transaction (file lock and the process's write lock), "
            "runs CHECKPOINT and copies the database file; the app's writers wait and retry "
            "meanwhile. The restored copy's audit log equals the source's up to the "
            "manifest's head, and its rows are exactly those saved up to that entry."
        ),
    )


# --- refusals ----------------------------------------------------------------------


@pytest.fixture
def backup_file(source: Database, tmp_path: Path) -> Path:
    return backup(source, tmp_path / "backups" / "b.zip").path


def test_backup_holds_no_keys(source: Database, backup_file: Path) -> None:
    with zipfile.ZipFile(backup_file) as archive:
        assert set(archive.namelist()) == {MANIFEST, DB_MEMBER}
        members = archive.read(MANIFEST) + archive.read(DB_MEMBER)
    keys = list(source.keys.directory.glob("*.key"))
    assert len(keys) == 2  # audit and MSK
    for key in keys:
        secret = key.read_text().strip()
        assert secret.encode() not in members and bytes.fromhex(secret) not in members
    manifest = read_manifest(backup_file)
    assert manifest["keys"]["included"] is False and manifest["keys"]["site_keys"] == ["MSK"]


def test_one_changed_byte_is_refused(source: Database, backup_file: Path, tmp_path: Path) -> None:
    data = backup_file.read_bytes()
    rng = random.Random(SEED)
    target = Database(tmp_path / "restored" / "x.duckdb", key_dir=source.keys.directory)
    damaged = tmp_path / "damaged.zip"
    ends = [0, len(data) // 2, len(data) - 1]  # first byte, inside the database, checksum
    for n, position in enumerate(ends + [rng.randrange(len(data)) for _ in range(FLIPS - 3)]):
        changed = bytearray(data)
        changed[position] ^= 1 << rng.randrange(8)
        damaged.write_bytes(bytes(changed))
        if n == 0:  # what the operator sees
            refused(("restore", "--from", damaged, "--db", target.path), "Backup rejected")
        with pytest.raises(BackupRejected, match="damaged or was altered"):
            restore(damaged, target)
        assert not Path(target.path).parent.exists() or not any(Path(target.path).parent.iterdir())


def test_altered_member_with_a_fresh_checksum_is_refused(
    source: Database, backup_file: Path, tmp_path: Path
) -> None:
    """Someone who rewrites the zip and its checksum still cannot slip in another file."""
    with zipfile.ZipFile(backup_file) as archive:
        manifest = json.loads(archive.read(MANIFEST))
    forged = tmp_path / "forged.zip"
    save_case(site_user(source), make_case(source, "MSK", "EXTRA-000"))
    _write_archive(forged, Path(source.path), manifest)  # today's file, the old manifest
    target = Database(tmp_path / "restored" / "x.duckdb", key_dir=source.keys.directory)
    with pytest.raises(BackupRejected, match="does not match its manifest hash"):
        restore(forged, target)
    assert not Path(target.path).exists()


def test_restore_does_not_overwrite_without_force(source: Database, backup_file: Path) -> None:
    before = sha256_of(Path(source.path))
    refused(("restore", "--from", backup_file, "--db", source.path), "already exists", "--force")
    assert sha256_of(Path(source.path)) == before
    assert [p.name for p in Path(source.path).parent.iterdir() if p.name.startswith(".")] == []


def test_restore_needs_the_backups_key_store(backup_file: Path, tmp_path: Path) -> None:
    other = make_db(tmp_path / "other" / "x.duckdb", tmp_path / "other" / "keys", sites=())
    target = Database(tmp_path / "other" / "restored.duckdb", key_dir=other.keys.directory)
    with pytest.raises(BackupRejected, match="does not hold the audit key"):
        restore(backup_file, target)
    assert not Path(target.path).exists()


def test_older_backup_restored_over_newer_database(source: Database, backup_file: Path) -> None:
    head = read_manifest(backup_file)["audit_head"]["seq"]
    kept = set(stored_by_subject(source))
    for i in range(2):
        save_case(site_user(source), make_case(source, "MSK", f"NEW-{i:03d}"))
    code, out, err = caseguard("restore", "--from", backup_file, "--db", source.path, "--force")
    assert code == 0 and out.startswith("replaced"), out + err
    checked = verify(source)  # what `caseguard audit verify` runs
    assert (checked.entries, checked.anchored_seq) == (head + 1, head + 1)
    assert set(stored_by_subject(source)) == kept  # the later cases are gone, as they were
    last = audit_rows(source)[-1]
    assert (last["seq"], last["action"], last["username"]) == (
        head + 1,
        "restore",
        "system:restore",
    )
    assert json.loads(last["after"])["backup_sha256"] == sha256_of(backup_file)
    # the restored database carries on: a new save extends the chain and verifies
    save_case(site_user(source), make_case(source, "MSK", "AFTER-000"))
    assert verify(source).entries == head + 1 + 9


def test_restore_replaces_a_database_duckdb_cannot_open(
    source: Database, backup_file: Path
) -> None:
    """The disaster case: the file is wrecked and a stale log lies beside it."""
    head = read_manifest(backup_file)["audit_head"]["seq"]
    kept = stored_by_subject(source)
    Path(source.path).write_bytes(b"not a database" * 1000)
    Path(f"{source.path}.wal").write_bytes(b"stale log of the wrecked file")
    summary = restore(backup_file, source, force=True)
    assert summary.replaced and summary.entries == head + 1
    assert not Path(f"{source.path}.wal").exists()
    assert stored_by_subject(source) == kept
    assert verify(source).entries == head + 1
