"""Follow-up views for the monitor: motor-scale change from baseline, data completeness
per site and overdue maintenance doses. Same conventions as :mod:`warehouse.safety.metrics`
(one DuckDB query each over the cohort snapshot of :mod:`warehouse.safety.cohort`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import numpy as np
import pandas as pd

from anonymise.pseudonym import MAX_SHIFT_DAYS
from schemas.errors import CaseguardError
from warehouse.safety.cohort import (
    ALL,
    SafetyFilter,
    authorise,
    cohort_sql,
    period_where,
    product_where,
    run,
    run_listing,
    subject_where,
)
from warehouse.safety.cohort_tables import (
    COMPLETENESS_COUNTS,
    MONTH_DAYS,
    MOTOR_WINDOW_MONTHS,
    SUBJECT_SUMS,
)
from warehouse.safety.stats import mean_ci
from warehouse.store.access import Session

OVERDUE_GRACE_DAYS = 30

# --- motor scales --------------------------------------------------------------------

MOTOR_POST_SQL = """,
post AS (
    SELECT sid, scale, visit_date, day, change, {product} AS product_id,
           round(day / $month_days / $bin) * $bin AS month
    FROM _cg_motor WHERE sid IN (SELECT sid FROM fu) AND {product} IS NOT NULL
),
chosen AS (
    SELECT sid, scale, month,
           arg_min(product_id, 2 * abs(day - month * $month_days)
                               + (day > month * $month_days)::INTEGER) AS product_id,
           arg_min(change, 2 * abs(day - month * $month_days)
                           + (day > month * $month_days)::INTEGER) AS change
    FROM post WHERE month >= $bin AND {product_where} AND {visit_where}
    GROUP BY sid, scale, month
)"""

# The default windows, initial product, whole follow-up: summed from the snapshot's
# totals per stratum (sd from the sum of squares).
MOTOR_WHOLE_SQL = """
SELECT product_id, scale, month::INTEGER AS month, sum(n) AS n,
       sum(sum_change) / sum(n) AS mean_change,
       CASE WHEN sum(n) > 1 THEN sqrt(greatest(0, (sum(sum_sq) - sum(sum_change) ^ 2 / sum(n))
                                                 / (sum(n) - 1))) END AS sd_change,
       any_value(t.threshold) AS meaningful_change,
       sum(n_meaningful) AS n_meaningful
FROM _cg_motor_strata LEFT JOIN _cg_thresholds t USING (scale)
WHERE {where} AND {product_where}
GROUP BY product_id, scale, month ORDER BY ALL"""

MOTOR_SQL = """
SELECT product_id, scale, month::INTEGER AS month, count(*) AS n, avg(change) AS mean_change,
       stddev_samp(change) AS sd_change, any_value(threshold) AS meaningful_change,
       count(*) FILTER (WHERE change * sign >= threshold) AS n_meaningful
