"""Streamlit stays in the app: only capture_app.py and warehouse/ui/ may import it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UI = ROOT / "warehouse" / "ui"
IMPORTS_STREAMLIT = re.compile(r"^\s*(?:import streamlit|from streamlit\b)", re.MULTILINE)


def test_library_packages_never_import_streamlit() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("schemas", "anonymise", "warehouse")
        for path in (ROOT / package).rglob("*.py")
        if UI not in path.parents and IMPORTS_STREAMLIT.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_every_page_script_is_registered_in_the_navigation() -> None:
    from warehouse.ui.navigation import PAGES

    registered = {page.script for page in PAGES}
    on_disk = {path.name for path in (UI / "pages").glob("*.py") if path.name != "__init__.py"}
    assert on_disk == registered
