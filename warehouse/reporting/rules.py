"""Reporting rules as reference data: which clocks run for which events, per jurisdiction.

Read from ``schemas/reference/reporting_rules.yaml`` (checked on load: a rule with an
unknown kind, category or start, or a non-positive number of days, is refused with
its place in the file) and the starting reference safety information from
``reference_safety.yaml``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from schemas.errors import CaseguardError
from schemas.reference import REFERENCE_DIR

KINDS = ("initial", "completion", "follow_up")
CATEGORIES = ("fatal_or_life_threatening", "other_serious", "any_serious")
STARTS = ("day0", "receipt")


@dataclass(frozen=True)
class ClockRule:
    """One clock: report ``kind`` due ``days`` calendar days after its start."""

    kind: str
    applies_to: str
    days: int
    start: str

    def applies(self, category: str) -> bool:
        """True if the rule runs for an event of ``category``."""
        return self.applies_to in (category, "any_serious")


@dataclass(frozen=True)
class Jurisdiction:
    """A regulator's set of clocks."""

    code: str
    name_en: str
    name_ru: str
    weekend_rolls_forward: bool
    rules: tuple[ClockRule, ...]

    def name(self, lang: str) -> str:
        """The jurisdiction's name in ``lang``."""
        return self.name_ru if lang == "ru" else self.name_en


@dataclass(frozen=True)
class ReportingRules:
    """Every jurisdiction, and the defaults for a site with no setting of its own."""

    jurisdictions: dict[str, Jurisdiction]
    default_jurisdiction: str
    default_time_zone: str


def _rule(raw: Any, where: str) -> ClockRule:
    if not isinstance(raw, dict):
        raise CaseguardError(f"{where}: a clock is a mapping with kind, applies_to, days, from")
    days = raw.get("days")
    rule = ClockRule(
        str(raw.get("kind")),
        str(raw.get("applies_to")),
        days if isinstance(days, int) and not isinstance(days, bool) else 0,
        str(raw.get("from")),
    )
    for field, value, allowed in (
        ("kind", rule.kind, KINDS),
        ("applies_to", rule.applies_to, CATEGORIES),
        ("from", rule.start, STARTS),
    ):
        if value not in allowed:
            raise CaseguardError(f"{where}: {field} {value!r} is not one of {', '.join(allowed)}")
    if rule.days <= 0:
        raise CaseguardError(f"{where}: days must be a whole number above 0")
    return rule


def check_time_zone(name: str) -> str:
    """The name back if it is a known IANA time zone; otherwise a clear error."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CaseguardError(
            f"unknown time zone {name!r} (an IANA name, e.g. Europe/Moscow)"
        ) from None
    return name


def parse_rules(raw: Any, source: str = "reporting_rules.yaml") -> ReportingRules:
    """Rules from the YAML structure; every mistake names its place."""
    if not isinstance(raw, dict) or not isinstance(raw.get("jurisdictions"), dict):
        raise CaseguardError(f"{source}: needs a 'jurisdictions' mapping")
    found: dict[str, Jurisdiction] = {}
    for code, body in raw["jurisdictions"].items():
        where = f"{source}: jurisdiction {code}"
        if not isinstance(body, dict) or not isinstance(body.get("clocks"), list):
            raise CaseguardError(f"{where}: needs a 'clocks' list")
        rules = tuple(_rule(r, f"{where}, clock {i + 1}") for i, r in enumerate(body["clocks"]))
        found[str(code)] = Jurisdiction(
            str(code),
            str(body.get("name_en", code)),
            str(body.get("name_ru", body.get("name_en", code))),
            bool(body.get("weekend_rolls_forward", False)),
            rules,
        )
    default = str(raw.get("default_jurisdiction", ""))
    if default not in found:
        raise CaseguardError(f"{source}: default_jurisdiction {default!r} is not defined")
    zone = check_time_zone(str(raw.get("default_time_zone", "UTC")))
    return ReportingRules(found, default, zone)


@functools.cache
def load_rules(path: Path | None = None) -> ReportingRules:
    """The reporting rules shipped in reference data (or read from ``path``)."""
    file = path or REFERENCE_DIR / "reporting_rules.yaml"
    with open(file, encoding="utf-8") as handle:
        return parse_rules(yaml.safe_load(handle), file.name)


@functools.cache
def sender() -> dict[str, str]:
    """The sponsor that sends the drafts (organisation, country, study name and number)."""
    with open(REFERENCE_DIR / "reporting_rules.yaml", encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or {}
    return {str(k): str(v) for k, v in (raw.get("sender") or {}).items()}


@functools.cache
def default_expected_terms() -> dict[str, tuple[str, ...]]:
    """The starting reference safety information: product -> expected terms."""
    with open(REFERENCE_DIR / "reference_safety.yaml", encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or {}
    return {str(p): tuple(str(t) for t in terms) for p, terms in raw.get("expected", {}).items()}
