"""Drill: hostile import files, spreadsheet exports of what they stored, hostile bundles.

Legacy spreadsheets (CSV and XLSX) with hostile cells, wrong types, 1 MB cells,
invalid UTF-8, formula injection, empty, garbage and truncated files, very many
rows and wrong sheet names are either refused with an error report naming sheet,
row and column (or one clear message) and change nothing, or stored safely. A
pooled CSV and XLSX export of everything stored then holds no cell a spreadsheet
would run as a formula. Site bundles mutated at random (flipped bytes, truncation,
members replaced, manifest edited, a huge member), re-sealed or not, are refused
with a clear message and change nothing.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import itertools
import json
import re
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from schemas.errors import CaseguardError, ValidationFailed
from tests.drills.report import report
from tests.drills.scale import seconds, size
from tests.drills.test_hostile_forms import FORMULAS, case_figures, hostile_text, readable
from tests.exchange.test_legacy_import import csv_file, patient, workbook
from tests.warehouse_fixtures import (
    audit_count,
    coordinator,
    enrol,
    make_case,
    make_db,
    site_user,
    table_counts,
)
from warehouse.exchange import bundles
from warehouse.exchange.bundles import BundleRejected, export_bundle, import_bundle
from warehouse.exchange.legacy_import import LegacyImportFailed, import_legacy
from warehouse.exchange.legacy_sheets import REPORT_COLUMNS, SHEETS, sheet_columns
from warehouse.export.release import ExportOptions, export_pooled
from warehouse.export.writers import FORMULA_STARTS
from warehouse.store.cases import save_case
from warehouse.store.db import Database

pytestmark = pytest.mark.drill

TALLY: Counter[str] = Counter()
COUNTER = itertools.count(1)
HYPOTHESIS = settings(
    max_examples=size(6, 300),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


@pytest.fixture(scope="module", autouse=True)
def _figures() -> Iterator[None]:
    TALLY.clear()
    yield
    figures = case_figures(TALLY)
    figures["formula cells in exports"] = TALLY["formula cells"]
    figures["export cells checked"] = TALLY["export cells"]
    report("Hostile input: files and bundles", figures)


def clear(exc: CaseguardError) -> bool:
    """One line a user can act on: no traceback, no repr (an exception's class name
    without its text is how the product avoids quoting a cell, and is allowed)."""
    if isinstance(exc, ValidationFailed):
        return all(readable(p.message("en")) and p.field for p in exc.problems)
    text = exc.message
    return bool(text.strip()) and not re.search(
        r"Traceback|File \"|object at 0x|\\x[0-9a-f]{2}", text
    )


def state(db: Database) -> tuple[dict[str, int], int]:
    return table_counts(db), audit_count(db)


def import_outcome(db: Database, target: str, path: Path) -> str:
    """Import ``path``; a refusal must be clear and write nothing. Returns the outcome."""
    TALLY[f"{target}: cases"] += 1
    before = state(db)
    try:
        import_legacy(coordinator(db), path, site="MSK")
    except LegacyImportFailed as exc:
        outcome = "refused"
        report_rows = pd.read_csv(exc.report, dtype=str, keep_default_na=False)
        assert list(report_rows.columns) == REPORT_COLUMNS and len(report_rows) == exc.count
        for row in report_rows.itertuples(index=False):
            assert row.sheet and row.row and row.column, row
            assert readable(row.problem_en) and readable(row.problem_ru), row
            assert not str(row.value).startswith(FORMULA_STARTS)  # the report is neutralised
    except CaseguardError as exc:
        outcome = "refused"
        assert clear(exc), exc.message
    except Exception:
        TALLY["crashes"] += 1
        raise
    else:
        outcome = "stored"
    if outcome == "refused" and state(db) != before:
        TALLY["partial writes"] += 1
        raise AssertionError(f"{target}: refused but the database changed")
    TALLY[f"{target}: {outcome}"] += 1
    return outcome


# --- legacy import -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    root = tmp_path_factory.mktemp("hostile-files")
    return make_db(root / "w.duckdb", root / "keys")


CELLS = [(sheet, column) for sheet in SHEETS for column in sheet_columns(sheet)]
ODD_CELLS = st.one_of(
    hostile_text(long=2000, surrogates=False),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**15), 10**15),
    st.booleans(),
    st.dates(),
    st.none(),
)


def hostile_patient(data: st.DataObject) -> dict[str, list[dict[str, Any]]]:
    """A valid patient's rows with one to four cells made hostile."""
    rows = patient(f"HOSTILE-FILE-{next(COUNTER):05d}")
    for sheet, column in data.draw(st.lists(st.sampled_from(CELLS), min_size=1, max_size=4)):
        value = data.draw(ODD_CELLS, label=f"{sheet}.{column}")
        if column == "local_id" and isinstance(value, str):
            value = f"{value}-{next(COUNTER)}"  # never another patient's id by chance
        rows[sheet][0][column] = value
    return rows


