"""The tables of the cohort snapshot: what is derived from the clinical tables, and how.

:mod:`warehouse.safety.cohort` runs :data:`BUILD` (temporary tables in one read transaction
on the database file), copies :data:`SNAPSHOT_TABLES` into an in-memory DuckDB
database and there runs :data:`DERIVE`, which pre-aggregates what every dashboard
query would otherwise recompute (exposure and time at risk per subject and product,
each motor assessment's change from baseline). Only pseudonyms, study codes, stored
(shifted) dates and scrubbed text are copied; nothing identifying.

Definitions (all on the stored, date-shifted timeline: a subject's dates share one
shift, so every interval is exact; a calendar date given by the user - a period,
``as_of`` - is only exact up to the shift of +/- 182 days):

- **First dose**: the subject's earliest treatment ``start_date``. Subjects without
  any treatment row have none and are left out of every analysis except data
  completeness.
- **Last follow-up**: the latest dated record of the subject - assessment visit, lab,
  AE onset or end, narrative visit, treatment start or end.
- **End of follow-up** (``fu_end``): the earliest of last follow-up, death and consent
  withdrawal, never before the first dose. **Death** is the end date (the date of the
  fatal outcome) of the earliest AE with outcome fatal or criterion death, or its
  onset if it has no end date.
- **Product episodes**: a subject's treatment rows in date order; an episode begins
  whenever the product changes, so a switch (reference -> generic, or back) ends one
  episode where the next begins. An episode runs from its first row's start to the
  next episode's start, or else to ``fu_end``. Rows are administrations (nusinersen
  doses, the single Zolgensma infusion, protocol infusions) except for products with
  a ``daily`` regimen (risdiplam), whose rows are courses: a closed course
  (``end_date`` set) ends the episode at its end date, an open one runs on. A
  single-dose gene therapy therefore counts all follow-up since the infusion. Two
  products started on the same day: the later row (by treatment id) takes the day.
  Episodes starting after ``fu_end`` are dropped.
- **Attribution**: an AE belongs to the episode covering its onset (the product the
  subject was on, or had started most recently). Onsets before the first dose
  (allowed up to 30 days before) are ``pre-treatment`` and go to the first episode;
  after a closed daily course and before any next product ``off-treatment``; after
  ``fu_end`` ``after follow-up``; all others ``on-treatment``.
- **Motor change**: an assessment's score minus the subject's baseline for that scale
  (the last assessment in the 30 days up to and including the first dose), for
  assessments after the first dose and up to ``fu_end``; subjects without a baseline
  for a scale are left out for it. ``current_product`` is the product of the episode
  covering the visit.
- **One child at two centres**: subjects a coordinator confirmed to be one child
  (warehouse/linkage, person clusters in warehouse/store/person_links.py) share a
  ``person_sid``: a child is counted once among subjects treated, and a product
  recorded for the child at two centres counts once, from the record with the most
  administrations of it (the other record's rows of that product are left out, with
  their events). Products recorded at different centres each count: the records'
  dates are shifted by different amounts, so they are not joined into one timeline.
- **Age band**: from ``age_at_index_months`` (age at the index date, fixed over
  follow-up): <6 m, 6-23 m, 2-5 y, 6-11 y, 12-17 y, >=18 y, unknown.
"""

from __future__ import annotations

import pandas as pd

from schemas import load_reference

BASELINE_WINDOW_DAYS = 30  # baseline: last assessment in [first dose - 30 d, first dose]
AGE_BANDS: tuple[tuple[str, float | None], ...] = (
    ("<6 m", 6),
    ("6-23 m", 24),
    ("2-5 y", 72),
    ("6-11 y", 144),
    ("12-17 y", 216),
    (">=18 y", None),
)
UNKNOWN_BAND = "unknown"
MONTH_DAYS = 30.4375
ASSESSMENT_INTERVAL_DAYS = 183  # motor assessments every 6 months (SMA standards of care)
ASSESSMENT_GRACE_DAYS = 31
ON_SCHEDULE_DAYS = ASSESSMENT_INTERVAL_DAYS + ASSESSMENT_GRACE_DAYS
MOTOR_WINDOW_MONTHS = 6  # the default window of motor change: assessments every 6 months
EVENT_DIMENSIONS = ("ctcae_grade", "serious", "body_system", "coded_term")

