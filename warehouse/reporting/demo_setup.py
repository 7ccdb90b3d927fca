"""The reporting side of the demo: the synthetic MedDRA-layout dictionary (invented codes
and terms, English and Russian) loaded, every serious demo event coded with it, each
centre's time zone, and day 0 and submissions placed around today so that the clocks
page shows every state: submitted, due and overdue (fatal, life-threatening and
hospitalisation SUSARs among them).

Run by ``caseguard demo`` after the demo cases are saved (``make run``); deterministic
for a given database and date.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

from schemas import load_reference
from warehouse.reporting import synthetic_meddra as syn
from warehouse.reporting.clocks import local_today
from warehouse.reporting.expectedness import add_expected, pt_term, seed_reference_safety
from warehouse.reporting.meddra import code_event, load_distribution
from warehouse.reporting.rules import default_expected_terms
from warehouse.reporting.sae import read_serious_events
from warehouse.reporting.sae_records import set_site_reporting, write_aware_date
from warehouse.store.access import Session
from warehouse.store.audit import audited_transaction

TIME_ZONES = {
    "MSK": "Europe/Moscow",
    "PRM": "Asia/Yekaterinburg",
    "NNV": "Europe/Moscow",
    "MYT": "Europe/Moscow",
    "BRN": "Asia/Barnaul",
}
# (days since day 0, submitted after how many days or None) cycled over the SUSARs:
# submitted on time, due in a few days, overdue.
PLAN = ((40, 5), (2, None), (25, None), (5, None), (60, 12), (18, None), (1, None))


@dataclass
class DemoReporting:
    """What the reporting demo set up."""

    coded: int
    susars: int
    states: dict[str, int]


def _load_dictionary(session: Session) -> None:
    """Load the synthetic dictionary, and list each product's expected terms by their
    synthetic PTs too, as a coordinator would once a dictionary is loaded (so an event
    coded through the LLT search is judged like one picked from the list)."""
    with session.db.connect() as conn:
        loaded = conn.execute("SELECT count(*) FROM meddra_releases").fetchall()[0][0]
    if loaded:
        return
    with tempfile.TemporaryDirectory(prefix="caseguard-meddra-") as tmp:
        for lang in ("en", "ru"):
            load_distribution(session, syn.write_distribution(Path(tmp) / lang, lang))
    terms = list(load_reference().ae_terms.index)
    for product, expected in default_expected_terms().items():
        for term in expected:
            if term in terms and product in load_reference().products.index:
                add_expected(session, product, pt_term(syn.pt_code(terms.index(term))))


def prepare_demo_reporting(session: Session, now: dt.datetime | None = None) -> DemoReporting:
    """Load the synthetic dictionary, code the serious events and place their clocks."""
    now = now or dt.datetime.now(dt.UTC)
    seed_reference_safety(session)
    with session.db.connect() as conn:
        sites = {str(r[0]) for r in conn.execute("SELECT site_code FROM sites").fetchall()}
    for site, zone in TIME_ZONES.items():
        if site in sites:
            set_site_reporting(session, site, zone, "ICH")
    _load_dictionary(session)
    terms = list(load_reference().ae_terms.index)
    states: dict[str, int] = {}
    with audited_transaction(session.db, session.actor) as (conn, events):
        serious = read_serious_events(conn)
        coded = 0
        for event in serious:
            if (
                event.study_term in terms
                and not conn.execute(
                    "SELECT 1 FROM ae_meddra WHERE ae_id = ?", [event.ae_id]
                ).fetchall()
            ):
                llt = syn.llt_code(terms.index(event.study_term), 0)
                code_event(conn, events, session.username, event.ae_id, llt, syn.VERSION)
                coded += 1
        susars = [e for e in serious if e.susar and e.facts.day0 is None]
        for n, event in enumerate(susars):
            today = local_today(now, TIME_ZONES.get(event.site_code, "Europe/Moscow"))
            age, sent_after = PLAN[n % len(PLAN)]
            day0 = today - dt.timedelta(days=age)
            write_aware_date(conn, events, session.username, event.ae_id, day0, now)
            if sent_after is not None:
                for version, kind in enumerate(("initial", "completion"), start=1):
                    if kind == "completion" and event.facts.category != "fatal_or_life_threatening":
                        continue
                    conn.execute(
                        "INSERT INTO report_submissions VALUES (?, ?, ?, ?, ?, 'ICH', ?, ?)",
                        [
                            f"SUB-DEMO-{event.ae_id}-{version}",
                            event.ae_id,
                            kind,
                            version,
                            day0 + dt.timedelta(days=sent_after),
                            session.username,
                            now.replace(tzinfo=None),
                        ],
                    )
            states[event.facts.category or ""] = states.get(event.facts.category or "", 0) + 1
    return DemoReporting(coded, len(susars), states)
