"""The coordinator's export page (AppTest): options, disclosure report, a zip to download."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from tests.app_helpers import page_path, signed_in
from tests.warehouse_fixtures import audit_rows, make_demo
from warehouse.store.db import Database


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("export-app")
    return Path(make_demo(root, subjects=60, seed=8).path)


@pytest.mark.parametrize("username", ["monitor", "msk_neuro", "admin"])
def test_only_coordinators_get_the_export_page(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path, username: str
) -> None:
    at = signed_in(monkeypatch, demo_db, username)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page_path("export.py"))


def test_coordinator_exports_a_verified_zip_with_a_disclosure_report(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = signed_in(monkeypatch, demo_db, "coordinator")
    at.switch_page(page_path("export.py")).run()
    assert not at.exception
    at.number_input(key="export_k").set_value(3)
    at.select_slider(key="export_share").set_value(50.0)
    at.button[1].click().run()  # [0] is Preview
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Export ready" in at.success[0].value
    report = at.dataframe[0].value
    assert {"sex", "age_band", "area", "disease_subtype", "onset_band", "smn2_copies"} <= set(
        report["Quasi-identifier"]
    )
    archive = at.session_state["export_archive"]
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zipped:
        names = set(zipped.namelist())
        manifest = json.loads(zipped.read("manifest.json"))
    assert {"manifest.json", "disclosure_report.json", "subjects.parquet"} <= names
    assert {f["name"] for f in manifest["files"]} <= names
    assert audit_rows(Database(demo_db, key_dir=demo_db.parent / "keys"))[-1]["action"] == "export"
    # item 15: the success message gives the whole manifest hash, not a 16-digit prefix
    assert archive.result.manifest_sha256 in at.success[0].value
    assert len(archive.result.manifest_sha256) == 64


def test_refused_export_is_explained_not_crashed(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = signed_in(monkeypatch, demo_db, "coordinator")
    at.switch_page(page_path("export.py")).run()
    at.number_input(key="export_k").set_value(50)
    at.select_slider(key="export_share").set_value(0.0)
    at.button[1].click().run()  # [0] is Preview
    assert not at.exception
    assert at.error and "Export refused" in at.error[0].value
    assert "export_archive" not in at.session_state


def test_preview_shows_levels_and_the_cost_of_a_pinned_level(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    at = signed_in(monkeypatch, demo_db, "coordinator")
    at.switch_page(page_path("export.py")).run()
    at.number_input(key="export_k").set_value(3)
    before = len(audit_rows(Database(demo_db, key_dir=demo_db.parent / "keys")))
    at.button(key="FormSubmitter:export_options-Preview").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    free = at.session_state["export_preview"]
    table = at.dataframe[0].value.set_index("Quasi-identifier")
    assert (
        table.loc["disease_subtype", "Released as"]
        == free["generalisation"]["disease_subtype"]["level"]
    )
    assert [m.value for m in at.metric][:1] == [str(free["subjects_suppressed"])]
    # pin age at the finest band: the preview shows the level kept and a loss no lower
    at.selectbox(key="export_pin_age_band").set_value("fine age band")
    at.button(key="FormSubmitter:export_options-Preview").click().run()
    pinned = at.session_state["export_preview"]
    assert pinned["generalisation"]["age_band"]["level"] == "fine age band"
    assert pinned["search"]["pinned"] == {"age_band": "fine age band"}
    assert pinned["lattice"]["information_loss"] >= free["lattice"]["information_loss"]
    table = at.dataframe[0].value.set_index("Quasi-identifier")
    assert table.loc["age_band", "Released as"].startswith("fine age band")
    assert "export_archive" not in at.session_state  # nothing written
    assert len(audit_rows(Database(demo_db, key_dir=demo_db.parent / "keys"))) == before
