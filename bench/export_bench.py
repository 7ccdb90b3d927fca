"""Benchmark exports, site bundles and legacy imports (issue 5).

Run with ``python bench/export_bench.py [--base 5000 --copies 20 --legacy-rows 10000]``.
Builds ``base`` demo subjects with ``create_demo`` (validated and audited) and
multiplies them ``copies`` times with SQL (new pseudonyms and row ids, same clinical
content, not audited) to reach the issue's 100,000 subjects quickly; then times the
full Parquet export with k-anonymity, a bundle export + import of one site into an
empty centre, and the import of a generated legacy workbook (with scrubbing).
Prints the figures and replaces its section of docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import report  # noqa: E402  (bench/report.py, beside this script)
from openpyxl import Workbook  # noqa: E402

from schemas import TABLES  # noqa: E402
from warehouse.demo.build import create_demo  # noqa: E402
from warehouse.exchange.bundles import export_bundle, import_bundle  # noqa: E402
from warehouse.exchange.legacy_import import import_legacy  # noqa: E402
from warehouse.exchange.legacy_sheets import SHEETS, sheet_columns  # noqa: E402
from warehouse.export.release import ExportOptions, export_pooled  # noqa: E402
from warehouse.store.access import system_session  # noqa: E402
from warehouse.store.admin import add_site  # noqa: E402
from warehouse.store.db import Database  # noqa: E402
from warehouse.store.migrations import migrate  # noqa: E402

SECTION = "## Exports, bundles and legacy import (bench/export_bench.py)"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ID_COLUMNS = {"treatments": "treatment_id", "assessments": "assessment_id", "labs": "lab_id"}
ID_COLUMNS.update(adverse_events="ae_id", narratives="narrative_id")


def copy_code(copy: int) -> str:
    """Two characters no base32 pseudonym ends with ('0189' first), so copies never clash."""
    return "0189"[copy // 36] + ALPHABET[copy % 36]


def multiply(db: Database, copies: int) -> None:
    """Add ``copies - 1`` copies of every subject and their rows, with new ids."""
    with db.transaction() as conn:
        for copy in range(1, copies):
            sid = f"left(subject_id, length(subject_id) - 2) || '{copy_code(copy)}'"
            for table in TABLES:
                if table not in ID_COLUMNS and table not in ("subjects", "consents"):
                    continue
                columns = TABLES[table].columns
                exprs = [
                    sid
                    if c == "subject_id"
                    else f"{c} || '-c{copy}'"
                    if c == ID_COLUMNS.get(table)
                    else c
                    for c in columns
                ]
                if table == "subjects":  # vary the quasi-identifiers a little between copies
                    exprs[columns.index("sex")] = (
                        "CASE WHEN sex = 'male' THEN 'female' ELSE 'male' END"
                        if copy % 2
                        else "sex"
                    )
                    exprs[columns.index("age_at_index_months")] = (
                        f"age_at_index_months + {copy * 1.3:.1f}"
                    )
                key = ID_COLUMNS.get(table, "subject_id")
                originals = f"NOT contains({key}, '-c')"
                if table in ("subjects", "consents"):
                    originals = "right(subject_id, 2) NOT SIMILAR TO '[0189].'"
                conn.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(exprs)} "
                    f"FROM {table} WHERE {originals}"
                )
            conn.execute(
                "INSERT INTO ae_causality SELECT ae_id || ?, product_id, causality "
                "FROM ae_causality WHERE NOT contains(ae_id, '-c')",
                [f"-c{copy}"],
            )


def legacy_workbook(path: Path, rows: int, seed: int = 5) -> int:
    """A legacy workbook of about ``rows`` rows (10 per patient) with names and phones."""
    from faker import Faker

    fake = Faker("ru_RU")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    sheets: dict[str, list[dict[str, Any]]] = {s: [] for s in SHEETS}
    for n in range(rows // 10):
        local = f"LEG-{n:06d}"
        start = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randint(0, 900))
        day = start.strftime("%d.%m.%Y")
        sheets["subjects"].append(
            dict(
                local_id=local,
                sex=rng.choice(["female", "male"]),
                birth_year=2019,
                disease="SMA5Q",
                disease_subtype="2a",
                smn1_status="homozygous_deletion",
                smn2_copies="3",
                age_at_onset_months=9,
                age_at_index_months=20,
                index_date=day,
                status="active",
            )  # fmt: skip
        )
        sheets["consents"].append(
            dict(
                local_id=local,
                processing="yes",
                pooled_research="yes",
                publication="no",
                signed_by="legal_representative",
                signed_date=day,
            )  # fmt: skip
        )
        for k in range(2):
            dose_day = (start + dt.timedelta(days=14 * k)).strftime("%d.%m.%Y")
            sheets["treatments"].append(
                dict(
                    local_id=local,
                    product_id="NUS-SPINRAZA",
                    dose=12,
                    dose_unit="mg",
                    route="intrathecal",
                    start_date=dose_day,
                    end_date=dose_day,
                    lot=f"L{n}",
                )  # fmt: skip
            )
        for scale in ("HFMSE", "RULM", "HFMSE"):
            sheets["assessments"].append(
                dict(
                    local_id=local,
                    visit_date=day,
                    scale=scale,
                    score=rng.randint(10, 30),
                    ventilation="none",
                    feeding="oral",
                    motor_function="sitter",
                )  # fmt: skip
            )
        sheets["labs"].append(
            dict(
                local_id=local,
                date=day,
                test="PLT",
                value=rng.randint(160, 400),
                unit="10^9/L",
                lower=150,
                upper=450,
            )  # fmt: skip
        )
        sheets["adverse_events"].append(
            dict(
                local_id=local,
                verbatim_term=rng.choice(["головная боль", "Headache", "боль в спине"]),
                coded_term="HEADACHE",
                onset_date=day,
                end_date=day,
                ctcae_grade=1,
                serious="no",
                action_taken="dose_not_changed",
                outcome="recovered",
                suspect_products="NUS-SPINRAZA",
                causality="possible",
            )  # fmt: skip
        )
        sheets["narratives"].append(
            dict(
                local_id=local,
                visit_date=day,
                language="ru",
                text=f"Пациент {fake.name()}, мать {fake.name()}, тел. {fake.phone_number()}. "
                f"{day} проведено интратекальное введение, переносимость удовлетворительная.",
            )  # fmt: skip
        )
    book = Workbook()
    book.remove(book.active)
    total = 0
    for sheet in SHEETS:
        ws = book.create_sheet(sheet)
        ws.append(sheet_columns(sheet))
        for row in sheets[sheet]:
            ws.append([row.get(c) for c in sheet_columns(sheet)])
            total += 1
    book.save(path)
    return total


# Run in a child process with PYTHONPATH set to a checkout (this one or the peer), so
# both codes export the same database: the scrubber is loaded first (as in the app),
# export ids are keyed by a fixed salt (so the two outputs can be compared byte for
# byte), and each run's seconds are printed as JSON.
EXPORT_CHILD = """
import json, sys, time
from pathlib import Path
from warehouse.export import pooled
from warehouse.export.release import ExportOptions, export_pooled
from warehouse.store.access import system_session
from warehouse.store.db import Database
db_path, key_dir, out, runs = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
pooled.default_scrub(["warm-up text"])
pooled.new_salt = lambda: (bytes(range(16)), bytes(range(16)).hex())
session = system_session(Database(db_path, key_dir=key_dir), "bench")
seconds = []
for run in range(runs):
    start = time.perf_counter()
    export_pooled(session, out / f"run{run}", ExportOptions(fmt="parquet", k=5))
    seconds.append(time.perf_counter() - start)
