"""Overview: counts per site (aggregates only; every role may see it)."""

from __future__ import annotations

import streamlit as st

from schemas import load_reference
from schemas.errors import CaseguardError
from schemas.formats import number_text
from warehouse.review.queries import OPEN, list_queries
from warehouse.safety.overview import site_overview
from warehouse.ui.app_state import session
from warehouse.ui.layout import lang, show_error, t
from warehouse.ui.review_widgets import queries_table

COLUMNS = [
    "site_code",
    "name",
    "region",
    "subjects",
    "active",
    "withdrawn",
    "died",
    "treatments",
    "adverse_events",
    "serious_adverse_events",
]
TILES = ["subjects", "treatments", "adverse_events", "serious_adverse_events"]

st.title(t("overview_title"))
st.caption(t("overview_caption"))
try:
    counts = site_overview(session())
except CaseguardError as exc:
    show_error(exc)
    st.stop()
if counts.empty or int(counts["subjects"].sum()) == 0:
    st.info(t("overview_empty"))
totals = counts[TILES].sum()
for col, key in zip(st.columns(len(TILES)), TILES, strict=True):
    col.metric(t(f"col_{key}"), number_text(int(totals[key]), lang(), 0))
st.subheader(t("overview_per_site"))
shown = counts[[c for c in COLUMNS if c in counts.columns]].astype(object)
reference = load_reference()
for column in shown.columns:
    if column == "name":
        shown[column] = [
            reference.centre_name(code, name, lang())
            for code, name in zip(counts["site_code"], counts["name"], strict=True)
        ]
    elif column == "region":
        shown[column] = counts[column].map(lambda region: reference.region_name(region, lang()))
    elif column != "site_code":
        shown[column] = counts[column].map(lambda n: number_text(int(n), lang(), 0))
# A static table wraps long centre names and headers to the page's width; a scrolling
# grid hid the AE and SAE columns at the right edge.
st.table(
    shown.rename(columns={c: t(f"col_{c}") for c in shown.columns}).set_index(t("col_site_code"))
)

if session().site_scoped:  # a centre's open queries are its to-do list
    open_queries = list_queries(session(), state=OPEN)
    if not open_queries.empty:
        st.subheader(t("overview_queries_title"))
        st.warning(
            t(
                "overview_open_queries",
                count=len(open_queries),
                days=int(open_queries["age_days"].max()),
            )
        )
        st.dataframe(queries_table(open_queries), hide_index=True, width="stretch")
