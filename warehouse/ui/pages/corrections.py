"""Corrections: change a saved value with a reason (audited); consent withdrawal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from anonymise.errors import ScrubberUnavailable
from schemas import load_reference
from schemas.errors import CaseguardError, ValidationFailed
from warehouse.capture import corrections as corr
from warehouse.review.queries import field_queries
from warehouse.review.soft_checks import question_text
from warehouse.store.cases import load_case
from warehouse.store.meddra_names import meddra_names
from warehouse.ui.app_state import session
from warehouse.ui.layout import date_field, lang, reset_next_run, show_error, show_problems, t
from warehouse.ui.subject_state import current_subject
from warehouse.ui.value_widgets import coding_finish, value_input, value_text

SAVED, REASON = "corr_saved", "corr_reason"
WD_DATE, WD_REASON, WD_CONFIRM = "corr_wd_date", "corr_wd_reason", "corr_wd_confirm"


def _refused(problem: corr.InputProblem | None, slot: Any, prefix: str) -> bool:
    if problem is None:
        return False
    slot.error(t(f"{prefix}_{problem.code}", types=", ".join(problem.types)))
    return True


st.title(t("corr_title"))
st.caption(t("corr_caption"))
subject = current_subject()
if subject is None:
    st.info(t("corr_no_subject"))
    st.stop()
if not subject.exists:
    st.info(t("corr_subject_not_saved"))
    st.stop()
try:
    case = load_case(session(), subject.subject_id)
except CaseguardError as exc:
    show_error(exc)
    st.stop()
shift = subject.date_shift_days
withdrawn_on = corr.withdrawal_of(case, shift)
status = load_reference().label("subject_statuses", str(case.subject.get("status")), lang())
st.markdown(t("corr_subject", subject=subject.subject_id, status=status))
if withdrawn_on is not None:
    st.warning(t("corr_withdrawn_banner", date=value_text(withdrawn_on)))
open_queries = field_queries(session(), subject.subject_id)
if not open_queries.empty:
    st.warning(t("qry_subject_open", count=len(open_queries)))
saved_message = st.session_state.pop(SAVED, None)
if saved_message:
    st.success(saved_message)

st.header(t("corr_edit_title"))
tables = corr.editable_tables(case)
if not tables:
    st.info(t("corr_nothing"))
else:
    table = st.selectbox(
        t("corr_table"),
        tables,
        key="corr_table",
        format_func={x: t(f"corr_table_{x}") for x in tables}.__getitem__,
    )
    names = meddra_names(session(), lang())
    rows = {choice.label: choice for choice in corr.rows_of(case, table, shift, lang(), names)}
    row_label = st.selectbox(t("corr_row"), list(rows), key="corr_row")
    specs = {spec.name: spec for spec in corr.editable_fields(case, table)}
    field = st.selectbox(
        t("corr_field"),
        list(specs),
        key="corr_field",
        format_func={c: corr.field_label(table, c, lang()) for c in specs}.__getitem__,
    )
    spec, row = specs[field], rows[row_label]
    current = corr.shown_value(spec, corr.current_value(case, table, row.key, field), shift)
    st.caption(t("corr_current", value=value_text(current, spec)))
    row_key = "|".join(str(row.key[c]) for c in row.key)
    on_field = open_queries[
        (open_queries["table_name"] == table)
        & (open_queries["row_key"] == row_key)
        & (open_queries["field"] == field)
    ]
    for query_id, question in zip(on_field["query_id"], on_field["question"], strict=True):
        st.warning(
            t("qry_on_field", query=query_id, question=question_text(str(question), lang())),
            icon=":material/contact_support:",
        )
    widget_key = f"corr_new|{table}|{row_label}|{field}"
    new_value = value_input(spec, current, widget_key, t("corr_new_value"))
    value_slot = st.empty()
    reason = st.text_area(t("corr_reason"), key=REASON, height=80, help=t("corr_reason_help"))
    reason_slot = st.empty()
    if st.button(t("corr_save"), type="primary", key="corr_save"):
        try:
            refused = _refused(corr.value_problem(spec, new_value), value_slot, "corr_value")
            refused |= _refused(corr.reason_problem(reason), reason_slot, "corr_reason")
            if refused:
                st.stop()
            if new_value == current:
                value_slot.info(t("corr_unchanged"))
                st.stop()
            finish = coding_finish(spec, subject.site_code, row.key, new_value)
            corr.correct(session(), subject, spec, row.key, new_value, reason, finish)
        except ScrubberUnavailable:
            reason_slot.error(t("corr_scrubber_unavailable"))
        except ValidationFailed as exc:
            with value_slot.container():
                show_problems(corr.field_label(table, field, lang()), exc.problems)
        except CaseguardError as exc:
            show_error(exc)
        else:
            reset_next_run(**{REASON: ""})
            st.session_state[SAVED] = t(
                "corr_saved",
                field=corr.field_label(table, field, lang()),
                row=row_label,
                old=value_text(current, spec),
                new=value_text(new_value, spec),
            )
            st.rerun()

st.divider()
st.header(t("corr_withdraw_title"))
if withdrawn_on is not None or case.subject.get("status") == "withdrawn":
    st.info(t("corr_already_withdrawn"))
    st.stop()
with st.container(border=True):
    st.caption(t("corr_withdraw_intro"))
    st.session_state.setdefault(WD_DATE, dt.date.today())
    on = date_field(t("corr_withdraw_date"), WD_DATE, help=t("corr_date_help"))
    wd_reason = st.text_area(t("corr_withdraw_reason"), key=WD_REASON, height=80)
    wd_reason_slot = st.empty()
    confirmed = st.checkbox(t("corr_withdraw_confirm"), key=WD_CONFIRM)
    confirm_slot = st.empty()
    if st.button(t("corr_withdraw_button"), type="primary", key="corr_withdraw"):
        try:
            refused = _refused(corr.reason_problem(wd_reason), wd_reason_slot, "corr_reason")
            if not confirmed:
                confirm_slot.error(t("corr_withdraw_unconfirmed"))
                refused = True
            if refused or not isinstance(on, dt.date):
                st.stop()
            corr.withdraw(session(), subject, on, wd_reason)
        except ScrubberUnavailable:
            wd_reason_slot.error(t("corr_scrubber_unavailable"))
        except CaseguardError as exc:
            show_error(exc)
        else:
            reset_next_run(**{WD_REASON: "", WD_CONFIRM: False})
            st.session_state[SAVED] = t(
                "corr_withdrawn", subject=subject.subject_id, date=value_text(on)
            )
            st.rerun()
