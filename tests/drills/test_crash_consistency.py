"""Crash consistency: ``kill -9`` in the middle of a large import and of case saves.

A child process runs the real work - ``caseguard bundle import`` of a large site
bundle, or a loop of ``save_case`` calls like the app's - and the parent sends it
SIGKILL at a random moment (seeded, so a failing point can be replayed; every other
import kill is aimed just after the import's commit begins). After each
kill the database must open (the write-ahead log replays), ``caseguard audit verify``
must pass, and every subject must be either wholly there, exactly as it was meant to
be saved, or wholly absent. Then the same work is run again and must complete it:
the import leaves every row exactly once, the saves carry on where they stopped.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from anonymise.keys import KeyStore
from schemas import CLINICAL_TABLES, TABLES, Case
from tests.drills.report import report
from tests.drills.scale import size
from tests.processes import CLI, run_cli, spawn
from tests.warehouse_fixtures import clone_db, make_case, make_db, site_user
from warehouse.exchange.bundles import export_bundle, import_bundle
from warehouse.store.access import system_session
from warehouse.store.audit import verify
from warehouse.store.cases import load_case, save_case, save_cases, subject_exists
from warehouse.store.db import Database

pytestmark = pytest.mark.drill

SEED = int(os.environ.get("CASEGUARD_CRASH_SEED", "20261122"))
IMPORT_POINTS = size(2, 12)
SAVE_POINTS = size(2, 12)
BUNDLE_SUBJECTS = size(300, 1500)  # 9 rows each: an import of several seconds
SAVE_WINDOW = (0.05, 2.5)  # seconds of saving before the kill
SAVE_COUNT = 5000  # more than any window can save: the loop is always cut off
TIMEOUT = 180

SAVER = """
import sys
from pathlib import Path
from tests.warehouse_fixtures import make_case, site_user
from warehouse.store.cases import save_case, subject_exists
from warehouse.store.db import Database

db_path, key_dir, prefix, count, ready = sys.argv[1:6]
db = Database(db_path, key_dir=key_dir, busy_timeout=30)
session = site_user(db, "MSK")
Path(ready).write_text("ready")
for i in range(int(count)):
    case = make_case(db, "MSK", f"{prefix}-{i:05d}")
    if not subject_exists(session, case.subject["subject_id"]):  # carry on after a crash
        save_case(session, case)
