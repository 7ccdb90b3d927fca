"""What the reporting side records about a serious event: day 0 (the date the site
first knew), receipts of follow-up information, and reports submitted; and each site's
time zone and jurisdiction. Every write is one audited transaction.

Day 0 is a real calendar date: it says when the site learned of the event, not
anything about the child, so it is stored unshifted. It may not lie in the future
(in the site's own calendar).
"""

from __future__ import annotations

import datetime as dt
import uuid

import duckdb

from schemas.errors import CaseguardError, NotFound
from warehouse.reporting.clocks import local_today
from warehouse.reporting.rules import check_time_zone, load_rules
from warehouse.reporting.sae import site_settings
from warehouse.store.access import MANAGE_SITES, WRITE_CLINICAL, Session, require
from warehouse.store.audit import Event, audited_transaction

KINDS = ("initial", "completion", "follow_up")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def event_site(conn: duckdb.DuckDBPyConnection, ae_id: str) -> tuple[str, bool]:
    """(site code, serious) of an event; NotFound if there is no such event."""
    row = conn.execute(
        "SELECT s.site_code, a.serious FROM adverse_events a "
        "JOIN subjects s ON s.subject_id = a.subject_id WHERE a.ae_id = ?",
        [ae_id],
    ).fetchall()
    if not row:
        raise NotFound(f"no adverse event {ae_id}")
    return str(row[0][0]), bool(row[0][1])


def _site_today(conn: duckdb.DuckDBPyConnection, site: str, now: dt.datetime | None) -> dt.date:
    zone = site_settings(conn).get(site, (load_rules().default_time_zone, ""))[0]
    return local_today(now or dt.datetime.now(dt.UTC), zone)


def _check_date(
    conn: duckdb.DuckDBPyConnection, site: str, day: dt.date, what: str, now: dt.datetime | None
) -> None:
    if not isinstance(day, dt.date):
        raise CaseguardError(f"{what} must be a date")
    if day > _site_today(conn, site, now):
        raise CaseguardError(f"{what} {day.isoformat()} is in the future at site {site}")


def write_aware_date(
    conn: duckdb.DuckDBPyConnection,
    events: list[Event],
    username: str,
    ae_id: str,
    day0: dt.date,
    now: dt.datetime | None = None,
) -> None:
    """Record day 0 inside the caller's audited transaction (a save of the event)."""
    site, _ = event_site(conn, ae_id)
    _check_date(conn, site, day0, "the date the site first knew", now)
    before = conn.execute("SELECT aware_date FROM ae_awareness WHERE ae_id = ?", [ae_id]).fetchall()
    conn.execute("DELETE FROM ae_awareness WHERE ae_id = ?", [ae_id])
    conn.execute("INSERT INTO ae_awareness VALUES (?, ?, ?, ?)", [ae_id, day0, username, _now()])
    events.append(
        Event(
            "update" if before else "insert",
            "ae_awareness",
            ae_id,
            before={"aware_date": before[0][0]} if before else None,
            after={"aware_date": day0},
        )
    )


def set_aware_date(
    session: Session, ae_id: str, day0: dt.date, now: dt.datetime | None = None
) -> None:
    """Record (or correct) the date the site first knew of the event."""
    with audited_transaction(session.db, session.actor) as (conn, events):
        site, _ = event_site(conn, ae_id)
        require(session, WRITE_CLINICAL, site, f"record day 0 of {ae_id}")
        write_aware_date(conn, events, session.username, ae_id, day0, now)


