"""CIOMS I drafts: the PDF reads back (pypdf) with its Cyrillic text, masked initials
and no shifted date."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from schemas.errors import CaseguardError
from tests.reporting.fixtures import reporting_db, serious_case
from tests.warehouse_fixtures import monitor, site_user
from warehouse.reporting import cioms
from warehouse.reporting.cioms import build_cioms
from warehouse.reporting.report_data import report_data
from warehouse.store.db import Database

__all__ = ["reporting_db"]


def _text(pdf: bytes) -> str:
    """The PDF's text, whitespace collapsed (justified lines extract with double spaces)."""
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def test_the_form_renders_cyrillic_and_masks_the_patient(reporting_db: Database) -> None:
    case, ae_id = serious_case(reporting_db, "P-CIOMS", criteria=("life_threatening",))
    text = _text(build_cioms(report_data(monitor(reporting_db), ae_id)))
    assert "ФОРМА CIOMS I" in text and "Асептический менингит" in text
    assert "PRIVACY" in text and "[X] Life-threatening / Угроза жизни" in text
    assert "Spinraza (nusinersen)" in text and "Possible / Возможная" in text
    onset = case.adverse_events[0]["onset_date"]
    for layout in ("%d.%m.%Y", "%Y-%m-%d"):
        assert onset.strftime(layout) not in text
    assert "day 1 after the first dose of Spinraza" in text
    restored = _text(build_cioms(report_data(site_user(reporting_db), ae_id, local_id="P-CIOMS")))
    assert "02.06.2021" in restored


def test_a_missing_font_is_named(
    reporting_db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv(cioms.FONT_ENV, str(tmp_path / "nope.ttf"))
    with pytest.raises(CaseguardError, match="nope.ttf, which is not a file"):
        cioms.font_files()
    monkeypatch.delenv(cioms.FONT_ENV)
    monkeypatch.setattr(cioms, "FONT_DIRS", (tmp_path,))
    with pytest.raises(CaseguardError, match="install Debian's fonts-dejavu-core"):
        cioms.font_files()
