"""Drill figures: printed always, and written to ``docs/DRILLS.md`` in a full run.

Each drill owns one section (``## <title>``); a full run replaces that section with
the new figures, the machine and the date, and leaves the other drills' sections as
they were. Fast runs (``make test``) never touch the file, so a clean clone stays clean.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
from collections.abc import Mapping
from pathlib import Path

from tests.drills.scale import FULL

DRILLS_MD = Path(__file__).resolve().parents[2] / "docs" / "DRILLS.md"
HEADER = (
    "# Drill figures\n\n"
    "Written by `make drills` (`CASEGUARD_DRILLS=full`); each section is replaced by the\n"
    "drill that owns it. `make test` runs the same drills at a smaller size and writes\n"
    "nothing here. What each drill proves is in `docs/SECURITY.md`.\n"
)


def machine() -> str:
    """A one-line description of this machine."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"1-minute load {load:.2f} before the figures were written"
    )


def _section(title: str, figures: Mapping[str, object], notes: str) -> str:
    lines = [f"## {title}", "", f"{dt.date.today().isoformat()} · {machine()}", ""]
    lines += ["| figure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in figures.items()]
    if notes:
        lines += ["", notes.strip()]
    return "\n".join(lines) + "\n"


def report(title: str, figures: Mapping[str, object], notes: str = "") -> None:
    """Print a drill's figures; in a full run also store them in ``docs/DRILLS.md``."""
    print(f"\n[drill] {title}")
    for name, value in figures.items():
        print(f"  {name}: {value}")
    if not FULL:
        return
    text = DRILLS_MD.read_text(encoding="utf-8") if DRILLS_MD.exists() else HEADER
    section = _section(title, figures, notes)
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = (
        pattern.sub(lambda _: section + "\n", text)
        if pattern.search(text)
        else (text.rstrip("\n") + "\n\n" + section)
    )
    DRILLS_MD.write_text(text, encoding="utf-8")