_AGE_BAND_SQL = (
    "CASE WHEN s.age_at_index_months IS NULL THEN 'unknown' "
    + " ".join(
        f"WHEN s.age_at_index_months < {limit} THEN '{label}'"
        for label, limit in AGE_BANDS
        if limit is not None
    )
    + f" ELSE '{AGE_BANDS[-1][0]}' END"
)

# Each statement creates one temporary table from the clinical tables and the ones before.
BUILD = (
    """CREATE OR REPLACE TEMP TABLE _cg_ep0 AS
    WITH per AS (
        SELECT coalesce(m.person_id, t.subject_id) AS person, t.subject_id, t.product_id,
               count(*) AS n
        FROM treatments t LEFT JOIN _cg_person_map m USING (subject_id) GROUP BY ALL
    ),
    keep AS (
        SELECT person, product_id, arg_min(subject_id, (-n, subject_id)) AS subject_id
        FROM per GROUP BY ALL
    ),
    tr AS (
        SELECT t.subject_id, t.treatment_id, t.product_id, t.start_date, t.end_date,
               p.regimen_kind,
               (t.product_id IS DISTINCT FROM lag(t.product_id) OVER w)::INTEGER AS new_episode
        FROM treatments t JOIN products p USING (product_id)
        SEMI JOIN keep k ON k.subject_id = t.subject_id AND k.product_id = t.product_id
        WINDOW w AS (PARTITION BY t.subject_id ORDER BY t.start_date, t.treatment_id)
    )
    SELECT subject_id, episode, any_value(product_id) AS product_id,
           any_value(regimen_kind) AS regimen_kind, min(start_date) AS ep_start,
           CASE WHEN bool_or(end_date IS NULL) THEN NULL ELSE max(end_date) END AS last_end
    FROM (SELECT *, sum(new_episode) OVER (PARTITION BY subject_id
                 ORDER BY start_date, treatment_id ROWS UNBOUNDED PRECEDING) AS episode FROM tr)
    GROUP BY subject_id, episode""",
    f"""CREATE OR REPLACE TEMP TABLE _cg_fu AS
    WITH rec AS (
        SELECT subject_id, max(d) AS last_record FROM (
            SELECT subject_id, visit_date AS d FROM assessments
            UNION ALL SELECT subject_id, date FROM labs
            UNION ALL SELECT subject_id, greatest(onset_date, end_date) FROM adverse_events
            UNION ALL SELECT subject_id, visit_date FROM narratives
            UNION ALL SELECT subject_id, greatest(start_date, end_date) FROM treatments
        ) GROUP BY subject_id
    ),
    death AS (
        SELECT subject_id, min(coalesce(end_date, onset_date)) AS death_date
        FROM adverse_events WHERE outcome = 'fatal' OR list_contains(seriousness, 'death')
        GROUP BY subject_id
    ),
    firsts AS (SELECT subject_id, min(ep_start) AS first_dose FROM _cg_ep0 GROUP BY 1)
    SELECT hash(s.subject_id) AS sid,
           hash(coalesce(m.person_id, s.subject_id)) AS person_sid, s.subject_id,
           s.site_code, s.disease, s.disease_subtype, s.status,
           {_AGE_BAND_SQL} AS age_band, s.genetics IS NOT NULL AS has_genetics,
           s.age_at_index_months IS NOT NULL AS has_age, c.subject_id IS NOT NULL AS has_consent,
           c.withdrawn_date, d.death_date, f.first_dose,
           CASE WHEN f.first_dose IS NOT NULL THEN greatest(f.first_dose,
                least(coalesce(r.last_record, f.first_dose), d.death_date, c.withdrawn_date))
           END AS fu_end
    FROM subjects s LEFT JOIN firsts f USING (subject_id) LEFT JOIN rec r USING (subject_id)
    LEFT JOIN death d USING (subject_id) LEFT JOIN consents c USING (subject_id)
    LEFT JOIN _cg_person_map m USING (subject_id)""",
    """CREATE OR REPLACE TEMP TABLE _cg_episodes AS
    SELECT subject_id, sid, person_sid, site_code, disease, age_band, episode, product_id,
           ep_start,
           ep_end, next_start,
           min(ep_start) OVER (PARTITION BY subject_id, product_id) AS product_start
    FROM (
        SELECT e.*, f.sid, f.person_sid, f.site_code, f.disease, f.age_band, f.fu_end,
               lead(e.ep_start) OVER w AS next_start,
               greatest(e.ep_start, least(f.fu_end, lead(e.ep_start) OVER w,
                   CASE WHEN e.regimen_kind = 'daily' THEN e.last_end END)) AS ep_end
        FROM _cg_ep0 e JOIN _cg_fu f USING (subject_id)
        WINDOW w AS (PARTITION BY e.subject_id ORDER BY e.episode)
    ) WHERE ep_start <= fu_end AND ep_start IS DISTINCT FROM next_start""",
    # A MedDRA-coded event counts under its PT and primary SOC (from the LLT and the
    # version that coded it); an uncoded one under its list term and body system.
    """CREATE OR REPLACE TEMP TABLE _cg_events AS
    WITH llt AS (
        SELECT DISTINCT version, code, parent_code FROM meddra_terms WHERE level = 'llt'
    ),
    soc AS (
        SELECT version, pt_code, min(soc_code) AS soc_code FROM meddra_paths
        WHERE is_primary GROUP BY ALL
    ),
    coded AS (
        SELECT m.ae_id, 'PT:' || lpad(l.parent_code::VARCHAR, 8, '0') AS pt,
               'SOC:' || lpad(s.soc_code::VARCHAR, 8, '0') AS soc
        FROM ae_meddra m
        JOIN llt l ON l.version = m.meddra_version AND l.code = m.llt_code
        JOIN soc s ON s.version = m.meddra_version AND s.pt_code = l.parent_code
    ),
    a AS (
        SELECT a.ae_id, a.subject_id, a.onset_date, a.ctcae_grade, a.serious,
               coalesce(c.soc, a.body_system) AS body_system,
               coalesce(c.pt, a.coded_term) AS coded_term,
               a.outcome = 'fatal' OR list_contains(a.seriousness, 'death') AS fatal,
               f.sid, f.site_code, f.disease, f.age_band, f.first_dose, f.fu_end,
               greatest(a.onset_date, f.first_dose) AS anchor
        FROM adverse_events a JOIN _cg_fu f USING (subject_id)
        LEFT JOIN coded c ON c.ae_id = a.ae_id
        WHERE f.first_dose IS NOT NULL
    )
    SELECT a.ae_id, a.sid, a.site_code, a.disease, a.age_band, e.product_id, e.episode,
           CASE WHEN a.onset_date < a.first_dose THEN 'pre-treatment'
                WHEN a.onset_date > a.fu_end THEN 'after follow-up'
                WHEN a.onset_date > e.ep_end THEN 'off-treatment'
                ELSE 'on-treatment' END AS period,
           a.onset_date, a.onset_date - a.first_dose AS onset_day,
           a.onset_date - e.product_start AS product_day,
           a.ctcae_grade, a.serious, a.body_system, a.coded_term, coalesce(a.fatal, FALSE) AS fatal
    FROM a LEFT JOIN _cg_episodes e ON e.sid = a.sid AND e.ep_start <= a.anchor
        AND (e.next_start IS NULL OR a.anchor < e.next_start)""",
    f"""CREATE OR REPLACE TEMP TABLE _cg_subjects AS
    WITH tr AS (
        SELECT subject_id, count(*) AS n_treatments, count(lot) AS n_lot
        FROM treatments GROUP BY 1
    ),
    ae AS (
        SELECT a.subject_id, count(*) AS n_aes, count(c.ae_id) AS n_aes_assessed
        FROM adverse_events a LEFT JOIN (SELECT DISTINCT ae_id FROM ae_causality) c USING (ae_id)
        GROUP BY 1
    ),
    visits AS (
        SELECT a.subject_id, a.visit_date, f.first_dose, f.fu_end
        FROM assessments a JOIN _cg_fu f USING (subject_id) WHERE f.first_dose IS NOT NULL
    ),
    base AS (
        SELECT DISTINCT subject_id FROM visits
        WHERE visit_date BETWEEN first_dose - {BASELINE_WINDOW_DAYS} AND first_dose
    ),
    gaps AS (
        SELECT subject_id, max(d - prev) AS max_gap FROM (
            SELECT subject_id, d, lag(d) OVER (PARTITION BY subject_id ORDER BY d) AS prev
            FROM (
                SELECT subject_id, first_dose AS d FROM _cg_fu WHERE first_dose IS NOT NULL
                UNION SELECT subject_id, fu_end FROM _cg_fu WHERE first_dose IS NOT NULL
                UNION SELECT subject_id, visit_date FROM visits
                      WHERE visit_date > first_dose AND visit_date < fu_end))
        GROUP BY 1
    ),
    products AS (
        SELECT subject_id, arg_min(product_id, episode) AS first_product,
               arg_max(product_id, episode) AS last_product
        FROM _cg_episodes GROUP BY 1
    )
    SELECT f.*, p.first_product, p.last_product,
           coalesce(tr.n_treatments, 0) AS n_treatments, coalesce(tr.n_lot, 0) AS n_lot,
           coalesce(ae.n_aes, 0) AS n_aes, coalesce(ae.n_aes_assessed, 0) AS n_aes_assessed,
           b.subject_id IS NOT NULL AS has_baseline, g.max_gap
    FROM _cg_fu f LEFT JOIN products p USING (subject_id) LEFT JOIN tr USING (subject_id)
    LEFT JOIN ae USING (subject_id) LEFT JOIN base b USING (subject_id)
    LEFT JOIN gaps g USING (subject_id)""",
)

