"""Which of many cases may break a cross-table rule, found a column at a time.

A bundle brings 20,000 cases; running :func:`~schemas.case.case_rule_problems` on each
costs seconds of Python. :func:`cases_to_check` answers, for the typed tables of all
the cases at once (each table's rows in case order, as
:func:`~warehouse.store.upsert.check_batch` builds them), which cases may have a
problem; only those go through ``case_rule_problems``, which stays the one place the
rules and their messages are written. The screen flags exactly the cases with
problems (a hypothesis property in tests/schemas/test_case_screen.py holds it to that).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from schemas.case import ATTRIBUTING, CONSENT_AGE, ONSET_TOLERANCE_DAYS
from schemas.common import REF, as_list


def _case_of(counts: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(counts)), counts)


def _flag(flags: np.ndarray, cases: np.ndarray, mask: np.ndarray | pd.Series) -> None:
    flags[cases[np.asarray(mask, dtype=bool)]] = True


def _pairs(left: np.ndarray, right: pd.Series) -> pd.MultiIndex:
    return pd.MultiIndex.from_arrays([left, right.astype(object).to_numpy()])


def cases_to_check(
    frames: Mapping[str, pd.DataFrame], counts: Mapping[str, np.ndarray]
) -> np.ndarray:
    """A flag per case: True where a cross-table rule may find a problem.

    ``frames``: each clinical table's typed rows, every table valid, the rows of case 0
    first; ``counts``: each table's number of rows per case (one subject per case).
    """
    subjects = frames["subjects"]
    flags = np.zeros(len(subjects), dtype=bool)
    case = {t: _case_of(np.asarray(c)) for t, c in counts.items()}
    sid = subjects["subject_id"].astype(object).to_numpy()
    for table in ("consents", "treatments", "assessments", "labs", "adverse_events", "narratives"):
        rows = frames[table]
        _flag(flags, case[table], rows["subject_id"].astype(object).to_numpy() != sid[case[table]])
    _fits_disease(frames, case, flags)
    _timing(frames, case, flags)
    _consent(frames, case, flags)
    _causality(frames, case, flags)
    _dose_intervals(frames, case, flags)
    _fatal_status(frames, case, flags)
    _switch_order(frames, case, flags)
    return flags


def _fits_disease(
    frames: Mapping[str, pd.DataFrame], case: Mapping[str, np.ndarray], flags: np.ndarray
) -> None:
    disease = frames["subjects"]["disease"].astype(object).to_numpy()
    known = np.array([d in REF.diseases for d in disease], dtype=bool)
    for table, column, allowed in (
        ("assessments", "scale", "scales"),
        ("labs", "test", "lab_tests"),
    ):
        fits = pd.MultiIndex.from_tuples(
            [(code, value) for code, d in REF.diseases.items() for value in getattr(d, allowed)]
        )
        rows = case[table]
        ok = _pairs(disease[rows], frames[table][column]).isin(fits)
        _flag(flags, rows, known[rows] & ~ok)
    products = {(pid, code) for pid in REF.products.index for code in REF.product(pid)["diseases"]}
    rows = case["treatments"]
    pids = frames["treatments"]["product_id"].astype(object).to_numpy()
    listed = np.array([isinstance(p, str) and p in REF.products.index for p in pids], dtype=bool)
    codes = np.array([REF.diseases[d].code if d in REF.diseases else None for d in disease])
    fits_product = np.array(
        [(p, c) in products for p, c in zip(pids, codes[rows], strict=True)], dtype=bool
    )
    _flag(flags, rows, known[rows] & listed & ~fits_product)


def _first_doses(frames: Mapping[str, pd.DataFrame], case: Mapping[str, np.ndarray]) -> pd.Series:
    starts = pd.Series(frames["treatments"]["start_date"].to_numpy(), index=case["treatments"])
    return starts.dropna().groupby(level=0).min()


def _timing(
    frames: Mapping[str, pd.DataFrame], case: Mapping[str, np.ndarray], flags: np.ndarray
) -> None:
    first = _first_doses(frames, case)
    rows = case["adverse_events"]
    earliest = first.reindex(rows).to_numpy() - np.timedelta64(ONSET_TOLERANCE_DAYS, "D")
    onset = frames["adverse_events"]["onset_date"].to_numpy()
    _flag(flags, rows, pd.notna(onset) & pd.notna(earliest) & (onset < earliest))


def _consent(
    frames: Mapping[str, pd.DataFrame], case: Mapping[str, np.ndarray], flags: np.ndarray
) -> None:
    subjects, consents = frames["subjects"], frames["consents"]
    rows = case["consents"]
    birth = subjects["birth_year"].to_numpy(dtype=float)[rows]
    signed = pd.to_datetime(consents["signed_date"])
    dated = pd.notna(birth) & signed.notna().to_numpy()
    minor = (signed.dt.year.to_numpy(dtype=float) - birth) <= CONSENT_AGE - 2
    by_patient = consents["signed_by"].astype(object).eq("patient").to_numpy()
    status = subjects["status"].astype(object).to_numpy()[rows]
    withdrawn = consents["withdrawn_date"].notna().to_numpy() & ~np.isin(
        status, ["withdrawn", "died"]
    )
    _flag(flags, rows, dated & ((minor & by_patient) | withdrawn))


def _causality(
    frames: Mapping[str, pd.DataFrame], case: Mapping[str, np.ndarray], flags: np.ndarray
) -> None:
    rows, causality = case["ae_causality"], frames["ae_causality"]
    events, treatments = frames["adverse_events"], frames["treatments"]
    known_event = _pairs(rows, causality["ae_id"]).isin(
        _pairs(case["adverse_events"], events["ae_id"])
    )
    given = _pairs(rows, causality["product_id"]).isin(
        _pairs(case["treatments"], treatments["product_id"])
    )
    _flag(flags, rows, ~known_event | ~given)
    # an attributing assessment of a product first given after the event began
    onsets = pd.Series(
        events["onset_date"].to_numpy(), index=_pairs(case["adverse_events"], events["ae_id"])
    )
    onsets = onsets[~onsets.index.duplicated(keep="last")]
    starts = pd.Series(
        treatments["start_date"].to_numpy(),
        index=_pairs(case["treatments"], treatments["product_id"]),
    ).dropna()
    first_given = starts.groupby(level=[0, 1]).min()
    onset = onsets.reindex(_pairs(rows, causality["ae_id"])).to_numpy()
    first = first_given.reindex(_pairs(rows, causality["product_id"])).to_numpy()
    attributing = causality["causality"].astype(object).isin(ATTRIBUTING).to_numpy()
    late = pd.notna(onset) & pd.notna(first)
    late[late] = first[late] > onset[late]
    _flag(flags, rows, attributing & late)


def _dose_intervals(
    frames: Mapping[str, pd.DataFrame], case: Mapping[str, np.ndarray], flags: np.ndarray
) -> None:
    treatments = frames["treatments"]
    products = REF.products
    doses = pd.DataFrame(
        {
            "case": case["treatments"],
            "pid": treatments["product_id"].astype(object).to_numpy(),
            "day": treatments["start_date"].to_numpy(),
            "order": np.arange(len(treatments)),
        }
    )
    doses = doses[doses["day"].notna() & doses["pid"].isin(products.index)]
    doses["inn"] = doses["pid"].map(products["inn"].astype(object))
    doses["minimum"] = doses["pid"].map(products["min_interval_days"]).astype(float)
    doses = doses.sort_values(["case", "inn", "day", "order"])
    same = (doses["case"].to_numpy()[1:] == doses["case"].to_numpy()[:-1]) & (
        doses["inn"].to_numpy()[1:] == doses["inn"].to_numpy()[:-1]
    )
    gap = (doses["day"].to_numpy()[1:] - doses["day"].to_numpy()[:-1]) // np.timedelta64(1, "D")
    minimum = doses["minimum"].to_numpy()[1:]
    short = same & ~np.isnan(minimum) & (gap < np.nan_to_num(minimum, nan=0.0))
    flags[doses["case"].to_numpy()[1:][short]] = True


def _switch_order(
    frames: Mapping[str, pd.DataFrame], case: Mapping[str, np.ndarray], flags: np.ndarray
) -> None:
    """A dose of a product after a switch away from it, with no switch back to it
    after the switch and on or before the dose."""
    treatments = frames["treatments"]
    doses = pd.DataFrame(
        {
            "case": case["treatments"],
            "pid": treatments["product_id"].astype(object).to_numpy(),
            "day": treatments["start_date"].to_numpy(),
            "away": treatments["switched_from"].astype(object).to_numpy(),
        }
    )
    doses = doses[doses["day"].notna()]
    away = doses["away"]
    switches = doses[away.notna() & away.map(bool)][["case", "pid", "day", "away"]]
    if switches.empty:
        return
    switches = switches.reset_index(drop=True).rename(columns={"day": "switched_on"})
    switches["switch"] = np.arange(len(switches))
    later = switches.merge(
        doses[["case", "pid", "day"]].rename(columns={"pid": "away"}), on=["case", "away"]
    )
    later = later[later["day"] > later["switched_on"]]
    if later.empty:
        return
    later = later.reset_index(drop=True)
    later["pair"] = np.arange(len(later))
    back = later[["case", "away", "switched_on", "day", "pair"]].merge(
        switches[["case", "pid", "switched_on"]].rename(
            columns={"pid": "away", "switched_on": "back_on"}
        ),
        on=["case", "away"],
    )
    backed = back[(back["back_on"] > back["switched_on"]) & (back["back_on"] <= back["day"])]
    unbacked = ~later["pair"].isin(backed["pair"])
    flags[later.loc[unbacked, "case"].to_numpy(dtype=np.int64)] = True


def _fatal_status(
    frames: Mapping[str, pd.DataFrame], case: Mapping[str, np.ndarray], flags: np.ndarray
) -> None:
    events = frames["adverse_events"]
    rows = case["adverse_events"]
    fatal = events["outcome"].astype(object).eq("fatal").to_numpy() | np.array(
        ["death" in as_list(v) for v in events["seriousness"]], dtype=bool
    )
    status = frames["subjects"]["status"].astype(object).to_numpy()
    _flag(flags, rows, fatal & (status[rows] != "died"))