def xlsx_safe(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Cells openpyxl can write: XML cannot hold control characters, NaN or infinity."""
    out = copy.deepcopy(rows)
    for sheet_rows in out.values():
        for row in sheet_rows:
            for key, value in row.items():
                if isinstance(value, str):
                    row[key] = "".join(c for c in value if c in "\t\n\r" or ord(c) >= 32)
                elif isinstance(value, float) and (value != value or value in (1e999, -1e999)):
                    row[key] = str(value)
    return out


@HYPOTHESIS
@given(data=st.data(), fmt=st.sampled_from(["csv", "xlsx"]))
def test_hostile_cells_are_reported_or_stored_safely(
    db: Database, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, fmt: str
) -> None:
    rows = hostile_patient(data)
    folder = tmp_path_factory.mktemp("cells")
    if fmt == "csv":
        path = csv_file(folder / "legacy.csv", rows)
    else:
        path = workbook(folder / "legacy.xlsx", xlsx_safe(rows))
    import_outcome(db, f"legacy import ({fmt})", path)


def invalid_utf8(path: Path) -> Path:
    good = csv_file(path, patient("HOSTILE-UTF8-1")).read_bytes()
    path.write_bytes(good.replace("головная".encode(), b"\xff\xfe\xc3\x28 bad"))
    return path


def truncated_xlsx(path: Path) -> Path:
    data = workbook(path, patient("HOSTILE-TRUNC-1")).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def renamed_sheets(path: Path) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name in ("Subjects ", "patients", "=cmd|' /C calc'!A0"[:31].replace("/", "_")):
        ws = book.create_sheet(name.replace("'", "").replace("!", "").replace("|", ""))
        ws.append(sheet_columns("subjects"))
        ws.append(["HOSTILE-SHEET-1", "female", 2021])
    book.save(path)
    return path


def many_rows(path: Path) -> Path:
    """A small file that unpacks to very many rows (the zip-bomb shape, kept bounded)."""
    book = Workbook(write_only=True)
    ws = book.create_sheet("subjects")
    ws.append(sheet_columns("subjects"))
    for i in range(size(1_000, 60_000)):
        ws.append([f"BOMB-{i}", "=1+1", "not a year"])
    book.save(path)
    return path


def huge_cells(path: Path) -> Path:
    rows = patient("HOSTILE-HUGE-1")
    megabyte = ("=cmd|' /C calc'!A0 '; DROP TABLE subjects; -- 😀 שלום " * 25_000)[: 1 << 20]
    rows["narratives"][0]["text"] = megabyte
    rows["treatments"][0]["lot"] = megabyte
    rows["adverse_events"][0]["verbatim_term"] = megabyte
    return workbook(path, rows)


BAD_FILES = {
    "empty csv": lambda p: (p.with_suffix(".csv").write_bytes(b""), p.with_suffix(".csv"))[1],
    "empty xlsx": lambda p: (p.with_suffix(".xlsx").write_bytes(b""), p.with_suffix(".xlsx"))[1],
    "garbage xlsx": lambda p: (
        p.with_suffix(".xlsx").write_bytes(bytes(range(256)) * 40),
        p.with_suffix(".xlsx"),
    )[1],
    "garbage csv": lambda p: (
        p.with_suffix(".csv").write_bytes(b"\x00\x01PK\x03\x04" * 500),
        p.with_suffix(".csv"),
    )[1],
    "csv without record_type": lambda p: (
        p.with_suffix(".csv").write_text("local_id,sex\nX1,female\n", "utf-8"),
        p.with_suffix(".csv"),
    )[1],
    "invalid utf-8 csv": lambda p: invalid_utf8(p.with_suffix(".csv")),
    "truncated xlsx": lambda p: truncated_xlsx(p.with_suffix(".xlsx")),
    "wrong sheet names": lambda p: renamed_sheets(p.with_suffix(".xlsx")),
    "many rows xlsx": lambda p: many_rows(p.with_suffix(".xlsx")),
    "1 MB cells": lambda p: huge_cells(p.with_suffix(".xlsx")),
    "text file named xlsx": lambda p: (
        p.with_suffix(".xlsx").write_text("subjects\nlocal_id\n", "utf-8"),
        p.with_suffix(".xlsx"),
    )[1],
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_files_get_a_clear_refusal_and_change_nothing(
    db: Database, tmp_path: Path, kind: str
) -> None:
    path = BAD_FILES[kind](tmp_path / "legacy")
    started = time.monotonic()
    before = state(db)
    outcome = import_outcome(db, "bad files", path)
    assert time.monotonic() - started < seconds(60, 240)
    assert outcome == "refused", kind  # none of these files is a valid import
    assert state(db) == before


def test_formula_cells_are_stored_as_text_and_exported_inert(db: Database, tmp_path: Path) -> None:
    """Formula-looking cells in every text column import as plain text; then every text
    cell of a pooled CSV and XLSX export of the whole warehouse is inert."""
    rows = patient("HOSTILE-FORMULA-1")
    rows["adverse_events"][0]["verbatim_term"] = '=HYPERLINK("http://x","headache")'
    rows["narratives"][0]["text"] = "@SUM(A1:A9) " + FORMULAS[0]
    # CSV: the cells arrive as text (an XLSX formula cell is read as its value, here none)
    assert import_outcome(db, "legacy import (csv)", csv_file(tmp_path / "f.csv", rows)) == "stored"
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"export-{fmt}"
        export_pooled(coordinator(db), out, ExportOptions(fmt=fmt, k=1, max_suppression=1.0))
        live = formula_cells(out, fmt)
        TALLY["formula cells"] += len(live)
        assert not live, live[:5]
    assert TALLY["export cells"] > 0


def formula_cells(out: Path, fmt: str) -> list[str]:
    """Cells of an export a spreadsheet would evaluate (formulas, or text starting one)."""
    found = []
    for path in sorted(out.rglob(f"*.{fmt}")):
        if fmt == "xlsx":
            book = load_workbook(path)
            cells = [(c.data_type, c.value) for ws in book for row in ws.iter_rows() for c in row]
        else:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                cells = [("s", v) for row in csv.reader(handle) for v in row]
        for data_type, value in cells:
            TALLY["export cells"] += 1
            text = value if isinstance(value, str) else ""
            if data_type == "f" or text.startswith(FORMULA_STARTS):
                found.append(f"{path.name}: {text[:30]!r}")
    return found


# --- bundles ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle_env(tmp_path_factory: pytest.TempPathFactory) -> BundleEnv:
    """A site with three cases, its bundle, and two centres: one that enrolled the site by
    its public key, one where the site is registered without a key."""
    root = tmp_path_factory.mktemp("hostile-bundles")
    source = make_db(root / "site" / "s.duckdb", root / "site" / "keys", sites=("MSK",))
    for n in range(3):
        save_case(site_user(source), make_case(source, "MSK", f"HOSTILE-BUNDLE-{n}"))
    bundle = root / "msk.zip"
    export_bundle(coordinator(source), "MSK", bundle)
    keyed = make_db(root / "keyed" / "c.duckdb", root / "keyed" / "keys", sites=())
    keyless = make_db(root / "keyless" / "c.duckdb", root / "keyless" / "keys", sites=())
    from warehouse.store.access import system_session
    from warehouse.store.admin import add_site

    enrol(source, keyed, "MSK")
    add_site(system_session(keyless, "setup"), "MSK", "Moscow centre", "Moscow")
    with zipfile.ZipFile(bundle) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    return BundleEnv(bundle.read_bytes(), members, keyed, keyless)


class BundleEnv:
    """The good bundle (bytes and members) and the two centres; short repr."""

    def __init__(self, data: bytes, members: dict[str, bytes], keyed: Database, keyless: Database):
        self.data, self.members, self.keyed, self.keyless = data, members, keyed, keyless

    def __repr__(self) -> str:
        return f"BundleEnv({len(self.data)} bytes)"


def sealed(members: dict[str, bytes], path: Path, rehash: bool) -> Path:
    """A bundle from ``members`` with a correct trailer (and, if ``rehash``, every hash
    and size in the manifest recomputed: only the signature can still tell)."""
    members = dict(members)
    if rehash:
        try:
            manifest = json.loads(members[bundles.MANIFEST])
            for table, entry in manifest["tables"].items():
                data = members.get(f"{table}.parquet", b"")
                entry.update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
            members[bundles.MANIFEST] = json.dumps(manifest, indent=2, sort_keys=True).encode()
        except (ValueError, KeyError, TypeError, AttributeError):
            pass  # a manifest that is not an object of tables: sealed as it is
    path.write_bytes(bundles.zip_bytes(members))
    return path


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def mutated_bundle(draw: st.DrawFn, env: BundleEnv, folder: Path) -> tuple[str, Path, bool]:
    """One hostile variant of the good bundle: (mutation, file, nothing really changed)."""
    kind = draw(
        st.sampled_from(
            ["flip", "truncate", "replace member", "edit manifest", "huge member", "drop member"]
        )
    )
    path = folder / "bundle.zip"
    data, members = env.data, dict(env.members)
    rehash = draw(st.booleans())
    if kind == "flip":
        raw = bytearray(data)
        for position in draw(
            st.lists(st.integers(0, len(raw) - 1), min_size=1, max_size=8, unique=True)
        ):
            raw[position] ^= draw(st.integers(1, 255))
        path.write_bytes(bytes(raw))
        return kind, path, False
    if kind == "truncate":
        path.write_bytes(data[: draw(st.integers(0, len(data) - 1))])
        return kind, path, False
    names = sorted(n for n in members if n != bundles.MANIFEST)
    if kind == "replace member":
        name = draw(st.sampled_from(names))
        other = members[draw(st.sampled_from(names))]
        members[name] = draw(st.sampled_from([b"", b"PAR1garbagePAR1", other, other[:-7]]))
    elif kind == "drop member":
        del members[draw(st.sampled_from([*names, bundles.MANIFEST]))]
    elif kind == "huge member":
        members[draw(st.sampled_from(names))] = b"\0" * size(8, 64) * 1024 * 1024
    else:
        manifest = json.loads(members[bundles.MANIFEST])
        edit = draw(st.sampled_from(["value", "drop key", "replace all", "site", "tables"]))
        key = draw(st.sampled_from(sorted(manifest)))
        if edit == "value":
            manifest[key] = draw(JSON_VALUES)
        elif edit == "drop key":
            del manifest[key]
        elif edit == "site":
            manifest["site_code"] = draw(
                st.sampled_from(["PRM", "", "МSК", "'; DROP TABLE sites;"])
            )
        elif edit == "tables":
            table = draw(st.sampled_from(sorted(manifest["tables"])))
            manifest["tables"][table] = draw(JSON_VALUES)
        else:
            manifest = draw(JSON_VALUES)
        members[bundles.MANIFEST] = json.dumps(manifest).encode()
    noop = all(
        json.loads(members[n]) == json.loads(env.members[n])
        if n == bundles.MANIFEST
        else members[n] == env.members[n]
        for n in env.members
        if n in members
    ) and set(members) == set(env.members)
    return kind, sealed(members, path, rehash and not noop), noop


@settings(
    max_examples=size(12, 500),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)
@given(data=st.data(), keyed=st.booleans())
def test_mutated_bundles_are_rejected_and_change_nothing(
    bundle_env: BundleEnv,
    tmp_path_factory: pytest.TempPathFactory,
    data: st.DataObject,
    keyed: bool,
) -> None:
    kind, path, noop = data.draw(mutated_bundle(bundle_env, tmp_path_factory.mktemp("b")))
    centre = bundle_env.keyed if keyed else bundle_env.keyless
    target = f"bundle ({kind})"
    TALLY[f"{target}: cases"] += 1
    before = state(centre)
    try:
        import_bundle(coordinator(centre), path)
    except (BundleRejected, ValidationFailed, CaseguardError) as exc:
        assert clear(exc), exc.message
    except Exception:
        TALLY["crashes"] += 1
        raise
    else:
        # no centre can be fooled any more: only an unchanged bundle, at the centre that
        # enrolled the site by its public key, imports (issue 18 item 1)
        assert noop and keyed, kind
        TALLY[f"{target}: stored"] += 1
        return
    if state(centre) != before:
        TALLY["partial writes"] += 1
        raise AssertionError(f"{kind}: rejected but the database changed")
    TALLY[f"{target}: refused"] += 1


def test_the_untouched_bundle_still_imports(bundle_env: BundleEnv, tmp_path: Path) -> None:
    """The drill's bundle is good: the rejections above are due to the mutations."""
    path = tmp_path / "good.zip"
    path.write_bytes(bundle_env.data)
    centre = bundle_env.keyed
    summary = import_bundle(coordinator(centre), path)
    assert summary.signed and (summary.already_imported or summary.inserted["subjects"] == 3)
