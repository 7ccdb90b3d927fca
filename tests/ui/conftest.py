"""Every page test starts with Streamlit's resource cache empty (each test serves its own
database, and the app caches its connection and reference data as resources)."""

from __future__ import annotations

from tests.app_helpers import fresh_app_cache  # noqa: F401  (an autouse fixture)