# Built after BUILD, still on the database file: what the listings and follow-up views
# need from the clinical tables, keyed by ``sid``.
BUILD_DETAILS = (
    f"""CREATE OR REPLACE TEMP TABLE _cg_motor AS
    WITH visits AS (
        SELECT f.sid, a.scale, a.score, a.visit_date - f.first_dose AS day,
               f.fu_end - f.first_dose AS last_day, a.visit_date, f.first_product
        FROM assessments a JOIN _cg_subjects f USING (subject_id)
        WHERE f.first_dose IS NOT NULL
    ),
    base AS (
        SELECT sid, scale, arg_max(score, day) AS baseline FROM visits
        WHERE day BETWEEN -{BASELINE_WINDOW_DAYS} AND 0 GROUP BY ALL
    )
    SELECT v.sid, v.scale, v.visit_date, v.day, v.score - b.baseline AS change,
           v.first_product, e.product_id AS current_product
    FROM visits v JOIN base b ON b.sid = v.sid AND b.scale = v.scale
    LEFT JOIN _cg_episodes e ON e.sid = v.sid AND e.ep_start <= v.visit_date
        AND (e.next_start IS NULL OR v.visit_date < e.next_start)
    WHERE v.day > 0 AND v.day <= v.last_day""",
    """CREATE OR REPLACE TEMP TABLE _cg_courses AS
    SELECT f.sid, p.inn, count(*) AS doses, min(t.start_date) AS course_start,
           max(t.start_date) AS last_dose, arg_max(t.product_id, t.start_date) AS product_id,
           any_value(p.loading_days) AS loading_days,
           any_value(p.maintenance_interval_months) AS interval_months
    FROM treatments t JOIN products p USING (product_id) JOIN _cg_subjects f USING (subject_id)
    WHERE p.regimen_kind = 'loading_then_maintenance'
    GROUP BY f.sid, p.inn""",
    """CREATE OR REPLACE TEMP TABLE _cg_sae AS
    WITH sae AS (
        SELECT x.ae_id, x.product_id, x.onset_date, s.subject_id, a.seriousness, a.end_date,
               a.outcome, a.action_taken
        FROM _cg_events x JOIN _cg_subjects s USING (sid) JOIN adverse_events a USING (ae_id)
        WHERE x.serious
    ),
    nar AS (
        SELECT ae_id, arg_min(text_scrubbed, (abs(offset_days), offset_days, narrative_id))
                   AS narrative,
               arg_min(offset_days, (abs(offset_days), offset_days, narrative_id))
                   AS narrative_offset_days
        FROM (SELECT s.ae_id, n.narrative_id, n.text_scrubbed,
                     n.visit_date - s.onset_date AS offset_days
              FROM sae s JOIN narratives n USING (subject_id))
        GROUP BY ae_id
    ),
    caus AS (
        SELECT c.ae_id,
               string_agg(c.product_id || ': ' || c.causality, '; ' ORDER BY c.product_id)
                   AS causality_all_products,
               any_value(c.causality) FILTER (WHERE c.product_id = s.product_id) AS causality
        FROM ae_causality c JOIN sae s USING (ae_id) GROUP BY c.ae_id
    )
    SELECT s.ae_id, array_to_string(s.seriousness, ', ') AS criteria,
           s.end_date - s.onset_date AS duration_days, s.outcome, s.action_taken,
           caus.causality, caus.causality_all_products, nar.narrative, nar.narrative_offset_days
    FROM sae s LEFT JOIN caus USING (ae_id) LEFT JOIN nar USING (ae_id)""",
    """CREATE OR REPLACE TEMP TABLE _cg_fatal_causality AS
    SELECT c.ae_id, c.product_id, c.causality
    FROM ae_causality c JOIN _cg_events x USING (ae_id) WHERE x.fatal""",
)
# Built from reference tables, not per subject: a change to them rebuilds the snapshot.
BUILD_GLOBAL = ("CREATE OR REPLACE TEMP TABLE _cg_products AS SELECT * FROM products",)
GLOBAL_TABLES = ("_cg_products",)
SCRATCH = (
    "_cg_ep0",
    "_cg_fu",
    "_cg_episodes",
    "_cg_events",
    "_cg_subjects",
    "_cg_motor",
    "_cg_courses",
    "_cg_sae",
    "_cg_fatal_causality",
    "_cg_products",
)
# Copied into the in-memory snapshot database: temporary table -> columns kept (the
# derived tables key subjects by ``sid``; only _cg_subjects and the listings' SAE rows
# hold the pseudonym).
SNAPSHOT_TABLES = {
    "_cg_subjects": "*",
    "_cg_episodes": "* EXCLUDE (subject_id)",
    "_cg_events": "*",
    "_cg_motor": "*",
    "_cg_courses": "*",
    "_cg_sae": "*",
    "_cg_fatal_causality": "*",
    "_cg_products": "*",
}


