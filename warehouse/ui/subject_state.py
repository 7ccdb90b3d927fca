"""The subject the user is working on, shared by the case pages.

Only the pseudonym and the date shift are kept (in Streamlit's session state);
the local patient id typed to find the subject is never kept.
"""

from __future__ import annotations

import streamlit as st

from warehouse.capture.subjects_lookup import OpenSubject

_KEY = "_open_subject"


def current_subject() -> OpenSubject | None:
    """The open subject, or None."""
    value = st.session_state.get(_KEY)
    return value if isinstance(value, OpenSubject) else None


def set_current_subject(subject: OpenSubject | None) -> None:
    """Open (or close, with None) a subject for the case pages."""
    if subject is None:
        st.session_state.pop(_KEY, None)
    else:
        st.session_state[_KEY] = subject
