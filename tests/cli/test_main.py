"""The ``caseguard`` command line, driven through click's CliRunner.

Every database and key directory lives under pytest's tmp_path; $CASEGUARD_DB is
cleared and $CASEGUARD_KEY_DIR points into tmp_path so nothing leaks from the shell.
"""

from __future__ import annotations

import re
import shutil
import stat
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner, Result

from warehouse.cli.main import main


def run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_one_line_error(result: Result) -> str:
    """A user mistake: exit 1, one 'Error: ...' line, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not a crash
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.stderr
    return lines[0]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CASEGUARD_DB", raising=False)
    monkeypatch.setenv("CASEGUARD_KEY_DIR", str(tmp_path / "keys"))


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 20-subject demo database with its keys/ folder beside it (made once)."""
    root = tmp_path_factory.mktemp("cli-demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("CASEGUARD_DB", raising=False)
        mp.delenv("CASEGUARD_KEY_DIR", raising=False)
        result = run("demo", "--db", root / "x.duckdb", "--subjects", 20)
    assert result.exit_code == 0, result.output
    assert "20 demo subjects in " in result.output
    return root


@pytest.fixture
def demo_copy(demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the demo database and its keys; returns the database file."""
    target = tmp_path / "demo"
    shutil.copytree(demo_dir, target)
    monkeypatch.delenv("CASEGUARD_KEY_DIR")  # keys/ beside the database file
    return target / "x.duckdb"


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("init", "demo", "audit", "site", "serve", "backup", "restore"):
        assert re.search(rf"^\s+{command}\s", result.output, re.MULTILINE), command


def test_init_is_safe_to_repeat(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    first = run("init", "--db", db)
    assert first.exit_code == 0, first.output
    assert re.search(r": [1-9]\d* migration\(s\) applied", first.output)
    second = run("init", "--db", db)
    assert second.exit_code == 0, second.output
    assert ": 0 migration(s) applied" in second.output


def test_init_uses_caseguard_db_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "elsewhere" / "from-env.duckdb"
    monkeypatch.setenv("CASEGUARD_DB", str(target))
    result = run("init")
    assert result.exit_code == 0, result.output
    assert target.is_file()
    assert str(target) in result.output


def test_audit_verify_ok_after_demo(demo_copy: Path) -> None:
    with duckdb.connect(str(demo_copy), read_only=True) as conn:
        (entries,) = conn.execute("SELECT count(*) FROM audit_log").fetchall()[0]
    assert entries > 20
    result = run("audit", "verify", "--db", demo_copy)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"audit log OK: {entries} entries verified")


def test_audit_verify_names_the_tampered_entry(demo_copy: Path) -> None:
    with duckdb.connect(str(demo_copy)) as conn:
        conn.execute("UPDATE audit_log SET reason = 'x' WHERE seq = 5")
    result = run("audit", "verify", "--db", demo_copy)
    line = assert_one_line_error(result)
    assert re.search(r"\bentry 5\b", line), line
    assert "altered" in line


def test_audit_verify_on_missing_db_is_one_clear_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing.duckdb"
    line = assert_one_line_error(run("audit", "verify", "--db", missing))
    assert "no database" in line and "caseguard init" in line
    assert not missing.exists()  # checking must not create an empty database


def test_serve_on_missing_db_fails_before_starting(tmp_path: Path) -> None:
    line = assert_one_line_error(run("serve", "--db", tmp_path / "missing.duckdb"))
    assert "no database" in line


def test_site_init_creates_private_key_once(tmp_path: Path) -> None:
    key = tmp_path / "keys" / "site-MSK.key"
    result = run("site", "init", "MSK", "--db", tmp_path / "x.duckdb")
    assert result.exit_code == 0, result.output
    assert str(key) in result.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    original = key.read_text()
    signing = tmp_path / "keys" / "site-MSK.sign.pem"
    assert stat.S_IMODE(signing.stat().st_mode) == 0o600
    pair = signing.read_text()

    # run again (say, to register the site after all): both keys are kept, never replaced
    again = run("site", "init", "MSK", "--db", tmp_path / "x.duckdb")
    assert again.exit_code == 0, again.output
    assert again.output.count("already present (kept as it is)") == 2
    assert key.read_text() == original and signing.read_text() == pair


def test_site_init_rejects_lowercase_code(tmp_path: Path) -> None:
    line = assert_one_line_error(run("site", "init", "kaz", "--db", tmp_path / "x.duckdb"))
    assert "'kaz'" in line and "capital" in line
    assert not list((tmp_path / "keys").glob("site-*.key"))


@pytest.mark.slow
def test_serve_stops_on_sigterm_and_frees_its_port(tmp_path: Path) -> None:
    """SIGTERM to `caseguard serve` left the Streamlit child running on the port."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from tests.warehouse_fixtures import make_demo

    db = make_demo(tmp_path, subjects=0, seed=1)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    caseguard = Path(sys.executable).parent / "caseguard"
    env = {**os.environ, "CASEGUARD_KEY_DIR": str(tmp_path / "keys")}
    proc = subprocess.Popen(  # noqa: S603 - our own entry point
        [
            str(caseguard),
            "serve",
            "--db",
            str(db.path),
            "--port",
            str(port),
            "--allow-unencrypted-disk",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://localhost:{port}/_stcore/health"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).read()  # noqa: S310 - localhost
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "never served"
                time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=5)
        deadline = time.monotonic() + 5  # nothing may answer on the port within 5 s
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                break
            assert time.monotonic() < deadline, "something still answers on the port"
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --- issue 18 item 14: the database must be on an encrypted disk -------------------------


def test_serve_refuses_a_database_on_an_unencrypted_disk(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warehouse.store import disk

    monkeypatch.delenv("CASEGUARD_ALLOW_UNENCRYPTED_DISK", raising=False)
    plain = disk.DiskCheck(str(demo_copy), "/", "ext4", "/dev/vda", False, "/ is plain ext4")
    monkeypatch.setattr(disk, "check_disk", lambda _path: plain)
    calls: list[object] = []
    monkeypatch.setattr("os.execve", lambda *a, **k: calls.append(a))  # serve becomes Streamlit
    monkeypatch.setattr("os.chdir", lambda *a: None)
    line = assert_one_line_error(run("serve", "--db", demo_copy))
    assert "encrypted disk" in line and "/ is plain ext4" in line and not calls
    result = run("serve", "--db", demo_copy, "--allow-unencrypted-disk")
    assert "serving anyway" in result.stderr and len(calls) == 1
