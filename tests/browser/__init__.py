"""Real-browser tests (Playwright driving Debian's chromium against the served app).

Screenshots go to ``.screenshots/`` (ignored by git), so a test run leaves a clone
unmodified; ``make screenshots`` sets ``CASEGUARD_SCREENSHOTS=docs`` and refreshes the
committed ones in ``docs/screenshots/`` on purpose.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("CASEGUARD_SCREENSHOTS") == "docs"
    else ROOT / ".screenshots"
)
