"""``caseguard export``, ``bundle export|import`` and ``import`` through click's CliRunner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook

from warehouse.cli.main import main
from warehouse.exchange.legacy_sheets import SHEETS, sheet_columns


def run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-exchange")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("CASEGUARD_DB", raising=False)
        mp.delenv("CASEGUARD_KEY_DIR", raising=False)
        result = run("demo", "--db", root / "x.duckdb", "--subjects", 40)
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def db(demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CASEGUARD_DB", raising=False)
    monkeypatch.delenv("CASEGUARD_KEY_DIR", raising=False)
    shutil.copytree(demo_dir, tmp_path / "demo")
    return tmp_path / "demo" / "x.duckdb"


def test_help_lists_the_exchange_commands() -> None:
    output = run("--help").output
    for command in ("export", "bundle", "import"):
        assert f"  {command} " in output
    assert "--max-suppression" in run("export", "--help").output


def test_export(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "pooled"
    result = run("export", "--db", db, "--out", out, "--format", "csv", "--k", 3, "--sdtm")
    assert result.exit_code == 0, result.output
    assert "excluded" in result.output and "manifest sha256" in result.output
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["k"] == 3 and (out / "sdtm" / "dm.csv").exists()
    assert run("audit", "verify", "--db", db).exit_code == 0


def test_export_refusal_is_one_line(db: Path, tmp_path: Path) -> None:
    line = one_line_error(run("export", "--db", db, "--out", tmp_path / "o", "--k", 1000))
    assert "Export refused" in line and "--force" in line
    forced = run("export", "--db", db, "--out", tmp_path / "o", "--k", 1000, "--force")
    assert forced.exit_code == 0, forced.output


def test_dry_run_prints_the_levels_and_writes_nothing(db: Path, tmp_path: Path) -> None:
    before = db.read_bytes()
    result = run("export", "--db", db, "--dry-run", "--k", 3, "--weights", "subtype=9,area=1")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:2] == ["quasi-identifier", "level"]
    subtype = next(line for line in lines if line.startswith("disease_subtype "))
    ladder = ["subtype", "type", "disease", "any"]
    assert subtype.split()[1] in ladder and " 9 " in subtype
    # a higher weight never releases the subtype coarser than a low one does
    low = run("export", "--db", db, "--dry-run", "--k", 3, "--weights", "subtype=1,area=1")
    low_line = next(line for line in low.output.splitlines() if line.startswith("disease_subtype "))
    assert ladder.index(subtype.split()[1]) <= ladder.index(low_line.split()[1])
    assert "lattice node" in result.output and "greedy ladder" in result.output
    assert "l-diversity of serious_ae" in result.output
    pinned = run("export", "--db", db, "--dry-run", "--pin", "age=any")
    assert "(pinned)" in next(
        line for line in pinned.output.splitlines() if line.startswith("age_band")
    )
    assert list(tmp_path.iterdir()) == [db.parent]  # no export directory
    assert db.read_bytes() == before
    bad = one_line_error(run("export", "--db", db, "--dry-run", "--weights", "height=2"))
    assert "height" in bad and "not a quasi-identifier" in bad


def test_bundle_round_trip(db: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "msk.zip"
    exported = run("bundle", "export", "--db", db, "--site", "MSK", "--out", bundle)
    assert exported.exit_code == 0 and "signed" in exported.output, exported.output
    # the same database already holds these rows: nothing to add or change
    first = run("bundle", "import", "--db", db, bundle)
    assert first.exit_code == 0 and "0 rows added, 0 updated" in first.output, first.output
    again = run("bundle", "import", "--db", db, bundle)
    assert "already imported" in again.output
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 1
    bundle.write_bytes(bytes(data))
    assert "Bundle rejected" in one_line_error(run("bundle", "import", "--db", db, bundle))


def test_import_template_and_dry_run(db: Path, tmp_path: Path) -> None:
    template = tmp_path / "template.xlsx"
    result = run("import", "--template", template)
    assert result.exit_code == 0 and template.exists(), result.output
    book = Workbook()
    book.remove(book.active)
    for sheet in SHEETS:
        book.create_sheet(sheet).append(sheet_columns(sheet))
    book["subjects"].append(
        [
            {
                "local_id": "LEGACY-0001",
                "sex": "male",
                "birth_year": 2018,
                "disease": "SMA5Q",
                "disease_subtype": "2a",
                "smn1_status": "homozygous_deletion",
                "smn2_copies": "3",
                "age_at_onset_months": 9,
                "age_at_index_months": 30,
                "index_date": "15.03.2021",
                "status": "active",
            }.get(c)
            for c in sheet_columns("subjects")
        ]
    )
    book.save(tmp_path / "legacy.xlsx")
    dry = run("import", "--db", db, tmp_path / "legacy.xlsx", "--site", "MSK", "--dry-run")
    assert dry.exit_code == 0 and "would import 1 subjects" in dry.output, dry.output
    book["assessments"].append(["LEGACY-0001", "15.03.2021", "HFMSE", 99])
    book.save(tmp_path / "legacy.xlsx")
    line = one_line_error(run("import", "--db", db, tmp_path / "legacy.xlsx", "--site", "MSK"))
    assert "Import failed" in line and "legacy.errors.csv" in line and "LEGACY-0001" not in line
    report = (tmp_path / "legacy.errors.csv").read_text("utf-8-sig")
    assert "assessments,2,score,99," in report and "LEGACY-0001" not in report


def test_import_needs_a_file() -> None:
    assert "name the file" in one_line_error(run("import"))
