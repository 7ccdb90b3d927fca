"""Synthetic demo data: five centres, their accounts and realistic subject histories.

Everything is drawn from one seeded random generator, so the same seed gives the
same clinical content; pseudonyms additionally depend on the site keys. Local ids
(``DEMO-<SITE>-<n>``) are pseudonymised like real ones and never stored.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from anonymise import pseudonymise
from schemas import Case, load_reference
from warehouse.demo import profiles as P
from warehouse.demo.linkage import link_demo
from warehouse.store.access import Session, system_session
from warehouse.store.admin import add_site, add_user, list_sites, sync_products
from warehouse.store.cases import save_cases
from warehouse.store.db import Database, one
from warehouse.store.site_keys import public_pem, register_site

DATA_CUT = dt.date(2026, 10, 31)
LANTESENS_FROM = dt.date(2025, 1, 15)
REF = load_reference()


def _pick(rng: random.Random, weights: dict[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _months(days: int) -> float:
    return round(days / 30.4375, 1)


@dataclass
class _History:
    """Real (unshifted) dates and rows of one synthetic subject, built step by step."""

    rng: random.Random
    code: str
    subject_id: str
    first_dose: dt.date
    end: dt.date
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    counter: int = 0

    def add(self, table: str, prefix: str, row: dict[str, Any]) -> dict[str, Any]:
        self.counter += 1
        key = {
            "treatments": "treatment_id",
            "assessments": "assessment_id",
            "labs": "lab_id",
            "adverse_events": "ae_id",
            "narratives": "narrative_id",
        }[table]
        full = {
            key: f"{prefix}-{self.code}-{self.counter:03d}",
            "subject_id": self.subject_id,
            **row,
        }
        self.rows.setdefault(table, []).append(full)
        return full


def _dose_days(
    product: dict[str, Any], start: dt.date, end: dt.date, rng: random.Random
) -> list[dt.date]:
    if product["regimen_kind"] == "single_dose":
        return [start]
    if product["regimen_kind"] == "daily":
        return [start]  # one row per oral course
    days = [start + dt.timedelta(days=int(d)) for d in product["loading_days"]]
    interval = float(product["maintenance_interval_months"] or 6)
    while days[-1] + dt.timedelta(days=int(interval * 30.4)) <= end:
        days.append(days[-1] + dt.timedelta(days=int(interval * 30.4) + rng.randint(-10, 14)))
    return [d for d in days if d <= end]


def _treatments(h: _History, inn: str, age_months: float) -> None:
    rng = h.rng
    if inn == "nusinersen":
        naive_generic = h.first_dose >= LANTESENS_FROM and rng.random() < 0.5
        switch = not naive_generic and rng.random() < 0.45
        spec = REF.product("NUS-SPINRAZA")
        current, switched = ("NUS-LANTESENS" if naive_generic else "NUS-SPINRAZA"), False
        for day in _dose_days(spec, h.first_dose, h.end, rng):
            row = {
                "product_id": current,
                "dose": 12.0,
                "dose_unit": "mg",
                "route": "intrathecal",
                "start_date": day,
                "end_date": day,
                "lot": f"L{rng.randint(100000, 999999)}",
                "switched_from": None,
                "switch_reason": None,
            }
            if (
                switch
                and not switched
                and day >= LANTESENS_FROM
                and day > h.first_dose + dt.timedelta(days=63)
            ):
                reason = rng.choice(
                    [
                        "regional procurement of the generic",
                        "supply of the reference product interrupted",
                    ]
                )
                row.update(
                    product_id="NUS-LANTESENS", switched_from="NUS-SPINRAZA", switch_reason=reason
                )
                current, switched = "NUS-LANTESENS", True
            h.add("treatments", "TR", row)
    elif inn == "onasemnogene abeparvovec":
        h.add(
            "treatments",
            "TR",
            {
                "product_id": "ONA-ZOLGENSMA",
                "dose": 1.1e14,
                "dose_unit": "vg/kg",
                "route": "intravenous",
                "start_date": h.first_dose,
                "end_date": h.first_dose,
                "lot": f"ZG{rng.randint(1000, 9999)}",
                "switched_from": None,
                "switch_reason": None,
            },
        )
    elif inn == "risdiplam":
        dose, unit = (
            (0.15, "mg/kg")
            if age_months < 2
            else (0.2, "mg/kg")
            if age_months < 24
            else (0.25, "mg/kg")
            if age_months < 72
            else (5.0, "mg")
        )
        ended = h.end if h.end < DATA_CUT else None
        h.add(
            "treatments",
            "TR",
            {
                "product_id": "RIS-EVRYSDI",
                "dose": dose,
                "dose_unit": unit,
                "route": "oral",
                "start_date": h.first_dose,
                "end_date": ended,
                "lot": f"RS{rng.randint(1000, 9999)}",
                "switched_from": None,
                "switch_reason": None,
            },
        )
    else:
        for day in _dose_days(
            {
                "regimen_kind": "loading_then_maintenance",
                "loading_days": [0],
                "maintenance_interval_months": 6,
            },
            h.first_dose,
            h.end,
            rng,
        ):
            h.add(
                "treatments",
                "TR",
                {
                    "product_id": "SEN-SENIPRUTUG",
                    "dose": 7.0,
                    "dose_unit": "mg/kg",
                    "route": "intravenous",
                    "start_date": day,
                    "end_date": day,
                    "lot": f"SN{rng.randint(1000, 9999)}",
                    "switched_from": None,
                    "switch_reason": None,
                },
            )


def _visits(
    h: _History, scale_plan: Mapping[str, tuple[tuple[float, float], float]], status: dict[str, Any]
) -> None:
    rng, day = h.rng, h.first_dose
    baselines = {s: rng.uniform(*rng_range) for s, (rng_range, _) in scale_plan.items()}
    # each child's response to treatment drifts slowly from visit to visit (a fresh factor
    # per visit made scores jump more between two visits than any real child's do)
    response: dict[str, float] = {}
    while day <= h.end:
        years = (day - h.first_dose).days / 365.25
        for scale, (_, gain) in scale_plan.items():
            spec = REF.scale(scale)
            draw = rng.uniform(0.3, 1.4)
            response[scale] = 0.85 * response.get(scale, draw) + 0.15 * draw
            value = baselines[scale] + gain * years * response[scale] + rng.gauss(0, 1.5)
            value = max(
                spec["min"],
                value
                if spec["max"] is None or spec["max"] != spec["max"]
                else min(spec["max"], value),
            )
            h.add(
                "assessments",
                "AS",
                {
                    "visit_date": day,
                    "scale": scale,
                    "score": float(round(value)) if spec["integer"] else round(value, 1),
                    **status,
                },
            )
        day += dt.timedelta(days=rng.randint(110, 190))


def _labs(h: _History, tests: list[str], every_days: int) -> None:
    rng, day = h.rng, h.first_dose
    while day <= h.end:
        for test in tests:
            spec = dict(REF.lab_tests.loc[test])
            lo, hi = float(spec["lower"]), float(spec["upper"])
            value = max(
                0.0,
                rng.gauss((lo + hi) / 2, (hi - lo) / 3.5) * (1.6 if rng.random() < 0.05 else 1.0),
            )
            h.add(
                "labs",
                "LB",
                {
                    "date": day,
                    "test": test,
                    "value": round(value, 2),
                    "unit": spec["unit"],
                    "lower": lo,
                    "upper": hi,
                },
            )
        day += dt.timedelta(days=every_days + rng.randint(0, 30))


def _adverse_events(
    h: _History, profiles: list[tuple[str, float, dict[int, float], float]], products: list[str]
) -> dt.date | None:
    """Add AEs; return the death date if one was fatal."""
    rng, years = h.rng, max((h.end - h.first_dose).days, 1) / 365.25
    death: dt.date | None = None
    events = []
    for term, rate, grades, serious_chance in profiles:
        for _ in range(sum(1 for _ in range(10) if rng.random() < rate * years / 10)):
            onset = h.first_dose + dt.timedelta(days=rng.randint(0, max(int(years * 365), 1)))
            events.append((onset, term, _pick(rng, grades), rng.random() < serious_chance))
    for onset, term, grade, serious in sorted(events):
        if death and onset > death:
            break
        criteria = (
            ["death"]
            if grade == 5
            else ["life_threatening", "hospitalisation"]
            if grade == 4
            else [rng.choice(["hospitalisation", "medically_important"])]
            if serious or grade >= 3 and rng.random() < 0.5
            else []
        )
        end = onset + dt.timedelta(days=rng.randint(1, 30) if grade < 5 else rng.randint(0, 5))
        outcome = (
            "fatal"
            if grade == 5
            else (
                "recovering"
                if end > h.end
                else "recovered_with_sequelae"
                if grade >= 3 and rng.random() < 0.1
                else "recovered"
            )
        )
        term_row = REF.ae_terms.loc[term]
        given = [
            p
            for p in products
            if any(
                t["product_id"] == p and t["start_date"] <= onset
                for t in h.rows.get("treatments", [])
            )
        ] or products[:1]
        ae = h.add(
            "adverse_events",
            "AE",
            {
                "verbatim_term": term_row["term_ru"] if rng.random() < 0.7 else term_row["term_en"],
                "coded_term": term,
                "body_system": term_row["body_system_en"],
                "onset_date": onset,
                "end_date": None if outcome == "recovering" else end,
                "ctcae_grade": grade,
                "serious": bool(criteria),
                "seriousness": criteria,
                "action_taken": "not_applicable"
                if given == ["ONA-ZOLGENSMA"]
                else rng.choice(["dose_not_changed"] * 6 + ["unknown"]),
                "outcome": outcome,
            },
        )
        for product in given:
            h.rows.setdefault("ae_causality", []).append(
                {
                    "ae_id": ae["ae_id"],
                    "product_id": product,
                    "causality": _pick(
                        rng,
                        {"possible": 0.4, "unlikely": 0.3, "probable": 0.2, "unassessable": 0.1},
                    ),
                }
            )
        if grade == 5:
            death = end
    return death


def _truncate(h: _History, death: dt.date) -> None:
    h.end = death
    date_of = {"treatments": "start_date", "assessments": "visit_date", "labs": "date"}
    for table, col in date_of.items():
        h.rows[table] = [r for r in h.rows.get(table, []) if r[col] <= death]
    for row in h.rows.get("treatments", []):
        if row["end_date"] is None or row["end_date"] > death:
            row["end_date"] = death
    for ae in h.rows.get("adverse_events", []):
        if ae["outcome"] == "recovering" or (
            ae["end_date"] and ae["end_date"] > death and ae["outcome"] != "fatal"
        ):
            ae.update(outcome="unknown", end_date=None)


def _shift_rows(rows: dict[str, list[dict[str, Any]]], days: int) -> None:
    delta = dt.timedelta(days=days)
    for table_rows in rows.values():
        for row in table_rows:
            for key, value in row.items():
                if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                    row[key] = value + delta


def _narratives(h: _History, language: str, subtype: str, product: str, age: float) -> None:
    rng = h.rng
    aes = h.rows.get("adverse_events", [])
    scales = sorted({a["scale"] for a in h.rows.get("assessments", [])}) or ["HFMSE"]
    for template in rng.sample(P.NARRATIVES[language], k=rng.randint(1, 2)):
        ae = rng.choice(aes) if aes else None
        text = template.format(
            age=int(age),
            subtype=subtype,
            product=product,
            scale=scales[0],
            term=ae["verbatim_term"] if ae else "головная боль",
            grade=ae["ctcae_grade"] if ae else 1,
        )
        counts = {
            kind: text.count(f"[{kind}]")
            for kind in ("PERSON", "LOCATION", "PHONE", "DATE")
            if f"[{kind}]" in text
        }
        day = min(
            h.end,
            h.first_dose + dt.timedelta(days=rng.randint(0, max((h.end - h.first_dose).days, 0))),
        )
        h.add(
            "narratives",
            "NR",
            {
                "visit_date": day,
                "language": language,
                "text_scrubbed": text,
                "redaction_counts": json.dumps(counts),
                "created_at": dt.datetime.combine(day, dt.time(12)),
            },
        )


def _sma_plan(rng: random.Random) -> tuple[str, float | None, float, str, str]:
    subtype = _pick(rng, {k: v[0] for k, v in P.SMA_TYPES.items()})
    _, (lo, hi), (start_lo, start_hi), copies = P.SMA_TYPES[subtype]
    onset = None if lo is None or hi is None else round(rng.uniform(lo, hi), 1)
    age = max(rng.uniform(start_lo, start_hi), (onset or 0) + 1)
    young = age <= 24 and subtype in ("1a", "1b", "1c", "presymptomatic")
    inn = _pick(
        rng,
        {"onasemnogene abeparvovec": 0.3, "nusinersen": 0.5, "risdiplam": 0.2}
        if young
        else {"nusinersen": 0.65, "risdiplam": 0.35},
    )
    return subtype, onset, round(age, 1), _pick(rng, copies), inn


def build_case(rng: random.Random, site: str, site_key: bytes, number: int, user: str) -> Case:
    """One synthetic subject's whole case, pseudonymised and date-shifted."""
    pseudo = pseudonymise(site_key, site, f"DEMO-{site}-{number:05d}")
    is_sma = not (site == "MSK" and rng.random() < 0.25)
    if is_sma:
        subtype, onset, age, copies, inn = _sma_plan(rng)
        disease, genetics = (
            "SMA5Q",
            {
                "smn1_status": _pick(
                    rng, {"homozygous_deletion": 0.95, "compound_heterozygous": 0.04, "other": 0.01}
                ),
                "smn2_copies": copies,
            },
        )  # noqa: E501
    else:
        subtype, onset, age, inn = (
            _pick(rng, {"r-axSpA": 0.8, "nr-axSpA": 0.2}),
            round(rng.uniform(216, 420), 1),
            0.0,
            "seniprutug",
        )  # noqa: E501
        age, disease, genetics = (
            round(onset + rng.uniform(12, 180), 1),
            "AS",
            {"hla_b27": _pick(rng, {"positive": 0.85, "negative": 0.1, "unknown": 0.05})},
        )  # noqa: E501
    earliest = {
        "nusinersen": dt.date(2019, 9, 1),
        "onasemnogene abeparvovec": dt.date(2020, 6, 1),
        "risdiplam": dt.date(2021, 1, 1),
        "seniprutug": dt.date(2025, 6, 1),
    }[inn]
    first = earliest + dt.timedelta(days=rng.randint(0, max((DATA_CUT - earliest).days - 60, 1)))
    h = _History(rng, pseudo.subject_id.split("-")[1], pseudo.subject_id, first, DATA_CUT)
    group = "presymptomatic" if subtype == "presymptomatic" else subtype[0] if is_sma else "AS"
    birth = first - dt.timedelta(days=int(age * 30.4375))
    status = _status(rng, group)
    withdrawn = number % 97 == 7 or rng.random() < 0.01
    if withdrawn:
        h.end = min(DATA_CUT, first + dt.timedelta(days=rng.randint(120, 700)))
    _treatments(h, inn, age)
    if is_sma:
        _visits(h, P.SCALES_BY_TYPE.get(group, P.SCALES_BY_TYPE["3"]), status)
        _labs(
            h,
            ["ALT", "AST", "PLT", "TROP-I"]
            if inn == "onasemnogene abeparvovec"
            else ["PLT", "U-PROT"],
            240,
        )
        profiles = P.AE_PROFILES[inn] + P.AE_PROFILES["any_sma"][: 4 if group == "1" else 2]
    else:
        _visits(
            h,
            {
                "ASDAS-CRP": ((2.5, 4.5), -0.8),
                "BASDAI": ((4.0, 8.0), -1.5),
                "BASFI": ((3.0, 7.0), -1.0),
            },
            {},
        )
        _labs(h, ["CRP", "ALT"], 180)
        profiles = P.AE_PROFILES["seniprutug"]
    products = sorted({t["product_id"] for t in h.rows.get("treatments", [])})
    death = _adverse_events(h, profiles, products)
    if death:
        _truncate(h, death)
    language = "en" if rng.random() < 0.2 else "ru"
    product_name = (
        REF.product(products[0])["brand"] if products[0] != "SEN-SENIPRUTUG" else "seniprutug"
    )
    _narratives(h, language, subtype, str(product_name), age)
    signed = first - dt.timedelta(days=rng.randint(1, 30))
    years_at_signing = (signed - birth).days / 365.25
    consent = {
        "subject_id": pseudo.subject_id,
        "processing": True,
        "pooled_research": rng.random() < 0.9,
        "publication": rng.random() < 0.7,
        "signed_by": "legal_representative"
        if years_at_signing < 15 or (years_at_signing < 18 and rng.random() < 0.5)
        else "patient",  # noqa: E501
        "signed_date": signed,
        "withdrawn_date": h.end if withdrawn and not death else None,
    }
    state = (
        "died"
        if death
        else "withdrawn"
        if withdrawn
        else _pick(rng, {"active": 0.93, "lost_to_follow_up": 0.04, "completed": 0.03})
    )  # noqa: E501
    subject = {
        "subject_id": pseudo.subject_id,
        "site_code": site,
        "sex": rng.choice(["female", "male"]),
        "birth_year": birth.year,
        "disease": disease,
        "disease_subtype": subtype,
        "genetics": json.dumps(genetics, sort_keys=True),
        "age_at_onset_months": onset,
        "age_at_index_months": age,
        "index_date": first,
        "status": state,
        "created_by": user,
    }
    rows = {"subjects": [subject], "consents": [consent], **h.rows}
    _shift_rows(rows, pseudo.date_shift_days)
    shifted_index = first + dt.timedelta(days=pseudo.date_shift_days)
    subject["created_at"] = dt.datetime.combine(shifted_index, dt.time(9))
    return Case(**rows)


