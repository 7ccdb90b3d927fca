"""Adverse event report for the open subject.

The verbatim term is scrubbed of identifiers before it is validated or stored and
the user is shown what was removed. Choosing grade 5 sets outcome "fatal" and the
criterion "death" (and locks them) through the grade's on_change callback. As on
the visits page, Save only raises a flag; the save runs at the top of the next
run, after the login check and before the widgets, so problems appear under their
fields and everything typed stays in place.

With a MedDRA dictionary loaded the term field is a search over current LLTs (English
and Russian, by word prefix) and the chosen LLT's PT, HLT, HLGT and primary SOC are
shown; without one the study's term list works as before. Day 0 (the date the site
first knew) is entered as a real date and stored unshifted; each suspect product
shows whether the event is expected from its reference safety information and which
reporting clock (7 or 15 days) a save will start.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from schemas import load_reference
from schemas.errors import CaseguardError, ValidationFailed
from schemas.formats import date_text
from warehouse.capture.ae_entry import (
    ACTION,
    AWARE,
    DEATH,
    END,
    GRADE,
    GRADE_DEATH,
    ONSET,
    OUTCOME,
    SERIOUSNESS,
    TERM,
    VERBATIM,
    AEInput,
    LltChoice,
    ae_locator,
    apply_grade,
    body_system,
    causality_key,
    criteria_codes,
    criterion_key,
    product_label,
    release_grade,
    save_ae,
    scrub_verbatim,
    suspect_products,
    term_label,
    term_options,
)
from warehouse.capture.case_summary import adverse_events_table
from warehouse.capture.entry_problems import GENERAL, FieldProblems, place
from warehouse.capture.subjects_lookup import OpenSubject
from warehouse.reporting.ae_coding import (
    ExpectednessView,
    derive,
    expectedness_view,
    reporting_writer,
    term_lookup,
)
from warehouse.reporting.meddra import Coding
from warehouse.store.cases import load_case
from warehouse.store.meddra_names import meddra_names
from warehouse.ui.app_state import session
from warehouse.ui.layout import date_field, lang, show_error, show_problems, t
from warehouse.ui.llt_widgets import llt_picker
from warehouse.ui.subject_state import current_subject

REQUESTED, FORCED, SAVE = "_ae_requested", "_ae_grade5_forced", "aes_save_button"
PROBLEMS, ERROR, DONE, SCRUB = "_ae_problems", "_ae_error", "_ae_done", "_ae_scrub"
ONGOING = "ae_ongoing"
QUERY = "ae_term_query"  # the LLT search text (MedDRA mode); TERM then holds the LLT code
# What was on the form when it was last checked (problems of a changed field are hidden),
# and the form itself, kept when the user visits another page and comes back.
CHECKED, KEPT = "_ae_checked", "_ae_kept"
STATE = st.session_state
REF = load_reference()
LABELS = {
    TERM: "ae_term",
    VERBATIM: "ae_verbatim",
    ONSET: "ae_onset",
    END: "ae_end",
    GRADE: "ae_grade",
    SERIOUSNESS: "ae_seriousness",
    ACTION: "ae_action",
    OUTCOME: "ae_outcome",
    AWARE: "ae_aware",
}


def _criteria() -> tuple[str, ...]:
    return tuple(c for c in criteria_codes() if STATE.get(criterion_key(c)))


def _set(outcome: str | None, criteria: tuple[str, ...]) -> None:
    STATE[OUTCOME] = outcome
    for code in criteria_codes():
        STATE[criterion_key(code)] = code in criteria


def _grade_changed() -> None:
    """Grade 5 forces outcome fatal and criterion death; lowering it releases them."""
    grade = STATE.get(GRADE)
    if grade == GRADE_DEATH:
        _set(*apply_grade(grade, STATE.get(OUTCOME), _criteria()))
        STATE[FORCED] = True
    elif STATE.pop(FORCED, False):
        _set(*release_grade(STATE.get(OUTCOME), _criteria()))


def _chosen_llt() -> int | None:
    chosen = STATE.get(TERM)
    return chosen if isinstance(chosen, int) else None


def _coding() -> Coding | None:
    """The chosen LLT's derived terms in the user's language (MedDRA mode only)."""
    chosen = _chosen_llt()
    if VERSION is None or chosen is None:
        return None
    if LOOKUP.chosen is not None and LOOKUP.chosen.llt_code == chosen:
        return LOOKUP.chosen  # looked up at the top of this run
    return derive(session(), chosen, lang())


def _llt_choice(coding: Coding | None) -> LltChoice | None:
    if coding is None:
        return None
    return LltChoice(coding.llt_code, coding.version, coding.pt_code, coding.soc_code)


def _event(products: list[str]) -> AEInput:
    llt = _llt_choice(_coding())
    return AEInput(
        term_id=None if VERSION is not None else STATE.get(TERM),
        llt=llt,
        aware_date=STATE.get(AWARE),
        verbatim=str(STATE.get(VERBATIM) or ""),
        onset_date=STATE.get(ONSET),
        end_date=None if STATE.get(ONGOING, True) else STATE.get(END),
        grade=STATE.get(GRADE),
        criteria=_criteria(),
        action_taken=STATE.get(ACTION),
        outcome=STATE.get(OUTCOME),
        causality={p: STATE[causality_key(p)] for p in products if STATE.get(causality_key(p))},
    )


def _form_keys() -> list[str]:
    return [str(k) for k in STATE.to_dict() if str(k).startswith("ae_")]


def _snapshot() -> dict[str, Any]:
    """The form's values now (criteria as one entry, like their problems)."""
    values = {k: STATE.get(k) for k in _form_keys()}
    values[SERIOUSNESS] = _criteria()
    values[END] = None if STATE.get(ONGOING, True) else STATE.get(END)
    return values


