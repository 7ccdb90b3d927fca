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
    PageSpec(
        "safety.py",
        "page_safety",
        ":material/monitor_heart:",
        frozenset({"monitor", "coordinator"}),
        "safety",
    ),
    PageSpec(
        "safety_listings.py",
        "page_safety_listings",
        ":material/list_alt:",
        frozenset({"monitor", "coordinator"}),
        "safety-listings",
    ),
    PageSpec(
        "reporting.py",
        "page_reporting",
        ":material/alarm:",
        frozenset({"monitor", "coordinator", "site_user"}),
        "sae-reporting",
    ),
    PageSpec(
        "review.py",
        "page_review",
        ":material/fact_check:",
        frozenset({"monitor", "coordinator"}),
        "data-review",
    ),
    PageSpec(
        "queries.py",
        "page_queries",
        ":material/contact_support:",
        frozenset({"site_user", "coordinator"}),
        "queries",
    ),
    PageSpec(
        "subject.py",
        "page_subject",
        ":material/person_search:",
        frozenset({"site_user", "coordinator"}),
        "subject",
    ),
    PageSpec(
        "treatments.py",
        "page_treatments",
        ":material/vaccines:",
        frozenset({"site_user"}),
        "treatments",
    ),
    PageSpec(
        "visits.py", "page_visits", ":material/monitoring:", frozenset({"site_user"}), "visits"
    ),
    PageSpec(
        "adverse_events.py",
        "page_adverse_events",
        ":material/emergency:",
        frozenset({"site_user"}),
        "adverse-events",
    ),
    PageSpec(
        "narrative.py",
        "narr_page_title",
        ":material/edit_note:",
        frozenset({"site_user"}),
        "narrative",
    ),
    PageSpec(
        "signoff.py",
        "page_signoff",
        ":material/signature:",
        frozenset({"site_user"}),
        "sign-off",
    ),
    PageSpec(
        "export.py", "page_export", ":material/download:", frozenset({"coordinator"}), "export"
    ),
    PageSpec(
        "duplicates.py",
        "page_duplicates",
        ":material/join_inner:",
        frozenset({"coordinator"}),
        "duplicates",
    ),
    PageSpec(
        "corrections.py",
        "corr_page_title",
        ":material/rule:",
        frozenset({"site_user", "coordinator"}),
        "corrections",
    ),
)


def pages_for(role: str) -> list[PageSpec]:
    """The pages a role may open, in menu order."""
    return [page for page in PAGES if role in page.roles]
