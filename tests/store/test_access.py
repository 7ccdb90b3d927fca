"""Who may do what, enforced in the data layer: site scope and role limits."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path

import pytest

from schemas.errors import AccessDenied, CaseguardError, NotFound
from tests.warehouse_fixtures import (
    admin,
    audit_count,
    audit_rows,
    clone_db,
    coordinator,
    make_case,
    make_db,
    monitor,
    site_user,
    table_counts,
)
from warehouse.store.access import Session
from warehouse.store.admin import add_site, add_user
from warehouse.store.audit import verify
from warehouse.store.cases import (
    Change,
    add_records,
    list_subjects,
    load_case,
    save_case,
    subject_exists,
    update_rows,
    withdraw_consent,
)
from warehouse.store.db import Database

DENIED = (AccessDenied, NotFound)


@pytest.fixture(scope="module")
def two_sites_template(tmp_path_factory: pytest.TempPathFactory) -> Database:
    """Two MSK subjects and one PRM subject, saved by their own sites' users."""
    base = tmp_path_factory.mktemp("access")
    db = make_db(base / "warehouse.duckdb", base / "keys")
    save_case(site_user(db, "MSK"), make_case(db, "MSK", "MSK-PAT-1"))
    save_case(site_user(db, "MSK"), make_case(db, "MSK", "MSK-PAT-2"))
    save_case(site_user(db, "PRM"), make_case(db, "PRM", "PRM-PAT-1"))
    return db


@pytest.fixture
def db(two_sites_template: Database, tmp_path: Path) -> Database:
    return clone_db(two_sites_template, tmp_path / "copy")


def _ids(db: Database, site: str) -> list[str]:
    return sorted(
        s for s in list_subjects(coordinator(db))["subject_id"] if s.startswith(f"{site}-")
    )


def _prm(db: Database) -> str:
    return _ids(db, "PRM")[0]


def _denials(db: Database, since: int) -> list[dict[str, object]]:
    return [r for r in audit_rows(db)[since:] if r["action"] == "access_denied"]


# --- site users: their own site only ------------------------------------------------


def test_site_user_lists_only_own_site(db: Database) -> None:
    msk = list_subjects(site_user(db, "MSK"))
    assert set(msk["site_code"]) == {"MSK"} and len(msk) == 2
    prm = list_subjects(site_user(db, "PRM"))
    assert list(prm["site_code"]) == ["PRM"]
    assert not subject_exists(site_user(db, "MSK"), _prm(db))
    assert subject_exists(site_user(db, "PRM"), _prm(db))


def test_site_user_cannot_read_other_site_and_it_is_audited(db: Database) -> None:
    before = audit_count(db)
    with pytest.raises(DENIED) as caught:
        load_case(site_user(db, "MSK"), _prm(db))
    assert "PRM-PAT-1" not in str(caught.value)
    denials = _denials(db, before)
    assert len(denials) == 1
    entry = denials[0]
    assert (entry["username"], entry["role"], entry["site_code"]) == (
        "msk_neuro",
        "site_user",
        "MSK",
    )
    assert json.loads(str(entry["after"])) == {"action": "read_clinical", "site": "PRM"}
    verify(db)


def test_site_user_cannot_add_records_to_other_site(db: Database) -> None:
    sid = _prm(db)
    prm_case = load_case(site_user(db, "PRM"), sid)
    before_counts, before = table_counts(db), audit_count(db)
    lab = dict(prm_case.labs[0], lab_id="LB-INTRUDER-1")
    with pytest.raises(DENIED):
        add_records(site_user(db, "MSK"), sid, {"labs": [lab]})
    after_counts = table_counts(db)
    assert after_counts.pop("audit_log") == before_counts.pop("audit_log") + 1
    assert after_counts == before_counts
    assert len(_denials(db, before)) == 1


def test_site_user_cannot_update_other_site(db: Database) -> None:
    sid = _prm(db)
    prm_case = load_case(site_user(db, "PRM"), sid)
    before = audit_count(db)
    lab_id = prm_case.labs[0]["lab_id"]
    with pytest.raises(DENIED):
        update_rows(
            site_user(db, "MSK"),
            sid,
            [Change("labs", {"lab_id": lab_id}, {"value": 1.0})],
            "just looking",
        )
    with pytest.raises(DENIED):
        withdraw_consent(site_user(db, "MSK"), sid, dt.date(2022, 1, 1), "no reason")
    assert load_case(site_user(db, "PRM"), sid).labs[0]["value"] == 250.0
    assert [r["action"] for r in audit_rows(db)[before:]] == ["access_denied", "access_denied"]


def test_site_user_cannot_save_a_case_for_another_site(db: Database) -> None:
    before = table_counts(db)
    case = make_case(db, "PRM", "PRM-PAT-77")
    with pytest.raises(AccessDenied):
        save_case(site_user(db, "MSK"), case)
    after = table_counts(db)
    assert after.pop("audit_log") == before.pop("audit_log") + 1  # only the refusal
    assert after == before