def _clear_form(products: list[str]) -> None:
    """Empty every field by giving it an empty value (deleting the keys would leave the
    browser showing the old text, the unscrubbed verbatim among it)."""
    STATE.pop(FORCED, None)
    STATE.pop(KEPT, None)
    for key in (TERM, ONSET, END, AWARE, GRADE, ACTION, OUTCOME):
        STATE[key] = None
    STATE[VERBATIM] = ""
    STATE[QUERY] = ""
    STATE[ONGOING] = True
    for code in criteria_codes():
        STATE[criterion_key(code)] = False
    for product in products:
        STATE[causality_key(product)] = None


def _keep_form(subject: OpenSubject) -> None:
    """Remember the form (in this session only) so another page does not empty it."""
    STATE[KEPT] = {"subject": subject.subject_id, "values": {k: STATE[k] for k in _form_keys()}}


def _restore_form(subject: OpenSubject) -> None:
    """Put back a form the user left for another page; forget one for another subject."""
    kept = STATE.get(KEPT)
    if not isinstance(kept, dict):
        return
    if kept.get("subject") != subject.subject_id:
        for key in (KEPT, PROBLEMS, ERROR, DONE, SCRUB, CHECKED, FORCED):
            STATE.pop(key, None)
        return
    for key, value in kept["values"].items():
        STATE.setdefault(key, value)


def _term_name(ae: AEInput) -> str:
    if ae.llt is not None:
        return derive(session(), ae.llt.llt_code, lang()).llt_name
    return term_label(str(ae.term_id), lang())


def _summary(subject: OpenSubject, ae: AEInput, rows: int) -> str:
    term = _term_name(ae)
    serious = t("ae_saved_serious" if ae.criteria else "ae_saved_not_serious")
    outcome = REF.label("outcomes", str(ae.outcome), lang())
    return t(
        "ae_saved",
        subject=subject.subject_id,
        term=term,
        grade=ae.grade,
        serious=serious,
        outcome=outcome,
        causality=rows,
    )


def _save(subject: OpenSubject, products: list[str]) -> None:
    """Scrub, validate and store a requested event (before any widget of this run)."""
    for key in (PROBLEMS, ERROR, DONE, SCRUB):
        STATE.pop(key, None)
    ae = _event(products)
    STATE[CHECKED] = _snapshot()
    try:
        scrubbed = scrub_verbatim(subject, ae)
        STATE[SCRUB] = (scrubbed.text, scrubbed.counts())
        llt = (ae.llt.llt_code, ae.llt.version) if ae.llt else None
        writer = reporting_writer(session(), subject.site_code, llt, ae.aware_date)
        summary = save_ae(session(), subject, ae, scrubbed, record_reporting=writer)
    except ValidationFailed as exc:
        STATE[PROBLEMS] = place(exc.problems, ae_locator(ae))
    except CaseguardError as exc:
        STATE[ERROR] = exc
    else:
        STATE[DONE] = _summary(subject, ae, summary.rows.get("ae_causality", 0))
        if ae.criteria and ae.aware_date is not None:
            STATE[DONE] += " " + t("ae_saved_clock", day0=date_text(ae.aware_date, lang()))
        _clear_form(products)


