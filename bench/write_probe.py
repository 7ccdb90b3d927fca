"""One process's figures on a copy of the write benchmark's warehouse (issue 21).

``bench/write_bench.py`` runs this script twice per round on copies of the same
database: once with this checkout's code and once with the code before the work on
writes (``--peer TREE``, a ``git archive`` of that commit), so both are measured in the
same run at the same load. Prints one JSON object: saves (wall and CPU), the first
dashboard view after a save, and a warm pooled export; or, with ``bundle``, one site
bundle's import into a centre (wall, CPU, rows, peak RSS).
"""

from __future__ import annotations

import inspect
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, sys.argv[1])  # the code tree to measure
sys.path.insert(1, str(Path(sys.argv[1]) / "bench"))

from safety_bench import dashboard_page  # noqa: E402

from warehouse.demo.build import build_case  # noqa: E402
from warehouse.export.release import ExportOptions, export_pooled  # noqa: E402
from warehouse.safety import cache as safety_cache  # noqa: E402
from warehouse.store.access import Session, system_session  # noqa: E402
from warehouse.store.cases import save_case  # noqa: E402
from warehouse.store.db import Database  # noqa: E402


def _clock(func, *args):  # noqa: ANN001, ANN002, ANN202
    wall, cpu = time.perf_counter(), time.process_time()
    func(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def bundle_import() -> None:
    """``write_probe.py TREE bundle BUNDLE DB KEYS``: import the bundle into the centre
    database DB (its site registered) with the tree's code; print seconds, CPU seconds,
    rows written and this process's peak RSS (MB) before and after the import."""
    import resource

    from warehouse.exchange.bundles import import_bundle

    bundle, db_path, key_dir = sys.argv[3:6]
    db = Database(db_path, key_dir=key_dir)
    session = system_session(db, "bench")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    wall, cpu = time.perf_counter(), time.process_time()
    summary = import_bundle(session, Path(bundle))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    written = sum(summary.inserted.values()) + sum(summary.updated.values())
    print(
        json.dumps(
            {
                "seconds": wall,
                "cpu": cpu,
                "rows": sum(summary.rows.values()),
                "written": written,
                "rss_before": before,
                "rss_peak": peak,
            }
        )
    )


def main() -> None:
    """Measure the tree in argv[1] on the database argv[2] (keys argv[3])."""
    if sys.argv[2] == "bundle":
        bundle_import()
        return
    db_path, key_dir, out_dir, saves, seed = sys.argv[2:7]
    kwargs = {"keep_open": True} if "keep_open" in inspect.signature(Database).parameters else {}
    db = Database(db_path, key_dir=key_dir, **kwargs)
    user = Session(db, "msk_neuro", "site_user", "MSK")
    key = db.keys.site_key("MSK")
    rng = random.Random(int(seed))
    walls, cpus = [], []
    for i in range(int(saves) + 2):
        case = build_case(rng, "MSK", key, 970_000 + int(seed) * 1000 + i, "msk_neuro")
        wall, cpu = _clock(save_case, user, case)
        walls.append(wall * 1000)
        cpus.append(cpu * 1000)
    walls, cpus = sorted(walls[2:]), sorted(cpus[2:])
    monitor = Session(db, "monitor", "monitor")
    dashboard_page(monitor)
    save_case(user, build_case(rng, "MSK", key, 960_000 + int(seed), "msk_neuro"))
    safety_cache.clear()
    dash_wall, dash_cpu = _clock(dashboard_page, monitor)
    session = system_session(db, "bench")
    export_pooled(session, Path(out_dir) / "warm", ExportOptions(k=5))
    export_wall, export_cpu = _clock(
        export_pooled, session, Path(out_dir) / "export", ExportOptions(k=5)
    )
    print(
        json.dumps(
            {
                "save_p50": walls[len(walls) // 2],
                "save_p95": walls[int(0.95 * (len(walls) - 1))],
                "save_cpu": cpus[len(cpus) // 2],
                "dashboard": dash_wall,
                "dashboard_cpu": dash_cpu,
                "export": export_wall,
                "export_cpu": export_cpu,
            }
        )
    )


if __name__ == "__main__":
    main()
