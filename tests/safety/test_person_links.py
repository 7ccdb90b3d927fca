"""A child confirmed (record linkage) to be one child at two centres counts once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.safety.test_metrics import LTS, SPZ, Builder
from tests.warehouse_fixtures import coordinator, make_db, monitor
from warehouse.linkage.review import decide, undo
from warehouse.safety.metrics import exposure, rate_ratios, subjects_treated
from warehouse.store.cases import save_cases
from warehouse.store.db import MEMORY, Database
from warehouse.store.person_links import person_clusters


@pytest.fixture
def db(tmp_path: Path) -> Database:
    """Child X entered at MSK (three Spinraza doses, one AE) and again at PRM, where
    the home centre recorded two of the same doses and not the AE; child Y at PRM on
    Lantesens with one AE."""
    database = make_db(MEMORY, tmp_path / "keys")
    child = {"disease_subtype": "1b", "age_at_onset_months": 2.0, "age_at_index_months": 5.0}
    x_msk = (
        Builder(database, "MSK", "X-MSK", **child)
        .consent()
        .dose(SPZ, 0)
        .dose(SPZ, 14)
        .dose(SPZ, 28)
    )
    x_msk.ae("HEADACHE", "Nervous system disorders", 5, 6, 1)
    x_prm = Builder(database, "PRM", "X-PRM", **child).consent().dose(SPZ, 0).dose(SPZ, 14)
    y_prm = Builder(database, "PRM", "Y-PRM", **child).consent().dose(LTS, 0).dose(LTS, 30)
    y_prm.ae("HEADACHE", "Nervous system disorders", 3, 4, 1)
    save_cases(coordinator(database), [b.case() for b in (x_msk, x_prm, y_prm)])
    database.test_ids = (x_msk.sid, x_prm.sid)  # type: ignore[attr-defined]
    return database


def _spinraza_days(db: Database) -> int:
    frame = exposure(monitor(db))
    return int(frame.loc[frame["product_id"] == SPZ, "exposure_days"].iloc[0])


def _event_ratio(db: Database) -> float:
    frame = rate_ratios(monitor(db))
    return float(frame.loc[frame["measure"] == "event", "rate_ratio"].iloc[0])


def test_a_confirmed_child_contributes_exposure_once_and_moves_the_rate_ratio(
    db: Database,
) -> None:
    x_msk, x_prm = db.test_ids  # type: ignore[attr-defined]
    assert subjects_treated(monitor(db)) == 3
    assert _spinraza_days(db) == 28 + 14  # both records of child X
    before = _event_ratio(db)
    lantesens_rate = 1 / 30
    assert before == pytest.approx(lantesens_rate / (1 / 42))

    made = decide(coordinator(db), x_msk, x_prm, "same", "same child, moved to Perm")
    assert subjects_treated(monitor(db)) == 2
    assert _spinraza_days(db) == 28  # the record with more Spinraza doses, once
    after = _event_ratio(db)
    assert after == pytest.approx(lantesens_rate / (1 / 28))
    assert after < before

    undo(coordinator(db), made.decision_id, "linked by mistake")
    assert subjects_treated(monitor(db)) == 3
    assert _spinraza_days(db) == 42


def test_different_children_change_nothing(db: Database) -> None:
    x_msk, x_prm = db.test_ids  # type: ignore[attr-defined]
    decide(coordinator(db), x_msk, x_prm, "different", "twins")
    assert subjects_treated(monitor(db)) == 3
    assert _spinraza_days(db) == 42


def test_person_clusters_follow_chains_of_links() -> None:
    clusters = person_clusters([("B", "C"), ("A", "B"), ("D", "E")])
    assert clusters == {"A": "A", "B": "A", "C": "A", "D": "D", "E": "D"}
    assert person_clusters([]) == {}
