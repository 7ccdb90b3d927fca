"""The batched write path of a bundle: the same rows, refusals and audit as one save."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from schemas import CLINICAL_TABLES, TABLES
from schemas.errors import ValidationFailed
from tests.warehouse_fixtures import audit_rows, make_case, make_db, table_counts
from warehouse.store.access import system_session
from warehouse.store.audit import verify
from warehouse.store.bulk_upsert import _ownership_screen, upsert_in_batches
from warehouse.store.db import Database
from warehouse.store.upsert import _ownership, check_batch, upsert_cases


def _cases(db: Database, site: str, count: int, first: int = 0) -> list:
    return [make_case(db, site, f"PAT-{first + i:03d}") for i in range(count)]


def test_batches_write_what_one_transaction_writes(tmp_path: Path) -> None:
    """Written three subjects at a time, an import stores the same rows and the same
    audit entries (row by row, in the same order per table) as the single save path,
    and the chain verifies."""
    one = make_db(tmp_path / "one.duckdb", tmp_path / "keys")
    many = make_db(tmp_path / "many.duckdb", tmp_path / "many-keys")
    cases = _cases(one, "MSK", 7)
    upsert_cases(system_session(one, "t"), copy.deepcopy(cases), mode="update", reason="r")
    summary = upsert_in_batches(
        system_session(many, "t"), copy.deepcopy(cases), reason="r", batch_subjects=3
    )
    assert table_counts(one) == table_counts(many)
    assert summary.inserted == {t: sum(len(c.rows(t)) for c in cases) for t in CLINICAL_TABLES}

    def entries(db: Database) -> list[tuple]:
        rows = [r for r in audit_rows(db) if r["action"] in ("insert", "update")]
        return sorted((r["table_name"], r["row_key"], r["after"], r["reason"]) for r in rows)

    assert entries(one) == entries(many)
    assert verify(many).entries == len(audit_rows(many))
    # a second import of the same rows changes nothing
    again = upsert_in_batches(system_session(many, "t"), copy.deepcopy(cases), batch_subjects=2)
    assert sum(again.inserted.values()) == sum(again.updated.values()) == 0


def test_a_refused_row_leaves_nothing_written(tmp_path: Path) -> None:
    """A row of another centre's subject refuses the whole import, with the single
    save's problem, after earlier batches were already written: nothing is kept."""
    db = make_db(tmp_path / "db.duckdb", tmp_path / "keys")
    theirs = make_case(db, "PRM", "PAT-900")
    upsert_cases(system_session(db, "t"), [theirs], mode="update")
    before = (table_counts(db), len(audit_rows(db)))
    cases = _cases(db, "MSK", 5)
    cases[-1].labs[0]["lab_id"] = theirs.labs[0]["lab_id"]  # the last batch takes it over
    with pytest.raises(ValidationFailed) as refused:
        upsert_in_batches(system_session(db, "t"), cases, batch_subjects=2)
    assert [(p.table, p.row, p.field) for p in refused.value.problems] == [("labs", 4, "lab_id")]
    assert "stored for another subject or centre" in refused.value.problems[0].message_en
    assert (table_counts(db), len(audit_rows(db))) == before
    verify(db)


_DB: dict[str, tuple[Database, list]] = {}


def _stored_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, list]:
    if "db" not in _DB:
        root = tmp_path_factory.mktemp("owners")
        db = make_db(root / "db.duckdb", root / "keys")
        stored = _cases(db, "MSK", 2, 100) + _cases(db, "PRM", 2, 200)
        upsert_cases(system_session(db, "t"), stored, mode="update")
        _DB["db"] = (db, stored)
    return _DB["db"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_ownership_screen_flags_exactly_what_the_single_save_refuses(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    """Incoming cases whose rows randomly take keys of stored rows (of their own or
    another subject, of either centre) or of each other: the whole-import screen flags
    them exactly when the single save's ownership check names a row."""
    db, stored = _stored_db(tmp_path_factory)
    incoming = copy.deepcopy(stored[:1]) + _cases(db, "MSK", 2, 300)
    donors = stored + incoming
    for _ in range(data.draw(st.integers(0, 3))):
        case = data.draw(st.sampled_from(incoming))
        table = data.draw(st.sampled_from([t for t in CLINICAL_TABLES if t != "subjects"]))
        donor = data.draw(st.sampled_from(donors))
        if not case.rows(table) or not donor.rows(table):
            continue
        row, given = case.rows(table)[0], donor.rows(table)[0]
        for column in TABLES[table].key:
            if column != "subject_id":
                row[column] = given[column]
    if data.draw(st.booleans()):  # a stored subject sent again from the other centre
        moved = copy.deepcopy(stored[2])
        moved.subjects[0]["site_code"] = "MSK"
        incoming.append(moved)
    frames, problems = check_batch(incoming)
    if problems:
        return  # invalid before ownership is looked at
    counts = {t: np.array([len(c.rows(t)) for c in incoming]) for t in CLINICAL_TABLES}
    with db.connect(read_only=True) as conn:
        flagged = _ownership_screen(conn, incoming, frames, counts)
        event(f"refused: {flagged}")
        assert flagged == bool(_ownership(conn, incoming))


def test_collection_is_paused_for_a_bulk_write_and_restored_after() -> None:
    """Nested pauses end together; an error still restores the collector; a collector
    someone else turned off stays off."""
    import gc  # noqa: PLC0415

    from warehouse.store.bulk_upsert import collection_paused  # noqa: PLC0415

    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
        with pytest.raises(RuntimeError), collection_paused():
            raise RuntimeError("boom")
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
