"""Aggregate safety results kept in process memory while the data do not change.

Streamlit reruns a page on every click (a tab's selectbox, a download), so without
this the dashboard would repeat every query each time. Results are kept per
database for as long as its cohort snapshot (:mod:`warehouse.safety.cohort`) stays valid:
any write recorded in the audit log makes the snapshot - and with it every kept
result - stale. Keys hold the function, its arguments, the filter and the caller's
scope (role and site), so a site-scoped user never gets another scope's result;
authorisation is still checked on every call, cached or not.

Only aggregates go through here: row-level listings must run (and be audited) each
time they are viewed. Nothing kept is identifying (counts, rates, pseudonym-free).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import pandas as pd

from warehouse.safety.cohort import SafetyFilter, authorise, current
from warehouse.store.access import Session

MAX_RESULTS = 256  # per database

_lock = threading.Lock()
# id(Database) -> (the Database, its snapshot and the snapshot's generation when
# checked, results); holding the Database keeps its id from being reused by another one.
_results: dict[int, tuple[object, tuple[object, int], OrderedDict[Hashable, pd.DataFrame]]] = {}


def refresh(session: Session) -> None:
    """Check the snapshot once; forget results if it changed (rebuilt or refreshed)."""
    snap = current(session.db)
    with _lock:
        kept = _results.get(id(session.db))
        if kept is None or kept[1][0] is not snap or kept[1][1] != snap.generation:
            _results[id(session.db)] = (session.db, (snap, snap.generation), OrderedDict())


def cached(
    session: Session,
    func: Callable[..., pd.DataFrame],
    filters: SafetyFilter,
    *args: Any,
) -> pd.DataFrame:
    """``func(session, filters, *args)``, from memory when computed before since the
    last :func:`refresh` found the data unchanged. Returns a copy (safe to modify)."""
    authorise(session, filters, "view safety dashboard")
    key = (func.__module__, func.__qualname__, args, filters, session.role, session.site_code)
    with _lock:
        kept = _results.get(id(session.db))
        frame = kept[2].get(key) if kept else None
        if frame is not None and kept is not None:
            kept[2].move_to_end(key)
            return frame.copy()
    frame = func(session, filters, *args)
    with _lock:
        kept = _results.get(id(session.db))
        if kept is not None:
            kept[2][key] = frame.copy()
            while len(kept[2]) > MAX_RESULTS:
                kept[2].popitem(last=False)
    return frame


def clear() -> None:
    """Forget every kept result."""
    with _lock:
        _results.clear()