def _fresh(key: str) -> bool:
    """True while a field still holds what it held when its problems were found."""
    checked = STATE.get(CHECKED) or {}
    return key not in checked or _snapshot().get(key) == checked[key]


def _problems(key: str, label: str | None = None) -> None:
    found = STATE.get(PROBLEMS)
    if isinstance(found, FieldProblems) and _fresh(key):
        show_problems(label or t(LABELS[key]), found.problems(key))


def _labels(vocabulary: str) -> dict[str, str]:
    """Codes and their labels in the user's language (bound now, not when formatted)."""
    return {code: REF.label(vocabulary, code, lang()) for code in REF.codes(vocabulary)}


def _choice(vocabulary: str, key: str, label: str, disabled: bool = False) -> None:
    STATE.setdefault(key, None)
    names = _labels(vocabulary)
    st.selectbox(
        label,
        list(names),
        format_func=names.__getitem__,
        placeholder=t("ae_choose"),
        disabled=disabled,
        key=key,
    )
    _problems(key)


def _llt_term() -> None:
    """The LLT search: type words, pick one of the current LLTs found."""
    STATE.setdefault(QUERY, "")
    chosen = STATE.get(TERM)
    if chosen is not None and not isinstance(chosen, int):
        STATE[TERM] = None  # a study-list term from before the dictionary was loaded
    llt_picker(QUERY, TERM, t("ae_term"), LOOKUP, _coding())


def _list_term() -> None:
    STATE.setdefault(TERM, None)
    terms = {term: term_label(term, lang()) for term in term_options()}
    st.selectbox(
        t("ae_term"),
        list(terms),
        format_func=terms.__getitem__,
        placeholder=t("ae_term_placeholder"),
        help=t("ae_term_help"),
        key=TERM,
    )
    if STATE.get(TERM):
        st.caption(t("ae_body_system", system=body_system(STATE[TERM], lang())))


def _term_and_dates() -> None:
    if VERSION is None:
        _list_term()
    else:
        _llt_term()
    _problems(TERM)
    STATE.setdefault(VERBATIM, "")
    st.text_area(t("ae_verbatim"), max_chars=500, help=t("ae_verbatim_help"), key=VERBATIM)
    _problems(VERBATIM)
    onset, end = st.columns(2)
    with onset:
        STATE.setdefault(ONSET, None)
        date_field(t("ae_onset"), ONSET)
        _problems(ONSET)
    with end:
        # An end date once typed cannot be emptied in Streamlit's date input; "ongoing"
        # says so explicitly and takes the typed end date out of the event.
        STATE.setdefault(ONGOING, STATE.get(END) is None)
        ongoing = st.checkbox(t("ae_ongoing"), key=ONGOING, help=t("ae_end_help"))
        STATE.setdefault(END, None)
        date_field(t("ae_end"), END, disabled=ongoing)
        _problems(END)
    STATE.setdefault(AWARE, None)
    date_field(t("ae_aware"), AWARE, help=t("ae_aware_help"))
    _problems(AWARE)


def _grade_and_seriousness() -> bool:
    STATE.setdefault(GRADE, None)
    grades = {int(code): name for code, name in _labels("ctcae_grades").items()}
    st.selectbox(
        t("ae_grade"),
        list(grades),
        format_func=grades.__getitem__,
        placeholder=t("ae_choose"),
        help=t("ae_grade_help"),
        on_change=_grade_changed,
        key=GRADE,
    )
    _problems(GRADE)
    forced = STATE.get(GRADE) == GRADE_DEATH
    if forced:
        st.info(t("ae_grade5_note"), icon=":material/info:")
    st.markdown(f"**{t('ae_seriousness')}**", help=t("ae_seriousness_help"))
    for code in criteria_codes():
        st.checkbox(
            REF.label("seriousness_criteria", code, lang()),
            disabled=forced and code == DEATH,
            key=criterion_key(code),
        )
    st.caption(t("ae_serious_yes" if _criteria() else "ae_serious_no"))
    _problems(SERIOUSNESS)
    return forced


def _expectedness(subject: OpenSubject, products: list[str]) -> ExpectednessView | None:
    """Expectedness of the event as entered so far (None until a term is chosen)."""
    ae = _event(products)
    if ae.coded_term is None or not products:
        return None
    pt = ae.llt.pt_code if ae.llt else None
    return expectedness_view(
        session(), subject.site_code, products, ae.coded_term, pt, ae.criteria, ae.causality
    )


