"""The reporting rows a site bundle carries beside its clinical tables: each adverse
event's MedDRA coding (``ae_meddra``: LLT code and the version that coded it) and its
day 0 (``ae_awareness``: the real date the site first knew of it), so that an SAE
entered at an offline centre starts its reporting clock at the coordinator.

Both are optional bundle members (a bundle made before they existed still imports).
Hostile input is bounded before anything is unpacked (at most one row per adverse
event of the bundle, a byte cap per member, both read from the signed manifest) and
every row is checked before anything is written: exact columns; an adverse event of
this bundle's own subjects, once; an LLT code of eight digits (and, where the
coordinator has loaded that MedDRA version, an LLT of it); a version such as ``27.0``;
a real calendar date for day 0 that is not later than the bundle itself; a time of
coding that is not later than the bundle. The rows are written inside the import's
transaction, after the events they belong to, with an audit entry each.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from warehouse.exchange.limits import MB, InputTooLarge
from warehouse.store.audit import Event
from warehouse.store.frames import plain

MEDDRA = "ae_meddra"
AWARENESS = "ae_awareness"
MEMBERS = (MEDDRA, AWARENESS)
COLUMNS: dict[str, tuple[str, ...]] = {
    MEDDRA: ("ae_id", "llt_code", "meddra_version", "coded_by", "coded_at"),
    AWARENESS: ("ae_id", "aware_date", "recorded_by", "recorded_at"),
}
# One short row per adverse event: a site of a rare-disease network holds a few
# thousand events at most, a few hundred kilobytes; 4 MB is far above any real member.
MAX_MEMBER_BYTES = 4 * MB
# The latest calendar date anywhere (UTC+14) at the moment the bundle was signed: no
# site can have learned of an event on a later day.
LATEST_ZONE = dt.timedelta(hours=14)
MAX_PROBLEMS = 20
_LLT = re.compile(r"[0-9]{8}")
_VERSION = re.compile(r"[0-9]{1,3}\.[0-9]{1,2}")
_USER = re.compile(r"[^\x00-\x1f\x7f]{1,64}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def site_reporting_rows(conn: duckdb.DuckDBPyConnection, table: str, site: str) -> pd.DataFrame:
    """A site's rows of ``ae_meddra`` or ``ae_awareness``, as a bundle carries them
    (day 0 as a calendar date, so Parquet stores a date, not a time)."""
    columns = ", ".join(f"t.{c}" for c in COLUMNS[table])
    frame = conn.execute(
        f"SELECT {columns} FROM {table} t JOIN adverse_events a ON a.ae_id = t.ae_id "
        "JOIN subjects s ON s.subject_id = a.subject_id WHERE s.site_code = ? ORDER BY t.ae_id",
        [site],
    ).df()
    if table == AWARENESS:
        frame["aware_date"] = [plain(v) for v in frame["aware_date"]]
        frame["aware_date"] = frame["aware_date"].astype(object)
    return frame


def check_entries(tables: dict[str, dict[str, Any]]) -> None:
    """Bound the reporting members from the signed manifest, before unpacking them:
    at most one row per adverse event in the bundle, at most ``MAX_MEMBER_BYTES``."""
    events = int(tables["adverse_events"]["rows"])
    for table in MEMBERS:
        entry = tables.get(table)
        if entry is None:
            continue
        if entry["rows"] > events:
            raise InputTooLarge(
                f"{table}.parquet holds {entry['rows']:,} rows for {events:,} adverse events "
                "in the bundle (at most one row per event); nothing was imported"
            )
        if entry["bytes"] > MAX_MEMBER_BYTES:
            raise InputTooLarge(
                f"{table}.parquet is {entry['bytes']:,} bytes, above the limit of "
                f"{MAX_MEMBER_BYTES:,} for this member; nothing was imported"
            )


def _short(value: Any) -> str:
    return repr(value)[:40]


def _llt(value: Any) -> int | None:
    """The LLT code as an int when it is eight digits (int or digit string), else None."""
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | np.integer) and 10_000_000 <= int(value) <= 99_999_999:
        return int(value)
    if isinstance(value, str) and _LLT.fullmatch(value):
        return int(value)
    return None


def _day(value: Any) -> dt.date | None:
    """A calendar date (Parquet date, or a strict ISO text), else None."""
    if isinstance(value, dt.datetime | pd.Timestamp):
        return None  # a time, not a calendar date
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _moment(value: Any) -> dt.datetime | None:
    if isinstance(value, pd.Timestamp):
        value = None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else None
    return None


def _row_problems(
    table: str, row: dict[str, Any], signed: dt.datetime, loaded: set[tuple[str, int]] | None
) -> list[str]:
    problems: list[str] = []
    if table == MEDDRA:
        llt = _llt(row["llt_code"])
        version = row["meddra_version"]
        if llt is None:
            problems.append(f"llt_code {_short(row['llt_code'])} is not a MedDRA code (8 digits)")
        if not (isinstance(version, str) and _VERSION.fullmatch(version)):
            problems.append(
                f"meddra_version {_short(version)} is not a MedDRA version (such as 27.0)"
            )
        elif llt is not None and loaded is not None:
            versions = {v for v, _ in loaded}
            if version in versions and (version, llt) not in loaded:
                problems.append(f"LLT {llt} is not in MedDRA {version} as loaded here")
        if llt is not None:
            row["llt_code"] = llt
        who, when = "coded_by", "coded_at"
    else:
        day0 = _day(row["aware_date"])
        latest = (signed + LATEST_ZONE).date()
        if day0 is None:
            problems.append(
                f"aware_date {_short(row['aware_date'])} is not a valid date (YYYY-MM-DD)"
            )
        elif day0 > latest:
            problems.append(
                f"aware_date {day0.isoformat()} is in the future (the bundle was signed on "
                f"{signed:%Y-%m-%d} UTC; day 0 cannot be later)"
            )
        else:
            row["aware_date"] = day0
        who, when = "recorded_by", "recorded_at"
    if not (isinstance(row[who], str) and _USER.fullmatch(row[who])):
        problems.append(f"{who} is not a user name (1 to 64 printable characters)")
    moment = _moment(row[when])
    if moment is None:
        problems.append(f"{when} is not a time (UTC, without a time zone)")
    elif moment > signed.replace(tzinfo=None) + dt.timedelta(minutes=10):
        problems.append(f"{when} {moment:%Y-%m-%dT%H:%M:%S} is later than the bundle itself")
    else:
        row[when] = moment
    return problems


def checked_reporting_rows(
    frames: dict[str, pd.DataFrame],
    site: str,
    signed: dt.datetime,
    loaded: set[tuple[str, int]] | None = None,
) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """The reporting rows of a bundle, checked before anything is written.

    Every row must belong to an adverse event of the bundle (whose subjects are all of
    ``site``), once per member; ``signed`` is the bundle's creation time (UTC);
    ``loaded`` the (version, LLT) pairs of the MedDRA versions loaded here. Returns the
    rows (values made plain: LLT as int, day 0 as a date) and the problems, each naming
    the member, the line (1 = first row) and the rule.
    """
    events = set(map(str, frames["adverse_events"].get("ae_id", [])))
    rows: dict[str, list[dict[str, Any]]] = {}
    problems: list[str] = []
    for table in MEMBERS:
        frame = frames.get(table)
        if frame is None:
            continue
        if tuple(frame.columns) != COLUMNS[table]:
            problems.append(f"{table}.parquet: columns must be {', '.join(COLUMNS[table])}")
            continue
        seen: set[str] = set()
        rows[table] = []
        for line, record in enumerate(frame.to_dict("records"), start=1):
            if len(problems) >= MAX_PROBLEMS:  # enough to act on; the rest is not read
                return rows, problems
            row = {
                str(k): (v if isinstance(v, dt.date | str) else plain(v)) for k, v in record.items()
            }
            where = f"{table}.parquet line {line}"
            ae_id = row["ae_id"]
            if not isinstance(ae_id, str) or ae_id not in events:
                problems.append(
                    f"{where}: ae_id {_short(ae_id)} is not an adverse event of this bundle's "
                    f"subjects (site {site})"
                )
                continue
            if ae_id in seen:
                problems.append(f"{where}: a second row for adverse event {ae_id}")
                continue
            seen.add(ae_id)
            problems.extend(f"{where}: {p}" for p in _row_problems(table, row, signed, loaded))
            rows[table].append(row)
    return rows, problems


def loaded_llts(conn: duckdb.DuckDBPyConnection, versions: set[str]) -> set[tuple[str, int]]:
    """(version, LLT code) of every LLT of ``versions`` loaded here (any language)."""
    if not versions:
        return set()
    marks = ", ".join("?" for _ in versions)
    found = conn.execute(
        f"SELECT DISTINCT version, code FROM meddra_terms WHERE level = 'llt' "
        f"AND version IN ({marks})",
        sorted(versions),
    ).fetchall()
    return {(str(v), int(c)) for v, c in found}


def _stored(conn: duckdb.DuckDBPyConnection, table: str, ae_id: str) -> dict[str, Any] | None:
    value_columns = COLUMNS[table][1:3] if table == MEDDRA else COLUMNS[table][1:2]
    found = conn.execute(
        f"SELECT {', '.join(value_columns)} FROM {table} WHERE ae_id = ?", [ae_id]
    ).fetchall()
    return dict(zip(value_columns, found[0], strict=True)) if found else None


def write_reporting_rows(
    conn: duckdb.DuckDBPyConnection,
    rows: Mapping[str, Sequence[dict[str, Any]]],
    events: list[Event],
) -> tuple[dict[str, int], dict[str, int]]:
    """Insert or replace checked reporting rows inside the import's transaction (after
    the events they belong to); a row equal to the stored one changes nothing. Returns
    (inserted, updated) counts per member."""
    inserted = dict.fromkeys(rows, 0)
    updated = dict.fromkeys(rows, 0)
    for table, table_rows in rows.items():
        names = COLUMNS[table]
        for row in table_rows:
            ae_id = str(row["ae_id"])
            before = _stored(conn, table, ae_id)
            after = {k: row[k] for k in (before or {})} if before else None
            if before is not None and after == before:
                continue
            conn.execute(f"DELETE FROM {table} WHERE ae_id = ?", [ae_id])
            marks = ", ".join("?" for _ in names)
            conn.execute(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})",
                [row[c] for c in names],
            )
            counts = updated if before else inserted
            counts[table] += 1
            values = {c: row[c] for c in names[1:3]} if table == MEDDRA else {}
            if table == AWARENESS:
                values = {"aware_date": row["aware_date"], "recorded_by": row["recorded_by"]}
            events.append(
                Event("update" if before else "insert", table, ae_id, before=before, after=values)
            )
    return inserted, updated
