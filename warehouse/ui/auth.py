"""Who is using the app: the login form, the idle timeout and logout.

Only the user name and the time of the last activity are kept in Streamlit's
session state; the role and site are read from the ``users`` table on every run,
so a disabled account or a tampered session state gets no further than login.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from schemas.errors import CaseguardError
from warehouse.access import Session
from warehouse.accounts import AccountLocked, LoginFailed, log_in, log_out, session_expired
from warehouse.db import Database, one
from warehouse.ui.layout import show_error, t

USER = "auth_user"
LAST_SEEN = "auth_last_seen"
NOTICE = "auth_notice"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def current_session(db: Database) -> Session | None:
    """The signed-in user's session, or None (never signed in, timed out, disabled)."""
    username = st.session_state.get(USER)
    if not username:
        return None
    last_seen = st.session_state.get(LAST_SEEN)
    if not isinstance(last_seen, dt.datetime) or session_expired(last_seen, _now()):
        session = _account_session(db, str(username))
        if session is not None:
            log_out(session, "timeout")
        _forget("session_timed_out")
        return None
    session = _account_session(db, str(username))
    if session is None:
        _forget("login_failed")
        return None
    st.session_state[LAST_SEEN] = _now()
    return session


def _account_session(db: Database, username: str) -> Session | None:
    with db.connect(read_only=True) as conn:
        row = one(conn, "SELECT role, site_code, active FROM users WHERE username = ?", [username])
    if row is None or not row[2]:
        return None
    try:
        return Session(db, username, str(row[0]), row[1])
    except CaseguardError:
        return None


def _forget(notice: str) -> None:
    for key in list(st.session_state.keys()):
        if key != "lang":
            del st.session_state[key]
    st.session_state[NOTICE] = notice


def login_page(db: Database) -> None:
    """The sign-in form; on success the app reruns with the user's pages."""
    st.title(t("login_title"))
    st.caption(t("login_intro"))
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.info(t(notice))
    with st.form("login", clear_on_submit=False):
        username = st.text_input(t("username"), key="login_username")
        password = st.text_input(t("password"), type="password", key="login_password")
        submitted = st.form_submit_button(t("sign_in"), type="primary")
    if not submitted:
        return
    if not username.strip() or not password:
        st.error(t("login_missing"))
        return
    try:
        session = log_in(db, username, password)
    except AccountLocked as exc:
        st.error(t("login_locked", minutes=exc.minutes))
        return
    except LoginFailed:
        st.error(t("login_failed"))
        return
    except CaseguardError as exc:  # no database, database busy
        show_error(exc)
        return
    st.session_state.pop("login_password", None)
    st.session_state[USER] = session.username
    st.session_state[LAST_SEEN] = _now()
    st.rerun()


def sign_out(session: Session) -> None:
    """Log out (audited) and forget everything but the language."""
    log_out(session, "user")
    _forget("signed_out")


def sidebar(session: Session, site_name: str | None) -> None:
    """User, role and site in the sidebar, the language switch and the sign-out button."""
    with st.sidebar:
        st.markdown(t("signed_in_as", user=session.username))
        st.caption(f"{t('role')}: {t('role_' + session.role)}")
        where = f"{session.site_code} — {site_name}" if session.site_code else t("all_sites")
        st.caption(f"{t('site')}: {where}")
        if st.button(t("sign_out"), key="sign_out"):
            sign_out(session)
            st.rerun()
