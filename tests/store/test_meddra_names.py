"""Names of MedDRA PT and SOC codes: the user's language, English when the translation
is missing, the newest version's name, and nothing without a dictionary."""

from __future__ import annotations

from pathlib import Path

from tests.reporting.fixtures import load_fixture, reporting_db
from tests.warehouse_fixtures import coordinator, make_db, monitor
from warehouse.reporting import synthetic_meddra as syn
from warehouse.reporting.meddra import load_distribution
from warehouse.store.db import MEMORY, Database
from warehouse.store.meddra_names import meddra_names

__all__ = ["reporting_db"]
HEADACHE_PT = f"PT:{syn.pt_code(1):08d}"


def test_names_in_both_languages(reporting_db: Database) -> None:
    english = meddra_names(monitor(reporting_db), "en")
    russian = meddra_names(monitor(reporting_db), "ru")
    assert english[HEADACHE_PT] == "Headache" and russian[HEADACHE_PT] == "Головная боль"
    socs = [k for k in english if k.startswith("SOC:")]
    assert socs and all(russian[k] != english[k] for k in socs)
    assert meddra_names(monitor(reporting_db), "de") == english  # no translation: English


def test_newest_version_names_win_and_a_new_load_is_seen(tmp_path: Path) -> None:
    db = make_db(MEMORY, tmp_path / "keys")
    assert meddra_names(monitor(db), "en") == {}
    load_fixture(db, tmp_path / "old")
    folder = syn.write_distribution(tmp_path / "new", "en", syn.NEXT_VERSION)
    pt_file = folder / "pt.asc"
    pt_file.write_text(pt_file.read_text("utf-8").replace("$Headache$", "$Headache (renamed)$"))
    load_distribution(coordinator(db), folder)
    assert meddra_names(monitor(db), "en")[HEADACHE_PT] == "Headache (renamed)"
    assert meddra_names(monitor(db), "ru")[HEADACHE_PT] == "Головная боль"  # only in 90.0
