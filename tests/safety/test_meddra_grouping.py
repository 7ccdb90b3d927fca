"""The dashboard with MedDRA-coded events: coded events count under their PT and primary
SOC (named in the user's language), uncoded ones under their list term, small cells
still masked."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from tests.warehouse_fixtures import monitor
from warehouse.demo.build import create_demo
from warehouse.reporting import synthetic_meddra as syn
from warehouse.reporting.demo_setup import prepare_demo_reporting
from warehouse.safety import cache as safety_cache
from warehouse.safety.dashboard import breakdown, load_dashboard
from warehouse.safety.display import with_labels
from warehouse.safety.masking import HIDDEN, THRESHOLD
from warehouse.safety.metrics import ALL, ae_rates, sae_listing
from warehouse.store.access import system_session
from warehouse.store.db import MEMORY, Database
from warehouse.store.meddra_names import meddra_names
from warehouse.store.migrations import migrate

HEADACHE_PT = f"PT:{syn.pt_code(1):08d}"


@pytest.fixture(scope="module")
def coded_db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    """A demo whose serious events are coded with the synthetic dictionary."""
    root = tmp_path_factory.mktemp("meddra-dashboard")
    db = Database(MEMORY, key_dir=root / "keys")
    migrate(db)
    create_demo(db, subjects=120, seed=11)
    prepare_demo_reporting(system_session(db, "test"), dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    return db


@pytest.fixture(autouse=True)
def _no_kept_results() -> None:
    safety_cache.clear()


def _coded_ids(db: Database) -> set[str]:
    with db.connect() as conn:
        return {str(r[0]) for r in conn.execute("SELECT ae_id FROM ae_meddra").fetchall()}


def test_coded_events_count_under_pt_and_soc_uncoded_under_their_term(
    coded_db: Database,
) -> None:
    session = monitor(coded_db)
    by_term = ae_rates(session, ALL, ("coded_term",))
    by_system = ae_rates(session, ALL, ("body_system",))
    total = ae_rates(session, ALL)["events"].sum()
    assert by_term["events"].sum() == total == by_system["events"].sum()
    pts = by_term[by_term["coded_term"].str.startswith("PT:")]
    assert len(pts) and pts["events"].sum() == len(
        sae_listing(session)["ae_id"].drop_duplicates()
    )  # every coded (serious) event, no more
    assert (by_term["coded_term"] == "HEADACHE").any()  # uncoded events keep their term
    assert by_system["body_system"].str.startswith("SOC:").any()
    assert (~by_system["body_system"].str.startswith("SOC:")).any()
    assert len(_coded_ids(coded_db)) == pts["events"].sum()


@pytest.mark.parametrize("dimension", ["coded_term", "body_system"])
def test_breakdown_is_masked_and_named(coded_db: Database, dimension: str) -> None:
    session = monitor(coded_db)
    board = load_dashboard(session, ALL)
    counts, _ = breakdown(session, ALL, dimension, board.products)
    values = counts.to_numpy().ravel().tolist()
    assert not [v for v in values if isinstance(v, int | np.integer) and 0 < v < THRESHOLD]
    assert HIDDEN in values  # the coded rows are small in this demo: masked like the rest
    shown = with_labels(counts.reset_index(names=dimension), "ru", meddra_names(session, "ru"))
    labels = shown[dimension].tolist()
    assert not any(str(v).startswith(("PT:", "SOC:")) for v in labels)
    if dimension == "coded_term":
        assert "Головная боль" in labels  # uncoded events keep their list term
        assert any(str(v).endswith(" (MedDRA)") for v in labels)  # coded ones: their PT
    assert len(set(labels)) == len(labels)  # no two rows read the same


def test_listing_names_coded_events(coded_db: Database) -> None:
    session = monitor(coded_db)
    listing = sae_listing(session)
    assert listing["coded_term"].str.startswith("PT:").all()
    shown = with_labels(listing, "en", meddra_names(session, "en"))
    assert not shown["term"].str.startswith("PT:").any()
    assert not shown["body_system"].astype(str).str.startswith("SOC:").any()
    assert isinstance(shown, pd.DataFrame)
