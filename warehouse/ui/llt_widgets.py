"""The MedDRA LLT search as a widget: a search box, a picker of the current LLTs found,
and the chosen LLT's path up to its primary SOC. Shared by the adverse-event form and the
correction of a saved event's term."""

from __future__ import annotations

import streamlit as st

from warehouse.reporting.ae_coding import TermLookup
from warehouse.reporting.meddra import Coding
from warehouse.ui.layout import t


def llt_picker(
    query_key: str,
    key: str,
    label: str,
    lookup: TermLookup,
    kept: Coding | None,
    start_empty: bool = False,
) -> None:
    """Draw the search box (``query_key``), the picker of the LLTs ``lookup`` found
    (``key``; the ``kept`` choice stays listed while the user searches on) and, once an
    LLT is chosen, its MedDRA path."""
    st.text_input(
        t("ae_term_search"),
        max_chars=100,
        placeholder=t("ae_term_search_placeholder"),
        help=t("ae_term_search_help", version=lookup.version),
        key=query_key,
    )
    names = {h.llt_code: f"{h.name} · PT {h.pt_name}" for h in lookup.hits}
    if kept is not None and kept.llt_code not in names:
        names = {kept.llt_code: f"{kept.llt_name} · PT {kept.pt_name}", **names}
    if st.session_state.get(query_key) and not lookup.hits:
        st.caption(t("ae_term_no_hits"))
    st.selectbox(
        label,
        list(names),
        index=None if start_empty else 0,
        format_func=names.__getitem__,
        placeholder=t("ae_term_pick_placeholder" if names else "ae_term_type_first"),
        key=key,
    )
    if kept is not None:
        st.caption(
            t(
                "ae_meddra_path",
                llt=kept.llt_name,
                pt=kept.pt_name,
                hlt=kept.hlt_name,
                hlgt=kept.hlgt_name,
                soc=kept.soc_name,
                version=kept.version,
            )
        )
