"""Drill: canary identifiers typed into the app and a legacy sheet are found nowhere on disk.

A served app of its own (own database, key store, HOME and TMPDIR, network-guarded)
takes a new subject, an adverse event and a narrative holding canary identifiers (a
patient's name, local id, phone, SNILS with a valid checksum, e-mail, address and
birth date), typed in Chromium, and the same identifiers in the subject page's
linkage form (keyed into tokens, never stored); then the CLI, with the same HOME and TMPDIR, writes
a pooled export and a site bundle and imports a legacy sheet with canaries in its
cells (identifier columns included) and runs record linkage with its CSV. Every byte
the server, the CLI and the drill left behind is then searched:
the DuckDB file and WAL (raw, and every stored value read back), a snapshot taken
while the server ran, the key store, the server's and the CLI's output, the export,
the bundle (each member unzipped and each Parquet table read back), HOME (with
~/.streamlit and ~/.cache) and TMPDIR. Each canary is searched in UTF-8, UTF-16-LE
and UTF-16-BE, as typed, upper- and lower-case, plus the local ids normalised and
digits-only forms. Zero hits; a positive control shows the same scan finds canaries
that are there (the legacy source sheet, and planted files in each encoding).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import os
import secrets
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from anonymise.pseudonym import normalise_local_id
from anonymise.recognizers.snils import snils_is_valid
from tests.app_helpers import DEMO_PASSWORD
from tests.browser.test_full_case import _nav, _new_case, _no_exception
from tests.browser.wizard import settle, type_date
from tests.conftest import choose_option, serve_app, sign_in_browser
from tests.drills.report import report
from tests.exchange.test_legacy_import import patient, workbook
from tests.warehouse_fixtures import make_case, make_db, site_user
from warehouse.store.access import system_session
from warehouse.store.admin import add_user
from warehouse.store.cases import save_case

pytestmark = [pytest.mark.drill, pytest.mark.browser]

TIMEOUT = 60_000
SCRUB_TIMEOUT = 180_000  # the first scrub loads the NER models
CLI_TIMEOUT = 300
RUN = secrets.token_hex(3).upper()


def _snils(body: str) -> str:
    total = sum(int(d) * w for d, w in zip(body, range(9, 0, -1), strict=True))
    while total > 101:
        total %= 101
    return f"{body[:3]}-{body[3:6]}-{body[6:]} {0 if total in (100, 101) else total:02d}"


SURNAME, GIVEN = "Кварцева", "Ульяна Дементьевна"
CANARIES = {
    "name": f"{SURNAME} {GIVEN}",
    "local id": f"CNRY-{RUN}-lq 7",
    "phone": "+7 917 482-39-16",
    "snils": _snils("318504727"),
    "email": "u.kvartseva.cnry@example.ru",
    "address": "ул. Канареечная, д. 17, кв. 93",
    "birth date": "14.03.2019",
}
LEGACY = {
    "legacy local id": f"CNRY-LEG-{RUN}",
    "legacy name": "Зябликова Ефросинья Карповна",
    "legacy phone": "+7 913 706-28-54",
    "legacy birth date": "21.07.2020",  # an identifier column, for linkage tokens only
}
VERBATIM = f"Головная боль; сообщила мать, {CANARIES['name']}, тел. {CANARIES['phone']}"
NARRATIVE = (
    f"Пациентка {CANARIES['name']}, дата рождения {CANARIES['birth date']}, проживает по "
    f"адресу г. Казань, {CANARIES['address']}. СНИЛС {CANARIES['snils']}. Мать просит "
    f"звонить по телефону {CANARIES['phone']} или писать на {CANARIES['email']}. После "
    "первой интратекальной инъекции нусинерсена отмечена головная боль 2 степени, "
    "купирована парацетамолом. Состояние стабильное, дыхание самостоятельное."
)


def _fragments() -> dict[str, str]:
    """Parts of the canaries that are identifying on their own."""
    digits = {k: "".join(ch for ch in v if ch.isdigit()) for k, v in CANARIES.items()}
    return {
        "surname": SURNAME,
        "given names": GIVEN,
        "phone digits": digits["phone"],
        "phone local part": "482-39-16",
        "snils digits": digits["snils"],
        "email user": "u.kvartseva.cnry",
        "street": "Канареечная",
        "legacy surname": LEGACY["legacy name"].split()[0],
        "legacy phone digits": "".join(ch for ch in LEGACY["legacy phone"] if ch.isdigit()),
    }


def needles() -> dict[bytes, str]:
    """Every byte form searched, mapped to the canary it comes from."""
    texts = {**CANARIES, **LEGACY, **_fragments()}
    for key in ("local id", "legacy local id"):
        texts[f"{key} (normalised)"] = normalise_local_id(texts[key])
    out: dict[bytes, str] = {}
    for name, value in texts.items():
        for form in {value, value.upper(), value.lower()}:
            for codec in ("utf-8", "utf-16-le", "utf-16-be"):
                out.setdefault(form.encode(codec), name)
    return out


# --- the scanner --------------------------------------------------------------------


@dataclass
class Scan:
    """What a scan read and found."""

    files: int = 0
    raw_bytes: int = 0
    decoded_bytes: int = 0  # unzipped members, Parquet cells, DuckDB values
    hits: list[tuple[str, str]] = field(default_factory=list)  # (where, canary)

    def search(self, where: str, data: bytes, table: dict[bytes, str]) -> None:
        self.hits += [(where, name) for needle, name in table.items() if needle in data]


def _parquet_text(data: bytes) -> bytes:
    return repr(pq.read_table(io.BytesIO(data)).to_pylist()).encode("utf-8")


def _duckdb_text(path: Path, scratch: Path) -> bytes:
    """Every value of every table, read back (strings may be compressed on disk)."""
    scratch.mkdir(parents=True, exist_ok=True)
    copy = scratch / path.name
    shutil.copyfile(path, copy)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, scratch / wal.name)
    conn = duckdb.connect(str(copy), read_only=True)
    try:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
        ).fetchall()
        rows = [conn.execute(f'SELECT * FROM "{s}"."{t}"').fetchall() for s, t in tables]
    finally:
        conn.close()
    return repr(rows).encode("utf-8")


def _decoded(name: str, data: bytes, scratch: Path) -> Iterator[tuple[str, bytes]]:
    """The readable forms hidden inside a file: zip members, Parquet cells, DuckDB values,
    and XML text with its character references resolved (openpyxl writes non-ASCII
    text in xlsx members as ``&#1048;...`` when lxml is installed)."""
    if b"&#" in data and data.lstrip()[:1] == b"<":
        yield f"{name} (XML text)", html.unescape(data.decode("utf-8", "replace")).encode("utf-8")
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                inner = archive.read(member)
                yield f"{name}!{member}", inner
                yield from _decoded(f"{name}!{member}", inner, scratch)
    elif data[:4] == b"PAR1":
        yield f"{name} (cells)", _parquet_text(data)


def scan(roots: list[Path], table: dict[bytes, str], scratch: Path) -> Scan:
    """Search every file under ``roots`` (and what it contains) for ``table``'s needles."""
    result = Scan()
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            data = path.read_bytes()
            result.files += 1
            result.raw_bytes += len(data)
            result.search(str(path), data, table)
            inner = list(_decoded(str(path), data, scratch))
            if path.suffix == ".duckdb":
                inner.append((f"{path} (values)", _duckdb_text(path, scratch / path.parent.name)))
            for where, content in inner:
                result.decoded_bytes += len(content)
                result.search(where, content, table)
    return result


# --- the flow -----------------------------------------------------------------------


@dataclass
class Layout:
    """The drill's directories: everything but ``source`` is scanned."""

    root: Path

    def __post_init__(self) -> None:
        for name in ("db", "home", "tmp", "logs", "out", "snapshot", "source", "scratch"):
            (self.root / name).mkdir(parents=True, exist_ok=True)

    def __getattr__(self, name: str) -> Path:
        return self.root / name

    @property
    def scanned(self) -> list[Path]:
        return [self.root / n for n in ("db", "home", "tmp", "logs", "out", "snapshot")]

    @property
    def env(self) -> dict[str, str]:
        return {"HOME": str(self.home), "TMPDIR": str(self.tmp), "TEMP": str(self.tmp)}


def _cli(layout: Layout, name: str, *args: str) -> None:
    """Run ``caseguard`` with the drill's HOME and TMPDIR; keep its output for the scan."""
    caseguard = str(Path(sys.executable).parent / "caseguard")
    env = {**os.environ, **layout.env, "CASEGUARD_KEY_DIR": str(layout.db / "keys")}
    env.pop("CASEGUARD_DB", None)
    done = subprocess.run(  # noqa: S603
        [caseguard, *args],
        capture_output=True,
        timeout=CLI_TIMEOUT,
        env=env,
        check=False,
    )
    (layout.logs / f"cli-{name}.out").write_bytes(done.stdout)
    (layout.logs / f"cli-{name}.err").write_bytes(done.stderr)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-2000:]


