"""Expectedness: is an event listed in a suspect product's reference safety information?

Each product's expected terms are rows of ``rsi_expected_terms``: an open term-list id
(``HEADACHE``) or a MedDRA PT (``PT:10019211``). They start from
``reference_safety.yaml`` and a coordinator edits them (audited). An event is expected
for a product when its study term or its MedDRA PT is on that product's list.
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import pandas as pd

from schemas import load_reference
from schemas.errors import CaseguardError, NotFound
from warehouse.reporting.rules import default_expected_terms
from warehouse.store.access import MANAGE_SITES, READ_AGGREGATE, Session, require
from warehouse.store.audit import Event, audited_transaction

PT_TERM = re.compile(r"^PT:\d{8}$")
SEEDED_KEY = "rsi_seeded"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def pt_term(pt_code: int) -> str:
    """The RSI entry naming a MedDRA PT."""
    return f"PT:{int(pt_code):08d}"


def check_term(term: str) -> str:
    """The term back if it is an open-list id or ``PT:`` plus 8 digits; else a clear error."""
    term = term.strip()
    if term in load_reference().ae_terms.index or PT_TERM.match(term):
        return term
    raise CaseguardError(
        f"{term!r} is neither a term of the open list nor a MedDRA PT written PT:<8 digits>"
    )


def _check_product(product_id: str) -> None:
    if product_id not in load_reference().products.index:
        raise NotFound(f"unknown product {product_id!r}")


def expected_terms(conn: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """product -> its expected terms, as stored."""
    found: dict[str, set[str]] = {}
    for product, term in conn.execute("SELECT product_id, term FROM rsi_expected_terms").fetchall():
        found.setdefault(str(product), set()).add(str(term))
    return found


def is_expected(
    expected: dict[str, set[str]], product_id: str, study_term: str, pt_code: int | None
) -> bool:
    """True if the event (study term and, when coded, PT) is on the product's list."""
    terms = expected.get(product_id, set())
    return study_term in terms or (pt_code is not None and pt_term(pt_code) in terms)


def seed_reference_safety(session: Session) -> int:
    """Add the reference lists for products never seeded before; return rows added.

    A product's list is seeded once: what a coordinator removes later stays removed.
    """
    require(session, MANAGE_SITES, None, "seed reference safety information")
    added = 0
    with audited_transaction(session.db, session.actor) as (conn, events):
        row = conn.execute("SELECT value FROM _meta WHERE key = ?", [SEEDED_KEY]).fetchall()
        seeded = set(row[0][0].split(",")) if row and row[0][0] else set()
        for product, terms in default_expected_terms().items():
            if product in seeded or product not in load_reference().products.index:
                continue
            for term in terms:
                conn.execute(
                    "INSERT INTO rsi_expected_terms VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [product, check_term(term), session.username, _now()],
                )
                added += 1
            seeded.add(product)
            events.append(
                Event("insert", "rsi_expected_terms", product, after={"terms": list(terms)})
            )
        conn.execute("DELETE FROM _meta WHERE key = ?", [SEEDED_KEY])
        conn.execute("INSERT INTO _meta VALUES (?, ?)", [SEEDED_KEY, ",".join(sorted(seeded))])
    return added


def list_expected(session: Session) -> pd.DataFrame:
    """Every product's expected terms (product_id, term, added_by, added_at)."""
    require(session, READ_AGGREGATE, None, "read reference safety information")
    with session.db.connect(read_only=not session.db.in_memory) as conn:
        return conn.execute(
            "SELECT product_id, term, added_by, added_at FROM rsi_expected_terms "
            "ORDER BY product_id, term"
        ).df()


def add_expected(session: Session, product_id: str, term: str) -> bool:
    """Add a term to a product's list (coordinator); False if it was already there."""
    require(session, MANAGE_SITES, None, "edit reference safety information")
    _check_product(product_id)
    term = check_term(term)
    with audited_transaction(session.db, session.actor) as (conn, events):
        if conn.execute(
            "SELECT 1 FROM rsi_expected_terms WHERE product_id = ? AND term = ?", [product_id, term]
        ).fetchall():
            return False
        conn.execute(
            "INSERT INTO rsi_expected_terms VALUES (?, ?, ?, ?)",
            [product_id, term, session.username, _now()],
        )
        events.append(
            Event("insert", "rsi_expected_terms", f"{product_id}/{term}", after={"term": term})
        )
    return True


def remove_expected(session: Session, product_id: str, term: str) -> bool:
    """Remove a term from a product's list (coordinator); False if it was not there."""
    require(session, MANAGE_SITES, None, "edit reference safety information")
    _check_product(product_id)
    with audited_transaction(session.db, session.actor) as (conn, events):
        if not conn.execute(
            "SELECT 1 FROM rsi_expected_terms WHERE product_id = ? AND term = ?", [product_id, term]
        ).fetchall():
            return False
        conn.execute(
            "DELETE FROM rsi_expected_terms WHERE product_id = ? AND term = ?", [product_id, term]
        )
        events.append(
            Event("delete", "rsi_expected_terms", f"{product_id}/{term}", before={"term": term})
        )
    return True