print(json.dumps({"seconds": seconds, "code": pooled.__file__}))
"""


def child_exports(checkout: Path, db: Database, out: Path, runs: int) -> list[float]:
    """Seconds of ``runs`` warm pooled exports (k=5) of ``db`` by the code in ``checkout``."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", EXPORT_CHILD, db.path, str(db.keys.directory), str(out), str(runs)],
        env=env,
        cwd=out.parent,  # not a checkout: the child imports from PYTHONPATH only
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if not str(result["code"]).startswith(str(checkout)):
        raise RuntimeError(f"the child ran {result['code']}, not the code in {checkout}")
    return [float(s) for s in result["seconds"]]


def same_output(first: Path, second: Path) -> list[str]:
    """Files that differ between two exports (the manifest compared without its creation
    time and code version, which differ by design)."""
    differ = []
    names = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    if names != sorted(p.relative_to(second).as_posix() for p in second.rglob("*") if p.is_file()):
        return ["(the lists of files)"]
    for name in names:
        a, b = (first / name).read_bytes(), (second / name).read_bytes()
        if name == "manifest.json":
            a_doc, b_doc = json.loads(a), json.loads(b)
            for doc in (a_doc, b_doc):
                doc.pop("created_utc"), doc.pop("code_version")
            a, b = json.dumps(a_doc).encode(), json.dumps(b_doc).encode()
        if a != b:
            differ.append(name)
    return differ


