"""Query figures for the monitor's pages: per centre counts by state, median days to a
first answer, the oldest open query, and open queries by age band."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from warehouse.store.access import READ_AGGREGATE, Session, require, scope_filter

AGE_BANDS = ((0, 7, "0-7"), (8, 30, "8-30"), (31, 90, "31-90"), (91, 10**6, ">90"))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def query_summary(session: Session, now: dt.datetime | None = None) -> pd.DataFrame:
    """Per centre: open, answered, closed, median days to first answer, oldest open (days)."""
    require(session, READ_AGGREGATE, None, "read query figures")
    condition, params = scope_filter(session, "site_code")
    with session.db.connect(read_only=True) as conn:
        return conn.execute(
            f"""
            SELECT site_code,
                   count(*) FILTER (WHERE state = 'open')::BIGINT AS open,
                   count(*) FILTER (WHERE state = 'answered')::BIGINT AS answered,
                   count(*) FILTER (WHERE state = 'closed')::BIGINT AS closed,
                   median(date_diff('hour', opened_at, first_answered_at) / 24.0)
                       AS median_days_to_answer,
                   max(date_diff('day', opened_at, ?::TIMESTAMP))
                       FILTER (WHERE state = 'open') AS oldest_open_days
            FROM queries WHERE {condition} GROUP BY site_code ORDER BY site_code""",
            [now or _now(), *params],
        ).df()


def open_by_age(session: Session, now: dt.datetime | None = None) -> pd.DataFrame:
    """Open queries per centre and age band (days since opened): site_code, band, queries."""
    require(session, READ_AGGREGATE, None, "read query figures")
    condition, params = scope_filter(session, "site_code")
    cases = " ".join(f"WHEN age BETWEEN {lo} AND {hi} THEN '{name}'" for lo, hi, name in AGE_BANDS)
    with session.db.connect(read_only=True) as conn:
        frame = conn.execute(
            f"""
            WITH a AS (SELECT site_code, date_diff('day', opened_at, ?::TIMESTAMP) AS age
                       FROM queries WHERE state = 'open' AND {condition})
            SELECT site_code, CASE {cases} END AS band, count(*)::BIGINT AS queries
            FROM a GROUP BY ALL ORDER BY site_code, band""",
            [now or _now(), *params],
        ).df()
    order = [name for _, _, name in AGE_BANDS]
    frame["band"] = pd.Categorical(frame["band"], categories=order, ordered=True)
    return frame.sort_values(["site_code", "band"]).reset_index(drop=True)
