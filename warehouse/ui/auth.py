"""Who is using the app: the login form, the idle timeout and logout.

Only the user name (with a signature made at login) and the time of the last
activity are kept in Streamlit's session state; the role and site are read from the
``users`` table on every run, so a disabled account or a tampered session state gets
no further than login. Each such refusal, and a request for a page the user's role
does not have, is written to the audit log as ``access_denied``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.util import calc_hash

from schemas.errors import CaseguardError
from warehouse.store.access import Session
from warehouse.store.accounts import AccountLocked, LoginFailed, log_in, log_out, session_expired
from warehouse.store.audit import Actor, Event, audited_transaction
from warehouse.store.db import Database, one
from warehouse.ui.app_state import _SESSION
from warehouse.ui.layout import show_error, t
from warehouse.ui.navigation import PAGES, pages_for

USER = "auth_user"
SIGNED = "auth_signed"
LAST_SEEN = "auth_last_seen"
NOTICE = "auth_notice"
REFUSED_PAGES = "auth_refused_pages"
VISITOR = Actor("(session)", "anonymous", None)
# Signs the user name kept in session state; new for every server process, so a
# restart signs everyone out.
_SECRET = secrets.token_bytes(32)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _signature(username: str) -> str:
    mac = hmac.new(_SECRET, username.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return f"{username}:{mac}"


def _signed_user() -> str | None:
    """The user name signed at login, or None if the signature is missing or forged."""
    signed = st.session_state.get(SIGNED)
    if not isinstance(signed, str) or ":" not in signed:
        return None
    username = signed.rsplit(":", 1)[0]
    given, expected = (v.encode("utf-8", "surrogatepass") for v in (signed, _signature(username)))
    return username if hmac.compare_digest(given, expected) else None  # bytes: any text


def current_session(db: Database) -> Session | None:
    """The signed-in user's session, or None (never signed in, timed out, disabled)."""
    username = st.session_state.get(USER)
    if not username:
        return None
    if _signed_user() != username:
        claimed = str(username) if _account(db, str(username)) else "an unknown user"
        reason = "session state names another user"
        _refuse(db, _signed_user(), "use_session", reason, f"act as {claimed}")
        _forget("login_failed")
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
        _refuse(db, str(username), "use_session", "account disabled or removed")
        _forget("login_failed")
        return None
    st.session_state[LAST_SEEN] = _now()
    routed = st.session_state.get(_SESSION)
    if isinstance(routed, Session) and _who(routed) != _who(session):
        _refuse(db, session.username, "use_session", "session state forged")  # then ignored
    refuse_foreign_page(db, session)
    return session


def _who(session: Session) -> tuple[str, str, str | None]:
    return session.username, session.role, session.site_code


def _account(db: Database, username: str) -> tuple[str, str | None, bool] | None:
    with db.connect(read_only=True) as conn:
        row = one(conn, "SELECT role, site_code, active FROM users WHERE username = ?", [username])
    return (str(row[0]), row[1], bool(row[2])) if row else None


def _account_session(db: Database, username: str) -> Session | None:
    account = _account(db, username)
    if account is None or not account[2]:
        return None
    try:
        return Session(db, username, account[0], account[1])
    except CaseguardError:
        return None


def _refuse(db: Database, username: str | None, action: str, reason: str, what: str = "") -> None:
    """Audit a refusal by the app; a name that is not an account stays out of the log."""
    account = _account(db, username) if username else None
    actor = Actor(str(username), account[0], account[1]) if account else VISITOR
    with audited_transaction(db, actor) as (_conn, events):
        after = {"action": action, "reason": reason, "site": None}
        events.append(Event("access_denied", key=what or action, after=after))


def _requested_page() -> str | None:
    """The app page (its URL path) this run was asked for, None for the default page.

    Read from Streamlit's page manager: a request for a page the router did not
    register for the user is answered with the default page, and noted here.
    """
    manager = getattr(get_script_run_ctx(), "pages_manager", None)
    if manager is None:
        return None
    urls = {calc_hash(p.url): p.url for p in PAGES}
    page_hash = getattr(manager, "intended_page_script_hash", None)
    if page_hash:
        return urls.get(str(page_hash))
    name = getattr(manager, "intended_page_name", None)
    return str(name) if name in urls.values() else None


def refuse_foreign_page(db: Database, session: Session | None) -> None:
    """Audit (once per page and session) a request for a page the user may not open."""
    page = _requested_page()
    allowed = {p.url for p in pages_for(session.role)} if session else set()
    refused = st.session_state.setdefault(REFUSED_PAGES, set())
    if page is None or page in allowed or page in refused:
        return
    refused.add(page)
    _refuse(db, session.username if session else None, "open_page", "page not allowed", page)


def _forget(notice: str) -> None:
    page = _requested_page()  # the page being left: asking for it again is no attempt
    for key in list(st.session_state.keys()):
        if key != "lang":
            del st.session_state[key]
    st.session_state[NOTICE] = notice
    st.session_state[REFUSED_PAGES] = {page} if page else set()


def login_page(db: Database) -> None:
    """The sign-in form; on success the app reruns with the user's pages."""
    refuse_foreign_page(db, None)
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
    st.session_state[SIGNED] = _signature(session.username)
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
