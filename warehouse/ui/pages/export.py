"""Pooled export (coordinators): options, progress, disclosure report, download."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from schemas import load_reference
from schemas.disclosure_spec import quasi_identifiers
from schemas.errors import CaseguardError
from schemas.formats import number_text
from warehouse.export.archive import export_archive
from warehouse.export.preview import level_rows, preview
from warehouse.export.release import ExportOptions
from warehouse.ui.app_state import session
from warehouse.ui.layout import lang, show_error, t

RESULT = "export_archive"
PREVIEW = "export_preview"

st.title(t("export_title"))
st.caption(t("export_intro"))
with st.form("export_options"):
    fmt = st.selectbox(
        t("export_format"),
        ["parquet", "csv", "xlsx"],
        key="export_fmt",
        format_func={"parquet": "Parquet", "csv": "CSV", "xlsx": "Excel (XLSX)"}.__getitem__,
    )
    k = st.number_input(
        t("export_k"), min_value=2, max_value=50, value=5, step=1, key="export_k",
        help=t("export_k_help"),
    )  # fmt: skip
    date_labels = {"shifted": t("export_dates_shifted"), "study-day": t("export_dates_study_day")}
    dates = st.radio(
        t("export_dates"),
        list(date_labels),
        format_func=date_labels.__getitem__,
        key="export_dates",
        horizontal=True,
    )
    sdtm = st.checkbox(t("export_sdtm"), key="export_sdtm")
    # Half-percent steps, each written as the user's language writes a number ("2,5 %").
    share = st.select_slider(
        t("export_max_suppression"),
        options=[step / 2 for step in range(0, 101)],
        value=5.0,
        format_func=lambda value: f"{number_text(value, lang())} %",
        key="export_share",
    )
    force = st.checkbox(t("export_force"), key="export_force")
    verified_only = st.checkbox(t("export_verified_only"), key="export_verified_only")
    with st.expander(t("export_pins"), expanded=PREVIEW in st.session_state):
        st.caption(t("export_pins_help"))
        pins = {}
        for qi in quasi_identifiers(load_reference()):
            search = t("export_pin_search")
            chosen = st.selectbox(
                qi.label_ru if lang() == "ru" else qi.label_en,
                [search, *qi.level_names[qi.lowest_released :]],
                key=f"export_pin_{qi.name}",
            )
            if chosen != search:
                pins[qi.name] = str(chosen)
    show = st.form_submit_button(t("export_preview"))
    run = st.form_submit_button(t("export_run"), type="primary")

options = ExportOptions(
    str(fmt), int(k), str(dates), bool(sdtm), float(share) / 100, force,
    pins=tuple(pins.items()), verified_only=verified_only,
)  # fmt: skip
if show:
    try:
        st.session_state[PREVIEW] = preview(session(), options)
    except CaseguardError as exc:
        st.session_state.pop(PREVIEW, None)
        show_error(exc)

shown = st.session_state.get(PREVIEW)
if shown is not None and not run:
    st.subheader(t("export_preview_title"))
    lattice, greedy = shown["lattice"], shown["greedy"]
    left, middle, right = st.columns(3)
    left.metric(t("export_preview_suppressed"), shown["subjects_suppressed"],
                help=t("export_preview_of", total=shown["subjects_considered"]))  # fmt: skip
    middle.metric(t("export_preview_loss"), lattice["information_loss"])
    right.metric(t("export_preview_greedy"), greedy["information_loss"])
    if shown["refused"]:
        st.warning(t("export_preview_refused"))
    table = [
        {
            t("export_col_qi"): row["quasi_identifier"],
            t("export_col_level"): row["level"] + (" 📌" if row["pinned"] else ""),
            t("export_col_greedy"): row["greedy_level"],
            t("export_col_weight"): row["weight"],
            t("export_col_loss"): row["loss"],
            t("export_col_values"): row["distinct_values"],
        }
        for row in level_rows(shown)
    ]
    st.dataframe(pd.DataFrame(table), hide_index=True, key="export_preview_table")
    st.caption(t("export_preview_metric"))

if run:
    st.session_state.pop(PREVIEW, None)
    bar = st.progress(0.0, text=t("export_progress", stage="…"))

    def report(stage: str, done: int, total: int) -> None:
        bar.progress(
            min(1.0, done / total) if total else 0.0, text=t("export_progress", stage=stage)
        )

    try:
        st.session_state[RESULT] = export_archive(session(), options, report)
    except CaseguardError as exc:
        st.session_state.pop(RESULT, None)
        show_error(exc)
    bar.empty()

archive = st.session_state.get(RESULT)
if archive is not None:
    disclosure = archive.result.disclosure
    st.success(
        t(
            "export_done",
            released=disclosure.get("subjects_released", 0),
            suppressed=disclosure.get("subjects_suppressed", 0),
            excluded=archive.result.excluded.get("excluded", 0),
            digest=archive.result.manifest_sha256,
        )
    )
    review = archive.result.manifest.get("review", {})
    st.caption(
        t(
            "export_review_figures",
            verified=review.get("rows_verified", 0),
            signed=review.get("rows_signed", 0),
            rows=review.get("rows", 0),
        )
    )
    st.download_button(
        t("export_download"), archive.data, archive.file_name, "application/zip",
        key="export_download",
    )  # fmt: skip
    st.subheader(t("export_report"))
    rows = [
        {
            t("export_col_qi"): row["quasi_identifier"],
            t("export_col_level"): row["level"],
            t("export_col_greedy"): row["greedy_level"],
            t("export_col_loss"): row["loss"],
            t("export_col_generalised"): row["rows_generalised"],
            t("export_col_values"): row["distinct_values"],
        }
        for row in level_rows(disclosure)
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="export_report_table")
    st.caption(
        t(
            "export_report_loss",
            loss=disclosure["lattice"]["information_loss"],
            greedy=disclosure["greedy"]["information_loss"],
        )
    )
    st.caption(t("export_audited"))
