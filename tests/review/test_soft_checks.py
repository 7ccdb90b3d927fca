"""Soft checks: each rule trips on its case and not on a near miss; queries open once,
close themselves when the data stop tripping them and re-open if they trip again."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.common import REF
from schemas.errors import ReferenceDataError
from tests.warehouse_fixtures import coordinator, file_db, make_case  # noqa: F401
from warehouse.review import queries as q
from warehouse.review import soft_checks as sc
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


# --- the one-pass rules equal the row-by-row rules they replaced (issue 21) -----------
# The reference is the rules as they were written before bulk imports: one frame filter
# per lab, AE or subject group. Random frames mix subjects, dates on and off the rules'
# limits, repeated dates, missing upper limits and terms of other tests.

DAY0 = dt.date(2024, 1, 1)
SUBJECTS = ("MSK-A", "MSK-B", "PRM-C")
# Days on the rules' edges: 30 apart (the lab window), 122 +- 30 (nusinersen's 4-monthly
# dose window), 240 (overdue: 180 + 60 days of grace) and 14 before "today" (day 300).
EDGE_DAYS = (0, 1, 30, 31, 62, 92, 93, 122, 152, 153, 240, 241, 244, 285, 286, 300)
DAYS_ST = st.sampled_from(EDGE_DAYS).map(lambda d: pd.Timestamp(DAY0 + dt.timedelta(days=d)))


def _reference_score_change(rule: Any, f: dict[str, pd.DataFrame], site: dict[str, str]) -> list:
    falls = {str(k): float(v) for k, v in (rule.params.get("max_decrease") or {}).items()}
    rises = {str(k): float(v) for k, v in (rule.params.get("max_increase") or {}).items()}
    out = []
    frame = f["assessments"].sort_values(["subject_id", "scale", "visit_date", "assessment_id"])
    for (sid, scale), group in frame.groupby(["subject_id", "scale"], sort=False):
        scores, ids = group["score"].tolist(), group["assessment_id"].tolist()
        for i in range(1, len(scores)):
            change = float(scores[i]) - float(scores[i - 1])
            limit = falls.get(str(scale)) if change < 0 else rises.get(str(scale))
            if limit is not None and abs(change) > limit:
                target = q.Target(str(sid), "assessments", str(ids[i]), "score")
                values = {"scale": scale, "change": change, "limit": limit}
                out.append(sc.Finding(rule.rule_id, site[str(sid)], target, values))
    return out


def _reference_lab_without_ae(rule: Any, f: dict[str, pd.DataFrame], site: dict[str, str]) -> list:
    tests = rule.params.get("tests", {})
    window = int(rule.params.get("window_days", 30))
    aes = f["adverse_events"]
    out = []
    for lab in sc._tuples(f["labs"]):
        spec = tests.get(lab.test)
        if spec is None:
            continue
        upper = lab.upper if pd.notna(lab.upper) else REF.lab_tests.loc[lab.test, "upper"]
        if (
            not upper
            or float(upper) <= 0
            or float(lab.value) <= float(spec["times_upper"]) * float(upper)
        ):
            continue
        mine = aes[(aes["subject_id"] == lab.subject_id) & aes["coded_term"].isin(spec["terms"])]
        near = [abs(sc._days(onset, lab.date)) <= window for onset in mine["onset_date"]]
        if any(near):
            continue
        values = {
            "test": lab.test,
            "value": float(lab.value),
            "unit": lab.unit,
            "multiple": float(lab.value) / float(upper),
            "window": window,
        }
        target = q.Target(str(lab.subject_id), "labs", str(lab.lab_id), "value")
        out.append(sc.Finding(rule.rule_id, site[str(lab.subject_id)], target, values))
    return out


def _reference_dose_window(rule: Any, f: dict[str, pd.DataFrame], site: dict[str, str]) -> list:
    products = REF.products[REF.products["inn"] == rule.params.get("inn")]
    tolerance = int(rule.params.get("tolerance_days", 30))
    doses = f["treatments"][f["treatments"]["product_id"].isin(products.index)]
    out = []
    for sid, group in doses.sort_values(["subject_id", "start_date"]).groupby("subject_id"):
        rows = sc._tuples(group)
        for i, dose in enumerate(rows):
            product = products.loc[dose.product_id]
            loading = len(product["loading_days"] or [])
            interval = product["maintenance_interval_months"]
            if i < loading or not interval or pd.isna(interval):
                continue
            expected = round(float(interval) * sc.DAYS_PER_MONTH)
            gap = sc._days(dose.start_date, rows[i - 1].start_date)
            if abs(gap - expected) > tolerance:
                values = {"gap": gap, "expected": expected, "tolerance": tolerance}
                target = q.Target(str(sid), "treatments", str(dose.treatment_id), "start_date")
                out.append(sc.Finding(rule.rule_id, site[str(sid)], target, values))
    return out


def _reference_visit_overdue(rule: Any, f: dict[str, pd.DataFrame], site: dict[str, str]) -> list:
    interval = int(rule.params.get("interval_days", 180))
    limit = interval + int(rule.params.get("grace_days", 0))
    newest: dict[str, Any] = {}
    for table, column in (
        ("treatments", "start_date"),
        ("labs", "date"),
        ("adverse_events", "onset_date"),
        ("narratives", "visit_date"),
    ):
        for sid, day in f[table].groupby("subject_id")[column].max().items():
            newest[str(sid)] = max(newest.get(str(sid), day), day)
    out = []
    frame = f["assessments"].sort_values(["visit_date", "assessment_id"])
    for sid, group in frame.groupby("subject_id"):
        last = group.iloc[-1]
        if str(sid) not in newest:
            continue
        days = sc._days(newest[str(sid)], last["visit_date"])
        if days > limit:
            target = q.Target(str(sid), "assessments", str(last["assessment_id"]), "visit_date")
            values = {"days": days, "interval": interval}
            out.append(sc.Finding(rule.rule_id, site[str(sid)], target, values))
    return out


def _reference_sae_without_narrative(
    rule: Any, f: dict[str, pd.DataFrame], site: dict[str, str], today: dt.date
) -> list:
    limit = int(rule.params.get("days", 14))
    known = dict(zip(f["known"]["ae_id"], f["known"]["known_date"], strict=True))
    narratives = f["narratives"]
    out = []
    for ae in sc._tuples(f["adverse_events"][f["adverse_events"]["serious"]]):
        since = known.get(ae.ae_id)
        if since is None or pd.isna(since):
            continue
        days = sc._days(today, since)
        mine = narratives[narratives["subject_id"] == ae.subject_id]["visit_date"]
        if days > limit and not (pd.to_datetime(mine) >= pd.Timestamp(ae.onset_date)).any():
            target = q.Target(str(ae.subject_id), "adverse_events", str(ae.ae_id), "serious")
            out.append(sc.Finding(rule.rule_id, site[str(ae.subject_id)], target, {"days": days}))
    return out


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    for column in columns:
        if column.endswith("date"):
            frame[column] = pd.to_datetime(frame[column])
    return frame


@st.composite
def _check_frames(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    sid = st.sampled_from(SUBJECTS)
    scales = st.sampled_from(["CHOP-INTEND", "HFMSE", "RULM", "OTHER"])
    visits = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "subject_id": sid,
                    "visit_date": DAYS_ST,
                    "scale": scales,
                    "score": st.integers(0, 16).map(lambda x: 4.0 * x),
                }
            ),
            max_size=12,
        )
    )
    for i, row in enumerate(visits):
        row["assessment_id"] = f"AS-{i:03d}"
    labs = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "subject_id": sid,
                    "date": DAYS_ST,
                    "test": st.sampled_from(["ALT", "AST", "TROP-I", "PLT"]),
                    "value": st.sampled_from([0.0, 130.0, 200.0, 201.0, 600.0]),
                    "unit": st.just("U/L"),
                    "upper": st.one_of(st.none(), st.sampled_from([0.0, 26.0, 40.0])),
                }
            ),
            max_size=10,
        )
    )
    for i, row in enumerate(labs):
        row["lab_id"] = f"LB-{i:03d}"
    terms = st.sampled_from(["TRANSAMINASES-INCREASED", "TROPONIN-INCREASED", "PYREXIA"])
    aes = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "subject_id": sid,
                    "coded_term": terms,
                    "onset_date": DAYS_ST,
                    "serious": st.booleans(),
                }
            ),
            max_size=8,
        )
    )
    for i, row in enumerate(aes):
        row["ae_id"] = f"AE-{i:03d}"
    nusinersen = ["NUS-SPINRAZA", "NUS-LANTESENS"] * 3
    doses = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "subject_id": st.sampled_from(SUBJECTS[:2]),
                    "product_id": st.sampled_from([*nusinersen, *REF.products.index]),
                    "start_date": DAYS_ST,
                }
            ),
            max_size=16,
        )
    )
    for i, row in enumerate(doses):
        row["treatment_id"] = f"TR-{i:03d}"
    notes = draw(
        st.lists(st.fixed_dictionaries({"subject_id": sid, "visit_date": DAYS_ST}), max_size=6)
    )
    known = [
        {"ae_id": ae["ae_id"], "known_date": draw(st.one_of(st.none(), DAYS_ST))}
        for ae in aes
        if ae["serious"]
    ]
    return {
        "subjects": pd.DataFrame({"subject_id": SUBJECTS, "site_code": ["MSK", "MSK", "PRM"]}),
        "assessments": _frame(
            visits, ["assessment_id", "subject_id", "visit_date", "scale", "score"]
        ),
        "labs": _frame(labs, ["lab_id", "subject_id", "date", "test", "value", "unit", "upper"]),
        "adverse_events": _frame(
            aes, ["ae_id", "subject_id", "coded_term", "onset_date", "serious"]
        ),
        "treatments": _frame(doses, ["treatment_id", "subject_id", "product_id", "start_date"]),
        "narratives": _frame(notes, ["subject_id", "visit_date"]),
        "known": _frame(known, ["ae_id", "known_date"]),
    }


def _as_set(found: list[Any]) -> list[str]:
    return sorted(repr(x) for x in found)


@settings(max_examples=120, deadline=None)
@given(_check_frames())
def test_one_pass_rules_find_what_the_row_by_row_rules_found(f: dict[str, pd.DataFrame]) -> None:
    site = dict(zip(f["subjects"]["subject_id"], f["subjects"]["site_code"], strict=True))
    rules = {r.kind: r for r in default_rules()}
    pairs = [
        (sc._score_change, _reference_score_change),
        (sc._lab_without_ae, _reference_lab_without_ae),
        (sc._dose_window, _reference_dose_window),
        (sc._visit_overdue, _reference_visit_overdue),
    ]
    for fast, slow in pairs:
        rule = rules[fast.__name__.lstrip("_")]
        assert _as_set(fast(rule, f, site)) == _as_set(slow(rule, f, site)), rule.kind
    rule = rules["sae_without_narrative"]
    today = DAY0 + dt.timedelta(days=300)
    assert _as_set(sc._sae_without_narrative(rule, f, site, today)) == _as_set(
        _reference_sae_without_narrative(rule, f, site, today)
    )