def _adverse_event(page: Any, subject_id: str) -> None:
    _nav(page, "Adverse events", "Adverse event report")
    page.get_by_text(f"Subject {subject_id}").first.wait_for(state="visible", timeout=TIMEOUT)
    choose_option(page, "Adverse event term", "Headache")
    verbatim = page.get_by_label("Verbatim term (as reported)", exact=True)
    verbatim.fill(VERBATIM)
    verbatim.press("Control+Enter")
    type_date(page, "Onset date", dt.date.today())
    choose_option(page, "CTCAE grade", "Grade 2 - moderate")
    choose_option(page, "Action taken with the product", "Dose not changed")
    choose_option(page, "Outcome", "Recovering / resolving")
    settle(page)
    page.get_by_role("button", name="Save adverse event").click()
    page.get_by_text(f"Adverse event saved for subject {subject_id}").wait_for(
        state="visible", timeout=SCRUB_TIMEOUT
    )
    _no_exception(page)


def _narrative(page: Any, subject_id: str) -> None:
    _nav(page, "Narrative", "Case narrative")
    page.get_by_text(f"Subject: {subject_id}").wait_for(state="visible", timeout=TIMEOUT)
    page.get_by_role("textbox", name="Narrative (free text)").fill(NARRATIVE)
    page.keyboard.press("Control+Enter")
    settle(page)
    page.get_by_role("button", name="Preview scrubbed text").click()
    page.get_by_text("Scrubbed text (this is what will be saved)").wait_for(
        state="visible", timeout=SCRUB_TIMEOUT
    )
    page.get_by_role("button", name="Save scrubbed narrative").click()
    page.get_by_text("Saved the scrubbed narrative").wait_for(state="visible", timeout=TIMEOUT)
    _no_exception(page)


