"""Drill 1 of issue 7: many users saving at once while the coordinator exports.

The app serves every browser session as a thread of one process, so 20 threads
play 20 site users of both centres, each clicking through what the pages call:
the new-case wizard (``open_subject``, ``check_steps``, ``build_case``,
``save_case``), then a visit (``subject_visits``, ``save_visit``) or an adverse
event (``suspect_products``, ``scrub_verbatim``, ``save_ae``) for one of their own
subjects. A coordinator thread runs ``export_pooled`` over and over meanwhile, and
in the full run a ``caseguard export`` process runs beside them. Afterwards every
save a user was told succeeded is stored exactly once, nothing of a failed save is,
no user saw an error, the audit log verifies with one insert entry per stored row,
and each export verifies and holds only whole subjects saved before it read them.
Visit dates and event onsets are distinct per subject, so each save's rows can be
told apart from every other's.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from anonymise import scrub_text, warm_up
from schemas import CLINICAL_TABLES
from tests.drills.report import report
from tests.drills.scale import FULL, seconds, size
from tests.processes import CLI, child_env, spawn
from tests.warehouse_fixtures import make_case, make_db
from warehouse.capture import case_entry as ce
from warehouse.capture.ae_entry import AEInput, save_ae, scrub_verbatim, suspect_products
from warehouse.capture.subjects_lookup import OpenSubject, open_subject
from warehouse.capture.visit_entry import LabInput, VisitInput, save_visit, scales_for
from warehouse.capture.visit_history import subject_visits
from warehouse.export import pooled
from warehouse.export.release import ExportOptions, export_pooled, verify_export
from warehouse.export.writers import read_frame
from warehouse.review.checks_behind import checks_behind, wait_until_checked
from warehouse.store.access import Session, system_session
from warehouse.store.audit import verify
from warehouse.store.cases import list_subjects, save_case, save_cases
from warehouse.store.db import Database
from warehouse.store.frames import key_of, select
from warehouse.store.held import served_turns

pytestmark = pytest.mark.drill

USERS = 20
DURATION = seconds(8, 60)
EXISTING = size(200, 500)  # cases stored before the users start, so exports have work
SALT = bytes(range(16))  # fixed export salt: exported ids can be mapped back to subjects
OPTIONS = ExportOptions(k=1)  # k=1 suppresses nobody: an export holds every eligible subject
BASE = dt.date(2022, 1, 10)  # real index date of every drill subject
FOLLOW_UP_FROM = dt.date(2022, 2, 1)  # first real visit date / onset; one day later each
CLI_TIMEOUT = 240
ONSET = {"1a": 0.5, "1b": 2.0, "1c": 4.0}  # subtype: an age at onset (months) that fits it
NOTES = (
    "Save latency runs from the click to the answer: the wizard's last check and "
    "`save_case`, `save_visit`, or scrubbing the verbatim and `save_ae`. The users are "
    "threads of one process, as Streamlit serves sessions; a coordinator thread exports "
    "in a loop and one `caseguard export` process runs beside them."
)


@dataclass
class Save:
    """One click on a Save button and what the user was told."""

    kind: str  # "case", "visit" or "ae"
    subject: OpenSubject
    marker: dt.date | None  # stored (shifted) visit date or onset that identifies the rows
    pooled: bool
    started: float
    ended: float = 0.0
    ok: bool = False


@dataclass
class ExportRun:
    """One coordinator export: when it was called, when it had read the subjects."""

    out_dir: Path
    called: float
    read_done: float = 0.0
    ok: bool = False


@dataclass
class Log:
    """What every thread did and every exception a user (or the coordinator) got."""

    saves: list[Save] = field(default_factory=list)
    exports: list[ExportRun] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, item: Save | ExportRun) -> None:
        with self.lock:
            (self.saves if isinstance(item, Save) else self.exports).append(item)

    def error(self, who: str, exc: BaseException) -> None:
        with self.lock:
            self.errors.append(f"{who}: {type(exc).__name__}: {str(exc)[:300]}")


def _values(rng: random.Random, pooled_consent: bool) -> dict[str, Any]:
    """The wizard's form values, as a user fills them in."""
    values = ce.default_values(dt.date.today())
    subtype = rng.choice(list(ONSET))
    values.update(
        processing=True,
        pooled_research=pooled_consent,
        signed_by="legal_representative",
        signed_date=BASE,
        sex=rng.choice(["female", "male"]),
        birth_year=2021,
        age_at_onset_months=ONSET[subtype],
        index_date=BASE,
        age_at_index_months=8.0,
        disease="SMA5Q",
        disease_subtype=subtype,
        genetics={"smn1_status": "homozygous_deletion", "smn2_copies": rng.choice(["2", "3"])},
        visit_date=BASE,
        scale="CHOP-INTEND",
        score=float(rng.randint(10, 60)),
        ventilation="none",
        feeding="oral",
        motor_function="non_sitter",
    )
    return values


