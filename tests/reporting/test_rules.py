"""Reporting rules are reference data: the shipped file holds ICH's defaults, and a
mistake in a rule is refused with its place."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.errors import CaseguardError
from warehouse.reporting.rules import default_expected_terms, load_rules, parse_rules


def test_the_shipped_rules_are_ich_e2a_e2d() -> None:
    ich = load_rules().jurisdictions["ICH"]
    days = {(r.kind, r.applies_to): r.days for r in ich.rules}
    assert days == {
        ("initial", "fatal_or_life_threatening"): 7,
        ("completion", "fatal_or_life_threatening"): 15,
        ("initial", "other_serious"): 15,
        ("follow_up", "any_serious"): 15,
    }
    assert not ich.weekend_rolls_forward
    assert "HEADACHE" in default_expected_terms()["NUS-SPINRAZA"]


def _rules(clock: dict[str, Any], default: str = "X") -> dict[str, Any]:
    return {"default_jurisdiction": default, "jurisdictions": {"X": {"clocks": [clock]}}}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            _rules({"kind": "initial", "applies_to": "other_serious", "days": 0, "from": "day0"}),
            "jurisdiction X, clock 1: days must be a whole number above 0",
        ),
        (
            _rules({"kind": "final", "applies_to": "other_serious", "days": 7, "from": "day0"}),
            "clock 1: kind 'final' is not one of",
        ),
        (
            _rules({"kind": "initial", "applies_to": "mild", "days": 7, "from": "day0"}),
            "applies_to 'mild'",
        ),
        (
            _rules({"kind": "initial", "applies_to": "other_serious", "days": 7, "from": "onset"}),
            "from 'onset'",
        ),
        (
            _rules(
                {"kind": "initial", "applies_to": "other_serious", "days": 7, "from": "day0"}, "Y"
            ),
            "default_jurisdiction 'Y' is not defined",
        ),
        ({"jurisdictions": []}, "needs a 'jurisdictions' mapping"),
    ],
)
def test_a_wrong_rule_is_refused_with_its_place(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(CaseguardError, match=message):
        parse_rules(raw, "rules.yaml")


def test_an_unknown_time_zone_is_refused() -> None:
    raw = _rules({"kind": "initial", "applies_to": "other_serious", "days": 7, "from": "day0"})
    raw["default_time_zone"] = "Mars/Olympus"
    with pytest.raises(CaseguardError, match="unknown time zone 'Mars/Olympus'"):
        parse_rules(raw)
