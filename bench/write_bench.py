"""Benchmark writes (issue 21): saves, 20 users at once, bundle import, the first
dashboard view after a save, and the pooled export, each beside the figure measured
before the work on writes (the issue's table), as new/old.

Run with ``python bench/write_bench.py`` (``--base 5000 --copies 20`` builds the
100k-subject warehouse: a validated demo copied by SQL with new pseudonyms, as
``bench/export_bench.py`` does). Databases are opened as the app opens them
(``keep_open``). Figures go to docs/BENCHMARKS.md with machine, load and date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import report  # noqa: E402  (bench/report.py, beside this script)
from export_bench import machine, multiply  # noqa: E402
from safety_bench import dashboard_page  # noqa: E402

from anonymise import warm_up  # noqa: E402
from warehouse.demo.build import build_case, create_demo  # noqa: E402
from warehouse.exchange.bundles import export_bundle, import_bundle  # noqa: E402
from warehouse.export.release import ExportOptions, export_pooled  # noqa: E402
from warehouse.review.checks_behind import checks_behind, wait_until_checked  # noqa: E402
from warehouse.safety import cache as safety_cache  # noqa: E402
from warehouse.store.access import Session, system_session  # noqa: E402
from warehouse.store.cases import save_case  # noqa: E402
from warehouse.store.db import Database  # noqa: E402
from warehouse.store.held import served_turns  # noqa: E402
from warehouse.store.migrations import migrate  # noqa: E402
from warehouse.store.site_keys import public_pem, register_site  # noqa: E402

SECTION = "## Writes (bench/write_bench.py)"
# The "now" column (measured on this machine before the work on writes).
SAVE_BEFORE_MS = (253, 315)  # p50, p95
USERS_BEFORE = (5.4, 3500, 4700)  # saves/s, p50 ms, p95 ms
BUNDLE_BEFORE_S = 152.0
DASHBOARD_BEFORE_S = 4.6
EXPORT_BEFORE_S = 8.3
CLICK_NAMES = {
    "case": "a new case (the wizard's last check and the save)",
    "visit": "a visit (a score and a lab)",
    "ae": "an adverse event (verbatim scrubbed, then saved)",
}


def timed(func: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """The result of ``func`` and the seconds it took."""
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - start


def load() -> str:
    """The 1-minute load average now."""
    return f"{os.getloadavg()[0]:.1f}"


def saves(db: Database, count: int, seed: int) -> tuple[float, float, float]:
    """p50 and p95 (ms) of ``count`` new-case saves by a site user of MSK, and the
    median CPU time of this process per save (ms: what a save costs when it has a
    core to itself, whatever the machine's load)."""
    session = Session(db, "msk_neuro", "site_user", "MSK")
    rng = random.Random(seed)
    key = db.keys.site_key("MSK")
    took, cpu = [], []
    for i in range(count + 2):
        case = build_case(rng, "MSK", key, 990_000 + seed * 1000 + i, "msk_neuro")
        started = time.process_time()
        _, seconds = timed(save_case, session, case)
        cpu.append((time.process_time() - started) * 1000)
        took.append(seconds * 1000)
    took, cpu = sorted(took[2:]), sorted(cpu[2:])  # the first two warm the process
    return took[len(took) // 2], took[int(0.95 * (len(took) - 1))], cpu[len(cpu) // 2]


def clicks(db: Database, rounds: int) -> dict[str, tuple[float, float]]:
    """p50 and p95 (ms) of each Save a site user clicks, one user alone, as the
    concurrency drill clicks them: a new case (the wizard's last check and the save), a
    visit with a score and a lab, an adverse event (its verbatim scrubbed, then saved);
    each save's soft checks run behind it, as in the served app."""
    from tests.drills import test_concurrent_use as drill

    warm_up()  # the served app loads the scrubber when it starts
    session = Session(db, "msk_neuro", "site_user", "MSK")
    rng, log = random.Random(21), drill.Log()
    with checks_behind(), served_turns():  # as in the served app
        for i in range(rounds + 2):
            subject = drill._new_case(session, f"BENCH-CLICK-{i:05d}", rng, log)
            drill._visit(session, subject, drill.FOLLOW_UP_FROM, log)
            drill._event(session, subject, drill.FOLLOW_UP_FROM, log)
            wait_until_checked()  # a clinician's next click comes seconds later
    took: dict[str, list[float]] = {}
    for save in log.saves[6:]:  # the first two rounds warm the process
        took.setdefault(save.kind, []).append(1000 * (save.ended - save.started))
    return {kind: (_pct(ms, 0.5), _pct(ms, 0.95)) for kind, ms in took.items()}


def click_rows(db: Database, rounds: int, subjects: int) -> list[str]:
    """The table rows of :func:`clicks`."""
    at = load()
    return [
        f"| a site user's Save click: {CLICK_NAMES[kind]}, {subjects:,} subjects | "
        f"(not measured) | **p50 {k50:.0f} ms, p95 {k95:.0f} ms** | p50 <= 60 ms, "
        f"p95 <= 120 ms | {at} |"
        for kind, (k50, k95) in clicks(db, rounds).items()
    ]


def _pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))]


