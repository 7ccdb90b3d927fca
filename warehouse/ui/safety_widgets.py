"""Widgets shared by the two safety pages: filters, tables and charts with downloads,
the headline and the KPI tiles. Widgets and state only; the figures come from
:mod:`warehouse.safety.dashboard`, the text from :mod:`warehouse.safety.display`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Literal

import pandas as pd
import streamlit as st

from schemas import load_reference
from schemas.errors import CaseguardError
from schemas.labels import catalogue
from warehouse.safety.charts import Figure, to_png, to_svg
from warehouse.safety.dashboard import Dashboard
from warehouse.safety.display import (
    csv_bytes,
    formatted,
    headline_values,
    number,
    product_columns,
    product_name,
    with_labels,
)
from warehouse.safety.masking import HIDDEN
from warehouse.safety.metrics import AGE_BANDS, UNKNOWN_BAND, SafetyFilter
from warehouse.store.access import Session
from warehouse.store.admin import list_sites
from warehouse.store.meddra_names import meddra_names
from warehouse.ui.app_state import session as current_session
from warehouse.ui.layout import lang, show_error, t

KEEP: Literal["session"] = "session"  # filter values survive switching between the two safety pages
HEADLINE_BOX: dict[str, Callable[..., object]] = {
    "higher": st.warning,
    "lower": st.success,
    "no_difference": st.info,
}


def filters(session: Session) -> SafetyFilter | None:
    """The filter widgets; the chosen filter, or None (with the problem shown next to
    the field) when it is not usable yet."""
    reference = load_reference()
    products = reference.products["product_id"].tolist()
    sites = list_sites(session)["site_code"].tolist()
    diseases = list(reference.diseases)
    bands = [b for b, _ in AGE_BANDS] + [UNKNOWN_BAND]
    disease_names: dict[str | None, str] = {None: t("safety_all")}
    disease_names |= {d: _disease_name(d) for d in diseases}
    with st.expander(t("safety_filters"), expanded=True):
        st.caption(t("safety_empty_all"))
        left, middle, right = st.columns(3)
        chosen_products = left.multiselect(
            t("safety_f_products"),
            products,
            key="safety_f_products",
            format_func={p: product_name(p, lang()) for p in products}.__getitem__,
            persist_state=KEEP,
        )
        chosen_sites = middle.multiselect(
            t("safety_f_sites"), sites, key="safety_f_sites", persist_state=KEEP
        )
        # One disease by default: an SMA screen shows SMA products and scales only.
        st.session_state.setdefault("safety_f_disease", diseases[0] if diseases else None)
        disease = right.selectbox(
            t("safety_f_disease"),
            [None, *diseases],
            key="safety_f_disease",
            format_func=disease_names.__getitem__,
            persist_state=KEEP,
        )
        chosen_bands = left.multiselect(
            t("safety_f_age_bands"),
            bands,
            key="safety_f_age_bands",
            format_func=lambda band: reference.label("age_bands", band, lang()),
            persist_state=KEEP,
        )
        use_period = middle.checkbox(
            t("safety_f_use_period"), key="safety_f_use_period", persist_state=KEEP
        )
        period: tuple[Any, ...] = ()
        if use_period:
            period = tuple(
                right.date_input(
                    t("safety_f_period"),
                    value=[],
                    key="safety_f_period",
                    help=t("safety_f_period_help"),
                    persist_state=KEEP,
                )
                or ()
            )
            if len(period) != 2:
                right.error(t("safety_f_period_incomplete"))
                return None
        try:
            return SafetyFilter(
                products=tuple(chosen_products),
                sites=tuple(chosen_sites),
                disease=disease,
                period_start=period[0] if period else None,
                period_end=period[1] if period else None,
                age_bands=tuple(chosen_bands),
            )
        except CaseguardError as exc:
            show_error(exc)
            return None


def _disease_name(code: str) -> str:
    disease = load_reference().diseases[code]
    return disease.name_ru if lang() == "ru" else disease.name_en


def labelled(frame: pd.DataFrame, decimals: int = 1) -> pd.DataFrame:
    """The table formatted for the user's language, with translated column titles."""
    texts = catalogue()
    names = meddra_names(current_session(), lang())
    shown = formatted(product_columns(with_labels(frame, lang(), names), lang()), lang(), decimals)
    shown = shown.replace(HIDDEN, t("safety_hidden_cell"))
    return shown.rename(
        columns={c: t(f"safety_col_{c}") for c in shown.columns if f"safety_col_{c}" in texts}
    )