def add_followup_receipt(
    session: Session, ae_id: str, received: dt.date, now: dt.datetime | None = None
) -> str:
    """Record that follow-up information arrived on ``received`` (starts a 15-day clock)."""
    receipt_id = f"FU-{uuid.uuid4().hex[:12]}"
    with audited_transaction(session.db, session.actor) as (conn, events):
        site, serious = event_site(conn, ae_id)
        require(session, WRITE_CLINICAL, site, f"record follow-up of {ae_id}")
        if not serious:
            raise CaseguardError(f"{ae_id} is not serious: no expedited follow-up")
        _check_date(conn, site, received, "the follow-up receipt date", now)
        conn.execute(
            "INSERT INTO ae_followup_receipts VALUES (?, ?, ?, ?, ?)",
            [receipt_id, ae_id, received, session.username, _now()],
        )
        events.append(
            Event(
                "insert",
                "ae_followup_receipts",
                receipt_id,
                after={"ae_id": ae_id, "received_date": received},
            )
        )
    return receipt_id


def next_version(conn: duckdb.DuckDBPyConnection, ae_id: str) -> int:
    """The version the next report of the event carries (1 for the initial report)."""
    row = conn.execute(
        "SELECT coalesce(max(version), 0) FROM report_submissions WHERE ae_id = ?", [ae_id]
    ).fetchall()
    return int(row[0][0]) + 1


def record_submission(
    session: Session, ae_id: str, kind: str, submitted: dt.date, now: dt.datetime | None = None
) -> int:
    """Record that a report of ``kind`` was sent on ``submitted``; return its version."""
    if kind not in KINDS:
        raise CaseguardError(f"report kind {kind!r} is not one of {', '.join(KINDS)}")
    with audited_transaction(session.db, session.actor) as (conn, events):
        site, serious = event_site(conn, ae_id)
        require(session, WRITE_CLINICAL, site, f"record a report of {ae_id}")
        if not serious:
            raise CaseguardError(f"{ae_id} is not serious: nothing to report")
        _check_date(conn, site, submitted, "the submission date", now)
        aware = conn.execute(
            "SELECT aware_date FROM ae_awareness WHERE ae_id = ?", [ae_id]
        ).fetchall()
        if aware and submitted < aware[0][0]:
            raise CaseguardError(
                f"the submission date {submitted.isoformat()} is before day 0 "
                f"({aware[0][0].isoformat()}) of {ae_id}"
            )
        if (
            kind != "initial"
            and not conn.execute(
                "SELECT 1 FROM report_submissions WHERE ae_id = ? AND kind = 'initial'", [ae_id]
            ).fetchall()
        ):
            raise CaseguardError(f"{ae_id} has no initial report yet: record that first")
        version = next_version(conn, ae_id)
        jurisdiction = site_settings(conn).get(site, ("", load_rules().default_jurisdiction))[1]
        submission_id = f"SUB-{uuid.uuid4().hex[:12]}"
        conn.execute(
            "INSERT INTO report_submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                submission_id,
                ae_id,
                kind,
                version,
                submitted,
                jurisdiction,
                session.username,
                _now(),
            ],
        )
        events.append(
            Event(
                "insert",
                "report_submissions",
                submission_id,
                after={
                    "ae_id": ae_id,
                    "kind": kind,
                    "version": version,
                    "submitted_date": submitted,
                },
            )
        )
    return version


def set_site_reporting(session: Session, site_code: str, time_zone: str, jurisdiction: str) -> None:
    """Set a site's time zone and jurisdiction for its clocks (coordinator)."""
    require(session, MANAGE_SITES, None, "set a site's reporting rules")
    check_time_zone(time_zone)
    if jurisdiction not in load_rules().jurisdictions:
        raise CaseguardError(f"unknown jurisdiction {jurisdiction!r}")
    with audited_transaction(session.db, session.actor) as (conn, events):
        if not conn.execute("SELECT 1 FROM sites WHERE site_code = ?", [site_code]).fetchall():
            raise NotFound(f"unknown site {site_code}")
        conn.execute("DELETE FROM site_reporting WHERE site_code = ?", [site_code])
        conn.execute(
            "INSERT INTO site_reporting VALUES (?, ?, ?)", [site_code, time_zone, jurisdiction]
        )
        events.append(
            Event(
                "update",
                "site_reporting",
                site_code,
                after={"time_zone": time_zone, "jurisdiction": jurisdiction},
            )
        )
