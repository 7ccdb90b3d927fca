"""Safety listings (monitor, coordinator): serious AEs with drill-down to one event,
deaths, overdue nusinersen doses and data completeness per centre. Read-only; only the
listing the user picks is loaded, and each load is audit-logged by the warehouse."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from schemas.errors import CaseguardError
from warehouse.safety.dashboard import masked_completeness
from warehouse.safety.display import number, with_labels
from warehouse.safety.metrics import deaths, overdue_doses, sae_listing, site_completeness
from warehouse.store.access import EXPORT_POOLED
from warehouse.store.meddra_names import meddra_names
from warehouse.ui import safety_widgets as w
from warehouse.ui.app_state import session
from warehouse.ui.layout import date_field, lang, show_error, t

VIEWS = ("sae", "deaths", "overdue", "completeness")
DETAIL = (
    *("subject_id", "product_id", "term", "ctcae_grade", "criteria", "onset_day"),
    *("outcome", "causality", "causality_all_products", "action_taken", "site_code"),
)

st.title(t("safety_listings_title"))
st.caption(t("safety_listings_caption"))
me = session()
row_export = me.allows(EXPORT_POOLED)  # monitors see listings but export no rows
chosen = w.filters(me)
if chosen is None:
    st.stop()
view = st.segmented_control(
    t("safety_listings_title"),
    VIEWS,
    default="sae",
    required=True,
    key="safety_listing_view",
    format_func={v: t(f"safety_tab_{v}") for v in VIEWS}.__getitem__,
    label_visibility="collapsed",
)
as_of = dt.date.today()
if view in ("overdue", "completeness"):
    st.session_state.setdefault("safety_as_of", as_of)
    as_of = date_field(t("safety_overdue_as_of"), "safety_as_of") or as_of

try:
    if view == "sae":
        w.how("safety_how_sae")
        listing = sae_listing(me, chosen)
        if listing.empty:
            st.info(t("safety_sae_empty"))
            st.stop()
        w.table(listing.drop(columns=["narrative"]), "safety_sae_listing", downloadable=row_export)
        picked: str = st.selectbox(t("safety_sae_pick"), listing["ae_id"], key="safety_sae_pick")
        names = meddra_names(me, lang())
        event = with_labels(listing, lang(), names).set_index("ae_id").loc[picked]
        with st.container(border=True):
            st.subheader(t("safety_sae_detail", ae_id=picked))
            left, right = st.columns(2)
            for i, field in enumerate(DETAIL):
                (left if i % 2 == 0 else right).markdown(
                    f"**{t('safety_col_' + field)}:** {number(event[field], 0, lang())}"
                )
            if isinstance(event["narrative"], str) and event["narrative"]:
                days = number(event["narrative_offset_days"], 0, lang())
                st.caption(t("safety_narrative", days=days))
                st.text(event["narrative"])
            else:
                st.caption(t("safety_no_narrative"))
    elif view == "deaths":
        w.how("safety_how_deaths")
        died = deaths(me, chosen)
        if died.empty:
            st.info(t("safety_deaths_empty"))
        else:
            w.table(died, "safety_deaths", downloadable=row_export)
    elif view == "overdue":
        w.how("safety_how_overdue")
        late = overdue_doses(me, as_of, chosen)
        if late.empty:
            st.info(t("safety_overdue_empty"))
        else:
            w.table(late, "safety_overdue", downloadable=row_export)
    else:
        w.how("safety_how_completeness")
        complete = masked_completeness(site_completeness(me, as_of, chosen))
        w.table(complete, "safety_completeness")
except CaseguardError as exc:
    show_error(exc)
