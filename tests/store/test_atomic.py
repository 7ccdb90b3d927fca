"""Outputs whole or not at all (warehouse/store/atomic.py): staging, markers, the sweep."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from warehouse.store.atomic import PARTIAL, PENDING, staged_output, sweep, sweep_scratch


@pytest.fixture(scope="module")
def dead_pid() -> int:
    """The id of a process that has ended."""
    proc = subprocess.Popen(["true"])  # noqa: S607
    proc.wait()
    return proc.pid


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".caseguard-" in p.name)


def marker(folder: Path, output: str, key: str, pid: int, db: str = "db1") -> Path:
    path = folder / f".{output}{PENDING}{pid}-abcd"
    path.write_text(json.dumps({"output": output, "key": key, "db": db}))
    return path


def test_the_sweep_removes_what_a_killed_run_left(tmp_path: Path, dead_pid: int) -> None:
    staging = tmp_path / f".export{PARTIAL}{dead_pid}-0001"
    (staging / "sdtm").mkdir(parents=True)
    (staging / "subjects.parquet").write_bytes(b"half")
    (tmp_path / f".msk.zip{PARTIAL}{dead_pid}-0002").write_bytes(b"PK half")
    # renamed into place, then killed before the audit commit: taken back
    (tmp_path / "unaudited").mkdir()
    marker(tmp_path, "unaudited", "k-unaudited", dead_pid)
    # killed after the audit commit, before the marker went: kept
    (tmp_path / "audited.zip").write_bytes(b"whole")
    marker(tmp_path, "audited.zip", "k-audited", dead_pid)
    # another database's marker, and a live process's staging: left alone
    (tmp_path / "theirs").mkdir()
    marker(tmp_path, "theirs", "k-theirs", dead_pid, db="db2")
    live = tmp_path / f".busy{PARTIAL}{os.getpid()}-0003"
    live.mkdir()
    (tmp_path / "keep.txt").write_text("unrelated")

    sweep(tmp_path, "db1", lambda key: key == "k-audited")

    names = sorted(p.name for p in tmp_path.iterdir())
    assert "unaudited" not in names and "audited.zip" in names and "keep.txt" in names
    assert "theirs" in names and live.name in names
    assert leftovers(tmp_path) == sorted([live.name, f".theirs{PENDING}{dead_pid}-abcd"])


def test_a_failure_inside_the_block_takes_everything_back(tmp_path: Path) -> None:
    out = tmp_path / "bundle.zip"
    with pytest.raises(RuntimeError), staged_output(out, "db1", lambda _: False) as staged:
        staged.path.write_bytes(b"data")
        staged.publish("key", "db1")
        raise RuntimeError("the audit commit failed")
    assert not out.exists() and leftovers(tmp_path) == []
    with staged_output(out, "db1", lambda _: False) as staged:
        staged.path.write_bytes(b"data")
        staged.publish("key", "db1")
    assert out.read_bytes() == b"data" and leftovers(tmp_path) == []


def test_scratch_folders_of_dead_processes_are_swept(tmp_path: Path, dead_pid: int) -> None:
    (tmp_path / f"caseguard-export-{dead_pid}-x1").mkdir()
    (tmp_path / f"caseguard-export-{os.getpid()}-x2").mkdir()
    (tmp_path / "caseguard-export-notapid").mkdir()
    assert sweep_scratch(tmp_path, "export") == [f"caseguard-export-{dead_pid}-x1"]
