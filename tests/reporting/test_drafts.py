"""Drafts are audited (who, event, version, hash), written atomically, and an E2B draft
that would fail the schema is never written."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from schemas.errors import CaseguardError
from tests.reporting.fixtures import reporting_db, schema_dir, serious_case
from tests.warehouse_fixtures import audit_rows, monitor
from warehouse.reporting import drafts, e2b
from warehouse.reporting.drafts import draft_for_download, write_draft
from warehouse.store.db import Database

__all__ = ["reporting_db"]


@pytest.mark.parametrize("fmt", ["cioms", "e2b"])
def test_a_written_draft_is_audited_with_its_hash(
    reporting_db: Database, tmp_path: Path, fmt: str
) -> None:
    _, ae_id = serious_case(reporting_db, "P-DRAFT")
    out = tmp_path / "out" / f"draft.{fmt}"
    draft = write_draft(monitor(reporting_db), ae_id, fmt, out, schema_dir=schema_dir())
    assert out.read_bytes() == draft.content
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary left behind
    (entry,) = [r for r in audit_rows(reporting_db) if r["action"] == "draft_report"]
    assert (entry["username"], entry["row_key"]) == ("safety_monitor", ae_id)
    assert f'"sha256":"{hashlib.sha256(out.read_bytes()).hexdigest()}"' in entry["after"]
    assert '"version":1' in entry["after"] and f'"format":"{fmt}"' in entry["after"]
    assert draft.validated is (True if fmt == "e2b" else None)


def test_a_draft_failing_the_schema_is_refused_and_not_written(
    reporting_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ae_id = serious_case(reporting_db, "P-BAD")
    real = e2b.build_icsr
    monkeypatch.setattr(
        e2b, "build_icsr", lambda *a: real(*a).replace(b"<statusCode", b"<bogus/><statusCode", 1)
    )
    out = tmp_path / "bad.xml"
    with pytest.raises(CaseguardError, match="fails the ICH schema"):
        write_draft(monitor(reporting_db), ae_id, "e2b", out, schema_dir=schema_dir())
    assert not out.exists()
    assert not [r for r in audit_rows(reporting_db) if r["action"] == "draft_report"]


def test_schema_folder_from_the_environment_or_a_clear_error(
    reporting_db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, ae_id = serious_case(reporting_db, "P-ENV")
    monkeypatch.delenv(e2b.SCHEMA_ENV, raising=False)
    assert draft_for_download(monitor(reporting_db), ae_id, "e2b").validated is None
    monkeypatch.setenv(e2b.SCHEMA_ENV, str(schema_dir()))
    assert draft_for_download(monitor(reporting_db), ae_id, "e2b").validated is True
    with pytest.raises(CaseguardError, match="no ICH E2B\\(R3\\) schema at"):
        draft_for_download(monitor(reporting_db), ae_id, "e2b", schema_dir=tmp_path)
    with pytest.raises(CaseguardError, match="format 'docx'"):
        drafts.build_draft(monitor(reporting_db), ae_id, "docx")
