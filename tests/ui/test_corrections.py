"""The corrections page: audited edits with a reason, and consent withdrawal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from schemas import load_reference
from tests.app_helpers import PAGES, page_path, signed_in
from tests.case_page_fixtures import CaseDb, build_case_db, fresh_copy, open_in_app, query
from tests.reporting.fixtures import load_fixture, term_index
from tests.warehouse_fixtures import system_session
from warehouse.export.pooled import eligible_subjects
from warehouse.reporting import synthetic_meddra as syn
from warehouse.reporting.expectedness import seed_reference_safety
from warehouse.store.db import Database
from warehouse.ui.navigation import pages_for


@pytest.fixture(scope="module")
def base_db(tmp_path_factory: pytest.TempPathFactory) -> CaseDb:
    return build_case_db(tmp_path_factory.mktemp("corrections-app"))


@pytest.fixture
def case_db(base_db: CaseDb, tmp_path: Path) -> CaseDb:
    return fresh_copy(base_db, tmp_path / "copy")


def open_page(
    monkeypatch: pytest.MonkeyPatch, db: CaseDb, user: str = "msk_neuro", site: str = "MSK"
) -> AppTest:
    at = signed_in(monkeypatch, db.path, user)
    open_in_app(at, db.subjects[site])
    at.switch_page(page_path("corrections.py")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def choose(at: AppTest, table: str, field: str) -> AppTest:
    at.selectbox(key="corr_table").set_value(table).run()
    at.selectbox(key="corr_field").set_value(field).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def score(db: CaseDb, site: str = "MSK") -> float:
    sid = db.subjects[site].subject_id
    rows = query(db.path, "SELECT score FROM assessments WHERE subject_id = ?", [sid])
    return float(rows[0][0])  # type: ignore[arg-type]


def updates(db: CaseDb) -> list[tuple[object, ...]]:
    return query(
        db.path,
        "SELECT username, table_name, reason, before, after FROM audit_log "
        "WHERE action = 'update' ORDER BY seq",
    )


# --- access and rendering -------------------------------------------------------------


@pytest.mark.parametrize("role", ["monitor", "admin"])
def test_monitor_and_admin_do_not_get_the_page(role: str) -> None:
    assert "corrections.py" not in [p.script for p in pages_for(role)]
    for allowed in ("site_user", "coordinator"):
        assert "corrections.py" in [p.script for p in pages_for(allowed)]
    assert (PAGES / "corrections.py").is_file()


@pytest.mark.parametrize(("user", "site"), [("msk_neuro", "MSK"), ("coordinator", "PRM")])
def test_renders_the_subjects_stored_values(
    monkeypatch: pytest.MonkeyPatch, base_db: CaseDb, user: str, site: str
) -> None:
    at = open_page(monkeypatch, base_db, user, site)
    assert base_db.subjects[site].subject_id in at.markdown[0].value
    assert at.selectbox(key="corr_table").options[:3] == ["Subject", "Consent", "Treatment"]
    assert at.button(key="corr_save") and at.button(key="corr_withdraw")
    assert not at.error and not at.warning


def test_without_an_open_subject_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, base_db: CaseDb
) -> None:
    at = signed_in(monkeypatch, base_db.path, "msk_neuro")
    at.switch_page(page_path("corrections.py")).run()
    assert not at.exception
    assert "Open a subject on the Subject page" in at.info[0].value


def test_another_centres_subject_is_refused(
    monkeypatch: pytest.MonkeyPatch, base_db: CaseDb
) -> None:
    at = open_page(monkeypatch, base_db, "msk_neuro", "PRM")
    assert at.error and "may not" in at.error[0].value
    assert not [b for b in at.button if b.key == "corr_save"]


def test_dates_are_shown_unshifted(monkeypatch: pytest.MonkeyPatch, base_db: CaseDb) -> None:
    at = choose(open_page(monkeypatch, base_db), "assessments", "visit_date")
    assert at.date_input[0].value == dt.date(2021, 6, 1)  # the real date make_case used
    assert "Saved value: 2021-06-01" in [c.value for c in at.caption]


# --- edits -----------------------------------------------------------------------------


def test_edit_without_reason_is_refused_and_keeps_input(
    monkeypatch: pytest.MonkeyPatch, case_db: CaseDb
) -> None:
    at = choose(open_page(monkeypatch, case_db), "assessments", "score")
    at.number_input[0].set_value(35.0)
    at.button(key="corr_save").click().run()
    assert not at.exception
    assert "A reason is required" in at.error[0].value
    assert at.number_input[0].value == 35.0
    assert score(case_db) == 31.0 and updates(case_db) == []


def test_edit_with_reason_is_saved_and_audited(
    monkeypatch: pytest.MonkeyPatch, case_db: CaseDb
) -> None:
    at = choose(open_page(monkeypatch, case_db), "assessments", "score")
    at.number_input[0].set_value(35.0)
    at.text_area(key="corr_reason").input("Typo, corrected from the source document")
    at.button(key="corr_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "changed from 31.0 to 35.0" in at.success[0].value
    assert score(case_db) == 35.0
    [(user, table, reason, before, after)] = updates(case_db)
    assert (user, table) == ("msk_neuro", "assessments")
    assert reason == "Typo, corrected from the source document"
    assert '"score": 31.0' in str(before) or '"score":31.0' in str(before)
    assert "35.0" in str(after)
    assert at.text_area(key="corr_reason").value == ""


def test_date_correction_is_stored_shifted(
    monkeypatch: pytest.MonkeyPatch, case_db: CaseDb
) -> None:
    at = choose(open_page(monkeypatch, case_db), "assessments", "visit_date")
    at.date_input[0].set_value(dt.date(2021, 6, 3))
    at.text_area(key="corr_reason").input("Wrong visit day entered")
    at.button(key="corr_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    sid, shift = case_db.subjects["MSK"].subject_id, case_db.subjects["MSK"].date_shift_days
    [(stored,)] = query(
        case_db.path, "SELECT visit_date FROM assessments WHERE subject_id = ?", [sid]
    )
    assert stored == dt.date(2021, 6, 3) + dt.timedelta(days=shift)


def test_invalid_value_shows_the_problem_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, case_db: CaseDb
) -> None:
    at = choose(open_page(monkeypatch, case_db), "treatments", "dose")
    at.number_input[0].set_value(15.0)  # nusinersen is 12 mg
    at.text_area(key="corr_reason").input("Dose misread")
    at.button(key="corr_save").click().run()
    assert not at.exception
    # shown next to the value, naming the field and the rule
    assert [e.value for e in at.error] == [
        "Dose: dose and unit do not match the product's approved regimen"
    ]
    assert at.number_input[0].value == 15.0
    assert at.text_area(key="corr_reason").value == "Dose misread"
    assert updates(case_db) == []


def test_identifying_reason_is_refused(monkeypatch: pytest.MonkeyPatch, case_db: CaseDb) -> None:
    at = choose(open_page(monkeypatch, case_db), "assessments", "score")
    at.number_input[0].set_value(33.0)
    at.text_area(key="corr_reason").input("Мама Кузнецова Мария позвонила +7 912 345-67-89")
    at.button(key="corr_save").click().run()
    assert "seems to contain an identifier" in at.error[0].value
    assert updates(case_db) == []
    assert "Кузнецова".encode() not in case_db.path.read_bytes()
    assert str(at.text_area(key="corr_reason").value).startswith("Мама")


def test_identifying_free_text_value_is_refused(
    monkeypatch: pytest.MonkeyPatch, case_db: CaseDb
) -> None:
    at = choose(open_page(monkeypatch, case_db), "adverse_events", "verbatim_term")
    at.text_input[0].input("headache, mother Кузнецова Мария called")
    at.text_area(key="corr_reason").input("Verbatim term completed")
    at.button(key="corr_save").click().run()
    assert "new text seems to contain an identifier (PERSON)" in at.error[0].value
    assert updates(case_db) == []


# --- withdrawal ------------------------------------------------------------------------


def test_withdrawal_needs_confirmation(monkeypatch: pytest.MonkeyPatch, case_db: CaseDb) -> None:
    at = open_page(monkeypatch, case_db)
    at.text_area(key="corr_wd_reason").input("Parents withdrew consent at the visit")
    at.button(key="corr_withdraw").click().run()
    assert "Tick the confirmation" in at.error[0].value
    assert at.text_area(key="corr_wd_reason").value == "Parents withdrew consent at the visit"
    sid = case_db.subjects["MSK"].subject_id
    assert query(case_db.path, "SELECT status FROM subjects WHERE subject_id = ?", [sid]) == [
        ("active",)
    ]


def test_withdrawal_marks_the_subject_and_excludes_it_from_exports(
    monkeypatch: pytest.MonkeyPatch, case_db: CaseDb
) -> None:
    subject = case_db.subjects["MSK"]
    db = Database(case_db.path, key_dir=case_db.path.parent / "keys")
    with db.connect(read_only=True) as conn:
        assert subject.subject_id in set(eligible_subjects(conn)["subject_id"])
    at = open_page(monkeypatch, case_db)
    at.date_input(key="corr_wd_date").set_value(dt.date(2024, 2, 1))
    at.text_area(key="corr_wd_reason").input("Parents withdrew consent at the visit")
    at.checkbox(key="corr_wd_confirm").check()
    at.button(key="corr_withdraw").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Consent withdrawal recorded" in at.success[0].value
    assert "excluded from all exports" in at.warning[0].value
    assert "already been withdrawn" in at.info[0].value
    assert not [b for b in at.button if b.key == "corr_withdraw"]
    rows = query(
        case_db.path,
        "SELECT s.status, c.withdrawn_date FROM subjects s JOIN consents c USING (subject_id) "
        "WHERE subject_id = ?",
        [subject.subject_id],
    )
    assert rows == [("withdrawn", dt.date(2024, 2, 1) + dt.timedelta(days=subject.date_shift_days))]
    with db.connect(read_only=True) as conn:
        assert subject.subject_id not in set(eligible_subjects(conn)["subject_id"])
    reasons = {row[2] for row in updates(case_db)}
    assert reasons == {"Parents withdrew consent at the visit"}


def test_coded_values_are_shown_by_their_labels(
    monkeypatch: pytest.MonkeyPatch, case_db: CaseDb
) -> None:
    """The corrections page said 'status: active' and 'female' where the subject page
    says 'Женский'."""
    at = choose(open_page(monkeypatch, case_db), "subjects", "sex")
    captions = " ".join(c.value for c in at.caption)
    assert "Saved value: Female" in captions or "Saved value: Male" in captions
    options = at.selectbox[-1].options
    assert "Female" in options and "female" not in options


# --- the coded term ------------------------------------------------------------------

MENINGITIS = term_index("ASEPTIC-MENINGITIS")
VOMITING = term_index("VOMITING")


def event_row(db: CaseDb) -> tuple[object, ...]:
    sid = db.subjects["MSK"].subject_id
    rows = query(
        db.path,
        "SELECT a.ae_id, a.coded_term, a.body_system, m.llt_code, m.meddra_version "
        "FROM adverse_events a LEFT JOIN ae_meddra m USING (ae_id) WHERE a.subject_id = ?",
        [sid],
    )
    return rows[0]


def test_a_list_term_is_corrected_with_its_body_system(
    monkeypatch: pytest.MonkeyPatch, case_db: CaseDb
) -> None:
    """Without a dictionary the term comes from the study's list; the body system follows
    it (correcting the term alone used to be refused for a body system nobody could see)."""
    at = choose(open_page(monkeypatch, case_db), "adverse_events", "coded_term")
    assert "body_system" not in at.selectbox(key="corr_field").options
    at.selectbox[-1].set_value("VOMITING")
    at.text_area(key="corr_reason").input("Miscoded at entry")
    at.button(key="corr_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "from Headache to Vomiting" in at.success[0].value
    terms = load_reference().ae_terms
    assert event_row(case_db)[1:3] == ("VOMITING", terms.at["VOMITING", "body_system_en"])


@pytest.fixture
def meddra_case_db(case_db: CaseDb, tmp_path: Path) -> CaseDb:
    """The case database with the synthetic MedDRA-layout dictionary loaded."""
    db = Database(case_db.path, key_dir=case_db.path.parent / "keys")
    seed_reference_safety(system_session(db, "test"))
    load_fixture(db, tmp_path / "meddra")
    return case_db


def recode(at: AppTest, search: str, llt: int, reason: str) -> AppTest:
    search_box = next(w for w in at.text_input if str(w.key).endswith("|query"))
    search_box.input(search).run()
    at.selectbox(key=str(search_box.key).removesuffix("|query")).set_value(llt).run()
    at.text_area(key="corr_reason").input(reason)
    at.button(key="corr_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


@pytest.mark.parametrize(
    ("lang", "first", "then", "meningitis"),
    [("en", "asep men", "vomit", "Aseptic meningitis"), ("ru", "асепт", "рвот", "Асептический")],
)
def test_with_meddra_the_term_is_recoded_through_the_llt_search(
    monkeypatch: pytest.MonkeyPatch,
    meddra_case_db: CaseDb,
    lang: str,
    first: str,
    then: str,
    meningitis: str,
) -> None:
    """A list-coded event is coded to an LLT, then recoded to another: the event carries
    the new PT and primary SOC, the coding its LLT and version, both in one audited
    correction with the reason; the page names the PT and never shows its code."""
    at = signed_in(monkeypatch, meddra_case_db.path, "msk_neuro", lang)
    open_in_app(at, meddra_case_db.subjects["MSK"])
    at.switch_page(page_path("corrections.py")).run()
    at = choose(at, "adverse_events", "coded_term")
    at = recode(at, first, syn.llt_code(MENINGITIS, 0), "Coded with MedDRA")
    assert meningitis in at.success[0].value and "PT:" not in at.success[0].value
    ae_id, term, system, llt, version = event_row(meddra_case_db)
    assert (term, llt, version) == (
        f"PT:{syn.pt_code(MENINGITIS):08d}",
        syn.llt_code(MENINGITIS, 0),
        syn.VERSION,
    )
    assert str(system).startswith("SOC:")
    shown = " ".join(c.value for c in at.caption) + " ".join(at.selectbox(key="corr_row").options)
    assert meningitis in shown and "PT:" not in shown

    at = recode(at, then, syn.llt_code(VOMITING, 0), "Source says vomiting")
    assert event_row(meddra_case_db)[1] == f"PT:{syn.pt_code(VOMITING):08d}"
    assert event_row(meddra_case_db)[3] == syn.llt_code(VOMITING, 0)
    audit = query(
        meddra_case_db.path,
        "SELECT table_name, action, reason FROM audit_log WHERE row_key = ? ORDER BY seq",
        [ae_id],
    )
    assert ("ae_meddra", "insert", "Coded with MedDRA") in audit
    assert ("ae_meddra", "update", "Source says vomiting") in audit
    assert ("adverse_events", "update", "Source says vomiting") in audit
