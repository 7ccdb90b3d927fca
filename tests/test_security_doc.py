"""docs/SECURITY.md: every claim names a test, and every test it names exists.

A claim that outlives its test is worse than no claim, so this fails as soon as a
named test is renamed or removed, and when a drill module is not cited at all.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECURITY = ROOT / "docs" / "SECURITY.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


def _references() -> list[tuple[str, str]]:
    return REFERENCE.findall(SECURITY.read_text(encoding="utf-8"))


def test_every_named_test_exists() -> None:
    missing = []
    for path, name in _references():
        source = ROOT / path
        if not source.is_file() or not re.search(
            rf"^def {name}\(", source.read_text(encoding="utf-8"), re.MULTILINE
        ):
            missing.append(f"{path}::{name}")
    assert not missing, f"docs/SECURITY.md names tests that do not exist: {missing}"


def test_every_claim_names_a_test() -> None:
    """Each bullet of the sections that make claims cites at least one test."""
    text = SECURITY.read_text(encoding="utf-8")
    unproven = []
    for section in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        title = section.splitlines()[0]
        if not title[0].isdigit() or title.startswith(("1.", "8.")):
            continue  # the threat model's scope and the known limits make no claim
        for bullet in re.split(r"^- ", section, flags=re.MULTILINE)[1:]:
            bullet = bullet.split("\n\n")[0]
            if "**What an attacker learns" in bullet or not bullet.strip():
                continue
            if not REFERENCE.search(bullet) and "(`warehouse/store/db.py`)" not in bullet:
                unproven.append(f"{title}: {bullet[:60]}")
    assert not unproven, f"claims without a test: {unproven}"


def test_every_drill_module_is_cited() -> None:
    cited = {path for path, _ in _references()}
    drills = {str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "drills").glob("test_*.py")}
    assert drills - cited == set(), f"drills missing from docs/SECURITY.md: {drills - cited}"
