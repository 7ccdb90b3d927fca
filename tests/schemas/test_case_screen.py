"""The column-at-a-time screen of many cases against each case's own rules."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from schemas import CLINICAL_TABLES, Case
from schemas.case import case_rule_problems
from schemas.case_screen import cases_to_check
from schemas.common import REF
from schemas.validate import checked_table
from tests.warehouse_fixtures import make_case, make_db
from warehouse.store.bulk_upsert import check_bulk
from warehouse.store.upsert import check_batch

NUS = ("NUS-SPINRAZA", "NUS-LANTESENS")
_TEMPLATES: list[Case] = []


def _templates(tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    if not _TEMPLATES:
        root: Path = tmp_path_factory.mktemp("screen")
        db = make_db(root / "db.duckdb", root / "keys")
        _TEMPLATES.extend(make_case(db, "MSK", f"PAT-{i}") for i in range(3))
    return _TEMPLATES


def _shift(day: object, days: int) -> object:
    return day + dt.timedelta(days=days) if isinstance(day, dt.date) else day


def _mutate(draw: Callable[[st.SearchStrategy[Any]], Any], case: Case, others: list[Case]) -> None:
    """Random changes that keep most rows valid but may break any cross-table rule."""
    subject = case.subject
    subject["birth_year"] = draw(st.integers(2005, 2021))
    subject["status"] = draw(st.sampled_from(["active", "withdrawn", "died"]))
    for consent in case.consents:
        consent["signed_by"] = draw(st.sampled_from(["patient", "legal_representative"]))
        consent["signed_date"] = _shift(consent["signed_date"], draw(st.integers(-3000, 400)))
        if draw(st.booleans()):
            consent["withdrawn_date"] = _shift(consent["signed_date"], 30)
    for treatment in case.treatments:
        treatment["start_date"] = _shift(treatment["start_date"], draw(st.integers(-60, 60)))
        treatment["product_id"] = draw(st.sampled_from(NUS))
        if draw(st.integers(0, 4)) == 0:
            treatment["switched_from"] = next(p for p in NUS if p != treatment["product_id"])
            treatment["switch_reason"] = "supply"
    if draw(st.integers(0, 3)) == 0:  # a third dose, near or far
        extra = dict(case.treatments[0], treatment_id=case.treatments[0]["treatment_id"] + "x")
        extra["start_date"] = _shift(extra["start_date"], draw(st.integers(-20, 20)))
        case.treatments.append(extra)
    for ae in case.adverse_events:
        ae["onset_date"] = _shift(ae["onset_date"], draw(st.integers(-90, 60)))
        if draw(st.integers(0, 3)) == 0:
            ae.update(outcome="fatal", ctcae_grade=5, seriousness=["death"], end_date=None)
            ae["end_date"] = ae["onset_date"]
    for causality in case.ae_causality:
        causality["product_id"] = draw(st.sampled_from([*NUS, "RIS-EVRYSDI"]))
        causality["causality"] = draw(st.sampled_from(["possible", "certain", "unlikely"]))
        if draw(st.integers(0, 5)) == 0:
            causality["ae_id"] = draw(st.sampled_from(others)).adverse_events[0]["ae_id"]
            causality["product_id"] = "ONA-ZOLGENSMA"  # no other row of that event has it
    for assessment in case.assessments:
        assessment["scale"] = draw(st.sampled_from(["CHOP-INTEND", "HFMSE", "BASFI"]))
        assessment["score"] = 5.0  # within every one of these scales' ranges
    for lab in case.labs:
        lab["test"] = draw(st.sampled_from(["PLT", "CRP"]))
        lab["unit"] = REF.lab_tests.loc[lab["test"], "unit"]
    if draw(st.integers(0, 6)) == 0:
        case.labs[0]["subject_id"] = draw(st.sampled_from(others)).subject["subject_id"]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_screen_flags_every_case_with_a_problem(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    """Random cases: the screen flags exactly the cases a rule names, and the bulk check
    gives check_batch's problems."""
    cases = copy.deepcopy(_templates(tmp_path_factory))
    for case in cases:
        if data.draw(st.booleans()):
            _mutate(data.draw, case, [c for c in cases if c is not case])
    frames, counts, problems = check_bulk(copy.deepcopy(cases))
    assert problems == check_batch(cases)[1]
    rows = {t: [r for c in cases for r in c.rows(t)] for t in CLINICAL_TABLES}
    if any(checked_table(t, rows[t])[1] for t in CLINICAL_TABLES):
        event("a table is invalid: the case rules do not run")
        return
    flags = cases_to_check(frames, counts)
    bad = np.array([bool(case_rule_problems(c)) for c in cases])
    event(f"problems in {int(bad.sum())} case(s)")
    assert (flags == bad).all()
