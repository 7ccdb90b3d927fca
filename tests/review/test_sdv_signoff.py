"""Source-data verification marks and investigator signatures: set, counted, and undone
(audited) by any later change to what they cover."""

from __future__ import annotations

import datetime as dt

import pytest

from schemas.errors import AccessDenied, CaseguardError
from tests.warehouse_fixtures import (  # noqa: F401
    admin,
    audit_rows,
    coordinator,
    file_db,
    make_case,
    monitor,
    site_user,
)
from warehouse.review import sdv, signoff
from warehouse.store.access import Session
from warehouse.store.accounts import AccountLocked, LoginFailed
from warehouse.store.admin import add_user
from warehouse.store.cases import Change, add_records, save_case, update_rows
from warehouse.store.db import Database
from warehouse.store.review_marks import review_counts, verified_signed_rows

PASSWORD = "investigator-pass-1"


@pytest.fixture
def db(file_db: Database) -> Database:  # noqa: F811
    save_case(coordinator(file_db), make_case(file_db, "MSK", "PAT-1"))
    save_case(coordinator(file_db), make_case(file_db, "PRM", "PAT-2"))
    add_user(coordinator(file_db), "msk_pi", PASSWORD, "site_user", "MSK")
    add_user(coordinator(file_db), "msk_sub", PASSWORD, "site_user", "MSK")
    signoff.set_investigator(admin(file_db), "msk_pi")
    return file_db


def sid(db: Database, site: str = "MSK") -> str:
    return str(make_case(db, site, "PAT-1" if site == "MSK" else "PAT-2").subject["subject_id"])


def pi(db: Database) -> Session:
    return Session(db, "msk_pi", "site_user", "MSK")


def test_marks_count_per_centre_and_table_and_a_change_clears_one(db: Database) -> None:
    subject = sid(db)
    first = dt.date.fromisoformat(str(make_case(db, "MSK", "PAT-1").assessments[0]["visit_date"]))
    assert sdv.mark_visit(monitor(db), subject, first) == 2  # the assessment and the lab
    assert (
        sdv.mark_verified(
            monitor(db), subject, [("adverse_events", f"AE-{subject.split('-', 1)[1]}-1")]
        )
        == 1
    )
    progress = sdv.sdv_progress(monitor(db)).set_index(["site_code", "table_name"])
    assert progress.loc[("MSK", "assessments"), "verified"] == 1
    assert progress.loc[("MSK", "treatments"), "share"] == 0
    assert progress.loc[("PRM", "labs"), "verified"] == 0
    key = f"AS-{subject.split('-', 1)[1]}-1"
    update_rows(
        coordinator(db),
        subject,
        [Change("assessments", {"assessment_id": key}, {"score": 30.0})],
        "typo",
    )
    marks = sdv.subject_marks(monitor(db), subject).set_index(["table_name", "row_key"])
    assert not marks.loc[("assessments", key), "verified"]
    assert marks["verified"].sum() == 2  # the lab and the AE keep theirs
    cleared = [r for r in audit_rows(db) if r["action"] == "sdv_cleared"]
    assert [(r["table_name"], r["row_key"], r["username"]) for r in cleared] == [
        ("assessments", key, "coord")
    ]


def test_site_users_cannot_set_marks(db: Database) -> None:
    with pytest.raises(AccessDenied):
        sdv.mark_verified(site_user(db), sid(db), [("subjects", sid(db))])


def test_signing_records_the_hash_and_a_later_change_breaks_it(db: Database) -> None:
    subject = sid(db)
    counts, digest = signoff.casebook(pi(db), subject)
    assert counts["assessments"] == 1 and len(digest) == 64
    signoff.sign_casebook(pi(db), subject, PASSWORD, "I approve this casebook", digest)
    status = signoff.signature_status(monitor(db), subject)
    assert status.valid and status.username == "msk_pi"
    with db.connect(read_only=True) as conn:
        assert (
            review_counts(conn, [subject])["rows_signed"] == review_counts(conn, [subject])["rows"]
        )
    add_records(
        site_user(db),
        subject,
        {
            "labs": [
                dict(
                    lab_id="LB-NEW",
                    subject_id=subject,
                    date=make_case(db).labs[0]["date"],
                    test="ALT",
                    value=20.0,
                    unit="U/L",
                    lower=0.0,
                    upper=40.0,
                )
            ]
        },
    )
    status = signoff.signature_status(monitor(db), subject)
    assert not status.valid and status.broken_at is not None and "LB-NEW" in str(status.broken_by)
    assert signoff.signature_progress(monitor(db)).set_index("site_code").loc["MSK", "broken"] == 1
    _, digest = signoff.casebook(pi(db), subject)
    signoff.sign_casebook(pi(db), subject, PASSWORD, "I approve this casebook", digest)
    assert signoff.signature_status(monitor(db), subject).valid