"""


@dataclass
class Tally:
    """What the drill did, for the report."""

    killed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    survived: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    import_committed_before_kill: int = 0
    import_reruns_completed: int = 0
    anchor_behind_after_kill: int = 0
    wal_left_by_kill: int = 0
    finished_before_kill: int = 0
    import_seconds: float = 0.0  # how long an uninterrupted import runs here, lately
    cases_saved_before_kill: list[int] = field(default_factory=list)


@pytest.fixture(scope="module")
def tally() -> Iterator[Tally]:
    """One tally for the module, reported once at the end."""
    found = Tally()
    yield found
    killed, survived = sum(found.killed.values()), sum(found.survived.values())
    report(
        "Crash consistency (kill -9)",
        {
            "seed": SEED,
            "points killed (import / save)": (
                f"{killed} ({found.killed['import']} / {found.killed['save']})"
            ),
            "points survived": f"{survived} of {killed}",
            "imports already committed when killed": found.import_committed_before_kill,
            "import re-runs completed": found.import_reruns_completed,
            "kills that left a write-ahead log to replay": found.wal_left_by_kill,
            "kills that left the audit anchor behind the log": found.anchor_behind_after_kill,
            "imports that finished before their kill (redrawn)": found.finished_before_kill,
            "uninterrupted import seconds": f"{found.import_seconds:.1f}",
            "cases saved before each save kill": ", ".join(map(str, found.cases_saved_before_kill)),
            "bundle size": f"{BUNDLE_SUBJECTS} subjects, {BUNDLE_SUBJECTS * 9} rows",
        },
        notes=(
            "Each point: a child process (`caseguard bundle import`, or a loop of "
            "`save_case`) is sent SIGKILL at a seeded random moment (every other import "
            "kill comes 0-0.3 s after its write-ahead log appears, i.e. in the commit, the "
            "checkpoint on close or the anchor write); then the database must open, "
            "`caseguard audit verify` must pass, every subject must be whole or absent, "
            "and re-running the same work must complete it."
        ),
    )


def _cli(*args: object) -> tuple[int, str, str]:
    return run_cli(*args, timeout=TIMEOUT)


def _kill_after(proc: subprocess.Popen[str], delay: float) -> float | None:
    """SIGKILL the child (by pid) ``delay`` seconds from now (it was just started);
    None if it was killed, else how long it ran (it finished first)."""
    started = time.monotonic()
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=TIMEOUT)
    if proc.returncode == -signal.SIGKILL:
        return None
    return time.monotonic() - started


# --- what is stored ----------------------------------------------------------------


def stored_by_subject(db: Database) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    """Every clinical row, grouped by subject and table (rows whose subject is missing
    are grouped under their subject_id too, so a partial case shows up)."""
    found: dict[str, dict[str, list[tuple[Any, ...]]]] = defaultdict(lambda: defaultdict(list))
    with db.connect(read_only=True) as conn:
        for table in CLINICAL_TABLES:
            columns = ", ".join(f"t.{c}" for c in TABLES[table].columns)
            sql = (
                f"SELECT a.subject_id, {columns} FROM ae_causality t "
                "LEFT JOIN adverse_events a USING (ae_id)"
                if table == "ae_causality"
                else f"SELECT t.subject_id, {columns} FROM {table} t"
            )
            for sid, *row in conn.execute(sql).fetchall():
                found[str(sid)][table].append(tuple(row))
    return {
        sid: {t: sorted(rows, key=repr) for t, rows in tables.items()}
        for sid, tables in found.items()
    }


def count(db: Database, sql: str, params: list[Any] | None = None) -> int:
    with db.connect(read_only=True) as conn:
        return int(conn.execute(sql, params or []).fetchall()[0][0])


def check_after_kill(db: Database, tally: Tally) -> None:
    """The database opens, the CLI verifies the chain; note an anchor left behind."""
    tally.wal_left_by_kill += Path(f"{db.path}.wal").exists()  # replayed by the next open
    code, out, err = _cli("audit", "verify", "--db", db.path)
    assert code == 0, f"audit verify failed after a kill: {out}{err}"
    assert "Traceback" not in err and "WAL" not in err.upper(), err
    entries = count(db, "SELECT count(*) FROM audit_log")
    assert f"{entries} entries verified" in out, out
    if f"anchored at entry {entries}" not in out:
        tally.anchor_behind_after_kill += 1


# --- shared databases --------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    """An empty target database and a large bundle of site MSK for it."""

    empty: Database
    bundle: Path
    expected: dict[str, dict[str, list[tuple[Any, ...]]]]
    expected_audit: int
    import_seconds: float


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    """The target is a clone of the source before its cases (MSK enrolled there with its
    public key, so the bundle's signature verifies);
    the reference import, uninterrupted, gives the expected rows and its duration."""
    root = tmp_path_factory.mktemp("crash")
    source = make_db(root / "source" / "x.duckdb", root / "source" / "keys", sites=("MSK",))
    empty = clone_db(source, root / "empty")
    cases = [make_case(source, "MSK", f"BULK-{i:05d}") for i in range(BUNDLE_SUBJECTS)]
    save_cases(site_user(source), cases)
    bundle = root / "msk-bundle.zip"
    export_bundle(system_session(source, "drill"), "MSK", bundle)
    reference = clone_db(empty, root / "reference")
    started = time.monotonic()
    code, out, err = _cli("bundle", "import", "--db", reference.path, bundle)
    seconds = time.monotonic() - started
    assert code == 0 and "rows added" in out, out + err
    expected = stored_by_subject(reference)
    assert len(expected) == BUNDLE_SUBJECTS
    audit = count(reference, "SELECT count(*) FROM audit_log")
    return Setup(empty, bundle, expected, audit, seconds)


# --- kill -9 during a large import -------------------------------------------------


def _wait_for_wal(db: Database, proc: subprocess.Popen[str], limit: float) -> None:
    deadline = time.monotonic() + limit
    wal = Path(f"{db.path}.wal")
    while not wal.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)


def import_point(
    setup: Setup, rng: random.Random, directory: Path, tally: Tally, at_commit: bool
) -> None:
    for attempt in range(5):
        db = clone_db(setup.empty, directory / str(attempt))
        proc = spawn(CLI, "bundle", "import", "--db", db.path, setup.bundle)
        if at_commit:  # the write-ahead log appears when the import commits
            _wait_for_wal(db, proc, 3 * tally.import_seconds + 30)
            delay = rng.uniform(0.0, 0.3)  # in the commit, the checkpoint or the anchor write
        else:
            delay = rng.uniform(0.2, 1.0) * tally.import_seconds  # anywhere in the run
        ran = _kill_after(proc, delay)
        if ran is None:
            break
        assert proc.returncode == 0, "the import failed on its own"
        tally.finished_before_kill += 1
        if not at_commit:  # faster than expected (the machine got quieter):
            tally.import_seconds = ran  # aim within this run's length next time
    else:
        pytest.fail("the import always finished before the kill; make the bundle bigger")
    tally.killed["import"] += 1

    check_after_kill(db, tally)
    stored = stored_by_subject(db)
    for sid, tables in stored.items():
        assert tables == setup.expected.get(sid), "a subject is stored partially or altered"
    assert len(stored) in (0, BUNDLE_SUBJECTS), f"{len(stored)} subjects: half an import"
    marks = count(db, "SELECT count(*) FROM audit_log WHERE action = 'import_bundle'")
    assert marks == (1 if stored else 0), "the import's audit entry does not match its rows"
    tally.import_committed_before_kill += bool(stored)

    again = import_bundle(system_session(db, "bundle-import"), setup.bundle)  # as the CLI does
    assert again.already_imported == bool(stored)
    assert stored_by_subject(db) == setup.expected, "the re-run did not complete the import"
    assert verify(db).entries == setup.expected_audit  # the chain holds every entry once
    tally.import_reruns_completed += 1
    tally.survived["import"] += 1


def test_import_killed_at_random_points_is_whole_or_absent_and_rerun_completes(
    setup: Setup, tally: Tally, tmp_path: Path
) -> None:
    rng = random.Random(f"{SEED}-import")
    tally.import_seconds = setup.import_seconds
    failures = []
    for point in range(IMPORT_POINTS):
        try:
            import_point(setup, rng, tmp_path / f"import-{point}", tally, point % 2 == 1)
        except AssertionError as exc:
            failures.append(f"import point {point}: {exc}")
    assert not failures, "\n".join(failures)


# --- kill -9 during a loop of case saves -------------------------------------------


def _wait_ready(path: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            _, err = proc.communicate(timeout=TIMEOUT)
            pytest.fail(f"the saver never started\n{err[-2000:]}")
        time.sleep(0.02)


def intended_cases(db: Database, prefix: str, n: int) -> dict[str, Case]:
    """The first ``n`` cases the saver means to store, by subject id, in its order."""
    cases = (make_case(db, "MSK", f"{prefix}-{i:05d}") for i in range(n))
    return {str(case.subject["subject_id"]): case for case in cases}


def check_saved_prefix(db: Database, prefix: str) -> int:
    """Subjects present are exactly the loop's first k, each whole as meant; return k."""
    stored = stored_by_subject(db)
    k = len(stored)
    wanted = intended_cases(db, prefix, k)
    assert set(stored) == set(wanted), "the saved subjects are not the loop's first ones"
    for sid, case in wanted.items():
        loaded = load_case(site_user(db), sid)
        for table in CLINICAL_TABLES:
            assert loaded.rows(table) == case.rows(table), f"{table} of a subject differs"
    return k


def save_point(empty: Database, rng: random.Random, directory: Path, tally: Tally) -> None:
    db = clone_db(empty, directory)
    before = count(db, "SELECT count(*) FROM audit_log")
    ready = directory / "saver.ready"
    args = [SAVER, db.path, str(db.keys.directory), "CRASH", str(SAVE_COUNT), str(ready)]
    proc = spawn(*args)
    _wait_ready(ready, proc)
    ran = _kill_after(proc, rng.uniform(*SAVE_WINDOW))  # the random moment
    assert ran is None, "the saver stopped before the kill"
    tally.killed["save"] += 1

    check_after_kill(db, tally)
    k = check_saved_prefix(db, "CRASH")
    assert count(db, "SELECT count(*) FROM audit_log") == before + 9 * k, "audit and rows differ"
    tally.cases_saved_before_kill.append(k)

    # carry on the way the saver does, one case past the kill: the cut-off case is saved now
    session = site_user(db)
    for case in intended_cases(db, "CRASH", k + 1).values():
        if not subject_exists(session, str(case.subject["subject_id"])):
            save_case(session, case)
    assert check_saved_prefix(db, "CRASH") == k + 1
    assert verify(db).entries == before + 9 * (k + 1)
    tally.survived["save"] += 1


def test_saves_killed_at_random_points_leave_whole_cases(
    setup: Setup, tally: Tally, tmp_path: Path
) -> None:
    rng = random.Random(f"{SEED}-save")
    failures = []
    for point in range(SAVE_POINTS):
        try:
            save_point(setup.empty, rng, tmp_path / f"save-{point}", tally)
        except AssertionError as exc:
            failures.append(f"save point {point}: {exc}")
    assert not failures, "\n".join(failures)


# --- kill -9 while a key file is being written -------------------------------------

KEY_WRITER = """
import os, signal, sys
from anonymise.keys import KeyStore

store = KeyStore(sys.argv[1])

def die(*args, **kwargs):  # kill -9 right after the key file was opened, before its bytes
    os.kill(os.getpid(), signal.SIGKILL)

os.fdopen = die
store.audit_key(create=True) if sys.argv[2] == "audit" else store.create_site_key("MSK")
"""


def test_key_creation_killed_midway_leaves_no_broken_key(tmp_path: Path) -> None:
    """A key is whole or absent after a kill: the next run creates it, instead of
    finding an empty key file it may never replace (the audit log and the site's
    pseudonyms would be locked out for good)."""
    keys = {which: tmp_path / which / "keys" for which in ("audit", "site")}
    procs = [spawn(KEY_WRITER, path, which) for which, path in keys.items()]
    for proc in procs:
        proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == -signal.SIGKILL
    assert len(KeyStore(keys["audit"]).audit_key(create=True)) == 32
    store = KeyStore(keys["site"])
    store.create_site_key("MSK")  # refused if a (broken) key file had been left behind
    assert len(store.site_key("MSK")) == 32
