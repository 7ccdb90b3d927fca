"""``caseguard linkage init|export-key|import-key|run`` from the command line."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
from click.testing import CliRunner, Result

from tests.warehouse_fixtures import make_db
from warehouse.cli.main import main
from warehouse.demo.build import create_demo


def run(keys: Path, *args: object) -> Result:
    return CliRunner(env={"CASEGUARD_KEY_DIR": str(keys)}).invoke(main, [str(a) for a in args])


def test_the_key_travels_from_site_to_site_and_is_never_replaced(tmp_path: Path) -> None:
    first, second = tmp_path / "site-a", tmp_path / "site-b"
    made = run(first, "linkage", "init", "--db", tmp_path / "a.duckdb")
    assert made.exit_code == 0 and "linkage key created" in made.output
    assert "already present" in run(first, "linkage", "init", "--db", tmp_path / "a.duckdb").output
    out = tmp_path / "handover.key"
    assert (
        run(first, "linkage", "export-key", "--out", out, "--db", tmp_path / "a.duckdb").exit_code
        == 0
    )
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    again = run(first, "linkage", "export-key", "--out", out, "--db", tmp_path / "a.duckdb")
    assert again.exit_code == 1 and "already exists" in again.output
    got = run(second, "linkage", "import-key", out, "--db", tmp_path / "b.duckdb")
    assert got.exit_code == 0
    assert (first / "linkage.key").read_text() == (second / "linkage.key").read_text()
    other = tmp_path / "other.key"
    other.write_text("ab" * 32 + "\n")
    refused = run(second, "linkage", "import-key", other, "--db", tmp_path / "b.duckdb")
    assert refused.exit_code == 1 and "different linkage key" in refused.output


def test_run_writes_pairs_csv_with_field_names_only(tmp_path: Path) -> None:
    db = make_db(tmp_path / "w.duckdb", tmp_path / "keys", sites=())
    create_demo(db, subjects=40, seed=5)
    out = tmp_path / "pairs.csv"
    done = run(tmp_path / "keys", "linkage", "run", "--db", tmp_path / "w.duckdb", "--out", out)
    assert done.exit_code == 0, done.output
    assert "40 subjects with tokens" in done.output and "across centres" in done.output
    pairs = pd.read_csv(out)
    assert list(pairs.columns) == [
        "subject_id_a", "subject_id_b", "match_probability", "match_weight", "agreeing_fields"
    ]  # fmt: skip
    assert len(pairs) >= 1 and (pairs["match_probability"] >= 0.9).all()
    bad = run(
        tmp_path / "keys", "linkage", "run", "--db", tmp_path / "w.duckdb", "--threshold", "1.5"
    )
    assert bad.exit_code != 0
