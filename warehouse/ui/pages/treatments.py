"""Treatments: the open subject's doses, and new ones proposed from the product's regimen.

The product picker says which products are references and which generics; the
doses to record come from the regimen (nusinersen: the whole loading schedule,
then the next maintenance dose) and are confirmed row by row with their lots.
All confirmed doses are saved together in one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from schemas.common import REF
from schemas.errors import CaseguardError, ValidationFailed
from schemas.formats import date_text, dose_amount_text, number_text
from schemas.labels import text
from schemas.problems import Problem
from warehouse.capture import regimens as rg
from warehouse.capture.case_summary import treatments_table
from warehouse.review.soft_checks import checks_after_save
from warehouse.store.cases import add_records, load_case
from warehouse.ui.app_state import session
from warehouse.ui.layout import date_field, lang, show_error, show_problems, t
from warehouse.ui.subject_state import current_subject

ROLES = ("site_user",)
FLASH, PROBLEMS = "treatments_flash", "treatments_problems"
ROW_FIELDS = ("start_date", "lot")
KNOWN_FIELDS = frozenset(
    {"product_id", "dose", "dose_unit", "route", "end_date", "switched_from", "switch_reason"}
)
PLAN_KEYS = ("tr_give_", "tr_date_", "tr_lot_", "tr_end", "tr_dose")
# A new first date re-proposes the dates (and which are given) but keeps typed lots.
DATE_KEYS = ("tr_give_", "tr_date_")
SWITCH_KEYS = ("tr_switch", "tr_switched_from", "tr_reason")
FIELD_LABELS = {
    "start_date": "treatments_date",
    "lot": "treatments_lot",
    "product_id": "treatments_product",
    "end_date": "treatments_end",
    "switched_from": "treatments_switched_from",
    "switch_reason": "treatments_reason",
    "dose": "treatments_dose_label",
    "route": "treatments_route",
}

cur = session()
if cur.role not in ROLES:
    st.error(t("access_denied"))
    st.stop()
LANG = lang()  # fixed for this run (format functions may be called outside it)
st.title(t("treatments_title"))
subject = current_subject()
if subject is None:
    st.info(t("treatments_no_subject"))
    st.stop()
if not subject.exists:
    st.info(t("treatments_not_saved"))
    st.stop()
st.caption(t("treatments_caption", sid=subject.subject_id))
if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH))
try:
    case = load_case(cur, subject.subject_id)
except CaseguardError as exc:
    show_error(exc)
    st.stop()
sid, shift = subject.subject_id, subject.date_shift_days
today = dt.date.today()


def _reset(prefixes: tuple[str, ...], marker: str, signature: str) -> None:
    """Forget the inputs in ``prefixes`` when what they were proposed for has changed."""
    if st.session_state.get(marker) == signature:
        return
    for key in [k for k in st.session_state if str(k).startswith(prefixes)]:
        del st.session_state[key]
    st.session_state[marker] = signature
    st.session_state.pop(PROBLEMS, None)


def _problems() -> dict[str, Any]:
    return st.session_state.get(PROBLEMS) or {"items": [], "rows": []}


def _place(problem: Problem, rows: list[int]) -> tuple[str | None, int | None]:
    """Where a problem is shown: (field, schedule row), or (None, None) above the form."""
    if problem.field in ROW_FIELDS and problem.row is not None and problem.row < len(rows):
        return problem.field, rows[problem.row]
    if problem.field in KNOWN_FIELDS:
        return problem.field, None
    return None, None


def _errors(field: str | None, plan_row: int | None = None) -> None:
    state = _problems()
    found = []
    for problem in state["items"]:
        if not isinstance(problem, Problem):
            if field is None:
                st.error(t(str(problem)))
        elif _place(problem, state["rows"]) == (field, plan_row):
            found.append(problem)
    if field is None:
        for problem in found:
            st.error(problem.message(lang()))
    else:
        show_problems(t(FIELD_LABELS.get(field, "treatments_field")), found)


st.subheader(t("treatments_recorded"))
table = treatments_table(case, shift, lang())
if table.empty:
    st.info(t("treatments_none_yet"))
else:
    st.dataframe(table, hide_index=True, key="treatments_list")

st.subheader(t("treatments_add"))
if _problems()["items"]:
    st.warning(t("treatments_fix_problems", n=len(_problems()["items"])))
_errors(None)
products = rg.products_for(case.subject["disease"])
previous = rg.last_product(case.treatments)
st.session_state.setdefault("tr_product", previous if previous in products else products[0])
product = st.selectbox(
    t("treatments_product"),
    products,
    key="tr_product",
    format_func=lambda p: rg.product_label(p, LANG),
)
_errors("product_id")
spec = REF.product(product)
st.caption(t("treatments_regimen", text=rg.regimen_text(product, lang())))
st.session_state.setdefault("tr_start", today)
start = date_field(t("treatments_start"), "tr_start", help=t("treatments_start_help")) or today
given = rg.same_inn_dates(case.treatments, product, shift)
plan = rg.plan_doses(product, start, given)
_reset(PLAN_KEYS, "tr_plan_for", f"{product}|{len(given)}")
_reset(DATE_KEYS, "tr_dates_for", f"{product}|{start.isoformat()}|{len(given)}")
_reset(SWITCH_KEYS, "tr_switch_for", product)

weight = age = None
if spec["dose_kind"] == "weight_based":
    weight = st.number_input(
        t("treatments_weight"),
        min_value=0.5,
        max_value=250.0,
        step=0.1,
        value=None,
        key="tr_weight",
    )
if spec["regimen_kind"] == "daily":
    age = st.number_input(
        t("treatments_age"),
        min_value=0.0,
        max_value=1500.0,
        step=0.5,
        key="tr_age",
        value=rg.age_months_at(case.subject, start, shift),
        help=t("treatments_age_help"),
    )
dose, unit = rg.default_dose(product, age, weight)
route = REF.label("routes", spec["route"], lang())
if dose is None:
    dose = st.number_input(
        t("treatments_dose", unit=REF.unit(unit, lang())), min_value=0.0, value=None, key="tr_dose"
    )
    st.caption(route)
else:
    st.markdown(
        t(
            "treatments_dose_fixed",
            dose=number_text(dose, lang()),
            unit=REF.unit(unit, lang()),
            route=route,
        )
    )
    if unit.endswith("/kg"):
        amount = rg.amount_for_weight(dose, unit, weight)
        st.caption(
            t("treatments_need_weight")
            if amount is None
            else t(
                "treatments_total",
                weight=number_text(float(weight or 0), lang()),
                amount=f"{dose_amount_text(float(amount), lang())} "
                f"{REF.unit(unit.removesuffix('/kg'), lang())}",
            )
        )
_errors("dose")

st.markdown(f"**{t('treatments_schedule')}**")
st.caption(t("treatments_schedule_help"))
chosen: list[tuple[dt.date, str | None]] = []
plan_rows: list[int] = []
for i, planned in enumerate(plan):
    # The tick's column fits its label ("Выполнено") on a laptop's screen.
    label, give_col, date_col, lot_col = st.columns([2, 1.5, 2, 2.5])
    label.markdown(t(f"treatments_phase_{planned.phase}", n=planned.number))
    # Defaults go through session state, not value=: after a save (keys deleted) the
    # browser would otherwise keep showing the previous dose's date and lot in row i.
    # A proposed dose is ticked only once its date has come: a future dose is a plan.
    st.session_state.setdefault(f"tr_give_{i}", planned.day <= today)
    st.session_state.setdefault(f"tr_date_{i}", planned.day)
    st.session_state.setdefault(f"tr_lot_{i}", "")
    give = give_col.checkbox(t("treatments_give"), key=f"tr_give_{i}")
    day = date_field(t("treatments_date"), f"tr_date_{i}", where=date_col)
    lot = lot_col.text_input(t("treatments_lot"), key=f"tr_lot_{i}", max_chars=40)
    if planned.day > today and not give:
        label.caption(t("treatments_planned", date=date_text(planned.day, lang())))
    with lot_col:
        _errors("lot", i)
    with date_col:
        _errors("start_date", i)
    if give and day is not None:
        chosen.append((day, lot))
        plan_rows.append(i)
end = None
if spec["regimen_kind"] == "daily":
    st.session_state.setdefault("tr_end", None)
    end = date_field(t("treatments_end"), "tr_end")
    _errors("end_date")

switched_from = reason = None
before = sorted({str(r["product_id"]) for r in case.treatments} - {product})
if before:
    # Through session state, like the doses: after a save the box must really untick.
    st.session_state.setdefault("tr_switch", previous in before)
    if st.checkbox(t("treatments_switch"), key="tr_switch"):
        if previous and previous != product:
            st.caption(t("treatments_switch_help", product=rg.product_label(previous, lang())))
        st.session_state.setdefault(
            "tr_switched_from", previous if previous in before else before[0]
        )
        switched_from = st.selectbox(
            t("treatments_switched_from"),
            before,
            key="tr_switched_from",
            format_func=lambda p: rg.product_label(p, LANG),
        )
        _errors("switched_from")
        st.session_state.setdefault("tr_reason", None)
        reason = st.selectbox(
            t("treatments_reason"),
            list(rg.SWITCH_REASONS),
            key="tr_reason",
            format_func=lambda c: text(f"treatments_reason_{c}", LANG),
            placeholder=t("treatments_choose"),
        )
        _errors("switch_reason")


def _save() -> None:
    if not chosen:
        st.session_state[PROBLEMS] = {"items": ["treatments_none_selected"], "rows": []}
        return
    form = rg.TreatmentForm(product, dose, unit, chosen, end, switched_from, reason)
    rows = rg.treatment_rows(sid, shift, form)
    order = [plan_rows[i] for i in sorted(range(len(chosen)), key=lambda i: chosen[i][0])]
    future = rg.dose_date_problems(form, today)
    if future:
        st.session_state[PROBLEMS] = {"items": future, "rows": order}
        return
    try:
        summary = add_records(cur, sid, {"treatments": rows})
    except ValidationFailed as exc:
        st.session_state[PROBLEMS] = {"items": exc.problems, "rows": order}
        return
    checks_after_save(cur.db, [sid])
    dates = ", ".join(date_text(d, lang()) for d, _ in sorted(chosen))
    st.session_state[FLASH] = t(
        "treatments_saved",
        n=summary.rows.get("treatments", 0),
        product=f"{rg.product_label(product, lang())} {number_text(dose or 0, lang())} "
        f"{REF.unit(unit, lang())}",
        sid=sid,
        dates=dates,
    )
    for key in [k for k in st.session_state if str(k).startswith(PLAN_KEYS + SWITCH_KEYS)]:
        del st.session_state[key]
    for marker in ("tr_plan_for", "tr_dates_for", "tr_switch_for", PROBLEMS):
        st.session_state.pop(marker, None)


if st.button(t("treatments_save"), key="tr_save", type="primary"):
    try:
        _save()
    except CaseguardError as exc:
        show_error(exc)
        st.stop()
    st.rerun()
