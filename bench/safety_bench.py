"""Benchmark the monitor's safety dashboard: each query and the whole page's data load.

Run with ``make bench`` (or ``python bench/safety_bench.py [--sizes 10000 100000]
[--base 2000] [--repeat 5]``). Prints the figures and writes them to
docs/BENCHMARKS.md with machine, date and load average.

Databases: ``create_demo`` makes ``--base`` subjects (the demo generator's
distributions: products, switches, visits, AEs); larger sizes are that demo copied
in bulk with DuckDB SQL (every row of every clinical table repeated with its ids
suffixed ``x<copy>``), since the per-case generator needs ~100 s per 10,000
subjects. Each size is then timed as the dashboard uses it: the cohort snapshot
(cold: built from the clinical tables; warm: kept in process memory), each query
(median of ``--repeat`` warm runs) and the page data loads.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
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
import report  # noqa: E402  (bench/report.py, beside this script)

from warehouse.demo.build import DATA_CUT, create_demo  # noqa: E402
from warehouse.safety import cache as safety_cache  # noqa: E402
from warehouse.safety import cohort  # noqa: E402
from warehouse.safety.dashboard import (  # noqa: E402
    breakdown,
    death_counts,
    load_dashboard,
    masked_products,
    product_counts,
)
from warehouse.safety.metrics import (  # noqa: E402
    ALL,
    ae_rates,
    deaths,
    exposure,
    motor_change,
    overdue_doses,
    rate_ratios,
    sae_listing,
    site_completeness,
    time_to_onset,
    time_to_onset_windows,
)
from warehouse.store.access import Session  # noqa: E402
from warehouse.store.db import Database  # noqa: E402
from warehouse.store.migrations import migrate  # noqa: E402

SECTION = "## Safety dashboard queries (bench/safety_bench.py)"
# Clinical tables and the id columns rewritten when the base demo is copied.
COPIED = {
    "subjects": ("subject_id",),
    "consents": ("subject_id",),
    "treatments": ("treatment_id", "subject_id"),
    "assessments": ("assessment_id", "subject_id"),
    "labs": ("lab_id", "subject_id"),
    "adverse_events": ("ae_id", "subject_id"),
    "ae_causality": ("ae_id",),
    "narratives": ("narrative_id", "subject_id"),
}
QUERY_TARGET_MS = 100
PAGE_TARGET_MS = 1000


def build_base(path: Path, subjects: int) -> None:
    """A demo database of ``subjects`` generated cases."""
    db = Database(path, key_dir=path.parent / "keys")
    migrate(db)
    create_demo(db, subjects=subjects, seed=20261121)


def grow(base: Path, path: Path, copies: int) -> None:
    """``path``: the base database with its clinical rows present ``copies`` times."""
    shutil.copy(base, path)
    import duckdb

    with duckdb.connect(str(path)) as conn:
        for table, ids in COPIED.items():
            replace = ", ".join(f"{c} || 'x' || k AS {c}" for c in ids)
            conn.execute(
                f"INSERT INTO {table} SELECT t.* REPLACE ({replace}) "
                f"FROM {table} t, range(1, {copies}) r(k)"
            )
        conn.execute("CHECKPOINT")


def _ms(func: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def queries(session: Session) -> dict[str, Callable[[], Any]]:
    """Every query the two dashboard pages run, by name (results never from memory)."""
    as_of = DATA_CUT
    shown = masked_products(product_counts(session))
    calls: dict[str, Callable[[], Any]] = {
        "exposure": lambda: exposure(session),
        "ae_rates": lambda: ae_rates(session),
        "ae_rates by grade": lambda: ae_rates(session, by=("ctcae_grade",)),
        "ae_rates by term": lambda: ae_rates(session, by=("coded_term",)),
        "rate_ratios": lambda: rate_ratios(session),
        "rate_ratios by age band": lambda: rate_ratios(session, by=("age_band",)),
        "time_to_onset": lambda: time_to_onset(session),
        "time_to_onset_windows": lambda: time_to_onset_windows(session),
        "motor_change": lambda: motor_change(session),
        "death_counts": lambda: death_counts(session),
        "breakdown by term (masked)": lambda: breakdown(session, ALL, "coded_term", shown),
        "site_completeness": lambda: site_completeness(session, as_of),
        "sae_listing (audited)": lambda: sae_listing(session),
        "deaths (audited)": lambda: deaths(session),
        "overdue_doses (audited)": lambda: overdue_doses(session, as_of),
    }
    return {name: _uncached(call) for name, call in calls.items()}


def _uncached(call: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        safety_cache.clear()
        return call()

    return run


def dashboard_page(session: Session) -> None:
    """The data the dashboard page loads (with its default breakdown)."""
    board = load_dashboard(session)
    breakdown(session, ALL, "ctcae_grade", board.products)


def bench_size(path: Path, repeat: int) -> dict[str, Any]:
    """Figures for one database."""
    db = Database(path, key_dir=path.parent / "keys")
    session = Session(db, "monitor", "monitor")
    with db.connect(read_only=True) as conn:
        subjects = conn.execute("SELECT count(*) FROM subjects").fetchone()[0]  # type: ignore[index]
        events = conn.execute("SELECT count(*) FROM adverse_events").fetchone()[0]  # type: ignore[index]
    cohort.clear_cache()
    start = time.perf_counter()
    cohort.current(db)
    snapshot_ms = (time.perf_counter() - start) * 1000
    cohort.clear_cache()
    safety_cache.clear()
    start = time.perf_counter()
    dashboard_page(session)
    cold_ms = (time.perf_counter() - start) * 1000
    figures = {name: _ms(func, repeat) for name, func in queries(session).items()}
    figures["dashboard page data, new filters (snapshot warm)"] = _ms(
        _uncached(lambda: dashboard_page(session)), repeat
    )
    dashboard_page(session)
    figures["dashboard page rerun (results in memory)"] = _ms(
        lambda: dashboard_page(session), repeat
    )
    return {
        "subjects": subjects,
        "events": events,
        "snapshot_ms": snapshot_ms,
        "cold_ms": cold_ms,
        "queries": figures,
    }


# Run in a child process with PYTHONPATH set to a checkout (this one or the peer): the
# page is built once (cold), then each round corrects one adverse event's grade, as a
# site user does, and times the first dashboard page after it (snapshot brought up to
# date + the page's queries); prints the seconds as JSON.
AFTER_SAVE_CHILD = """
import json, sys, time
from warehouse.safety import dashboard
from warehouse.safety.metrics import ALL
from warehouse.store.access import Session
from warehouse.store.cases import Change, update_rows
from warehouse.store.db import Database
db = Database(sys.argv[1], key_dir=sys.argv[2])
rounds = int(sys.argv[3])
monitor = Session(db, "monitor", "monitor")
def page():
    board = dashboard.load_dashboard(monitor)
    dashboard.breakdown(monitor, ALL, "ctcae_grade", board.products)
