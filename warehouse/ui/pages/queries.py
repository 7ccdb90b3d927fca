"""Queries (site users, coordinators): the open queries of one's centre, each with its
thread; answer with text, with a corrected value (audited with the query as its reason,
in one transaction with the answer), or both."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from anonymise.errors import ScrubberUnavailable
from schemas.errors import CaseguardError, ValidationFailed
from warehouse.capture import corrections as corr
from warehouse.capture.real_dates import refuse_future
from warehouse.review import queries as q
from warehouse.review.answering import answer_with_correction
from warehouse.store.cases import load_case
from warehouse.ui.app_state import session
from warehouse.ui.layout import show_error, show_problems, t
from warehouse.ui.review_widgets import (
    field_name,
    queries_table,
    query_label,
    show_thread,
    text_refused,
)
from warehouse.ui.subject_state import current_subject
from warehouse.ui.value_widgets import coding_finish, value_input, value_text

DONE = "qry_done"

current = session()
st.title(t("qry_title"))
st.caption(t("qry_caption"))
done = st.session_state.pop(DONE, None)
if done:
    st.success(done)
show_all = st.checkbox(t("qry_show_all"), key="qry_show_all")
try:
    found = q.list_queries(current, state=None if show_all else q.OPEN)
except CaseguardError as exc:
    show_error(exc)
    st.stop()
if found.empty:
    st.info(t("qry_none"))
    st.stop()
st.dataframe(queries_table(found), hide_index=True, width="stretch")
labels = {row["query_id"]: query_label(row) for _, row in found.iterrows()}
chosen = st.selectbox(
    t("rev_pick_query"), list(labels), key="qry_query", format_func=labels.__getitem__
)
picked = found[found["query_id"] == chosen].iloc[0]
table, column, subject_id = picked["table_name"], picked["field"], picked["subject_id"]
case = load_case(current, subject_id)
st.subheader(t("rev_thread"))
show_thread(current, chosen, case)
if picked["state"] != q.OPEN:
    st.stop()

specs = {spec.name: spec for spec in corr.editable_fields(case, table)}
spec = specs.get(column)
opened = current_subject()
shift = opened.date_shift_days if opened is not None and opened.subject_id == subject_id else None
key = q.key_values(table, picked["row_key"])
stored = corr.current_value(case, table, key, column)

answer = st.text_area(t("qry_answer"), key=f"qry_answer|{chosen}", height=100)
answer_slot = st.empty()
new_value: Any = None
correcting = False
if spec is None:
    st.caption(t("qry_not_editable"))
elif spec.kind == "date" and shift is None:
    st.caption(t("qry_date_needs_subject"))
else:
    correcting = st.checkbox(t("qry_correct"), key=f"qry_correct|{chosen}")
    shown = corr.shown_value(spec, stored, shift or 0)
    st.caption(t("qry_current", value=value_text(shown, spec)))
    if correcting:
        new_value = value_input(spec, shown, f"qry_value|{chosen}", t("qry_new_value"))
value_slot = st.empty()

if st.button(t("qry_send"), key="qry_send", type="primary"):
    try:
        if correcting and spec is not None:
            shown = corr.shown_value(spec, stored, shift or 0)
            if new_value == shown:
                value_slot.info(t("qry_unchanged"))
                st.stop()
            problem = corr.value_problem(spec, new_value)
            if problem is not None:
                value_slot.error(t(f"corr_value_{problem.code}", types=", ".join(problem.types)))
                st.stop()
            if spec.kind == "date" and isinstance(new_value, dt.date):
                refuse_future([(table, 0, column, new_value)])
            values = corr.changed_values(spec, corr.stored_value(spec, new_value, shift or 0))
            answer_with_correction(
                current,
                chosen,
                answer,
                values.pop(column),
                with_values=values,
                finish=coding_finish(spec, str(picked["site_code"]), key, new_value),
            )
            message = t(
                "qry_sent_corrected",
                query=chosen,
                field=field_name(table, column),
                old=value_text(shown, spec),
                new=value_text(new_value, spec),
            )
        else:
            if not answer.strip():
                answer_slot.error(t("qry_need_something"))
                st.stop()
            q.answer_query(current, chosen, answer)
            message = t("qry_sent", query=chosen)
    except ValidationFailed as exc:
        with value_slot.container():
            show_problems(field_name(table, column), exc.problems)
    except (q.QueryTextError, ScrubberUnavailable) as exc:
        text_refused(exc, answer_slot)
    except CaseguardError as exc:
        show_error(exc)
    else:
        st.session_state[DONE] = message
        st.rerun()