def test_what_was_not_shown_is_not_signed(db: Database) -> None:
    subject = sid(db)
    _, digest = signoff.casebook(pi(db), subject)
    key = f"AS-{subject.split('-', 1)[1]}-1"
    update_rows(
        site_user(db),
        subject,
        [Change("assessments", {"assessment_id": key}, {"score": 30.0})],
        "typo",
    )
    with pytest.raises(signoff.CasebookChanged):
        signoff.sign_casebook(pi(db), subject, PASSWORD, "I approve", digest)


def test_only_an_investigator_of_the_centre_signs(db: Database) -> None:
    subject = sid(db)
    _, digest = signoff.casebook(pi(db), subject)
    with pytest.raises(AccessDenied, match="not an investigator"):
        signoff.sign_casebook(
            Session(db, "msk_sub", "site_user", "MSK"), subject, PASSWORD, "ok", digest
        )
    with pytest.raises(AccessDenied):
        signoff.sign_casebook(monitor(db), subject, PASSWORD, "ok", digest)
    with pytest.raises(AccessDenied):
        signoff.sign_casebook(pi(db), sid(db, "PRM"), PASSWORD, "ok", digest)
    add_user(coordinator(db), "coord2", PASSWORD, "coordinator", None)
    with pytest.raises(CaseguardError, match="only a site user"):
        signoff.set_investigator(admin(db), "coord2")
    with pytest.raises(AccessDenied):
        signoff.set_investigator(site_user(db), "msk_sub")


def test_wrong_passwords_count_toward_the_lockout(db: Database) -> None:
    subject = sid(db)
    _, digest = signoff.casebook(pi(db), subject)
    for _ in range(4):
        with pytest.raises(LoginFailed):
            signoff.sign_casebook(pi(db), subject, "wrong-password", "I approve", digest)
    with pytest.raises(AccountLocked):
        signoff.sign_casebook(pi(db), subject, "wrong-password", "I approve", digest)
    with pytest.raises(AccountLocked):
        signoff.sign_casebook(pi(db), subject, PASSWORD, "I approve", digest)
    assert signoff.signature_status(monitor(db), subject).signature_id is None


def test_review_counts_count_what_the_row_listing_shows(db: Database) -> None:
    """The counts an export records (summed in the database) equal those of the per-row
    listing: one casebook whole (every row verified, signed), one partly verified."""
    whole, partial = sid(db), sid(db, "PRM")
    with db.connect(read_only=True) as conn:
        listing = verified_signed_rows(conn, [whole])
    rows = list(zip(listing["table_name"], listing["row_key"], strict=True))
    sdv.mark_verified(monitor(db), whole, rows)
    sdv.mark_verified(monitor(db), partial, [("subjects", partial)])
    _, digest = signoff.casebook(pi(db), whole)
    signoff.sign_casebook(pi(db), whole, PASSWORD, "I approve this casebook", digest)
    with db.connect(read_only=True) as conn:
        counted = review_counts(conn, [whole, partial])
        frame = verified_signed_rows(conn, [whole, partial])
    per_subject = frame.groupby("subject_id")[["verified", "signed"]].all()
    assert counted == {
        "rows": len(frame),
        "rows_verified": int(frame["verified"].sum()),
        "rows_signed": int(frame["signed"].sum()),
        "subjects_verified_signed": int((per_subject["verified"] & per_subject["signed"]).sum()),
    }
    assert counted["subjects_verified_signed"] == 1
    assert counted["rows_verified"] == len(rows) + 1 < counted["rows"]
    assert counted["rows_signed"] == len(rows)