def _shifted(subject: OpenSubject, real: dt.date) -> dt.date:
    return real + dt.timedelta(days=subject.date_shift_days)


def _new_case(session: Session, local_id: str, rng: random.Random, log: Log) -> OpenSubject:
    """The subject page: look the patient up, fill the wizard, press Save."""
    subject = open_subject(session, local_id)
    assert not subject.exists, "a drill patient was already known"
    values = _values(rng, pooled_consent=rng.random() < 0.8)
    save = Save("case", subject, None, values["pooled_research"], time.monotonic())
    log.add(save)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    case, problems = ce.checked_case(subject, values, len(ce.STEPS) - 1, session.username, now)
    assert not problems, f"the driver filled the wizard wrongly: {problems[:3]}"
    save_case(session, case)
    save.ended, save.ok = time.monotonic(), True
    return subject


def _visit(session: Session, subject: OpenSubject, real: dt.date, log: Log) -> None:
    """The visits page: load the history, enter a score and a lab, press Save."""
    scale = scales_for(subject_visits(session, subject).disease)[1].code
    visit = VisitInput(
        real, {scale: 30.0}, "none", None, "oral", "sitter", (LabInput("ALT", 25.0, 0.0, 40.0),)
    )
    save = Save("visit", subject, _shifted(subject, real), False, time.monotonic())
    log.add(save)
    save_visit(session, subject, visit)
    save.ended, save.ok = time.monotonic(), True


def _event(session: Session, subject: OpenSubject, real: dt.date, log: Log) -> None:
    """The adverse-events page: load the suspect products, report an event, press Save."""
    products = suspect_products(session, subject.subject_id)
    ae = AEInput(
        "HEADACHE",
        "headache the evening after the visit",
        real,
        None,
        1,
        (),
        "not_applicable",
        "recovering",
        {p: "possible" for p in products},
    )
    save = Save("ae", subject, _shifted(subject, real), False, time.monotonic())
    log.add(save)
    save_ae(session, subject, ae, scrub_verbatim(subject, ae))
    save.ended, save.ok = time.monotonic(), True


