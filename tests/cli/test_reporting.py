"""``caseguard meddra`` and ``caseguard sae`` on a demo database made by ``caseguard demo``
(which loads the synthetic MedDRA-layout dictionary and places the clocks)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader

from tests.cli.test_main import assert_one_line_error, run
from tests.reporting.fixtures import schema_dir
from warehouse.reporting import synthetic_meddra as syn


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CASEGUARD_DB", raising=False)
    monkeypatch.delenv("CASEGUARD_KEY_DIR", raising=False)
    monkeypatch.delenv("CASEGUARD_E2B_SCHEMA", raising=False)


@pytest.fixture(scope="module")
def sae_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-sae")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("CASEGUARD_DB", raising=False)
        mp.delenv("CASEGUARD_KEY_DIR", raising=False)
        result = run("demo", "--db", root / "x.duckdb", "--subjects", 40)
    assert result.exit_code == 0, result.output
    assert "synthetic MedDRA-layout dictionary loaded" in result.output
    return root


@pytest.fixture
def db_file(sae_demo: Path, tmp_path: Path) -> Path:
    shutil.copytree(sae_demo, tmp_path / "demo")
    return tmp_path / "demo" / "x.duckdb"


def _clocks(db_file: Path, *flags: str) -> list[dict[str, str]]:
    result = run("sae", "list", "--db", db_file, "--csv", *flags)
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_sae_list_csv_starts_with_ae_id_and_overdue_filters(db_file: Path) -> None:
    rows = _clocks(db_file)
    assert rows and list(rows[0])[0] == "ae_id"
    assert {"due", "overdue", "submitted"} <= {r["state"] for r in rows}
    overdue = _clocks(db_file, "--overdue")
    assert overdue and all(r["state"] == "overdue" and int(r["days_left"]) < 0 for r in overdue)
    text = run("sae", "list", "--db", db_file).output
    assert text.strip().endswith("clock(s)")


def test_sae_report_writes_both_drafts_and_validates_the_xml(db_file: Path, tmp_path: Path) -> None:
    ae_id = _clocks(db_file)[0]["ae_id"]
    xml_file = tmp_path / "r.xml"
    result = run(
        "sae",
        "report",
        ae_id,
        "--db",
        db_file,
        "--format",
        "e2b",
        "--out",
        xml_file,
        "--validate-with",
        schema_dir(),
    )
    assert result.exit_code == 0, result.output
    assert "validated against the ICH E2B(R3) schema: OK" in result.output
    assert etree.parse(str(xml_file)).getroot().tag.endswith("MCCI_IN200100UV01")
    pdf_file = tmp_path / "r.pdf"
    result = run("sae", "report", ae_id, "--db", db_file, "--format", "cioms", "--out", pdf_file)
    assert result.exit_code == 0, result.output
    assert "PRIVACY" in PdfReader(str(pdf_file)).pages[0].extract_text()
    unvalidated = run("sae", "report", ae_id, "--db", db_file, "--format", "e2b", "--out", xml_file)
    assert "not validated: no ICH schema folder" in unvalidated.output


def test_sae_report_errors_are_one_line(db_file: Path, tmp_path: Path) -> None:
    line = assert_one_line_error(
        run(
            "sae",
            "report",
            "AE-NOPE",
            "--db",
            db_file,
            "--format",
            "e2b",
            "--out",
            tmp_path / "x.xml",
        )
    )
    assert "no adverse event AE-NOPE" in line
    ae_id = _clocks(db_file)[0]["ae_id"]
    line = assert_one_line_error(
        run(
            "sae",
            "report",
            ae_id,
            "--db",
            db_file,
            "--format",
            "e2b",
            "--out",
            tmp_path / "x.xml",
            "--validate-with",
            tmp_path,
        )
    )
    assert "no ICH E2B(R3) schema at" in line


def test_meddra_load_versions_and_recode(db_file: Path, tmp_path: Path) -> None:
    assert "90.0\ten" in run("meddra", "versions", "--db", db_file).output
    again = assert_one_line_error(
        run("meddra", "load", syn.write_distribution(tmp_path / "same", "en"), "--db", db_file)
    )
    assert "already loaded" in again
    assert "nothing to recode" in run("meddra", "recode", "--db", db_file).output
    retired = syn.write_distribution(
        tmp_path / "next", "en", syn.NEXT_VERSION, retire=tuple(range(40))
    )
    loaded = run("meddra", "load", retired, "--db", db_file)
    assert loaded.exit_code == 0 and f"MedDRA {syn.NEXT_VERSION} (en)" in loaded.output
    listed = run("meddra", "recode", "--db", db_file).output
    assert f"non-current in {syn.NEXT_VERSION}" in listed and "event(s) to recode" in listed
    bad = tmp_path / "bad"
    syn.write_distribution(bad, "en", "91.0")
    (bad / "llt.asc").write_text("123$x$91000000$$$$$$$Y$$\n", encoding="utf-8")
    assert "llt.asc line 1: llt_code '123'" in assert_one_line_error(
        run("meddra", "load", bad, "--db", db_file)
    )


def test_expected_terms_and_submissions_from_the_command_line(db_file: Path) -> None:
    assert "NUS-SPINRAZA\tHEADACHE" in run("sae", "expected", "list", "--db", db_file).output
    out = run("sae", "expected", "remove", "NUS-SPINRAZA", "HEADACHE", "--db", db_file).output
    assert "removed from the list of NUS-SPINRAZA" in out
    due = [r for r in _clocks(db_file) if r["state"] == "due" and r["clock"] == "initial"][0]
    early = run("sae", "submitted", due["ae_id"], "initial", "2026-01-02", "--db", db_file)
    assert "is before day 0" in assert_one_line_error(early)
    today = dt.date.today().isoformat()
    done = run("sae", "submitted", due["ae_id"], "initial", today, "--db", db_file)
    assert done.exit_code == 0 and "initial report v1 submitted" in done.output
