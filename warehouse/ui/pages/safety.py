"""Safety dashboard (monitor, coordinator): is the generic's AE rate different from
the reference's, and how sure are we. Read-only; every count a monitor sees is masked
below 5 (see warehouse/safety/dashboard.py)."""

from __future__ import annotations

import streamlit as st

from schemas import load_reference
from schemas.errors import CaseguardError
from warehouse.safety.charts import (
    forest_chart,
    localised,
    motor_chart,
    motor_panels,
    onset_chart,
    onset_long,
    rates_chart,
    rates_long,
)
from warehouse.safety.dashboard import BREAKDOWNS, breakdown, load_dashboard
from warehouse.ui import safety_widgets as w
from warehouse.ui.app_state import session
from warehouse.ui.layout import lang, show_error, t

FOREST_LABELS = ("all", "serious:True", "serious:False", "ctcae_grade", "age_band")

st.title(t("safety_title"))
st.caption(t("safety_caption"))
me = session()
chosen = w.filters(me)
if chosen is None:
    st.stop()
try:
    board = load_dashboard(me, chosen)
except CaseguardError as exc:
    show_error(exc)
    st.stop()
if len(board.products) <= 1:
    st.info(t("safety_no_subjects"))
    st.stop()

w.headline(board)
w.kpi_tiles(board)
st.caption(t("safety_masked_note"))
forest_tab, rates_tab, motor_tab, onset_tab, breakdown_tab = st.tabs(
    [t(f"safety_tab_{name}") for name in ("forest", "rates", "motor", "onset", "breakdown")]
)

with forest_tab:
    if board.forest.empty:
        st.info(t("safety_forest_empty"))
    else:
        labels = {k: t(f"safety_group_{k.replace(':', '_').lower()}") for k in FOREST_LABELS}
        bands = load_reference().vocabularies["age_bands"]
        labels |= {
            f"age_band:{band}": f"{labels['age_band']}: {entry[f'name_{lang()}']}"
            for band, entry in bands.items()
        }
        figure = forest_chart(board.forest, labels, t("safety_ratio_axis"))
        w.chart(localised(figure, lang()), "safety_forest")
        w.how("safety_how_forest")
        w.table(board.forest, "safety_ratios", decimals=2)

with rates_tab:
    measures = {m: t(f"safety_measure_{m}") for m in ("incidence", "event")}
    rates = rates_long(board.products, measures, lang())
    figure = rates_chart(rates, t("safety_rate_axis"), t("safety_measure"))
    w.chart(localised(figure, lang()), "safety_rates")
    w.how("safety_how_rates")
    w.table(board.products, "safety_products", index=True)

with motor_tab:
    # Panels only for the scales of the diseases in the filter, each with a trend.
    drawn = motor_panels(board.motor, (chosen.disease,) if chosen.disease else ())
    if drawn.empty:
        st.info(t("safety_motor_empty"))
    else:
        panels = motor_chart(drawn, t("safety_months_axis"), t("safety_change_axis"), lang())
        w.chart(localised(panels, lang()), "safety_motor")
        w.how("safety_how_motor")
        w.table(board.motor, "safety_motor_change")

with onset_tab:
    if board.onset.empty:
        st.info(t("safety_onset_empty"))
    else:
        bars = onset_chart(
            onset_long(board.onset, lang()),
            t("safety_onset_axis"),
            t("safety_events_axis"),
            t("safety_hidden_cell"),
        )
        w.chart(localised(bars, lang()), "safety_onset")
        w.how("safety_how_onset")
        w.table(board.onset.reset_index(names="window"), "safety_onset_windows")
        w.table(board.onset_summary, "safety_onset_summary")

with breakdown_tab:
    left, right = st.columns(2)
    dimension = left.selectbox(
        t("safety_breakdown_by"),
        BREAKDOWNS,
        key="safety_breakdown_by",
        format_func={d: t(f"safety_dim_{d}") for d in BREAKDOWNS}.__getitem__,
    )
    view = right.radio(
        t("safety_breakdown_show"),
        ("counts", "rates"),
        key="safety_breakdown_show",
        format_func={v: t(f"safety_breakdown_{v}") for v in ("counts", "rates")}.__getitem__,
        horizontal=True,
    )
    try:
        counts, rates_by = breakdown(me, chosen, dimension, board.products)
    except CaseguardError as exc:
        show_error(exc)
        st.stop()
    w.how("safety_how_breakdown")
    if view == "counts":
        w.table(counts.reset_index(names=dimension), f"safety_by_{dimension}")
    else:
        w.table(rates_by, f"safety_rates_by_{dimension}")