def _status(rng: random.Random, group: str) -> dict[str, Any]:
    if group in ("1", "presymptomatic"):
        vent = _pick(rng, {"none": 0.6, "niv": 0.35, "invasive": 0.05}) if group == "1" else "none"
        return {
            "ventilation": vent,
            "niv_hours_per_day": float(rng.randint(6, 16)) if vent == "niv" else None,
            "feeding": _pick(rng, {"oral": 0.7, "ng_tube": 0.1, "gastrostomy": 0.2})
            if group == "1"
            else "oral",
            "motor_function": "non_sitter"
            if group == "1"
            else _pick(rng, {"sitter": 0.5, "walker": 0.5}),
        }
    if group == "AS":
        return {}
    return {
        "ventilation": "none",
        "niv_hours_per_day": None,
        "feeding": "oral",
        "motor_function": "sitter" if group == "2" else _pick(rng, {"walker": 0.8, "sitter": 0.2}),
    }


def _ensure_accounts(session: Session) -> None:
    existing = set(list_sites(session)["site_code"]) if session.db.exists() else set()
    for code, name, region in P.SITES:
        if code not in existing:
            add_site(session, code, name, region, "RU")
            add_user(session, f"{code.lower()}_neuro", P.DEMO_PASSWORD, "site_user", code)
        if not session.db.keys.has_site_key(code):
            session.db.keys.create_site_key(code)
        # the demo database plays every centre and the coordinator at once: each centre's
        # signing key lives here and its public half is registered, so bundles round-trip
        if not session.db.keys.has_signing_key(code):
            session.db.keys.create_signing_key(code)
        register_site(session, code, public_pem(session.db.keys.signing_key(code)))
    with session.db.connect() as conn:
        have = {r[0] for r in conn.execute("SELECT username FROM users").fetchall()}
    for username, role in P.GLOBAL_USERS:
        if username not in have:
            add_user(session, username, P.DEMO_PASSWORD, role, None)


