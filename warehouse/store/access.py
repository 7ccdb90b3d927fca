"""Who may do what: roles, site scope and the scoped session every call carries.

Enforced here, in the data layer, whatever the UI shows. A refusal is written to the
audit log and raised as :class:`AccessDenied`.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.errors import AccessDenied
from warehouse.store.audit import Actor, Event, audited_transaction
from warehouse.store.db import Database

READ_CLINICAL = "read_clinical"
WRITE_CLINICAL = "write_clinical"
READ_AGGREGATE = "read_aggregate"
EXPORT_POOLED = "export_pooled"
EXPORT_BUNDLE = "export_bundle"
IMPORT_BUNDLE = "import_bundle"
MANAGE_SITES = "manage_sites"
MANAGE_USERS = "manage_users"
# scoring pooled linkage tokens and deciding which pseudonyms are one child (cross-site)
LINK_RECORDS = "link_records"
WRITE_REVIEW = "write_review"  # queries, source-data verification marks: never clinical values
ANSWER_QUERY = "answer_query"
SIGN_CASEBOOK = "sign_casebook"  # only a site user an admin made an investigator

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    # site neurologists: their own site's clinical records, read and write, and its bundle
    # (investigators among them sign casebooks; they answer their centre's queries)
    "site_user": frozenset(
        {READ_CLINICAL, WRITE_CLINICAL, READ_AGGREGATE, EXPORT_BUNDLE, ANSWER_QUERY, SIGN_CASEBOOK}
    ),
    # coordinators: all sites; writes (imports, corrections) always audited with reasons
    "coordinator": frozenset(
        {
            READ_CLINICAL,
            WRITE_CLINICAL,
            READ_AGGREGATE,
            EXPORT_POOLED,
            EXPORT_BUNDLE,
            IMPORT_BUNDLE,
            MANAGE_SITES,
            MANAGE_USERS,
            LINK_RECORDS,
            WRITE_REVIEW,
            ANSWER_QUERY,
        }
    ),
    # monitors: clinical values read-only across sites, no row-level export (pooled data
    # or site bundles); they write queries and verification marks, never a clinical value
    "monitor": frozenset({READ_CLINICAL, READ_AGGREGATE, WRITE_REVIEW}),
    # administrators: accounts, sites and keys; no row-level clinical data
    "admin": frozenset({READ_AGGREGATE, MANAGE_SITES, MANAGE_USERS}),
}
SITE_SCOPED_ROLES = frozenset({"site_user"})
# Rights a role holds only together with an attribute an administrator sets per user
# (signing needs the investigator attribute): not compared when a role is granted.
ATTRIBUTE_GATED = frozenset({SIGN_CASEBOOK})


@dataclass(frozen=True)
class Session:
    """A user acting on a database: every warehouse call takes one."""

    db: Database
    username: str
    role: str
    site_code: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLE_ACTIONS:
            raise AccessDenied(f"unknown role {self.role!r}")
        if self.role in SITE_SCOPED_ROLES and not self.site_code:
            raise AccessDenied(f"a {self.role} session needs a site")

    @property
    def actor(self) -> Actor:
        """The session as the audit log records it."""
        return Actor(self.username, self.role, self.site_code)

    @property
    def site_scoped(self) -> bool:
        """True if this session only sees its own site."""
        return self.role in SITE_SCOPED_ROLES

    def allows(self, action: str, site_code: str | None = None) -> bool:
        """True if the role may do ``action`` (on ``site_code``, when given)."""
        if action not in ROLE_ACTIONS[self.role]:
            return False
        return not (self.site_scoped and site_code is not None and site_code != self.site_code)


def system_session(db: Database, purpose: str) -> Session:
    """A session for installation tasks run by the operator (init, demo)."""
    return Session(db, username=f"system:{purpose}", role="coordinator")


def require(session: Session, action: str, site_code: str | None = None, what: str = "") -> None:
    """Raise (and audit) unless the session may do ``action`` on ``site_code``."""
    if session.allows(action, site_code):
        return
    target = f" {what}" if what else ""
    scope = f" at site {site_code}" if site_code else ""
    with audited_transaction(session.db, session.actor) as (_conn, events):
        events.append(
            Event("access_denied", key=what or None, after={"action": action, "site": site_code})
        )
    raise AccessDenied(
        f"{session.username} ({session.role}) may not {action.replace('_', ' ')}{target}{scope}"
    )


def scope_filter(session: Session, column: str = "site_code") -> tuple[str, list[str]]:
    """SQL condition and parameters limiting a query to the session's sites."""
    if session.site_scoped:
        return f"{column} = ?", [str(session.site_code)]
    return "TRUE", []