def _clock_note(view: ExpectednessView | None) -> None:
    """Which reporting clock a save starts: 7 or 15 days, or none (and why)."""
    if view is None or not _criteria():
        return
    if view.initial_days is None:
        st.info(t("ae_clock_none"), icon=":material/schedule:")
        return
    key = "ae_clock_short" if view.category == "fatal_or_life_threatening" else "ae_clock_long"
    st.warning(t(key, days=view.initial_days), icon=":material/alarm:")


def _causality(subject: OpenSubject, products: list[str]) -> None:
    st.markdown(f"**{t('ae_causality')}**", help=t("ae_causality_help"))
    if not products:
        st.info(t("ae_no_products"))
    names = _labels("causality")
    view = _expectedness(subject, products)
    for product in products:
        key = causality_key(product)
        STATE.setdefault(key, None)
        st.selectbox(
            product_label(product, lang()),
            list(names),
            format_func=names.__getitem__,
            placeholder=t("ae_causality_placeholder"),
            key=key,
        )
        if view is not None:
            listed = view.expected.get(product, False)
            st.caption(t("ae_expected" if listed else "ae_unexpected"))
        _problems(key, product_label(product, lang()))
    _clock_note(view)


def _outcome_messages() -> None:
    scrub = STATE.get(SCRUB)
    found = STATE.get(PROBLEMS)
    if isinstance(found, FieldProblems):
        count = sum(len(found.messages(key, lang())) for key in found.fields() if _fresh(key))
        st.error(t("ae_problems", count=count))
        for message in found.messages(GENERAL, lang()):
            st.error(message)
    if isinstance(STATE.get(ERROR), CaseguardError):
        show_error(STATE[ERROR])
    if STATE.get(DONE):
        st.success(str(STATE[DONE]), icon=":material/check_circle:")
    if scrub and scrub[0]:
        text, counts = scrub
        st.caption(t("ae_scrub_result" if STATE.get(DONE) else "ae_scrub_preview", text=text))
        items = ", ".join(f"{kind} × {n}" for kind, n in counts.items())
        st.caption(t("ae_scrub_removed", items=items) if items else t("ae_scrub_nothing"))


def _form(subject: OpenSubject, products: list[str]) -> None:
    st.subheader(t("ae_event"))
    _term_and_dates()
    forced = _grade_and_seriousness()
    _causality(subject, products)
    left, right = st.columns(2)
    with left:
        _choice("action_taken", ACTION, t("ae_action"))
    with right:
        _choice("outcomes", OUTCOME, t("ae_outcome"), disabled=forced)
    st.button(
        t("ae_save"), type="primary", key=SAVE, on_click=STATE.__setitem__, args=(REQUESTED, True)
    )
    _outcome_messages()


def _recorded(subject: OpenSubject) -> None:
    """The subject's adverse events already recorded, so none is entered twice."""
    case = load_case(session(), subject.subject_id)
    recorded = adverse_events_table(
        case, subject.date_shift_days, lang(), meddra_names(session(), lang())
    )
    with st.expander(t("ae_list_title", n=len(recorded)), expanded=not recorded.empty):
        if recorded.empty:
            st.caption(t("ae_list_none"))
        else:
            st.table(recorded, hide_index=True)  # wraps to the page: no column hidden at the edge


st.title(t("ae_title"))
subject = current_subject()
if subject is None:
    st.info(t("ae_no_subject"))
    st.stop()
if not subject.exists:
    st.info(t("ae_subject_not_saved"))
    st.stop()
try:
    products = suspect_products(session(), subject.subject_id)
except CaseguardError as exc:
    show_error(exc)
    st.stop()
st.caption(t("ae_subject", subject=subject.subject_id, site=subject.site_code))
_restore_form(subject)
LOOKUP = term_lookup(session(), str(STATE.get(QUERY) or ""), _chosen_llt(), lang())
VERSION = LOOKUP.version
if STATE.pop(REQUESTED, False):
    _save(subject, products)
    if STATE.get(DONE):  # the form was emptied: so is the search
        LOOKUP = term_lookup(session(), "", None, lang())
_recorded(subject)  # after a save, so the event just saved is listed
st.caption(t("ae_dates_note"))
_form(subject, products)
_keep_form(subject)
