"""Data review (monitors, coordinators): queries by centre and state with their threads
(close, re-open), raising a query on one stored value, source-data verification of a
subject's records or visits, and progress figures (queries by age, SDV, signatures).

Monitors write queries and verification marks only; the warehouse refuses them any
clinical value whatever this page shows.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from schemas.common import REF
from schemas.errors import CaseguardError
from schemas.formats import date_text
from warehouse.capture import corrections as corr
from warehouse.capture.regimens import product_label
from warehouse.review import metrics, sdv, signoff
from warehouse.review import queries as q
from warehouse.store.admin import list_sites
from warehouse.store.cases import list_subjects, load_case
from warehouse.store.meddra_names import meddra_names
from warehouse.ui.app_state import session
from warehouse.ui.layout import lang, reset_next_run, show_error, t
from warehouse.ui.review_widgets import (
    field_name,
    queries_table,
    query_label,
    show_thread,
    signature_line,
    text_refused,
)
from warehouse.ui.value_widgets import value_text

DONE = "rev_done"

current = session()
st.title(t("rev_title"))
st.caption(t("rev_caption"))
done = st.session_state.pop(DONE, None)
if done:
    st.success(done)

try:
    sites = list(list_sites(current)["site_code"])
    subjects = list_subjects(current)
except CaseguardError as exc:
    show_error(exc)
    st.stop()

tab_queries, tab_raise, tab_sdv, tab_progress = st.tabs(
    [t("rev_tab_queries"), t("rev_tab_raise"), t("rev_tab_sdv"), t("rev_tab_progress")]
)

# --- queries --------------------------------------------------------------------------
with tab_queries:
    everywhere = t("rev_all")
    left, right = st.columns(2)
    site = left.selectbox(t("rev_centre"), [everywhere, *sites], key="rev_site")
    states = [everywhere, *q.STATES]
    state = right.selectbox(
        t("rev_state"),
        states,
        index=1,
        key="rev_state",
        format_func={
            everywhere: everywhere,
            **{s: t(f"rev_state_{s}") for s in q.STATES},
        }.__getitem__,
    )
    found = q.list_queries(
        current,
        site=None if site == everywhere else site,
        state=None if state == everywhere else state,
    )
    if found.empty:
        st.info(t("rev_no_queries"))
    else:
        st.dataframe(queries_table(found), hide_index=True, width="stretch")
        labels = {row["query_id"]: query_label(row) for _, row in found.iterrows()}
        chosen = st.selectbox(
            t("rev_pick_query"), list(labels), key="rev_query", format_func=labels.__getitem__
        )
        picked = found[found["query_id"] == chosen].iloc[0]
        st.subheader(t("rev_thread"))
        show_thread(current, chosen)
        if picked["state"] in q.ACTIVE:
            note = st.text_input(t("rev_close_note"), key="rev_close_note")
            slot = st.empty()
            if st.button(t("rev_close"), key="rev_close", type="primary"):
                try:
                    q.close_query(current, chosen, note)
                except Exception as exc:  # noqa: BLE001  (text errors shown by the box)
                    if not text_refused(exc, slot):
                        raise
                else:
                    st.session_state[DONE] = t("rev_closed_ok", query=chosen)
                    reset_next_run(rev_close_note="")
                    st.rerun()
        if picked["state"] in (q.ANSWERED, q.CLOSED):
            follow_up = st.text_area(t("rev_reopen_text"), key="rev_reopen_text", height=80)
            slot = st.empty()
            if st.button(t("rev_reopen"), key="rev_reopen"):
                try:
                    q.reopen_query(current, chosen, follow_up)
                except Exception as exc:  # noqa: BLE001
                    if not text_refused(exc, slot):
                        raise
                else:
                    st.session_state[DONE] = t("rev_reopened_ok", query=chosen)
                    reset_next_run(rev_reopen_text="")
                    st.rerun()


def _row_text(row_key: str) -> str:
    """A record's key as the reader names its parts: products by their label, dates in
    the page's format ("AE-…|SEN-SENIPRUTUG" → "AE-… · Сенипрутуг")."""
    parts = []
    for part in str(row_key).split("|"):
        if part in REF.products.index:
            parts.append(product_label(part, lang()))
        elif len(part) == 10 and part[4:5] == "-" and part[7:8] == "-" and part[:4].isdigit():
            parts.append(date_text(part, lang()))
        else:
            parts.append(part)
    return " · ".join(parts)


def _subject_picker(key: str, label: str) -> str | None:
    if subjects.empty:
        st.info(t("rev_no_subjects"))
        return None
    ids = list(subjects["subject_id"])
    return str(st.selectbox(t(label), ids, key=key))