def table(
    frame: pd.DataFrame,
    key: str,
    index: bool = False,
    decimals: int = 1,
    downloadable: bool = True,
) -> pd.DataFrame:
    """A table and (if ``downloadable``) the button that downloads exactly it as CSV;
    returns what is shown."""
    data = frame.reset_index(names="product_id") if index else frame
    shown = labelled(data, decimals)
    st.dataframe(shown, hide_index=True, key=f"{key}_table")
    if not downloadable:
        st.caption(t("safety_no_row_export"))
        return shown
    st.download_button(
        t("safety_download_csv"),
        csv_bytes(shown),
        file_name=f"{key}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        on_click="ignore",
    )
    return shown


def chart(figure: Figure, key: str) -> None:
    """A chart and its PNG/SVG download buttons (images made only when clicked)."""
    st.altair_chart(figure, key=f"{key}_chart")
    # Side by side at the chart's left edge (two half-page columns put SVG mid-page).
    buttons = st.container(horizontal=True)
    buttons.download_button(
        t("safety_download_png"),
        functools.partial(to_png, figure),
        file_name=f"{key}.png",
        mime="image/png",
        key=f"{key}_png",
        on_click="ignore",
    )
    buttons.download_button(
        t("safety_download_svg"),
        functools.partial(to_svg, figure),
        file_name=f"{key}.svg",
        mime="image/svg+xml",
        key=f"{key}_svg",
        on_click="ignore",
    )


def how(key: str) -> None:
    """The "how this is computed" note of one metric."""
    with st.expander(t("safety_how")):
        st.markdown(t(key))


def headline(board: Dashboard) -> None:
    """The generic vs reference answer, one sentence per pair."""
    if not board.comparisons:
        st.info(t("safety_headline_none"))
    for comparison in board.comparisons:
        values = headline_values(comparison, lang())
        box = HEADLINE_BOX.get(comparison.verdict, st.info)
        box(t(f"safety_headline_{comparison.verdict}", **values))
    st.caption(t("safety_headline_help"))


def kpi_tiles(board: Dashboard) -> None:
    """Subjects, patient-years, AEs, SAEs, deaths and the rate ratio (masked totals)."""
    total = board.products.loc["Total"].replace(HIDDEN, t("safety_hidden_cell"))
    treated = board.subjects_treated
    tiles = [
        ("subjects", number(t("safety_hidden_cell") if treated == HIDDEN else treated, 0, lang())),
        ("years", number(total["patient_years"], 1, lang())),
        ("aes", number(total["events"], 0, lang())),
        ("saes", number(total["serious_events"], 0, lang())),
        ("deaths", number(total["deaths"], 0, lang())),
    ]
    # Two rows of three: six tiles in one row cut their labels ("Нежелательн…") on a
    # laptop's screen.
    columns = [column for _ in range(2) for column in st.columns(3)]
    for column, (name, value) in zip(columns, tiles, strict=False):
        column.metric(t(f"safety_kpi_{name}"), value, help=t(f"safety_kpi_{name}_help"))
    shown = [c for c in board.comparisons if c.ratio is not None]
    if shown:
        values = headline_values(shown[0], lang())
        columns[-1].metric(
            t("safety_kpi_irr"),
            values["ratio"],
            delta=t("safety_ci", lower=values["lower"], upper=values["upper"]),
            delta_color="off",
            delta_arrow="off",
            help=t("safety_kpi_irr_help"),
        )
    else:
        columns[-1].metric(t("safety_kpi_irr"), "—", help=t("safety_kpi_irr_help"))
    st.caption(
        t(
            "safety_kpi_counts_note",
            children=number(t("safety_hidden_cell") if treated == HIDDEN else treated, 0, lang()),
            exposures=number(total["subjects"], 0, lang()),
        )
    )
