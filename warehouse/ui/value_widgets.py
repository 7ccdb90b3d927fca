"""One saved value, as the user reads it and as the widget that changes it: shared by the
corrections page and a query answered with a correction.

An event's coded term is changed the way it was entered: with a MedDRA dictionary
loaded, through the LLT search (the new LLT then codes the event, in the correction's
transaction: :func:`coding_finish`); without one, from the study's list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from schemas.formats import date_text
from warehouse.capture import corrections as corr
from warehouse.capture.ae_entry import LltChoice
from warehouse.reporting.ae_coding import TermLookup, recoding_writer, term_lookup
from warehouse.store.meddra_names import meddra_names
from warehouse.ui.app_state import session
from warehouse.ui.layout import date_field, lang, t
from warehouse.ui.llt_widgets import llt_picker


def is_term(spec: corr.FieldSpec) -> bool:
    """True for an adverse event's coded term (changed with its coding, not alone)."""
    return spec.table == "adverse_events" and spec.name == "coded_term"


def value_text(value: Any, spec: corr.FieldSpec | None = None) -> str:
    """A saved value in the reader's words: empty, yes/no, a date in the page's format,
    a code by its label (a MedDRA-coded term by its PT's name)."""
    if value is None or value == "":
        return t("corr_empty_value")
    if isinstance(value, bool):
        return t("corr_yes") if value else t("corr_no")
    if isinstance(value, dt.date):
        return date_text(value, lang())
    if spec is None:
        return str(value)
    names = meddra_names(session(), lang()) if is_term(spec) else None
    return corr.value_label(spec, value, lang(), names)


def _term_lookup(key: str) -> TermLookup:
    """The LLT search's state for the term widget ``key`` (version None: no dictionary)."""
    query_key = f"{key}|query"
    st.session_state.setdefault(query_key, "")
    chosen = st.session_state.get(key)
    return term_lookup(
        session(),
        str(st.session_state[query_key]),
        chosen if isinstance(chosen, int) else None,
        lang(),
    )


def term_input(key: str, label: str, lookup: TermLookup) -> LltChoice | None:
    """The LLT search of the loaded MedDRA dictionary; the LLT picked (None until then)."""
    llt_picker(f"{key}|query", key, label, lookup, lookup.chosen, start_empty=True)
    coding = lookup.chosen
    if coding is None:
        return None
    return LltChoice(coding.llt_code, coding.version, coding.pt_code, coding.soc_code)


def coding_finish(spec: corr.FieldSpec, site_code: str, key: dict[str, Any], new: Any) -> Any:
    """What a correction of ``spec`` writes with it in the reporting tables: the new LLT
    of a coded term, or forgetting the LLT when the term is one of the study's list.
    None for every other field."""
    if not is_term(spec):
        return None
    llt = (new.llt_code, new.version) if isinstance(new, LltChoice) else None
    return recoding_writer(session(), site_code, str(key["ae_id"]), llt)


def value_input(spec: corr.FieldSpec, shown: Any, key: str, label: str) -> Any:
    """The input widget for one field kind, prefilled with the saved value (a coded
    term, while a MedDRA dictionary is loaded, through the LLT search)."""
    if is_term(spec):
        lookup = _term_lookup(key)
        if lookup.version is not None:
            return term_input(key, label, lookup)
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
