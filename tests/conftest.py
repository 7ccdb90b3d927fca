"""The offline guard for every test, and the browser fixtures.

Offline: the pytest process refuses every outbound connection that is not loopback
(:func:`guard_sockets`, installed before collection), and so does every served app,
through a ``sitecustomize.py`` put first on its PYTHONPATH, which records refused
attempts to a file checked when the server stops. Chromium resolves no host name
but localhost. ``tests/drills/test_offline.py`` proves the guard works.

Browser fixtures: a served demo app and a Playwright-driven Chromium. Only tests
marked ``browser`` use these; other tests import their own fixtures explicitly (see
tests/warehouse_fixtures.py).
"""

from __future__ import annotations

import contextlib
import inspect
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost",
]
BROWSER_DEMO_SUBJECTS = 30
SERVER_START_TIMEOUT = 60.0
GUARD_LOG_ENV = "CASEGUARD_NET_GUARD_LOG"


# --- offline: refuse every outbound connection that is not loopback -----------------


def guard_sockets(record: Callable[[str], None]) -> None:
    """Make this process refuse (and ``record``) connections to non-loopback hosts.

    Patches ``socket.socket.connect``/``connect_ex``, ``socket.create_connection``,
    ``socket.getaddrinfo`` and ``socket.gethostbyname``: a host that is not loopback
    (or the unspecified address a server binds to) is recorded as ``host:port`` and
    refused with :class:`ConnectionRefusedError` naming it, before any packet or DNS
    query leaves. Self-contained (it is copied into the served app's sitecustomize).
    """
    import ipaddress
    import socket

    names = {"", "localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}

    def local(host: object) -> bool:
        if host is None:
            return True
        text = (host.decode() if isinstance(host, bytes) else str(host)).strip("[]").lower()
        if text in names:
            return True
        try:
            address = ipaddress.ip_address(text.split("%")[0])
        except ValueError:
            return False
        return address.is_loopback or address.is_unspecified

    def refuse(host: object, port: object) -> None:
        where = f"{host}:{port}"
        record(where)
        raise ConnectionRefusedError(
            f"network guard: outbound connection to {where} refused (caseguard runs offline)"
        )

    def check(sock: socket.socket, address: object) -> None:
        inet = sock.family in (socket.AF_INET, socket.AF_INET6)
        if inet and isinstance(address, tuple) and not local(address[0]):
            refuse(address[0], address[1])

    real = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo
    real_create, real_byname = socket.create_connection, socket.gethostbyname

    def connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        return real[0](self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return real[1](self, address)

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if not local(host):
            refuse(host, port)
        return real[2](host, port, *args, **kwargs)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if not local(address[0]):
            refuse(address[0], address[1])
        return real_create(address, *args, **kwargs)

    def gethostbyname(host: str) -> str:
        if not local(host):
            refuse(host, "-")
        return real_byname(host)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo
    socket.create_connection = create_connection  # type: ignore[assignment]
    socket.gethostbyname = gethostbyname


REFUSED: list[str] = []  # outbound attempts the pytest process made (host:port)


def pytest_configure(config: pytest.Config) -> None:
    """Guard the pytest process before collection: nothing may reach the network."""
    if not getattr(socket.socket.connect, "__qualname__", "").startswith("guard_sockets"):
        guard_sockets(REFUSED.append)


@contextlib.contextmanager
def refusals_expected() -> Iterator[list[str]]:
    """For a test that tries the network on purpose: yields the attempts it made and
    keeps them out of the end-of-session check."""
    start, caught = len(REFUSED), []
    try:
        yield caught
    finally:
        caught.extend(REFUSED[start:])
        del REFUSED[start:]


@pytest.fixture(scope="session", autouse=True)
def offline() -> Iterator[list[str]]:
    """Fails the session (at its end) if any test tried to reach a non-loopback host."""
    yield REFUSED
    if REFUSED:
        pytest.fail(f"outbound connections were attempted (refused): {sorted(set(REFUSED))}")


SITECUSTOMIZE = (
    "# Written by tests/conftest.py: the network guard for a served app and its children.\n"
    "from __future__ import annotations\n\nimport os\nimport sys\n\n"
    + inspect.getsource(guard_sockets).replace("Callable[[str], None]", "object")
    + f"""

_LOG = os.environ.get({GUARD_LOG_ENV!r})
if _LOG:

    def _record(where):
        with open(_LOG, "a", encoding="utf-8") as handle:
            handle.write(f"{{os.getpid()}} {{where}}\\n")

    guard_sockets(_record)
    with open(_LOG + ".armed", "a", encoding="utf-8") as handle:
        handle.write(f"{{os.getpid()}} {{' '.join(getattr(sys, 'argv', [])[:3])}}\\n")
"""
)


@pytest.fixture(autouse=True)
def _no_stray_processes() -> Iterator[None]:
    """Kill any child process (tests/processes.py) a test left running."""
    yield
    from tests.processes import stop_all

    stop_all()


@pytest.fixture(scope="session")
def net_guard_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the guard as ``sitecustomize.py`` (first on a server's path)."""
    directory = tmp_path_factory.mktemp("netguard")
    (directory / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    return directory


def guarded_env(guard_dir: Path, refused_log: Path, base: Mapping[str, str]) -> dict[str, str]:
    """``base`` with the guard first on PYTHONPATH, recording refusals to ``refused_log``."""
    path = [str(guard_dir), *filter(None, [base.get("PYTHONPATH")])]
    return {**base, "PYTHONPATH": os.pathsep.join(path), GUARD_LOG_ENV: str(refused_log)}


def refused_attempts(refused_log: Path) -> list[str]:
    """What a guarded process recorded (``pid host:port`` lines)."""
    if not refused_log.exists():
        return []
    return refused_log.read_text(encoding="utf-8").splitlines()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("localhost", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:  # noqa: S310
            return bool(response.read().decode().strip() == "ok")
    except (urllib.error.URLError, OSError):
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server's whole process group (caseguard and its streamlit child).

    SIGINT first, like Ctrl-C: streamlit shuts down and caseguard's subprocess.call
    reaps it (SIGTERM would kill caseguard first and orphan streamlit); then escalate.
    """
    for sig, grace in ((signal.SIGINT, 15), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError):  # anything left (normally nothing)
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """The system Chromium; fails in CI (where it must be installed), skips elsewhere."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        if os.environ.get("CI") == "true":
            pytest.fail(f"chromium missing at {CHROMIUM}: make test installs it with apt-get")
        pytest.skip(f"chromium not found at {CHROMIUM}")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser_demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo database (keys in a keys/ folder beside it) for the served app."""
    from tests.warehouse_fixtures import make_demo

    root = tmp_path_factory.mktemp("served")
    make_demo(root, subjects=BROWSER_DEMO_SUBJECTS, seed=5)
    return root / "demo.duckdb"


@contextlib.contextmanager
def serve_app(
    db_path: Path,
    key_dir: Path,
    log_path: Path,
    guard_dir: Path,
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
) -> Iterator[str]:
    """``caseguard serve`` on a free port, network-guarded; yields its URL once healthy.

    The server's stdout/stderr go to ``log_path``; its refused outbound attempts to
    ``log_path`` with suffix ``.refused`` (checked, and fatal, when it stops).
    """
    caseguard = Path(sys.executable).parent / "caseguard"
    if not caseguard.exists():
        pytest.fail(f"{caseguard} not found: install the project into the venv (pip install -e .)")
    port = _free_port()
    url = f"http://localhost:{port}"
    refused_log = log_path.with_suffix(".refused")
    base = {**os.environ, "CASEGUARD_KEY_DIR": str(key_dir), **(env or {})}
    base.setdefault("CASEGUARD_ALLOW_UNENCRYPTED_DISK", "1")  # synthetic test data
    base.pop("CASEGUARD_DB", None)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(  # noqa: S603
            [str(caseguard), "serve", "--db", str(db_path), "--port", str(port), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=guarded_env(guard_dir, refused_log, base),
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _healthy(url):
            if proc.poll() is not None:
                pytest.fail(
                    f"caseguard serve exited with {proc.returncode}:\n{log_path.read_text()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"{url} not healthy after {SERVER_START_TIMEOUT:.0f} s:\n{log_path.read_text()}"
                )
            time.sleep(0.25)
        yield url
    finally:
        _stop(proc)
    attempts = refused_attempts(refused_log)
    if attempts:
        pytest.fail(f"the served app tried to reach the network (refused): {attempts}")


@pytest.fixture(scope="session")
def app_url(chromium_path: Path, browser_demo_db: Path, net_guard_dir: Path) -> Iterator[str]:
    """The served demo app's URL (see :func:`serve_app`), for the whole session."""
    root = browser_demo_db.parent
    with serve_app(browser_demo_db, root / "keys", root / "serve.log", net_guard_dir) as url:
        yield url


@pytest.fixture(scope="session")
def chromium_browser(chromium_path: Path) -> Iterator[Any]:
    """A headless Chromium driven by Playwright (sync API)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def browser_page(chromium_browser: Any) -> Iterator[Any]:
    """A fresh page in its own context, closed after the test."""
    context = chromium_browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in_browser(
    page: Any, url: str, username: str, password: str = "caseguard-demo", lang: str = "en"
) -> None:
    """Open the app, switch it to ``lang`` (it opens in Russian) and sign in as ``username``."""
    from schemas.labels import text

    page.goto(url)
    if lang == "en":
        page.get_by_text("English").click()
    page.get_by_label(text("username", lang), exact=True).fill(username)
    page.get_by_label(text("password", lang), exact=True).fill(password)
    page.get_by_role("button", name=text("sign_in", lang)).click()
    signed = text("signed_in_as", lang, user=username).replace("**", "")
    page.get_by_text(signed).wait_for(state="visible", timeout=30_000)


def choose_option(page: Any, label: str, option: str) -> None:
    """Open the selectbox called ``label`` and pick ``option``.

    A rerun triggered by the previous widget can close a freshly opened list, so
    the list is opened again (a few times) until the option shows.
    """
    for _ in range(5):
        page.get_by_label(label, exact=True).click()
        choice = page.get_by_role("option", name=option, exact=True)
        try:
            choice.wait_for(state="visible", timeout=8_000)
        except Exception:  # noqa: BLE001  (list closed by a rerun: open it again)
            page.keyboard.press("Escape")
            continue
        choice.click()
        return
    raise AssertionError(f"option {option!r} never appeared in {label!r}")


def fill_number(page: Any, label: str, value: str) -> None:
    """Type ``value`` into the number input called ``label`` and commit it."""
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Enter")
