"""caseguard web app: the router.

For now a read-only overview of the pooled warehouse (counts per site); the case
forms, exports and dashboards arrive as their own pages. Pages hold widgets and
state only; all data access goes through ``warehouse``.
"""

from __future__ import annotations

import streamlit as st

from schemas.errors import CaseguardError
from warehouse.access import Session
from warehouse.config import default_db_path
from warehouse.db import Database
from warehouse.overview import site_overview

COLUMN_LABELS = {
    "site_code": "Site",
    "name": "Centre",
    "region": "Region",
    "subjects": "Subjects",
    "active": "Active",
    "withdrawn": "Withdrawn",
    "died": "Died",
    "treatments": "Treatments",
    "adverse_events": "Adverse events",
    "serious_adverse_events": "Serious AEs",
}


@st.cache_resource
def database() -> Database:
    """The warehouse named by $CASEGUARD_DB (or data/caseguard.duckdb)."""
    return Database(default_db_path())


def overview_page() -> None:
    """Counts per site: subjects, treatments, adverse events."""
    st.title("caseguard — pooled registry overview")
    st.caption(
        "Multicentre safety study of SMA and other rare-disease therapies. "
        "Aggregate counts only; no patient-level data is shown here."
    )
    try:
        counts = site_overview(Session(database(), "overview", "monitor"))
    except CaseguardError as exc:
        st.error(f"{exc.title}: {exc}")
        st.stop()
    if counts.empty or int(counts["subjects"].sum()) == 0:
        st.info(
            "The warehouse holds no subjects yet. Run `make run` (creates demo data) or "
            "`caseguard demo` to load synthetic cases."
        )
    totals = counts[["subjects", "treatments", "adverse_events", "serious_adverse_events"]].sum()
    cols = st.columns(4)
    for col, (label, key) in zip(
        cols,
        [
            ("Subjects", "subjects"),
            ("Treatments", "treatments"),
            ("Adverse events", "adverse_events"),
            ("Serious AEs", "serious_adverse_events"),
        ],
        strict=True,
    ):
        col.metric(label, int(totals[key]))
    st.subheader("Per site")
    st.dataframe(counts.rename(columns=COLUMN_LABELS), hide_index=True, key="site_counts")


st.set_page_config(page_title="caseguard", page_icon=":material/shield:", layout="wide")
navigation = st.navigation(
    [st.Page(overview_page, title="Overview", icon=":material/table:", default=True)]
)
navigation.run()