# --- raise a query ---------------------------------------------------------------------
with tab_raise:
    subject_id = _subject_picker("rev_raise_subject", "rev_subject")
    if subject_id:
        case = load_case(current, subject_id)
        tables = corr.editable_tables(case)
        table = st.selectbox(
            t("rev_table"),
            tables,
            key="rev_raise_table",
            format_func={x: t(f"corr_table_{x}") for x in tables}.__getitem__,
        )
        names = meddra_names(current, lang())
        rows = {choice.label: choice for choice in corr.rows_of(case, table, 0, lang(), names)}
        row_label = st.selectbox(t("rev_row"), list(rows), key="rev_raise_row")
        specs = {spec.name: spec for spec in corr.editable_fields(case, table)}
        fields = list(specs)
        column = st.selectbox(
            t("rev_field"),
            fields,
            key="rev_raise_field",
            format_func={c: field_name(table, c) for c in fields}.__getitem__,
        )
        key = rows[row_label].key
        value = corr.current_value(case, table, key, column)
        # the monitor reads the value as the site sees it
        st.caption(t("rev_value", value=value_text(value, specs[column])))
        question = st.text_area(
            t("rev_question"), key="rev_question", height=100, help=t("rev_question_help")
        )
        slot = st.empty()
        if st.button(t("rev_raise"), key="rev_raise", type="primary"):
            row_key = "|".join(str(key[c]) for c in key)
            try:
                query_id = q.open_query(
                    current, q.Target(subject_id, table, row_key, column), question
                )
            except Exception as exc:  # noqa: BLE001
                if not text_refused(exc, slot):
                    raise
            else:
                stored = q.messages(current, query_id).iloc[0]["text"]
                site_code = q.get_query(current, query_id).site_code
                st.session_state[DONE] = t(
                    "rev_raised", query=query_id, site=site_code, text=stored
                )
                reset_next_run(rev_question="")
                st.rerun()

# --- source-data verification -------------------------------------------------------
with tab_sdv:
    subject_id = _subject_picker("rev_sdv_subject", "rev_sdv_subject")
    if subject_id:
        st.markdown(f"**{t('rev_signature')}**")
        signature_line(signoff.signature_status(current, subject_id))
        marks = sdv.subject_marks(current, subject_id)
        st.markdown(f"**{t('rev_sdv_rows')}**")
        st.dataframe(
            pd.DataFrame(
                {
                    t("rev_col_table"): [t(f"corr_table_{x}") for x in marks["table_name"]],
                    t("rev_col_row_key"): [_row_text(k) for k in marks["row_key"]],
                    t("rev_sdv_verified"): [  # words: a grid reads a bool out as "false"
                        t("corr_yes") if v else t("corr_no") for v in marks["verified"]
                    ],
                }
            ),
            hide_index=True,
            width="stretch",
        )
        pending = marks[~marks["verified"]]
        options = [f"{r.table_name}:{r.row_key}" for r in pending.itertuples(index=False)]
        picked = st.multiselect(
            t("rev_sdv_pick"),
            options,
            key="rev_sdv_pick",
            format_func={
                o: f"{t('corr_table_' + o.split(':', 1)[0])} · {_row_text(o.split(':', 1)[1])}"
                for o in options
            }.__getitem__,
        )
        if st.button(t("rev_sdv_mark"), key="rev_sdv_mark", type="primary"):
            if not picked:
                st.error(t("rev_sdv_none"))
            else:
                try:
                    count = sdv.mark_verified(
                        current,
                        subject_id,
                        [tuple(o.split(":", 1)) for o in picked],
                    )
                except CaseguardError as exc:
                    show_error(exc)
                else:
                    st.session_state[DONE] = t("rev_sdv_done", count=count)
                    reset_next_run(rev_sdv_pick=[])
                    st.rerun()
        case = load_case(current, subject_id)
        visits = sorted(
            {r["visit_date"] for r in case.assessments} | {r["date"] for r in case.labs}
        )
        if visits:
            by_text = {date_text(d, lang()): d for d in visits}  # plain text options
            shown_day = st.selectbox(t("rev_sdv_visit"), list(by_text), key="rev_sdv_visit")
            day = by_text[shown_day]
            if st.button(t("rev_sdv_mark_visit"), key="rev_sdv_mark_visit"):
                try:
                    count = sdv.mark_visit(current, subject_id, day)
                except CaseguardError as exc:
                    show_error(exc)
                else:
                    st.session_state[DONE] = t("rev_sdv_done", count=count)
                    st.rerun()

# --- progress -------------------------------------------------------------------------
with tab_progress:
    st.subheader(t("rev_progress_queries"))
    summary = metrics.query_summary(current)
    st.dataframe(
        summary.rename(columns={c: t(f"rev_col_{c}") for c in summary.columns}),
        hide_index=True,
        width="stretch",
    )
    st.subheader(t("rev_progress_age"))
    ages = metrics.open_by_age(current)
    if not ages.empty:
        chart = ages.pivot_table(
            index="site_code", columns="band", values="queries", aggfunc="sum", observed=False
        ).fillna(0)
        st.bar_chart(chart)
    st.subheader(t("rev_progress_sdv"))
    progress = sdv.sdv_progress(current)
    if not progress.empty:
        share = progress.pivot_table(index="site_code", columns="table_name", values="share")
        st.bar_chart(share.rename(columns=lambda c: t(f"corr_table_{c}")), stack=False)
        shown = progress.assign(table_name=[t(f"corr_table_{x}") for x in progress["table_name"]])
        st.dataframe(
            shown.rename(columns={c: t(f"rev_col_{c}") for c in shown.columns}),
            hide_index=True,
            width="stretch",
        )
    st.subheader(t("rev_progress_sig"))
    signatures = signoff.signature_progress(current)
    st.dataframe(
        signatures.rename(columns={c: t(f"rev_col_{c}") for c in signatures.columns}),
        hide_index=True,
        width="stretch",
    )
