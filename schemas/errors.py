"""The project's exception hierarchy.

Every error a user can cause is a ``CaseguardError`` with a short user-facing
``title``; the CLI and the app turn it into one clear message at the edge. Messages
never carry identifiers: only pseudonyms, table names and codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schemas.problems import Problem


class CaseguardError(Exception):
    """Base class for errors shown to users as one line."""

    title = "caseguard error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ReferenceDataError(CaseguardError):
    """Reference data (diseases, products, scales...) failed its own checks."""

    title = "Invalid reference data"


class ValidationFailed(CaseguardError):
    """One or more rows broke a schema rule; ``problems`` says which and why."""

    title = "Validation failed"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        first = self.problems[0].describe("en") if self.problems else "no details"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(f"{first}{more}")


class AccessDenied(CaseguardError):
    """The session's role or site does not allow this read or write."""

    title = "Access denied"


class NotFound(CaseguardError):
    """A requested record does not exist (or is outside the session's scope)."""

    title = "Not found"


class Conflict(CaseguardError):
    """The write clashes with data already stored (e.g. the subject exists)."""

    title = "Conflict"


class DatabaseBusy(CaseguardError):
    """Another process held the database for longer than the retry budget."""

    title = "Database busy"


class KeyFileError(CaseguardError):
    """A site or audit key file is missing, unreadable or malformed."""

    title = "Key file problem"


class AuditChainBroken(CaseguardError):
    """The audit log does not verify: a row was altered, deleted or reordered."""

    title = "Audit log does not verify"