def _linkage_identifiers(page: Any) -> None:
    """The subject page's linkage form, with the canaries (keyed, never stored)."""
    page.get_by_text("Identifiers for record linkage").click()
    given, patronymic = GIVEN.split()
    page.get_by_label("Surname", exact=True).fill(SURNAME)
    page.get_by_label("Given name", exact=True).fill(given)
    page.get_by_label("Patronymic", exact=True).fill(patronymic)
    born = dt.datetime.strptime(CANARIES["birth date"], "%d.%m.%Y").date()
    type_date(page, "Date of birth", born)
    page.get_by_label("SNILS (if known)", exact=True).fill(CANARIES["snils"])
    page.get_by_role("button", name="Make linkage tokens").click()
    page.get_by_text("Linkage tokens stored for").wait_for(state="visible", timeout=TIMEOUT)
    _no_exception(page)


def _legacy_sheet(layout: Layout) -> Path:
    rows = patient(LEGACY["legacy local id"])
    name, phone = LEGACY["legacy name"], LEGACY["legacy phone"]
    surname, given, patronymic = name.split()
    rows["subjects"][0].update(
        surname=surname,
        given_name=given,
        patronymic=patronymic,
        birth_date=LEGACY["legacy birth date"],
    )
    rows["adverse_events"][0]["verbatim_term"] = f"головная боль, со слов матери {name}"
    rows["narratives"][0]["text"] = f"Пациентка {name}, тел. {phone}, жалобы на головную боль."
    return workbook(layout.source / "legacy.xlsx", rows)


def _server_flow(layout: Layout, guard_dir: Path, browser: Any) -> None:
    db_path = layout.db / "warehouse.duckdb"
    with serve_app(
        db_path, layout.db / "keys", layout.logs / "serve.log", guard_dir, layout.env
    ) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        try:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT)
            sign_in_browser(page, url, "msk_neuro")
            subject_id = _new_case(page, CANARIES["local id"], dt.date.today())
            _linkage_identifiers(page)
            _adverse_event(page, subject_id)
            _narrative(page, subject_id)
        except Exception:
            page.screenshot(path=str(layout.root / "failure.png"), full_page=True)
            raise
        finally:
            context.close()
        shutil.copytree(layout.db, layout.snapshot / "db-while-serving")
        _cli(
            layout,
            "export",
            "export",
            "--db",
            str(db_path),
            "--out",
            str(layout.out / "export"),
            "--k",
            "1",
            "--format",
            "csv",
            "--sdtm",
        )
        _cli(
            layout,
            "bundle",
            "bundle",
            "export",
            "--db",
            str(db_path),
            "--site",
            "MSK",
            "--out",
            str(layout.out / "msk-bundle.zip"),
        )
        _cli(
            layout,
            "import",
            "import",
            "--db",
            str(db_path),
            "--site",
            "MSK",
            str(_legacy_sheet(layout)),
        )
        _cli(
            layout,
            "linkage",
            "linkage",
            "run",
            "--db",
            str(db_path),
            "--out",
            str(layout.out / "pairs.csv"),
        )


