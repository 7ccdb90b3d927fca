"""Child processes for the tests that need more than one: the ``caseguard`` command
and small Python scripts (a saver, a reader, an app stand-in) run by this interpreter
from the project root, tracked so that a failing test never leaves one running."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from tests.warehouse_fixtures import ROOT

CLI = "import sys; from warehouse.cli.main import main; sys.exit(main(prog_name='caseguard'))"
RUNNING: list[subprocess.Popen[str]] = []


def child_env(**extra: str) -> dict[str, str]:
    """This environment, with the project on PYTHONPATH and no database or key dir
    inherited (every database in a test has its keys/ beside it)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("CASEGUARD_KEY_DIR", None)
    env.pop("CASEGUARD_DB", None)
    return {**env, **extra}


def spawn(code: str, *args: Any, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start ``python -c code args...`` from the project root; stopped by :func:`stop_all`."""
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-c", code, *map(str, args)],
        cwd=ROOT,
        env=env or child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    RUNNING.append(proc)
    return proc


def finish(proc: subprocess.Popen[str], name: str, timeout: float) -> tuple[int, str, str]:
    """Wait for a child; a child still running after ``timeout`` seconds fails the test."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"{name} did not finish in {timeout} s\n{err[-3000:]}")
    return proc.returncode, out, err


def run_cli(*args: Any, timeout: float) -> tuple[int, str, str]:
    """Run the real ``caseguard`` command in its own process: (exit code, stdout, stderr)."""
    return finish(spawn(CLI, *args), f"caseguard {args[0] if args else ''}", timeout)


def stop_all() -> None:
    """Kill (by pid) every child a test started that is still running."""
    while RUNNING:
        proc = RUNNING.pop()
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
