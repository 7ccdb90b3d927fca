"""The Possible duplicates page: pairs, agreeing fields (names only), timelines side by
side, audited decisions and undo; and the identifiers form of the subject page."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tests.app_helpers import open_page
from tests.case_page_fixtures import query
from warehouse.demo.build import create_demo
from warehouse.store.db import Database
from warehouse.store.migrations import migrate
from warehouse.ui.navigation import pages_for


@pytest.fixture(scope="module")
def base_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("duplicates-app")
    db = Database(root / "demo.duckdb", key_dir=root / "keys")
    migrate(db)
    create_demo(db, subjects=60, seed=5)
    return root / "demo.duckdb"


@pytest.fixture
def db_path(base_db: Path, tmp_path: Path) -> Path:
    shutil.copyfile(base_db, tmp_path / "demo.duckdb")
    shutil.copytree(base_db.parent / "keys", tmp_path / "keys")
    return tmp_path / "demo.duckdb"


def _pending(db_path: Path) -> list[tuple[object, ...]]:
    return query(
        db_path,
        "SELECT p.subject_id_a, p.subject_id_b FROM linkage_pairs p LEFT JOIN "
        "linkage_decisions d ON d.subject_id_a = p.subject_id_a AND d.subject_id_b = "
        "p.subject_id_b AND d.undone_at IS NULL WHERE d.decision IS NULL "
        "ORDER BY p.match_weight DESC, p.subject_id_a, p.subject_id_b",
    )


def test_only_coordinators_get_the_page() -> None:
    assert "duplicates.py" in [p.script for p in pages_for("coordinator")]
    for role in ("site_user", "monitor", "admin"):
        assert "duplicates.py" not in [p.script for p in pages_for(role)]


def test_the_queue_shows_pairs_fields_and_both_timelines(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(monkeypatch, db_path, "duplicates.py", user="coordinator")
    table = at.dataframe[0].value
    assert len(table) >= 3
    assert {"Subject 1", "Centre 1", "Agreeing fields", "Decision"} <= set(table.columns)
    assert (table["Decision"] == "same child").sum() == 3  # the demo's confirmed pairs
    assert any("date of birth" in text for text in table["Agreeing fields"])
    markdown = " ".join(m.value for m in at.markdown)
    first = _pending(db_path)[0]
    assert str(first[0]) in markdown and str(first[1]) in markdown
    assert at.subheader[0].value.startswith("Treatment timelines")


def test_a_decision_needs_a_reason_is_audited_and_can_be_undone(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(monkeypatch, db_path, "duplicates.py", user="coordinator")
    first = _pending(db_path)[0]
    at.button(key="dup_same").click().run()
    assert any("reason" in e.value.lower() for e in at.error)
    assert _pending(db_path)[0] == first
    at.text_input(key="dup_reason_text").input("transfer of care confirmed by phone").run()
    at.button(key="dup_same").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("same child" in s.value for s in at.success)
    assert first not in _pending(db_path)
    decided = query(
        db_path,
        "SELECT decision_id, reason FROM linkage_decisions WHERE subject_id_a = ? AND "
        "subject_id_b = ? AND undone_at IS NULL",
        [first[0], first[1]],
    )
    assert decided[0][1] == "transfer of care confirmed by phone"
    audit = query(db_path, "SELECT action FROM audit_log WHERE row_key = ?", [decided[0][0]])
    assert [a[0] for a in audit] == ["linkage_decision"]
    # the decided pair stays chosen though it moved down the queue: undo it
    assert at.selectbox(key="dup_pick").value == f"{first[0]}|{first[1]}"
    at.text_input(key="dup_reason_text").input("second look: twins").run()
    at.button(key="dup_undo").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert first in _pending(db_path)


def test_the_page_in_russian(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(monkeypatch, db_path, "duplicates.py", user="coordinator", lang="ru")
    assert at.title[0].value == "Возможные дубликаты"
    assert "Совпавшие поля" in at.dataframe[0].value.columns


def test_a_site_user_types_identifiers_that_are_never_stored(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warehouse.capture.subjects_lookup import OpenSubject

    sid, shift = query(
        db_path, "SELECT subject_id, 0 FROM subjects WHERE site_code = 'MSK' LIMIT 1"
    )[0]
    subject = OpenSubject(str(sid), "MSK", int(shift), True)  # type: ignore[arg-type]
    at = open_page(monkeypatch, db_path, "subject.py", user="msk_neuro", subject=subject)
    at.text_input(key="link_surname").input("Белозерская-Ланская")
    at.text_input(key="link_given_name").input("Милослава")
    at.date_input(key="link_birth_date").set_value(dt.date(2021, 4, 9))
    at.text_input(key="link_snils").input("112-233-445 95")
    submit = [b for b in at.button if b.label == "Make linkage tokens"]
    assert submit, [b.label for b in at.button]
    submit[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Linkage tokens stored" in s.value for s in at.success), (
        [e.value for e in at.error],
        [i.value for i in at.info],
    )
    assert at.text_input(key="link_surname").value == ""  # the form forgot what was typed
    data = (
        db_path.read_bytes() + Path(str(db_path) + ".wal").read_bytes()
        if Path(str(db_path) + ".wal").exists()
        else db_path.read_bytes()
    )
    for value in ("Белозерская", "Милослава", "11223344595", "112-233-445 95"):
        assert value.encode() not in data
    fields = query(
        db_path,
        "SELECT after FROM audit_log WHERE action = 'linkage_tokens' ORDER BY seq DESC LIMIT 1",
    )
    assert "surname" in str(fields[0][0]) and "Белозерская" not in str(fields[0][0])
