"""Grouping validation problems by the form widget they belong to."""

from __future__ import annotations

from schemas.problems import Problem, translate
from warehouse.capture.entry_problems import GENERAL, all_problems, missing, place


def _problem(table: str, row: int | None, field: str, check: str) -> Problem:
    return translate(table, row, field, "x", check)


def _by_field(problem: Problem) -> str | None:
    return {"score": "score_widget", "upper": "upper_widget"}.get(problem.field)


def test_place_groups_by_widget_and_keeps_the_rest_general() -> None:
    problems = [
        _problem("assessments", 0, "score", "score_in_scale_range"),
        _problem("labs", 0, "upper", "range_ordered"),
        _problem("subjects", 0, "status", "fatal_event_means_died"),
    ]
    placed = place(problems, _by_field)
    assert placed.fields() == ["score_widget", "upper_widget", GENERAL]
    assert placed.messages("score_widget", "en") == ["score is outside the scale's range"]
    assert placed.messages("upper_widget", "ru") == ["верхняя граница нормы не выше нижней"]
    assert placed.messages("nothing_here", "en") == []
    assert placed


def test_the_same_rule_on_rows_sharing_a_widget_is_kept_once() -> None:
    shared = [_problem("assessments", row, "score", "not_nullable") for row in range(3)]
    placed = place(shared, _by_field)
    assert placed.messages("score_widget", "en") == ["is required"]
    assert not place([], _by_field)


def test_missing_flags_empty_values_only() -> None:
    found = missing("labs", 2, {"value": None, "unit": "  ", "lower": 0.0, "upper": "4"})
    assert [(p.row, p.field, p.check) for p in found] == [
        (2, "value", "not_nullable"),
        (2, "unit", "not_nullable"),
    ]


def test_all_problems_adds_schema_problems_of_filled_fields() -> None:
    row = {
        "lab_id": "LB-ABCDEFGHJKLM-1",
        "subject_id": "MSK-ABCDEFGHJKLM",
        "date": None,
        "test": "ALT",
        "value": 30.0,
        "unit": "U/L",
        "lower": 40.0,
        "upper": 10.0,
    }
    required = missing("labs", 0, {"date": None})
    found = all_problems(required, {"labs": [row]})
    assert [(p.field, p.check) for p in found] == [
        ("date", "not_nullable"),
        ("upper", "range_ordered"),
    ]