page()
with db.connect(read_only=True) as conn:
    events = conn.execute(
        "SELECT a.ae_id, a.subject_id, s.site_code, a.ctcae_grade FROM adverse_events a "
        "JOIN subjects s USING (subject_id) WHERE NOT contains(a.subject_id, 'x') "
        "ORDER BY hash(a.ae_id) LIMIT ?", [rounds]).fetchall()
seconds = []
for ae_id, subject, site, grade in events:
    user = Session(db, site.lower() + "_neuro", "site_user", site)
    change = Change("adverse_events", {"ae_id": ae_id}, {"ctcae_grade": 1 + grade % 3})
    update_rows(user, subject, [change], "bench: grade corrected")
    start = time.perf_counter()
    page()
    seconds.append(time.perf_counter() - start)
print(json.dumps({"seconds": seconds, "code": dashboard.__file__}))
"""


def after_save_seconds(checkout: Path, path: Path, rounds: int) -> list[float]:
    """Seconds of the first dashboard page after each of ``rounds`` saves, by the code in
    ``checkout``, on a copy of the database at ``path``."""
    work = path.parent / f"after-save-{checkout.name}"
    work.mkdir(exist_ok=True)
    copy = work / path.name
    shutil.copy(path, copy)
    shutil.copytree(path.parent / "keys", work / "keys", dirs_exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", AFTER_SAVE_CHILD, str(copy), str(work / "keys"), str(rounds)],
            env=env,
            cwd=work,  # not a checkout: the child imports from PYTHONPATH only
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        shutil.rmtree(work)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if not str(result["code"]).startswith(str(checkout)):
        raise RuntimeError(f"the child ran {result['code']}, not the code in {checkout}")
    return [float(s) for s in result["seconds"]]


def after_save(peer: Path, path: Path, rounds: int) -> dict[str, Any]:
    """The first page after a save, by the peer's code and this one's (peer first, then
    this, then the peer again: load on the shared machine falls on both alike)."""
    load = os.getloadavg()
    half = max(1, rounds // 2)
    peer_s = after_save_seconds(peer, path, half)
    ours_s = after_save_seconds(ROOT, path, rounds)
    peer_s += after_save_seconds(peer, path, rounds - half)
    return {
        "peer": statistics.median(peer_s) * 1000,
        "ours": statistics.median(ours_s) * 1000,
        "rounds": rounds,
        "load": (load, os.getloadavg()),
    }


def machine() -> str:
    """CPU model, cores, RAM and Python version."""
    cpu = platform.machine()
    ram_gb = 0.0
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = f"{line.split(':', 1)[1].strip()} ({platform.machine()})"
            break
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            ram_gb = int(line.split()[1]) / 1024 / 1024
    return f"{cpu}, {os.cpu_count()} cores, {ram_gb:.0f} GB RAM, Python {platform.python_version()}"


def table(results: list[dict[str, Any]]) -> list[str]:
    """The figures as a markdown table, one column per size."""
    sizes = [f"{r['subjects']:,}" for r in results]
    lines = [
        "| query (median of warm runs) | " + " | ".join(f"{s} subjects" for s in sizes) + " |",
        "|---|" + "---:|" * len(results),
        "| clinical AE rows | " + " | ".join(f"{r['events']:,}" for r in results) + " |",
        "| cohort snapshot build (cold) | "
        + " | ".join(f"{r['snapshot_ms']:,.0f} ms" for r in results)
        + " |",
        "| dashboard page data, cold (snapshot + queries) | "
        + " | ".join(f"{r['cold_ms']:,.0f} ms" for r in results)
        + " |",
    ]
    if all("after_save" in r for r in results):
        lines.append(
            "| first dashboard page after a save: peer (rebuilds the snapshot) | "
            + " | ".join(f"{r['after_save']['peer']:,.0f} ms" for r in results)
            + " |"
        )
        lines.append(
            "| first dashboard page after a save: this code (refreshes the touched subject) | "
            + " | ".join(
                f"**{r['after_save']['ours']:,.0f} ms** "
                f"(peer/this {r['after_save']['peer'] / r['after_save']['ours']:.1f}x)"
                for r in results
            )
            + " |"
        )
    for name in results[0]["queries"]:
        cells = []
        for r in results:
            value = r["queries"][name]
            target = PAGE_TARGET_MS if "page" in name else QUERY_TARGET_MS
            cells.append(f"{value:,.0f} ms" + ("" if value < target else " ⚠"))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def growth(results: list[dict[str, Any]]) -> list[str]:
    """How the cold snapshot build and the warm page grow from the smallest size up."""
    if len(results) < 2:
        return []
    first, page = results[0], "dashboard page data, new filters (snapshot warm)"
    parts = [
        f"{r['subjects'] // first['subjects']}x the subjects: snapshot build "
        f"{r['snapshot_ms'] / first['snapshot_ms']:.1f}x, warm page data "
        f"{r['queries'][page] / first['queries'][page]:.1f}x"
        for r in results[1:]
    ]
    return [
        f"Growth from {first['subjects']:,} subjects: " + "; ".join(parts) + ". The build "
        "reads every clinical row, so it grows with the data; the dashboard's queries read "
        "per-stratum totals of the snapshot, which grow with the number of strata "
        "(centres x diseases x age bands x products), not with subjects. Listings grow "
        "with the rows they list.",
        "",
    ]


def after_save_note(args: argparse.Namespace, results: list[dict[str, Any]]) -> list[str]:
    """How the after-a-save rows were measured, with the load of each size's run."""
    loads = "; ".join(
        f"{r['subjects']:,} subjects: {b[0]:.1f}/{b[1]:.1f} before, {a[0]:.1f}/{a[1]:.1f} after"
        for r in results
        for b, a in [r["after_save"]["load"]]
    )
    return [
        f"First dashboard page after a save: a site user corrects one adverse event's grade "
        f"(`update_rows`), then the monitor's dashboard page loads (the cohort snapshot "
        f"brought up to date, then the page's queries, whose kept results the write made "
        f"stale); median of {args.saves} saves by this code and of {args.saves} by the peer "
        f"`{args.peer.name}` (each in a child process on its own copy of the database, "
        f"peer - this - peer). The peer rebuilds the whole snapshot after any write; this "
        f"code re-derives the touched subjects' rows and their strata's totals "
        f"(`warehouse/safety/cohort_refresh.py`; more than max(500, 2% of the cohort) "
        f"touched subjects, or a change to products, MedDRA or links between subjects, "
        f"rebuild it whole). Load (1/5 min) during these runs: {loads}."
    ]


