"""Subject: find a patient by local id (never kept), see what is recorded, or start a case.

The local id is typed in a form that clears itself; only the pseudonym and date
shift are kept. A new case is entered in four steps whose values live in the
session (``subject_wizard``), so nothing typed is lost when a step has problems;
the whole case is saved in one transaction at the end.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from anonymise.pseudonym import InvalidLocalId
from schemas import Case
from schemas.common import REF
from schemas.errors import CaseguardError, ValidationFailed
from schemas.formats import number_text
from warehouse.capture import case_entry as ce
from warehouse.capture.case_summary import summarise
from warehouse.capture.subjects_lookup import OpenSubject, open_subject
from warehouse.demo.hints import demo_local_ids
from warehouse.linkage.storage import has_tokens, record_identifiers
from warehouse.linkage.tokens import Identifiers
from warehouse.review.soft_checks import checks_after_save
from warehouse.store.admin import list_sites
from warehouse.store.cases import load_case, save_case
from warehouse.ui.app_state import session
from warehouse.ui.layout import date_field, lang, show_error, show_problems, t
from warehouse.ui.subject_state import current_subject, set_current_subject

ROLES = ("site_user", "coordinator")
WIZ, FLASH, PREFIX = "subject_wizard", "subject_flash", "cw_"
LOOKUP_ERROR = "subject_lookup_error"

cur = session()
if cur.role not in ROLES:
    st.error(t("access_denied"))
    st.stop()
LANG = lang()  # fixed for this run (format functions may be called outside it)
st.title(t("subject_title"))
st.caption(t("subject_caption"))
if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH))


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _on_lookup() -> None:
    """Form callback: pseudonymise the typed id, then wipe it from the session at once."""
    local_id = str(st.session_state.get("subject_local_id") or "")
    st.session_state["subject_local_id"] = ""
    try:
        opened = open_subject(cur, local_id, st.session_state.get("subject_site"))
    except InvalidLocalId:
        st.session_state[LOOKUP_ERROR] = "subject_local_id_empty"
    except CaseguardError as exc:
        st.session_state[LOOKUP_ERROR] = exc
    else:
        set_current_subject(opened)


def _lookup() -> None:
    if not cur.site_scoped:
        sites = list_sites(cur)
        names = {
            code: REF.centre_name(code, name, LANG)
            for code, name in zip(sites["site_code"], sites["name"], strict=True)
        }
        st.selectbox(
            t("subject_centre"),
            list(names),
            format_func=lambda c: f"{c} — {names[c]}",
            key="subject_site",
        )
    with st.form("subject_lookup", clear_on_submit=True):
        st.text_input(
            t("subject_local_id"),
            key="subject_local_id",
            help=t("subject_local_id_help"),
            autocomplete="off",
        )
        st.form_submit_button(t("subject_open"), type="primary", on_click=_on_lookup)
    site = cur.site_code if cur.site_scoped else st.session_state.get("subject_site")
    try:
        examples = demo_local_ids(cur, site)
    except CaseguardError:
        examples = []
    if examples:
        st.caption(t("subject_demo_hint", ids=", ".join(f"`{i}`" for i in examples)))
    problem = st.session_state.pop(LOOKUP_ERROR, None)
    if isinstance(problem, CaseguardError):
        show_error(problem)
    elif problem:
        st.error(t(problem))


def _wizard(subject: OpenSubject) -> dict[str, Any]:
    state = st.session_state.get(WIZ)
    if not isinstance(state, dict) or state.get("subject_id") != subject.subject_id:
        for key in [k for k in st.session_state if str(k).startswith(PREFIX)]:
            del st.session_state[key]
        state = {
            "subject_id": subject.subject_id,
            "step": 0,
            "values": ce.default_values(dt.date.today()),
            "problems": [],
        }
        st.session_state[WIZ] = state
    return state


def _changed(state: dict[str, Any], field: str) -> bool:
    """True once the user has changed a field since its problems were found."""
    checked = state.get("checked") or {}
    return field in checked and state["values"].get(field) != checked[field]


def _current(state: dict[str, Any]) -> list[Any]:
    """The problems still worth showing: none about a field changed since the check."""
    return [p for p in state["problems"] if not any(_changed(state, f) for f in ce.fields_of(p))]


def _errors(state: dict[str, Any], field: str | None) -> None:
    problems = ce.problems_by_field(_current(state)).get(field, [])
    if field is None:
        for problem in problems:
            st.error(problem.message(lang()))
    else:
        show_problems(t(f"subject_f_{field}"), problems)


def _date(label: str, key: str, **kwargs: Any) -> Any:
    return date_field(label, key, **kwargs)


def _bind(state: dict[str, Any], field: str, widget: Any, **kwargs: Any) -> Any:
    """A widget showing (and updating) one wizard value, with its problems below it."""
    key = PREFIX + field
    if key not in st.session_state:
        st.session_state[key] = state["values"].get(field)
    state["values"][field] = widget(t(f"subject_f_{field}"), key=key, **kwargs)
    _errors(state, field)
    return state["values"][field]


def _choice(state: dict[str, Any], field: str, options: list[str], label: Any) -> Any:
    if st.session_state.get(PREFIX + field) not in options:
        st.session_state.pop(PREFIX + field, None)
        if state["values"].get(field) not in options:
            state["values"][field] = None
    return _bind(
        state,
        field,
        st.selectbox,
        options=options,
        format_func=label,
        index=None,
        placeholder=t("subject_choose"),
    )


def _signed_by(state: dict[str, Any]) -> None:
    _bind(
        state,
        "signed_by",
        st.radio,
        options=REF.codes("consent_signers"),
        index=None,
        horizontal=True,
        format_func=lambda c: REF.label("consent_signers", c, LANG),
    )


# Number inputs carry no min/max: Streamlit would silently refuse an out-of-range value
# (leaving the field "empty"); the schema says what the range is, next to the field.
def _birth_year(state: dict[str, Any]) -> None:
    _bind(state, "birth_year", st.number_input, step=1, value=None)


def _onset(state: dict[str, Any]) -> None:
    _bind(
        state,
        "age_at_onset_months",
        st.number_input,
        step=0.5,
        value=None,
        help=t("subject_help_onset"),
    )


def _consent_step(state: dict[str, Any]) -> None:
    st.info(t("subject_consent_first"))
    for field in ("processing", "pooled_research", "publication"):
        _bind(state, field, st.checkbox, help=t(f"subject_help_{field}"))
    _signed_by(state)
    _bind(state, "signed_date", _date)


def _demographics_step(state: dict[str, Any]) -> None:
    _choice(state, "sex", REF.codes("sexes"), lambda c: REF.label("sexes", c, LANG))
    _birth_year(state)
    _onset(state)
    _bind(state, "index_date", _date, help=t("subject_help_index_date"))
    _bind(state, "age_at_index_months", st.number_input, step=0.5, value=None)


def _diagnosis_step(state: dict[str, Any]) -> None:
    values = state["values"]
    disease = _choice(
        state,
        "disease",
        list(REF.diseases),
        lambda c: getattr(REF.diseases[c], f"name_{LANG}"),
    )
    subtypes = REF.diseases[disease].subtypes if disease else {}
    _choice(
        state,
        "disease_subtype",
        list(subtypes),
        lambda c: getattr(subtypes[c], f"name_{LANG}"),
    )
    markers = ce.genetic_markers(disease)
    genetics = {k: v for k, v in (values.get("genetics") or {}).items() if k in markers}
    for name, spec in markers.items():
        key = f"{PREFIX}gen_{name}"
        codes = spec["codes"]
        if st.session_state.get(key) not in codes:
            st.session_state[key] = genetics.get(name) if genetics.get(name) in codes else None
        names = {str(v["code"]): v[f"name_{lang()}"] for v in spec["values"]}
        genetics[name] = st.selectbox(
            spec[f"label_{lang()}"],
            codes,
            index=None,
            key=key,
            format_func=names.__getitem__,
            placeholder=t("subject_choose"),
        )
    values["genetics"] = genetics
    _errors(state, "genetics")


def _baseline_step(state: dict[str, Any]) -> None:
    values = state["values"]
    st.caption(t("subject_baseline_intro"))
    if values.get("visit_date") is None:
        values["visit_date"] = values.get("index_date")
    _bind(state, "visit_date", _date)
    scales = ce.scale_options(values.get("disease"))
    scale = _choice(state, "scale", scales, lambda c: str(REF.scale(c)[f"name_{LANG}"]))
    spec = REF.scale(scale) if scale else {}
    top = spec.get("max")
    whole = bool(spec.get("integer"))
    _bind(
        state,
        "score",
        st.number_input,
        step=1.0 if whole else 0.1,
        format="%.0f" if whole else "%.1f",
        value=None,
        help=None if top is None or pd.isna(top) else t("subject_score_range", top=f"{top:g}"),
    )
    for field in ("ventilation", "feeding", "motor_function"):
        _choice(state, field, REF.codes(field), lambda c, v=field: REF.label(v, c, LANG))
        if field == "ventilation" and values.get("ventilation") == "niv":
            _bind(state, "niv_hours_per_day", st.number_input, step=1.0, value=None)


STEP_VIEWS = (_consent_step, _demographics_step, _diagnosis_step, _baseline_step)
# Fields a rule spanning two steps may bring back onto the later step (see
# ce.RELATED_FIELDS): drawn there again so either side of the rule can be changed.
REPEATABLE = {"signed_by": _signed_by, "birth_year": _birth_year, "age_at_onset_months": _onset}


def _repeated(state: dict[str, Any], step: int) -> None:
    fields = [f for f in ce.repeated_fields(state["problems"], step) if f in REPEATABLE]
    if fields:
        st.markdown(f"**{t('subject_also_check')}**")
        for field in fields:
            REPEATABLE[field](state)


def _check(state: dict[str, Any], subject: OpenSubject, upto: int) -> Case | None:
    """Check the steps up to ``upto``; the case to save when there is no problem."""
    case, state["problems"] = ce.checked_case(
        subject, state["values"], upto, cur.username, _utcnow()
    )
    state["checked"] = copy.deepcopy(state["values"])
    if state["problems"]:
        state["step"] = min(ce.step_of(p) for p in state["problems"])
        return None
    return case


def _save(state: dict[str, Any], subject: OpenSubject) -> None:
    case = _check(state, subject, len(ce.STEPS) - 1)
    if case is None:
        return
    try:
        summary = save_case(cur, case)
    except ValidationFailed as exc:
        state["problems"] = exc.problems
        state["step"] = min(ce.step_of(p) for p in exc.problems)
        return
    checks_after_save(cur.db, summary.subject_ids)
    parts = [f"{t('subject_table_' + k)}: {n}" for k, n in summary.rows.items() if n]
    st.session_state[FLASH] = t("subject_saved", sid=subject.subject_id, rows=", ".join(parts))
    st.session_state.pop(WIZ, None)
    set_current_subject(replace(subject, exists=True))


def _new_case(subject: OpenSubject) -> None:
    state = _wizard(subject)
    step = state["step"]
    st.subheader(t("subject_new_case"))
    name = t(f"subject_step_{ce.STEPS[step]}")
    st.progress((step + 1) / len(ce.STEPS), text=t("subject_step", n=step + 1, name=name))
    if _current(state):
        st.warning(t("subject_fix_problems", n=len(_current(state))))
    _errors(state, None)
    STEP_VIEWS[step](state)
    _repeated(state, step)
    back, forward = st.columns(2)
    if step > 0 and back.button(t("subject_back"), key="cw_back"):
        state["step"], state["problems"] = step - 1, []
        st.rerun()
    last = step == len(ce.STEPS) - 1
    if forward.button(t("subject_save" if last else "subject_next"), key="cw_go", type="primary"):
        if last:
            try:
                _save(state, subject)
            except CaseguardError as exc:
                show_error(exc)
                return
        elif _check(state, subject, step) is not None:
            state["step"] = step + 1
        st.rerun()


def _existing(subject: OpenSubject) -> None:
    summary = summarise(load_case(cur, subject.subject_id), subject.date_shift_days, lang())
    st.caption(t("subject_dates_real"))
    left, right = st.columns(2)
    left.subheader(t("subject_consent"))
    left.table(
        pd.DataFrame(summary.consent, columns=[t("subject_col_item"), t("subject_col_value")])
    )
    right.subheader(t("subject_demographics"))
    right.table(
        pd.DataFrame(summary.demographics, columns=[t("subject_col_item"), t("subject_col_value")])
    )
    # Rows of three tiles: more in one row cut their labels ("Нежелательные я…").
    counts = list(summary.counts.items())
    for start in range(0, len(counts), 3):
        for col, (table, count) in zip(st.columns(3), counts[start : start + 3], strict=False):
            col.metric(t(f"subject_table_{table}"), number_text(int(count), LANG, 0))
    st.subheader(t("subject_treatments"))
    if summary.treatments.empty:
        st.info(t("subject_no_treatments"))
    else:
        st.dataframe(summary.treatments, hide_index=True, key="subject_treatments")


LINK_FIELDS = ("surname", "given_name", "patronymic", "birth_date", "sex", "snils", "birth_region")
LINK_FLASH = "link_flash"


def _make_tokens(subject: OpenSubject) -> None:
    """The form's submit callback: tokens from the typed identifiers, then every typed
    value is dropped from the session (a callback runs before the widgets are drawn)."""
    typed = {f: st.session_state.pop(f"link_{f}", None) for f in LINK_FIELDS}
    ids = Identifiers(
        surname=typed["surname"] or "",
        given_name=typed["given_name"] or "",
        patronymic=typed["patronymic"] or "",
        birth_date=typed["birth_date"],
        sex=typed["sex"] or "",
        snils=typed["snils"] or "",
        birth_region=typed["birth_region"] or "",
    )
    del typed
    try:
        fields = record_identifiers(cur, subject.subject_id, ids)
    except CaseguardError as exc:
        st.session_state[LINK_FLASH] = ("error", exc)
        return
    if fields:
        st.session_state[LINK_FLASH] = ("success", t("link_ids_saved", fields=", ".join(fields)))
    else:
        st.session_state[LINK_FLASH] = ("info", t("link_ids_empty"))


def _linkage_form(subject: OpenSubject) -> None:
    """Identifiers typed once for linkage tokens (never stored, not even in the session)."""
    flash = st.session_state.pop(LINK_FLASH, None)
    with st.expander(t("link_ids_title"), expanded=flash is not None):
        st.caption(t("link_ids_caption"))
        if not cur.db.keys.has_linkage_key():
            st.info(t("link_no_key"))
            return
        if flash is not None:
            kind, message = flash
            if kind == "error":
                show_error(message)
            else:
                getattr(st, kind)(message)
        stored = has_tokens(cur, subject.subject_id)
        st.caption(t("link_ids_stored" if stored else "link_ids_none"))
        with st.form("link_ids"):
            left, right = st.columns(2)
            left.text_input(t("link_surname"), key="link_surname")
            right.text_input(t("link_given_name"), key="link_given_name")
            left.text_input(t("link_patronymic"), key="link_patronymic")
            date_field(t("link_birth_date"), "link_birth_date", right, value=None)
            left.selectbox(
                t("link_sex"),
                ["F", "M"],
                index=None,
                key="link_sex",
                format_func=lambda code: t(f"link_sex_{code}"),
            )
            right.text_input(t("link_snils"), key="link_snils")
            left.text_input(t("link_birth_region"), key="link_birth_region")
            st.form_submit_button(t("link_ids_save"), on_click=_make_tokens, args=(subject,))


_lookup()
subject = current_subject()
if subject is None:
    st.info(t("subject_empty"))
    st.stop()
status = t("subject_known" if subject.exists else "subject_is_new")
st.markdown(t("subject_pseudonym", sid=subject.subject_id, site=subject.site_code, status=status))
if st.button(t("subject_close"), key="subject_close"):
    set_current_subject(None)
    st.rerun()
try:
    if subject.exists:
        _existing(subject)
        _linkage_form(subject)
    else:
        _new_case(subject)
except CaseguardError as exc:
    show_error(exc)
