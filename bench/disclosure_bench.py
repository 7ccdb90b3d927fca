"""Benchmark the disclosure search of pooled exports (issue 19).

Run with ``python bench/disclosure_bench.py [--base 2000] [--size 100000] [--repeat 3]``.
Builds the safety bench's database (``--base`` generated demo subjects copied in bulk
with DuckDB SQL to ``--size``), reads the eligible subjects once, then times the
search that an export runs (ladders, the DuckDB histogram, best-first lattice search,
the greedy comparison and the report) against the peer in the same run: the
exhaustive search that evaluates every node. Also runs the `make run` demo (300
subjects, the demo's default seed) at k = 5 and 5% suppression and records the
released levels. Prints the figures and replaces its section of docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from safety_bench import build_base, grow, machine  # noqa: E402

from warehouse.demo.build import create_demo  # noqa: E402
from warehouse.export import pooled  # noqa: E402
from warehouse.export.disclosure import anonymise_subjects  # noqa: E402
from warehouse.store.db import Database  # noqa: E402
from warehouse.store.migrations import migrate  # noqa: E402

SECTION = "## Disclosure search of pooled exports (bench/disclosure_bench.py)"
TARGET_S = 2.0


def eligible(path: Path) -> Any:
    """The eligible subjects of a database, as an export reads them."""
    db = Database(path, key_dir=path.parent / "keys")
    with db.connect(read_only=True) as conn:
        return pooled.eligible_subjects(conn)


def timed(subjects: Any, search: str, repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = anonymise_subjects(subjects, 5, 0.05, search=search)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def demo_levels(root: Path) -> dict[str, Any]:
    """The `make run` demo at k = 5, 5% suppression: the lattice's and greedy's nodes."""
    path = root / "demo.duckdb"
    db = Database(path, key_dir=root / "demo-keys")
    migrate(db)
    create_demo(db)
    return anonymise_subjects(eligible(path), 5, 0.05).report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", type=int, default=2000)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/BENCHMARKS.md")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="caseguard-disclosure-bench-") as scratch:
        root = Path(scratch)
        report = demo_levels(root)
        base = root / "base.duckdb"
        build_base(base, args.base)
        big = root / "big" / "w.duckdb"
        big.parent.mkdir()
        grow(base, big, max(1, args.size // args.base))
        start = time.perf_counter()
        subjects = eligible(big)
        read_s = time.perf_counter() - start
        fast_s, fast = timed(subjects, "best_first", args.repeat)
        full_s, full = timed(subjects, "exhaustive", 1)
    load_after = os.getloadavg()
    assert fast.report["lattice"]["node"] == full.report["lattice"]["node"]
    search, lattice = fast.report["search"], fast.report["lattice"]
    lines = [
        SECTION,
        "",
        f"{dt.date.today().isoformat()}; {machine()}; load average "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after (other engineers' work shares "
        "the machine).",
        "",
        f"Search at {len(subjects):,} eligible subjects (the safety bench's database: "
        f"{args.base:,} generated subjects copied by SQL), k = 5, at most 5% suppressed. "
        "Timed: ladders, one DuckDB GROUP BY into a histogram, the lattice search, the greedy "
        f"walk for comparison, the report with pycanon's l-diversity (median of {args.repeat}).",
        "",
        "| search | time | nodes evaluated | node released | loss |",
        "|---|---|---|---|---|",
        f"| best-first with monotone pruning | **{fast_s:.2f} s** (target <= {TARGET_S:.0f} s) | "
        f"{search['nodes_evaluated']} of {search['lattice_nodes']} | same | "
        f"{lattice['information_loss']} |",
        f"| exhaustive (every node; the peer) | {full_s:.2f} s (ratio {full_s / fast_s:.1f}x) | "
        f"{full.report['search']['nodes_evaluated']} of {search['lattice_nodes']} | same | "
        f"{full.report['lattice']['information_loss']} |",
        "",
        "Reading the eligible subjects from the database (not part of the search): "
        f"{read_s:.2f} s. "
        f"Greedy ladder on the same data: loss {fast.report['greedy']['information_loss']}.",
        "",
        "Released levels on the `make run` demo (300 subjects, 266 eligible), k = 5, <= 5% "
        "suppressed. *Before* is the greedy fixed ladder of main before issue 19 (measured with "
        "that code on the same demo: 263 released, 3 suppressed, five quasi-identifiers counted; "
        "the onset age to 0.1 month and the index date to the day were released uncounted).",
        "",
        "| quasi-identifier | before (greedy, main) | after (lattice) "
        "| greedy on the new ladders |",
        "|---|---|---|---|",
    ]
    before = {"sex": "sex", "age_band": "any (removed)", "area": "site (the centre)",
              "disease_subtype": "disease (all merged)", "smn2_copies": "any (removed)",
              "onset_band": "not counted (0.1 month)", "index_year": "not counted (exact date)",
              "smn1_status": "not counted", "hla_b27": "not counted"}  # fmt: skip
    greedy = report["greedy"]["node"]
    for name, level in report["lattice"]["node"].items():
        lines.append(f"| {name} | {before.get(name, '')} | {level} | {greedy[name]} |")
    lines += [
        "",
        f"After: {report['subjects_released']} released, {report['subjects_suppressed']} "
        f"suppressed; information loss {report['lattice']['information_loss']} (lattice) vs "
        f"{report['greedy']['information_loss']} (greedy on the same ladders, "
        f"{report['greedy']['subjects_suppressed']} suppressed); {search['metric']}.",
        "",
    ]
    print("\n".join(lines))
    if not args.no_write:
        report.write_section(SECTION, "\n".join(lines))


if __name__ == "__main__":
    main()
