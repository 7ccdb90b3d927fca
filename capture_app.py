"""caseguard web app: the router.

Visitors who are not signed in get only the login page; a signed-in user gets the
pages of their role (``warehouse/ui/navigation.py``), the language switch and
their name, role and centre in the sidebar. Pages live in ``warehouse/ui/pages/``
and hold widgets and state only; all data access goes through ``warehouse``.
"""

from __future__ import annotations

import streamlit as st

from schemas import load_reference
from warehouse.store.admin import list_sites
from warehouse.ui.app_state import database, set_session
from warehouse.ui.auth import current_session, login_page, sidebar
from warehouse.ui.layout import (
    apply_resets,
    guarded,
    lang,
    language_switch,
    t,
    translate_frontend,
)
from warehouse.ui.navigation import pages_for

st.set_page_config(page_title="caseguard", page_icon=":material/shield:", layout="wide")
language_switch()
translate_frontend()
db = database()
session = current_session(db)
if session is None:
    st.navigation([st.Page(lambda: login_page(db), title=t("login_title"), url_path="login")]).run()
else:
    set_session(session)
    sites = list_sites(session).set_index("site_code")["name"].to_dict()
    centre = session.site_code
    sidebar(
        session,
        load_reference().centre_name(centre, sites[centre], lang()) if centre in sites else None,
    )
    pages = [
        st.Page(str(p.path), title=t(p.title_key), icon=p.icon, url_path=p.url)
        for p in pages_for(session.role)
    ]
    apply_resets()
    guarded(st.navigation(pages).run)