def _user(db: Database, site: str, number: int, stop_at: float, log: Log) -> None:
    """One site user's session: a new case, then a visit or an event, until time is up."""
    session = Session(db, f"{site.lower()}_drill{number:02d}", "site_user", site)
    rng = random.Random(number)
    mine: list[OpenSubject] = []
    entered: Counter[tuple[str, str]] = Counter()  # visits / events per subject so far
    step = 0
    while step < 2 or time.monotonic() < stop_at:  # at least one case and one follow-up
        try:
            if step % 2 == 0 or not mine:
                mine.append(_new_case(session, f"DRILL-{site}-{number:02d}-{step:05d}", rng, log))
            else:
                subject = rng.choice(mine)
                kind = ("visit", "ae")[(step // 2 + number) % 2]  # users start with either
                real = FOLLOW_UP_FROM + dt.timedelta(days=entered[kind, subject.subject_id])
                entered[kind, subject.subject_id] += 1
                (_visit if kind == "visit" else _event)(session, subject, real, log)
        except Exception as exc:  # noqa: BLE001 - every error a user would see is collected
            log.error(session.username, exc)
        step += 1


def _coordinator(db: Database, root: Path, stop_at: float, log: Log) -> None:
    """The coordinator exporting again and again while the users save."""
    session = Session(db, "coord", "coordinator", None)
    while not log.exports or time.monotonic() < stop_at:  # at least one export
        run = ExportRun(root / f"export-{len(log.exports):03d}", time.monotonic())

        def progress(stage: str, done: int, total: int, run: ExportRun = run) -> None:
            if stage == "read" and done == 1:
                run.read_done = time.monotonic()

        log.add(run)
        try:
            export_pooled(session, run.out_dir, OPTIONS, progress)
            run.ok = True
        except Exception as exc:  # noqa: BLE001 - collected and asserted on
            log.error("coordinator", exc)


def _start_cli(db: Database, out_dir: Path) -> subprocess.Popen[str]:
    """``caseguard export`` in its own process, as the coordinator runs it by hand."""
    args = ["export", "--db", db.path, "--out", out_dir, "--k", "1"]
    return spawn(CLI, *args, env=child_env(CASEGUARD_KEY_DIR=str(db.keys.directory)))


def _warehouse(tmp_path: Path) -> tuple[Database, set[str]]:
    """Both centres with EXISTING stored cases; opened as the app opens it."""
    setup = make_db(tmp_path / "warehouse.duckdb", tmp_path / "keys")
    cases = [make_case(setup, ("MSK", "PRM")[i % 2], f"PRE-{i:05d}") for i in range(EXISTING)]
    save_cases(system_session(setup, "drill-setup"), cases)
    existing = {str(case.subject["subject_id"]) for case in cases}
    return Database(setup.path, key_dir=setup.keys.directory, keep_open=True), existing


def _run(db: Database, tmp_path: Path) -> tuple[Log, float, dict[str, Any]]:
    """20 users and the coordinator for DURATION seconds (plus the CLI in a full run)."""
    warm_up()  # as the served app does when it starts (warehouse/ui/app_state.py)
    log = Log()
    stop_at = time.monotonic() + DURATION
    workers = [
        threading.Thread(target=_user, args=(db, site, n, stop_at, log), daemon=True)
        for n, site in enumerate(("MSK", "PRM") * (USERS // 2))
    ]
    exports = tmp_path / "exports"
    workers.append(
        threading.Thread(target=_coordinator, args=(db, exports, stop_at, log), daemon=True)
    )
    started = time.monotonic()
    cli = _start_cli(db, tmp_path / "cli-export") if FULL else None
    with checks_behind(), served_turns():  # as in the served app
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=max(0.0, stop_at - time.monotonic()) + 120)
        assert not any(w.is_alive() for w in workers), "a user or the coordinator hung"
        assert wait_until_checked(timeout=120), "the soft checks fell behind for good"
    elapsed = time.monotonic() - started  # the checks still queued at the end included
    outcome: dict[str, Any] = {}
    if cli is not None:
        try:
            out, err = cli.communicate(timeout=CLI_TIMEOUT)
        finally:
            if cli.poll() is None:
                cli.kill()
                cli.communicate()
        outcome = {"returncode": cli.returncode, "stdout": out, "stderr": err}
        outcome.update(started=started, ended=time.monotonic(), out_dir=tmp_path / "cli-export")
    return log, elapsed, outcome


def _stored(db: Database) -> dict[str, list[dict[str, Any]]]:
    with db.connect(read_only=True) as conn:
        return {table: select(conn, table, "TRUE", []) for table in CLINICAL_TABLES}


def _check_saves(
    saves: list[Save], rows: dict[str, list[dict[str, Any]]], existing: set[str]
) -> None:
    """Each save the user saw succeed is stored once; nothing of a failed one is."""
    ok = [s for s in saves if s.ok]
    cases = Counter(existing) + Counter(s.subject.subject_id for s in ok if s.kind == "case")
    assert Counter(r["subject_id"] for r in rows["subjects"]) == cases
    assert Counter(r["subject_id"] for r in rows["consents"]) == cases
    drill = {s.subject.subject_id for s in saves}
    expected = {
        "assessments": [
            (s.subject.subject_id, _shifted(s.subject, BASE)) for s in ok if s.kind == "case"
        ]
        + [(s.subject.subject_id, s.marker) for s in ok if s.kind == "visit"],
        "labs": [(s.subject.subject_id, s.marker) for s in ok if s.kind == "visit"],
        "adverse_events": [(s.subject.subject_id, s.marker) for s in ok if s.kind == "ae"],
    }
    dates = {"assessments": "visit_date", "labs": "date", "adverse_events": "onset_date"}
    for table, wanted in expected.items():
        found = Counter(
            (r["subject_id"], r[dates[table]]) for r in rows[table] if r["subject_id"] in drill
        )
        assert found == Counter(wanted), f"{table}: stored rows differ from the saves"
    for table, table_rows in rows.items():
        keys = Counter(key_of(table, r) for r in table_rows)
        assert max(keys.values(), default=1) == 1, f"a {table} row id is stored twice"


def _check_audit(db: Database, rows: dict[str, list[dict[str, Any]]]) -> None:
    """The chain verifies and holds exactly one insert entry per stored clinical row."""
    verify(db)
    with db.connect(read_only=True) as conn:
        logged = conn.execute(
            "SELECT table_name, row_key FROM audit_log WHERE action = 'insert'"
        ).fetchall()
    inserts = Counter((t, k) for t, k in logged if t in CLINICAL_TABLES)
    stored = Counter((t, key_of(t, r)) for t, table_rows in rows.items() for r in table_rows)
    assert inserts == stored, "audit insert entries differ from the stored rows"


def _whole_subjects(out_dir: Path) -> set[str]:
    """An export's subject ids, after checking its files and that no subject is half there."""
    assert verify_export(out_dir) == [], "an export does not match its manifest"
    ids = {
        t: set(read_frame(out_dir / f"{t}.parquet")["subject_id"]) for t in pooled.EXPORT_TABLES[:4]
    }
    subjects = ids["subjects"]
    assert ids["consents"] == subjects, "an exported subject lacks its consent (half saved)"
    assert subjects <= ids["assessments"], "an exported subject lacks its baseline (half saved)"
    return subjects


def _pooled_cases(
    saves: list[Save], existing: set[str], *, saved: float, started: float
) -> set[str]:
    """Subjects an export may hold: the existing ones and the new cases with pooled consent
    whose save returned before ``saved`` and began before ``started``."""
    new = {
        s.subject.subject_id
        for s in saves
        if s.kind == "case" and s.pooled and s.started < started and (s.ended < saved and s.ok)
    }
    return existing | new


def _export_ids(subject_ids: set[str]) -> set[str]:
    return set(pooled.export_ids(pd.Series(sorted(subject_ids)), SALT, "S"))


def _check_exports(log: Log, existing: set[str]) -> None:
    """Each export holds every subject saved before it started and none saved after it read."""
    for run in log.exports:
        if not run.ok:
            continue
        exported = _whole_subjects(run.out_dir)
        must = _pooled_cases(log.saves, existing, saved=run.called, started=run.called)
        may = _pooled_cases(log.saves, existing, saved=math.inf, started=run.read_done)
        assert _export_ids(must) <= exported, "an export missed a subject saved before it started"
        assert exported <= _export_ids(may), "an export holds a subject saved after it read"


def _check_cli(cli: dict[str, Any], log: Log, existing: set[str]) -> None:
    """The ``caseguard export`` process waited its turn and wrote a whole, verified export."""
    assert cli["returncode"] == 0, cli["stderr"][-2000:]
    for sign in ("Database busy", "lock", "Traceback"):
        assert sign not in cli["stderr"], cli["stderr"][-2000:]
    exported = _whole_subjects(cli["out_dir"])
    must = _pooled_cases(log.saves, existing, saved=cli["started"], started=cli["started"])
    may = _pooled_cases(log.saves, existing, saved=math.inf, started=cli["ended"])
    assert len(must) <= len(exported) <= len(may)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def test_twenty_users_save_while_the_coordinator_exports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, existing = _warehouse(tmp_path)
    monkeypatch.setattr(pooled, "new_salt", lambda: (SALT, SALT.hex()))
    scrub_text("warm up the scrubber before the clock starts", None, 0)
    log, elapsed, cli = _run(db, tmp_path)

    ok = [s for s in log.saves if s.ok]
    latency = [1000 * (s.ended - s.started) for s in ok]
    kinds = Counter(s.kind for s in ok)
    exports = sum(run.ok for run in log.exports) + (cli.get("returncode") == 0)
    report(
        "Concurrent use",
        {
            "users": USERS,
            "seconds": f"{elapsed:.1f}",
            "saves": f"{len(ok)} ({kinds['case']} cases, {kinds['visit']} visits, "
            f"{kinds['ae']} adverse events)",
            "saves/second": f"{len(ok) / elapsed:.1f}",
            "p50 save latency (ms)": f"{_percentile(latency, 0.50):.0f}",
            "p95 save latency (ms)": f"{_percentile(latency, 0.95):.0f}",
            "exports completed": exports,
            "errors surfaced to users": len(log.errors),
        },
        notes=NOTES,
    )
    assert log.errors == [], "\n".join(log.errors[:10])
    assert kinds["case"] >= USERS and min(kinds["visit"], kinds["ae"]) >= USERS // 2
    assert any(run.ok for run in log.exports), "no export finished during the run"
    rows = _stored(db)
    _check_saves(log.saves, rows, existing)
    _check_audit(db, rows)
    _check_exports(log, existing)
    if cli:
        _check_cli(cli, log, existing)


def _in_thread(work: Any, errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_reader_does_not_wait_for_a_writer_of_the_same_process(tmp_path: Path) -> None:
    """A page reading while another session's save is in its transaction gets its answer."""
    db = make_db(tmp_path / "w.duckdb", tmp_path / "keys")
    inside, finish, errors = threading.Event(), threading.Event(), []

    def save() -> None:
        with db.transaction():
            inside.set()
            assert finish.wait(30)

    writer = _in_thread(save, errors)
    assert inside.wait(30)
    reader = _in_thread(lambda: list_subjects(Session(db, "coord", "coordinator")), errors)
    reader.join(30)
    finish.set()
    writer.join(30)
    assert not reader.is_alive() and not writer.is_alive()
    assert errors == []


def test_a_writer_waits_for_a_reader_of_the_same_process(tmp_path: Path) -> None:
    """A save started while another session reads is stored once the read ends, not refused."""
    db = make_db(tmp_path / "w.duckdb", tmp_path / "keys")
    opened, errors = threading.Event(), []

    def read() -> None:
        with db.connect(read_only=True):
            opened.set()
            time.sleep(1.5)  # a slow page holding its read connection (not a sync)

    reader = _in_thread(read, errors)
    assert opened.wait(30)
    case = make_case(db, "MSK", "WAITS-001")
    writer = _in_thread(
        lambda: save_case(Session(db, "msk_neuro", "site_user", "MSK"), case), errors
    )
    for thread in (reader, writer):
        thread.join(60)
    assert errors == []
    assert list(list_subjects(Session(db, "coord", "coordinator"))["subject_id"]) == [
        case.subject["subject_id"]
    ]
