"""Demo local ids offered on the subject page: only ids that exist, only in the demo."""

from __future__ import annotations

from pathlib import Path

from tests.warehouse_fixtures import make_demo, site_user
from warehouse.demo.hints import demo_local_ids
from warehouse.store.db import Database


def test_demo_ids_of_the_users_centre(tmp_path: Path) -> None:
    db = make_demo(tmp_path, subjects=12, seed=3)
    assert demo_local_ids(site_user(db, "MSK"), "MSK") == [
        "DEMO-MSK-00000",
        "DEMO-MSK-00005",
        "DEMO-MSK-00010",
    ]
    assert demo_local_ids(site_user(db, "BRN"), "BRN") == ["DEMO-BRN-00004", "DEMO-BRN-00009"]
    assert demo_local_ids(site_user(db, "MSK"), None) == []


def test_no_hint_without_the_demo_near_miss(tmp_path: Path) -> None:
    db: Database = make_demo(tmp_path, subjects=0, seed=3)  # demo centres, no subjects
    assert demo_local_ids(site_user(db, "MSK"), "MSK") == []
