"""Anonymisation: keyed pseudonyms, date shifts and free-text scrubbing.

The scrubber (Presidio, spaCy, Natasha) is imported lazily on first use of
:func:`scrub_text` / :func:`scrub_texts`, so the warehouse and CLI start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from anonymise.keys import KeyStore
from anonymise.pseudonym import Pseudonym, pseudonymise, shift_date

if TYPE_CHECKING:
    from anonymise.scrubber import (
        ScrubbedEntity,
        Scrubber,
        ScrubResult,
        get_scrubber,
        scrub_text,
        scrub_texts,
        warm_up,
    )

_LAZY = {
    "ScrubResult",
    "ScrubbedEntity",
    "Scrubber",
    "get_scrubber",
    "scrub_text",
    "scrub_texts",
    "warm_up",
}

__all__ = [
    "KeyStore",
    "Pseudonym",
    "ScrubResult",
    "ScrubbedEntity",
    "Scrubber",
    "get_scrubber",
    "pseudonymise",
    "scrub_text",
    "scrub_texts",
    "shift_date",
    "warm_up",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from anonymise import scrubber

        return getattr(scrubber, name)
    raise AttributeError(f"module 'anonymise' has no attribute {name!r}")
