"""SAE reporting: every open reporting clock (overdue in red, most urgent first) and the
"Draft report" download of a CIOMS I or E2B(R3) draft for any serious event.

Monitors and coordinators see every centre and may filter; a site user sees their own
centre's events, and only they may restore real dates by re-entering a local id.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from schemas.errors import CaseguardError
from schemas.formats import date_text
from warehouse.reporting.clocks import Clock
from warehouse.reporting.drafts import Draft, draft_for_download
from warehouse.reporting.sae import clock_board, term_label
from warehouse.store.admin import list_sites
from warehouse.store.meddra_names import meddra_names
from warehouse.ui.app_state import session
from warehouse.ui.layout import lang, show_error, t

COLUMNS = ["ae_id", "site_code", "term", "category", "clock", "due", "days_left", "state"]
OVERDUE_STYLE = "background-color: #fde2e1; color: #b00020; font-weight: 600"

current = session()
st.title(t("rep_title"))
st.caption(t("rep_caption"))

site = current.site_code
if not current.site_scoped:
    codes = list(list_sites(current)["site_code"])
    everywhere = t("rep_all_centres")
    chosen = st.selectbox(t("rep_centre"), [everywhere, *codes], key="rep_site")
    site = None if chosen == everywhere else chosen
open_only = st.checkbox(t("rep_open_only"), value=True, key="rep_open_only")
try:
    board = clock_board(current, dt.datetime.now(dt.UTC), site, open_only)
except CaseguardError as exc:
    show_error(exc)
    st.stop()


PT_NAMES = meddra_names(current, lang())


def _term(study_term: str) -> str:
    """The event's term: its MedDRA PT when the form coded it so, else the list term."""
    return PT_NAMES.get(study_term) or term_label(study_term, lang())


def _row(clock: Clock) -> dict[str, object]:
    event = board.events[clock.ae_id]
    kind = t(f"rep_kind_{clock.kind}") + (f" {clock.sequence}" if clock.sequence > 1 else "")
    return {
        "ae_id": clock.ae_id,
        "site_code": clock.site_code,
        "term": _term(event.study_term),
        "category": t(f"rep_cat_{event.facts.category or 'none'}"),
        "clock": kind,
        "due": date_text(clock.due, lang()) if clock.due else "",
        "days_left": clock.days_left,
        "state": t(f"rep_state_{clock.state}"),
        "_overdue": clock.state in ("overdue", "no_day0"),
    }


rows = pd.DataFrame([_row(c) for c in board.clocks])
states = [c.state for c in board.clocks]
tiles = st.columns(3)
tiles[0].metric(t("rep_overdue_count", n=""), states.count("overdue"))
tiles[1].metric(t("rep_due_count", n=""), states.count("due"))
tiles[2].metric(t("rep_no_day0_count", n=""), states.count("no_day0"))
if rows.empty:
    st.info(t("rep_no_clocks"))
else:
    overdue = rows.pop("_overdue")
    shown = rows[COLUMNS].rename(columns={c: t(f"rep_col_{c}") for c in COLUMNS})
    styled = shown.style.apply(
        lambda r: [OVERDUE_STYLE if overdue.iloc[r.name] else "" for _ in r], axis=1
    )
    st.dataframe(styled, hide_index=True, key="rep_clocks")

st.subheader(t("rep_drafts"))
events = sorted(board.events.values(), key=lambda e: e.ae_id)
if not events:
    st.info(t("rep_no_events"))
    st.stop()
labels = {
    e.ae_id: t("rep_event_label", ae_id=e.ae_id, term=_term(e.study_term), site=e.site_code)
    for e in events
}
by_label = {label: key for key, label in labels.items()}
ae_id = by_label[st.selectbox(t("rep_pick_event"), list(by_label), key="rep_event")]
formats = {t(f"rep_format_{f}"): f for f in ("cioms", "e2b")}
fmt = formats[st.radio(t("rep_format"), list(formats), horizontal=True, key="rep_format")]
local_id = (
    st.text_input(t("rep_local_id"), type="password", key="rep_local_id")
    if current.site_scoped
    else ""
)
if st.button(t("rep_build"), key="rep_build"):
    try:
        st.session_state["rep_draft"] = draft_for_download(
            current, ae_id, fmt, local_id.strip() or None
        )
    except CaseguardError as exc:
        show_error(exc)
        st.stop()
draft = st.session_state.get("rep_draft")
if isinstance(draft, Draft) and draft.ae_id == ae_id and draft.format == fmt:
    st.success(t("rep_draft_ready", version=draft.version, sha=draft.sha256[:16]))
    if fmt == "e2b":
        st.caption(t("rep_validated") if draft.validated else t("rep_not_validated"))
    st.download_button(
        t("rep_download", name=draft.filename),
        data=draft.content,
        file_name=draft.filename,
        mime=draft.mime,
        key="rep_download",
    )
