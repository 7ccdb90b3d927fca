"""A demo warehouse with one known subject, opened in an AppTest, for the case pages.

The subject page is built separately; these helpers put the open subject straight
into the session state the way ``warehouse.ui.subject_state`` keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
from streamlit.testing.v1 import AppTest

from anonymise import pseudonymise
from tests.warehouse_fixtures import clone_db, make_case
from warehouse.capture.subjects_lookup import OpenSubject
from warehouse.demo.build import create_demo
from warehouse.store.access import system_session
from warehouse.store.cases import save_case
from warehouse.store.db import Database
from warehouse.store.migrations import migrate
from warehouse.ui import subject_state

LOCAL_IDS = {"MSK": "CASEPAGE-LOCAL-0042-ZX", "PRM": "CASEPAGE-LOCAL-0077-QY"}


@dataclass(frozen=True)
class CaseDb:
    """A database file with the demo accounts and one saved case per site in LOCAL_IDS."""

    path: Path
    subjects: dict[str, OpenSubject]


def build_case_db(root: Path) -> CaseDb:
    """Demo accounts and a few demo cases, plus one known full case at MSK and PRM."""
    db = Database(root / "demo.duckdb", key_dir=root / "keys")
    migrate(db)
    create_demo(db, subjects=5, seed=3)
    system = system_session(db, "test")
    subjects = {}
    for site, local_id in LOCAL_IDS.items():
        save_case(system, make_case(db, site, local_id))
        p = pseudonymise(db.keys.site_key(site), site, local_id)
        subjects[site] = OpenSubject(p.subject_id, site, p.date_shift_days, True)
    return CaseDb(root / "demo.duckdb", subjects)


def fresh_copy(base: CaseDb, directory: Path) -> CaseDb:
    """A private copy of the database (and keys) for a test that writes."""
    db = clone_db(Database(base.path, key_dir=base.path.parent / "keys"), directory)
    return CaseDb(Path(db.path), base.subjects)


def open_in_app(at: AppTest, subject: OpenSubject | None) -> None:
    """Make ``subject`` the open subject of the app session."""
    key = subject_state._KEY
    if subject is None:
        if key in at.session_state:
            del at.session_state[key]
    else:
        at.session_state[key] = subject


def query(path: Path, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    """Rows of a read-only query on the database file."""
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def disk_bytes(path: Path) -> bytes:
    """The database file and any write-ahead log beside it."""
    files = [path, *path.parent.glob(path.name + ".wal")]
    return b"".join(f.read_bytes() for f in files if f.is_file())
