"""Drill: caseguard works offline, and the tests prove it as they run.

tests/conftest.py refuses every outbound connection that is not loopback, in the
pytest process (so every AppTest flow runs offline) and in every served app (through
a ``sitecustomize.py`` first on its PYTHONPATH); either fails the session if anything
tried. Here: the guard refuses and records a public address and lets loopback through,
in this process and in a guarded child; the served app is guarded and has made no
attempt; and the CLI's scrub and export run in a network namespace with no network
at all (``unshare -n``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    REFUSED,
    guarded_env,
    refusals_expected,
    refused_attempts,
    serve_app,
    sign_in_browser,
)
from tests.drills.report import report
from tests.warehouse_fixtures import make_case, make_db, site_user
from warehouse.store.cases import save_cases

pytestmark = pytest.mark.drill

PUBLIC = ("203.0.113.9", 443)  # TEST-NET-3: never routed, so nothing could leak anyway
CLI_TIMEOUT = 240
FIGURES: dict[str, object] = {}


def _loopback_echo(family: socket.AddressFamily, host: str) -> bytes:
    with socket.socket(family, socket.SOCK_STREAM) as server:
        server.bind((host, 0))
        server.listen(1)
        port = server.getsockname()[1]
        with socket.create_connection((host, port), timeout=5) as client:
            peer, _ = server.accept()
            with peer:
                client.sendall(b"ping")
                return peer.recv(4)


def test_guard_refuses_public_hosts_and_names_them() -> None:
    with refusals_expected() as caught:
        with pytest.raises(ConnectionRefusedError, match=r"203\.0\.113\.9:443 refused"):
            socket.create_connection(PUBLIC, timeout=1)
        with socket.socket() as sock, pytest.raises(OSError, match="198.51.100.7:80"):
            sock.connect(("198.51.100.7", 80))
        with socket.socket() as sock, pytest.raises(OSError, match="198.51.100.8:81"):
            sock.connect_ex(("198.51.100.8", 81))
        with pytest.raises(ConnectionRefusedError, match="pypi.org:443"):
            socket.getaddrinfo("pypi.org", 443)
        with pytest.raises(urllib.error.URLError, match="publicsuffix.org:443 refused"):
            urllib.request.urlopen("https://publicsuffix.org/list/", timeout=2)  # noqa: S310
    assert caught == [
        "203.0.113.9:443",
        "198.51.100.7:80",
        "198.51.100.8:81",
        "pypi.org:443",
        "publicsuffix.org:443",
    ]
    FIGURES["refusals proven in the pytest process"] = len(caught)


def test_guard_lets_loopback_through() -> None:
    before = list(REFUSED)
    assert _loopback_echo(socket.AF_INET, "127.0.0.1") == b"ping"
    assert _loopback_echo(socket.AF_INET, "localhost") == b"ping"
    if socket.has_ipv6:
        with_v6 = True
        try:
            assert _loopback_echo(socket.AF_INET6, "::1") == b"ping"
        except OSError:  # no IPv6 loopback on this machine
            with_v6 = False
        FIGURES["IPv6 loopback checked"] = with_v6
    assert before == REFUSED


def test_guarded_child_process_refuses_and_records(net_guard_dir: Path, tmp_path: Path) -> None:
    """The served app's guard (sitecustomize on PYTHONPATH) in a plain child process."""
    log = tmp_path / "child.refused"
    code = (
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('203.0.113.9', 443), timeout=1)\n"
        "except ConnectionRefusedError as exc:\n"
        "    print('refused', exc)\n"
        "server = socket.create_server(('127.0.0.1', 0))\n"
        "socket.create_connection(server.getsockname(), timeout=5).close()\n"
        "print('loopback ok')\n"
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env=guarded_env(net_guard_dir, log, os.environ),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "refused network guard: outbound connection to 203.0.113.9:443" in done.stdout
    assert "loopback ok" in done.stdout
    assert [line.split()[1] for line in refused_attempts(log)] == ["203.0.113.9:443"]
    assert len(refused_attempts(log.with_suffix(".refused.armed"))) == 1