def main() -> None:
    """Build the databases, time them, print and record the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--base", type=int, default=2_000, help="generated demo subjects")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/BENCHMARKS.md")
    parser.add_argument(
        "--peer", type=Path, help="a checkout (e.g. main's): first page after a save timed alike"
    )
    parser.add_argument("--saves", type=int, default=4, help="saves timed per code (--peer)")
    args = parser.parse_args()
    if any(size % args.base for size in args.sizes):
        parser.error("every size must be a multiple of --base")
    load_before = os.getloadavg()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.duckdb"
        print(f"generating {args.base:,} demo subjects ...", file=sys.stderr, flush=True)
        build_base(base, args.base)
        for size in args.sizes:
            path = Path(tmp) / f"safety-{size}.duckdb"
            start = time.perf_counter()
            grow(base, path, size // args.base)
            took = time.perf_counter() - start
            print(f"{size:,} subjects copied in {took:.0f} s; timing ...", file=sys.stderr)
            results.append(bench_size(path, args.repeat))
            if args.peer:
                print("first page after a save: peer and this code ...", file=sys.stderr)
                results[-1]["after_save"] = after_save(args.peer.resolve(), path, args.saves)
            path.unlink()
    load_after = os.getloadavg()
    section = "\n".join(
        [
            SECTION,
            "",
            f"Measured {dt.date.today()} on {machine()}. Load average (1/5/15 min) "
            f"{load_before[0]:.1f}/{load_before[1]:.1f}/{load_before[2]:.1f} before and "
            f"{load_after[0]:.1f}/{load_after[1]:.1f}/{load_after[2]:.1f} after "
            "(other work on the machine slows every figure). Databases: "
            f"{args.base:,} subjects from `create_demo`, copied in bulk up to each size. "
            f"Warm figures are the median of {args.repeat} runs with the cohort snapshot "
            "in memory and no result kept from an earlier run (except the rerun row: "
            "Streamlit reruns the page on every click, and aggregate results stay in "
            "memory until the data change, `warehouse/safety/cache.py`). Queries run on the "
            "in-memory cohort snapshot (`warehouse/safety/cohort.py`): each checks that the "
            "database file is unchanged (else looks for new writes in the audit log), and "
            "the dashboard page's queries share one check (`cohort.one_read`, as the app "
            "does). Audited listings (each one view of the listings page) also write their "
            "audit entry, a write transaction on the database file, which in turn makes "
            "the next query look into the audit log. "
            f"Targets: a query < {QUERY_TARGET_MS} ms, a page's data < {PAGE_TARGET_MS} ms "
            "(⚠ = missed).",
            *([""] + after_save_note(args, results) if args.peer else []),
            "",
            *table(results),
            "",
            *growth(results),
        ]
    )
    print(section)
    if not args.no_write:
        report.write_section(SECTION, section)


if __name__ == "__main__":
    main()