@dataclass
class DemoSummary:
    """What ``create_demo`` made."""

    subjects: int
    rows: dict[str, int]


def create_demo(
    db: Database,
    subjects: int = 300,
    seed: int = 20261121,
    batch: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Create the demo centres, accounts, keys and ``subjects`` synthetic cases."""
    session = system_session(db, "demo")
    sync_products(session)
    _ensure_accounts(session)
    with db.connect() as conn:
        row = one(conn, "SELECT count(*) FROM subjects WHERE created_by LIKE '%_neuro'")
    start = int(row[0]) if row else 0
    rng = random.Random(seed)
    keys = {code: db.keys.site_key(code) for code, _, _ in P.SITES}
    totals: dict[str, int] = {}
    made = 0
    saved: list[tuple[str, str]] = []
    for offset in range(0, subjects, batch):
        cases = []
        for number in range(offset, min(offset + batch, subjects)):
            site = P.SITES[number % len(P.SITES)][0]
            cases.append(build_case(rng, site, keys[site], start + number, f"{site.lower()}_neuro"))
        summary = save_cases(session, cases)
        saved += [(c.subject["subject_id"], c.subject["site_code"]) for c in cases]
        for table, count in summary.rows.items():
            totals[table] = totals.get(table, 0) + count
        made += len(cases)
        if progress:
            progress(made, subjects)
    if saved:
        link_demo(session, saved, seed)
    return DemoSummary(made, totals)
