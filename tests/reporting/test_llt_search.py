"""LLT search as the reporter types: prefix and word search, Russian and English,
current LLTs of the newest version only; the fast index equals a plain scan."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reporting.fixtures import load_fixture, reporting_db
from warehouse.reporting import synthetic_meddra as syn
from warehouse.reporting.llt_search import LltHit, LltIndex, build_index, normalise, words
from warehouse.store.db import Database

__all__ = ["reporting_db"]


def _index(db: Database) -> LltIndex:
    with db.connect() as conn:
        return build_index(conn)


def test_prefix_and_word_search_in_both_languages(reporting_db: Database) -> None:
    index = _index(reporting_db)
    assert index.search("head")[0].name == "Headache"
    assert index.search("голов")[0].name == "Головная боль"
    assert index.search("боль голов")[0].name == "Головная боль"  # words in any order
    assert {h.name for h in index.search("meningitis aseptic")} >= {"Aseptic meningitis"}
    assert index.search("ache") == []  # a word's middle is not a prefix
    assert index.search("h") == []  # one letter is too little to search


def test_non_current_llts_are_never_offered(reporting_db: Database) -> None:
    names = {h.name for h in _index(reporting_db).search("obsolete", limit=500)}
    names |= {h.name for h in _index(reporting_db).search("устаревший", limit=500)}
    assert names == set()


def test_only_the_newest_version_is_searched(reporting_db: Database, tmp_path: Path) -> None:
    load_fixture(reporting_db, tmp_path / "v2", syn.NEXT_VERSION, retire=(1,))
    index = _index(reporting_db)
    assert index.version == syn.NEXT_VERSION
    assert "Headache" not in {h.name for h in index.search("headache")}
    assert index.search("headache")[0].pt_name == "Headache"  # its variants still are


def test_ranking_prefers_names_that_begin_with_the_query(reporting_db: Database) -> None:
    hits = _index(reporting_db).search("pain")
    assert hits[0].name.lower().startswith("pain") or all(
        not h.name.lower().startswith("pain") for h in hits
    )
    back = _index(reporting_db).search("back pain")
    assert back[0].name == "Back pain"


def test_an_empty_dictionary_gives_an_empty_index(tmp_path: Path) -> None:
    from tests.warehouse_fixtures import make_db
    from warehouse.store.db import MEMORY

    db = make_db(MEMORY, tmp_path / "keys")
    index = _index(db)
    assert len(index) == 0 and index.version is None and index.search("head") == []


def _slow_search(hits: list[LltHit], query: str) -> set[int]:
    tokens = words(query)
    return {
        h.llt_code
        for h in hits
        if tokens and all(any(w.startswith(t) for w in words(h.name)) for t in tokens)
    }


NAMES = st.lists(
    st.text(alphabet="abcdeёжзAB -,", min_size=1, max_size=20), min_size=1, max_size=30
)


@settings(max_examples=150, deadline=None)
@given(names=NAMES, query=st.text(alphabet="abcdeежзёAB ", min_size=0, max_size=8))
def test_the_index_finds_exactly_what_a_plain_scan_finds(names: list[str], query: str) -> None:
    hits = [LltHit(i, name, "en", 0, name) for i, name in enumerate(names)]
    index = LltIndex("x", hits)
    found = {h.llt_code for h in index.search(query, limit=10_000)}
    expected = _slow_search(hits, query) if sum(map(len, set(words(query)))) >= 2 else set()
    assert found == expected
    assert normalise("Ёж") == "еж"