def twenty_users(work: Path, seconds: float) -> dict[str, float]:
    """The concurrency drill's 20 users and exporting coordinator for ``seconds``."""
    from tests.drills import test_concurrent_use as drill
    from warehouse.export import pooled

    drill.DURATION = seconds
    pooled.new_salt = lambda: (drill.SALT, drill.SALT.hex())
    db, _ = drill._warehouse(work)
    warm_up()  # as the served app does when it starts; not counted as the users' CPU
    cpu = time.process_time()
    log, elapsed, _ = drill._run(db, work)
    cpu = time.process_time() - cpu
    ok = [s for s in log.saves if s.ok]
    latency = [1000 * (s.ended - s.started) for s in ok]
    return {
        "cpu_ms": 1000 * cpu / max(1, len(ok)),
        "rate": len(ok) / elapsed,
        "p50": drill._percentile(latency, 0.5),
        "p95": drill._percentile(latency, 0.95),
        "saves": len(ok),
        "errors": len(log.errors),
    }


def in_process_rows(db: Database, work: Path, args: argparse.Namespace, subjects: int) -> list[str]:
    """Save, first dashboard view after a save and pooled export, in this process."""
    out = []
    at = load()
    p50, p95, cpu = saves(db, args.saves, 2)
    out.append(
        f"| one case save, {subjects:,} subjects | (not measured) | **p50 {p50:.0f} ms, "
        f"p95 {p95:.0f} ms**; CPU {cpu:.0f} ms a save | p50 <= 60 ms, p95 <= 120 ms | {at} |"
    )
    out += click_rows(db, args.saves, subjects)
    monitor = Session(db, "monitor", "monitor")
    dashboard_page(monitor)  # the snapshot is built and the page seen once
    save_case(
        Session(db, "msk_neuro", "site_user", "MSK"),
        build_case(random.Random(3), "MSK", db.keys.site_key("MSK"), 995_000, "msk_neuro"),
    )
    safety_cache.clear()
    at = load()
    _, first_s = timed(dashboard_page, monitor)
    out.append(
        f"| first dashboard view after a save, {subjects:,} subjects | "
        f"{DASHBOARD_BEFORE_S} s | **{first_s:.2f} s** "
        f"({ratio(first_s, DASHBOARD_BEFORE_S)}) | <= 0.8 s | {at} |"
    )
    session = system_session(db, "bench")
    export_pooled(session, work / "warm", ExportOptions(k=5))  # scrubber loaded, as in the app
    at = load()
    _, export_s = timed(export_pooled, session, work / "export", ExportOptions(k=5))
    out.append(
        f"| pooled export, k = 5, {subjects:,} subjects | {EXPORT_BEFORE_S} s | "
        f"**{export_s:.1f} s** ({ratio(export_s, EXPORT_BEFORE_S)}) | <= 4 s | {at} |"
    )
    return out


