"""Nothing identifying reaches the database file: not local ids, not key material.

Cases are built from distinctive local patient ids, saved, corrected and read back;
then every byte of the DuckDB file (and any write-ahead log next to it) is searched
for those ids in every plausible encoding, and for the site and audit keys.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from anonymise.pseudonym import normalise_local_id
from tests.warehouse_fixtures import coordinator, make_case, make_db, site_user
from warehouse.store.audit import verify
from warehouse.store.cases import (
    Change,
    add_records,
    list_subjects,
    load_case,
    save_cases,
    update_rows,
)
from warehouse.store.db import Database

LOCAL_IDS = {
    "MSK": ["PATIENT-LOCAL-7731-QX", "msk-card 00419923-zz", "ИСТОРИЯ-БОЛЕЗНИ-55017"],
    "PRM": ["PATIENT-LOCAL-8842-WY", "prm/amb/2023/000777"],
}


def _encodings(text: str) -> set[bytes]:
    forms = {text, normalise_local_id(text), text.upper(), text.lower()}
    out: set[bytes] = set()
    for form in forms:
        for codec in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le"):
            out.add(form.encode(codec))
        if form.isascii():
            out.add(form.encode("ascii").hex().encode())
    return out


def _disk_files(db: Database) -> list[Path]:
    db_file = Path(db.path)
    files = [db_file, *db_file.parent.glob(db_file.name + ".wal"), *db_file.parent.glob("*.wal")]
    return sorted(set(f for f in files if f.is_file()))


def _hits(files: list[Path], needles: set[bytes]) -> list[str]:
    found = []
    for path in files:
        data = path.read_bytes()
        found += [f"{path.name}: {needle!r}" for needle in needles if needle in data]
    return found


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Database:
    """Five saved cases (two sites) plus a follow-up and a correction; every connection
    is closed again once each call returns, so the file is complete on disk."""
    tmp_path = tmp_path_factory.mktemp("ids")
    db = make_db(tmp_path / "data" / "warehouse.duckdb", tmp_path / "keys")
    for site, ids in LOCAL_IDS.items():
        save_cases(site_user(db, site), [make_case(db, site, local) for local in ids])
    # follow-ups, corrections and reads leave the same trace-free file
    sid = make_case(db, "MSK", LOCAL_IDS["MSK"][0]).subject["subject_id"]
    case = load_case(site_user(db, "MSK"), sid)
    add_records(
        site_user(db, "MSK"),
        sid,
        {
            "labs": [
                dict(
                    case.labs[0],
                    lab_id=case.labs[0]["lab_id"] + "b",
                    date=case.labs[0]["date"] + dt.timedelta(days=30),
                    value=260.0,
                )
            ]
        },
    )
    update_rows(
        site_user(db, "MSK"),
        sid,
        [Change("labs", {"lab_id": case.labs[0]["lab_id"]}, {"value": 255.0})],
        "recheck",
    )
    list_subjects(coordinator(db))
    verify(db)
    return db


def test_saved_cases_are_really_there(populated: Database) -> None:
    listed = list_subjects(coordinator(populated))
    assert len(listed) == sum(len(v) for v in LOCAL_IDS.values())
    assert Path(populated.path).stat().st_size > 0


def test_no_local_id_in_the_database_file(populated: Database) -> None:
    files = _disk_files(populated)
    assert Path(populated.path) in files
    needles = {n for ids in LOCAL_IDS.values() for local in ids for n in _encodings(local)}
    # distinctive fragments too, in case an id were stored split or reformatted
    needles |= {b"7731-QX", b"8842-WY", b"00419923", "55017".encode("utf-16-le"), b"000777"}
    assert _hits(files, needles) == []


def test_scan_would_find_an_id_if_it_were_there(populated: Database) -> None:
    """The scan itself works: a value stored in the file is found in it."""
    sid = make_case(populated, "MSK", LOCAL_IDS["MSK"][0]).subject["subject_id"]
    assert _hits(_disk_files(populated), {sid.encode()})


def test_no_key_material_in_the_database_file(populated: Database) -> None:
    needles: set[bytes] = set()
    for key in [populated.keys.site_key(s) for s in LOCAL_IDS] + [populated.keys.audit_key()]:
        needles |= {
            key,
            key.hex().encode(),
            key.hex().upper().encode(),
            key.hex().encode("utf-16-le"),
        }
        needles.add(key[:12])  # a prefix in raw bytes would be as bad
    assert _hits(_disk_files(populated), needles) == []


def test_no_identifier_anywhere_beside_the_database(populated: Database) -> None:
    """Other files a save may leave next to the database (WAL, temp, anchors) are clean too."""
    needles = {n for ids in LOCAL_IDS.values() for local in ids for n in _encodings(local)}
    files = [p for p in Path(populated.path).parent.parent.rglob("*") if p.is_file()]
    assert files
    assert _hits(files, needles) == []


def test_a_subject_found_again_from_the_local_id_needs_the_key(populated: Database) -> None:
    """Re-entering the local id at follow-up finds the subject; it is the key that links."""
    local = LOCAL_IDS["PRM"][1]
    sid = make_case(populated, "PRM", " " + local.upper() + " ").subject["subject_id"]
    assert load_case(site_user(populated, "PRM"), sid).subject["site_code"] == "PRM"
    assert local not in str(load_case(site_user(populated, "PRM"), sid))


# --- issue 18 item 14: what the file alone gives away -------------------------------------


def test_the_file_alone_gives_away_each_subjects_date_shift(tmp_path: Path) -> None:
    """docs/SECURITY.md section 4: the shift does NOT hide dates from someone holding the
    file. The audit log keeps the real time of entry beside the shifted date written, and
    a visit entered on its day gives the subject's shift away exactly - with no key.
    This is why the database must sit on an encrypted disk."""
    import duckdb

    from anonymise import pseudonymise, shift_date
    from warehouse.store.cases import add_records, save_case

    db = make_db(tmp_path / "w.duckdb", tmp_path / "keys")
    case = make_case(db, "MSK", "SHIFT-PROBE-1")
    save_case(site_user(db), case)
    sid = case.subject["subject_id"]
    true_shift = pseudonymise(db.keys.site_key("MSK"), "MSK", "SHIFT-PROBE-1").date_shift_days
    today = dt.datetime.now(dt.UTC).date()
    visit = dict(case.assessments[0], assessment_id="AS-PROBE-TODAY")
    visit["visit_date"] = shift_date(today, true_shift)  # what the visit form stores
    add_records(site_user(db), sid, {"assessments": [visit]})

    # the attacker: the file, plain DuckDB, no key store
    with duckdb.connect(db.path, read_only=True) as conn:
        stored, entered = conn.execute(
            "SELECT a.visit_date, l.ts FROM assessments a JOIN audit_log l "
            "ON l.table_name = 'assessments' AND l.row_key = a.assessment_id "
            "AND l.action = 'insert' WHERE a.subject_id = ? AND a.visit_date = "
            "(SELECT max(visit_date) FROM assessments WHERE subject_id = ?)",
            [sid, sid],
        ).fetchall()[0]
    estimated_shift = (stored - entered.date()).days
    assert estimated_shift == true_shift
