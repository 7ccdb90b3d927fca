"""What the adverse-event form needs from the reporting side: LLT search over the loaded
MedDRA dictionary, the PT/HLT/HLGT/primary SOC an LLT derives, the expectedness of the
event for each suspect product (so the reporter sees whether a 7- or 15-day clock will
run), and the writer that records the event's coding and day 0 inside the save.

The search index is built once per loaded dictionary and process (keyed by
:func:`dictionary_signature`, so loading another version or translation rebuilds it).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

import duckdb

from warehouse.reporting.expectedness import expected_terms, is_expected
from warehouse.reporting.llt_search import LltHit, LltIndex, build_index, dictionary_signature
from warehouse.reporting.meddra import (
    Coding,
    code_event,
    coding_for,
    latest_version,
    uncode_event,
)
from warehouse.reporting.rules import load_rules
from warehouse.reporting.sae import category, site_settings
from warehouse.reporting.sae_records import write_aware_date
from warehouse.store.access import READ_CLINICAL, WRITE_CLINICAL, Session, require
from warehouse.store.audit import Event

_INDEXES: dict[str, LltIndex] = {}
_CODINGS: dict[tuple[str, int, str], Coding] = {}  # (dictionary signature, LLT, language)
MAX_CODINGS = 5_000
_LOCK = threading.Lock()


def _read(session: Session) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    return session.db.connect(read_only=not session.db.in_memory)


def meddra_version(session: Session) -> str | None:
    """The newest loaded MedDRA version, or None when no dictionary is loaded."""
    with _read(session) as conn:
        return latest_version(conn)


def _cached_index(conn: duckdb.DuckDBPyConnection, db_path: str) -> tuple[str, LltIndex]:
    signature = f"{db_path}|{dictionary_signature(conn)}"
    with _LOCK:
        if signature not in _INDEXES:
            _INDEXES.clear()  # one dictionary at a time: an old index is never reused
            _CODINGS.clear()
            _INDEXES[signature] = build_index(conn)
        return signature, _INDEXES[signature]


def _cached_coding(
    conn: duckdb.DuckDBPyConnection, signature: str, llt_code: int, version: str, lang: str
) -> Coding:
    """An LLT's hierarchy, kept while the same dictionary is loaded (it cannot change)."""
    key = (signature, llt_code, lang)
    with _LOCK:
        if key in _CODINGS:
            return _CODINGS[key]
    coding = coding_for(conn, llt_code, version, lang)
    with _LOCK:
        if len(_CODINGS) >= MAX_CODINGS:
            _CODINGS.clear()
        _CODINGS[key] = coding
    return coding


def llt_index(session: Session) -> LltIndex:
    """The word-prefix index of the current LLTs (empty without a dictionary), cached."""
    with _read(session) as conn:
        return _cached_index(conn, session.db.path)[1]


def search_llts(session: Session, query: str, limit: int = 20) -> list[LltHit]:
    """Current LLTs (English and Russian) whose words start with the query's words."""
    require(session, READ_CLINICAL, None, "search MedDRA terms")
    return llt_index(session).search(query, limit)


@dataclass(frozen=True)
class TermLookup:
    """What the term field shows on one run of the form: the loaded version (None: no
    dictionary, the study's term list is used), the LLTs found, the chosen LLT's terms."""

    version: str | None
    hits: list[LltHit]
    chosen: Coding | None


def term_lookup(
    session: Session, query: str, chosen: int | None, lang: str, limit: int = 20
) -> TermLookup:
    """Everything the term field needs, on one connection (opening one is what costs)."""
    require(session, READ_CLINICAL, None, "search MedDRA terms")
    with _read(session) as conn:
        version = latest_version(conn)
        if version is None:
            return TermLookup(None, [], None)
        signature, index = _cached_index(conn, session.db.path)
        hits = index.search(query, limit) if query else []
        coding = (
            _cached_coding(conn, signature, chosen, version, lang) if chosen is not None else None
        )
    return TermLookup(version, hits, coding)


def derive(session: Session, llt_code: int, lang: str = "en") -> Coding:
    """The LLT's PT, HLT, HLGT and primary SOC in the newest version, named in ``lang``."""
    with _read(session) as conn:
        version = latest_version(conn)
        if version is None:
            raise LookupError("no MedDRA dictionary is loaded")
        return coding_for(conn, llt_code, version, lang)


@dataclass(frozen=True)
class ExpectednessView:
    """Per suspect product: listed in its reference safety information or not; and the
    clock that will run once the event is saved (None: no expedited report)."""

    expected: dict[str, bool]
    category: str | None
    initial_days: int | None


def expectedness_view(
    session: Session,
    site_code: str,
    products: list[str],
    study_term: str | None,
    pt_code: int | None,
    criteria: tuple[str, ...],
    causality: dict[str, str],
) -> ExpectednessView:
    """Whether the event is expected for each product, and the initial report's clock
    (7 or 15 calendar days under ICH) that a save would start at the site's jurisdiction."""
    require(session, READ_CLINICAL, site_code, "read reference safety information")
    with _read(session) as conn:
        lists = expected_terms(conn)
        default = ("", load_rules().default_jurisdiction)
        jurisdiction = site_settings(conn).get(site_code, default)[1]
    expected = {p: is_expected(lists, p, study_term or "", pt_code) for p in products}
    kind = category(criteria, causality, expected)
    days = None
    if kind is not None:
        rules = load_rules().jurisdictions[jurisdiction].rules
        days = min((r.days for r in rules if r.kind == "initial" and r.applies(kind)), default=None)
    return ExpectednessView(expected, kind, days)


def reporting_writer(
    session: Session,
    site_code: str,
    llt: tuple[int, str] | None,
    aware_date: dt.date | None,
) -> Callable[[duckdb.DuckDBPyConnection, list[Event], str], None]:
    """A function that records a new event's LLT (code, version) and day 0 inside the
    save's transaction (what the AE form passes to ``save_ae``)."""
    require(session, WRITE_CLINICAL, site_code, "code an adverse event")

    def record(conn: duckdb.DuckDBPyConnection, events: list[Event], ae_id: str) -> None:
        if llt is not None:
            code_event(conn, events, session.username, ae_id, llt[0], llt[1])
        if aware_date is not None:
            write_aware_date(conn, events, session.username, ae_id, aware_date)

    return record


def recoding_writer(
    session: Session, site_code: str, ae_id: str, llt: tuple[int, str] | None
) -> Callable[[duckdb.DuckDBPyConnection, list[Event]], None]:
    """A function that records, inside a correction's transaction, the LLT (code,
    version) an event's term was corrected to, or forgets its coding when the new term is
    one of the study's list (what the corrections and queries pages pass on)."""
    require(session, WRITE_CLINICAL, site_code, "code an adverse event")

    def record(conn: duckdb.DuckDBPyConnection, events: list[Event]) -> None:
        if llt is None:
            uncode_event(conn, events, ae_id)
        else:
            code_event(conn, events, session.username, ae_id, llt[0], llt[1])

    return record
