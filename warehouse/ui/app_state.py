"""The database the app serves and the signed-in session, shared by all pages."""

from __future__ import annotations

import os
import sys
import threading

import streamlit as st

from warehouse.review.checks_behind import run_behind
from warehouse.store.access import Session
from warehouse.store.config import default_db_path
from warehouse.store.db import KEEP_OPEN_ENV, Database
from warehouse.store.held import SERVED_SWITCH_INTERVAL_S

_SESSION = "_caseguard_session"


@st.cache_resource
def database() -> Database:
    """The warehouse named by $CASEGUARD_DB (or data/caseguard.duckdb), opened once.

    Served by ``caseguard serve``, the app keeps its connection open (one cursor per
    operation, handed over when another process asks); run in-process (AppTest) it opens
    one per operation, as a library caller does."""
    served = os.environ.get(KEEP_OPEN_ENV) == "1"
    if served:
        _warm_scrubber()
        run_behind()  # soft checks after a save do not hold up the click
        sys.setswitchinterval(SERVED_SWITCH_INTERVAL_S)  # see warehouse/store/held.py
    return Database(default_db_path(), keep_open=served)


@st.cache_resource
def _warm_scrubber() -> threading.Thread:
    """Load the scrubber in the background once per served app, so that the first
    narrative or adverse event saved after a start does not wait seconds for it."""
    from anonymise import warm_up

    thread = threading.Thread(target=warm_up, name="scrubber-warm-up", daemon=True)
    thread.start()
    return thread


def set_session(current: Session) -> None:
    """Called by the router on every run after checking the login."""
    st.session_state[_SESSION] = current


def session() -> Session:
    """The signed-in user's session (pages only run after the router checked it)."""
    current = st.session_state.get(_SESSION)
    if not isinstance(current, Session):
        st.stop()
    return current
