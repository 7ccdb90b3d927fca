"""Which pages each role gets, in menu order.

Hiding a page is a convenience, not the protection: every warehouse call checks
the session's role and site again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PAGES_DIR = Path(__file__).parent / "pages"
ALL_ROLES = frozenset({"site_user", "coordinator", "monitor", "admin"})


@dataclass(frozen=True)
class PageSpec:
    """One page: its script, menu title key, icon and the roles that see it."""

    script: str
    title_key: str
    icon: str
    roles: frozenset[str]
    url: str

    @property
    def path(self) -> Path:
        """Absolute path of the page script."""
        return PAGES_DIR / self.script


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview.py", "page_overview", ":material/table:", ALL_ROLES, "overview"),
)


def pages_for(role: str) -> list[PageSpec]:
    """The pages a role may open, in menu order."""
    return [page for page in PAGES if role in page.roles]