def thresholds() -> pd.DataFrame:
    """Each scale's meaningful change (schemas/reference/scales.yaml) and its better
    direction (sign +1: higher is better): the ``_cg_thresholds`` table."""
    scales = load_reference().scales
    known = scales[scales["meaningful_change"].notna()]
    return pd.DataFrame(
        {
            "scale": known["code"].astype(str).tolist(),
            "threshold": known["meaningful_change"].astype(float).tolist(),
            "sign": [1.0 if bool(h) else -1.0 for h in known["higher_is_better"]],
        }
    )


STRATA = "site_code, disease, age_band"  # every subject filter selects whole strata

# Data completeness: per group of _cg_subjects rows, how many subjects (or records)
# have each field; summed again over strata or sites by the completeness query.
COMPLETENESS_COUNTS = (
    "subjects",
    "treated",
    "consent",
    "genetics",
    "age",
    "lots",
    "treatments",
    "aes_assessed",
    "aes",
    "baseline",
    "on_schedule",
)
SUBJECT_SUMS = f"""count(*) AS subjects, count(first_dose) AS treated,
    count(*) FILTER (WHERE has_consent) AS consent,
    count(*) FILTER (WHERE has_genetics) AS genetics, count(*) FILTER (WHERE has_age) AS age,
    sum(n_lot)::BIGINT AS lots, sum(n_treatments)::BIGINT AS treatments,
    sum(n_aes_assessed)::BIGINT AS aes_assessed, sum(n_aes)::BIGINT AS aes,
    count(*) FILTER (WHERE has_baseline) AS baseline,
    count(*) FILTER (WHERE max_gap <= {ON_SCHEDULE_DAYS}) AS on_schedule"""


