"""CDISC SDTM-style domains (DM, EX, AE, QS, FT, LB) built from an export's tables.

Variable names follow the SDTM Implementation Guide; controlled terms are the CDISC
submission values where one exists (routes, outcomes, actions, Y/N flags). Study
days (--DY) count from the first dose as SDTM does (day 1 is the first dose; there
is no day 0). With ``dates="study-day"`` the --DTC dates are left out. Scales whose
unit is metres (the 6-minute walk test) go to FT (functional tests), the others to QS.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from schemas import load_reference

STUDY_ID = "CASEGUARD"
Domains = dict[str, tuple[pd.DataFrame, dict[str, list[str]]]]

SEX = {"female": "F", "male": "M"}
ROUTES = {
    "intrathecal": "INTRATHECAL",
    "intravenous": "INTRAVENOUS",
    "oral": "ORAL",
    "subcutaneous": "SUBCUTANEOUS",
}
ACTIONS = {
    "drug_withdrawn": "DRUG WITHDRAWN",
    "dose_reduced": "DOSE REDUCED",
    "dose_increased": "DOSE INCREASED",
    "dose_not_changed": "DOSE NOT CHANGED",
    "unknown": "UNKNOWN",
    "not_applicable": "NOT APPLICABLE",
}
OUTCOMES = {
    "recovered": "RECOVERED/RESOLVED",
    "recovering": "RECOVERING/RESOLVING",
    "not_recovered": "NOT RECOVERED/NOT RESOLVED",
    "recovered_with_sequelae": "RECOVERED/RESOLVED WITH SEQUELAE",
    "fatal": "FATAL",
    "unknown": "UNKNOWN",
}
CRITERIA = {
    "death": "AESDTH",
    "life_threatening": "AESLIFE",
    "hospitalisation": "AESHOSP",
    "disability": "AESDISAB",
    "congenital_anomaly": "AESCONG",
    "medically_important": "AESMIE",
}
CAUSALITY_ORDER = ("certain", "probable", "possible", "unlikely", "conditional", "unassessable")
TEST_CODES = {"CHOP-INTEND": "CHOPINT", "6MWT": "SIXMWT", "PLT": "PLAT", "TROP-I": "TROPONI"}
TEST_CODES.update({"U-PROT": "PROT", "HINE-2": "HINE2"})
URINE_TESTS = {"U-PROT"}
YN = ["Y", "N"]


def test_code(code: str) -> str:
    """An SDTM --TESTCD (8 characters, letters and digits, not starting with a digit)."""
    if code in TEST_CODES:
        return TEST_CODES[code]
    short = re.sub(r"[^A-Z0-9]", "", code.upper())[:8]
    return short if short[:1].isalpha() else ("T" + short)[:8]


def study_day(dates: pd.Series, reference: pd.Series) -> pd.Series:
    """SDTM study day: date - reference + 1 on or after the reference, else date - reference."""
    days = (pd.to_datetime(dates) - pd.to_datetime(reference)).dt.days
    return days.where(days < 0, days + 1).astype("Int64")


def _dtc(dates: pd.Series) -> pd.Series:
    return pd.to_datetime(dates).dt.strftime("%Y-%m-%d").astype(object).where(dates.notna(), None)


def _base(frame: pd.DataFrame, domain: str) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    out["STUDYID"] = STUDY_ID
    out["DOMAIN"] = domain
    out["USUBJID"] = STUDY_ID + "-" + frame["subject_id"].astype(str)
    out[f"{domain}SEQ"] = frame.groupby("subject_id").cumcount() + 1
    return out


def _dates(
    out: pd.DataFrame, frame: pd.DataFrame, first: pd.Series, spec: dict[str, str], keep: bool
) -> None:
    reference = frame["subject_id"].map(first)
    for prefix, column in spec.items():
        if keep:
            out[f"{prefix}DTC"] = _dtc(frame[column])
        out[f"{prefix}DY"] = study_day(frame[column], reference)


def _dm(
    subjects: pd.DataFrame, treatments: pd.DataFrame, first: pd.Series, keep: bool
) -> pd.DataFrame:
    out = pd.DataFrame({"STUDYID": STUDY_ID, "DOMAIN": "DM"}, index=subjects.index)
    out["USUBJID"] = STUDY_ID + "-" + subjects["subject_id"].astype(str)
    out["SUBJID"] = subjects["subject_id"]
    if keep:
        last = treatments.assign(last=treatments["end_date"].fillna(treatments["start_date"]))
        last_by = last.groupby("subject_id")["last"].max()
        # mapped through dicts: pandas cannot map onto an empty datetime Series
        out["RFSTDTC"] = _dtc(subjects["subject_id"].map(first.to_dict()))
        out["RFENDTC"] = _dtc(subjects["subject_id"].map(last_by.to_dict()))
    out["SITEID"] = subjects["area"]
    out["SEX"] = subjects["sex"].map(SEX).fillna("U")
    out["DTHFL"] = subjects["status"].map(lambda s: "Y" if s == "died" else None)
    return out


def _ex(treatments: pd.DataFrame, first: pd.Series, keep: bool) -> pd.DataFrame:
    products = load_reference().products
    out = _base(treatments, "EX")
    names = products["brand"].fillna(products["inn"]).str.upper()
    out["EXTRT"] = treatments["product_id"].map(names)
    out["EXDOSE"] = treatments["dose"]
    out["EXDOSU"] = treatments["dose_unit"]
    out["EXROUTE"] = treatments["route"].map(ROUTES)
    _dates(out, treatments, first, {"EXST": "start_date", "EXEN": "end_date"}, keep)
    return out


def _strongest(causality: pd.DataFrame) -> pd.Series:
    rank = {c: i for i, c in enumerate(CAUSALITY_ORDER)}
    ranked = causality.assign(rank=causality["causality"].map(rank)).sort_values("rank")
    return ranked.groupby("ae_id")["causality"].first().str.upper()


def _ae(
    events: pd.DataFrame,
    causality: pd.DataFrame,
    first: pd.Series,
    keep: bool,
    names: Mapping[str, str],
) -> pd.DataFrame:
    terms = load_reference().ae_terms
    out = _base(events, "AE")
    out["AETERM"] = events["verbatim_term"]
    # a MedDRA-coded event's PT and primary SOC are stored as codes (PT:…, SOC:…)
    listed = terms["term_en"].to_dict()
    out["AEDECOD"] = [listed.get(c, names.get(c, c)) for c in events["coded_term"]]
    out["AEBODSYS"] = [names.get(b, b) for b in events["body_system"]]
    _dates(out, events, first, {"AEST": "onset_date", "AEEN": "end_date"}, keep)
    out["AETOXGR"] = events["ctcae_grade"].astype(str)
    out["AESER"] = events["serious"].map({True: "Y", False: "N"})
    criteria = events["seriousness"].map(
        lambda v: set(v.split(";")) if isinstance(v, str) else set()
    )
    for code, variable in CRITERIA.items():
        out[variable] = criteria.map(lambda c, code=code: "Y" if code in c else "N")
    out["AEACN"] = events["action_taken"].map(ACTIONS)
    out["AEOUT"] = events["outcome"].map(OUTCOMES)
    out["AEREL"] = events["ae_id"].map(_strongest(causality))
    return out


def _findings(assessments: pd.DataFrame, first: pd.Series, keep: bool, domain: str) -> pd.DataFrame:
    scales = load_reference().scales
    rows = assessments[assessments["scale"].map(scales["unit"]).eq("m") == (domain == "FT")]
    out = _base(rows, domain)
    out[f"{domain}TESTCD"] = rows["scale"].map(test_code)
    out[f"{domain}TEST"] = rows["scale"].map(scales["name_en"]).str.slice(0, 40)
    out[f"{domain}CAT"] = rows["scale"]
    out[f"{domain}ORRES"] = rows["score"].map(lambda v: f"{v:g}")
    out[f"{domain}ORRESU"] = rows["scale"].map(scales["unit"])
    out[f"{domain}STRESN"] = rows["score"]
    out[f"{domain}STRESU"] = out[f"{domain}ORRESU"]
    _dates(out, rows, first, {domain: "visit_date"}, keep)
    return out.reset_index(drop=True)


def _lb(labs: pd.DataFrame, first: pd.Series, keep: bool) -> pd.DataFrame:
    tests = load_reference().lab_tests
    out = _base(labs, "LB")
    out["LBTESTCD"] = labs["test"].map(test_code)
    out["LBTEST"] = labs["test"].map(tests["name_en"]).str.slice(0, 40)
    out["LBSPEC"] = labs["test"].map(lambda t: "URINE" if t in URINE_TESTS else "BLOOD")
    out["LBORRES"] = labs["value"].map(lambda v: f"{v:g}")
    out["LBORRESU"] = labs["unit"]
    out["LBORNRLO"] = labs["lower"]
    out["LBORNRHI"] = labs["upper"]
    out["LBSTRESN"] = labs["value"]
    out["LBSTRESU"] = labs["unit"]
    low = labs["lower"].notna() & (labs["value"] < labs["lower"])
    high = labs["upper"].notna() & (labs["value"] > labs["upper"])
    out["LBNRIND"] = pd.Series("NORMAL", index=labs.index).mask(low, "LOW").mask(high, "HIGH")
    _dates(out, labs, first, {"LB": "date"}, keep)
    return out


def build_domains(
    frames: dict[str, pd.DataFrame],
    first: pd.Series,
    dates: str,
    names: Mapping[str, str] | None = None,
) -> Domains:
    """DM, EX, AE, QS, FT and LB from an export's tables (export ids, shifted dates);
    ``names`` gives the English names of MedDRA PT and SOC codes of coded events."""
    keep = dates == "shifted"
    ref = load_reference()
    scales, tests = ref.scales.index, ref.lab_tests.index
    return {
        "DM": (
            _dm(frames["subjects"], frames["treatments"], first, keep),
            {"SEX": ["F", "M", "U"], "DTHFL": ["Y"]},
        ),
        "EX": (_ex(frames["treatments"], first, keep), {"EXROUTE": list(ROUTES.values())}),
        "AE": (
            _ae(frames["adverse_events"], frames["ae_causality"], first, keep, names or {}),
            {
                "AESER": YN,
                **{v: YN for v in CRITERIA.values()},
                "AEACN": list(ACTIONS.values()),
                "AEOUT": list(OUTCOMES.values()),
                "AEREL": [c.upper() for c in CAUSALITY_ORDER],
            },
        ),
        "QS": (
            _findings(frames["assessments"], first, keep, "QS"),
            {"QSTESTCD": [test_code(s) for s in scales if ref.scales.loc[s, "unit"] != "m"]},
        ),
        "FT": (
            _findings(frames["assessments"], first, keep, "FT"),
            {"FTTESTCD": [test_code(s) for s in scales if ref.scales.loc[s, "unit"] == "m"]},
        ),
        "LB": (
            _lb(frames["labs"], first, keep),
            {"LBTESTCD": [test_code(t) for t in tests], "LBNRIND": ["LOW", "NORMAL", "HIGH"]},
        ),
    }
