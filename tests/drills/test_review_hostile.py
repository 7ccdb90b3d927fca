"""Hostile query and answer texts: refused with a message or stored scrubbed, never a
crash, never half-written; a monitor cannot reach a clinical value through a query."""

from __future__ import annotations

import pytest

from schemas.errors import AccessDenied, CaseguardError
from tests.warehouse_fixtures import (  # noqa: F401
    audit_count,
    coordinator,
    file_db,
    make_case,
    monitor,
    site_user,
)
from warehouse.review import answering
from warehouse.review import queries as q
from warehouse.store.cases import load_case, save_case
from warehouse.store.db import Database


def _same(text: str) -> str:
    return text


@pytest.fixture
def target(file_db: Database) -> tuple[Database, q.Target]:  # noqa: F811
    case = make_case(file_db, "MSK", "PAT-H")
    save_case(coordinator(file_db), case)
    row = case.assessments[0]
    return file_db, q.Target(row["subject_id"], "assessments", row["assessment_id"], "score")


@pytest.mark.parametrize(
    "text",
    ["x" * 10_000_000, "", " \n\t ", "\ud800 lone surrogate", "a" * 2001],
)
def test_hostile_questions_are_refused_whole(target: tuple[Database, q.Target], text: str) -> None:
    db, where = target
    before = audit_count(db)
    with pytest.raises(CaseguardError):
        q.open_query(monitor(db), where, text, scrub=_same)
    assert q.list_queries(monitor(db)).empty
    assert audit_count(db) == before


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://x")', "<script>alert(1)</script>", "NUL\x00byte"]
)
def test_odd_but_bounded_text_is_stored_as_text(
    target: tuple[Database, q.Target], text: str
) -> None:
    db, where = target
    query_id = q.open_query(monitor(db), where, text, scrub=_same)
    assert q.messages(monitor(db), query_id).loc[0, "text"] == text


@pytest.mark.parametrize("field", ["score", "subject_id", "assessment_id"])
def test_a_monitor_cannot_write_a_value_through_a_query(
    target: tuple[Database, q.Target], field: str
) -> None:
    db, where = target
    query_id = q.open_query(monitor(db), where, "check", scrub=_same)
    with pytest.raises(AccessDenied):
        answering.answer_with_correction(monitor(db), query_id, "", 1.0, scrub=_same)
    assert load_case(coordinator(db), where.subject_id).assessments[0]["score"] == 31.0
    # a site user answering still cannot write a key column or a text into a score
    forged = q.Target(where.subject_id, "assessments", where.row_key, field)
    qid = q.open_query(monitor(db), forged, "check", scrub=_same)
    with pytest.raises(CaseguardError):
        answering.answer_with_correction(site_user(db), qid, "", "MSK-OTHER", scrub=_same)
    assert q.get_query(monitor(db), qid).state == "open"
    assert load_case(coordinator(db), where.subject_id).assessments[0]["score"] == 31.0
