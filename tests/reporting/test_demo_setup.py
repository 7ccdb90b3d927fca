"""The demo that ``make run`` builds shows the reporting side working: a fatal, a
life-threatening and several hospitalisation SUSARs, clocks due, overdue and submitted,
every serious event coded with the synthetic dictionary."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.reporting.fixtures import term_index
from tests.warehouse_fixtures import make_demo, monitor
from warehouse.reporting import synthetic_meddra as syn
from warehouse.reporting.demo_setup import prepare_demo_reporting
from warehouse.reporting.sae import clock_board
from warehouse.store.access import system_session

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def test_the_make_run_demo_has_clocks_in_every_state(tmp_path: Path) -> None:
    db = make_demo(tmp_path, subjects=300, seed=20261121)  # what `caseguard demo` makes
    done = prepare_demo_reporting(system_session(db, "demo"), NOW)
    board = clock_board(monitor(db), NOW)
    susars = [e for e in board.events.values() if e.susar]
    assert any("death" in e.criteria for e in susars)
    assert any("life_threatening" in e.criteria for e in susars)
    assert sum("hospitalisation" in e.criteria for e in susars) >= 3
    assert {"due", "overdue", "submitted"} <= {c.state for c in board.clocks}
    fatal_states = {c.state for c in board.clocks if "death" in board.events[c.ae_id].criteria}
    assert fatal_states
    assert done.coded == len(board.events)  # every serious event coded
    with db.connect() as conn:
        languages = conn.execute("SELECT DISTINCT language FROM meddra_releases").fetchall()
    assert sorted(r[0] for r in languages) == ["en", "ru"]
    again = prepare_demo_reporting(system_session(db, "demo"), NOW)
    assert (again.coded, again.susars) == (0, 0)  # running twice changes nothing
    # the expected lists name the synthetic PTs too: an LLT-coded headache is expected
    with db.connect() as conn:
        listed = {
            str(r[0])
            for r in conn.execute(
                "SELECT term FROM rsi_expected_terms WHERE product_id = 'NUS-SPINRAZA'"
            ).fetchall()
        }
    headache = f"PT:{syn.pt_code(term_index('HEADACHE')):08d}"
    meningitis = f"PT:{syn.pt_code(term_index('ASEPTIC-MENINGITIS')):08d}"
    assert {"HEADACHE", headache} <= listed and meningitis not in listed
