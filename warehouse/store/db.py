"""The one place that opens DuckDB connections.

DuckDB lets one process write a file at a time, and a process that holds the file
open blocks every other process. caseguard therefore opens a short-lived connection
per operation and closes it straight after, retrying with backoff while another
process holds the lock; so the app and the CLI can share one file. The app
(``keep_open``) instead keeps one connection per file and lends a cursor per
operation, giving the file up whenever another process asks for it
(:mod:`warehouse.store.held`). An in-memory database (tests) keeps one connection and
hands out a cursor per use.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from anonymise.keys import KeyStore
from schemas.errors import CaseguardError, Conflict, DatabaseBusy, NotFound
from warehouse.store.config import default_key_dir
from warehouse.store.held import held, refresh_if_requested, release, request
from warehouse.store.turns import Turns

MEMORY = ":memory:"
KEEP_OPEN_ENV = "CASEGUARD_KEEP_OPEN"  # set by `caseguard serve`: the app keeps its connection

# DuckDB aborts the second of two overlapping write transactions in one process
# ("Current transaction is aborted") instead of waiting; other processes are kept out
# by the file lock. So writers in this process (the app's sessions are threads) take
# turns on a lock per database file (first come, first served: warehouse/store/turns.py),
# and a user never sees a clash with a neighbour.
_WRITE_LOCKS: dict[str, Turns] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(path: str) -> Turns:
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(str(Path(path).resolve()), Turns())


class _OpenMode:
    """The connections this process has open on one file, all in one mode.

    DuckDB refuses a read-only and a read-write connection to one file in one process
    ("different configuration"), so a connection joins the mode already open: a reader
    joins read-write ones; a writer waits for open read-only ones to close, and while
    it waits new readers wait too (then open read-write), so a writer is never starved.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._open = 0
        self._read_only = False
        self._writers_waiting = 0

    @contextmanager
    def use(self, read_only: bool, timeout: float) -> Iterator[bool]:
        """Hold a place among this file's connections; yields the mode to open in."""
        with self._changed:
            self._writers_waiting += not read_only
            try:
                joined = self._changed.wait_for(lambda: self._may_join(read_only), timeout)
            finally:
                self._writers_waiting -= not read_only
            if not joined:
                raise DatabaseBusy(f"readers held the database for {timeout:.0f} s; try again")
            if not self._open:
                self._read_only = read_only and not self._writers_waiting
            self._open += 1
            mode = self._read_only
        try:
            yield mode
        finally:
            with self._changed:
                self._open -= 1
                self._changed.notify_all()

    def _may_join(self, read_only: bool) -> bool:
        if not self._open or not self._read_only:
            return True
        return read_only and not self._writers_waiting


_OPEN_MODES: dict[str, _OpenMode] = {}
# DuckDB's Python client races when threads open one file at once (a connection that
# joins a starting instance misses its functions: "pandas_scan does not exist"), so
# connections are opened one at a time; queries on them still run side by side.
_CONNECTING = threading.Lock()


def _open_mode(path: str) -> _OpenMode:
    with _WRITE_LOCKS_GUARD:
        return _OPEN_MODES.setdefault(str(Path(path).resolve()), _OpenMode())


def _is_lock_error(exc: duckdb.Error) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


class Database:
    """A DuckDB file (or ``:memory:``) plus the key store that goes with it."""

    def __init__(
        self,
        path: str | Path,
        key_dir: str | Path | None = None,
        busy_timeout: float = 60.0,
        keep_open: bool = False,
    ) -> None:
        self.path = str(path)
        self.keep_open = keep_open and self.path != MEMORY
        self.keys = KeyStore(
            key_dir
            if key_dir is not None
            else default_key_dir("." if self.path == MEMORY else self.path)
        )
        self.busy_timeout = busy_timeout
        self._memory: duckdb.DuckDBPyConnection | None = None
        self._memory_lock = threading.Lock()
        self._write_lock = Turns() if self.in_memory else _write_lock(self.path)
        self._mode = _OpenMode() if self.in_memory else _open_mode(self.path)

    @property
    def in_memory(self) -> bool:
        """True for a ``:memory:`` database."""
        return self.path == MEMORY

    def exists(self) -> bool:
        """True if the database file exists (always for memory)."""
        return self.in_memory or Path(self.path).exists()

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one operation, closed afterwards; waits out other writers."""
        if self.in_memory:
            with self._memory_lock:
                if self._memory is None:
                    self._memory = duckdb.connect(MEMORY)
            cursor = self._memory.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
            return
        if read_only and not Path(self.path).exists():
            raise NotFound(f"no database at {self.path} (run: caseguard init --db {self.path})")
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        if self.keep_open:
            with held(self.path).cursor(self._open_held, self.busy_timeout) as cursor:
                yield cursor
            return
        with self._mode.use(read_only, self.busy_timeout) as mode:
            conn = self._open(mode)
            try:
                yield conn
            finally:
                conn.close()
                refresh_if_requested(self.path)

    def _open_held(self, hold: contextlib.ExitStack) -> duckdb.DuckDBPyConnection:
        hold.enter_context(self._mode.use(False, self.busy_timeout))
        return self._open(False)

    def release(self) -> None:
        """Close the connection kept open for this file, if any (before the file is
        replaced, e.g. by a restore); the next operation opens it again."""
        if not self.in_memory:
            release(self.path)

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.busy_timeout
        delay = 0.01
        config: dict[str, str | bool | int | float | list[str]] = {
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
        }
        while True:
            try:
                with _CONNECTING:
                    conn = duckdb.connect(self.path, read_only=read_only, config=config)
                refresh_if_requested(self.path)
                return conn
            except duckdb.Error as exc:
                if not _is_lock_error(exc):
                    raise CaseguardError(f"cannot open the database {self.path}: {exc}") from exc
                request(self.path)  # a process keeping the file open lets go when asked
                if time.monotonic() >= deadline:
                    raise DatabaseBusy(
                        f"the database {self.path} stayed locked by another process "
                        f"for {self.busy_timeout:.0f} s; try again"
                    ) from exc
            time.sleep(delay * (0.5 + random.random()))  # noqa: S311 - jitter, not crypto
            delay = min(delay * 2, 0.5)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection inside BEGIN ... COMMIT; rolled back on any error.

        Writers in one process take turns (see ``_write_lock``); readers never wait.
        """
        with self._write_lock, self.connect() as conn:
            conn.execute("BEGIN TRANSACTION")
            try:
                yield conn
                conn.execute("COMMIT")
            except (duckdb.TransactionException, duckdb.ConstraintException) as exc:
                _rollback(conn)
                raise Conflict(f"the write clashes with stored data: {exc}") from exc
            except duckdb.Error as exc:
                _rollback(conn)
                raise CaseguardError(f"database error: {exc}") from exc
            except BaseException:
                _rollback(conn)
                raise


def _rollback(conn: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # already aborted by DuckDB
        conn.execute("ROLLBACK")


def one(
    conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> tuple[Any, ...] | None:
    """The first row of a query, with the result fully consumed (DuckDB requires that
    before the connection registers a frame), or None."""
    rows = conn.execute(sql, params or []).fetchall()
    return rows[0] if rows else None
