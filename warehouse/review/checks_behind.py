"""The soft checks after a save, run behind the click in the served app.

A save has committed before its soft checks run (they open data-review queries; see
:func:`warehouse.review.soft_checks.checks_after_save`), and nothing the user sees on
saving depends on them, yet they took as long as the save itself. The served app
therefore hands them to one worker thread and answers the click at once. Subjects
saved while the worker is busy are checked together in its next run, so under load
the checks cost less per save, not more.

If the app stops before the worker ran, the checks of those subjects run on their
next save or on ``caseguard queries check``, as after a failed check. Library callers
(tests, the command line, imports) keep the checks inside the call unless they ask
for this mode with :func:`checks_behind`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from warehouse.store.db import Database

Run = Callable[[Database, list[str]], Any]
_log = logging.getLogger("caseguard.review")

_state = threading.Condition()
_pending: dict[str, tuple[Database, Run, set[str]]] = {}  # by database file
_busy = False
_on = False
_worker: threading.Thread | None = None


def behind() -> bool:
    """Whether soft checks after a save run in the worker (the served app's mode)."""
    return _on


def run_behind() -> None:
    """From now on, run the soft checks after a save in the worker (the served app
    calls this once when it starts)."""
    global _on
    with _state:
        _on = True


@contextmanager
def checks_behind() -> Iterator[None]:
    """The served app's mode for the duration (drills and benchmarks that act as the
    app); on leaving, wait for the checks still queued, then return to checking inside
    each call."""
    global _on
    with _state:
        was, _on = _on, True
    try:
        yield
    finally:
        wait_until_checked()
        with _state:
            _on = was


def submit(db: Database, subject_ids: Sequence[str], run: Run) -> None:
    """Queue ``run(db, subject_ids)`` for the worker, merged with what is queued."""
    global _worker
    with _state:
        _, _, ids = _pending.setdefault(str(db.path), (db, run, set()))
        ids.update(str(s) for s in subject_ids)
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name="soft-checks", daemon=True)
            _worker.start()
        _state.notify_all()


def wait_until_checked(timeout: float | None = None) -> bool:
    """Wait until every queued check has run; False if ``timeout`` passed first."""
    with _state:
        return _state.wait_for(lambda: not _pending and not _busy, timeout)


def _work() -> None:
    global _busy
    while True:
        with _state:
            _state.wait_for(lambda: bool(_pending))
            _, (db, run, ids) = _pending.popitem()
            _busy = True
        try:
            run(db, sorted(ids))
        except Exception:  # noqa: BLE001 - the saves stand; the next save checks again
            _log.exception("soft checks behind the saves of %d subject(s) failed", len(ids))
        finally:
            with _state:
                _busy = False
                _state.notify_all()