def versus_peer(peer: Path, db: Database, work: Path, runs: int) -> dict[str, Any]:
    """The peer's and this checkout's warm exports of one database, alternated (peer,
    this, peer, this ...) so load on the shared machine falls on both alike."""
    load = os.getloadavg()
    peer_s: list[float] = []
    ours_s: list[float] = []
    for run in range(runs):
        peer_s += child_exports(peer, db, work / f"peer{run}", 1)
        ours_s += child_exports(ROOT, db, work / f"ours{run}", 1)
    return {
        "peer": statistics.median(peer_s),
        "ours": statistics.median(ours_s),
        "peer_all": peer_s,
        "ours_all": ours_s,
        "differ": same_output(work / "peer0" / "run0", work / "ours0" / "run0"),
        "load": (load, os.getloadavg()),
    }


def timed(func: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - start


def counts(db: Database) -> dict[str, int]:
    with db.connect(read_only=True) as conn:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
            for t in ("subjects", "assessments", "adverse_events", "labs", "treatments")
        }


def machine() -> str:
    cpu = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    """Run the benchmark and record it."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", type=int, default=5000)
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--legacy-rows", type=int, default=10_000)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--peer",
        type=Path,
        help="a checkout (e.g. main's) whose pooled export is timed beside this one",
    )
    parser.add_argument("--peer-runs", type=int, default=3)
    parser.add_argument(
        "--only-pooled",
        action="store_true",
        help="time the pooled export only (no bundles, legacy)",
    )
    args = parser.parse_args()
    lines: list[str] = []

    def note(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db = Database(work / "bench.duckdb", key_dir=work / "keys")
        migrate(db)
        _, demo_s = timed(create_demo, db, args.base)
        _, multiply_s = timed(multiply, db, args.copies)
        size = counts(db)
        note(
            f"| warehouse | {size['subjects']:,} subjects, {size['assessments']:,} assessments, "
            f"{size['adverse_events']:,} AEs, {size['labs']:,} labs, {size['treatments']:,} "
            f"treatments | demo {args.base:,} in {demo_s:.0f} s, x{args.copies} by SQL in "
            f"{multiply_s:.0f} s |"
        )
        if args.peer:
            vs = versus_peer(args.peer.resolve(), db, work, args.peer_runs)
            (before, after) = vs["load"]
            note(
                f"| pooled export, k=5, scrubber loaded: **{args.peer.name} (peer) "
                f"{vs['peer']:.1f} s, this branch {vs['ours']:.1f} s, "
                f"peer/this {vs['peer'] / vs['ours']:.2f}x** (target < 4 s) | medians of "
                f"{args.peer_runs} runs each, alternated (peer "
                f"{', '.join(f'{s:.1f}' for s in vs['peer_all'])}; this "
                f"{', '.join(f'{s:.1f}' for s in vs['ours_all'])}); output with one id key: "
                + (
                    "byte-identical"
                    if not vs["differ"]
                    else f"DIFFERS in {', '.join(vs['differ'])}"
                )
                + f"; load {before[0]:.1f}/{before[1]:.1f} before, "
                f"{after[0]:.1f}/{after[1]:.1f} after (1/5 min) |"
            )
        if args.only_pooled:
            _record(args, lines)
            return
        load = os.getloadavg()[0]
        session = system_session(db, "bench")
        result, export_s = timed(
            export_pooled, session, work / "export", ExportOptions(fmt="parquet", k=5)
        )
        d = result.disclosure
        note(
            f"| full Parquet export, k=5, first in the process | {export_s:.1f} s | "
            f"{d['subjects_released']:,} released, {d['subjects_suppressed']:,} suppressed, "
            f"{result.excluded['excluded']:,} excluded; includes loading the scrubber for "
            f"{d['free_texts_scrubbed_on_export']} free texts not on the known-clean list; "
            f"load {load:.1f} |"
        )
        load = os.getloadavg()[0]
        _, warm_s = timed(export_pooled, session, work / "export2", ExportOptions(k=5))
        note(
            f"| full Parquet export, k=5, scrubber already loaded (as in the app) | "
            f"**{warm_s:.1f} s** (target < 10 s) | load {load:.1f} |"
        )
        load = os.getloadavg()[0]
        sdtm, sdtm_s = timed(export_pooled, session, work / "sdtm", ExportOptions(k=5, sdtm=True))
        note(f"| Parquet export with SDTM domains, k=5 | {sdtm_s:.1f} s | load {load:.1f} |")
        load = os.getloadavg()[0]
        bundle, bundle_export_s = timed(export_bundle, session, "MSK", work / "msk.zip")
        centre = Database(work / "centre.duckdb", key_dir=work / "centre-keys")
        migrate(centre)
        add_site(system_session(centre, "bench"), "MSK", "Moscow", "Moscow")
        (work / "centre-keys").mkdir(exist_ok=True)
        shutil.copy(db.keys.site_key_path("MSK"), centre.keys.site_key_path("MSK"))
        imported, bundle_import_s = timed(
            import_bundle, system_session(centre, "b"), work / "msk.zip"
        )
        rows = sum(bundle.rows.values())
        note(
            f"| bundle of site MSK ({bundle.rows['subjects']:,} subjects, {rows:,} rows, "
            f"{(work / 'msk.zip').stat().st_size / 1e6:.1f} MB) | export {bundle_export_s:.1f} s, "
            f"import into an empty centre {bundle_import_s:.1f} s | load {load:.1f} |"
        )
        _, again_s = timed(import_bundle, system_session(centre, "b"), work / "msk.zip")
        note(f"| same bundle again (idempotent, nothing written) | {again_s:.1f} s | |")
        legacy_rows = legacy_workbook(work / "legacy.xlsx", args.legacy_rows)
        load = os.getloadavg()[0]
        legacy, legacy_s = timed(import_legacy, session, work / "legacy.xlsx", "PRM")
        note(
            f"| legacy XLSX import, {legacy_rows:,} rows ({legacy.subjects:,} patients, "
            f"{legacy.texts_scrubbed:,} distinct texts scrubbed) | **{legacy_s:.1f} s** "
            f"(target < 60 s) | load {load:.1f} |"
        )
        assert sum(imported.inserted.values()) == rows
    _record(args, lines)


PEER_ROW = "| pooled export, k=5, scrubber loaded: "


def _pooled_only_section(args: argparse.Namespace, lines: list[str]) -> str:
    """The recorded section with its peer row replaced by this run's (the other rows
    stay, from the full run they name), and a note of this run's warehouse and date."""
    text = report.BENCHMARKS.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + 1)
    kept = [
        line
        for line in text[start : end if end != -1 else len(text)].rstrip("\n").splitlines()
        if not line.startswith(PEER_ROW) and not line.startswith("Peer row: ")
    ]
    at = kept.index("|---|---|---|") + 1
    rows = [line for line in lines if line.startswith(PEER_ROW)]
    warehouse = next(line for line in lines if line.startswith("| warehouse |"))
    note = (
        f"Peer row: measured {dt.date.today()} with `--peer {args.peer.name} --only-pooled` on "
        f"{args.base:,} demo subjects copied {args.copies} times ({warehouse.strip('| ')}); "
        "the other rows are from the full run above."
    )
    rest = kept[at:]
    while rest and not rest[-1].strip():
        rest.pop()
    return "\n".join([*kept[:at], *rows, *rest, "", note, ""])


def _record(args: argparse.Namespace, lines: list[str]) -> None:
    """Print the section and write it to docs/BENCHMARKS.md (unless --no-write)."""
    if args.only_pooled:
        section = _pooled_only_section(args, lines)
        if not args.no_write:
            report.write_section(SECTION, section)
        print(section)
        return
    section = "\n".join(
        [
            SECTION,
            "",
            f"Measured {dt.date.today()} on {machine()}; other agents shared the machine, so "
            "each line gives the 1-minute load average when its step started. The warehouse is "
            f"{args.base:,} demo subjects (validated and audited by `create_demo`) copied "
            f"{args.copies} times by SQL with new pseudonyms and row ids.",
            "",
            "| what | time | notes |",
            "|---|---|---|",
            *lines,
            "",
        ]
    )
    if not args.no_write:
        report.write_section(SECTION, section)
    print(section)


if __name__ == "__main__":
    main()
