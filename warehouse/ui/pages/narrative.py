"""Narrative: free text scrubbed, reviewed with highlighted redactions, saved scrubbed.

The original text lives only in this session's widget state until it is saved,
then it is dropped; only the redacted text reaches the warehouse. Nothing here is
cached (no st.cache_data on the text).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from anonymise import manual_redaction as mr
from anonymise.errors import ScrubberUnavailable
from schemas.common import MAX_TEXT
from schemas.errors import CaseguardError, ValidationFailed
from schemas.formats import date_text
from warehouse.capture import narrative_entry as ne
from warehouse.ui.app_state import session
from warehouse.ui.input_limits import NARRATIVE_INPUT_CAP
from warehouse.ui.layout import date_field, lang, show_error, show_problems, t
from warehouse.ui.subject_state import current_subject

TEXT, LANGUAGE, VISIT = "narr_text", "narr_language", "narr_visit_date"
PREVIEW, MARKS, SAVED = "narr_preview", "narr_marks", "narr_saved"
MARK_PICK, MARK_TEXT, MARK_TYPE = "narr_mark_pick", "narr_mark_text", "narr_mark_type"
FORGET_AFTER_SAVE = (PREVIEW, MARKS, MARK_PICK, MARK_TEXT)
EMPTY_TEXT = "_narr_empty_text"  # set by a save: the next run empties the text box


def _count(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def _forget(*keys: str) -> None:
    for key in keys:
        st.session_state.pop(key, None)


st.title(t("narr_title"))
st.caption(t("narr_caption"))
subject = current_subject()
if subject is None:
    st.info(t("narr_no_subject"))
    st.stop()
if not subject.exists:
    st.info(t("narr_subject_not_saved"))
    st.stop()
st.markdown(t("narr_subject", subject=subject.subject_id))
saved_message = st.session_state.pop(SAVED, None)
if saved_message:
    st.success(saved_message)
if st.session_state.pop(EMPTY_TEXT, False):
    # Given an empty value, not deleted: a deleted key can leave the unscrubbed text
    # showing in the browser after "the original text was discarded".
    st.session_state[TEXT] = ""

# The box takes far more than a narrative may hold, so a long paste is kept whole and the
# user told (the browser would cut at max_chars without a word); its length is checked on
# preview, with a message.
text = st.text_area(
    t("narr_text"), key=TEXT, height=220, max_chars=NARRATIVE_INPUT_CAP, help=t("narr_text_help")
)
if len(text) > MAX_TEXT:
    st.warning(
        t(
            "narr_text_length",
            length=f"{len(text):,}".replace(",", " "),
            limit=f"{MAX_TEXT:,}".replace(",", " "),
        )
    )
text_slot = st.empty()
left, right = st.columns(2)
language = left.selectbox(
    t("narr_language"),
    ne.LANGUAGE_CHOICES,
    key=LANGUAGE,
    format_func={code: t(f"narr_lang_{code}") for code in ne.LANGUAGE_CHOICES}.__getitem__,
)
if text.strip() and language == ne.AUTO:
    left.caption(t("narr_detected", language=t(f"narr_lang_{ne.detected_language(text)}")))
st.session_state.setdefault(VISIT, dt.date.today())
visit_date: Any = date_field(
    t("narr_visit_date"), VISIT, where=right, help=t("narr_visit_date_help")
)
date_slot = right.empty()

if st.button(t("narr_preview_button"), key="narr_preview_button"):
    _forget(PREVIEW, MARKS)
    if not text.strip():
        text_slot.error(t("narr_text_missing"))
    else:
        try:
            with st.spinner(t("narr_scrubbing")):
                st.session_state[PREVIEW] = (
                    text,
                    ne.preview(text, language, subject.date_shift_days),
                )
            st.session_state[MARKS] = []
        except ne.NarrativeTooLong as exc:
            text_slot.error(exc.message_in(lang()))
        except ScrubberUnavailable:
            text_slot.error(t("narr_scrubber_unavailable"))
        except CaseguardError as exc:
            show_error(exc)

reviewed = st.session_state.get(PREVIEW)
if reviewed is None:
    st.stop()
source, review = reviewed
if source != text:
    st.warning(t("narr_preview_stale"))
    st.stop()
marks: list[tuple[str, str]] = st.session_state.setdefault(MARKS, [])
redactions = review.with_marks(source, marks)

st.subheader(t("narr_preview_title"))
st.caption(t("narr_preview_legend"))
with st.container(border=True):
    st.markdown(mr.highlight_html(mr.render(source, redactions)), unsafe_allow_html=True)
counts = mr.counts(redactions)
if counts:
    st.markdown(f"**{t('narr_counts_title')}**")
    for column, (kind, count) in zip(st.columns(len(counts)), counts.items(), strict=True):
        column.metric(kind, count)
else:
    st.info(t("narr_nothing_found"))

st.subheader(t("narr_mark_title"))
st.caption(t("narr_mark_help"))
pick_col, type_col, button_col = st.columns([3, 2, 1], vertical_alignment="bottom")
picked = pick_col.selectbox(
    t("narr_mark_pick"),
    mr.visible_words(source, redactions),
    index=None,
    key=MARK_PICK,
    placeholder=t("narr_mark_pick_placeholder"),
)
typed = pick_col.text_input(t("narr_mark_text"), key=MARK_TEXT)
kind = type_col.selectbox(t("narr_mark_type"), mr.redaction_types(), key=MARK_TYPE)
mark_slot = st.empty()
if button_col.button(t("narr_mark_button"), key="narr_mark_button"):
    span = (typed or picked or "").strip()
    try:
        mr.mark(source, redactions, span, kind)
    except mr.MarkNotFound:
        mark_slot.error(t("narr_mark_not_found") if span else t("narr_mark_missing"))
    else:
        st.session_state[MARKS] = [*marks, (span, kind)]
        _forget(MARK_PICK, MARK_TEXT)
        st.rerun()
if marks:
    manual = sum(1 for r in redactions if r.manual)
    st.caption(t("narr_marked", count=manual))
    if st.button(t("narr_mark_undo"), key="narr_mark_undo"):
        st.session_state[MARKS] = marks[:-1]
        st.rerun()

st.divider()
if st.button(t("narr_save"), type="primary", key="narr_save_button"):
    if not isinstance(visit_date, dt.date):
        st.error(t("narr_visit_date_missing"))
        st.stop()
    narrative = ne.finish(source, review, marks)
    try:
        ne.save_narrative(session(), subject, visit_date, narrative)
    except ValidationFailed as exc:
        with date_slot.container():
            show_problems(
                t("narr_visit_date"), [p for p in exc.problems if p.field == "visit_date"]
            )
        others = [p for p in exc.problems if p.field != "visit_date"]
        if others:
            show_error(ValidationFailed(others))
    except CaseguardError as exc:
        show_error(exc)
    else:
        _forget(*FORGET_AFTER_SAVE)
        st.session_state[EMPTY_TEXT] = True
        st.session_state[SAVED] = t(
            "narr_saved",
            subject=subject.subject_id,
            date=date_text(visit_date, lang()),
            chars=len(narrative.text),
            redactions=sum(narrative.counts.values()),
        )
        st.rerun()
