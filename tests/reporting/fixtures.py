"""Shared builders for the reporting tests: the synthetic MedDRA-layout dictionary
(invented codes and terms, never MedDRA text) written and loaded, and serious events."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas import Case, load_reference
from tests.warehouse_fixtures import coordinator, make_case, make_db
from warehouse.reporting import synthetic_meddra as syn
from warehouse.reporting.expectedness import seed_reference_safety
from warehouse.reporting.meddra import load_distribution
from warehouse.store.cases import save_case
from warehouse.store.db import MEMORY, Database

TERMS = list(load_reference().ae_terms.index)


def term_index(term_id: str) -> int:
    """Position of an open-list term (its synthetic PT/LLT codes follow from it)."""
    return TERMS.index(term_id)


def write_fixture(
    root: Path, version: str = syn.VERSION, retire: tuple[int, ...] = ()
) -> dict[str, Path]:
    """English and Russian synthetic distributions of ``version`` under ``root``."""
    return {
        lang: syn.write_distribution(root / f"{version}-{lang}", lang, version, retire=retire)
        for lang in ("en", "ru")
    }


def load_fixture(
    db: Database, root: Path, version: str = syn.VERSION, **kwargs: tuple[int, ...]
) -> None:
    for folder in write_fixture(root, version, **kwargs).values():
        load_distribution(coordinator(db), folder)


@pytest.fixture
def reporting_db(tmp_path: Path) -> Database:
    """A memory database with MSK/PRM, the reference safety lists and the synthetic dictionary."""
    db = make_db(MEMORY, tmp_path / "keys")
    seed_reference_safety(coordinator(db))
    load_fixture(db, tmp_path / "meddra")
    return db


def serious_case(
    db: Database,
    local_id: str,
    term: str = "ASEPTIC-MENINGITIS",
    criteria: tuple[str, ...] = ("hospitalisation",),
    causality: str = "possible",
    site: str = "MSK",
) -> tuple[Case, str]:
    """Save a case whose one AE is serious with ``criteria``; return it and the AE id."""
    case = make_case(db, site, local_id)
    ae = case.adverse_events[0]
    ae["coded_term"] = term
    ae["body_system"] = str(load_reference().ae_terms.loc[term, "body_system_en"])
    ae["seriousness"] = list(criteria)
    ae["serious"] = bool(criteria)
    if "death" in criteria:
        ae.update(ctcae_grade=5, outcome="fatal", end_date=ae["onset_date"])
        case.subjects[0]["status"] = "died"
    case.ae_causality[0]["causality"] = causality
    save_case(coordinator(db), case)
    return case, str(ae["ae_id"])


SCHEMA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "e2b" / "schema"


def schema_dir() -> Path:
    """The ICH E2B(R3) schema folder beside the checkout (../shared/e2b/schema), or skip."""
    if not (SCHEMA_DIR / "multicacheschemas" / "MCCI_IN200100UV01.xsd").is_file():
        pytest.skip(
            f"the ICH E2B(R3) schema set is not at {SCHEMA_DIR} (../shared/e2b beside the checkout)"
        )
    return SCHEMA_DIR
