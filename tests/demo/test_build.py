"""The synthetic demo data: centres, accounts and clinically plausible subject histories."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from schemas import load_reference
from warehouse.demo.build import create_demo
from warehouse.store.db import Database
from warehouse.store.migrations import migrate

SITES = ["BRN", "MSK", "MYT", "NNV", "PRM"]
SUBJECTS, SEED = 60, 7
COMPARED = {"subjects": "subject_id", "treatments": "treatment_id", "adverse_events": "ae_id"}


def make_demo(path: Path, key_dir: Path, subjects: int = SUBJECTS, seed: int = SEED) -> Path:
    db = Database(path, key_dir=key_dir)
    migrate(db)
    summary = create_demo(db, subjects=subjects, seed=seed)
    assert summary.subjects == subjects
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    return make_demo(root / "a.duckdb", root / "keys")


def query(path: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql).df()


def frames(path: Path) -> dict[str, pd.DataFrame]:
    return {
        t: query(path, f"SELECT * FROM {t}").sort_values(k, ignore_index=True)
        for t, k in COMPARED.items()
    }


def test_five_centres_with_their_accounts(demo: Path) -> None:
    sites = query(demo, "SELECT site_code FROM sites ORDER BY 1")
    assert sites["site_code"].tolist() == SITES
    users = query(demo, "SELECT username, role, site_code FROM users")
    expected: set[tuple[str, str, str | None]] = {
        (f"{s.lower()}_neuro", "site_user", s) for s in SITES
    }
    expected |= {
        ("coordinator", "coordinator", None),
        ("monitor", "monitor", None),
        ("admin", "admin", None),
    }
    assert {
        (u, r, None if pd.isna(s) else s) for u, r, s in users.itertuples(index=False)
    } == expected
    per_site = query(demo, "SELECT site_code, count(*) AS n FROM subjects GROUP BY 1")
    assert set(per_site["site_code"]) == set(SITES) and per_site["n"].sum() == SUBJECTS


def test_therapy_mix_includes_generic_and_switches(demo: Path) -> None:
    treated = query(demo, "SELECT DISTINCT product_id FROM treatments")["product_id"]
    assert {"NUS-SPINRAZA", "NUS-LANTESENS", "ONA-ZOLGENSMA", "RIS-EVRYSDI"} <= set(treated)
    switches = query(demo, "SELECT * FROM treatments WHERE switched_from IS NOT NULL")
    assert len(switches) >= 1
    assert (switches["switched_from"] == "NUS-SPINRAZA").all()
    assert (switches["product_id"] == "NUS-LANTESENS").all()
    assert switches["switch_reason"].str.len().gt(0).all()


def test_nusinersen_doses_are_12_mg_intrathecal(demo: Path) -> None:
    doses = query(
        demo, "SELECT dose, dose_unit, route FROM treatments WHERE product_id LIKE 'NUS-%'"
    )
    assert len(doses) > 0
    assert (doses["dose"] == 12.0).all()
    assert set(doses["dose_unit"]) == {"mg"} and set(doses["route"]) == {"intrathecal"}


def test_assessment_scores_lie_within_scale_ranges(demo: Path) -> None:
    scales = load_reference().scales
    scores = query(demo, "SELECT scale, score FROM assessments")
    assert len(scores) > 0
    for scale, score in scores.itertuples(index=False):
        spec = scales.loc[scale]
        high = spec["max"]
        assert score >= spec["min"], (scale, score)
        assert high is None or math.isnan(high) or score <= high, (scale, score)
        if spec["integer"]:
            assert score == int(score), (scale, score)


def test_adverse_events_are_label_consistent(demo: Path) -> None:
    post_lp = query(
        demo,
        """
        SELECT DISTINCT ae.subject_id,
               bool_or(t.product_id LIKE 'NUS-%') AS on_nusinersen
        FROM adverse_events ae JOIN treatments t USING (subject_id)
        WHERE ae.coded_term = 'POST-LP-SYNDROME' GROUP BY 1""",
    )
    assert len(post_lp) >= 1
    assert post_lp["on_nusinersen"].all()  # a lumbar-puncture AE needs an intrathecal drug
    serious = query(demo, "SELECT count(*) AS n FROM adverse_events WHERE serious")["n"][0]
    assert serious >= 1


def test_withdrawn_consent_marks_subject_withdrawn(demo: Path) -> None:
    withdrawn = query(
        demo,
        """
        SELECT s.status FROM consents c JOIN subjects s USING (subject_id)
        WHERE c.withdrawn_date IS NOT NULL""",
    )
    assert len(withdrawn) >= 1
    assert set(withdrawn["status"]) == {"withdrawn"}


def test_narratives_in_russian_and_english(demo: Path) -> None:
    languages = set(query(demo, "SELECT DISTINCT language FROM narratives")["language"])
    assert languages == {"ru", "en"}


def test_same_seed_same_content_other_seed_differs(demo: Path, tmp_path: Path) -> None:
    key_dir = demo.parent / "keys"  # shared keys: pseudonyms and date shifts coincide
    again = make_demo(tmp_path / "b.duckdb", key_dir)
    other = make_demo(tmp_path / "c.duckdb", key_dir, seed=SEED + 1)
    first, second, third = frames(demo), frames(again), frames(other)
    for table in COMPARED:
        pd.testing.assert_frame_equal(first[table], second[table], obj=table)
    assert not first["subjects"].equals(third["subjects"])
    assert not first["treatments"].equals(third["treatments"])
