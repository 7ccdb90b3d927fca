"""Queries on a field: raised, answered (text or correction), closed, re-opened; scoped."""

from __future__ import annotations

import pytest

from schemas.errors import AccessDenied, NotFound
from tests.warehouse_fixtures import (
    audit_rows,
    coordinator,
    file_db,  # noqa: F401  (a fixture)
    make_case,
    monitor,
    site_user,
)
from warehouse.review import answering
from warehouse.review import queries as q
from warehouse.store.cases import load_case, save_case
from warehouse.store.db import Database


def plain(text: str) -> str:
    return text.replace("Ivan Petrov", "<PERSON>")


@pytest.fixture
def db(file_db: Database) -> Database:  # noqa: F811
    save_case(coordinator(file_db), make_case(file_db, "MSK", "PAT-1"))
    save_case(coordinator(file_db), make_case(file_db, "PRM", "PAT-2"))
    return file_db


def score_target(db: Database, site: str = "MSK") -> q.Target:
    case = make_case(db, site, "PAT-1" if site == "MSK" else "PAT-2")
    row = case.assessments[0]
    return q.Target(row["subject_id"], "assessments", row["assessment_id"], "score")


def test_the_full_loop_is_stored_and_audited(db: Database) -> None:
    target = score_target(db)
    qid = q.open_query(monitor(db), target, "Score fell 20 points, Ivan Petrov?", scrub=plain)
    assert q.list_queries(site_user(db)).loc[0, "question"] == "Score fell 20 points, <PERSON>?"
    answering.answer_with_correction(site_user(db), qid, "typo in the CRF", 33.0, scrub=plain)
    assert load_case(coordinator(db), target.subject_id).assessments[0]["score"] == 33.0
    assert q.get_query(monitor(db), qid).state == "answered"
    q.close_query(monitor(db), qid)
    assert q.get_query(monitor(db), qid).state == "closed"
    q.reopen_query(monitor(db), qid, "Please also check the visit date", scrub=plain)
    assert q.get_query(monitor(db), qid).state == "open"
    thread = q.messages(monitor(db), qid)
    assert thread["kind"].tolist() == ["question", "answer", "close", "reopen"]
    assert '"after": 33.0' in thread.loc[1, "correction"]
    actions = [
        (r["action"], r["reason"])
        for r in audit_rows(db)
        if r["table_name"] in ("queries", "assessments")
    ]
    assert ("update", f"query {qid}: typo in the CRF") in actions
    assert [a for a, _ in actions if a.startswith("query_")] == [
        "query_opened",
        "query_answered",
        "query_closed",
        "query_reopened",
    ]
    assert "Ivan Petrov" not in str(audit_rows(db))


def test_monitor_cannot_change_a_value_through_a_query(db: Database) -> None:
    qid = q.open_query(monitor(db), score_target(db), "check", scrub=plain)
    with pytest.raises(AccessDenied):
        answering.answer_with_correction(monitor(db), qid, "", 10.0, scrub=plain)
    with pytest.raises(AccessDenied):
        q.answer_query(monitor(db), qid, "fine", scrub=plain)
    assert load_case(coordinator(db), score_target(db).subject_id).assessments[0]["score"] == 31.0
    assert q.get_query(monitor(db), qid).state == "open"


def test_site_user_cannot_raise_or_see_another_centres_queries(db: Database) -> None:
    with pytest.raises(AccessDenied):
        q.open_query(site_user(db), score_target(db), "x", scrub=plain)
    qid = q.open_query(monitor(db), score_target(db, "PRM"), "check", scrub=plain)
    assert q.list_queries(site_user(db, "MSK")).empty
    assert len(q.list_queries(site_user(db, "PRM"))) == 1
    with pytest.raises(AccessDenied):
        q.get_query(site_user(db, "MSK"), qid)
    with pytest.raises(AccessDenied):
        q.answer_query(site_user(db, "MSK"), qid, "mine now", scrub=plain)


def test_bad_text_and_targets_get_clear_messages(db: Database) -> None:
    with pytest.raises(q.QueryTextError, match="required"):
        q.open_query(monitor(db), score_target(db), "   ", scrub=plain)
    with pytest.raises(q.QueryTextError, match="at most 2000"):
        q.open_query(monitor(db), score_target(db), "x" * 2001, scrub=plain)
    q.open_query(monitor(db), score_target(db), "x" * 2000, scrub=plain)  # the limit itself
    wrong = q.Target(score_target(db).subject_id, "assessments", "AS-NOPE", "score")
    with pytest.raises(NotFound):
        q.open_query(monitor(db), wrong, "x", scrub=plain)
    with pytest.raises(NotFound):
        q.open_query(monitor(db), q.Target(wrong.subject_id, "assessments", "x", "nope"), "x")


def test_steps_out_of_order_are_refused(db: Database) -> None:
    qid = q.open_query(monitor(db), score_target(db), "check", scrub=plain)
    with pytest.raises(q.QueryStateError):
        q.reopen_query(monitor(db), qid, "again", scrub=plain)
    q.answer_query(site_user(db), qid, "confirmed", scrub=plain)
    with pytest.raises(q.QueryStateError):
        q.answer_query(site_user(db), qid, "twice", scrub=plain)


def test_a_failed_correction_leaves_the_query_open(db: Database) -> None:
    qid = q.open_query(monitor(db), score_target(db), "check", scrub=plain)
    with pytest.raises(Exception, match="64|range|score"):
        answering.answer_with_correction(
            site_user(db), qid, "fix", 500.0, scrub=plain
        )  # CHOP max 64
    assert q.get_query(monitor(db), qid).state == "open"
    assert q.messages(monitor(db), qid)["kind"].tolist() == ["question"]


def test_query_text_is_scrubbed_by_the_real_scrubber(db: Database) -> None:
    qid = q.open_query(
        monitor(db), score_target(db), "Mother Anna Smirnova phoned +7 912 345-67-89 about it"
    )
    stored = q.messages(monitor(db), qid).loc[0, "text"]
    assert "Smirnova" not in stored and "345-67-89" not in stored
    assert "Smirnova" not in str(audit_rows(db))
