"""Tokens recorded at sites, a coordinator's linkage run, and reviewed decisions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from schemas.errors import AccessDenied, CaseguardError, Conflict, KeyFileError
from tests.warehouse_fixtures import (
    audit_rows,
    coordinator,
    make_case,
    make_db,
    monitor,
    site_user,
)
from warehouse.linkage.review import decide, decision_history, review_queue, timelines, undo
from warehouse.linkage.run import PAIR_COLUMNS, run_linkage, stored_pairs, write_pairs_csv
from warehouse.linkage.storage import (
    has_tokens,
    record_identifiers,
    token_row,
    write_token_rows,
)
from warehouse.linkage.synthetic import CohortMaker
from warehouse.linkage.tokens import Identifiers
from warehouse.store.audit import audited_transaction
from warehouse.store.cases import save_case, save_cases
from warehouse.store.db import MEMORY, Database
from warehouse.store.person_links import person_ids

CHILD = Identifiers(
    surname="Кузнецова",
    given_name="Алёна",
    patronymic="Игоревна",
    birth_date=dt.date(2020, 2, 11),
    sex="F",
    snils="112-233-445 95",
    birth_region="Пермский край",
)
SAME_CHILD_ELSEWHERE = Identifiers(
    surname="Kuznetsova",
    given_name="Alena",
    birth_date=dt.date(2020, 2, 11),
    sex="F",
    birth_region="Пермский край",
)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    """Two centres, a child at both, and a crowd of other children with tokens."""
    database = make_db(MEMORY, tmp_path / "keys")
    database.keys.create_linkage_key()
    for site, local in (("MSK", "A-1"), ("PRM", "B-1")):
        save_case(site_user(database, site), make_case(database, site, local))
    ids = {}
    for site, local, who in (("MSK", "A-1", CHILD), ("PRM", "B-1", SAME_CHILD_ELSEWHERE)):
        sid = make_case(database, site, local).subject["subject_id"]
        record_identifiers(site_user(database, site), sid, who)
        ids[site] = sid
    # others, some of them also entered at the second centre (EM needs matches to learn)
    crowd = CohortMaker(5).cohort(120, ["MSK", "PRM"], moved=0.2, double_entry=0.0)
    cases = [
        make_case(database, r.site_code, f"crowd-{n}", minimal=True)
        for n, r in enumerate(crowd.records)
    ]
    save_cases(coordinator(database), cases)
    key = database.keys.linkage_key()
    rows = [
        token_row(key, c.subject["subject_id"], r.site_code, r.identifiers)
        for c, r in zip(cases, crowd.records, strict=True)
    ]
    with audited_transaction(database, coordinator(database).actor) as (conn, events):
        write_token_rows(conn, rows, events)
    database.child = ids  # type: ignore[attr-defined]
    return database


def test_only_tokens_are_stored_and_the_audit_names_fields(db: Database) -> None:
    child = db.child  # type: ignore[attr-defined]
    assert has_tokens(coordinator(db), child["MSK"])
    with db.connect() as conn:
        stored = conn.execute("SELECT * FROM linkage_tokens").df().astype(str).to_string()
        log = conn.execute("SELECT * FROM audit_log").df().astype(str).to_string()
    for value in ("Кузнецова", "Kuznetsova", "Алёна", "Игоревна", "2020-02-11", "11223344595"):
        assert value not in stored and value not in log
    entries = [r for r in audit_rows(db) if r["action"] == "linkage_tokens"]
    assert entries and "surname" in entries[0]["after"]


def test_a_site_user_records_tokens_for_their_own_site_only(db: Database) -> None:
    child = db.child  # type: ignore[attr-defined]
    with pytest.raises(AccessDenied):
        record_identifiers(site_user(db, "MSK"), child["PRM"], CHILD)


def test_without_the_linkage_key_no_tokens_can_be_made(db: Database, tmp_path: Path) -> None:
    child = db.child  # type: ignore[attr-defined]
    (db.keys.linkage_key_path).unlink()
    with pytest.raises(KeyFileError, match="no linkage key"):
        record_identifiers(site_user(db, "MSK"), child["MSK"], CHILD)


def test_run_finds_the_child_at_both_centres_and_writes_csv(db: Database, tmp_path: Path) -> None:
    child = db.child  # type: ignore[attr-defined]
    summary = run_linkage(coordinator(db), threshold=0.9)
    assert summary.subjects == 122
    pairs = stored_pairs(coordinator(db))
    pair = sorted(child.values())
    hit = pairs[(pairs.subject_id_a == pair[0]) & (pairs.subject_id_b == pair[1])]
    assert len(hit) == 1 and summary.cross_centre >= 1
    assert "birth_date" in hit["agreeing_fields"].iloc[0]
    out = write_pairs_csv(pairs, tmp_path / "pairs.csv")
    written = pd.read_csv(out)
    assert list(written.columns) == PAIR_COLUMNS
    assert "Kuznetsova" not in out.read_text(encoding="utf-8")
    assert [r for r in audit_rows(db) if r["action"] == "linkage_run"]


def test_monitors_and_site_users_cannot_run_or_review(db: Database) -> None:
    for session in (monitor(db), site_user(db, "MSK")):
        with pytest.raises(AccessDenied):
            run_linkage(session)
        with pytest.raises(AccessDenied):
            review_queue(session)


def test_tokens_under_two_keys_are_never_compared(db: Database, tmp_path: Path) -> None:
    with db.transaction() as conn:
        conn.execute("UPDATE linkage_tokens SET key_id = 'older' WHERE site_code = 'MSK'")
    with pytest.raises(CaseguardError, match="2 different linkage keys"):
        run_linkage(coordinator(db))


def test_decisions_are_audited_undoable_and_form_clusters(db: Database) -> None:
    child = db.child  # type: ignore[attr-defined]
    run_linkage(coordinator(db), threshold=0.9)
    queue = review_queue(coordinator(db))
    assert queue["decision"].isna().all()
    with pytest.raises(CaseguardError, match="reason"):
        decide(coordinator(db), child["MSK"], child["PRM"], "same", "  ")
    made = decide(coordinator(db), child["PRM"], child["MSK"], "same", "moved to Perm")
    with pytest.raises(Conflict, match="undo it first"):
        decide(coordinator(db), child["MSK"], child["PRM"], "different", "second thoughts")
    with db.connect() as conn:
        assert person_ids(conn) == {s: min(child.values()) for s in child.values()}
    queue = review_queue(coordinator(db))
    decided = queue[queue["decision_id"] == made.decision_id]
    assert decided["decision"].iloc[0] == "same"
    undo(coordinator(db), made.decision_id, "a different child after all")
    with pytest.raises(Conflict, match="already undone"):
        undo(coordinator(db), made.decision_id, "again")
    with db.connect() as conn:
        assert person_ids(conn) == {}
    history = decision_history(coordinator(db))
    assert history["undo_reason"].iloc[0] == "a different child after all"
    actions = [r["action"] for r in audit_rows(db)]
    assert actions.count("linkage_decision") == 1 and actions.count("linkage_undo") == 1


def test_timelines_show_products_as_days_from_index(db: Database) -> None:
    child = db.child  # type: ignore[attr-defined]
    shown = timelines(coordinator(db), list(child.values()))
    for frame in shown.values():
        assert list(frame["product"]) == ["Spinraza", "Spinraza"]
        assert list(frame["start_day"]) == [0, 14]
