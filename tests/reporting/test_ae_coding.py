"""What the AE form asks of the reporting side: LLT search in both languages (current LLTs
only), derived terms, expectedness with the clock a save starts, and the writer that
records the coding and day 0 in the save's transaction."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from schemas.errors import AccessDenied, CaseguardError
from tests.reporting.fixtures import load_fixture, reporting_db, serious_case, term_index
from tests.warehouse_fixtures import admin, coordinator, make_db, monitor, site_user
from warehouse.reporting import synthetic_meddra as syn
from warehouse.reporting.ae_coding import (
    derive,
    expectedness_view,
    llt_index,
    meddra_version,
    reporting_writer,
    search_llts,
    term_lookup,
)
from warehouse.reporting.expectedness import add_expected
from warehouse.reporting.sae import clock_board
from warehouse.store.audit import audited_transaction
from warehouse.store.db import MEMORY, Database

__all__ = ["reporting_db"]
MENINGITIS = term_index("ASEPTIC-MENINGITIS")


def test_search_finds_current_llts_in_both_languages(reporting_db: Database) -> None:
    user = site_user(reporting_db, "MSK")
    assert meddra_version(user) == syn.VERSION
    english = search_llts(user, "asep")
    russian = search_llts(user, "асепт менин")
    same_name = syn.llt_code(MENINGITIS, 0)
    assert english[0].llt_code == same_name and english[0].name == "Aseptic meningitis"
    assert russian[0].llt_code == same_name and russian[0].language == "ru"
    obsolete = syn.llt_code(MENINGITIS, 3)  # the non-current LLT is never offered
    assert all(hit.llt_code != obsolete for hit in english + russian)
    assert search_llts(user, "ningitis") == []  # word prefixes, not substrings


def test_index_is_rebuilt_when_another_version_is_loaded(
    reporting_db: Database, tmp_path: Path
) -> None:
    user = site_user(reporting_db, "MSK")
    first = llt_index(user)
    assert llt_index(user) is first  # cached per dictionary
    load_fixture(reporting_db, tmp_path / "next", syn.NEXT_VERSION, retire=(MENINGITIS,))
    second = llt_index(user)
    assert second is not first and second.version == syn.NEXT_VERSION
    assert all(h.llt_code != syn.llt_code(MENINGITIS, 0) for h in search_llts(user, "asep"))


def test_without_a_dictionary_nothing_is_found(tmp_path: Path) -> None:
    db = make_db(MEMORY, tmp_path / "keys")
    assert meddra_version(site_user(db, "MSK")) is None
    assert search_llts(site_user(db, "MSK"), "head") == []


def test_derive_names_the_hierarchy_in_the_users_language(reporting_db: Database) -> None:
    coding = derive(site_user(reporting_db, "MSK"), syn.llt_code(MENINGITIS, 1), "ru")
    assert coding.pt_code == syn.pt_code(MENINGITIS)
    assert coding.pt_name == "Асептический менингит" and "синтетический" in coding.llt_name
    assert coding.soc_code >= 93_000_000 and coding.version == syn.VERSION


@pytest.mark.parametrize(
    ("criteria", "causality", "category", "days"),
    [
        (("death",), {"NUS-SPINRAZA": "possible"}, "fatal_or_life_threatening", 7),
        (("life_threatening",), {"NUS-SPINRAZA": "probable"}, "fatal_or_life_threatening", 7),
        (("hospitalisation",), {"NUS-SPINRAZA": "possible"}, "other_serious", 15),
        (("hospitalisation",), {"NUS-SPINRAZA": "unlikely"}, None, None),
        ((), {"NUS-SPINRAZA": "certain"}, None, None),
    ],
)
def test_expectedness_view_names_the_clock(
    reporting_db: Database,
    criteria: tuple[str, ...],
    causality: dict[str, str],
    category: str | None,
    days: int | None,
) -> None:
    user = site_user(reporting_db, "MSK")
    pt = syn.pt_code(MENINGITIS)
    view = expectedness_view(user, "MSK", ["NUS-SPINRAZA"], f"PT:{pt:08d}", pt, criteria, causality)
    assert view.expected == {"NUS-SPINRAZA": False}
    assert (view.category, view.initial_days) == (category, days)


def test_a_listed_term_or_pt_is_expected_and_runs_no_clock(reporting_db: Database) -> None:
    user = site_user(reporting_db, "MSK")
    crit, causality = ("hospitalisation",), {"NUS-SPINRAZA": "possible"}
    listed = expectedness_view(user, "MSK", ["NUS-SPINRAZA"], "HEADACHE", None, crit, causality)
    assert listed.expected == {"NUS-SPINRAZA": True} and listed.initial_days is None
    pt = syn.pt_code(MENINGITIS)
    add_expected(coordinator(reporting_db), "NUS-SPINRAZA", f"PT:{pt:08d}")
    coded = expectedness_view(user, "MSK", ["NUS-SPINRAZA"], f"PT:{pt:08d}", pt, crit, causality)
    assert coded.expected == {"NUS-SPINRAZA": True} and coded.category is None


def test_writer_records_coding_and_day0_and_the_clock_runs(reporting_db: Database) -> None:
    _, ae_id = serious_case(reporting_db, "AE-CODING-1")
    user = site_user(reporting_db, "MSK")
    today = dt.datetime.now(dt.UTC)
    day0 = today.date() - dt.timedelta(days=3)
    llt = (syn.llt_code(MENINGITIS, 1), syn.VERSION)
    with audited_transaction(reporting_db, user.actor) as (conn, events):
        reporting_writer(user, "MSK", llt, day0)(conn, events, ae_id)
    assert [e.table for e in events] == ["ae_meddra", "ae_awareness"]
    board = clock_board(user, today)
    (clock,) = [c for c in board.clocks if c.ae_id == ae_id]
    assert clock.kind == "initial" and clock.due == day0 + dt.timedelta(days=15)
    assert board.events[ae_id].pt_code == syn.pt_code(MENINGITIS)


def test_writer_refuses_a_non_current_llt_and_other_centres(reporting_db: Database) -> None:
    _, ae_id = serious_case(reporting_db, "AE-CODING-2")
    user = site_user(reporting_db, "MSK")
    writer = reporting_writer(user, "MSK", (syn.llt_code(MENINGITIS, 3), syn.VERSION), None)
    with (
        pytest.raises(CaseguardError, match="not current"),
        audited_transaction(reporting_db, user.actor) as (conn, events),
    ):
        writer(conn, events, ae_id)
    with pytest.raises(AccessDenied):
        reporting_writer(site_user(reporting_db, "MSK"), "PRM", None, None)
    with pytest.raises(AccessDenied):
        reporting_writer(monitor(reporting_db), "MSK", None, None)


def test_term_lookup_gives_the_form_everything_in_one_go(
    reporting_db: Database, tmp_path: Path
) -> None:
    user = site_user(reporting_db, "MSK")
    chosen = syn.llt_code(MENINGITIS, 2)
    found = term_lookup(user, "asep", chosen, "ru")
    assert found.version == syn.VERSION and found.hits[0].name == "Aseptic meningitis"
    assert found.chosen is not None and found.chosen.pt_name == "Асептический менингит"
    assert term_lookup(user, "", None, "en").hits == []  # nothing until the user types
    empty = term_lookup(site_user(make_db(MEMORY, tmp_path / "k"), "MSK"), "asep", chosen, "en")
    assert (empty.version, empty.hits, empty.chosen) == (None, [], None)
    with pytest.raises(AccessDenied):  # an administrator reads no clinical data
        term_lookup(admin(reporting_db), "asep", None, "en")
