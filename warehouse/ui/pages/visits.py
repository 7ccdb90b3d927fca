"""Visits: record scale scores, functional status and labs of the open subject.

The Save button only raises a flag; the save itself runs at the top of the next
run, after the router has checked the login again and before any widget exists,
so problems can be shown under their fields and a successful save can clear the
form. Nothing typed is touched when a save fails.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from schemas import load_reference
from schemas.errors import CaseguardError, ValidationFailed
from schemas.formats import CHART_DATE_FORMAT, date_text
from warehouse.capture.entry_problems import GENERAL, FieldProblems, place
from warehouse.capture.score_chart import ChartTexts, score_chart
from warehouse.capture.subjects_lookup import OpenSubject
from warehouse.capture.visit_entry import (
    STATUS_FIELDS,
    VISIT_DATE,
    LabInput,
    LabSpec,
    NothingToRecord,
    ScaleSpec,
    VisitInput,
    disease_name,
    lab_key,
    lab_tests_for,
    save_visit,
    scales_for,
    score_key,
    visit_locator,
    visit_summary,
)
from warehouse.capture.visit_history import VisitHistory, subject_visits, with_labels
from warehouse.ui.app_state import session
from warehouse.ui.layout import date_field, lang, show_error, show_problems, t
from warehouse.ui.subject_state import current_subject

SCALES, TESTS = "visit_scales", "visit_tests"
SAVE, PROBLEMS, NOTICE, ERROR, DONE = (
    "visits_save_button",
    "_visit_problems",
    "_visit_notice",
    "_visit_error",
    "_visit_done",
)
REQUESTED = "_visit_requested"
CHECKED = "_visit_checked"  # the form as it was when its problems were found
STATE = st.session_state


def _visit(scales: list[ScaleSpec], tests: list[LabSpec]) -> VisitInput:
    chosen = set(STATE.get(SCALES) or [])
    done = set(STATE.get(TESTS) or [])
    ventilation = STATE.get(STATUS_FIELDS["ventilation"])
    return VisitInput(
        visit_date=STATE.get(VISIT_DATE),
        scores={s.code: STATE.get(score_key(s.code)) for s in scales if s.code in chosen},
        ventilation=ventilation,
        niv_hours_per_day=STATE.get(STATUS_FIELDS["niv_hours_per_day"])
        if ventilation == "niv"
        else None,
        feeding=STATE.get(STATUS_FIELDS["feeding"]),
        motor_function=STATE.get(STATUS_FIELDS["motor_function"]),
        labs=tuple(
            LabInput(
                lab.code,
                STATE.get(lab_key(lab.code, "value")),
                STATE.get(lab_key(lab.code, "lower")),
                STATE.get(lab_key(lab.code, "upper")),
            )
            for lab in tests
            if lab.code in done
        ),
    )


def _form_values() -> dict[str, object]:
    return {str(k): v for k, v in STATE.to_dict().items() if str(k).startswith("visit_")}


def _clear_form() -> None:
    """Empty the form by giving its fields empty values (a deleted key can leave the old
    value showing in the browser)."""
    for key in _form_values():
        del STATE[key]
    STATE[SCALES], STATE[TESTS] = [], []
    STATE[VISIT_DATE] = dt.date.today()
    for key in STATUS_FIELDS.values():
        STATE[key] = None


def _save(subject: OpenSubject, scales: list[ScaleSpec], tests: list[LabSpec]) -> bool:
    """Run a requested save (before any widget of this run exists); True if saved."""
    for key in (PROBLEMS, NOTICE, ERROR, DONE):
        STATE.pop(key, None)
    visit = _visit(scales, tests)
    STATE[CHECKED] = _form_values()
    try:
        save_visit(session(), subject, visit)
    except NothingToRecord:
        STATE[NOTICE] = "visits_nothing"
    except ValidationFailed as exc:
        STATE[PROBLEMS] = place(exc.problems, visit_locator(visit))
    except CaseguardError as exc:
        STATE[ERROR] = exc
    else:
        scores, labs = visit_summary(visit)
        when = date_text(visit.visit_date, lang()) or "-"
        STATE[DONE] = t(
            "visits_saved", date=when, subject=subject.subject_id, scores=scores, labs=labs
        )
        _clear_form()
        return True
    return False


def _fresh(key: str) -> bool:
    """True while a field still holds what it held when its problems were found."""
    checked = STATE.get(CHECKED) or {}
    return key not in checked or STATE.get(key) == checked[key]


def _problems(key: str, label: str) -> None:
    found = STATE.get(PROBLEMS)
    if isinstance(found, FieldProblems) and _fresh(key):
        show_problems(label, found.problems(key))


def _choice(vocabulary: str, key: str, label: str) -> None:
    ref = load_reference()
    names = {code: ref.label(vocabulary, code, lang()) for code in ref.codes(vocabulary)}
    st.selectbox(
        label,
        list(names),
        index=None,
        format_func=names.__getitem__,
        placeholder=t("visits_not_recorded"),
        key=key,
    )
    _problems(key, label)


def _score_input(spec: ScaleSpec) -> None:
    name = spec.name(lang())
    if spec.max is None:
        label = t(
            "visits_score_open_label", scale=name, low=f"{spec.min:g}", unit=spec.unit_label(lang())
        )
    else:
        label = t(
            "visits_score_label",
            scale=name,
            low=f"{spec.min:g}",
            high=f"{spec.max:g}",
            unit=spec.unit_label(lang()),
        )
    whole = spec.integer
    # No min/max on the widget: an out-of-range score must reach the check (which names
    # the range) instead of being silently refused by the browser.
    st.number_input(
        label,
        step=1 if whole else 0.1,
        value=None,
        format="%d" if whole else "%.1f",
        help=t("visits_score_help_whole" if whole else "visits_score_help_decimal"),
        key=score_key(spec.code),
    )
    _problems(score_key(spec.code), name)


def _status() -> None:
    st.markdown(f"**{t('visits_status')}**")
    st.caption(t("visits_status_note"))
    left, right = st.columns(2)
    with left:
        _choice("ventilation", STATUS_FIELDS["ventilation"], t("visits_ventilation"))
        if STATE.get(STATUS_FIELDS["ventilation"]) == "niv":
            st.number_input(
                t("visits_niv_hours"),
                step=0.5,
                value=None,
                help=t("visits_niv_hours_help"),
                key=STATUS_FIELDS["niv_hours_per_day"],
            )
        _problems(STATUS_FIELDS["niv_hours_per_day"], t("visits_niv_hours"))
    with right:
        _choice("feeding", STATUS_FIELDS["feeding"], t("visits_feeding"))
        _choice("motor_function", STATUS_FIELDS["motor_function"], t("visits_motor_function"))


def _lab_inputs(spec: LabSpec) -> None:
    value, lower, upper = st.columns([2, 1, 1])
    with value:
        st.number_input(
            t("visits_lab_value", test=spec.name(lang()), unit=spec.unit_label(lang())),
            min_value=0.0,
            value=None,
            format="%g",
            help=t("visits_lab_value_help", unit=spec.unit_label(lang())),
            key=lab_key(spec.code, "value"),
        )
        _problems(lab_key(spec.code, "value"), spec.name(lang()))
    for column, end, default in ((lower, "lower", spec.lower), (upper, "upper", spec.upper)):
        with column:
            st.number_input(
                t(f"visits_lab_{end}", unit=spec.unit_label(lang())),
                min_value=0.0,
                value=default,
                format="%g",
                help=t("visits_lab_range_help"),
                key=lab_key(spec.code, end),
            )
            _problems(lab_key(spec.code, end), t(f"visits_lab_{end}", unit=spec.unit_label(lang())))


def _form(scales: list[ScaleSpec], tests: list[LabSpec]) -> None:
    st.subheader(t("visits_new"))
    STATE.setdefault(VISIT_DATE, dt.date.today())
    date_field(t("visits_date"), VISIT_DATE, help=t("visits_date_help"))
    _problems(VISIT_DATE, t("visits_date"))
    by_code = {s.code: s for s in scales}
    scale_names = {s.code: s.name(lang()) for s in scales}
    st.multiselect(
        t("visits_scales"),
        list(by_code),
        format_func=scale_names.__getitem__,
        help=t("visits_scales_help"),
        key=SCALES,
    )
    for code in STATE.get(SCALES) or []:
        _score_input(by_code[code])
    _status()
    st.markdown(f"**{t('visits_labs')}**")
    labs = {lab.code: lab for lab in tests}
    test_names = {lab.code: lab.name(lang()) for lab in tests}
    st.multiselect(
        t("visits_lab_tests"),
        list(labs),
        format_func=test_names.__getitem__,
        help=t("visits_lab_tests_help"),
        key=TESTS,
    )
    for code in STATE.get(TESTS) or []:
        _lab_inputs(labs[code])
    st.button(
        t("visits_save"),
        type="primary",
        key=SAVE,
        on_click=STATE.__setitem__,
        args=(REQUESTED, True),
    )
    _outcome()


def _outcome() -> None:
    found = STATE.get(PROBLEMS)
    if isinstance(found, FieldProblems):
        count = sum(len(found.messages(key, lang())) for key in found.fields() if _fresh(key))
        st.error(t("visits_problems", count=count))
        for message in found.messages(GENERAL, lang()):
            st.error(message)
    if STATE.get(NOTICE):
        st.warning(t(str(STATE[NOTICE])))
    if isinstance(STATE.get(ERROR), CaseguardError):
        show_error(STATE[ERROR])
    if STATE.get(DONE):
        st.success(str(STATE[DONE]), icon=":material/check_circle:")


def _history(history: VisitHistory) -> None:
    st.subheader(t("visits_history"))
    if history.assessments.empty and history.labs.empty:
        st.info(t("visits_history_empty"))
        return
    if not history.assessments.empty:
        texts = ChartTexts(
            date=t("visits_col_date"),
            score=t("visits_col_score"),
            scale=t("visits_col_scale"),
            baseline=t("visits_col_baseline"),
            first_dose=t("visits_chart_first_dose"),
            date_format=CHART_DATE_FORMAT[lang()],
            scale_names={s.code: s.name(lang()) for s in scales_for(history.disease)},
            lang=lang(),
        )
        st.altair_chart(score_chart(history.assessments, texts, history.first_dose))
        st.caption(t("visits_chart_caption"))
        shown = with_labels(history.assessments, lang()).iloc[::-1]
        st.dataframe(
            shown.rename(columns={c: t(f"visits_col_{c}") for c in shown.columns}),
            hide_index=True,
            key="visits_table_assessments",
        )
    if not history.labs.empty:
        st.markdown(f"**{t('visits_labs_history')}**")
        labs = with_labels(history.labs, lang()).iloc[::-1]
        st.dataframe(
            labs.rename(columns={c: t(f"visits_col_{c}") for c in labs.columns}),
            hide_index=True,
            key="visits_table_labs",
        )


st.title(t("visits_title"))
subject = current_subject()
if subject is None:
    st.info(t("visits_no_subject"))
    st.stop()
if not subject.exists:
    st.info(t("visits_subject_not_saved"))
    st.stop()
try:
    history = subject_visits(session(), subject)
    scales, tests = scales_for(history.disease), lab_tests_for(history.disease)
    if STATE.pop(REQUESTED, False) and _save(subject, scales, tests):
        history = subject_visits(session(), subject)
except CaseguardError as exc:
    show_error(exc)
    st.stop()
st.caption(
    t(
        "visits_subject",
        subject=subject.subject_id,
        site=subject.site_code,
        disease=disease_name(history.disease, lang()),
    )
)
st.caption(t("visits_dates_note"))
_form(scales, tests)
_history(history)
