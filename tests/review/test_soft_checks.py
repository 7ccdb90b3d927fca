"""Soft checks: each rule trips on its case and not on a near miss; queries open once,
close themselves when the data stop tripping them and re-open if they trip again."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from schemas.errors import ReferenceDataError
from tests.warehouse_fixtures import coordinator, file_db, make_case  # noqa: F401
from warehouse.review import queries as q
from warehouse.review.soft_checks import default_rules, parse_rules, question_text, run_soft_checks
from warehouse.store.cases import Change, add_records, save_case, update_rows
from warehouse.store.db import Database

TODAY = dt.date(2030, 1, 1)


@pytest.fixture
def db(file_db: Database) -> Database:  # noqa: F811
    return file_db


def saved(db: Database, **extra: list[dict[str, Any]]) -> str:
    case = make_case(db, "MSK", "PAT-SOFT")
    sid = case.subject["subject_id"]
    save_case(coordinator(db), case)
    if extra:
        add_records(coordinator(db), sid, extra)
    return str(sid)


def rule_queries(db: Database, sid: str) -> list[tuple[str, str, str]]:
    frame = q.list_queries(coordinator(db), subject_id=sid)
    return sorted(zip(frame["rule_id"], frame["row_key"], frame["state"], strict=True))


def visit(sid: str, n: int, day: dt.date, score: float) -> dict[str, Any]:
    return dict(
        assessment_id=f"AS-X{n}",
        subject_id=sid,
        visit_date=day,
        scale="CHOP-INTEND",
        score=score,
        ventilation="none",
        niv_hours_per_day=None,
        feeding="oral",
        motor_function="non_sitter",
    )


def first_visit(db: Database, sid: str) -> dt.date:
    with db.connect(read_only=True) as conn:
        return conn.execute(
            "SELECT min(visit_date) FROM assessments WHERE subject_id = ?", [sid]
        ).fetchone()[0]  # type: ignore[index]


def test_the_reference_rules_load_and_a_bad_file_is_named() -> None:
    assert {r.kind for r in default_rules()} >= {"score_change", "lab_without_ae", "dose_window"}
    with pytest.raises(ReferenceDataError, match="rule 1: unknown kind"):
        parse_rules({"soft_checks": [{"id": "x", "kind": "nope", "text_en": "a", "text_ru": "b"}]})
    with pytest.raises(ReferenceDataError, match="used twice"):
        rule = {"id": "x", "kind": "score_change", "text_en": "a", "text_ru": "b"}
        parse_rules({"soft_checks": [rule, rule]})


def test_score_drop_opens_one_query_and_a_correction_closes_it(db: Database) -> None:
    sid = saved(db)
    day = first_visit(db, sid)
    add_records(
        coordinator(db), sid, {"assessments": [visit(sid, 1, day + dt.timedelta(days=30), 10.0)]}
    )
    run = run_soft_checks(db, [sid], today=TODAY)
    assert rule_queries(db, sid) == [("motor-score-change", "AS-X1", "open")]
    assert run.opened and not run.closed
    assert run_soft_checks(db, [sid], today=TODAY).opened == []  # not again on every save
    text = q.list_queries(coordinator(db), subject_id=sid).loc[0, "question"]
    assert question_text(text, "en").startswith("CHOP-INTEND changed by -21 points")
    assert "баллов" in question_text(text, "ru")
    update_rows(
        coordinator(db),
        sid,
        [Change("assessments", {"assessment_id": "AS-X1"}, {"score": 30.0})],
        "typo",
    )
    run = run_soft_checks(db, [sid], today=TODAY)
    assert run.closed and rule_queries(db, sid) == [("motor-score-change", "AS-X1", "closed")]
    update_rows(
        coordinator(db),
        sid,
        [Change("assessments", {"assessment_id": "AS-X1"}, {"score": 9.0})],
        "really",
    )
    run = run_soft_checks(db, [sid], today=TODAY)
    assert run.reopened and rule_queries(db, sid) == [("motor-score-change", "AS-X1", "open")]


@pytest.mark.parametrize(
    ("score", "trips"),
    [(23.0, False), (22.0, True), (51.0, False), (52.0, True)],  # 31: -8 / +20 allowed
)
def test_falls_and_rises_have_their_own_limits(db: Database, score: float, trips: bool) -> None:
    sid = saved(db)
    day = first_visit(db, sid)
    add_records(
        coordinator(db), sid, {"assessments": [visit(sid, 1, day + dt.timedelta(days=30), score)]}
    )
    assert bool(run_soft_checks(db, [sid], today=TODAY).opened) is trips


def test_a_query_closed_by_the_monitor_is_not_reopened_by_the_rule(db: Database) -> None:
    sid = saved(db)
    day = first_visit(db, sid)
    add_records(
        coordinator(db), sid, {"assessments": [visit(sid, 1, day + dt.timedelta(days=30), 5.0)]}
    )
    qid = run_soft_checks(db, [sid], today=TODAY).opened[0]
    q.close_query(coordinator(db), qid, "confirmed with the source", scrub=str)
    run = run_soft_checks(db, [sid], today=TODAY)
    assert not run.opened and not run.reopened


def lab(sid: str, day: dt.date, value: float) -> dict[str, Any]:
    return dict(
        lab_id="LB-ALT1",
        subject_id=sid,
        date=day,
        test="ALT",
        value=value,
        unit="U/L",
        lower=0.0,
        upper=40.0,
    )


def ae(sid: str, day: dt.date, term: str) -> dict[str, Any]:
    return dict(
        ae_id="AE-LIV1",
        subject_id=sid,
        verbatim_term="liver enzymes up",
        coded_term=term,
        body_system="Investigations",
        onset_date=day,
        end_date=None,
        ctcae_grade=2,
        serious=False,
        seriousness=[],
        action_taken="dose_not_changed",
        outcome="recovering",
    )


def test_high_alt_without_an_ae_trips_and_a_matching_ae_closes_it(db: Database) -> None:
    sid = saved(db)
    day = first_visit(db, sid) + dt.timedelta(days=40)
    add_records(coordinator(db), sid, {"labs": [lab(sid, day, 320.0)]})
    run_soft_checks(db, [sid], today=TODAY)
    assert ("lab-high-without-ae", "LB-ALT1", "open") in rule_queries(db, sid)
    add_records(
        coordinator(db),
        sid,
        {"adverse_events": [ae(sid, day + dt.timedelta(days=31), "TRANSAMINASES-INCREASED")]},
    )
    run_soft_checks(db, [sid], today=TODAY)  # 31 days away: outside the window
    assert ("lab-high-without-ae", "LB-ALT1", "open") in rule_queries(db, sid)
    update_rows(
        coordinator(db),
        sid,
        [
            Change(
                "adverse_events", {"ae_id": "AE-LIV1"}, {"onset_date": day + dt.timedelta(days=30)}
            )
        ],
        "date",
    )
    run_soft_checks(db, [sid], today=TODAY)
    assert ("lab-high-without-ae", "LB-ALT1", "closed") in rule_queries(db, sid)


def test_alt_just_under_five_times_the_limit_is_left_alone(db: Database) -> None:
    sid = saved(db)
    add_records(coordinator(db), sid, {"labs": [lab(sid, first_visit(db, sid), 200.0)]})
    assert not [r for r in rule_queries(db, sid) if r[0] == "lab-high-without-ae"]
    run_soft_checks(db, [sid], today=TODAY)
    assert not [r for r in rule_queries(db, sid) if r[0] == "lab-high-without-ae"]


def dose(sid: str, n: int, day: dt.date) -> dict[str, Any]:
    return dict(
        treatment_id=f"TR-W{n}",
        subject_id=sid,
        product_id="NUS-SPINRAZA",
        dose=12.0,
        dose_unit="mg",
        route="intrathecal",
        start_date=day,
        end_date=None,
        lot=f"L{n}",
        switched_from=None,
        switch_reason=None,
    )


def test_a_maintenance_dose_two_months_after_the_last_trips_the_window(db: Database) -> None:
    sid = saved(db)
    start = first_visit(db, sid)  # make_case gave doses on days 0 and 14
    doses = [
        dose(sid, 1, start + dt.timedelta(days=28)),
        dose(sid, 2, start + dt.timedelta(days=63)),
        dose(sid, 3, start + dt.timedelta(days=185)),
        dose(sid, 4, start + dt.timedelta(days=245)),
    ]
    add_records(coordinator(db), sid, {"treatments": doses})
    run_soft_checks(db, [sid], today=TODAY)
    found = [r for r in rule_queries(db, sid) if r[0] == "nusinersen-maintenance-window"]
    assert found == [
        ("nusinersen-maintenance-window", "TR-W4", "open")
    ]  # TR-W3: 122 d, in window; TR-W4: 60 d


def test_sae_without_narrative_counts_days_from_day_0(db: Database) -> None:
    sid = saved(db)
    # make_case's SAE has a narrative dated the day after onset: nothing to ask
    run_soft_checks(db, [sid], today=TODAY)
    assert not [r for r in rule_queries(db, sid) if r[0] == "sae-without-narrative"]
    with db.transaction() as conn:
        conn.execute("DELETE FROM narratives WHERE subject_id = ?", [sid])
    today = dt.datetime.now(dt.UTC).date()
    assert not run_soft_checks(db, [sid], today=today + dt.timedelta(days=14)).opened
    run_soft_checks(db, [sid], today=today + dt.timedelta(days=15))
    assert [r[0] for r in rule_queries(db, sid)] == ["sae-without-narrative"]


def test_overdue_visit_is_measured_within_the_subjects_timeline(db: Database) -> None:
    sid = saved(db)
    start = first_visit(db, sid)
    add_records(coordinator(db), sid, {"labs": [lab(sid, start + dt.timedelta(days=240), 20.0)]})
    run_soft_checks(db, [sid], today=TODAY)
    assert not [r for r in rule_queries(db, sid) if r[0] == "visit-overdue"]  # exactly 240
    update_rows(
        coordinator(db),
        sid,
        [Change("labs", {"lab_id": "LB-ALT1"}, {"date": start + dt.timedelta(days=241)})],
        "date",
    )
    run_soft_checks(db, [sid], today=TODAY)
    assert [r[0] for r in rule_queries(db, sid)] == ["visit-overdue"]
