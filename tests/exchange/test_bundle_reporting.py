"""MedDRA coding and day 0 travel in signed site bundles (warehouse/exchange/
bundle_reporting.py): an SAE entered at an offline centre gets its reporting clock at
the coordinator; hostile rows are refused before anything is written."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.cli.test_main import run
from tests.exchange.test_bundles import (  # noqa: F401
    centre,
    members_of,
    resign,
    source_template,
    tables_of,
)
from tests.reporting.fixtures import load_fixture
from tests.warehouse_fixtures import audit_count, audit_rows, clone_db, coordinator, site_user
from warehouse.exchange import bundle_reporting, bundles
from warehouse.exchange.bundle_reporting import _day, _llt
from warehouse.exchange.bundles import BundleRejected, export_bundle, import_bundle
from warehouse.exchange.limits import InputTooLarge
from warehouse.reporting import synthetic_meddra as syn
from warehouse.reporting.meddra import code_event
from warehouse.reporting.sae import clock_board, read_serious_events
from warehouse.reporting.sae_records import write_aware_date
from warehouse.store.audit import audited_transaction
from warehouse.store.db import Database

DAY0_AGO = 3
USER = "msk_neuro"  # the site user who codes the event
LLT = syn.llt_code(0, 1)  # an invented, current LLT of the synthetic dictionary


def _reporting_rows(db: Database) -> dict[str, list[tuple[object, ...]]]:
    with db.connect(read_only=True) as conn:
        return {
            "ae_meddra": conn.execute(
                "SELECT ae_id, llt_code, meddra_version, coded_by FROM ae_meddra ORDER BY 1"
            ).fetchall(),
            "ae_awareness": conn.execute(
                "SELECT ae_id, aware_date, recorded_by FROM ae_awareness ORDER BY 1"
            ).fetchall(),
        }


@pytest.fixture(scope="module")
def coded_template(
    source_template: Database,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Database, str]:
    """The site's database with the synthetic dictionary loaded and one MSK SUSAR coded
    with an LLT and given day 0 (three days ago), as the AE form records them."""
    root = tmp_path_factory.mktemp("coded-src")
    db = clone_db(source_template, root / "src")
    load_fixture(db, root / "meddra")
    with db.connect(read_only=True) as conn:
        events = read_serious_events(conn, "s.site_code = 'MSK'")
    susar = next(e for e in events if e.susar)
    day0 = dt.date.today() - dt.timedelta(days=DAY0_AGO)
    with audited_transaction(db, site_user(db).actor) as (conn, entries):
        code_event(conn, entries, USER, susar.ae_id, LLT, syn.VERSION)
        write_aware_date(conn, entries, USER, susar.ae_id, day0)
    return db, susar.ae_id


@pytest.fixture
def coded(coded_template: tuple[Database, str], tmp_path: Path) -> tuple[Database, str]:
    return clone_db(coded_template[0], tmp_path / "src"), coded_template[1]


def _bundle(db: Database, tmp_path: Path) -> Path:
    path = tmp_path / "msk.zip"
    export_bundle(coordinator(db), "MSK", path)
    return path


def _clock(db: Database, ae_id: str) -> tuple[str, dt.date | None]:
    board = clock_board(coordinator(db), dt.datetime.now(dt.UTC))
    found = [c for c in board.clocks if c.ae_id == ae_id and c.kind == "initial"]
    assert len(found) == 1
    return found[0].state, found[0].due


def test_an_offline_sae_gets_its_clock_at_the_coordinator(
    coded: tuple[Database, str], tmp_path: Path
) -> None:
    site, ae_id = coded
    bundle = _bundle(site, tmp_path)
    sent = json.loads(members_of(bundle)[bundles.MANIFEST])["tables"]
    assert sent["ae_meddra"]["rows"] == sent["ae_awareness"]["rows"] == 1
    target = centre(tmp_path, site)
    summary = import_bundle(coordinator(target), bundle)
    assert summary.inserted["ae_meddra"] == summary.inserted["ae_awareness"] == 1
    day0 = dt.date.today() - dt.timedelta(days=DAY0_AGO)
    assert _reporting_rows(target) == {
        "ae_meddra": [(ae_id, LLT, syn.VERSION, USER)],
        "ae_awareness": [(ae_id, day0, USER)],
    }
    state, due = _clock(target, ae_id)
    assert (state, due) == _clock(site, ae_id)  # the same clock as at the site
    assert state == "due" and due is not None and (due - day0).days in (7, 15)
    # what the pharmacovigilance officer sees at the coordinator
    listed = run("sae", "list", "--db", target.path, "--csv")
    assert listed.exit_code == 0, listed.output
    rows = [r for r in csv.DictReader(io.StringIO(listed.stdout)) if r["ae_id"] == ae_id]
    assert [(r["clock"], r["due"], r["state"]) for r in rows] == [
        ("initial", due.isoformat(), "due")
    ]
    audited = [(r["action"], r["table_name"]) for r in audit_rows(target) if r["row_key"] == ae_id]
    assert ("insert", "ae_meddra") in audited and ("insert", "ae_awareness") in audited


def test_without_the_members_the_sae_has_no_day0_at_the_coordinator(
    coded: tuple[Database, str], tmp_path: Path
) -> None:
    """A bundle made before these members existed still imports (its SAE waits for day 0)."""
    site, ae_id = coded
    bundle = _bundle(site, tmp_path)
    members = members_of(bundle)
    data = {
        t: d
        for t, d in tables_of(members).items()
        if t not in ("ae_meddra", "ae_awareness", "linkage_tokens")
    }
    created = json.loads(members[bundles.MANIFEST])
    signed = bundles.sign_members(
        coordinator(site), "MSK", data, bundles.utc_now_text(), created["source_db"]
    )
    bundle.write_bytes(bundles.zip_bytes(signed))
    target = centre(tmp_path, site)
    summary = import_bundle(coordinator(target), bundle)
    assert summary.inserted["adverse_events"] > 0
    assert _reporting_rows(target) == {"ae_meddra": [], "ae_awareness": []}
    assert _clock(target, ae_id) == ("no_day0", None)


def test_a_newer_bundle_corrects_day0_and_the_same_rows_change_nothing(
    coded: tuple[Database, str], tmp_path: Path
) -> None:
    site, ae_id = coded
    target = centre(tmp_path, site)
    import_bundle(coordinator(target), _bundle(site, tmp_path))
    entries = audit_count(target)
    corrected = dt.date.today() - dt.timedelta(days=DAY0_AGO + 1)
    with audited_transaction(site, site_user(site).actor) as (conn, events):
        write_aware_date(conn, events, USER, ae_id, corrected)
    summary = import_bundle(coordinator(target), _bundle(site, tmp_path))
    changed = {t: n for t, n in {**summary.inserted, **summary.updated}.items() if n}
    assert changed == {"ae_awareness": 1}  # nothing else changed, nothing rewritten
    assert summary.updated["ae_awareness"] == 1
    assert _reporting_rows(target)["ae_awareness"] == [(ae_id, corrected, USER)]
    kinds = [(r["action"], r["table_name"]) for r in audit_rows(target)[entries:]]
    assert ("update", "ae_awareness") in kinds and ("insert", "ae_meddra") not in kinds


def _refused(site: Database, tmp_path: Path, error: type[Exception], match: str, **changes: object):
    """Re-sign the bundle with ``changes`` (the site's own key: a dishonest or broken
    site) and check the import is refused with nothing written."""
    bundle = _bundle(site, tmp_path)
    resign(bundle, site, "MSK", **changes)
    target = centre(tmp_path, site)
    entries = audit_count(target)
    with pytest.raises(error, match=match):
        import_bundle(coordinator(target), bundle)
    assert audit_count(target) == entries
    with target.connect(read_only=True) as conn:
        counts = [
            conn.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
            for t in ("adverse_events", "ae_meddra", "ae_awareness")
        ]
    assert counts == [0, 0, 0]


def _set(column: str, value: object):
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame[column] = frame[column].astype(object)
        frame.at[frame.index[0], column] = value
        return frame

    return change


def _prm_ae(db: Database) -> str:
    with db.connect(read_only=True) as conn:
        return str(
            conn.execute(
                "SELECT ae_id FROM adverse_events JOIN subjects USING (subject_id) "
                "WHERE site_code = 'PRM' ORDER BY ae_id LIMIT 1"
            ).fetchall()[0][0]
        )


def test_a_row_for_another_sites_event_is_refused(
    coded: tuple[Database, str], tmp_path: Path
) -> None:
    site, _ = coded
    other = _prm_ae(site)
    _refused(
        site,
        tmp_path,
        BundleRejected,
        rf"ae_awareness\.parquet line 1: ae_id '{other}' is not an adverse event of this "
        r"bundle's subjects \(site MSK\)",
        ae_awareness=_set("ae_id", other),
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set("aware_date", "2026-02-30"), r"line 1: aware_date '2026-02-30' is not a valid date"),
        (_set("aware_date", "07.12.2026"), r"line 1: aware_date '07\.12\.2026' is not a valid"),
        (
            _set("aware_date", dt.date.today() + dt.timedelta(days=30)),
            r"line 1: aware_date \d{4}-\d\d-\d\d is in the future",
        ),
    ],
    ids=["impossible-date", "not-iso", "future-day0"],
)
def test_a_bad_day0_is_refused_naming_member_line_and_rule(
    coded: tuple[Database, str], tmp_path: Path, change: object, message: str
) -> None:
    _refused(
        coded[0], tmp_path, BundleRejected, rf"ae_awareness\.parquet {message}", ae_awareness=change
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set("llt_code", 1234567), r"llt_code 1234567 is not a MedDRA code \(8 digits\)"),
        (_set("llt_code", "1234567x"), r"llt_code '1234567x' is not a MedDRA code"),
        (_set("llt_code", 12345678), r"LLT 12345678 is not in MedDRA 90\.0 as loaded here"),
        (_set("meddra_version", "Иванова"), r"meddra_version 'Иванова' is not a MedDRA version"),
    ],
    ids=["seven-digits", "not-digits", "unknown-llt", "not-a-version"],
)
def test_a_bad_coding_is_refused(
    coded: tuple[Database, str], tmp_path: Path, change: object, message: str
) -> None:
    site = coded[0]
    bundle = _bundle(site, tmp_path)
    resign(bundle, site, "MSK", ae_meddra=change)
    target = centre(tmp_path, site)
    if "as loaded here" in message:
        load_fixture(target, tmp_path / "meddra")  # the coordinator holds that version
    entries = audit_count(target)
    with pytest.raises(BundleRejected, match=rf"ae_meddra\.parquet line 1: {message}"):
        import_bundle(coordinator(target), bundle)
    assert audit_count(target) == entries


def test_an_llt_of_a_version_not_loaded_here_is_kept_as_the_site_coded_it(
    coded: tuple[Database, str], tmp_path: Path
) -> None:
    """The coordinator may load the site's MedDRA version later: the coding is kept."""
    site, ae_id = coded
    target = centre(tmp_path, site)  # no dictionary loaded
    import_bundle(coordinator(target), _bundle(site, tmp_path))
    assert _reporting_rows(target)["ae_meddra"] == [(ae_id, LLT, syn.VERSION, USER)]


