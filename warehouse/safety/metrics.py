"""Safety analysis for the monitor: exposure, AE rates and ratios, time to onset, SAE
and death listings. Pure functions of a session (no UI), each one DuckDB query over
the cohort snapshot (:mod:`warehouse.safety.cohort`, which defines follow-up, episodes and
attribution) returning a pandas DataFrame.

- **Exposure**: the sum of a subject's episode lengths on a product in days
  (``end - start``, no +1, so consecutive episodes add up exactly to the follow-up),
  / 365.25 = patient-years.
- **Counted events**: on-treatment AEs only (pre-treatment, off-treatment and
  after-follow-up AEs appear in the listings with their period, not in rates).
- **Incidence rate**: subjects with >= 1 event / years at risk, where a subject's time
  on the product stops at their first event (of the category in question; an event
  on the day of the first dose leaves zero time at risk). **Event rate**: all events
  / patient-years. Both per 100 patient-years with exact Garwood 95 % limits;
  generic vs reference ratios by the exact conditional binomial method (see
  :mod:`warehouse.safety.stats`).

Every function requires READ_CLINICAL (safety data is derived clinical data: site
users see their own site, monitors and coordinators all sites, administrators none);
row-level listings also write a ``view_listing`` audit entry. Small counts are not
masked here: pages pass what a monitor sees through :mod:`warehouse.safety.masking`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from schemas import load_reference
from schemas.errors import CaseguardError
from warehouse.safety.cohort import (
    AGE_BANDS,
    ALL,
    UNKNOWN_BAND,
    SafetyFilter,
    authorise,
    cohort_sql,
    period_where,
    product_where,
    run,
    run_listing,
    subject_where,
)
from warehouse.safety.followup import motor_change, overdue_doses, site_completeness
from warehouse.safety.stats import DAYS_PER_YEAR, rate_ci, rate_ratio_ci
from warehouse.store.access import Session

__all__ = [
    "AGE_BANDS",
    "ALL",
    "UNKNOWN_BAND",
    "SafetyFilter",
    "ae_rates",
    "deaths",
    "exposure",
    "motor_change",
    "overdue_doses",
    "rate_ratios",
    "sae_listing",
    "site_completeness",
    "time_to_onset",
    "time_to_onset_windows",
]

SUBJECT_DIMENSIONS = ("site_code", "age_band", "disease")
EVENT_DIMENSIONS = ("ctcae_grade", "serious", "body_system", "coded_term")
TTO_WINDOWS: tuple[tuple[str, int | None], ...] = (
    ("day 0", 1),
    ("1-7 d", 8),
    ("8-30 d", 31),
    ("31-90 d", 91),
    ("91-180 d", 181),
    ("181-365 d", 366),
    (">365 d", None),
)


def _dimensions(by: tuple[str, ...]) -> tuple[list[str], list[str]]:
    unknown = [d for d in by if d not in SUBJECT_DIMENSIONS + EVENT_DIMENSIONS]
    if unknown:
        raise CaseguardError(f"cannot break down by {', '.join(unknown)}")
    return [d for d in by if d in SUBJECT_DIMENSIONS], [d for d in by if d in EVENT_DIMENSIONS]


def _cols(names: list[str], prefix: str = "") -> str:
    return "".join(f", {prefix}{n}" for n in names)


# --- exposure and rates --------------------------------------------------------------

EXPOSURE_SQL = """,
xs AS (SELECT sid, product_id{dims}, sum(x_end - x_start) AS days FROM xp GROUP BY ALL)
SELECT product_id{dims}, count(*) AS subjects, sum(days)::BIGINT AS exposure_days,
       median(days) AS median_days
FROM xs GROUP BY ALL ORDER BY ALL"""

EXPOSURE_WHOLE_SQL = """
WITH xs AS (SELECT * FROM _cg_exposure WHERE {where} AND {product_where})
SELECT product_id{dims}, count(*) AS subjects, sum(days)::BIGINT AS exposure_days,
       median(days) AS median_days
