"""Safety analysis: exposure, exact rates and ratios, listings, motor change, data
completeness, overdue doses and small-count masking.

Most tests use one hand-built cohort (below) whose expected values are worked out by
hand in the comments. All its stored dates count from D0 (study day n = D0 + n days);
real cases are date-shifted per subject, which changes no interval.

    A (MSK) Spinraza days 0, 14, 28, 63, 185, switch to Lantesens days 306, 428;
            last record day 500. AEs: headache d10 (g1), back pain d20 (g2),
            post-LP syndrome d320 (g3, serious).        Spinraza 306 d, Lantesens 194 d
    B (MSK) Spinraza days 0, 14, 28 (missed the day-63 loading dose); last record
            day 365 (lab); no AEs.                      Spinraza 365 d
    C (PRM) Zolgensma day 0. Transaminases d0 (event on the day of dosing), fatal
            respiratory failure d100 ending d104 (= death). Zolgensma 104 d
    D (PRM) risdiplam course days 0-200 (closed); last record day 300. Vomiting d-10
            (pre-treatment, serious), diarrhoea d50, pyrexia d250 (off-treatment).
                                                        risdiplam 200 d
    E (MSK) Lantesens days 0, 14, 28; consent withdrawn day 40; a lab on day 60.
                                                        Lantesens 40 d
    F (PRM) never treated, no consent.
    G (PRM) Zolgensma day 0; last record day 730; no age; no AEs.  Zolgensma 730 d
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from schemas import Case
from schemas.errors import AccessDenied, CaseguardError
from tests.warehouse_fixtures import (
    SMA_GENETICS,
    admin,
    audit_rows,
    clone_db,
    coordinator,
    make_case,
    make_db,
    monitor,
    site_user,
    subject_id_for,
)
from warehouse.demo.build import create_demo
from warehouse.safety import cohort
from warehouse.safety import followup as safety_followup
from warehouse.safety.cohort_tables import EVENT_DIMENSIONS
from warehouse.safety.masking import HIDDEN, mask_counts, mask_rates, suppression
from warehouse.safety.metrics import (
    SafetyFilter,
    ae_rates,
    deaths,
    exposure,
    motor_change,
    overdue_doses,
    rate_ratios,
    sae_listing,
    site_completeness,
    time_to_onset,
    time_to_onset_windows,
)
from warehouse.safety.stats import mean_ci, poisson_ci, rate_ci, rate_ratio_ci
from warehouse.store.audit import verify
from warehouse.store.cases import add_records, save_cases
from warehouse.store.db import MEMORY, Database
from warehouse.store.migrations import migrate

D0 = dt.date(2023, 1, 1)
YEAR = 365.25
SPZ, LTS, ZOL, RIS = "NUS-SPINRAZA", "NUS-LANTESENS", "ONA-ZOLGENSMA", "RIS-EVRYSDI"


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


# --- the hand-built cohort -----------------------------------------------------------


class Builder:
    """Rows of one subject, with ids derived from the pseudonym."""

    def __init__(self, db: Database, site: str, local: str, **subject: Any) -> None:
        self.sid = subject_id_for(db, site, local)
        self.code = self.sid.split("-", 1)[1]
        self.n = 0
        self.tables: dict[str, list[dict[str, Any]]] = {"subjects": []}
        self.tables["subjects"].append(
            {
                "subject_id": self.sid,
                "site_code": site,
                "sex": "female",
                "birth_year": 2022,
                "disease": "SMA5Q",
                "genetics": SMA_GENETICS,
                "index_date": D0,
                "status": "active",
                "created_at": dt.datetime(2024, 1, 1, 9),
                "created_by": "coord",
                **subject,
            }
        )

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{self.code}-{self.n}"

    def add(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        self.tables.setdefault(table, []).append(row)
        return row

    def consent(self, withdrawn: int | None = None) -> Builder:
        self.add(
            "consents",
            {
                "subject_id": self.sid,
                "processing": True,
                "pooled_research": True,
                "publication": False,
                "signed_by": "legal_representative",
                "signed_date": day(-2),
                "withdrawn_date": None if withdrawn is None else day(withdrawn),
            },
        )
        return self

    def dose(self, product: str, start: int, end: int | None = None, **extra: Any) -> Builder:
        dose = {
            SPZ: (12.0, "mg", "intrathecal"),
            LTS: (12.0, "mg", "intrathecal"),
            ZOL: (1.1e14, "vg/kg", "intravenous"),
            RIS: (5.0, "mg", "oral"),
        }[product]
        row = {
            "treatment_id": self._id("TR"),
            "subject_id": self.sid,
            "product_id": product,
            "dose": dose[0],
            "dose_unit": dose[1],
            "route": dose[2],
            "start_date": day(start),
            "end_date": day(start if end is None else end),
            "lot": "L1",
            "switched_from": None,
            "switch_reason": None,
        }
        self.add("treatments", {**row, **extra})
        return self

    def ae(
        self,
        term: str,
        system: str,
        onset: int,
        end: int,
        grade: int,
        criteria: list[str] | None = None,
        outcome: str = "recovered",
        causality: dict[str, str] | None = None,
    ) -> Builder:
        ae_id = self._id("AE")
        self.add(
            "adverse_events",
            {
                "ae_id": ae_id,
                "subject_id": self.sid,
                "verbatim_term": term.lower(),
                "coded_term": term,
                "body_system": system,
                "onset_date": day(onset),
                "end_date": day(end),
                "ctcae_grade": grade,
                "serious": bool(criteria),
                "seriousness": criteria or [],
                "action_taken": "not_applicable",
                "outcome": outcome,
            },
        )
        for product, verdict in (causality or {}).items():
            self.add("ae_causality", {"ae_id": ae_id, "product_id": product, "causality": verdict})
        return self

    def visit(self, scale: str, at: int, score: float) -> Builder:
        self.add(
            "assessments",
            {
                "assessment_id": self._id("AS"),
                "subject_id": self.sid,
                "visit_date": day(at),
                "scale": scale,
                "score": score,
                "ventilation": None,
                "niv_hours_per_day": None,
                "feeding": None,
                "motor_function": None,
            },
        )
        return self

    def lab(self, at: int) -> Builder:
        self.add(
            "labs",
            {
                "lab_id": self._id("LB"),
                "subject_id": self.sid,
                "date": day(at),
                "test": "PLT",
                "value": 250.0,
                "unit": "10^9/L",
                "lower": 150.0,
                "upper": 450.0,
            },
        )
        return self

    def narrative(self, at: int, text: str) -> Builder:
        self.add(
            "narratives",
            {
                "narrative_id": self._id("NR"),
                "subject_id": self.sid,
                "visit_date": day(at),
                "language": "en",
                "text_scrubbed": text,
                "redaction_counts": "{}",
                "created_at": dt.datetime(2024, 1, 1, 9),
            },
        )
        return self

    def case(self) -> Case:
        return Case(**self.tables)


NERVOUS = "Nervous system disorders"
PROCEDURAL = "Injury and procedural complications"
GI = "Gastrointestinal disorders"
MUSCLE = "Musculoskeletal and connective tissue disorders"
LUNG = "Respiratory, thoracic and mediastinal disorders"
GENERAL = "General disorders and administration site conditions"


def cohort_cases(db: Database) -> dict[str, Builder]:
    a = (
        Builder(
            db, "MSK", "A", disease_subtype="1b", age_at_onset_months=2.0, age_at_index_months=5.0
        )
        .consent()
        .dose(SPZ, 0)
        .dose(SPZ, 14)
        .dose(SPZ, 28)
        .dose(SPZ, 63)
        .dose(SPZ, 185)
        .dose(LTS, 306, switched_from=SPZ, switch_reason="regional procurement of the generic")
        .dose(LTS, 428)
        .visit("CHOP-INTEND", 0, 20)
        .visit("CHOP-INTEND", 180, 22)
        .visit("CHOP-INTEND", 500, 30)
        .ae("HEADACHE", NERVOUS, 10, 11, 1, causality={SPZ: "possible"})
        .ae("BACK-PAIN", MUSCLE, 20, 22, 2, causality={SPZ: "possible"})
        .ae(
            "POST-LP-SYNDROME",
            PROCEDURAL,
            320,
            325,
            3,
            ["hospitalisation"],
            causality={LTS: "probable", SPZ: "unlikely"},
        )
        .narrative(321, "Post-LP headache after the sixth dose, resolved with bed rest.")
    )
    b = (
        Builder(
            db, "MSK", "B", disease_subtype="2a", age_at_onset_months=10.0, age_at_index_months=20.0
        )
        .consent()
        .dose(SPZ, 0)
        .dose(SPZ, 14)
        .dose(SPZ, 28, lot=None)
        .visit("CHOP-INTEND", -40, 20)
        .visit("CHOP-INTEND", -5, 30)
        .visit("CHOP-INTEND", 170, 34)
        .visit("CHOP-INTEND", 190, 35)
        .visit("CHOP-INTEND", 365, 36)
        .lab(365)
    )
    c = (
        Builder(
            db,
            "PRM",
            "C",
            disease_subtype="1c",
            age_at_onset_months=3.0,
            age_at_index_months=3.0,
            status="died",
        )
        .consent()
        .dose(ZOL, 0)
        .visit("CHOP-INTEND", 90, 25)
        .ae("TRANSAMINASES-INCREASED", "Investigations", 0, 20, 2, causality={ZOL: "probable"})
        .ae("RESPIRATORY-FAILURE", LUNG, 100, 104, 5, ["death"], "fatal", {ZOL: "unlikely"})
        .narrative(0, "Infusion tolerated.")
        .narrative(99, "Admitted with respiratory distress.")
        .narrative(101, "Ventilated in intensive care.")
    )
    d = (
        Builder(
            db,
            "PRM",
            "D",
            disease_subtype="3b",
            age_at_onset_months=50.0,
            age_at_index_months=100.0,
            birth_year=2015,
        )
        .consent()
        .dose(RIS, 0, 200)
        .visit("HFMSE", -3, 40)
        .visit("HFMSE", 300, 45)
        .ae("VOMITING", GI, -10, -8, 3, ["medically_important"], causality={RIS: "unassessable"})
        .ae("DIARRHOEA", GI, 50, 52, 1)
        .ae("PYREXIA", GENERAL, 250, 255, 1, causality={RIS: "unlikely"})
    )
    e = (
        Builder(
            db,
            "MSK",
            "E",
            disease_subtype="3a",
            age_at_onset_months=20.0,
            age_at_index_months=30.0,
            status="withdrawn",
        )
        .consent(withdrawn=40)
        .dose(LTS, 0)
        .dose(LTS, 14)
        .dose(LTS, 28)
        .lab(60)
    )
    f = Builder(
        db, "PRM", "F", disease_subtype="2b", age_at_onset_months=8.0, age_at_index_months=12.0
    )
    g = (
        Builder(
            db,
            "PRM",
            "G",
            disease_subtype="presymptomatic",
            age_at_onset_months=None,
            age_at_index_months=None,
        )
        .consent()
        .dose(ZOL, 0)
        .lab(730)
    )
    return dict(zip("ABCDEFG", (a, b, c, d, e, f, g), strict=True))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, dict[str, str]]:
    db = make_db(MEMORY, tmp_path_factory.mktemp("safety") / "keys")
    subjects = cohort_cases(db)
    save_cases(coordinator(db), [s.case() for s in subjects.values()])
    return db, {name: s.sid for name, s in subjects.items()}


@pytest.fixture
def db(built: tuple[Database, dict[str, str]]) -> Database:
    return built[0]


@pytest.fixture
def ids(built: tuple[Database, dict[str, str]]) -> dict[str, str]:
    return built[1]


def by_product(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    return {str(r["product_id"]): r for r in frame.to_dict("records")}


# --- exposure ------------------------------------------------------------------------


def test_exposure_splits_a_switch_and_counts_gene_therapy_follow_up(db: Database) -> None:
    rows = by_product(exposure(monitor(db)))
    # Spinraza: A day 0 -> switch day 306 (306 d) + B day 0 -> last record 365 (365 d).
    # Lantesens: A day 306 -> last record 500 (194 d) + E day 0 -> withdrawal 40 (40 d;
    #   the lab on day 60 comes after the withdrawal and is not follow-up).
    # Zolgensma: C infusion -> death day 104 (104 d) + G infusion -> last record 730.
    # Risdiplam: D's closed course, days 0-200 (the visit on day 300 is off treatment).
    expected = {SPZ: (2, 671), LTS: (2, 234), ZOL: (2, 834), RIS: (1, 200)}
    assert {p: (r["subjects"], r["exposure_days"]) for p, r in rows.items()} == expected
    assert rows[SPZ]["patient_years"] == pytest.approx(671 / YEAR)
    assert rows[ZOL]["median_years"] == pytest.approx((104 + 730) / 2 / YEAR)


def test_exposure_by_site_and_age_band_filter(db: Database) -> None:
    sites = exposure(monitor(db), by=("site_code",))
    assert set(zip(sites["product_id"], sites["site_code"], strict=True)) == {
        (SPZ, "MSK"),
        (LTS, "MSK"),
        (ZOL, "PRM"),
        (RIS, "PRM"),
    }
    infants = by_product(exposure(monitor(db), SafetyFilter(age_bands=("<6 m",))))
    # Under 6 months at index: A (5 m) and C (3 m) only.
    assert {p: r["exposure_days"] for p, r in infants.items()} == {SPZ: 306, LTS: 194, ZOL: 104}
    unknown = by_product(exposure(monitor(db), SafetyFilter(age_bands=("unknown",))))
    assert {p: r["exposure_days"] for p, r in unknown.items()} == {ZOL: 730}  # G has no age


def test_product_filter_keeps_switch_boundaries(db: Database) -> None:
    rows = by_product(exposure(monitor(db), SafetyFilter(products=(LTS,))))
    # A's Lantesens time still starts at the switch (day 306), not at A's first dose.
    assert list(rows) == [LTS] and rows[LTS]["exposure_days"] == 194 + 40


# --- rates ---------------------------------------------------------------------------


def test_rates_censor_at_first_event(db: Database) -> None:
    rows = by_product(ae_rates(monitor(db)))
    # Spinraza: A's events on days 10 and 20, B none. At risk: A 10 d + B 365 d.
    # Lantesens: A's event on day 320 = 14 d after the switch; E 40 d without events.
    # Zolgensma: C's first event on the infusion day (0 d at risk) + G 730 d; two events.
    # Risdiplam: diarrhoea day 50 only (vomiting is pre-treatment, pyrexia off-treatment).
    expected = {
        SPZ: (2, 1, 375, 671),
        LTS: (1, 1, 54, 234),
        ZOL: (2, 1, 730, 834),
        RIS: (1, 1, 50, 200),
    }
    for product, (events, subjects, risk_days, days) in expected.items():
        row = rows[product]
        assert (row["events"], row["subjects_with_event"]) == (events, subjects), product
        assert row["years_at_risk"] == pytest.approx(risk_days / YEAR), product
        assert row["patient_years"] == pytest.approx(days / YEAR), product
        # rates per 100 patient-years with Garwood limits, checked with scipy directly
        years = days / YEAR
        assert row["event_rate"] == pytest.approx(events / years * 100)
        assert row["event_lower"] == pytest.approx(
            stats.chi2.ppf(0.025, 2 * events) / 2 / years * 100
        )
        assert row["event_upper"] == pytest.approx(
            stats.chi2.ppf(0.975, 2 * events + 2) / 2 / years * 100
        )
        assert row["incidence_rate"] == pytest.approx(subjects / (risk_days / YEAR) * 100)


def test_rates_by_grade_censor_per_category(db: Database) -> None:
    frame = ae_rates(monitor(db), SafetyFilter(products=(SPZ,)), by=("ctcae_grade",))
    rows = {int(r["ctcae_grade"]): r for r in frame.to_dict("records")}
    # Grade 1 (day 10): A at risk 10 d; grade 2 (day 20): A at risk 20 d; B 365 d in both.
    assert rows[1]["years_at_risk"] == pytest.approx((10 + 365) / YEAR)
    assert rows[2]["years_at_risk"] == pytest.approx((20 + 365) / YEAR)
    assert all(rows[g]["patient_years"] == pytest.approx(671 / YEAR) for g in (1, 2))
    serious = ae_rates(monitor(db), by=("serious",))
    assert set(zip(serious["product_id"], serious["serious"], serious["events"], strict=True)) == {
        (SPZ, False, 2),
        (LTS, True, 1),
        (ZOL, False, 1),
        (ZOL, True, 1),
        (RIS, False, 1),
    }


def test_rates_in_a_period(db: Database) -> None:
    window = SafetyFilter(period_start=day(100), period_end=day(400))
    rows = by_product(ae_rates(monitor(db), window))
    # Spinraza: A 100-306 (206 d) + B 100-365 (265 d); A's events (days 10, 20) fall outside.
    # Lantesens: A 306-400 (94 d), event day 320 (14 d at risk); E (0-40) lies outside.
    # Zolgensma: C 100-104 (4 d), the fatal event on day 100 leaves 0 d at risk; G 300 d.
    # Risdiplam: D 100-200 (100 d), no event.
    expected = {
        SPZ: (471, 471, 0),
        LTS: (94, 14, 1),
        ZOL: (304, 300, 1),
        RIS: (100, 100, 0),
    }
    for product, (days, risk_days, events) in expected.items():
        row = rows[product]
        assert row["patient_years"] == pytest.approx(days / YEAR), product
        assert row["years_at_risk"] == pytest.approx(risk_days / YEAR), product
        assert row["events"] == events, product
    assert rows[SPZ]["event_lower"] == 0 and rows[SPZ]["event_upper"] == pytest.approx(
        3.6888794541 / (471 / YEAR) * 100
    )


def test_rate_ratio_generic_vs_reference_is_exact(db: Database) -> None:
    frame = rate_ratios(monitor(db))
    rows = {r["measure"]: r for r in frame.to_dict("records")}
    assert set(frame["generic_product_id"]) == {LTS}
    assert set(frame["reference_product_id"]) == {SPZ}
    ev = rows["event"]
    # 1 event in 234 d on Lantesens vs 2 in 671 d on Spinraza: RR = (1/234) / (2/671).
    assert ev["rate_ratio"] == pytest.approx((1 / 234) / (2 / 671))
    # Conditional method: k1 ~ Binomial(3, p); Clopper-Pearson limits of p from scipy's
    # binomtest map to RR = p / (1 - p) * t2 / t1.
    test = stats.binomtest(1, 3, p=234 / (234 + 671))
    ci = test.proportion_ci(confidence_level=0.95, method="exact")
    assert ev["ratio_lower"] == pytest.approx(ci.low / (1 - ci.low) * 671 / 234)
    assert ev["ratio_upper"] == pytest.approx(ci.high / (1 - ci.high) * 671 / 234)
    assert ev["p_value"] == pytest.approx(test.pvalue)
    inc = rows["incidence"]
    assert inc["rate_ratio"] == pytest.approx((1 / 54) / (1 / 375))


# --- statistics against published and scipy values ---------------------------------


def test_garwood_published_values() -> None:
    lower, upper = poisson_ci([0, 5])
    # Garwood (1936) exact 95 % limits, as tabulated e.g. by Ulm (1990).
    assert (lower[0], upper[0]) == (0.0, pytest.approx(3.689, abs=5e-4))
    assert (lower[1], upper[1]) == (
        pytest.approx(1.6235, abs=5e-4),
        pytest.approx(11.668, abs=5e-4),
    )


@pytest.mark.parametrize("k", [0, 1, 2, 3, 7, 20, 100])
def test_garwood_limits_are_the_poisson_tail_points(k: int) -> None:
    lower, upper = poisson_ci(k)
    # The upper limit mu makes P(X <= k) = 2.5 %, the lower one P(X >= k) = 2.5 %.
    assert stats.poisson.cdf(k, upper[0]) == pytest.approx(0.025)
    if k:
        assert stats.poisson.sf(k - 1, lower[0]) == pytest.approx(0.025)


def test_rates_and_ratios_edge_cases() -> None:
    rate, low, high = rate_ci([3, 2], [0.0, 2.0])
    assert np.isnan(rate[0]) and np.isnan(low[0])  # no time at risk: no rate
    assert rate[1] == pytest.approx(100.0) and low[1] < 100 < high[1]
    ratio, low, high, p = rate_ratio_ci([0, 4, 0], [1.0, 1.0, 1.0], [4, 0, 0], [1.0, 1.0, 1.0])
    assert (ratio[0], low[0]) == (0.0, 0.0) and np.isfinite(high[0])
    assert np.isinf(ratio[1]) and np.isinf(high[1]) and low[1] > 0
    assert np.isnan(ratio[2]) and np.isnan(p[2])


def test_mean_ci_is_students_t() -> None:
    values = np.array([2.0, 5.0, 9.0])
    lower, upper = mean_ci([values.mean()], [values.std(ddof=1)], [3])
    expected = stats.t.interval(0.95, 2, loc=values.mean(), scale=stats.sem(values))
    assert (lower[0], upper[0]) == pytest.approx(expected)
    assert np.isnan(mean_ci([1.0], [0.0], [1])[0][0])


# --- time to onset -------------------------------------------------------------------


def test_time_to_onset_counts_from_the_products_first_dose(db: Database) -> None:
    rows = by_product(time_to_onset(monitor(db)))
    # Spinraza: days 10 and 20; Lantesens: day 320 - switch day 306 = 14; Zolgensma 0, 100.
    assert (rows[SPZ]["median_days"], rows[SPZ]["min_days"], rows[SPZ]["max_days"]) == (15, 10, 20)
    assert rows[LTS]["median_days"] == 14
    assert (rows[ZOL]["events"], rows[ZOL]["subjects"], rows[ZOL]["median_days"]) == (2, 1, 50)
    windows = time_to_onset_windows(monitor(db), SafetyFilter(products=(ZOL,)))
    assert list(zip(windows["window"], windows["events"], strict=True)) == [
        ("day 0", 1),
        ("91-180 d", 1),
    ]


# --- listings ------------------------------------------------------------------------


def test_sae_listing_rows_narratives_and_audit(db: Database, ids: dict[str, str]) -> None:
    before = len(audit_rows(db))
    listing = sae_listing(monitor(db)).set_index("coded_term")
    assert sorted(listing.index) == ["POST-LP-SYNDROME", "RESPIRATORY-FAILURE", "VOMITING"]
    lp = listing.loc["POST-LP-SYNDROME"]
    assert (lp["subject_id"], lp["product_id"], lp["onset_day"], lp["period"]) == (
        ids["A"],
        LTS,
        320,
        "on-treatment",
    )
    assert lp["causality"] == "probable"
    assert lp["causality_all_products"] == f"{LTS}: probable; {SPZ}: unlikely"
    assert lp["narrative"].startswith("Post-LP headache") and lp["narrative_offset_days"] == 1
    assert lp["term"] == "Post lumbar puncture syndrome"
    death = listing.loc["RESPIRATORY-FAILURE"]
    # Narratives on days 99 and 101 are equally near the onset (day 100): the earlier wins.
    assert death["narrative"] == "Admitted with respiratory distress."
    assert (death["narrative_offset_days"], death["criteria"], death["duration_days"]) == (
        -1,
        "death",
        4,
    )
    pre = listing.loc["VOMITING"]
    assert (pre["product_id"], pre["onset_day"], pre["period"]) == (RIS, -10, "pre-treatment")
    assert pd.isna(pre["narrative"])
    entries = audit_rows(db)[before:]
    assert [(e["action"], e["row_key"]) for e in entries] == [("view_listing", "sae_listing")]
    after = json.loads(str(entries[0]["after"]))
    # as_of_seq: the last audit entry the listed data reflect (the one before this entry)
    assert after.pop("as_of_seq") == entries[0]["seq"] - 1
    assert after == {"rows": 3, "subjects": sorted([ids["A"], ids["C"], ids["D"]]), "filters": {}}
    verify(db)


def test_deaths_listing(db: Database, ids: dict[str, str]) -> None:
    frame = deaths(monitor(db))
    assert len(frame) == 1
    row = frame.iloc[0]
    assert (row["subject_id"], row["product_id"], row["death_day"], row["onset_day"]) == (
        ids["C"],
        ZOL,
        104,
        100,
    )
    assert (row["cause_term"], row["ctcae_grade"], row["causality"]) == (
        "RESPIRATORY-FAILURE",
        5,
        "unlikely",
    )
    assert audit_rows(db)[-1]["row_key"] == "deaths"
    assert deaths(monitor(db), SafetyFilter(products=(SPZ,))).empty


# --- motor scales --------------------------------------------------------------------


def test_motor_change_from_baseline(db: Database) -> None:
    frame = motor_change(monitor(db))
    rows = {(r["product_id"], r["scale"], r["month"]): r for r in frame.to_dict("records")}
    # Baselines: A day 0 (20); B day -5 (30; day -40 is outside the 30-day window);
    # D day -3 (40). C's only visit (day 90) has no baseline.
    # Month 6 (window centred on day 182.6): A day 180 (+2); B day 190 (+5) is nearer
    # than day 170. Month 12: B day 365 (+6). Month 18: A day 500 (+10).
    assert set(rows) == {
        (SPZ, "CHOP-INTEND", 6),
        (SPZ, "CHOP-INTEND", 12),
        (SPZ, "CHOP-INTEND", 18),
        (RIS, "HFMSE", 12),
    }
    six = rows[(SPZ, "CHOP-INTEND", 6)]
    assert (six["n"], six["mean_change"]) == (2, 3.5)
    assert six["sd_change"] == pytest.approx(np.std([2, 5], ddof=1))
    half = stats.t.ppf(0.975, 1) * np.std([2, 5], ddof=1) / np.sqrt(2)
    assert (six["ci_lower"], six["ci_upper"]) == pytest.approx((3.5 - half, 3.5 + half))
    # CHOP INTEND's meaningful change is 4 points (scales.yaml): B reaches it, A does not.
    assert (six["meaningful_change"], six["n_meaningful"], six["share_meaningful"]) == (4, 1, 0.5)
    assert np.isnan(rows[(SPZ, "CHOP-INTEND", 12)]["ci_lower"])  # one subject
    hfmse = rows[(RIS, "HFMSE", 12)]  # day 300 = 9.9 months -> window 12; +5 >= 3 points
    assert (hfmse["mean_change"], hfmse["share_meaningful"]) == (5, 1.0)


def test_motor_change_by_current_product(db: Database) -> None:
    frame = motor_change(monitor(db), attribution="current")
    keys = set(zip(frame["product_id"], frame["month"], strict=True))
    assert (LTS, 18) in keys and (SPZ, 18) not in keys  # A's day-500 visit is on Lantesens
    with pytest.raises(CaseguardError):
        motor_change(monitor(db), bin_months=0)


# --- completeness and overdue doses --------------------------------------------------


def test_overdue_doses(db: Database, ids: dict[str, str]) -> None:
    early = overdue_doses(monitor(db), as_of=day(100))
    # B had 3 of the 4 loading doses: the 4th was due on day 63, 37 days before as_of.
    # A's next dose (7 doses incl. the Lantesens ones; the switch does not restart
    # loading) is due on day 428 + 122 = 550. E withdrew; C, G are on gene therapy.
    assert early["subject_id"].tolist() == [ids["B"]]
    b = early.iloc[0]
    assert (b["doses"], b["last_dose_day"], b["next_due_day"], b["days_overdue"]) == (3, 28, 63, 37)
    assert b["next_due_date"] == pd.Timestamp(day(63))
    assert bool(b["seen_after_due"]) and bool(b["shift_sensitive"])
    late = overdue_doses(monitor(db), as_of=day(600))
    assert late["subject_id"].tolist() == [ids["B"], ids["A"]]
    a = late.iloc[1]
    assert (a["product_id"], a["next_due_day"], a["days_overdue"]) == (LTS, 550, 50)
    assert not bool(a["seen_after_due"])  # last record day 500, before the due date
    assert not bool(late.iloc[0]["shift_sensitive"])  # 537 days: overdue whatever the shift
    assert audit_rows(db)[-1]["row_key"] == "overdue_doses"


def test_site_completeness(db: Database) -> None:
    frame = site_completeness(monitor(db), as_of=day(100)).set_index("site_code")
    msk, prm = frame.loc["MSK"], frame.loc["PRM"]
    assert (msk["subjects"], prm["subjects"]) == (3, 4)
    assert (msk["pct_treated"], prm["pct_treated"]) == (100, 75)  # F never treated
    assert (msk["pct_consent"], prm["pct_consent"]) == (100, 75)  # F has no consent
    assert prm["pct_age"] == 75  # G
    assert msk["pct_lot"] == pytest.approx(100 * 12 / 13)  # one of 13 MSK doses has no lot
    assert prm["pct_causality"] == 80  # D's diarrhoea has no causality (4 of 5)
    # fields: consent + genetics + age per subject, lots, causality: MSK 24/25, PRM 17/20
    assert (msk["pct_fields"], prm["pct_fields"]) == (pytest.approx(96), pytest.approx(85))
    # baseline: A, B of A, B, E; D of C, D, G
    assert (msk["pct_baseline"], prm["pct_baseline"]) == (
        pytest.approx(200 / 3),
        pytest.approx(100 / 3),
    )
    # on schedule (no gap > 214 d): B (170/20/175), E (40); C (90/14). A has 180 then 320,
    # D 300 (no visit during follow-up), G 730.
    assert (msk["pct_on_schedule"], prm["pct_on_schedule"]) == (
        pytest.approx(200 / 3),
        pytest.approx(100 / 3),
    )
    assert (msk["overdue_doses"], prm["overdue_doses"]) == (1, 0)


# --- access --------------------------------------------------------------------------


def test_site_user_sees_own_site_only(db: Database) -> None:
    rows = exposure(site_user(db, "MSK"))
    assert set(rows["product_id"]) == {SPZ, LTS}
    assert sae_listing(site_user(db, "PRM"))["site_code"].unique().tolist() == ["PRM"]
    before = len(audit_rows(db))
    with pytest.raises(AccessDenied):
        ae_rates(site_user(db, "MSK"), SafetyFilter(sites=("PRM",)))
    assert [e["action"] for e in audit_rows(db)[before:]] == ["access_denied"]


def test_admin_sees_no_safety_data(db: Database) -> None:
    with pytest.raises(AccessDenied):
        ae_rates(admin(db))
    with pytest.raises(AccessDenied):
        sae_listing(admin(db))


def test_bad_arguments_are_refused(db: Database) -> None:
    with pytest.raises(CaseguardError):
        SafetyFilter(age_bands=("toddler",))
    with pytest.raises(CaseguardError):
        SafetyFilter(period_start=day(10), period_end=day(1))
    with pytest.raises(CaseguardError):
        ae_rates(monitor(db), by=("shoe_size",))


# --- the snapshot follows every write ------------------------------------------------


def test_snapshot_is_rebuilt_after_a_write_but_not_after_a_read(tmp_path: Path) -> None:
    db = make_db(MEMORY, tmp_path / "keys")
    case = make_case(db, "MSK", "PAT-1", minimal=True)
    save_cases(coordinator(db), [case])
    sid, start = case.subject["subject_id"], case.treatments[0]["start_date"]
    assert exposure(monitor(db))["exposure_days"].tolist() == [0]
    visit = {
        "assessment_id": "AS-SNAP-0001",
        "subject_id": sid,
        "visit_date": start + dt.timedelta(days=100),
        "scale": "CHOP-INTEND",
        "score": 30.0,
        "ventilation": None,
        "niv_hours_per_day": None,
        "feeding": None,
        "motor_function": None,
    }
    add_records(site_user(db), sid, {"assessments": [visit]})
    assert exposure(monitor(db))["exposure_days"].tolist() == [100]
    with db.connect() as conn:
        db_id = str(conn.execute("SELECT value FROM _meta").fetchall()[0][0])
    snap = cohort._cache[db_id]
    sae_listing(monitor(db))  # writes only a read-audit entry
    exposure(monitor(db))
    assert cohort._cache[db_id] is snap


def test_snapshot_is_not_reused_for_a_restored_copy(tmp_path: Path) -> None:
    db = make_db(tmp_path / "live.duckdb", tmp_path / "keys")
    save_cases(coordinator(db), [make_case(db, "MSK", "PAT-1", minimal=True)])
    backup = clone_db(db, tmp_path / "backup")  # same database id, one subject
    save_cases(coordinator(db), [make_case(db, "PRM", "PAT-2", minimal=True)])
    assert exposure(monitor(db))["subjects"].sum() == 2
    # The backup's history ends before the entry the cached snapshot had seen.
    assert exposure(monitor(backup))["subjects"].sum() == 1


# --- masking -------------------------------------------------------------------------


def test_mask_counts_hides_small_cells_and_a_complement() -> None:
    table = pd.DataFrame(
        {"Spinraza": [3, 20, 0], "Lantesens": [15, 12, 40], "Zolgensma": [30, 10, 7]},
        index=["headache", "back pain", "vomiting"],
    )
    shown = mask_counts(table)
    assert shown.loc["headache", "Spinraza"] == "<5"
    # headache: 3 hidden, total 48 shown -> a second headache cell must be hidden too
    assert sum(v in ("<5", HIDDEN) for v in shown.loc["headache"]) >= 2
    assert shown.loc["vomiting", "Spinraza"] == 0  # zeros stay
    assert shown.loc["Total", "Total"] == 137
    assert mask_counts(table, mask_zero=True).loc["vomiting", "Spinraza"] == "<5"
    with pytest.raises(CaseguardError):
        mask_counts(pd.DataFrame({"x": [1.5]}))


def test_mask_rates_blanks_rates_of_hidden_counts(db: Database) -> None:
    shown = mask_rates(ae_rates(monitor(db))).set_index("product_id")
    assert shown.loc[SPZ, "events"] == "<5" and shown.loc[SPZ, "event_rate"] is None
    assert shown.loc[SPZ, "patient_years"] == pytest.approx(671 / YEAR)


def _equations(extended: np.ndarray, hidden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and column sums as equations in the hidden entries: A x = b."""
    cells = [tuple(ij) for ij in np.argwhere(hidden)]
    n_rows, n_cols = extended.shape
    lines = [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
    lines += [[(i, j) for i in range(n_rows)] for j in range(n_cols)]
    matrix, rhs = [], []
    for line in lines:
        coefficients, known = np.zeros(len(cells)), 0.0
        for k, (i, j) in enumerate(line):
            sign = -1.0 if k == len(line) - 1 else 1.0  # the last entry is the total
            if hidden[i, j]:
                coefficients[cells.index((i, j))] += sign
            else:
                known += sign * extended[i, j]
        matrix.append(coefficients)
        rhs.append(-known)
    return np.array(matrix), np.array(rhs)


small_tables = st.integers(1, 6).flatmap(
    lambda rows: st.integers(1, 6).flatmap(
        lambda cols: st.lists(
            st.lists(
                st.one_of(st.integers(0, 6), st.integers(0, 60)), min_size=cols, max_size=cols
            ),
            min_size=rows,
            max_size=rows,
        )
    )
)


@settings(max_examples=300, deadline=None)
@given(small_tables, st.booleans())
def test_no_masked_value_can_be_recovered(values: list[list[int]], mask_zero: bool) -> None:
    table = pd.DataFrame(values)
    shown = mask_counts(table, mask_zero=mask_zero).to_numpy()
    extended, primary, complementary = suppression(np.array(values), mask_zero=mask_zero)
    hidden = primary | complementary
    # every small count is hidden as "<5", everything shown is the true count
    small = (extended < 5) & ((extended > 0) | mask_zero)
    assert np.array_equal(small, primary)
    assert all(shown[i, j] == "<5" for i, j in np.argwhere(primary))
    assert all(shown[i, j] == HIDDEN for i, j in np.argwhere(complementary))
    assert all(shown[i, j] == extended[i, j] for i, j in np.argwhere(~hidden))
    # no row or column (totals included) has exactly one hidden entry ...
    assert not (hidden.sum(axis=0) == 1).any() and not (hidden.sum(axis=1) == 1).any()
    # ... and no hidden entry follows from any combination of the shown sums: its unit
    # vector is not in the row space of the equations in the hidden entries.
    if hidden.any():
        matrix, _ = _equations(extended, hidden)
        rank = np.linalg.matrix_rank(matrix)
        for k in range(int(hidden.sum())):
            unit = np.zeros(matrix.shape[1])
            unit[k] = 1.0
            assert np.linalg.matrix_rank(np.vstack([matrix, unit])) > rank


# --- the demo data -------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    root = tmp_path_factory.mktemp("safety-demo")
    db = Database(MEMORY, key_dir=root / "keys")
    migrate(db)
    create_demo(db, subjects=300, seed=11)
    return db


def _follow_up_days(db: Database) -> int:
    """Total first dose -> end of follow-up, computed in pandas from the raw tables."""
    with db.connect() as conn:
        dates = conn.execute(
            """SELECT subject_id, visit_date AS d FROM assessments
               UNION ALL SELECT subject_id, date FROM labs
               UNION ALL SELECT subject_id, onset_date FROM adverse_events
               UNION ALL SELECT subject_id, end_date FROM adverse_events
               UNION ALL SELECT subject_id, visit_date FROM narratives
               UNION ALL SELECT subject_id, start_date FROM treatments
               UNION ALL SELECT subject_id, end_date FROM treatments"""
        ).df()
        first = conn.execute("SELECT subject_id, start_date FROM treatments").df()
        stops = conn.execute(
            """SELECT subject_id, withdrawn_date AS d FROM consents WHERE withdrawn_date IS NOT NULL
               UNION ALL SELECT subject_id, end_date FROM adverse_events WHERE outcome = 'fatal'"""
        ).df()
    last = dates.dropna().groupby("subject_id")["d"].max()
    stop = stops.groupby("subject_id")["d"].min().reindex(last.index)
    end = pd.concat([last, stop], axis=1).min(axis=1)
    start = first.groupby("subject_id")["start_date"].min()
    return int((end.reindex(start.index) - start).dt.days.clip(lower=0).sum())


def test_demo_data_runs_and_is_sane(demo_db: Database) -> None:
    session = monitor(demo_db)
    expo = exposure(session)
    assert (expo["patient_years"] > 0).all()
    # The demo closes oral courses only at withdrawal, so exposure covers follow-up
    # exactly, without gaps or overlaps.
    assert int(expo["exposure_days"].sum()) == _follow_up_days(demo_db)
    rates = ae_rates(session)
    assert (rates["event_rate"] > 0).all()
    for name in ("incidence", "event"):
        assert (rates[f"{name}_lower"] <= rates[f"{name}_rate"]).all()
        assert (rates[f"{name}_rate"] <= rates[f"{name}_upper"]).all()
    assert (rates["years_at_risk"] <= rates["patient_years"]).all()
    assert (rates["subjects_with_event"] <= rates["subjects"]).all()
    by_site = ae_rates(session, by=("site_code",))
    assert by_site.groupby("product_id")["events"].sum().to_dict() == dict(
        zip(rates["product_id"], rates["events"], strict=True)
    )
    by_term = ae_rates(session, by=("coded_term",))
    assert (by_term["incidence_lower"] <= by_term["incidence_upper"]).all()
    ratios = rate_ratios(session)
    assert (
        (ratios["ratio_lower"] <= ratios["rate_ratio"])
        & (ratios["rate_ratio"] <= ratios["ratio_upper"])
    ).all()
    assert (time_to_onset(session)["min_days"] >= 0).all()
    motor = motor_change(session)
    assert (motor["n"] > 0).all() and motor["scale"].isin(["CHOP-INTEND", "HFMSE"]).any()
    listing = sae_listing(session)
    with demo_db.connect() as conn:
        serious = conn.execute("SELECT count(*) FROM adverse_events WHERE serious").fetchall()[0][0]
    assert len(listing) == serious
    completeness = site_completeness(session, as_of=dt.date(2026, 10, 31))
    assert completeness["subjects"].sum() == 300
    pivot = by_term.pivot_table(
        index="coded_term", columns="product_id", values="events", fill_value=0
    )
    masked = mask_counts(pivot.astype(int))
    assert masked.shape == (pivot.shape[0] + 1, pivot.shape[1] + 1)


# Without a period, rates and motor change come from the snapshot's whole-follow-up
# aggregates; a period that covers every date goes the general way (clipping each
# episode and event). Both must agree exactly.
WHOLE_TIME = {"period_start": dt.date(1900, 1, 1), "period_end": dt.date(2200, 1, 1)}


@pytest.mark.parametrize(
    "by",
    [
        (),
        ("ctcae_grade",),
        ("serious",),
        ("body_system",),
        ("coded_term",),
        ("age_band",),
        ("site_code", "coded_term"),
        ("disease", "serious"),
    ],
)
@pytest.mark.parametrize(
    "fields",
    [{}, {"sites": ("MSK",)}, {"age_bands": ("2-5 y", "6-11 y")}, {"disease": "SMA5Q"}],
    ids=["all", "msk", "children", "sma"],
)
def test_whole_follow_up_aggregates_agree_with_the_general_query(
    demo_db: Database, by: tuple[str, ...], fields: dict[str, Any]
) -> None:
    session = monitor(demo_db)
    products = tuple(exposure(session)["product_id"])[:2]
    for extra in ({}, {"products": products}):
        whole, clipped = (
            SafetyFilter(**fields, **extra),
            SafetyFilter(**fields, **extra, **WHOLE_TIME),
        )
        checks = [(ae_rates, by)]
        if not set(by) & set(EVENT_DIMENSIONS):
            checks += [(exposure, by), (time_to_onset, by), (time_to_onset_windows, by)]
        for func, dims in checks:
            fast, general = func(session, whole, dims), func(session, clipped, dims)
            assert len(fast) > 0, func.__name__
            pd.testing.assert_frame_equal(fast, general, check_dtype=False, obj=func.__name__)


@pytest.mark.parametrize("attribution", ["initial", "current"])
def test_motor_change_without_a_period_agrees_with_the_general_query(
    demo_db: Database, attribution: str
) -> None:
    session = monitor(demo_db)
    for fields in ({}, {"sites": ("MSK",)}, {"products": ("NUS-SPINRAZA",)}):
        fast = motor_change(session, SafetyFilter(**fields), attribution=attribution)
        general = motor_change(
            session, SafetyFilter(**fields, **WHOLE_TIME), attribution=attribution
        )
        assert len(fast) > 0
        pd.testing.assert_frame_equal(fast, general, check_dtype=False)


def test_completeness_from_totals_agrees_with_the_general_query(
    demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, as_of = monitor(demo_db), dt.date(2026, 10, 31)
    filters = [SafetyFilter(), SafetyFilter(sites=("MSK",)), SafetyFilter(age_bands=("2-5 y",))]
    fast = [site_completeness(session, as_of, f) for f in filters]
    monkeypatch.setattr(safety_followup, "_totals_answer", lambda: False)
    for f, expected in zip(filters, fast, strict=True):
        assert len(expected) > 0
        general = site_completeness(session, as_of, f)
        pd.testing.assert_frame_equal(expected, general, check_dtype=False)