def _probe(tree: Path, db: Database, work: Path, name: str, saves: int, seed: int) -> dict:
    """The probe's figures for the code in ``tree`` on a fresh copy of ``db``."""
    copy_dir = work / f"probe-{name}"
    shutil.rmtree(copy_dir, ignore_errors=True)
    copy_dir.mkdir()
    shutil.copy(db.path, copy_dir / "w.duckdb")
    shutil.copytree(db.keys.directory, copy_dir / "keys")
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run(  # noqa: S603 - our interpreter and our own script
        [
            sys.executable,
            str(ROOT / "bench" / "write_probe.py"),
            str(tree),
            str(copy_dir / "w.duckdb"),
            str(copy_dir / "keys"),
            str(copy_dir),
            str(saves),
            str(seed),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tree,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"the {name} probe failed:\n{done.stderr[-3000:]}")
    shutil.rmtree(copy_dir, ignore_errors=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def peer_rows(db: Database, work: Path, args: argparse.Namespace, subjects: int) -> list[str]:
    """The same figures for this code and the peer tree, alternating on copies of the
    same database (order swapped each round), medians over the rounds."""
    db.release()
    with db.connect() as conn:
        conn.execute("CHECKPOINT")  # the file alone holds every row: copies are whole
    db.release()
    trees = {"new": ROOT, "old": Path(args.peer).resolve()}
    runs: dict[str, list[dict]] = {"new": [], "old": []}
    loads = []
    for round_no in range(args.rounds):
        order = ["new", "old"] if round_no % 2 == 0 else ["old", "new"]
        for name in order:
            loads.append(os.getloadavg()[0])
            runs[name].append(_probe(trees[name], db, work, name, args.saves, 10 + round_no))
            print(name, runs[name][-1], flush=True)

    def med(name: str, field: str) -> float:
        return statistics.median(r[field] for r in runs[name])

    at = f"{min(loads):.1f}-{max(loads):.1f}"
    return [
        f"| one case save, {subjects:,} subjects (same run: before -> now) | p50 "
        f"{med('old', 'save_p50'):.0f} ms, p95 {med('old', 'save_p95'):.0f} ms, CPU "
        f"{med('old', 'save_cpu'):.0f} ms | **p50 {med('new', 'save_p50'):.0f} ms, p95 "
        f"{med('new', 'save_p95'):.0f} ms, CPU {med('new', 'save_cpu'):.0f} ms** "
        f"({ratio(med('new', 'save_p50'), med('old', 'save_p50'))} p50, "
        f"{ratio(med('new', 'save_cpu'), med('old', 'save_cpu'))} CPU) "
        f"| p50 <= 60 ms, p95 <= 120 ms | {at} |",
        f"| first dashboard view after a save, {subjects:,} subjects (same run) | "
        f"{med('old', 'dashboard'):.2f} s (CPU {med('old', 'dashboard_cpu'):.2f} s; issue: "
        f"{DASHBOARD_BEFORE_S} s) | **{med('new', 'dashboard'):.2f} s** (CPU "
        f"{med('new', 'dashboard_cpu'):.2f} s; "
        f"{ratio(med('new', 'dashboard'), med('old', 'dashboard'))}) | <= 0.8 s | {at} |",
        f"| pooled export, k = 5, {subjects:,} subjects (same run) | "
        f"{med('old', 'export'):.1f} s (CPU {med('old', 'export_cpu'):.1f} s; issue: "
        f"{EXPORT_BEFORE_S} s) | **{med('new', 'export'):.1f} s** (CPU "
        f"{med('new', 'export_cpu'):.1f} s; {ratio(med('new', 'export'), med('old', 'export'))})"
        f" | <= 4 s | {at} |",
    ]


BUNDLE_SECTION = "## Bundle import (bench/write_bench.py --bundle-only)"


def _centre(work: Path, db: Database, name: str) -> Database:
    """An empty coordinating centre with the site MSK registered by its public key."""
    centre = Database(work / name / "centre.duckdb", key_dir=work / name / "keys")
    migrate(centre)
    pem = public_pem(db.keys.signing_key("MSK"))
    register_site(system_session(centre, "bench"), "MSK", pem, "Moscow", "Moscow")
    shutil.copy(db.keys.site_key_path("MSK"), centre.keys.site_key_path("MSK"))
    return centre


def bundle_rows(db: Database, work: Path, args: argparse.Namespace) -> list[str]:
    """MSK's bundle imported into an empty centre by this code and the peer tree, each
    in its own process (peak RSS is the process's), alternating, order swapped each
    round; every run on a fresh copy of the same empty centre."""
    bundle = export_bundle(system_session(db, "bench"), "MSK", work / "msk.zip")
    template = _centre(work, db, "centre-template")
    trees = {"new": ROOT, "old": Path(args.peer).resolve()}
    runs: dict[str, list[dict]] = {"new": [], "old": []}
    loads = []
    for round_no in range(args.rounds):
        for name in ["new", "old"] if round_no % 2 == 0 else ["old", "new"]:
            copy = work / f"centre-{name}"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(Path(template.path).parent, copy)
            loads.append(os.getloadavg()[0])
            done = subprocess.run(  # noqa: S603 - our interpreter and our own script
                [
                    sys.executable,
                    str(ROOT / "bench" / "write_probe.py"),
                    str(trees[name]),
                    "bundle",
                    str(work / "msk.zip"),
                    str(copy / "centre.duckdb"),
                    str(copy / "keys"),
                ],
                capture_output=True,
                text=True,
                env=dict(os.environ, PYTHONPATH=str(trees[name])),
                cwd=trees[name],
                check=False,
            )
            if done.returncode:
                raise RuntimeError(f"the {name} bundle probe failed:\n{done.stderr[-3000:]}")
            runs[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
            loads.append(os.getloadavg()[0])
            print(name, runs[name][-1], flush=True)
            shutil.rmtree(copy, ignore_errors=True)

    def med(name: str, field: str) -> float:
        return statistics.median(r[field] for r in runs[name])

    rows = sum(bundle.rows.values())
    old, new = med("old", "seconds"), med("new", "seconds")
    return [
        f"| bundle import into an empty centre, {rows:,} rows "
        f"({bundle.rows['subjects']:,} subjects; same run, {args.rounds} round(s), medians) | "
        f"{old:.1f} s, {rows / old:,.0f} rows/s, CPU {med('old', 'cpu'):.1f} s, peak RSS "
        f"{med('old', 'rss_peak'):,.0f} MB (issue: {BUNDLE_BEFORE_S:.0f} s) | "
        f"**{new:.1f} s, {rows / new:,.0f} rows/s**, CPU {med('new', 'cpu'):.1f} s, peak RSS "
        f"{med('new', 'rss_peak'):,.0f} MB ({ratio(new, old)} wall, "
        f"{ratio(med('new', 'cpu'), med('old', 'cpu'))} CPU, "
        f"{ratio(med('new', 'rss_peak'), med('old', 'rss_peak'))} RSS; process before the "
        f"import {med('new', 'rss_before'):,.0f} MB) | <= 15 s, >= 60,000 rows/s | "
        f"{min(loads):.1f}-{max(loads):.1f} |"
    ]


def ratio(new: float, old: float) -> str:
    """new/old as 'x0.25'."""
    return f"x{new / old:.2f}"


def main() -> None:
    """Run the benchmark and record it."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", type=int, default=5000)
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--users-seconds", type=float, default=60)
    parser.add_argument("--skip-bundle", action="store_true")
    parser.add_argument("--peer", help="a code tree before the work (git archive), measured alike")
    parser.add_argument(
        "--peer-label",
        default="main before the bulk import",
        help="what the peer tree is, for the recorded section",
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--bundle-only",
        action="store_true",
        help="only MSK's bundle import, this code against --peer (its own section)",
    )
    args = parser.parse_args()
    lines: list[str] = []

    def note(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    if args.bundle_only:
        bundle_only(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        small = Database(work / "small.duckdb", key_dir=work / "keys", keep_open=True)
        migrate(small)
        create_demo(small, 300)
        at = load()
        p50, p95, cpu = saves(small, args.saves, 1)
        old50, old95 = SAVE_BEFORE_MS
        note(
            f"| one case save, 300 subjects ({args.saves} saves) | p50 {old50} ms, p95 {old95} ms "
            f"| **p50 {p50:.0f} ms, p95 {p95:.0f} ms** ({ratio(p50, old50)}, {ratio(p95, old95)}); "
            f"CPU {cpu:.0f} ms a save | p50 <= 60 ms, p95 <= 120 ms | {at} |"
        )
        for line in click_rows(small, args.saves, 300):
            note(line)
        small.release()

        at = load()
        users = twenty_users(work / "users", args.users_seconds)
        rate0, u50, u95 = USERS_BEFORE
        note(
            f"| 20 site users saving at once for {args.users_seconds:.0f} s (and a coordinator "
            f"exporting) | {rate0} saves/s, p50 {u50 / 1000:.1f} s, p95 {u95 / 1000:.1f} s | "
            f"**{users['rate']:.1f} saves/s, p50 {users['p50'] / 1000:.2f} s, p95 "
            f"{users['p95'] / 1000:.2f} s** ({ratio(users['rate'], rate0)} rate, "
            f"{ratio(users['p95'], u95)} p95; {users['saves']:.0f} saves, "
            f"{users['errors']:.0f} errors; process CPU {users['cpu_ms']:.0f} ms a save, "
            f"coordinator's exports included) | >= 40 saves/s, p95 <= 1 s | {at} |"
        )

        db = Database(work / "big.duckdb", key_dir=work / "big-keys", keep_open=True)
        migrate(db)
        _, demo_s = timed(create_demo, db, args.base)
        _, grow_s = timed(multiply, db, args.copies)
        with db.connect() as conn:
            subjects = conn.execute("SELECT count(*) FROM subjects").fetchone()[0]  # type: ignore[index]
        print(f"warehouse: {subjects:,} subjects (demo {demo_s:.0f} s, copies {grow_s:.0f} s)")

        if args.peer:
            for line in peer_rows(db, work, args, subjects):
                note(line)
        else:
            for line in in_process_rows(db, work, args, subjects):
                note(line)

        if not args.skip_bundle:
            session = system_session(db, "bench")
            bundle, _ = timed(export_bundle, session, "MSK", work / "msk.zip")
            centre = Database(work / "centre.duckdb", key_dir=work / "centre-keys")
            migrate(centre)
            pem = public_pem(db.keys.signing_key("MSK"))
            register_site(system_session(centre, "bench"), "MSK", pem, "Moscow", "Moscow")
            (work / "centre-keys").mkdir(exist_ok=True)
            shutil.copy(db.keys.site_key_path("MSK"), centre.keys.site_key_path("MSK"))
            rows = sum(bundle.rows.values())
            at = load()
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            _, import_s = timed(import_bundle, system_session(centre, "b"), work / "msk.zip")
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            note(
                f"| bundle import into an empty centre, {rows:,} rows "
                f"({bundle.rows['subjects']:,} subjects) | {BUNDLE_BEFORE_S:.0f} s | "
                f"**{import_s:.1f} s, {rows / import_s:,.0f} rows/s** "
                f"({ratio(import_s, BUNDLE_BEFORE_S)}); peak RSS {rss:,.0f} MB "
                f"(before the import {rss_before:,.0f} MB) | <= 15 s | {at} |"
            )
        db.release()

    section = "\n".join(
        [
            SECTION,
            "",
            f"Measured {dt.date.today()} on {machine()}; the machine may be shared, so each "
            "line gives the 1-minute load average when its step started. "
            "'before' is the issue's table (same machine, before the work on writes); "
            "new/old ratios in brackets. Databases opened as the app opens them (kept open).",
            "",
            "| what | before | now | target | load |",
            "|---|---|---|---|---|",
            *lines,
            "",
        ]
    )
    if not args.no_write:
        report.write_section(SECTION, section)
    print(section)


def bundle_only(args: argparse.Namespace) -> None:
    """The bundle import alone, beside the peer's, recorded in its own section."""
    if not args.peer:
        raise SystemExit("--bundle-only measures against a peer tree: give --peer TREE")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db = Database(work / "big.duckdb", key_dir=work / "big-keys")
        migrate(db)
        at = load()
        _, demo_s = timed(create_demo, db, args.base)
        _, grow_s = timed(multiply, db, args.copies)
        print(f"warehouse built in {demo_s + grow_s:.0f} s (load {at})", flush=True)
        lines = bundle_rows(db, work, args)
    section = "\n".join(
        [
            BUNDLE_SECTION,
            "",
            f"Measured {dt.date.today()} on {machine()}; the machine may be shared "
            "(1-minute load average before and after each run below). One site's "
            f"bundle (MSK of a {args.base:,} x {args.copies} subject warehouse built as "
            "bench/export_bench.py builds it) imported into an empty centre: all checks, "
            "one transaction, one audit entry per row, then the soft checks. 'before' is "
            f"the peer tree ({args.peer_label}), run in the same way in the same "
            "run; ratios are new/old. Peak RSS is the importing process's.",
            "",
            "| what | before | now | target | load |",
            "|---|---|---|---|---|",
            *lines,
            "",
        ]
    )
    if not args.no_write:
        report.write_section(BUNDLE_SECTION, section)
    print(section)


if __name__ == "__main__":
    main()