FROM xs GROUP BY ALL ORDER BY ALL"""


TREATED_SQL = """,
xs AS (SELECT DISTINCT person_sid FROM xp)
SELECT count(*) AS subjects FROM xs"""

TREATED_WHOLE_SQL = """
SELECT count(DISTINCT person_sid) AS subjects FROM _cg_exposure
WHERE {where} AND {product_where}"""


def subjects_treated(session: Session, filters: SafetyFilter = ALL) -> int:
    """Distinct children with time on any product in the filter: a child who switched
    products is one child here, though :func:`exposure` counts them once per product;
    records confirmed to be one child at two centres (record linkage) count once."""
    authorise(session, filters, "view safety exposure")
    if _whole(filters):
        where, params = subject_where(session, filters)
        sql = TREATED_WHOLE_SQL.format(where=where, product_where=product_where(filters))
    else:
        cohort, params = cohort_sql(session, filters)
        sql = cohort + TREATED_SQL
    return int(run(session, sql, params)["subjects"].iloc[0])


def _whole(filters: SafetyFilter) -> bool:
    """True without a period: the snapshot's whole-follow-up totals answer directly."""
    return not (filters.period_start or filters.period_end)


def exposure(
    session: Session, filters: SafetyFilter = ALL, by: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Exposure per product, optionally by subject dimensions (site_code, age_band, disease).

    Columns: product_id, *by, subjects, exposure_days, patient_years, median_years
    (median time on the product per subject).
    """
    authorise(session, filters, "view safety exposure")
    subject_dims, event_dims = _dimensions(by)
    if event_dims:
        raise CaseguardError("exposure is broken down by subject dimensions only")
    if _whole(filters):
        where, params = subject_where(session, filters)
        sql = EXPOSURE_WHOLE_SQL.format(
            dims=_cols(subject_dims), where=where, product_where=product_where(filters)
        )
    else:
        cohort, params = cohort_sql(session, filters)
        sql = cohort + EXPOSURE_SQL.format(dims=_cols(subject_dims))
    frame = run(session, sql, params)
    frame["patient_years"] = frame["exposure_days"] / DAYS_PER_YEAR
    frame["median_years"] = frame.pop("median_days") / DAYS_PER_YEAR
    return frame


# Per subject and product: days exposed (xs); per subject, product (and category):
# events and the days lost to the first of them (lost), clipped to the period; then
# summed per product (and breakdown): xa and ea.
RISK_SQL = """,
xs AS (SELECT sid, product_id{s}, sum(x_end - x_start) AS days FROM xp GROUP BY ALL),
first AS (
    SELECT sid, product_id{s}{e}, min(onset_date) AS first_onset, count(*) AS n
    FROM ev GROUP BY ALL
),
lost AS (
    SELECT f.sid, f.product_id{fs}{fe}, any_value(f.n) AS n,
           sum(x.x_end - x.x_start)
             - sum(greatest(0, least(x.x_end, f.first_onset) - x.x_start)) AS lost_days
    FROM first f JOIN xp x ON x.sid = f.sid AND x.product_id = f.product_id
    GROUP BY ALL
),
ea AS (
    SELECT product_id{s}{e}, count(*) AS subjects_with_event, sum(n) AS events,
           sum(lost_days) AS lost_days
    FROM lost GROUP BY ALL
),
xa AS (SELECT product_id{s}, count(*) AS subjects, sum(days) AS days FROM xs GROUP BY ALL)"""

# The same sums from the snapshot's whole-follow-up totals per stratum (no period).
RISK_WHOLE_SQL = """
WITH xa AS (
    SELECT product_id{s}, sum(subjects) AS subjects, sum(days) AS days
    FROM _cg_exposure_strata WHERE {where} AND {product_where} GROUP BY ALL
),
ea AS (
    SELECT product_id{s}{e}, sum(subjects_with_event) AS subjects_with_event,
           sum(events) AS events, sum(lost_days) AS lost_days
    FROM _cg_rates_{table} WHERE {where} AND {product_where} GROUP BY ALL
)"""

RATES_SQL = """
SELECT xa.product_id{xa_s}{ea_e}, xa.subjects, xa.days::BIGINT AS exposure_days,
       coalesce(ea.subjects_with_event, 0)::BIGINT AS subjects_with_event,
       (xa.days - coalesce(ea.lost_days, 0))::BIGINT AS days_at_risk,
       coalesce(ea.events, 0)::BIGINT AS events
FROM xa {join} JOIN ea ON xa.product_id = ea.product_id{on}
ORDER BY ALL"""


def _with_rates(counts: pd.DataFrame) -> pd.DataFrame:
    frame = counts.copy()
    frame["patient_years"] = frame.pop("exposure_days") / DAYS_PER_YEAR
    frame["years_at_risk"] = frame.pop("days_at_risk") / DAYS_PER_YEAR
    for name, count, years in (
        ("incidence", "subjects_with_event", "years_at_risk"),
        ("event", "events", "patient_years"),
    ):
        rate, lower, upper = rate_ci(frame[count].to_numpy(), frame[years].to_numpy())
        frame[f"{name}_rate"], frame[f"{name}_lower"], frame[f"{name}_upper"] = rate, lower, upper
    order = ["subjects", "patient_years", "subjects_with_event", "years_at_risk"]
    order += ["incidence_rate", "incidence_lower", "incidence_upper", "events"]
    order += ["event_rate", "event_lower", "event_upper"]
    return frame[[c for c in frame.columns if c not in order] + order]


def ae_rates(
    session: Session, filters: SafetyFilter = ALL, by: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Exposure-adjusted AE rates per product, optionally broken down by ``by``.

    ``by`` takes subject dimensions (site_code, age_band, disease) and event
    dimensions (ctcae_grade, serious, body_system, coded_term). With event dimensions
    only categories with events appear, each with its own years at risk (censored at
    each subject's first event of that category); otherwise every exposed product
    appears, with zero events where there are none.

    Columns: product_id, *by, subjects, patient_years, subjects_with_event,
    years_at_risk, incidence_rate, incidence_lower, incidence_upper, events,
    event_rate, event_lower, event_upper (rates per 100 patient-years, exact 95 %).
    """
    authorise(session, filters, "view safety rates")
    s, e = _dimensions(by)
    if not _whole(filters) or len(e) > 1:
        cohort, params = cohort_sql(session, filters)
        sums = cohort + RISK_SQL.format(
            s=_cols(s), e=_cols(e), fs=_cols(s, "f."), fe=_cols(e, "f.")
        )
    else:
        where, params = subject_where(session, filters)
        sums = RISK_WHOLE_SQL.format(
            s=_cols(s),
            e=_cols(e),
            where=where,
            product_where=product_where(filters),
            table=e[0] if e else "any",
        )
    sql = sums + RATES_SQL.format(
        xa_s=_cols(s, "xa."),
        ea_e=_cols(e, "ea."),
        join="INNER" if e else "LEFT",
        on="".join(f" AND xa.{d} = ea.{d}" for d in s),
    )
    return _with_rates(run(session, sql, params))


def rate_ratios(
    session: Session, filters: SafetyFilter = ALL, by: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Generic vs its reference product: incidence and event rate ratios, exact limits.

    Pairs come from the products table (a generic names its reference product).
    Columns: generic_product_id, reference_product_id, *by, measure ("incidence" or
    "event"), generic_count, generic_years, reference_count, reference_years,
    rate_ratio, ratio_lower, ratio_upper, p_value (exact conditional binomial test).
    """
    rates = ae_rates(session, filters, by)
    pairs = run(
        session,
        "SELECT product_id AS generic_product_id, reference_product_id FROM _cg_products "
        "WHERE is_generic AND reference_product_id IS NOT NULL",
        {},
    )
    keys = ["generic_product_id", "reference_product_id", *by, "measure"]
    parts = []
    for measure, count, years in (
        ("incidence", "subjects_with_event", "years_at_risk"),
        ("event", "events", "patient_years"),
    ):
        side = rates[["product_id", *by, count, years]]
        generic = side.set_axis(
            ["generic_product_id", *by, "generic_count", "generic_years"], axis=1
        )
        reference = side.set_axis(
            ["reference_product_id", *by, "reference_count", "reference_years"], axis=1
        )
        merged = pairs.merge(generic, on="generic_product_id").merge(
            reference, on=["reference_product_id", *by]
        )
        parts.append(merged.assign(measure=measure))
    out = pd.concat(parts, ignore_index=True)
    out = out[keys + ["generic_count", "generic_years", "reference_count", "reference_years"]]
    ratio, lower, upper, p_value = rate_ratio_ci(
        out["generic_count"].to_numpy(),
        out["generic_years"].to_numpy(),
        out["reference_count"].to_numpy(),
        out["reference_years"].to_numpy(),
    )
    out = out.assign(rate_ratio=ratio, ratio_lower=lower, ratio_upper=upper, p_value=p_value)
    return out.sort_values(keys, ignore_index=True)


# --- time to onset -------------------------------------------------------------------


def _quantile(p: float) -> str:
    """``quantile_cont(product_day, p)`` from day counts: interpolated between the
    order statistics at positions floor(h) and floor(h) + 1, h = (events - 1) * p."""
    h = f"(any_value(total) - 1) * {p}"
    low = f"min(d) FILTER (WHERE upto > floor((total - 1) * {p}))"
    high = f"coalesce(min(d) FILTER (WHERE upto > floor((total - 1) * {p}) + 1), {low})"
    return f"({low} + ({h} - floor({h})) * ({high} - {low}))::DOUBLE"


# The distribution of days to onset from the snapshot's counts per day (no period).
ONSET_WHOLE_SQL = f"""
WITH hist AS (
    SELECT product_id{{s}}, product_day AS d, sum(n) AS n FROM _cg_onset_strata
    WHERE {{where}} AND {{product_where}} GROUP BY ALL
),
cum AS (
    SELECT *, sum(n) OVER (PARTITION BY product_id{{s}} ORDER BY d) AS upto,
           sum(n) OVER (PARTITION BY product_id{{s}}) AS total
    FROM hist
),
q AS (
    SELECT product_id{{s}}, any_value(total)::BIGINT AS events,
           {_quantile(0.5)} AS median_days, {_quantile(0.25)} AS q1_days,
           {_quantile(0.75)} AS q3_days, min(d) AS min_days, max(d) AS max_days
    FROM cum GROUP BY ALL
),
subjects AS (
    SELECT product_id{{s}}, sum(subjects_with_event)::BIGINT AS subjects FROM _cg_rates_any
    WHERE {{where}} AND {{product_where}} GROUP BY ALL
)
SELECT product_id{{s}}, events, subjects, median_days, q1_days, q3_days, min_days, max_days
FROM q JOIN subjects USING (product_id{{s}}) ORDER BY ALL"""


def time_to_onset(
    session: Session, filters: SafetyFilter = ALL, by: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Days from the subject's first dose of the product to each on-treatment AE onset.

    Columns: product_id, *by, events, subjects, median_days, q1_days, q3_days,
    min_days, max_days.
    """
    authorise(session, filters, "view time to onset")
    s, e = _dimensions(by)
    if _whole(filters) and not e:
        where, params = subject_where(session, filters)
        sql = ONSET_WHOLE_SQL.format(s=_cols(s), where=where, product_where=product_where(filters))
        return run(session, sql, params)
    cohort, params = cohort_sql(session, filters)
    sql = cohort + (
        f"\nSELECT product_id{_cols(s + e)}, count(*) AS events,"
        " count(DISTINCT sid) AS subjects, median(product_day)::DOUBLE AS median_days,"
        " quantile_cont(product_day, 0.25) AS q1_days,"
        " quantile_cont(product_day, 0.75) AS q3_days,"
        " min(product_day) AS min_days, max(product_day) AS max_days"
        " FROM ev GROUP BY ALL ORDER BY ALL"
    )
    return run(session, sql, params)


def time_to_onset_windows(
    session: Session, filters: SafetyFilter = ALL, by: tuple[str, ...] = ()
) -> pd.DataFrame:
    """On-treatment AEs per window of days since the first dose of the product.

    Columns: product_id, *by, window ("day 0", "1-7 d", ... ">365 d"), window_order,
    events. Windows without events are absent.
    """
    authorise(session, filters, "view time to onset")
    s, e = _dimensions(by)
    cases = " ".join(
        f"WHEN product_day < {limit} THEN {i}"
        for i, (_, limit) in enumerate(TTO_WINDOWS)
        if limit is not None
    )
    if _whole(filters) and not e:
        where, params = subject_where(session, filters)
        rows, count = f"_cg_onset_strata WHERE {where} AND {product_where(filters)}", "sum(n)"
    else:
        cohort, params = cohort_sql(session, filters)
        rows, count = "ev", "count(*)"
    sql = (cohort if rows == "ev" else "") + (
        f"\nSELECT product_id{_cols(s + e)},"
        " list_extract($labels::VARCHAR[], window_order + 1) AS window,"
        f" window_order, {count}::BIGINT AS events"
        f" FROM (SELECT *, CASE {cases} ELSE {len(TTO_WINDOWS) - 1} END AS window_order"
        f" FROM {rows}) GROUP BY ALL ORDER BY product_id{_cols(s + e)}, window_order"
    )
    params["labels"] = [label for label, _ in TTO_WINDOWS]
    return run(session, sql, params)


# --- listings (audited) --------------------------------------------------------------

SAE_SQL = """,
sae AS (
    SELECT x.*, fu.subject_id FROM ae x JOIN fu USING (sid)
    WHERE x.serious AND {product_where} AND {onset_where}
)
SELECT s.subject_id, s.site_code, s.ae_id, s.product_id, s.coded_term, s.body_system,
       s.ctcae_grade, d.criteria, s.onset_day, s.period, d.duration_days, d.outcome,
       d.action_taken, d.causality, d.causality_all_products, d.narrative,
       d.narrative_offset_days
FROM sae s JOIN _cg_sae d USING (ae_id)
ORDER BY s.site_code, s.subject_id, s.onset_day, s.ae_id"""


def sae_listing(session: Session, filters: SafetyFilter = ALL) -> pd.DataFrame:
    """Serious AEs, one row each, with the scrubbed narrative nearest the onset (audited).

    Columns: subject_id (pseudonym), site_code, ae_id, product_id (attributed),
    coded_term, term, body_system, ctcae_grade, criteria, onset_day (days since the
    first dose; negative = before it), period, duration_days, outcome, action_taken,
    causality (for the attributed product), causality_all_products, narrative,
    narrative_offset_days (narrative visit minus onset; ties go to the earlier one).
    No dates are shown, only study days.
    """
    authorise(session, filters, "view the SAE listing")
    cohort, params = cohort_sql(session, filters)
    sql = cohort + SAE_SQL.format(
        product_where=product_where(filters, "x.product_id"),
        onset_where=period_where(filters, "x.onset_date"),
    )
    frame = run_listing(session, "sae_listing", sql, params, filters)
    terms = load_reference().ae_terms["term_en"]
    frame.insert(5, "term", frame["coded_term"].map(terms).fillna(frame["coded_term"]))
    return frame


DEATHS_SQL = """
SELECT subject_id, site_code, disease, disease_subtype, age_band, product_id, death_day,
       cause_term, ctcae_grade, onset_day, causality, status
FROM _cg_deaths WHERE {where} AND {product_where} AND {death_where}
ORDER BY site_code, subject_id"""


def deaths_sql(session: Session, filters: SafetyFilter) -> tuple[str, dict[str, Any]]:
    """The deaths listing's query and parameters (see :func:`deaths`)."""
    where, params = subject_where(session, filters)
    sql = DEATHS_SQL.format(
        where=where,
        product_where=product_where(filters),
        death_where=period_where(filters, "death_date"),
    )
    return sql, params


def deaths(session: Session, filters: SafetyFilter = ALL) -> pd.DataFrame:
    """Subjects who died (a fatal AE, or status died), one row each (audited).

    Columns: subject_id, site_code, disease, disease_subtype, age_band, product_id
    (attributed product of the fatal AE, else the last product), death_day (days
    since first dose; empty without a fatal AE), cause_term, ctcae_grade, onset_day,
    causality (of the fatal AE for that product), status.
    """
    authorise(session, filters, "view deaths")
    sql, params = deaths_sql(session, filters)
    return run_listing(session, "deaths", sql, params, filters)
