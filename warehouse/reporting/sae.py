"""Serious adverse events as the reporting side sees them: suspect products,
expectedness, whether the event is a SUSAR, its category and its clocks.

A SUSAR is serious, suspected (causality for some product other than "unlikely") and
unexpected for that product. Fatal or life-threatening SUSARs run the short clock;
other SUSARs the 15-day clock; every serious event, SUSAR or not, can be drafted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from schemas import load_reference
from schemas.common import as_list
from warehouse.reporting.clocks import (
    Clock,
    EventFacts,
    Submission,
    clocks_for,
    local_today,
    urgency,
)
from warehouse.reporting.expectedness import expected_terms, is_expected
from warehouse.reporting.rules import load_rules
from warehouse.store.access import READ_CLINICAL, Session, require, scope_filter

NOT_SUSPECTED = {"unlikely"}
SHORT_CLOCK = {"death", "life_threatening"}


@dataclass(frozen=True)
class SeriousEvent:
    """One serious adverse event with what its reporting depends on."""

    ae_id: str
    subject_id: str
    site_code: str
    study_term: str
    pt_code: int | None
    criteria: tuple[str, ...]
    outcome: str
    causality: dict[str, str]
    expected: dict[str, bool]
    facts: EventFacts
    time_zone: str
    jurisdiction: str

    @property
    def susar(self) -> bool:
        """Suspected and unexpected for at least one product."""
        return self.facts.category is not None

    def clocks(self, now: dt.datetime) -> list[Clock]:
        """The event's clocks as of ``now`` in the site's calendar."""
        rules = load_rules()
        today = local_today(now, self.time_zone)
        return clocks_for(self.facts, rules.jurisdictions[self.jurisdiction], today)


def category(
    criteria: tuple[str, ...], causality: dict[str, str], expected: dict[str, bool]
) -> str | None:
    """'fatal_or_life_threatening', 'other_serious' (SUSARs) or None (not expedited)."""
    suspicious = [
        p for p, c in causality.items() if c not in NOT_SUSPECTED and not expected.get(p, False)
    ]
    if not criteria or not suspicious:
        return None
    return "fatal_or_life_threatening" if SHORT_CLOCK & set(criteria) else "other_serious"


def _grouped(
    conn: duckdb.DuckDBPyConnection, sql: str, ids: list[str]
) -> dict[str, list[tuple[Any, ...]]]:
    if not ids:
        return {}
    conn.register("_sae_ids", pd.DataFrame({"ae_id": ids}))
    try:
        rows = conn.execute(sql).fetchall()
    finally:
        conn.unregister("_sae_ids")
    found: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        found.setdefault(str(row[0]), []).append(row[1:])
    return found


def site_settings(conn: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str]]:
    """site -> (time zone, jurisdiction), with the rules' defaults for unset sites."""
    rules = load_rules()
    settings = {
        str(r[0]): (str(r[1]), str(r[2]))
        for r in conn.execute(
            "SELECT site_code, time_zone, jurisdiction FROM site_reporting"
        ).fetchall()
    }
    sites = [str(r[0]) for r in conn.execute("SELECT site_code FROM sites").fetchall()]
    return {
        s: settings.get(s, (rules.default_time_zone, rules.default_jurisdiction)) for s in sites
    }


def read_serious_events(
    conn: duckdb.DuckDBPyConnection, where: str = "TRUE", params: list[Any] | None = None
) -> list[SeriousEvent]:
    """Serious events matching ``where`` (over ``a`` adverse_events, ``s`` subjects)."""
    rows = conn.execute(
        f"""
        SELECT a.ae_id, a.subject_id, s.site_code, a.coded_term, a.seriousness, a.outcome,
               w.aware_date, l.parent_code AS pt_code
        FROM adverse_events a
        JOIN subjects s ON s.subject_id = a.subject_id
        LEFT JOIN ae_awareness w ON w.ae_id = a.ae_id
        LEFT JOIN ae_meddra c ON c.ae_id = a.ae_id
        LEFT JOIN (SELECT DISTINCT version, code, parent_code FROM meddra_terms
                   WHERE level = 'llt') l ON l.version = c.meddra_version AND l.code = c.llt_code
        WHERE a.serious AND {where}
        ORDER BY a.ae_id""",
        params or [],
    ).fetchall()
    ids = [str(r[0]) for r in rows]
    causality = _grouped(
        conn,
        "SELECT ae_id, product_id, causality FROM ae_causality JOIN _sae_ids USING (ae_id)",
        ids,
    )
    receipts = _grouped(
        conn,
        "SELECT ae_id, received_date FROM ae_followup_receipts JOIN _sae_ids USING (ae_id)",
        ids,
    )
    sent = _grouped(
        conn,
        "SELECT ae_id, kind, version, submitted_date FROM report_submissions "
        "JOIN _sae_ids USING (ae_id)",
        ids,
    )
    expected_lists = expected_terms(conn)
    settings = site_settings(conn)
    events = []
    for ae_id, subject_id, site, term, criteria, outcome, aware, pt in rows:
        by_product = {str(p): str(c) for p, c in causality.get(ae_id, [])}
        pt_code = int(pt) if pt is not None else None
        expected = {p: is_expected(expected_lists, p, str(term), pt_code) for p in by_product}
        crit = tuple(as_list(criteria))
        facts = EventFacts(
            str(ae_id),
            str(site),
            category(crit, by_product, expected),
            aware,
            tuple(sorted(r[0] for r in receipts.get(ae_id, []))),
            tuple(Submission(str(k), int(v), d) for k, v, d in sent.get(ae_id, [])),
        )
        zone, jurisdiction = settings.get(
            str(site), (load_rules().default_time_zone, load_rules().default_jurisdiction)
        )
        events.append(
            SeriousEvent(
                str(ae_id),
                str(subject_id),
                str(site),
                str(term),
                pt_code,
                crit,
                str(outcome),
                by_product,
                expected,
                facts,
                zone,
                jurisdiction,
            )
        )
    return events


def serious_events(session: Session, site_code: str | None = None) -> list[SeriousEvent]:
    """The serious events the session may see (optionally one centre's)."""
    require(session, READ_CLINICAL, site_code, "read serious adverse events")
    where, params = scope_filter(session, "s.site_code")
    if site_code:
        where, params = f"{where} AND s.site_code = ?", [*params, site_code]
    with session.db.connect(read_only=not session.db.in_memory) as conn:
        return read_serious_events(conn, where, params)


@dataclass
class ClockBoard:
    """Every clock the session may see, most urgent first, with each event."""

    clocks: list[Clock] = field(default_factory=list)
    events: dict[str, SeriousEvent] = field(default_factory=dict)


def clock_board(
    session: Session, now: dt.datetime, site_code: str | None = None, open_only: bool = False
) -> ClockBoard:
    """The clocks of the session's SUSARs, sorted by urgency (open ones only if asked)."""
    events = serious_events(session, site_code)
    board = ClockBoard(events={e.ae_id: e for e in events})
    for event in events:
        board.clocks += [c for c in event.clocks(now) if not open_only or c.state != "submitted"]
    board.clocks.sort(key=urgency)
    return board


def term_label(study_term: str, lang: str) -> str:
    """The open-list term's name in ``lang`` (the id itself if unknown)."""
    terms = load_reference().ae_terms
    return str(terms.loc[study_term, f"term_{lang}"]) if study_term in terms.index else study_term
