"""Pooled export (coordinators): options, progress, disclosure report, download."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from schemas.errors import CaseguardError
from warehouse.export.archive import export_archive
from warehouse.export.release import ExportOptions
from warehouse.ui.app_state import session
from warehouse.ui.layout import show_error, t

RESULT = "export_archive"

st.title(t("export_title"))
st.caption(t("export_intro"))
with st.form("export_options"):
    fmt = st.selectbox(t("export_format"), ["parquet", "csv", "xlsx"], key="export_fmt")
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
    share = st.number_input(
        t("export_max_suppression"), min_value=0.0, max_value=50.0, value=5.0, step=0.5,
        key="export_share",
    )  # fmt: skip
    force = st.checkbox(t("export_force"), key="export_force")
    run = st.form_submit_button(t("export_run"), type="primary")

if run:
    options = ExportOptions(str(fmt), int(k), str(dates), bool(sdtm), float(share) / 100, force)
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
    st.download_button(
        t("export_download"), archive.data, archive.file_name, "application/zip",
        key="export_download",
    )  # fmt: skip
    st.subheader(t("export_report"))
    rows = [
        {
            t("export_col_qi"): name,
            t("export_col_level"): info["level"],
            t("export_col_generalised"): info["rows_generalised"],
            t("export_col_values"): info["distinct_values"],
        }
        for name, info in disclosure.get("generalisation", {}).items()
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="export_report_table")
    st.caption(t("export_audited"))
