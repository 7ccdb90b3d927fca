"""The database the app serves and the signed-in session, shared by all pages."""

from __future__ import annotations

import streamlit as st

from warehouse.store.access import Session
from warehouse.store.config import default_db_path
from warehouse.store.db import Database

_SESSION = "_caseguard_session"


@st.cache_resource
def database() -> Database:
    """The warehouse named by $CASEGUARD_DB (or data/caseguard.duckdb), opened once."""
    return Database(default_db_path(), keep_open=True)


def set_session(current: Session) -> None:
    """Called by the router on every run after checking the login."""
    st.session_state[_SESSION] = current


def session() -> Session:
    """The signed-in user's session (pages only run after the router checked it)."""
    current = st.session_state.get(_SESSION)
    if not isinstance(current, Session):
        st.stop()
    return current