def _in_scope(column: str, scope: str | None) -> str:
    """SQL condition: ``column`` (a ``sid``) is in the scope table (TRUE: no scope)."""
    return f"{column} IN (SELECT sid FROM {scope})" if scope else "TRUE"


def _rates_select(dimension: str | None) -> str:
    """Per stratum, product (and category): subjects with an on-treatment event, events,
    and the days of exposure lost to each subject's first event (time at risk is
    censored there). A subject's lost days are its days on the product less the days
    before its first event; the days before an onset never decrease with the onset,
    so the smallest ``days_before`` of the subject's events is the first event's."""
    dim = f", {dimension}" if dimension else ""
    return f"""WITH per AS (
        SELECT sid, product_id{dim}, count(*) AS n, min(days_before) AS kept
        FROM _cg_event_risk GROUP BY ALL
    )
    SELECT x.site_code, x.disease, x.age_band, per.product_id{dim.replace(", ", ", per.")},
           count(*) AS subjects_with_event, sum(per.n) AS events,
           sum(x.days - per.kept) AS lost_days
    FROM per JOIN _cg_exposure x USING (sid, product_id)
    GROUP BY ALL"""


def subject_derived(scope: str | None) -> dict[str, str]:
    """Derived tables with rows per subject: table -> the SELECT of its rows for the
    subjects whose ``sid`` is in the table ``scope`` (all when None). Run in the
    in-memory snapshot database after the copied tables, before :func:`strata_derived`."""
    return {
        "_cg_exposure": f"""SELECT sid, product_id, any_value(person_sid) AS person_sid,
           any_value(site_code) AS site_code, any_value(disease) AS disease,
           any_value(age_band) AS age_band, sum(ep_end - ep_start) AS days
        FROM _cg_episodes WHERE {_in_scope("sid", scope)} GROUP BY sid, product_id""",
        # One row per treated subject who died: the earliest fatal AE, its attributed
        # product (else the subject's last product) and that product's causality.
        "_cg_deaths": f"""WITH fatal AS (
            SELECT sid, arg_min(ae_id, (onset_date, ae_id)) AS ae_id FROM _cg_events
            WHERE fatal AND {_in_scope("sid", scope)} GROUP BY sid
        ),
        d AS (
            SELECT s.subject_id, s.site_code, s.disease, s.disease_subtype, s.age_band,
                   s.status, coalesce(x.product_id, s.last_product) AS product_id,
                   s.death_date, s.death_date - s.first_dose AS death_day, x.ae_id,
                   x.coded_term AS cause_term, x.ctcae_grade, x.onset_day
            FROM _cg_subjects s LEFT JOIN fatal USING (sid)
            LEFT JOIN _cg_events x ON x.ae_id = fatal.ae_id
            WHERE s.first_dose IS NOT NULL AND (s.death_date IS NOT NULL OR s.status = 'died')
                AND {_in_scope("s.sid", scope)}
        )
        SELECT d.*, c.causality
        FROM d LEFT JOIN _cg_fatal_causality c
            ON c.ae_id = d.ae_id AND c.product_id = d.product_id""",
    }


