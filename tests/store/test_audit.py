"""The audit log: one entry per change, with who/role/site/reason; tampering is caught.

Tampering is done with a plain DuckDB connection on the file, the way someone holding
only the database file would do it (caseguard keeps no connection open in between).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import CLINICAL_TABLES
from schemas.errors import AuditChainBroken, CaseguardError
from tests import warehouse_fixtures as wf
from tests.warehouse_fixtures import (
    audit_count,
    audit_rows,
    case_row_count,
    clone_db,
    coordinator,
    make_case,
    make_db,
    raw_execute,
    site_user,
    table_counts,
)
from warehouse.store import audit
from warehouse.store.audit import Event, canonical_json, canonical_rows, entry_text, verify
from warehouse.store.cases import Change, load_case, save_case, update_rows, withdraw_consent
from warehouse.store.db import Database

# Shared fixtures, imported explicitly (no conftest); pytest finds them by name here.
any_db = wf.any_db
file_db = wf.file_db
memory_db = wf.memory_db


def _entry(n: int) -> re.Pattern[str]:
    """Matches a message that names entry ``n`` (and not e.g. entry 1n)."""
    return re.compile(rf"\bentr(y|ies) {n}\b")


@pytest.fixture(scope="module")
def busy_template(tmp_path_factory: pytest.TempPathFactory) -> Database:
    """A file database with two saved cases and a correction: 22 audit entries.

    (3 setup entries: two sites and the product list; 9 rows per case; 1 update.)
    Built once per module; each test gets its own copy through ``busy_db``.
    """
    base = tmp_path_factory.mktemp("busy")
    db = make_db(base / "warehouse.duckdb", base / "keys")
    msk = make_case(db, "MSK", "PAT-001")
    save_case(site_user(db, "MSK"), msk)
    save_case(site_user(db, "PRM"), make_case(db, "PRM", "PAT-900"))
    sid, ae = msk.subject["subject_id"], msk.adverse_events[0]
    update_rows(
        site_user(db, "MSK"),
        sid,
        [
            Change(
                "adverse_events",
                {"ae_id": ae["ae_id"]},
                {"outcome": "recovered", "end_date": ae["onset_date"] + dt.timedelta(days=2)},
            )
        ],
        "resolved",
    )
    return db


@pytest.fixture
def busy_db(busy_template: Database, tmp_path: Path) -> Database:
    return clone_db(busy_template, tmp_path / "copy")


def _seq_of(db: Database, action: str, table: str) -> int:
    return next(
        r["seq"] for r in audit_rows(db) if (r["action"], r["table_name"]) == (action, table)
    )


# --- what gets recorded -----------------------------------------------------------


def test_every_saved_row_has_an_insert_entry(any_db: Database) -> None:
    before = audit_count(any_db)
    case = make_case(any_db, "MSK", "PAT-001")
    save_case(site_user(any_db, "MSK"), case)
    entries = audit_rows(any_db)[before:]
    assert len(entries) == case_row_count(case)
    assert {(e["username"], e["role"], e["site_code"], e["action"]) for e in entries} == {
        ("msk_neuro", "site_user", "MSK", "insert")
    }
    assert len({e["ts"] for e in entries}) == 1  # one save, one transaction
    keys = {(e["table_name"], e["row_key"]) for e in entries}
    sid = case.subject["subject_id"]
    assert ("subjects", sid) in keys and ("consents", sid) in keys
    assert ("labs", case.labs[0]["lab_id"]) in keys
    causality = case.ae_causality[0]
    assert ("ae_causality", f"{causality['ae_id']}|{causality['product_id']}") in keys
    lab_entry = next(e for e in entries if e["table_name"] == "labs")
    after = json.loads(lab_entry["after"])
    assert (after["test"], after["value"], after["date"]) == (
        "PLT",
        250.0,
        case.labs[0]["date"].isoformat(),
    )
    assert lab_entry["before"] is None and lab_entry["reason"] is None
    assert {e["table_name"] for e in entries} == set(CLINICAL_TABLES)


def test_updates_record_reason_before_and_after(any_db: Database) -> None:
    case = make_case(any_db, "MSK", "PAT-001")
    save_case(site_user(any_db), case)
    sid = case.subject["subject_id"]
    before = audit_count(any_db)
    lab_id = case.labs[0]["lab_id"]
    update_rows(
        coordinator(any_db),
        sid,
        [Change("labs", {"lab_id": lab_id}, {"value": 180.0})],
        "  transcription error  ",
    )
    withdraw_consent(
        site_user(any_db),
        sid,
        case.consents[0]["signed_date"] + dt.timedelta(days=1),
        "parent request",
    )
    lab, consent, subject = audit_rows(any_db)[before:]
    assert (lab["username"], lab["role"], lab["site_code"]) == ("coord", "coordinator", None)
    assert (lab["action"], lab["table_name"], lab["row_key"]) == ("update", "labs", lab_id)
    assert lab["reason"] == "transcription error"
    assert json.loads(lab["before"])["value"] == 250.0
    assert json.loads(lab["after"])["value"] == 180.0
    assert (consent["table_name"], consent["reason"], consent["site_code"]) == (
        "consents",
        "parent request",
        "MSK",
    )
    assert json.loads(subject["after"])["status"] == "withdrawn"
    assert verify(any_db).entries == before + 3


@pytest.mark.parametrize("reason", ["", "   ", "\n\t", None])
def test_clinical_change_without_a_reason_is_refused(
    memory_db: Database, reason: str | None
) -> None:
    case = make_case(memory_db, "MSK", "PAT-001")
    save_case(site_user(memory_db), case)
    sid = case.subject["subject_id"]
    before_audit, before_counts = audit_rows(memory_db), table_counts(memory_db)
    given: Any = reason  # None included on purpose: callers outside mypy can pass it
    change = Change("labs", {"lab_id": case.labs[0]["lab_id"]}, {"value": 180.0})
    for session in (site_user(memory_db), coordinator(memory_db)):
        with pytest.raises(CaseguardError, match="reason is required"):
            update_rows(session, sid, [change], given)
        with pytest.raises(CaseguardError, match="reason is required"):
            withdraw_consent(session, sid, case.consents[0]["signed_date"], given)
    assert load_case(site_user(memory_db), sid).labs[0]["value"] == 250.0
    assert audit_rows(memory_db) == before_audit
    assert table_counts(memory_db) == before_counts


def test_verify_passes_on_a_clean_database(busy_db: Database) -> None:
    result = verify(busy_db)
    # 2 sites, 2 site keys registered, products, 2 cases of 9 rows, 1 correction
    assert result.entries == audit_count(busy_db) == 24
    assert result.anchored_seq == 24


def test_verify_passes_on_a_fresh_memory_database(any_db: Database) -> None:
    assert verify(any_db).entries == audit_count(any_db) > 0


# --- tampering --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("username", "'someone_else'"),
        ("role", "'admin'"),
        ("site_code", "'PRM'"),
        ("action", "'delete'"),
        ("table_name", "'labs'"),
        ("row_key", "'MSK-AAAAAAAAAAAA'"),
        ("after", "replace(after, '\"ctcae_grade\":2', '\"ctcae_grade\":1')"),
        ("ts", "ts + INTERVAL 1 SECOND"),
        # never a no-op: a hash that already starts with "ab" gets "cd" instead
        ("hash", "if(hash[1:2] = 'ab', 'cd', 'ab') || substr(hash, 3)"),
    ],
)
def test_edited_entry_is_named(busy_db: Database, column: str, value: str) -> None:
    seq = _seq_of(busy_db, "insert", "adverse_events")
    raw_execute(busy_db, f"UPDATE audit_log SET {column} = {value} WHERE seq = {seq}")
    with pytest.raises(AuditChainBroken, match=_entry(seq)):
        verify(busy_db)


def test_edited_reason_of_an_update_is_named(busy_db: Database) -> None:
    seq = _seq_of(busy_db, "update", "adverse_events")
    raw_execute(busy_db, f"UPDATE audit_log SET reason = 'data entry error' WHERE seq = {seq}")
    with pytest.raises(AuditChainBroken, match=_entry(seq)) as caught:
        verify(busy_db)
    assert "altered" in str(caught.value)


def test_edited_before_value_is_named(busy_db: Database) -> None:
    seq = _seq_of(busy_db, "update", "adverse_events")
    raw_execute(
        busy_db,
        "UPDATE audit_log SET before = replace(before, 'recovering', 'recovered') "
        f"WHERE seq = {seq}",
    )
    with pytest.raises(AuditChainBroken, match=_entry(seq)):
        verify(busy_db)


def test_rewritten_prev_hash_is_named(busy_db: Database) -> None:
    raw_execute(busy_db, f"UPDATE audit_log SET prev_hash = '{'0' * 64}' WHERE seq = 10")
    with pytest.raises(AuditChainBroken, match=_entry(10)):
        verify(busy_db)


@pytest.mark.parametrize("seq", [1, 7, 15])
def test_deleted_middle_entry_is_named(busy_db: Database, seq: int) -> None:
    raw_execute(busy_db, f"DELETE FROM audit_log WHERE seq = {seq}")
    with pytest.raises(AuditChainBroken, match=_entry(seq)) as caught:
        verify(busy_db)
    assert "missing" in str(caught.value)


def test_deleted_and_renumbered_entry_is_named(busy_db: Database) -> None:
    """Closing the gap after a deletion still breaks the chain at the same place."""
    raw_execute(
        busy_db,
        "DELETE FROM audit_log WHERE seq = 9",
        "UPDATE audit_log SET seq = seq - 1 WHERE seq > 9",
    )
    with pytest.raises(AuditChainBroken, match=_entry(9)):
        verify(busy_db)


def test_swapped_entries_are_detected(busy_db: Database) -> None:
    raw_execute(
        busy_db,
        "UPDATE audit_log SET seq = -1 WHERE seq = 12",
        "UPDATE audit_log SET seq = 12 WHERE seq = 13",
        "UPDATE audit_log SET seq = 13 WHERE seq = -1",
    )
    with pytest.raises(AuditChainBroken, match=_entry(12)) as caught:
        verify(busy_db)
    assert "reordered" in str(caught.value)


@pytest.mark.parametrize("cut", [1, 3, 22])
def test_entries_cut_off_the_end_are_detected_by_the_anchor(busy_db: Database, cut: int) -> None:
    total = audit_count(busy_db)
    raw_execute(busy_db, f"DELETE FROM audit_log WHERE seq > {total - cut}")
    with pytest.raises(AuditChainBroken, match="deleted from the end") as caught:
        verify(busy_db)
    assert _entry(total - cut + 1).search(str(caught.value))


def test_cut_then_rewritten_tail_is_detected(busy_db: Database) -> None:
    """Deleting the last entry and then writing normally reuses its seq: still caught."""
    sid = next(
        r["row_key"]
        for r in audit_rows(busy_db)
        if r["table_name"] == "subjects" and r["site_code"] == "MSK"
    )
    total = audit_count(busy_db)
    raw_execute(busy_db, f"DELETE FROM audit_log WHERE seq = {total}")
    case = load_case(site_user(busy_db), sid)
    update_rows(
        site_user(busy_db),
        sid,
        [Change("labs", {"lab_id": case.labs[0]["lab_id"]}, {"value": 251.0})],
        "recheck",
    )
    assert audit_count(busy_db) == total  # the chain itself looks whole again
    with pytest.raises(AuditChainBroken, match=_entry(total)):
        verify(busy_db)


def test_clean_writes_after_verification_keep_verifying(busy_db: Database) -> None:
    verify(busy_db)
    save_case(site_user(busy_db, "PRM"), make_case(busy_db, "PRM", "PAT-901"))
    assert verify(busy_db).anchored_seq == audit_count(busy_db)


# --- bulk appends hash exactly as the definition says (issue 21) ----------------------
# The definition: the HMAC of json.dumps([prev_hash, *fields], ensure_ascii=False) and
# canonical_json of each row's dict. The bulk path builds both from pieces.

TEXT_OR_NONE = st.one_of(st.none(), st.text(max_size=30))
CELL = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.integers(-(10**20), 10**20),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(),
    st.lists(st.one_of(st.text(max_size=3), st.integers(), st.none()), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=70), st.integers(1, 10**15), st.lists(TEXT_OR_NONE, min_size=10, max_size=10)
)
def test_an_entry_text_is_the_json_of_its_fields(prev: str, seq: int, fields: list) -> None:
    want = json.dumps([prev, seq, *fields], ensure_ascii=False)
    assert entry_text(prev, [seq, *fields]) == want


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 5).flatmap(
        lambda n: st.dictionaries(
            st.text(max_size=6), st.lists(CELL, min_size=n, max_size=n), min_size=1, max_size=5
        )
    )
)
def test_row_texts_built_by_column_equal_each_rows_canonical_json(columns: dict) -> None:
    rows = [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]
    assert canonical_rows(columns) == [canonical_json(row) for row in rows]


KINDS = [
    st.text(max_size=8),
    st.integers(-(10**20), 10**20),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(),
]


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda n: st.lists(
            st.sampled_from(KINDS).flatmap(
                lambda kind: (
                    st.lists(kind | st.none(), min_size=n, max_size=n)
                    | st.lists(kind, min_size=n, max_size=n)
                )
            ),
            min_size=1,
            max_size=4,
        )
    )
)
def test_row_texts_of_one_kind_columns_equal_each_rows_canonical_json(values: list) -> None:
    """Columns of one kind (text, numbers, dates; with or without empty cells), which
    are encoded a column at a time, give each row's canonical JSON."""
    columns = {f"c{i}": column for i, column in enumerate(values)}
    rows = [dict(zip(columns, cells, strict=True)) for cells in zip(*columns.values(), strict=True)]
    assert canonical_rows(columns) == [canonical_json(row) for row in rows]