def test_more_rows_than_events_is_refused_before_unpacking(
    coded: tuple[Database, str], tmp_path: Path
) -> None:
    def flood(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([frame] * 5000, ignore_index=True)

    _refused(
        coded[0],
        tmp_path,
        InputTooLarge,
        r"ae_awareness\.parquet holds 5,000 rows for",
        ae_awareness=flood,
    )


def test_an_oversized_member_is_refused_before_unpacking(
    coded: tuple[Database, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bundle_reporting, "MAX_MEMBER_BYTES", 512)
    _refused(
        coded[0],
        tmp_path,
        InputTooLarge,
        r"ae_meddra\.parquet is [\d,]+ bytes, above the limit of 512",
    )


def test_a_second_row_for_the_same_event_is_refused(
    coded: tuple[Database, str], tmp_path: Path
) -> None:
    def twice(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([frame, frame], ignore_index=True)

    _refused(
        coded[0],
        tmp_path,
        BundleRejected,
        r"ae_meddra\.parquet line 2: a second row for adverse event",
        ae_meddra=twice,
    )


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_an_llt_code_is_accepted_exactly_when_it_has_eight_digits(value: int) -> None:
    assert (_llt(value) is not None) == (10_000_000 <= value <= 99_999_999)
    assert (_llt(str(value)) is not None) == (len(str(value)) == 8 and value >= 0)


@given(st.text(max_size=12) | st.dates().map(dt.date.isoformat))
def test_a_day0_text_is_accepted_exactly_when_it_is_an_iso_calendar_date(text: str) -> None:
    try:
        parsed: dt.date | None = dt.date.fromisoformat(text)
    except ValueError:
        parsed = None
    expected = parsed if parsed is not None and parsed.isoformat() == text else None
    assert _day(text) == expected
