"""One saved value, as the user reads it and as the widget that changes it: shared by the
corrections page and a query answered with a correction."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from schemas.formats import date_text
from warehouse.capture import corrections as corr
from warehouse.ui.layout import date_field, lang, t


def value_text(value: Any, spec: corr.FieldSpec | None = None) -> str:
    """A saved value in the reader's words: empty, yes/no, a date in the page's format,
    a code by its label."""
    if value is None or value == "":
        return t("corr_empty_value")
    if isinstance(value, bool):
        return t("corr_yes") if value else t("corr_no")
    if isinstance(value, dt.date):
        return date_text(value, lang())
    return corr.value_label(spec, value, lang()) if spec is not None else str(value)


def value_input(spec: corr.FieldSpec, shown: Any, key: str, label: str) -> Any:
    """The input widget for one field kind, prefilled with the saved value."""
    if spec.kind == "date":
        st.session_state.setdefault(key, shown)
        return date_field(label, key, help=t("corr_date_help"))
    if spec.kind == "bool":
        return st.checkbox(label, value=bool(shown), key=key)
    if spec.kind in ("int", "float"):
        number = int if spec.kind == "int" else float
        start = None if shown is None else number(shown)
        # No min/max on the widget: an out-of-range value reaches the check, which says why.
        return st.number_input(label, value=start, key=key)
    if spec.kind == "choice":
        options: list[Any] = [*([None] if spec.nullable else []), *spec.options]
        index = options.index(shown) if shown in options else None
        shown_as = {option: value_text(option, spec) for option in options}
        return st.selectbox(label, options, index=index, key=key, format_func=shown_as.__getitem__)
    return st.text_input(label, value=shown or "", key=key)