def test_a_bulk_append_hashes_each_entry_as_defined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = make_db(tmp_path / "w.duckdb", tmp_path / "keys")
    at = dt.datetime(2030, 5, 6, 7, 8, 9, 123456)
    monkeypatch.setattr(audit, "_now", lambda: at)
    cells = {
        "subject_id": ["MSK-1", "MSK-2", "MSK-3"],
        "note": ['quote " back\\slash \n\t\x00 \u2028 ёж', None, ""],
        "n": [1.5, float("inf"), None],
        "day": [dt.date(2020, 1, 2), None, dt.datetime(2021, 3, 4, 5, 6, 7)],
        "items": [["a", 2], [], None],
        "flag": [True, False, None],
    }
    rows = [dict(zip(cells, values, strict=True)) for values in zip(*cells.values(), strict=True)]
    texts = canonical_rows(cells)  # as a bulk insert carries them
    events = [
        Event("insert", "labs", f"LB-{i}", after=row, reason="bundle ü", after_text=text)
        for i, (row, text) in enumerate(zip(rows, texts, strict=True))
    ]
    events.append(Event("update", "labs", "LB-0", before=rows[0], after=rows[1], reason=None))
    events.append(Event("odd", None, None))
    actor = audit.Actor("coord\u00e9", "coordinator", None)
    with db.transaction() as conn:
        start = conn.execute("SELECT max(seq), arg_max(hash, seq) FROM audit_log").fetchone()
        audit.append(conn, db, actor, events)
    stored = audit_rows(db)[start[0] :]
    key, prev = db.keys.audit_key(), start[1]
    for seq, (event, row) in enumerate(zip(events, stored, strict=True), start=start[0] + 1):
        fields = audit._fields(seq, at, actor, event)
        text = json.dumps([prev, *fields], ensure_ascii=False, default=audit._plain)
        want = hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
        assert (row["seq"], row["prev_hash"], row["hash"]) == (seq, prev, want)
        assert row["after"] == canonical_json(event.after)
        prev = want
    verify(db)


def _lone_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.none() | st.text(), max_size=30))
def test_joined_text_column_holds_exactly_the_values(values: list[str | None]) -> None:
    """The audit's text columns built from one joined UTF-8 buffer hold exactly the
    values given (None as null); text with a NUL goes the slow way, and so does text
    with a lone surrogate (which UTF-8 cannot hold)."""
    from warehouse.store.audit import _joined_array, _text_array, _utf8_pieces  # noqa: PLC0415

    joined = _joined_array(values)
    if values and all(v is None or ("\x00" not in v and not _lone_surrogate(v)) for v in values):
        assert joined is not None
    if joined is not None:
        assert joined.to_pylist() == values
    texts = [v for v in values if v is not None and not _lone_surrogate(v)]
    assert _utf8_pieces(texts) == [t.encode("utf-8") for t in texts]
    assert _utf8_pieces(texts, "]") == [(t + "]").encode("utf-8") for t in texts]
    clean = [v for v in values if v is None or not _lone_surrogate(v)]
    assert _text_array(clean).to_pylist() == clean
