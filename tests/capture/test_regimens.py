"""Regimens from the product reference data: labels, doses, schedules and treatment rows."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import validate_table
from schemas.treatments import dose_fits
from warehouse.capture import regimens as rg

START = dt.date(2025, 4, 1)
SID = "MSK-ABCDEFGHJK23"


def test_products_per_disease_references_first() -> None:
    sma = rg.products_for("SMA5Q")
    assert set(sma) == {"NUS-SPINRAZA", "NUS-LANTESENS", "ONA-ZOLGENSMA", "RIS-EVRYSDI"}
    assert sma.index("NUS-SPINRAZA") < sma.index("NUS-LANTESENS")
    assert rg.products_for("AS") == ["SEN-SENIPRUTUG"]
    assert rg.products_for(None) == []


@pytest.mark.parametrize(
    ("product", "lang", "label"),
    [
        ("NUS-SPINRAZA", "en", "Spinraza (nusinersen)"),
        ("NUS-SPINRAZA", "ru", "Спинраза (нусинерсен)"),
        ("NUS-LANTESENS", "en", "Lantesens (nusinersen, generic)"),
        ("NUS-LANTESENS", "ru", "Лантесенс (нусинерсен, дженерик)"),
        ("ONA-ZOLGENSMA", "en", "Zolgensma (onasemnogene abeparvovec)"),
        ("SEN-SENIPRUTUG", "ru", "сенипрутуг"),
        ("UNKNOWN", "en", "UNKNOWN"),
    ],
)
def test_product_labels(product: str, lang: str, label: str) -> None:
    assert rg.product_label(product, lang) == label


def test_regimen_text_is_reference_data() -> None:
    assert "days 0, 14, 28 and 63" in rg.regimen_text("NUS-SPINRAZA", "en")
    assert "каждые 4 месяца" in rg.regimen_text("NUS-LANTESENS", "ru")


@pytest.mark.parametrize(
    ("age", "weight", "dose"),
    [
        (1.0, 4.0, (0.15, "mg/kg")),
        (2.0, 5.0, (0.2, "mg/kg")),
        (23.9, 11.0, (0.2, "mg/kg")),
        (24.0, 12.0, (0.25, "mg/kg")),
        (60.0, 19.9, (0.25, "mg/kg")),
        (60.0, 20.0, (5.0, "mg")),
        (300.0, None, (0.25, "mg/kg")),
    ],
)
def test_risdiplam_bands(age: float, weight: float | None, dose: tuple[float, str]) -> None:
    assert rg.risdiplam_dose(age, weight) == dose


@given(
    age=st.floats(min_value=0, max_value=1500, allow_nan=False),
    weight=st.none() | st.floats(min_value=0.5, max_value=250, allow_nan=False),
)
def test_risdiplam_dose_is_always_an_approved_dose(age: float, weight: float | None) -> None:
    value, unit = rg.risdiplam_dose(age, weight)
    assert dose_fits("RIS-EVRYSDI", value, unit)


def test_default_doses() -> None:
    assert rg.default_dose("NUS-LANTESENS") == (12.0, "mg")
    assert rg.default_dose("ONA-ZOLGENSMA", weight_kg=8) == (1.1e14, "vg/kg")
    assert rg.default_dose("RIS-EVRYSDI", age_months=10, weight_kg=8) == (0.2, "mg/kg")
    assert rg.default_dose("SEN-SENIPRUTUG") == (None, "mg/kg")
    assert rg.amount_for_weight(1.1e14, "vg/kg", 8.0) == pytest.approx(8.8e14)
    assert rg.amount_for_weight(1.1e14, "vg/kg", None) is None
    assert rg.amount_for_weight(12.0, "mg", None) == 12.0


def test_add_months_keeps_calendar_months() -> None:
    assert rg.add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert rg.add_months(dt.date(2025, 6, 3), 4) == dt.date(2025, 10, 3)
    assert rg.add_months(dt.date(2025, 6, 3), 0.5) == dt.date(2025, 6, 18)


def test_fresh_nusinersen_gets_the_whole_loading_schedule() -> None:
    plan = rg.plan_doses("NUS-SPINRAZA", START)
    assert [(p.day - START).days for p in plan] == [0, 14, 28, 63]
    assert {p.phase for p in plan} == {"loading"} and [p.number for p in plan] == [1, 2, 3, 4]


def test_loading_under_way_continues_from_the_first_dose() -> None:
    given_days = [START, START + dt.timedelta(days=15)]
    plan = rg.plan_doses("NUS-LANTESENS", dt.date(2025, 9, 9), given_days)
    assert [(p.day - START).days for p in plan] == [28, 63]
    assert [p.number for p in plan] == [3, 4]


def test_after_loading_one_maintenance_dose_four_months_later() -> None:
    history = [START + dt.timedelta(days=d) for d in (0, 14, 28, 63)]
    (plan,) = rg.plan_doses("NUS-SPINRAZA", START, history)
    assert plan.phase == "maintenance" and plan.number == 5
    assert plan.day == dt.date(2025, 10, 3)


def test_single_dose_and_daily_course() -> None:
    assert rg.plan_doses("ONA-ZOLGENSMA", START) == [rg.PlannedDose(START, "single", 1)]
    assert rg.plan_doses("RIS-EVRYSDI", START) == [rg.PlannedDose(START, "course", 1)]
    assert rg.plan_doses("SEN-SENIPRUTUG", START, [START])[0].number == 2


@given(
    start=st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2035, 1, 1)),
    done=st.integers(min_value=0, max_value=12),
)
def test_schedules_move_forward(start: dt.date, done: int) -> None:
    history: list[dt.date] = []
    for _ in range(done):
        history.append(rg.plan_doses("NUS-SPINRAZA", start, history)[0].day)
    plan = rg.plan_doses("NUS-SPINRAZA", start, history)
    days = [p.day for p in plan]
    assert days == sorted(days) and len(set(days)) == len(days)
    assert [p.number for p in plan] == list(range(done + 1, done + 1 + len(plan)))
    assert not history or days[0] > history[-1]
    assert len(plan) == (4 - done if done < 4 else 1)


def test_history_is_per_active_substance_in_real_dates() -> None:
    treatments = [
        {"product_id": "NUS-SPINRAZA", "start_date": dt.date(2025, 1, 11)},
        {"product_id": "NUS-LANTESENS", "start_date": dt.date(2025, 1, 25)},
        {"product_id": "RIS-EVRYSDI", "start_date": dt.date(2024, 1, 1)},
    ]
    assert rg.same_inn_dates(treatments, "NUS-LANTESENS", 10) == [
        dt.date(2025, 1, 1),
        dt.date(2025, 1, 15),
    ]
    assert rg.last_product(treatments) == "NUS-LANTESENS"
    assert rg.last_product([]) is None


def test_age_at_a_date_from_the_index_age() -> None:
    subject = {"age_at_index_months": 14.0, "index_date": dt.date(2025, 3, 13)}
    assert rg.age_months_at(subject, dt.date(2025, 3, 3), 10) == 14.0
    assert rg.age_months_at(subject, dt.date(2026, 3, 3), 10) == 26.0
    assert rg.age_months_at({"age_at_index_months": None, "index_date": None}, START, 0) is None


def test_treatment_rows_are_valid_shifted_and_switch_once() -> None:
    form = rg.TreatmentForm(
        "NUS-LANTESENS",
        12.0,
        "mg",
        [(START + dt.timedelta(days=14), "L2 "), (START, "L1")],
        switched_from="NUS-SPINRAZA",
        switch_reason="supply_interruption",
    )
    rows = rg.treatment_rows(SID, -30, form)
    assert [r["start_date"] for r in rows] == [dt.date(2025, 3, 2), dt.date(2025, 3, 16)]
    assert [r["end_date"] for r in rows] == [r["start_date"] for r in rows]
    assert [r["lot"] for r in rows] == ["L1", "L2"]
    assert rows[0]["switched_from"] == "NUS-SPINRAZA" and rows[1]["switched_from"] is None
    assert rows[0]["switch_reason"] == "supply of the reference product interrupted"
    assert len({r["treatment_id"] for r in rows}) == 2
    assert validate_table("treatments", rows) == []


def test_daily_course_end_date_and_blank_lot() -> None:
    form = rg.TreatmentForm("RIS-EVRYSDI", 5.0, "mg", [(START, "  ")], end_date=None)
    (row,) = rg.treatment_rows(SID, 0, form)
    assert row["end_date"] is None and row["lot"] is None and row["route"] == "oral"
    ended = rg.TreatmentForm("RIS-EVRYSDI", 5.0, "mg", [(START, None)], dt.date(2025, 9, 1))
    assert rg.treatment_rows(SID, 1, ended)[0]["end_date"] == dt.date(2025, 9, 2)


def test_every_switch_reason_has_a_label() -> None:
    from schemas.labels import text

    for code in rg.SWITCH_REASONS:
        assert text(f"treatments_reason_{code}", "ru") and text(f"treatments_reason_{code}", "en")
