"""A subject's earlier visits on real dates, the baseline rule and the score chart."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from schemas import Case
from tests.warehouse_fixtures import file_db, make_case, site_user  # noqa: F401
from warehouse.capture.score_chart import BASELINE_COLOUR, ChartTexts, score_chart
from warehouse.capture.subjects_lookup import open_subject
from warehouse.capture.visit_history import (
    assessment_history,
    first_dose,
    lab_history,
    mark_baseline,
    subject_visits,
    with_labels,
)
from warehouse.store.cases import save_case
from warehouse.store.db import Database

SHIFT = 10
TEXTS = ChartTexts("Date", "Score", "Scale", "Baseline", "First dose")


def _assessment(day: dt.date, scale: str, score: float) -> dict[str, object]:
    return {
        "assessment_id": f"AS-{scale}-{day:%Y%m%d}",
        "subject_id": "MSK-ABCDEFGHJKLM",
        "visit_date": day + dt.timedelta(days=SHIFT),  # stored shifted
        "scale": scale,
        "score": score,
        "ventilation": "none",
        "niv_hours_per_day": None,
        "feeding": "ng_tube",
        "motor_function": "non_sitter",
    }


def _case(treated: bool = True) -> Case:
    treatments = (
        [{"product_id": "NUS-SPINRAZA", "start_date": dt.date(2022, 3, 1) + dt.timedelta(SHIFT)}]
        if treated
        else []
    )
    return Case(
        subjects=[{"subject_id": "MSK-ABCDEFGHJKLM"}],
        treatments=treatments,
        assessments=[
            _assessment(dt.date(2022, 1, 5), "HFMSE", 10),  # too early for baseline
            _assessment(dt.date(2022, 2, 10), "HFMSE", 12),
            _assessment(dt.date(2022, 2, 25), "HFMSE", 13),  # last in the 30-day window
            _assessment(dt.date(2022, 6, 1), "HFMSE", 17),
            _assessment(dt.date(2022, 6, 1), "RULM", 9),  # RULM only after the first dose
        ],
        labs=[
            {"date": dt.date(2022, 6, 1) + dt.timedelta(SHIFT), "test": "PLT", "value": 120.0,
             "unit": "10^9/L", "lower": 150.0, "upper": 450.0},
            {"date": dt.date(2022, 6, 1) + dt.timedelta(SHIFT), "test": "ALT", "value": 20.0,
             "unit": "U/L", "lower": None, "upper": 40.0},
        ],
    )  # fmt: skip


def test_first_dose_is_the_real_date() -> None:
    assert first_dose(_case(), SHIFT) == dt.date(2022, 3, 1)
    assert first_dose(_case(treated=False), SHIFT) is None


def test_history_is_on_real_dates_with_the_baseline_marked() -> None:
    history = assessment_history(_case(), SHIFT)
    assert history["visit_date"].tolist()[0] == dt.date(2022, 1, 5)
    baseline = history[history["baseline"]]
    assert baseline[["visit_date", "scale", "score"]].values.tolist() == [
        [dt.date(2022, 2, 25), "HFMSE", 13.0]
    ]  # RULM has no assessment in the window, so no baseline


def test_untreated_subject_has_first_assessment_as_baseline() -> None:
    history = assessment_history(_case(treated=False), SHIFT)
    marked = history[history["baseline"]][["visit_date", "scale"]].values.tolist()
    assert marked == [[dt.date(2022, 1, 5), "HFMSE"], [dt.date(2022, 6, 1), "RULM"]]


def test_mark_baseline_on_empty_frame() -> None:
    assert mark_baseline(pd.DataFrame(columns=["visit_date", "scale"]), None).empty


def test_labs_flag_values_outside_the_range() -> None:
    labs = lab_history(_case(), SHIFT)
    assert labs[["test", "out_of_range"]].values.tolist() == [["ALT", False], ["PLT", True]]
    assert set(labs["date"]) == {dt.date(2022, 6, 1)}


def test_with_labels_translates_status_codes() -> None:
    shown = with_labels(assessment_history(_case(), SHIFT), "ru")
    assert shown["feeding"].iloc[0] == "Назогастральный зонд"
    assert shown["motor_function"].iloc[0] == "Не сидит"
    assert with_labels(assessment_history(_case(), SHIFT), "en")["ventilation"].iloc[0] == (
        "No ventilatory support"
    )


def test_empty_history_frames() -> None:
    empty = Case(subjects=[{"subject_id": "MSK-ABCDEFGHJKLM"}])
    assert assessment_history(empty, 0).empty and lab_history(empty, 0).empty


def test_subject_visits_reads_the_open_subject(file_db: Database) -> None:  # noqa: F811
    save_case(site_user(file_db), make_case(file_db, "MSK", "HISTORY-1"))
    subject = open_subject(site_user(file_db), "HISTORY-1")
    history = subject_visits(site_user(file_db), subject)
    assert history.disease == "SMA5Q"
    assert history.first_dose == dt.date(2021, 6, 1)  # make_case's real first dose
    assert history.assessments[["visit_date", "baseline"]].values.tolist() == [
        [dt.date(2021, 6, 1), True]
    ]


def test_score_chart_has_a_panel_per_scale_and_marks_the_baseline() -> None:
    history = assessment_history(_case(), SHIFT)
    spec = score_chart(history, TEXTS, dt.date(2022, 3, 1)).to_dict()
    assert spec["facet"]["row"]["field"] == "scale"
    assert spec["resolve"]["scale"]["y"] == "independent"
    layers = spec["spec"]["layer"]
    marks = [
        layer["mark"] if isinstance(layer["mark"], str) else layer["mark"]["type"]
        for layer in layers
    ]
    assert marks == ["line", "rule", "point", "rule"]
    diamond = layers[2]
    assert diamond["mark"]["shape"] == "diamond" and diamond["mark"]["color"] == BASELINE_COLOUR
    assert diamond["transform"] == [{"filter": "datum.baseline"}]
    assert layers[3]["encoding"]["x"]["field"] == "first_dose"
    assert spec["spec"]["layer"][0]["encoding"]["y"]["title"] == "Score"
    rows = next(iter(spec["datasets"].values()))
    assert len(rows) == 5 and sum(r["baseline"] for r in rows) == 1
    assert next(r for r in rows if r["baseline"])["marker"] == "Baseline"


def test_score_chart_without_a_dose_has_no_dose_rule() -> None:
    history = assessment_history(_case(treated=False), SHIFT)
    spec = score_chart(history, TEXTS).to_dict()
    assert len(spec["spec"]["layer"]) == 3
