"""One long-lived connection per database file for the app, handed back on request.

Opening a DuckDB file costs tens of milliseconds (the catalog is read, the WAL
replayed), so the app keeps one read-write connection per file open and lends each
operation a cursor of it. DuckDB lets only one process hold a file, so the holder
gives it up when another process asks: a process that finds the file locked writes
its process id to ``<database>.wants-lock`` (and refreshes it while it works on the
file, for up to :data:`REQUEST_KEPT_S` after it was last kept out); the holder sees
a fresh request from another process, stops lending cursors, closes the connection
as soon as the cursors already lent are back, and waits (within the database's busy
timeout) until the request is older than :data:`REQUEST_FRESH_S` before it opens the
file again. An idle holder closes the file after :data:`IDLE_CLOSE_S` as well, so a
quiet app never keeps it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb

REQUEST_SUFFIX = ".wants-lock"
REQUEST_FRESH_S = 1.0  # a request not refreshed for this long is over
IDLE_CLOSE_S = 2.0  # an unused held connection is closed after this long
POLL_S = 0.02

Opener = Callable[[], duckdb.DuckDBPyConnection]


def request_path(db_path: str) -> Path:
    """The file another process writes to ask for ``db_path``."""
    return Path(db_path + REQUEST_SUFFIX)


# This process's requests and when it last found the file locked. A process keeps its
# request fresh while it works on the file for REQUEST_KEPT_S after that (so the holder
# does not take the file back between the short connections of one command), but not
# for ever: a long-lived process that was kept out once does not starve the app.
_MY_REQUESTS: dict[Path, float] = {}
REQUEST_KEPT_S = 5.0


def request(db_path: str) -> None:
    """Ask the process holding ``db_path`` to let go (called when the file is locked)."""
    path = request_path(db_path)
    _MY_REQUESTS[path] = time.monotonic()
    _write_request(path)


def _write_request(path: Path) -> None:
    with contextlib.suppress(OSError):  # a read-only directory: the holder's idle close
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(str(os.getpid()), encoding="ascii")
        os.replace(tmp, path)


def refresh_if_requested(db_path: str) -> None:
    """Keep this process's recent request alive while it works on the file."""
    path = request_path(db_path)
    blocked = _MY_REQUESTS.get(path)
    if blocked is not None and time.monotonic() - blocked < REQUEST_KEPT_S:
        _write_request(path)


def foreign_request(db_path: str) -> bool:
    """True if another process asked for the file less than REQUEST_FRESH_S ago."""
    path = request_path(db_path)
    try:
        st = path.stat()
        if time.time() - st.st_mtime > REQUEST_FRESH_S:
            return False
        return path.read_text(encoding="ascii").strip() != str(os.getpid())
    except (OSError, ValueError):
        return False


@atexit.register
def _withdraw_requests() -> None:
    for path in list(_MY_REQUESTS):
        with contextlib.suppress(OSError, ValueError):
            if path.read_text(encoding="ascii").strip() == str(os.getpid()):
                path.unlink()


class HeldConnection:
    """The process's one read-write connection to a file, lent out as cursors."""

    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self._changed = threading.Condition()
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._hold: ExitStack | None = None
        self._lent = 0
        self._last_used = 0.0
        self._watcher: threading.Thread | None = None

    @contextmanager
    def cursor(
        self, open_conn: Callable[[ExitStack], duckdb.DuckDBPyConnection], timeout: float
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of the held connection (opened by ``open_conn`` if need be); waits
        while another process has asked for the file."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while foreign_request(self.db_path):
                self._close_if_unused()
                if time.monotonic() >= deadline:
                    break  # open anyway: the opener retries within its own timeout
                self._changed.wait(POLL_S)
            if self._conn is None:
                hold = ExitStack()
                try:
                    self._conn = open_conn(hold)
                except BaseException:
                    hold.close()
                    raise
                self._hold = hold
                self._last_used = time.monotonic()
                self._start_watcher()
            cursor = self._conn.cursor()
            self._lent += 1
        try:
            yield cursor
        finally:
            with contextlib.suppress(duckdb.Error):
                cursor.close()
            with self._changed:
                self._lent -= 1
                self._last_used = time.monotonic()
                if foreign_request(self.db_path):
                    self._close_if_unused()
                self._changed.notify_all()

    def close(self) -> None:
        """Close the connection once no cursor is lent (waits for them)."""
        with self._changed:
            self._changed.wait_for(lambda: self._lent == 0)
            self._close_if_unused()

    def _close_if_unused(self) -> None:
        if self._conn is None or self._lent:
            return
        conn, hold = self._conn, self._hold
        self._conn = self._hold = None
        try:
            conn.close()
        finally:
            if hold is not None:
                hold.close()

    def _start_watcher(self) -> None:
        if self._watcher is not None and self._watcher.is_alive():
            return
        self._watcher = threading.Thread(
            target=self._watch, name=f"caseguard-held-{Path(self.db_path).name}", daemon=True
        )
        self._watcher.start()

    def _watch(self) -> None:
        """Closes an idle connection, or one another process asked for, while unused."""
        while True:
            time.sleep(POLL_S * 2.5)
            with self._changed:
                if self._conn is None:
                    self._watcher = None
                    return
                idle = not self._lent and time.monotonic() - self._last_used > IDLE_CLOSE_S
                if idle or foreign_request(self.db_path):
                    self._close_if_unused()
                    self._changed.notify_all()


_HELD: dict[str, HeldConnection] = {}
_HELD_GUARD = threading.Lock()


def held(db_path: str) -> HeldConnection:
    """This process's held connection to ``db_path`` (one per resolved path)."""
    key = str(Path(db_path).resolve())
    with _HELD_GUARD:
        return _HELD.setdefault(key, HeldConnection(db_path))


def release(db_path: str) -> None:
    """Close this process's held connection to ``db_path`` (a restore swaps the file)."""
    key = str(Path(db_path).resolve())
    with _HELD_GUARD:
        found = _HELD.get(key)
    if found is not None:
        found.close()


@atexit.register
def _close_all() -> None:
    """Close held connections at exit (their cursors are gone with the threads)."""
    with _HELD_GUARD:
        found = list(_HELD.values())
    for connection in found:
        with connection._changed:
            connection._lent = 0
            with contextlib.suppress(duckdb.Error):
                connection._close_if_unused()


# The served app runs every user's session as a thread of one process, and writes take
# turns (``Database.transaction``). The writer holding the turn needs the interpreter for
# its Python steps, and by default it waits up to 5 ms each time another thread has it:
# with twenty users saving, a write held the turn about half as long again. Shorter
# turns let it finish sooner; measured in bench/write_bench.py (20 users: 16 -> 23
# saves/s at the same CPU per save).
SERVED_SWITCH_INTERVAL_S = 0.001


@contextmanager
def served_turns() -> Iterator[None]:
    """The served app's thread switch interval for the duration (drills and benchmarks
    that act as the app; the app itself sets it once when it starts)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(SERVED_SWITCH_INTERVAL_S)
    try:
        yield
    finally:
        sys.setswitchinterval(before)
