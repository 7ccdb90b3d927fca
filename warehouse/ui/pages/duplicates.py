"""Possible duplicates: the coordinator reviews pairs found by record linkage."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from schemas.common import REF
from schemas.errors import CaseguardError
from warehouse.capture.regimens import product_label
from warehouse.linkage.review import decide, decision_history, review_queue, timelines, undo
from warehouse.linkage.run import run_linkage
from warehouse.ui.app_state import session
from warehouse.ui.layout import lang, reset_next_run, show_error, t

FLASH, PICK, REASON = "dup_flash", "dup_pick", "dup_reason_text"

cur = session()


def _decision_label(value: object) -> str:
    return t(f"dup_decision_{value}") if isinstance(value, str) else t("dup_decision_none")


def _fields_text(fields: object) -> str:
    """The agreeing fields of a pair in the reader's language ("фамилия, дата рождения")."""
    names = [f.strip() for f in str(fields or "").split(",") if f.strip()]
    keys = ["dup_field_" + re.sub(r"[^a-z0-9]+", "_", n.lower()).strip("_") for n in names]
    return ", ".join(t(key) for key in keys)


def _queue_table(queue: pd.DataFrame) -> pd.DataFrame:
    shown = pd.DataFrame(
        {
            t("dup_col_subject_a"): queue["subject_id_a"],
            t("dup_col_site_a"): queue["site_a"],
            t("dup_col_subject_b"): queue["subject_id_b"],
            t("dup_col_site_b"): queue["site_b"],
            t("dup_col_probability"): queue["match_probability"].round(4),
            t("dup_col_weight"): queue["match_weight"].round(1),
            t("dup_col_fields"): [_fields_text(v) for v in queue["agreeing_fields"]],
            t("dup_col_decision"): [_decision_label(v) for v in queue["decision"]],
        }
    )
    return shown


def _timeline(frame: pd.DataFrame) -> None:
    if frame.empty:
        st.info(t("dup_no_treatments"))
        return
    st.dataframe(
        pd.DataFrame(
            {
                t("dup_col_product"): [
                    product_label(code, lang()) if code in REF.products.index else name
                    for code, name in zip(frame["product_id"], frame["product"], strict=True)
                ],
                t("dup_col_start"): frame["start_day"],
                t("dup_col_end"): frame["end_day"],
            }
        ),
        hide_index=True,
    )


def _decide(row: pd.Series) -> None:
    a, b = str(row["subject_id_a"]), str(row["subject_id_b"])
    reason = st.text_input(t("dup_reason"), key=REASON)
    if isinstance(row["decision"], str):
        if st.button(t("dup_undo"), key="dup_undo"):
            if not reason.strip():
                st.error(t("dup_reason_missing"))
                return
            undo(cur, str(row["decision_id"]), reason)
            st.session_state[FLASH] = t("dup_undone", a=a, b=b)
            reset_next_run(**{REASON: ""})
            st.rerun()
        return
    same, different = st.columns(2)
    for column, decision, label in (
        (same, "same", "dup_same"),
        (different, "different", "dup_different"),
    ):
        if column.button(
            t(label), key=f"dup_{decision}", type="primary" if decision == "same" else "secondary"
        ):
            if not reason.strip():
                st.error(t("dup_reason_missing"))
                return
            decide(cur, a, b, decision, reason)
            st.session_state[FLASH] = t(
                "dup_decided", a=a, b=b, decision=t(f"dup_decision_{decision}")
            )
            reset_next_run(**{REASON: ""})
            st.rerun()


def page() -> None:
    st.title(t("dup_title"))
    st.caption(t("dup_caption"))
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH))
    if st.button(t("dup_run"), key="dup_run"):
        summary = run_linkage(cur)
        st.session_state[FLASH] = t(
            "dup_ran",
            subjects=summary.subjects,
            pairs=summary.pairs,
            threshold=f"{summary.threshold:g}",
            cross=summary.cross_centre,
        )
        st.rerun()
    queue = review_queue(cur)
    if queue.empty:
        st.info(t("dup_none"))
        return
    st.caption(t("dup_pending", n=int(queue["decision"].isna().sum())))
    st.dataframe(_queue_table(queue), hide_index=True, key="dup_queue")
    # Options are the pairs themselves (not positions), so a pair stays chosen when a
    # decision moves it down the queue, and its undo is at hand.
    pairs = [f"{a}|{b}" for a, b in zip(queue["subject_id_a"], queue["subject_id_b"], strict=True)]
    labels = {
        f"{a}|{b}": f"{a} ({sa}) · {b} ({sb})"
        for a, sa, b, sb in queue[["subject_id_a", "site_a", "subject_id_b", "site_b"]].itertuples(
            index=False
        )
    }
    if st.session_state.get(PICK) not in labels:
        st.session_state.pop(PICK, None)
    picked = st.selectbox(t("dup_pair"), pairs, format_func=labels.__getitem__, key=PICK)
    row = queue.iloc[pairs.index(picked or pairs[0])]
    st.markdown(f"**{t('dup_col_fields')}:** {_fields_text(row['agreeing_fields'])}")
    st.subheader(t("dup_timelines"))
    shown = timelines(cur, [str(row["subject_id_a"]), str(row["subject_id_b"])])
    left, right = st.columns(2)
    for column, side in ((left, "a"), (right, "b")):
        with column:
            st.markdown(f"**{row[f'subject_id_{side}']}** · {row[f'site_{side}']}")
            _timeline(shown[str(row[f"subject_id_{side}"])])
    _decide(row)
    with st.expander(t("dup_history")):
        st.dataframe(decision_history(cur), hide_index=True)


try:
    page()
except CaseguardError as exc:
    show_error(exc)
