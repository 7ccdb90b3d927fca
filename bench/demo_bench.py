"""Benchmark the foundation: demo generation, single-case save, audit verification.

Run with ``make bench`` (or ``python bench/demo_bench.py [--sizes 300 10000]``).
Prints the figures and writes them to docs/BENCHMARKS.md with machine and date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from warehouse.demo.build import build_case, create_demo  # noqa: E402
from warehouse.store.access import Session  # noqa: E402
from warehouse.store.audit import verify  # noqa: E402
from warehouse.store.cases import list_subjects, load_case, save_case  # noqa: E402
from warehouse.store.db import Database  # noqa: E402
from warehouse.store.migrations import migrate  # noqa: E402

SECTION = "## Foundation (demo generation, saves, audit)"


def _timed(func, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - start


def bench_size(subjects: int, workdir: Path) -> list[str]:
    """Figures for one demo size."""
    db = Database(workdir / f"demo-{subjects}.duckdb", key_dir=workdir / "keys")
    migrate(db)
    summary, seconds = _timed(create_demo, db, subjects)
    rows = sum(summary.rows.values())
    verification, verify_s = _timed(verify, db)
    size_mb = Path(db.path).stat().st_size / 1e6
    session = Session(db, "msk_neuro", "site_user", "MSK")
    latencies = []
    rng = random.Random(1)
    for i in range(20):
        case = build_case(rng, "MSK", db.keys.site_key("MSK"), 900_000 + subjects + i, "msk_neuro")
        _, took = _timed(save_case, session, case)
        latencies.append(took)
    latencies.sort()
    subject_id = str(list_subjects(session)["subject_id"].iloc[0])
    _, load_s = _timed(load_case, session, subject_id)
    return [
        f"| {subjects:,} | {seconds:.1f} s | {subjects / seconds:.0f} | {rows:,} | "
        f"{verification.entries:,} in {verify_s:.2f} s | "
        f"{latencies[len(latencies) // 2] * 1000:.0f} ms / "
        f"{latencies[-2] * 1000:.0f} ms | {load_s * 1000:.0f} ms | {size_mb:.1f} MB |"
    ]


def main() -> None:
    """Run the benchmark and record it."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 10_000])
    args = parser.parse_args()
    header = [
        "| subjects | demo generation | subjects/s | rows written | audit verify | "
        "single-case save p50 / p95 (20 saves) | load one case | file size |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            lines += bench_size(size, Path(tmp))
            print(lines[-1], flush=True)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    section = "\n".join(
        [
            SECTION,
            "",
            f"Measured {dt.date.today()} on {machine} "
            "(each save validates the whole case, opens and closes its own "
            "connection and appends HMAC-chained audit entries).",
            "",
            *header,
            *lines,
            "",
        ]
    )
    out = ROOT / "docs" / "BENCHMARKS.md"
    text = out.read_text(encoding="utf-8") if out.exists() else "# Benchmarks\n\n"
    if SECTION in text:
        start = text.index(SECTION)
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1 :] if end != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    out.write_text(text, encoding="utf-8")
    print(section)


if __name__ == "__main__":
    main()