@pytest.mark.browser
def test_served_app_is_guarded_and_made_no_attempt(
    app_url: str, browser_demo_db: Path, browser_page: Any
) -> None:
    """The session's served app (caseguard and its streamlit child) runs guarded, and
    nothing it did so far tried the network; its fixture checks again when it stops."""
    sign_in_browser(browser_page, app_url, "monitor")
    browser_page.get_by_role("link", name="Safety dashboard").click()
    browser_page.get_by_text("Safety dashboard").first.wait_for(timeout=60_000)
    refused_log = browser_demo_db.parent / "serve.refused"
    armed = refused_attempts(refused_log.with_suffix(".refused.armed"))
    commands = " | ".join(line.split(" ", 1)[1] for line in armed)
    assert len(armed) >= 2 and "caseguard serve" in commands and "capture_app.py" in commands
    assert refused_attempts(refused_log) == []
    FIGURES["served app processes guarded"] = len(armed)
    FIGURES["refused outbound attempts by the served app (so far)"] = 0


@pytest.mark.browser
def test_serving_on_all_interfaces_makes_no_network_call(
    browser_demo_db: Path, net_guard_dir: Path, tmp_path: Path
) -> None:
    """Served on 0.0.0.0, Streamlit's start-up banner would look up the machine's
    public address (checkip.amazonaws.com) and route to 8.8.8.8; caseguard hides it.
    ``serve_app`` fails on stopping if the server tried the network."""
    root = browser_demo_db.parent
    log = tmp_path / "serve-all.log"
    args = ("--address", "0.0.0.0")
    with (
        serve_app(browser_demo_db, root / "keys", log, net_guard_dir, args=args) as url,
        urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as response,  # noqa: S310
    ):
        assert response.read() == b"ok"
    assert refused_attempts(log.with_suffix(".refused")) == []


# --- the CLI with no network at all -------------------------------------------------


def _unshare() -> str:
    tool = shutil.which("unshare")
    usable = tool and subprocess.run([tool, "-n", "true"], capture_output=True).returncode == 0  # noqa: S603
    if not usable:
        if os.environ.get("CI") == "true":
            pytest.fail("unshare -n is needed in CI (root, util-linux) to prove the CLI offline")
        pytest.skip("unshare -n is not available here (needs root or user namespaces)")
    return str(tool)


def _offline_run(unshare: str, *args: str) -> subprocess.CompletedProcess[str]:
    caseguard = str(Path(sys.executable).parent / "caseguard")
    env = {k: v for k, v in os.environ.items() if k not in ("CASEGUARD_DB", "PYTHONPATH")}
    return subprocess.run(  # noqa: S603
        [unshare, "-n", caseguard, *args],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        env=env,
        check=False,
    )


@pytest.mark.slow
def test_cli_scrub_and_export_run_in_an_empty_network_namespace(tmp_path: Path) -> None:
    unshare = _unshare()
    probe = subprocess.run(  # noqa: S603
        [unshare, "-n", sys.executable, "-c", "import socket; print(socket.if_nameindex())"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "eth" not in probe.stdout and "ens" not in probe.stdout  # only a loopback

    texts = tmp_path / "in.jsonl"
    lines = [
        {"id": "1", "text": "Patient Ivan Petrov, phone +7 916 555-01-23, seen in Moscow."},
        {"id": "2", "text": "Пациентка Анна Смирнова, СНИЛС 112-233-445 95.", "language": "ru"},
    ]
    texts.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", "utf-8")
    scrubbed = tmp_path / "out.jsonl"
    run = _offline_run(unshare, "scrub", str(texts), str(scrubbed))
    assert run.returncode == 0, run.stderr[-2000:]
    out = scrubbed.read_text(encoding="utf-8")
    assert "Petrov" not in out and "555-01-23" not in out and "Смирнова" not in out

    db = make_db(tmp_path / "wh" / "warehouse.duckdb", tmp_path / "wh" / "keys")
    save_cases(site_user(db, "MSK"), [make_case(db, "MSK", f"OFFLINE-{i}") for i in range(6)])
    export = tmp_path / "export"
    run = _offline_run(
        unshare, "export", "--db", db.path, "--out", str(export), "--k", "1", "--format", "csv"
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert (export / "manifest.json").is_file() and (export / "subjects.csv").is_file()
    FIGURES["CLI commands run with no network (unshare -n)"] = "scrub, export"


def test_offline_figures() -> None:
    """The drill's figures (the pytest process's own refusals so far must be none)."""
    assert REFUSED == [], REFUSED
    report(
        "Offline",
        {
            "unexpected refused attempts in the pytest process so far": len(REFUSED),
            **FIGURES,
        },
        "Every outbound connection that is not loopback is refused and recorded, in the "
        "pytest process (all AppTest flows) and in the served app; the session fails at "
        "its end if any was recorded. The CLI's scrub and export also run under "
        "`unshare -n` (no network interface but loopback).",
    )
