"""Two OS processes sharing one database file (the app and the CLI, say).

caseguard opens a short-lived connection per operation and retries while another
process holds the file, so a writer saving cases one by one and a reader listing and
loading them at the same time must both finish cleanly, with every case stored, a
verifiable audit log, and no reader ever seeing half a case.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.processes import finish, spawn
from tests.warehouse_fixtures import audit_rows, coordinator, make_case, make_db, table_counts
from warehouse.store.audit import verify
from warehouse.store.cases import list_subjects, load_case
from warehouse.store.db import Database

pytestmark = pytest.mark.slow

CASES = 15
CASE_ROWS = 9  # rows (and so audit entries) per case from make_case
PROCESS_TIMEOUT = 90

WRITER = """
import json, sys, time
from pathlib import Path
from tests.warehouse_fixtures import make_case, site_user
from warehouse.store.cases import save_case
from warehouse.store.db import Database

db_path, key_dir, site, prefix, count, done = sys.argv[1:7]
db = Database(db_path, key_dir=key_dir, busy_timeout=30)
started = time.monotonic()
for i in range(int(count)):
    # each save opens its own connection and closes it before returning
    save_case(site_user(db, site), make_case(db, site, f"{prefix}-{i:03d}"))
Path(done).write_text("done")
print(json.dumps({"saved": int(count), "seconds": time.monotonic() - started}))
"""

READER = """
import json, sys, time
from pathlib import Path
from tests.warehouse_fixtures import coordinator
from warehouse.store.cases import list_subjects, load_case
from warehouse.store.db import Database

db_path, key_dir, ready = sys.argv[1:4]
dones = [Path(p) for p in sys.argv[4:]]
db = Database(db_path, key_dir=key_dir, busy_timeout=30)
session = coordinator(db)
snapshots, loads = [], 0
Path(ready).write_text("ready")
deadline = time.monotonic() + 80
while time.monotonic() < deadline:
    finished = all(p.exists() for p in dones)
    listed = list_subjects(session)
    for sid in list(listed["subject_id"])[:2]:
        case = load_case(session, sid)
        assert case.subject["subject_id"] == sid and len(case.narratives) == 1, sid
        loads += 1
    with db.connect(read_only=True) as conn:
        snap = conn.execute(
            "SELECT (SELECT count(*) FROM subjects), (SELECT count(*) FROM narratives),"
            " (SELECT count(*) FROM audit_log WHERE table_name = 'subjects')").fetchall()[0]
    snapshots.append([len(listed), *snap])
    if finished:
        break
print(json.dumps({"snapshots": snapshots, "loads": loads}))
"""


def _finish(proc: subprocess.Popen[str], name: str) -> dict[str, Any]:
    code, out, err = finish(proc, name, PROCESS_TIMEOUT)
    assert code == 0, f"{name} exited {proc.returncode}\n{err[-3000:]}"
    for sign in ("Could not set lock", "Conflicting lock", "DatabaseBusy", "Traceback"):
        assert sign not in err, f"{name}: {err[-3000:]}"
    return dict(json.loads(out.strip().splitlines()[-1]))


def _wait_for(path: Path, proc: subprocess.Popen[str], limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            _finish(proc, "reader")  # reports its error output
            pytest.fail("the reader never started")
        time.sleep(0.05)


@pytest.fixture
def shared_db(tmp_path: Path) -> Database:
    return make_db(tmp_path / "shared.duckdb", tmp_path / "keys")


def _check_snapshots(snapshots: list[list[int]]) -> None:
    listed = [s[0] for s in snapshots]
    assert listed == sorted(listed), "a later read saw fewer subjects"
    for n_listed, subjects, narratives, audited in snapshots:
        assert subjects == narratives == audited, "a reader saw a half-saved case"
        assert n_listed <= subjects


def test_writer_and_reader_processes_share_one_file(shared_db: Database, tmp_path: Path) -> None:
    before = len(audit_rows(shared_db))
    ready, done = tmp_path / "reader.ready", tmp_path / "writer.done"
    reader = spawn(READER, shared_db.path, shared_db.keys.directory, ready, done)
    _wait_for(ready, reader)
    writer = spawn(WRITER, shared_db.path, shared_db.keys.directory, "MSK", "PROC", CASES, done)
    wrote = _finish(writer, "writer")
    read = _finish(reader, "reader")

    assert wrote["saved"] == CASES
    snapshots = read["snapshots"]
    assert len(snapshots) >= 2 and read["loads"] >= 1
    assert snapshots[-1][1] == CASES  # the last read came after the writer finished
    assert any(0 < snap[1] < CASES for snap in snapshots), "the reads never overlapped the writes"
    _check_snapshots(snapshots)

    expected = {
        make_case(shared_db, "MSK", f"PROC-{i:03d}").subject["subject_id"] for i in range(CASES)
    }
    assert set(list_subjects(coordinator(shared_db))["subject_id"]) == expected
    for sid in sorted(expected)[:3]:
        assert len(load_case(coordinator(shared_db), sid).treatments) == 2
    assert table_counts(shared_db)["narratives"] == CASES
    assert verify(shared_db).entries == before + CASES * CASE_ROWS


def test_two_writer_processes_keep_one_audit_chain(shared_db: Database, tmp_path: Path) -> None:
    """Two sites saving at once: no lost case, no duplicate seq, the chain verifies."""
    before = len(audit_rows(shared_db))
    n = 6
    ready = tmp_path / "reader.ready"
    done_msk, done_prm = tmp_path / "msk.done", tmp_path / "prm.done"
    reader = spawn(READER, shared_db.path, shared_db.keys.directory, ready, done_msk, done_prm)
    _wait_for(ready, reader)
    msk = spawn(WRITER, shared_db.path, shared_db.keys.directory, "MSK", "TWO-MSK", n, done_msk)
    prm = spawn(WRITER, shared_db.path, shared_db.keys.directory, "PRM", "TWO-PRM", n, done_prm)
    assert _finish(msk, "MSK writer")["saved"] == n
    assert _finish(prm, "PRM writer")["saved"] == n
    _check_snapshots(_finish(reader, "reader")["snapshots"])

    listed = list_subjects(coordinator(shared_db))
    assert listed["site_code"].value_counts().to_dict() == {"MSK": n, "PRM": n}
    entries = audit_rows(shared_db)
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert verify(shared_db).entries == before + 2 * n * CASE_ROWS
