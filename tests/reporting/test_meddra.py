"""Loading dictionaries into the warehouse, coding events and finding what to recode."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.errors import AccessDenied, CaseguardError, Conflict
from tests.reporting.fixtures import (
    load_fixture,
    reporting_db,
    serious_case,
    term_index,
    write_fixture,
)
from tests.warehouse_fixtures import audit_rows, coordinator, monitor, site_user
from warehouse.reporting import synthetic_meddra as syn
from warehouse.reporting.meddra import (
    code_event,
    coding_for,
    coding_of_event,
    latest_version,
    load_distribution,
    recode_candidates,
    releases,
    version_key,
)
from warehouse.store.audit import audited_transaction
from warehouse.store.db import Database

__all__ = ["reporting_db"]


def test_loading_records_the_version_language_and_an_audit_entry(reporting_db: Database) -> None:
    found = releases(monitor(reporting_db))
    assert sorted(zip(found["version"], found["language"], strict=True)) == [
        ("90.0", "en"),
        ("90.0", "ru"),
    ]
    loads = [r for r in audit_rows(reporting_db) if r["action"] == "meddra_load"]
    assert [r["row_key"] for r in loads] == ["90.0/en", "90.0/ru"]


def test_the_same_version_twice_is_refused_and_changes_nothing(
    reporting_db: Database, tmp_path: Path
) -> None:
    folder = write_fixture(tmp_path / "again")["en"]
    with pytest.raises(Conflict, match=r"MedDRA 90.0 \(en\) is already loaded"):
        load_distribution(coordinator(reporting_db), folder)
    assert len(releases(monitor(reporting_db))) == 2


def test_only_coordinators_load_dictionaries(reporting_db: Database, tmp_path: Path) -> None:
    folder = write_fixture(tmp_path / "v2", syn.NEXT_VERSION)["en"]
    with pytest.raises(AccessDenied):
        load_distribution(site_user(reporting_db), folder)
    with pytest.raises(AccessDenied):
        load_distribution(monitor(reporting_db), folder)


def test_an_llt_derives_its_pt_hlt_hlgt_and_primary_soc_in_either_language(
    reporting_db: Database,
) -> None:
    i = term_index("HEADACHE")
    with reporting_db.connect() as conn:
        en = coding_for(conn, syn.llt_code(i, 1), "90.0", "en")
        ru = coding_for(conn, syn.llt_code(i, 1), "90.0", "ru")
    assert (en.pt_code, en.pt_name, en.soc_name) == (
        syn.pt_code(i),
        "Headache",
        "Nervous system disorders",
    )
    assert (ru.pt_name, ru.llt_name) == ("Головная боль", "Головная боль, синтетический вариант 1")
    assert en.hlt_code == ru.hlt_code and en.hlgt_code == ru.hlgt_code and en.llt_current


def test_a_second_version_is_kept_beside_the_first_and_recode_lists_retired_llts(
    reporting_db: Database, tmp_path: Path
) -> None:
    _, ae_id = serious_case(reporting_db, "P-RECODE")
    _, other = serious_case(reporting_db, "P-STAYS", site="PRM")
    i = term_index("ASEPTIC-MENINGITIS")
    with audited_transaction(reporting_db, coordinator(reporting_db).actor) as (conn, events):
        code_event(conn, events, "coord", ae_id, syn.llt_code(i, 0), "90.0")
        code_event(conn, events, "coord", other, syn.llt_code(i, 1), "90.0")
    load_fixture(reporting_db, tmp_path / "v2", syn.NEXT_VERSION, retire=(i,))
    with reporting_db.connect() as conn:
        assert latest_version(conn) == syn.NEXT_VERSION
        coded = coding_of_event(conn, ae_id)
    assert coded is not None and coded.version == "90.0"  # the version that coded it
    listed = recode_candidates(coordinator(reporting_db))
    assert list(listed["ae_id"]) == [ae_id]
    assert listed.iloc[0]["status"] == "non_current"
    assert listed.iloc[0]["llt_name"] == "Aseptic meningitis"
    assert recode_candidates(site_user(reporting_db, "PRM")).empty  # MSK's event is not theirs


def test_a_non_current_llt_cannot_code_an_event(reporting_db: Database) -> None:
    _, ae_id = serious_case(reporting_db, "P-OLD")
    with (
        pytest.raises(CaseguardError, match="not current"),
        audited_transaction(reporting_db, coordinator(reporting_db).actor) as (conn, events),
    ):
        code_event(conn, events, "coord", ae_id, syn.llt_code(0, 3), "90.0")


@pytest.mark.parametrize(
    ("older", "newer"), [("9.1", "26.0"), ("26.0", "26.1"), ("26.1", "27.0"), ("2.0", "10.0")]
)
def test_versions_sort_by_number_not_text(older: str, newer: str) -> None:
    assert version_key(older) < version_key(newer)
