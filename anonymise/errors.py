"""Errors raised by the scrubber. Messages never contain the text being scrubbed."""

from __future__ import annotations

from schemas.errors import CaseguardError


class ScrubberUnavailable(CaseguardError):
    """The text cannot be scanned (model or language missing): it must be refused."""

    title = "Identifier scanner unavailable"


class ScrubInputError(CaseguardError):
    """A scrub request is malformed (not text, unknown language, bad shift)."""

    title = "Invalid scrub request"
