"""The data-review side of the demo: every centre's neurologist an investigator, the soft
checks run over all demo subjects (system queries), monitor queries in every state
(open, answered with text, answered with a correction, closed, re-opened), records
verified against source, signed casebooks, and one signature broken by a later change.

Run by ``caseguard demo`` after the demo cases and the reporting set-up (``make run``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from warehouse.review import queries as q
from warehouse.review import sdv, signoff
from warehouse.review.answering import answer_with_correction
from warehouse.review.soft_checks import run_soft_checks
from warehouse.store.access import Session
from warehouse.store.cases import Change, load_case, update_rows
from warehouse.store.db import Database

DEMO_PASSWORD = "caseguard-demo"  # noqa: S105 - the documented demo credential
SITES = ("MSK", "PRM", "NNV", "MYT", "BRN")
MEANING = (
    "I, the investigator, have reviewed the data in this casebook and confirm that they "
    "are complete and accurate."
)


@dataclass
class DemoReview:
    """What the set-up made: queries per state, rows verified, casebooks signed."""

    queries: dict[str, int]
    verified_rows: int
    signed: int
    broken: int


def _site_session(db: Database, site: str) -> Session:
    return Session(db, f"{site.lower()}_neuro", "site_user", site)


def _subjects(db: Database, site: str, limit: int) -> list[str]:
    with db.connect(read_only=True) as conn:
        rows = conn.execute(
            "SELECT s.subject_id FROM subjects s WHERE site_code = ? AND status = 'active' "
            "AND (SELECT count(*) FROM assessments a WHERE a.subject_id = s.subject_id) >= 2 "
            "ORDER BY subject_id LIMIT ?",
            [site, limit],
        ).fetchall()
    return [str(r[0]) for r in rows]


def _score_target(db: Database, subject_id: str, index: int = -1) -> q.Target:
    case = load_case(Session(db, "monitor", "monitor"), subject_id)
    rows = sorted(case.assessments, key=lambda r: (r["visit_date"], r["assessment_id"]))
    return q.Target(subject_id, "assessments", str(rows[index]["assessment_id"]), "score")


def _nudged(row: dict[str, Any]) -> float:
    """A score one point away, inside every scale's range (all start at 0)."""
    score = float(row["score"])
    return score - 1 if score >= 1 else score + 1


def prepare_demo_review(system: Session) -> DemoReview:
    """Put the demo database's review data in place (see the module docstring)."""
    db = system.db
    monitor = Session(db, "monitor", "monitor")
    for site in SITES:
        signoff.set_investigator(system, f"{site.lower()}_neuro")
    with db.connect(read_only=True) as conn:
        everyone = [str(r[0]) for r in conn.execute("SELECT subject_id FROM subjects").fetchall()]
    run_soft_checks(db, everyone)

    msk, prm, nnv = (_subjects(db, s, 8) for s in ("MSK", "PRM", "NNV"))
    wanted = [
        (msk, 0, "This score moved sharply since the visit before; please check the source."),
        (msk, 1, "Please confirm this score against the clinic's assessment sheet."),
        (msk, 2, "Score higher than expected for the motor function recorded; please confirm."),
        (prm, 0, "Please confirm this score against the source document."),
        (prm, 1, "The score differs from the value in the monitoring visit notes."),
        (nnv, 0, "Please confirm the assessment was done by a trained physiotherapist."),
        (nnv, 1, "Please confirm this score against the source document."),
    ]
    opened: list[str | None] = [
        q.open_query(monitor, _score_target(db, ids[i]), text) if i < len(ids) else None
        for ids, i, text in wanted
    ]
    msk_user, prm_user = _site_session(db, "MSK"), _site_session(db, "PRM")
    if opened[1]:  # answered with text, then closed by the monitor
        q.answer_query(msk_user, opened[1], "Checked against the assessment sheet: correct.")
        q.close_query(monitor, opened[1], "Confirmed.")
    if opened[2]:  # answered with a correction (audited with the query as its reason)
        target = q.get_query(monitor, opened[2]).target
        case = load_case(monitor, target.subject_id)
        row = next(r for r in case.assessments if r["assessment_id"] == target.row_key)
        answer_with_correction(msk_user, opened[2], "Transcription error.", _nudged(row))
    if opened[3]:  # answered, closed, then re-opened with a follow-up question
        q.answer_query(prm_user, opened[3], "Value is as in the source.")
        q.close_query(monitor, opened[3])
        q.reopen_query(monitor, opened[3], "The source shows a different date; please recheck.")
    if opened[4]:
        q.answer_query(prm_user, opened[4], "The monitoring notes were wrong; the value stands.")

    verified = 0
    for sid in msk[3:7] + prm[2:5]:
        marks = sdv.subject_marks(monitor, sid)
        verified += sdv.mark_verified(
            monitor, sid, list(zip(marks["table_name"], marks["row_key"], strict=True))
        )
    for sid in nnv[2:6]:
        first = sorted(r["visit_date"] for r in load_case(monitor, sid).assessments)[0]
        verified += sdv.mark_visit(monitor, sid, first)

    signed = []
    for site, ids in (("MSK", msk[3:7]), ("PRM", prm[2:5])):
        investigator = _site_session(db, site)
        for sid in ids:
            _, digest = signoff.casebook(investigator, sid)
            signoff.sign_casebook(investigator, sid, DEMO_PASSWORD, MEANING, digest)
            signed.append(sid)
    broken = 0
    if signed:  # a change after signing: shown broken until signed again
        sid = signed[0]
        target = _score_target(db, sid, 0)
        case = load_case(monitor, sid)
        row = next(r for r in case.assessments if r["assessment_id"] == target.row_key)
        update_rows(
            _site_session(db, str(case.subject["site_code"])),
            sid,
            [Change("assessments", {"assessment_id": target.row_key}, {"score": _nudged(row)})],
            "late entry from the physiotherapist's sheet",
        )
        broken = 1
    counts = q.list_queries(monitor)["state"].value_counts().to_dict()
    return DemoReview(
        {str(k): int(v) for k, v in counts.items()}, verified, len(signed) - broken, broken
    )
