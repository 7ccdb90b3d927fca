"""``caseguard queries list|export|check`` and ``caseguard users investigator`` on a demo
database made by ``caseguard demo`` (which puts review data in place)."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from tests.case_page_fixtures import query
from tests.cli.test_main import assert_one_line_error, run


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CASEGUARD_DB", raising=False)
    monkeypatch.delenv("CASEGUARD_KEY_DIR", raising=False)


@pytest.fixture(scope="module")
def review_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-review")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("CASEGUARD_DB", raising=False)
        mp.delenv("CASEGUARD_KEY_DIR", raising=False)
        result = run("demo", "--db", root / "x.duckdb", "--subjects", 40)
    assert result.exit_code == 0, result.output
    assert "data review: queries" in result.output
    return root


@pytest.fixture
def db_file(review_demo: Path, tmp_path: Path) -> Path:
    shutil.copytree(review_demo, tmp_path / "demo")
    return tmp_path / "demo" / "x.duckdb"


def test_list_filters_by_centre_and_state(db_file: Path) -> None:
    result = run("queries", "list", "--db", db_file, "--site", "MSK", "--state", "open")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[:-1] and all("  MSK  " in line and "  open  " in line for line in lines[:-1])
    assert lines[-1].endswith(f"{len(lines) - 1} queries") or lines[-1] == "1 query"
    assert not any('{"rule"' in line for line in lines)  # rule queries read as sentences


def test_export_writes_every_query_and_is_audited(db_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "queries.csv"
    result = run("queries", "export", "--db", db_file, "--out", out)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == query(db_file, "SELECT count(*) FROM queries")[0][0]
    assert {r["state"] for r in rows} == {"open", "answered", "closed"}
    audited = query(db_file, "SELECT after FROM audit_log WHERE action = 'queries_exported'")
    assert f'"rows":{len(rows)}' in str(audited[0][0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo", "queries.csv"]  # no temp file


def test_bad_state_and_missing_folder_are_one_line_errors(db_file: Path, tmp_path: Path) -> None:
    assert run("queries", "list", "--db", db_file, "--state", "pending").exit_code == 2
    result = run("queries", "export", "--db", db_file, "--out", tmp_path / "no" / "q.csv")
    assert "does not exist" in assert_one_line_error(result)


def test_check_and_investigator(db_file: Path) -> None:
    result = run("queries", "check", "--db", db_file)
    assert result.exit_code == 0 and "queries opened" in result.output
    assert run("queries", "check", "--db", db_file).output.count("0 queries opened") == 1
    result = run("users", "investigator", "monitor", "--db", db_file)
    assert "only a site user" in assert_one_line_error(result)
    assert run("users", "investigator", "msk_neuro", "--revoke", "--db", db_file).exit_code == 0
    assert query(db_file, "SELECT username FROM investigators WHERE username = 'msk_neuro'") == []