def event_risk(scope: str | None) -> str:
    """The SELECT of each on-treatment AE (of subjects in ``scope``) with the subject's
    days on its product before the onset: the input of the rate tables."""
    dims = ", ".join(f"a.{d}" for d in EVENT_DIMENSIONS)
    return f"""SELECT a.sid, a.product_id, {dims},
           sum(greatest(0, least(x.ep_end, a.onset_date) - x.ep_start)) AS days_before
    FROM _cg_events a JOIN _cg_episodes x ON x.sid = a.sid AND x.product_id = a.product_id
    WHERE a.period = 'on-treatment' AND {_in_scope("a.sid", scope)}
    GROUP BY a.ae_id, a.sid, a.product_id, {dims}"""


def strata_derived(scope: str | None) -> dict[str, str]:
    """The whole-follow-up aggregates that the dashboard's queries use when no period
    is chosen, summed per stratum of the subject filters (site, disease, age band), so
    any subject filter is a sum over strata: table -> the SELECT of its rows from the
    subjects in the table ``scope`` (all when None; a scope holds whole strata). Needs
    ``_cg_event_risk`` (:func:`event_risk`) of the same scope."""
    tables = {
        "_cg_exposure_strata": f"""SELECT {STRATA}, product_id, count(*) AS subjects,
            sum(days) AS days
        FROM _cg_exposure WHERE {_in_scope("sid", scope)} GROUP BY ALL""",
        "_cg_rates_any": _rates_select(None),
        **{f"_cg_rates_{d}": _rates_select(d) for d in EVENT_DIMENSIONS},
        # Motor change in the default windows, one assessment per subject, scale and
        # window (the one nearest the window's centre; of two as near, the earlier),
        # grouped by the product the subject started on; then summed per stratum (n, sum
        # and sum of squares of the changes, and how many reached the scale's meaningful
        # change).
        "_cg_motor_strata": f"""WITH windows AS (
            SELECT sid, scale, month, any_value(first_product) AS product_id,
                   arg_min(change, 2 * abs(day - month * {MONTH_DAYS}::DOUBLE)
                                   + (day > month * {MONTH_DAYS}::DOUBLE)::INTEGER) AS change
            FROM (SELECT *, round(day / {MONTH_DAYS}::DOUBLE / {MOTOR_WINDOW_MONTHS})
                            * {MOTOR_WINDOW_MONTHS} AS month FROM _cg_motor
                  WHERE {_in_scope("sid", scope)})
            WHERE month >= {MOTOR_WINDOW_MONTHS}
            GROUP BY sid, scale, month
        )
        SELECT s.site_code, s.disease, s.age_band, w.product_id, w.scale, w.month,
               count(*) AS n, sum(w.change) AS sum_change, sum(w.change * w.change) AS sum_sq,
               count(*) FILTER (WHERE w.change * t.sign >= t.threshold) AS n_meaningful
        FROM windows w JOIN _cg_subjects s USING (sid)
        LEFT JOIN _cg_thresholds t USING (scale)
        GROUP BY ALL""",
        # On-treatment AEs per stratum, product and day since the product's first dose:
        # time-to-onset distributions without a period are read from these counts.
        "_cg_onset_strata": f"""SELECT {STRATA}, product_id, product_day, count(*) AS n
        FROM _cg_events WHERE period = 'on-treatment' AND {_in_scope("sid", scope)}
        GROUP BY ALL""",
        "_cg_completeness_strata": f"""SELECT {STRATA}, {SUBJECT_SUMS}
        FROM _cg_subjects WHERE {_in_scope("sid", scope)} GROUP BY ALL""",
    }
    return tables


# Derived tables with rows per subject (``sid``) and per stratum; what an incremental
# refresh (:mod:`warehouse.safety.cohort_refresh`) replaces for the subjects a write touched.
SUBJECT_DERIVED = tuple(subject_derived(None))
STRATA_DERIVED = tuple(strata_derived(None))


def derive_statements() -> tuple[str, ...]:
    """Run in the in-memory snapshot database over the copied tables (and
    ``_incoming_thresholds``): every derived table, built for all subjects."""
    return (
        "CREATE TABLE _cg_thresholds AS SELECT * FROM _incoming_thresholds",
        *(f"CREATE TABLE {t} AS {sql}" for t, sql in subject_derived(None).items()),
        "DROP TABLE _cg_fatal_causality",
        f"CREATE TEMP TABLE _cg_event_risk AS {event_risk(None)}",
        *(f"CREATE TABLE {t} AS {sql}" for t, sql in strata_derived(None).items()),
        "DROP TABLE _cg_event_risk",
    )


DERIVE = derive_statements()
