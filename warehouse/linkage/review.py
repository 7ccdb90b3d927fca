"""Review of candidate pairs: a coordinator decides, nothing is merged silently.

Each decision (same child / different children) carries a reason and is audited; an undo
is a second audited step that keeps the first on record. Confirmed, not undone 'same'
decisions form person clusters (warehouse/store/person_links.py) that the safety
metrics count once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pandas as pd

from schemas.errors import CaseguardError, Conflict, NotFound
from warehouse.store.access import LINK_RECORDS, Session, require
from warehouse.store.audit import Event, audited_transaction
from warehouse.store.db import one

DECISIONS = ("same", "different")
MAX_REASON = 500


@dataclass(frozen=True)
class Decision:
    """One recorded decision on a pair."""

    decision_id: str
    subject_id_a: str
    subject_id_b: str
    decision: str


def _ordered(a: str, b: str) -> tuple[str, str]:
    if a == b:
        raise CaseguardError("a pair needs two different subjects")
    return (a, b) if a < b else (b, a)


def _checked_reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise CaseguardError("give a reason for the decision (it is audited)")
    if len(text) > MAX_REASON:
        raise CaseguardError(f"the reason is longer than {MAX_REASON} characters")
    return text


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def review_queue(session: Session) -> pd.DataFrame:
    """Pairs of the last run with both centres and the pair's active decision (if any),
    strongest first."""
    require(session, LINK_RECORDS, None, "review linkage pairs")
    with session.db.connect(read_only=True) as conn:
        return conn.execute("""
            SELECT p.subject_id_a, sa.site_code AS site_a, p.subject_id_b,
                   sb.site_code AS site_b, p.match_probability, p.match_weight,
                   p.agreeing_fields, d.decision, d.decision_id, d.reason, d.decided_by
            FROM linkage_pairs p
            LEFT JOIN subjects sa ON sa.subject_id = p.subject_id_a
            LEFT JOIN subjects sb ON sb.subject_id = p.subject_id_b
            LEFT JOIN linkage_decisions d ON d.subject_id_a = p.subject_id_a
                 AND d.subject_id_b = p.subject_id_b AND d.undone_at IS NULL
            ORDER BY (d.decision IS NOT NULL), p.match_weight DESC,
                     p.subject_id_a, p.subject_id_b""").df()


def timelines(session: Session, subject_ids: list[str]) -> dict[str, pd.DataFrame]:
    """Each subject's treatments side by side: product, start and end as days from the
    subject's own index date (stored dates are shifted per site, so days are what two
    centres' records share)."""
    require(session, LINK_RECORDS, None, "review linkage pairs")
    out: dict[str, pd.DataFrame] = {}
    with session.db.connect(read_only=True) as conn:
        for sid in subject_ids:
            out[sid] = conn.execute(
                """
                SELECT coalesce(p.brand, t.product_id) AS product, t.product_id, p.inn,
                       date_diff('day', s.index_date, t.start_date) AS start_day,
                       date_diff('day', s.index_date, t.end_date) AS end_day,
                       t.dose, t.dose_unit
                FROM treatments t JOIN subjects s USING (subject_id)
                LEFT JOIN products p USING (product_id)
                WHERE t.subject_id = ? ORDER BY t.start_date, t.treatment_id""",
                [sid],
            ).df()
    return out


def decide(
    session: Session, subject_a: str, subject_b: str, decision: str, reason: str
) -> Decision:
    """Record 'same' or 'different' for a pair (with a reason); refused while the pair
    already has an active decision (undo it first)."""
    require(session, LINK_RECORDS, None, "decide on a linkage pair")
    if decision not in DECISIONS:
        raise CaseguardError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    a, b = _ordered(subject_a, subject_b)
    text = _checked_reason(reason)
    decision_id = f"LD-{uuid.uuid4().hex[:12]}"
    with audited_transaction(session.db, session.actor) as (conn, events):
        for sid in (a, b):
            if one(conn, "SELECT 1 FROM subjects WHERE subject_id = ?", [sid]) is None:
                raise NotFound(f"no subject {sid}")
        active = one(
            conn,
            "SELECT decision FROM linkage_decisions WHERE subject_id_a = ? AND subject_id_b = ? "
            "AND undone_at IS NULL",
            [a, b],
        )
        if active is not None:
            raise Conflict(f"{a} and {b} already have a decision ({active[0]}); undo it first")
        conn.execute(
            "INSERT INTO linkage_decisions (decision_id, subject_id_a, subject_id_b, decision, "
            "reason, decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [decision_id, a, b, decision, text, session.username, _now()],
        )
        events.append(
            Event(
                "linkage_decision",
                "linkage_decisions",
                decision_id,
                after={"subject_id_a": a, "subject_id_b": b, "decision": decision},
                reason=text,
            )
        )
    return Decision(decision_id, a, b, decision)


def undo(session: Session, decision_id: str, reason: str) -> None:
    """Take back a decision (kept on record as undone, with who, when and why)."""
    require(session, LINK_RECORDS, None, "undo a linkage decision")
    text = _checked_reason(reason)
    with audited_transaction(session.db, session.actor) as (conn, events):
        row = one(
            conn,
            "SELECT subject_id_a, subject_id_b, decision, undone_at FROM linkage_decisions "
            "WHERE decision_id = ?",
            [decision_id],
        )
        if row is None:
            raise NotFound(f"no linkage decision {decision_id}")
        if row[3] is not None:
            raise Conflict(f"linkage decision {decision_id} was already undone")
        conn.execute(
            "UPDATE linkage_decisions SET undone_by = ?, undone_at = ?, undo_reason = ? "
            "WHERE decision_id = ?",
            [session.username, _now(), text, decision_id],
        )
        events.append(
            Event(
                "linkage_undo",
                "linkage_decisions",
                decision_id,
                before={"subject_id_a": row[0], "subject_id_b": row[1], "decision": row[2]},
                reason=text,
            )
        )


def decision_history(session: Session) -> pd.DataFrame:
    """Every decision, undone ones included, newest first."""
    require(session, LINK_RECORDS, None, "read linkage decisions")
    with session.db.connect(read_only=True) as conn:
        return conn.execute(
            "SELECT decision_id, subject_id_a, subject_id_b, decision, reason, decided_by, "
            "decided_at, undone_by, undone_at, undo_reason FROM linkage_decisions "
            "ORDER BY decided_at DESC, decision_id"
        ).df()
