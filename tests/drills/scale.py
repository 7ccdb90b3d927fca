"""How big a drill runs: fast inside ``make test``, full under ``make drills``."""

from __future__ import annotations

import os

FULL = os.environ.get("CASEGUARD_DRILLS", "").strip().lower() == "full"


def size(fast: int, full: int) -> int:
    """``full`` under ``make drills``, else ``fast``."""
    return full if FULL else fast


def seconds(fast: float, full: float) -> float:
    """A duration: ``full`` under ``make drills``, else ``fast``."""
    return full if FULL else fast