@pytest.fixture(scope="module")
def leak_run(
    tmp_path_factory: pytest.TempPathFactory, net_guard_dir: Path, chromium_browser: Any
) -> tuple[Layout, Scan]:
    """The whole flow, then the scan of everything it left behind."""
    layout = Layout(tmp_path_factory.mktemp("leak"))
    db = make_db(layout.db / "warehouse.duckdb", layout.db / "keys")
    db.keys.create_linkage_key()  # the site's; a real coordinator's warehouse has none
    add_user(system_session(db, "drill-setup"), "msk_neuro", DEMO_PASSWORD, "site_user", "MSK")
    # an ordinary treated patient: an SDTM export of untreated subjects only fails (below)
    save_case(site_user(db, "MSK"), make_case(db, "MSK", "ORDINARY-PATIENT-1"))
    _server_flow(layout, net_guard_dir, chromium_browser)
    return layout, scan(layout.scanned, needles(), layout.scratch)


def test_canaries_are_valid_and_distinct() -> None:
    assert snils_is_valid(CANARIES["snils"])
    assert len(set(needles())) > 10 * len(CANARIES)


def test_no_canary_anywhere_on_disk(leak_run: tuple[Layout, Scan]) -> None:
    layout, result = leak_run
    assert (layout.out / "export" / "manifest.json").is_file()
    assert (layout.out / "msk-bundle.zip").is_file()
    assert result.files >= 20 and result.raw_bytes > 100_000
    assert result.hits == [], sorted({name for _, name in result.hits})
    report(
        "Leak scan",
        {
            "canaries": len(CANARIES) + len(LEGACY),
            "byte forms searched": len(needles()),
            "files scanned": result.files,
            "bytes scanned (raw)": result.raw_bytes,
            "bytes scanned (unzipped, Parquet cells, DuckDB values)": result.decoded_bytes,
            "hits": len(result.hits),
        },
        "Typed in Chromium (new subject, AE verbatim, narrative) and imported from a legacy "
        "sheet by the CLI, which also wrote a pooled export and a site bundle; searched in "
        "the database, WAL, a snapshot taken while serving, keys, server and CLI output, "
        "export, bundle, HOME and TMPDIR.",
    )


def test_the_scan_finds_canaries_that_are_there(leak_run: tuple[Layout, Scan]) -> None:
    """Positive control: the legacy source sheet (an xlsx: zipped XML) and planted files
    in each encoding, inside a zip, in a Parquet table and in a DuckDB file are found."""
    layout, _ = leak_run
    control = layout.root / "control"
    control.mkdir(exist_ok=True)
    shutil.copy(layout.source / "legacy.xlsx", control / "legacy.xlsx")
    (control / "utf16be.txt").write_bytes(CANARIES["email"].upper().encode("utf-16-be"))
    (control / "utf16le.log").write_bytes(f"x {CANARIES['snils']} y".encode("utf-16-le"))
    local = normalise_local_id(CANARIES["local id"])
    table = pa.table({"note": [f"id {local}"]})
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy")
    (control / "cells.parquet").write_bytes(sink.getvalue())
    with zipfile.ZipFile(control / "packed.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inner/cells.parquet", sink.getvalue())
        archive.writestr("note.txt", CANARIES["address"] * 3)
    conn = duckdb.connect(str(control / "c.duckdb"))  # strings may be compressed on disk
    conn.execute("CREATE TABLE t AS SELECT ? || range AS v FROM range(2000)", [CANARIES["phone"]])
    conn.close()
    found = scan([control], needles(), layout.scratch / "control")
    places = {(Path(w.split("!")[0].split(" (")[0]).name, name) for w, name in found.hits}
    assert ("c.duckdb", "phone") in places
    assert ("legacy.xlsx", "legacy name") in places
    assert ("legacy.xlsx", "legacy local id") in places
    assert ("utf16be.txt", "email") in places
    assert ("utf16le.log", "snils") in places
    assert ("cells.parquet", "local id (normalised)") in places
    assert ("packed.zip", "local id (normalised)") in places
    assert ("packed.zip", "address") in places
