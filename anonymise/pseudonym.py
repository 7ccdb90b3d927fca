"""Keyed pseudonyms and per-subject date shifts.

``subject_id = SITE-<12 base32 chars of HMAC-SHA256(site_key, site_code + id)>`` and
the date shift (in [-182, +182] days) comes from other bytes of the same HMAC, so a
local patient id always maps to the same subject and shift at its site, and to a
different one at any other site. The local id itself is never returned or stored.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass

from schemas.errors import CaseguardError

MAX_SHIFT_DAYS = 182
_ID_CHARS = 12


class InvalidLocalId(CaseguardError):
    """The local patient id is empty or unusable (the id itself is never echoed)."""

    title = "Invalid local patient id"


class DateOutOfRange(CaseguardError):
    """A date too close to year 1 or year 9999 to be shifted."""

    title = "Invalid date"


@dataclass(frozen=True)
class Pseudonym:
    """A subject's pseudonym and date shift."""

    subject_id: str
    date_shift_days: int


def normalise_local_id(local_id: str) -> str:
    """Unicode-normalise, drop spaces, invisible characters and case ('12 345' = '12345').

    A missing id (None, NaN from an empty spreadsheet cell) is refused rather than
    turned into the text 'None', which would merge every such patient into one.
    """
    if not isinstance(local_id, str | int):
        raise InvalidLocalId("the local patient id is missing")
    if any("\ud800" <= ch <= "\udfff" for ch in str(local_id)):
        raise InvalidLocalId("the local patient id contains characters that are not valid text")
    text = unicodedata.normalize("NFKC", str(local_id))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")  # zero-width, soft hyphen
    return re.sub(r"\s+", "", text).upper()


def pseudonymise(site_key: bytes, site_code: str, local_id: str) -> Pseudonym:
    """The pseudonym and date shift of a local patient id at a site."""
    normal = normalise_local_id(local_id)
    if not normal:
        raise InvalidLocalId("the local patient id is empty")
    digest = hmac.new(site_key, f"{site_code}\x1f{normal}".encode(), hashlib.sha256).digest()
    code = base64.b32encode(digest[:10]).decode("ascii")[:_ID_CHARS]
    shift = int.from_bytes(digest[16:20], "big") % (2 * MAX_SHIFT_DAYS + 1) - MAX_SHIFT_DAYS
    return Pseudonym(subject_id=f"{site_code}-{code}", date_shift_days=shift)


def shift_date(value: dt.date | None, days: int) -> dt.date | None:
    """A date moved by ``days`` (None stays None); datetimes keep their time.

    Raises :class:`DateOutOfRange` for a date so near the calendar's ends that it
    cannot be moved (no real visit lies there).
    """
    if value is None:
        return None
    try:
        return value + dt.timedelta(days=days)
    except OverflowError:
        raise DateOutOfRange("a date lies outside the range that can be stored") from None