def test_site_user_cannot_plant_rows_on_another_sites_subject(db: Database) -> None:
    """Rows naming another subject are refused even when added to one's own subject."""
    own = _ids(db, "MSK")[0]
    prm = load_case(site_user(db, "PRM"), _prm(db))
    before = table_counts(db)
    foreign_lab = dict(prm.labs[0], lab_id="LB-PLANTED-1")
    with pytest.raises(CaseguardError):
        add_records(site_user(db, "MSK"), own, {"labs": [foreign_lab]})
    foreign_causality = dict(prm.ae_causality[0], causality="certain")
    with pytest.raises(CaseguardError):
        add_records(site_user(db, "MSK"), own, {"ae_causality": [foreign_causality]})
    assert table_counts(db) == before


def test_partial_key_update_cannot_touch_other_sites_rows(db: Database) -> None:
    own, prm = _ids(db, "MSK")[0], _prm(db)
    partial_key = Change("treatments", {"product_id": "NUS-SPINRAZA"}, {"lot": "CHANGED-1"})
    # refusing a key that is not the table's key would also be a correct outcome
    with contextlib.suppress(CaseguardError):
        update_rows(site_user(db, "MSK"), own, [partial_key], "lot fix")
    assert {t["lot"] for t in load_case(site_user(db, "PRM"), prm).treatments} == {"L123", "L124"}
    other_msk = _ids(db, "MSK")[1]
    assert {t["lot"] for t in load_case(site_user(db, "MSK"), other_msk).treatments} == {
        "L123",
        "L124",
    }


# --- other roles -------------------------------------------------------------------


def test_coordinator_reads_all_sites(db: Database) -> None:
    listed = list_subjects(coordinator(db))
    assert sorted(set(listed["site_code"])) == ["MSK", "PRM"] and len(listed) == 3
    for sid in listed["subject_id"]:
        assert load_case(coordinator(db), sid).subject["subject_id"] == sid
        assert subject_exists(coordinator(db), sid)


def test_monitor_reads_across_sites_but_cannot_write(db: Database) -> None:
    assert len(list_subjects(monitor(db))) == 3
    sid = _prm(db)
    case = load_case(monitor(db), sid)
    before_counts, before = table_counts(db), audit_count(db)
    with pytest.raises(AccessDenied):
        save_case(monitor(db), make_case(db, "PRM", "PRM-PAT-5"))
    with pytest.raises(AccessDenied):
        add_records(monitor(db), sid, {"labs": [dict(case.labs[0], lab_id="LB-MONITOR-1")]})
    with pytest.raises(AccessDenied):
        update_rows(
            monitor(db),
            sid,
            [Change("labs", {"lab_id": case.labs[0]["lab_id"]}, {"value": 1.0})],
            "oops",
        )
    after_counts = table_counts(db)
    assert after_counts.pop("audit_log") == before_counts.pop("audit_log") + 3
    assert after_counts == before_counts
    assert {r["role"] for r in _denials(db, before)} == {"monitor"}


def test_admin_cannot_read_clinical_rows(db: Database) -> None:
    before = audit_count(db)
    with pytest.raises(AccessDenied):
        list_subjects(admin(db))
    for sid in _ids(db, "MSK") + _ids(db, "PRM"):
        with pytest.raises(DENIED):
            load_case(admin(db), sid)
    with pytest.raises(AccessDenied):
        save_case(admin(db), make_case(db, "MSK", "MSK-PAT-9"))
    assert len(_denials(db, before)) == 5


def test_admin_manages_sites_and_users(db: Database) -> None:
    add_site(admin(db), "KZN", "Kazan centre", "Tatarstan")
    # an account that reads clinical rows is granted by a coordinator, not an admin
    # (issue 18 item 8: tests/store/test_accounts.py)
    with pytest.raises(AccessDenied):
        add_user(admin(db), "kzn_neuro", "correct-horse-battery", "site_user", "KZN")
    add_user(coordinator(db), "kzn_neuro", "correct-horse-battery", "site_user", "KZN")
    with db.connect(read_only=True) as conn:
        row = conn.execute(
            "SELECT role, site_code, password_hash FROM users WHERE username = 'kzn_neuro'"
        ).fetchall()  # noqa: E501
    assert row[0][:2] == ("site_user", "KZN")
    assert row[0][2].startswith("$argon2id$") and "correct-horse" not in row[0][2]
    entry = audit_rows(db)[-1]
    assert entry["table_name"] == "users" and "password" not in str(entry["after"])


@pytest.mark.parametrize("role", ["site_user", "monitor"])
def test_non_managers_cannot_add_sites_or_users(db: Database, role: str) -> None:
    session = Session(db, "someone", role, "MSK" if role == "site_user" else None)
    before = table_counts(db)
    with pytest.raises(AccessDenied):
        add_site(session, "KZN", "Kazan centre", "Tatarstan")
    with pytest.raises(AccessDenied):
        add_user(session, "sneaky", "correct-horse-battery", "coordinator", None)
    after = table_counts(db)
    assert after.pop("audit_log") == before.pop("audit_log") + 2
    assert after == before


def test_sessions_need_a_known_role_and_a_site_for_site_users(db: Database) -> None:
    with pytest.raises(AccessDenied):
        Session(db, "x", "superuser", None)
    with pytest.raises(AccessDenied):
        Session(db, "x", "site_user", None)
