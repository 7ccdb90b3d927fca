"""The SAE reporting page (AppTest): clocks sorted by urgency with overdue ones marked,
a centre filter for monitors, the site user's own centre only, and an audited draft
download in both formats."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tests.app_helpers import open_page
from tests.warehouse_fixtures import audit_rows, make_demo
from warehouse.reporting.demo_setup import prepare_demo_reporting
from warehouse.store.access import system_session
from warehouse.store.db import Database

FORMATS = {"cioms": "CIOMS I (PDF)", "e2b": "ICH E2B(R3) (XML)"}


@pytest.fixture(scope="module")
def reporting_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reporting-demo")
    db = make_demo(root, subjects=60, seed=20261121)
    prepare_demo_reporting(system_session(db, "demo"), dt.datetime.now(dt.UTC))
    return Path(db.path)


@pytest.fixture
def db_path(reporting_demo: Path, tmp_path: Path) -> Path:
    shutil.copytree(reporting_demo.parent, tmp_path / "demo")
    return tmp_path / "demo" / reporting_demo.name


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_monitor_sees_every_centres_clocks_most_urgent_first(
    monkeypatch: pytest.MonkeyPatch, db_path: Path, lang: str
) -> None:
    at = open_page(monkeypatch, db_path, "reporting.py", user="monitor", lang=lang)
    table = at.dataframe[0].value
    left_col = "Days left" if lang == "en" else "Осталось дней"
    state_col = "State" if lang == "en" else "Состояние"
    left = [int(x) for x in table[left_col] if x == x]  # NaN for missing day 0
    assert left == sorted(left)
    overdue = "OVERDUE" if lang == "en" else "ПРОСРОЧЕН"
    assert overdue in set(table[state_col])
    assert len(set(table["Centre" if lang == "en" else "Центр"])) > 1
    metrics = {m.label.strip(): int(m.value) for m in at.metric}
    assert sum(metrics.values()) == len(table)


def test_the_centre_filter_and_a_site_users_scope(
    monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    at = open_page(monkeypatch, db_path, "reporting.py", user="monitor")
    centre = sorted(set(at.dataframe[0].value["Centre"]))[-1]
    at.selectbox(key="rep_site").select(centre).run()
    assert set(at.dataframe[0].value["Centre"]) == {centre}
    # a centre that has clocks (which one depends on the demo's draw): its own site user
    # sees that centre's clocks only, with no centre filter to widen them
    site = open_page(monkeypatch, db_path, "reporting.py", user=f"{centre.lower()}_neuro")
    assert "rep_site" not in [box.key for box in site.selectbox]
    assert set(site.dataframe[0].value["Centre"]) == {centre}
    assert all(f"({centre})" in label for label in site.selectbox(key="rep_event").options)


@pytest.mark.parametrize("fmt", ["cioms", "e2b"])
def test_a_draft_is_prepared_audited_and_offered_for_download(
    monkeypatch: pytest.MonkeyPatch, db_path: Path, fmt: str
) -> None:
    at = open_page(monkeypatch, db_path, "reporting.py", user="monitor")
    ae_id = at.selectbox(key="rep_event").value.split(" — ")[0]
    at.radio(key="rep_format").set_value(FORMATS[fmt]).run()
    at.button(key="rep_build").click().run()
    assert not at.exception and not at.error
    assert "recorded in the audit log" in at.success[0].value
    db = Database(db_path, key_dir=db_path.parent / "keys")
    entries = [r for r in audit_rows(db) if r["action"] == "draft_report"]
    assert [(e["username"], e["row_key"]) for e in entries] == [("monitor", ae_id)]
    assert f'"format":"{fmt}"' in entries[0]["after"]
