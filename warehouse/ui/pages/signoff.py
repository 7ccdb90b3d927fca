"""Investigator sign-off (site users): the open subject's casebook, what the signature
means, and the password asked again; the signature's state (none, standing, broken)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from schemas.errors import CaseguardError
from warehouse.review import signoff
from warehouse.store.accounts import AccountLocked, LoginFailed
from warehouse.ui.app_state import session
from warehouse.ui.layout import show_error, t
from warehouse.ui.review_widgets import signature_line
from warehouse.ui.subject_state import current_subject

DONE, PASSWORD = "sig_done", "sig_password"

current = session()
st.title(t("sig_title"))
st.caption(t("sig_caption"))
done = st.session_state.pop(DONE, None)
if done:
    st.success(done)
subject = current_subject()
if subject is None or not subject.exists:
    st.info(t("sig_no_subject"))
    st.stop()
try:
    status = signoff.signature_status(current, subject.subject_id)
    counts, digest = signoff.casebook(current, subject.subject_id)
except CaseguardError as exc:
    show_error(exc)
    st.stop()
signature_line(status)
if not signoff.is_investigator(current):
    st.warning(t("sig_not_investigator"))
    st.stop()

with st.container(border=True):
    st.subheader(t("sig_what", subject=subject.subject_id))
    st.markdown(f"**{t('sig_records')}**")
    st.table(
        pd.DataFrame(
            {t("rev_col_table"): [t(f"corr_table_{x}") for x in counts], "n": list(counts.values())}
        ).set_index(t("rev_col_table"))
    )
    st.caption(t("sig_hash", hash=digest))
    meaning = t("sig_meaning")
    st.markdown(f"**{t('sig_meaning_label')}:** {meaning}")
    st.text_input(t("sig_password"), type="password", key=PASSWORD)
    slot = st.empty()
    if st.button(t("sig_sign"), key="sig_sign", type="primary"):
        password = st.session_state.pop(PASSWORD, "")
        try:
            signature_id = signoff.sign_casebook(
                current, subject.subject_id, password, meaning, digest
            )
        except AccountLocked as exc:
            slot.error(t("sig_locked", minutes=exc.minutes))
        except LoginFailed:
            slot.error(t("sig_wrong_password"))
        except signoff.CasebookChanged:
            slot.error(t("sig_changed"))
        except CaseguardError as exc:
            show_error(exc)
        else:
            st.session_state[DONE] = t("sig_signed", signature=signature_id)
            st.rerun()