FROM chosen LEFT JOIN _cg_thresholds USING (scale) GROUP BY product_id, scale, month ORDER BY ALL"""


def motor_change(
    session: Session,
    filters: SafetyFilter = ALL,
    bin_months: int = MOTOR_WINDOW_MONTHS,
    attribution: Literal["initial", "current"] = "initial",
) -> pd.DataFrame:
    """Change from baseline in each scale by product and months since the first dose.

    Baseline: the subject's last assessment of the scale in the 30 days up to and
    including the first dose (none: the subject is left out for that scale). Later
    assessments (up to the end of follow-up) fall into windows centred on multiples of
    ``bin_months``; per subject and window the one nearest the centre counts, and
    windows before ``bin_months`` are left out. ``attribution="initial"`` groups by
    the product the subject started on (motor change accrues over the whole course,
    switchers stay with their first product); ``"current"`` by the product at the
    assessment. The meaningful change is the scale's ``meaningful_change`` in
    schemas/reference/scales.yaml (CHOP INTEND 4, HFMSE 3, RULM 2, HINE-2 2), reached
    when the change is at least that in the scale's better direction; scales without
    one get NaN.

    Columns: product_id, scale, month, n, mean_change, sd_change, ci_lower, ci_upper
    (Student's t 95 %), meaningful_change, n_meaningful, share_meaningful.
    """
    authorise(session, filters, "view motor-scale change")
    if bin_months < 1:
        raise CaseguardError("the visit window must be at least one month")
    if attribution not in ("initial", "current"):
        raise CaseguardError("attribution is 'initial' or 'current'")
    initial = attribution == "initial"
    whole = not (filters.period_start or filters.period_end)
    if initial and whole and bin_months == MOTOR_WINDOW_MONTHS:
        where, params = subject_where(session, filters)
        sql = MOTOR_WHOLE_SQL.format(where=where, product_where=product_where(filters))
    else:
        cohort, params = cohort_sql(session, filters)
        sql = (
            cohort
            + MOTOR_POST_SQL.format(
                product="first_product" if initial else "current_product",
                product_where=product_where(filters),
                visit_where=period_where(filters, "visit_date"),
            )
            + MOTOR_SQL
        )
        params |= {"month_days": MONTH_DAYS, "bin": bin_months}
    frame = run(session, sql, params)
    lower, upper = mean_ci(
        frame["mean_change"].to_numpy(), frame["sd_change"].to_numpy(), frame["n"].to_numpy()
    )
    frame.insert(6, "ci_lower", lower)
    frame.insert(7, "ci_upper", upper)
    frame["share_meaningful"] = np.where(
        frame["meaningful_change"].notna(), frame["n_meaningful"] / frame["n"], np.nan
    )
    return frame


# --- overdue doses and data completeness ---------------------------------------------

DUE_SQL = """,
due AS (
    SELECT c.*, f.subject_id, f.site_code, f.first_dose, f.fu_end,
           CASE WHEN c.doses < len(c.loading_days)
                THEN c.course_start + c.loading_days[c.doses + 1]
                ELSE c.last_dose + round(c.interval_months * $month_days)::INTEGER
           END AS next_due
    FROM fu f JOIN _cg_courses c USING (sid)
    JOIN _cg_products cp ON cp.product_id = f.last_product AND cp.inn = c.inn
    WHERE f.status = 'active' AND f.death_date IS NULL AND f.withdrawn_date IS NULL
      AND {product_where}
),
overdue AS (
    SELECT *, $as_of::DATE - next_due AS days_overdue FROM due
    WHERE $as_of::DATE - next_due > $grace
)"""

OVERDUE_SQL = """
SELECT subject_id, site_code, product_id, doses, last_dose - first_dose AS last_dose_day,
       next_due - first_dose AS next_due_day, next_due AS next_due_date, days_overdue,
       fu_end > next_due + $grace AS seen_after_due,
       abs(days_overdue - $grace) <= $max_shift AS shift_sensitive
FROM overdue ORDER BY days_overdue DESC, subject_id"""


def _whole(filters: SafetyFilter) -> bool:
    """True without a period: the snapshot's whole-follow-up totals answer directly."""
    return not (filters.period_start or filters.period_end)


def _totals_answer() -> bool:
    """Whether unfiltered completeness is summed from the snapshot's per-stratum
    totals (always; tests switch it off to compare with the general query)."""
    return True


def _due_params(as_of: dt.date, grace_days: int) -> dict[str, Any]:
    return {"as_of": as_of, "grace": grace_days, "month_days": MONTH_DAYS}


def overdue_doses(
    session: Session,
    as_of: dt.date,
    filters: SafetyFilter = ALL,
    grace_days: int = OVERDUE_GRACE_DAYS,
) -> pd.DataFrame:
    """Active subjects whose next maintenance-regimen dose is overdue at ``as_of`` (audited).

    For products with a loading-then-maintenance regimen (nusinersen), the doses of
    one INN form one course, so a reference -> generic switch does not restart
    loading: with fewer doses than loading days the next is due at the course start
    + the next loading day (0, 14, 28, 63), afterwards at the last dose + the
    maintenance interval (4 months = 122 days). Checked only for subjects whose last
    product has that INN and who are active (not died, no withdrawal). Overdue means
    ``as_of - due > grace_days``. The period filter does not apply.

    ``as_of`` is compared with stored (shifted) dates, so the verdict is exact only
    up to the subject's date shift: ``shift_sensitive`` marks rows that a shift of up
    to 182 days could turn. ``seen_after_due`` is exact: the subject has records later
    than due date + grace, yet no dose.

    Columns: subject_id, site_code, product_id, doses, last_dose_day, next_due_day
    (days since first dose), next_due_date (stored timeline), days_overdue,
    seen_after_due, shift_sensitive.
    """
    authorise(session, filters, "view overdue doses")
    cohort, params = cohort_sql(session, filters)
    sql = cohort + DUE_SQL.format(product_where=product_where(filters, "c.product_id"))
    params |= _due_params(as_of, grace_days) | {"max_shift": MAX_SHIFT_DAYS}
    return run_listing(session, "overdue_doses", sql + OVERDUE_SQL, params, filters)


# Per site: how many subjects, and how many of them (or of their records) have each
# field; from the chosen subjects (general) or the snapshot's totals per stratum.
SUMS_SQL = (
    """,
chosen AS (
    SELECT * FROM everyone
    WHERE ({untreated} OR sid IN (
          SELECT sid FROM fu WHERE {period_where}
             AND sid IN (SELECT sid FROM ep WHERE {product_where})))
),
sums AS (SELECT site_code, """
    + SUBJECT_SUMS
    + """ FROM chosen GROUP BY site_code)"""
)

SUMS_WHOLE_SQL = (
    """,
sums AS (
    SELECT site_code, """
    + ", ".join(f"sum({name})::BIGINT AS {name}" for name in COMPLETENESS_COUNTS)
    + """
    FROM _cg_completeness_strata WHERE {where} GROUP BY site_code
)"""
)

COMPLETENESS_SQL = """,
od AS (SELECT site_code, count(*) AS n FROM overdue GROUP BY site_code)
SELECT s.site_code, s.subjects,
       100.0 * treated / subjects AS pct_treated,
       100.0 * consent / subjects AS pct_consent,
       100.0 * genetics / subjects AS pct_genetics,
       100.0 * age / subjects AS pct_age,
       100.0 * lots / nullif(treatments, 0) AS pct_lot,
       100.0 * aes_assessed / nullif(aes, 0) AS pct_causality,
       100.0 * (consent + genetics + age + lots + aes_assessed)
             / (3 * subjects + treatments + aes) AS pct_fields,
       100.0 * baseline / nullif(treated, 0) AS pct_baseline,
       100.0 * on_schedule / nullif(treated, 0) AS pct_on_schedule,
       coalesce(od.n, 0)::BIGINT AS overdue_doses
FROM sums s LEFT JOIN od USING (site_code)
ORDER BY s.site_code"""


def site_completeness(
    session: Session,
    as_of: dt.date,
    filters: SafetyFilter = ALL,
    grace_days: int = OVERDUE_GRACE_DAYS,
) -> pd.DataFrame:
    """Per site: how complete the records are, and how many doses are overdue.

    Percentages (0-100) of subjects with any treatment (pct_treated), a consent
    record, genetics, age at index; of treatments with a lot number; of AEs with at
    least one causality assessment; of all those fields together (pct_fields); of
    treated subjects with a baseline assessment (as in :func:`motor_change`); of
    treated subjects assessed on schedule: no gap between first dose, assessments
    and end of follow-up longer than 6 months + 31 days (exact: intervals only).
    overdue_doses counts the subjects :func:`overdue_doses` would list (no one is
    named, so nothing is audited). Untreated subjects count unless a product or
    period filter is set.

    Columns: site_code, subjects, pct_treated, pct_consent, pct_genetics, pct_age,
    pct_lot, pct_causality, pct_fields, pct_baseline, pct_on_schedule, overdue_doses.
    """
    authorise(session, filters, "view data completeness")
    cohort, params = cohort_sql(session, filters)
    sql = cohort + DUE_SQL.format(product_where=product_where(filters, "c.product_id"))
    filtered = bool(filters.products or not _whole(filters))
    if not filtered and _totals_answer():
        where, _ = subject_where(session, filters)
        sql += SUMS_WHOLE_SQL.format(where=where)
    else:
        overlap = [] if not filters.period_start else ["fu_end >= $ps::DATE"]
        overlap += [] if not filters.period_end else ["first_dose <= $pe::DATE"]
        sql += SUMS_SQL.format(
            untreated="FALSE" if filtered else "TRUE",
            period_where=" AND ".join(overlap) or "TRUE",
            product_where=product_where(filters),
        )
    sql += COMPLETENESS_SQL
    params |= _due_params(as_of, grace_days)
    return run(session, sql, params)
