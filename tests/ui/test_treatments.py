"""The treatments page headless: regimen schedules, product labels, switches, errors in place."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from anonymise import pseudonymise
from tests.app_helpers import page_path, signed_in
from tests.warehouse_fixtures import make_demo
from warehouse.capture.case_entry import build_case, default_values
from warehouse.capture.subjects_lookup import open_subject
from warehouse.store.access import Session
from warehouse.store.cases import load_case, save_case
from warehouse.store.db import Database
from warehouse.ui.navigation import pages_for

START = dt.date(2025, 4, 1)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("treatments-demo")
    return Path(make_demo(root, subjects=5, seed=3).path)


def _db(path: Path) -> Database:
    return Database(path, key_dir=path.parent / "keys")


def _session(path: Path) -> Session:
    return Session(_db(path), "msk_neuro", "site_user", "MSK")


def register(path: Path, local_id: str, age_at_index: float = 14.0) -> str:
    """Save a new SMA case without treatments; return its pseudonym."""
    session = _session(path)
    subject = open_subject(session, local_id)
    values = default_values(dt.date(2025, 3, 3))
    values.update(
        processing=True,
        signed_by="legal_representative",
        sex="male",
        birth_year=2024,
        age_at_onset_months=2.0,
        age_at_index_months=age_at_index,
        disease_subtype="1b",
        genetics={"smn1_status": "homozygous_deletion", "smn2_copies": "2"},
    )
    save_case(session, build_case(subject, values, "msk_neuro", dt.datetime(2025, 3, 3, 9)))
    return subject.subject_id


def treatments_page(monkeypatch: pytest.MonkeyPatch, path: Path, local_id: str) -> AppTest:
    """Sign in, open ``local_id`` on the subject page, go to the treatments page."""
    at = signed_in(monkeypatch, path, "msk_neuro")
    at.switch_page(page_path("subject.py")).run()
    at.text_input(key="subject_local_id").input(local_id)
    next(b for b in at.button if str(b.key).startswith("FormSubmitter:subject_lookup")).click()
    at.run()
    at.switch_page(page_path("treatments.py")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def save(at: AppTest) -> AppTest:
    at.button(key="tr_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def stored(path: Path, subject_id: str) -> list[dict[str, object]]:
    case = load_case(_session(path), subject_id)
    return sorted(case.treatments, key=lambda t: str(t["start_date"]))


def shift_of(path: Path, local_id: str) -> dt.timedelta:
    days = pseudonymise(_db(path).keys.site_key("MSK"), "MSK", local_id).date_shift_days
    return dt.timedelta(days=days)


def test_no_subject_open_says_what_to_do(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    at = signed_in(monkeypatch, demo_db, "msk_neuro")
    at.switch_page(page_path("treatments.py")).run()
    assert not at.exception
    assert "Open one on the Subject page" in at.info[0].value


def test_new_unsaved_subject_is_sent_to_the_wizard(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = treatments_page(monkeypatch, demo_db, "NEVER-SAVED-1")
    assert "save the new case" in at.info[0].value


@pytest.mark.parametrize("user", ["monitor", "admin", "coordinator"])
def test_other_roles_do_not_get_the_page(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path, user: str
) -> None:
    assert "treatments.py" not in {p.script for p in pages_for(user)}
    at = signed_in(monkeypatch, demo_db, user)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page_path("treatments.py"))


def test_loading_schedule_is_offered_and_saved(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    sid = register(demo_db, "TREAT-LOAD-1")
    at = treatments_page(monkeypatch, demo_db, "TREAT-LOAD-1")
    assert "No treatment recorded yet" in at.info[0].value
    picker = at.selectbox(key="tr_product")
    assert "Spinraza (nusinersen)" in picker.options
    assert "Lantesens (nusinersen, generic)" in picker.options
    assert picker.value == "NUS-SPINRAZA"
    assert any("12 mg" in m.value and "Intrathecal" in m.value for m in at.markdown)
    at.date_input(key="tr_start").set_value(START).run()
    planned = [at.date_input(key=f"tr_date_{i}").value for i in range(4)]
    assert planned == [START + dt.timedelta(days=d) for d in (0, 14, 28, 63)]
    for i in range(4):
        at.text_input(key=f"tr_lot_{i}").input(f"L10{i}")
    save(at)
    assert not at.error, [e.value for e in at.error]
    message = at.success[0].value
    assert "Saved 4 dose(s)" in message and "Spinraza" in message and sid in message
    rows = stored(demo_db, sid)
    shift = shift_of(demo_db, "TREAT-LOAD-1")
    assert [r["start_date"] for r in rows] == [d + shift for d in planned]
    assert [r["lot"] for r in rows] == ["L100", "L101", "L102", "L103"]
    assert {r["dose"] for r in rows} == {12.0} and {r["route"] for r in rows} == {"intrathecal"}
    # loading is complete: the next proposal is one maintenance dose 4 months later
    assert at.dataframe[0].value.shape[0] == 4
    assert at.date_input(key="tr_date_0").value == dt.date(2025, 10, 3)
    assert "Maintenance dose (no. 5)" in [m.value for m in at.markdown]


def test_switch_to_the_generic_needs_a_reason(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    sid = register(demo_db, "TREAT-SWITCH-1")
    at = treatments_page(monkeypatch, demo_db, "TREAT-SWITCH-1")
    at.date_input(key="tr_start").set_value(START).run()
    save(at)
    at.selectbox(key="tr_product").set_value("NUS-LANTESENS").run()
    assert at.checkbox(key="tr_switch").value is True
    assert at.selectbox(key="tr_switched_from").value == "NUS-SPINRAZA"
    at.text_input(key="tr_lot_0").input("LT-2025/7")
    save(at)
    assert "Nothing was saved" in at.warning[0].value
    assert any("needs a reason" in e.value for e in at.error)
    assert at.text_input(key="tr_lot_0").value == "LT-2025/7"
    assert at.selectbox(key="tr_product").value == "NUS-LANTESENS"
    assert len(stored(demo_db, sid)) == 4
    at.selectbox(key="tr_reason").set_value("generic_procurement")
    save(at)
    assert "Saved 1 dose(s)" in at.success[0].value and "Lantesens" in at.success[0].value
    last = stored(demo_db, sid)[-1]
    assert last["product_id"] == "NUS-LANTESENS" and last["switched_from"] == "NUS-SPINRAZA"
    assert last["switch_reason"] == "regional procurement of the generic"
    assert last["lot"] == "LT-2025/7"


def test_bad_lot_is_shown_at_its_row_and_kept(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    sid = register(demo_db, "TREAT-LOT-1")
    at = treatments_page(monkeypatch, demo_db, "TREAT-LOT-1")
    at.date_input(key="tr_start").set_value(START).run()
    at.text_input(key="tr_lot_0").input("L1")
    at.text_input(key="tr_lot_2").input("lot #3 ?")
    save(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "lot number may hold only" in errors[0]
    assert at.text_input(key="tr_lot_2").value == "lot #3 ?"
    assert at.text_input(key="tr_lot_0").value == "L1"
    assert stored(demo_db, sid) == []


def test_untick_all_doses_is_refused(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    register(demo_db, "TREAT-NONE-1")
    at = treatments_page(monkeypatch, demo_db, "TREAT-NONE-1")
    for i in range(4):
        at.checkbox(key=f"tr_give_{i}").uncheck()
    save(at)
    assert [e.value for e in at.error] == ["Tick at least one dose that was given."]


def test_zolgensma_single_dose_by_weight(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    sid = register(demo_db, "TREAT-ZOL-1")
    at = treatments_page(monkeypatch, demo_db, "TREAT-ZOL-1")
    at.selectbox(key="tr_product").set_value("ONA-ZOLGENSMA").run()
    assert "Enter the body weight" in " ".join(c.value for c in at.caption)
    at.number_input(key="tr_weight").set_value(8.0).run()
    assert any("For 8 kg: 8.8 × 10¹⁴ vg in total" in c.value for c in at.caption)
    assert "Single dose" in [m.value for m in at.markdown]
    assert "tr_date_1" not in [d.key for d in at.date_input]
    save(at)
    assert at.success, [e.value for e in at.error]
    (row,) = stored(demo_db, sid)
    assert row["dose"] == 1.1e14 and row["dose_unit"] == "vg/kg" and row["route"] == "intravenous"


def test_risdiplam_dose_follows_age(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    sid = register(demo_db, "TREAT-RIS-1", age_at_index=14.0)
    at = treatments_page(monkeypatch, demo_db, "TREAT-RIS-1")
    at.date_input(key="tr_start").set_value(dt.date(2025, 3, 3)).run()
    at.selectbox(key="tr_product").set_value("RIS-EVRYSDI").run()
    assert at.number_input(key="tr_age").value == 14.0
    at.number_input(key="tr_weight").set_value(9.5).run()
    assert any("0.2 mg/kg" in m.value and "Oral" in m.value for m in at.markdown)
    save(at)
    (row,) = stored(demo_db, sid)
    assert (row["dose"], row["dose_unit"], row["end_date"]) == (0.2, "mg/kg", None)


def test_page_in_russian(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    register(demo_db, "TREAT-RU-1")
    at = signed_in(monkeypatch, demo_db, "msk_neuro", lang="ru")
    at.switch_page(page_path("subject.py")).run()
    at.text_input(key="subject_local_id").input("TREAT-RU-1")
    next(b for b in at.button if str(b.key).startswith("FormSubmitter:subject_lookup")).click()
    at.run()
    at.switch_page(page_path("treatments.py")).run()
    assert not at.exception
    assert at.title[0].value == "Лечение"
    assert "Спинраза (нусинерсен)" in at.selectbox(key="tr_product").options


def test_future_proposed_doses_start_unticked_and_are_not_stored(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    """Item 2 of the first-day report: loading from 20 days ago proposed four doses, all
    ticked; two of them (days 28 and 63) were still in the future and were stored as given."""
    sid = register(demo_db, "TREAT-FUTURE-1")
    at = treatments_page(monkeypatch, demo_db, "TREAT-FUTURE-1")
    first = dt.date.today() - dt.timedelta(days=20)
    at.date_input(key="tr_start").set_value(first).run()
    ticks = [at.checkbox(key=f"tr_give_{i}").value for i in range(4)]
    assert ticks == [True, True, False, False]  # days 0 and 14 have come, 28 and 63 not
    at.text_input(key="tr_lot_0").input("LOT-A1")
    at.text_input(key="tr_lot_1").input("LOT-B2")
    save(at)
    rows = stored(demo_db, sid)
    real = [
        pd.Timestamp(r["start_date"]).date() - shift_of(demo_db, "TREAT-FUTURE-1") for r in rows
    ]
    assert real == [first, first + dt.timedelta(days=14)]
    assert [r["lot"] for r in rows] == ["LOT-A1", "LOT-B2"]  # item 3: dose 1's lot is kept


def test_a_future_dose_ticked_by_hand_is_refused_next_to_its_date(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    sid = register(demo_db, "TREAT-FUTURE-2")
    at = treatments_page(monkeypatch, demo_db, "TREAT-FUTURE-2")
    at.date_input(key="tr_start").set_value(dt.date.today() - dt.timedelta(days=20)).run()
    at.checkbox(key="tr_give_2").check()
    save(at)
    errors = [e.value for e in at.error]
    assert any(e.startswith("Date: ") and "after today" in e for e in errors), errors
    assert stored(demo_db, sid) == []
    assert at.checkbox(key="tr_give_2").value is True  # what was typed stays


def test_a_lot_typed_before_the_first_date_changes_is_kept(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    register(demo_db, "TREAT-LOT-2")
    at = treatments_page(monkeypatch, demo_db, "TREAT-LOT-2")
    at.text_input(key="tr_lot_0").input("LOT-FIRST").run()
    at.date_input(key="tr_start").set_value(dt.date.today() - dt.timedelta(days=70)).run()
    assert at.text_input(key="tr_lot_0").value == "LOT-FIRST"
    assert at.checkbox(key="tr_give_3").value is True  # the new dates are re-proposed


def test_switch_box_is_clear_after_a_saved_switch(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    """Item 10: after a treatment save the switch box stayed ticked with the old reason."""
    sid = register(demo_db, "TREAT-SWITCH-9")
    at = treatments_page(monkeypatch, demo_db, "TREAT-SWITCH-9")
    at.date_input(key="tr_start").set_value(dt.date.today() - dt.timedelta(days=200)).run()
    save(at)
    assert len(stored(demo_db, sid)) == 4
    at.selectbox(key="tr_product").set_value("NUS-LANTESENS").run()
    at.checkbox(key="tr_switch").check().run()
    at.selectbox(key="tr_reason").set_value("supply_interruption").run()
    save(at)
    assert len(stored(demo_db, sid)) == 5, [e.value for e in at.error]
    assert at.checkbox(key="tr_switch").value is False
    assert "tr_reason" not in at.session_state or at.session_state["tr_reason"] is None
