"""Aggregate counts per site for the overview page (no row-level data)."""

from __future__ import annotations

import pandas as pd

from warehouse.store.access import READ_AGGREGATE, Session, require, scope_filter

OVERVIEW_SQL = """
WITH s AS (SELECT * FROM subjects WHERE {scope}),
t AS (SELECT subject_id, count(*) AS n FROM treatments GROUP BY subject_id),
ae AS (SELECT subject_id, count(*) AS n, count(*) FILTER (WHERE serious) AS sae
       FROM adverse_events GROUP BY subject_id)
SELECT si.site_code, si.name, si.region,
       count(s.subject_id) AS subjects,
       count(s.subject_id) FILTER (WHERE s.status = 'active') AS active,
       count(s.subject_id) FILTER (WHERE s.status = 'withdrawn') AS withdrawn,
       count(s.subject_id) FILTER (WHERE s.status = 'died') AS died,
       coalesce(sum(t.n), 0)::BIGINT AS treatments,
       coalesce(sum(ae.n), 0)::BIGINT AS adverse_events,
       coalesce(sum(ae.sae), 0)::BIGINT AS serious_adverse_events
FROM sites si
LEFT JOIN s ON s.site_code = si.site_code
LEFT JOIN t ON t.subject_id = s.subject_id
LEFT JOIN ae ON ae.subject_id = s.subject_id
WHERE {site_scope}
GROUP BY ALL ORDER BY si.site_code
"""


def site_overview(session: Session) -> pd.DataFrame:
    """Per site: subjects (active, withdrawn, died), treatments, AEs and SAEs."""
    require(session, READ_AGGREGATE, None, "view the overview")
    scope, params = scope_filter(session)
    site_scope, site_params = scope_filter(session, "si.site_code")
    sql = OVERVIEW_SQL.format(scope=scope, site_scope=site_scope)
    with session.db.connect(read_only=True) as conn:
        return conn.execute(sql, [*params, *site_params]).df()
