"""Per-field keyed tokens from identifiers typed at a site, which are never stored.

Each field is normalised (warehouse.linkage.normalise) and keyed with HMAC-SHA256 under
the study-wide linkage key, domain-separated by field name so equal values in two fields
give unrelated tokens. Coarse variants (phonetic code of the surname, birth year-month,
given-name initial) are keyed too: the coordinator uses them only to choose which pairs
to compare (blocking). A token is 128 bits as hex; without the key it cannot be reversed
or checked against a guess.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from schemas.errors import ValidationFailed
from schemas.problems import Problem
from warehouse.linkage import normalise

# Exact-match evidence, in the order the review page lists agreeing fields.
EVIDENCE_FIELDS = (
    "surname",
    "given_name",
    "patronymic",
    "birth_date",
    "sex",
    "snils",
    "birth_region",
)
# Token columns, as stored (surname_parts is a list: one token per part of the name).
TOKEN_COLUMNS = (
    "surname",
    "surname_parts",
    "given_name",
    "patronymic",
    "birth_date",
    "birth_date_unordered",
    "sex",
    "snils",
    "birth_region",
    "surname_phonetic",
    "birth_year_month",
    "given_initial",
)
COARSE_COLUMNS = ("surname_phonetic", "birth_year_month", "given_initial")
IDENTIFIER_FIELDS = (
    "surname",
    "given_name",
    "patronymic",
    "birth_date",
    "sex",
    "snils",
    "birth_region",
)
_TOKEN_HEX = 32
_SEXES = {"m": "M", "male": "M", "м": "M", "f": "F", "female": "F", "ж": "F"}


@dataclass(frozen=True)
class Identifiers:
    """What a site user typed about a child; lives only in memory while tokens are made."""

    surname: str = ""
    given_name: str = ""
    patronymic: str = ""
    birth_date: dt.date | None = None
    sex: str = ""
    snils: str = ""
    birth_region: str = ""

    def __repr__(self) -> str:  # never print the values (logs, tracebacks)
        given = [f for f in IDENTIFIER_FIELDS if getattr(self, f)]
        return f"Identifiers(<{', '.join(given) or 'empty'}>)"

    __str__ = __repr__

    @property
    def empty(self) -> bool:
        """True if nothing was typed: no tokens are made, and none are kept."""
        return not any(getattr(self, f) for f in IDENTIFIER_FIELDS)


def key_id(key: bytes) -> str:
    """A public fingerprint of the linkage key, stored beside tokens so that tokens made
    under different keys (before and after a rotation) are never compared."""
    return hmac.new(key, b"caseguard linkage key id", hashlib.sha256).hexdigest()[:16]


def _token(key: bytes, field: str, value: str) -> str:
    message = f"{field}\x1f{value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:_TOKEN_HEX]


def _refuse(field: str, message_en: str, message_ru: str) -> ValidationFailed:
    """A problem naming the field and the rule, never the value typed (an identifier)."""
    return ValidationFailed(
        [Problem("identifiers", None, field, "", f"linkage_{field}", message_en, message_ru)]
    )


def _sex(value: str) -> str:
    folded = value.strip().lower()
    if not folded:
        return ""
    if folded not in _SEXES:
        raise _refuse("sex", "must be M or F", "должен быть М или Ж")
    return _SEXES[folded]


def normalised_values(ids: Identifiers) -> dict[str, Any]:
    """The normalised form of every field ('' or [] where not given); raises
    ValidationFailed naming the field for a malformed SNILS or sex."""
    parts = normalise.name_parts(ids.surname)
    given = normalise.full_name(ids.given_name)
    try:
        snils = normalise.snils_digits(ids.snils)
    except ValueError:
        raise _refuse(
            "snils",
            "is not a valid SNILS (11 digits, NNN-NNN-NNN NN, check digits must match)",
            "не является верным СНИЛС (11 цифр, NNN-NNN-NNN NN, контрольное число должно совпасть)",
        ) from None
    values: dict[str, Any] = {
        "surname": "".join(parts),
        "surname_parts": parts,
        "given_name": given,
        "patronymic": normalise.full_name(ids.patronymic),
        "sex": _sex(ids.sex),
        "snils": snils,
        "birth_region": normalise.region_key(ids.birth_region),
        "surname_phonetic": normalise.phonetic_code("".join(parts)),
        "given_initial": given[:1],
        "birth_date": "",
        "birth_date_unordered": "",
        "birth_year_month": "",
    }
    if ids.birth_date:
        values.update(normalise.birth_date_parts(ids.birth_date))
    return values


def make_tokens(key: bytes, ids: Identifiers) -> dict[str, Any]:
    """Keyed tokens per field (None where the field was not given)."""
    values = normalised_values(ids)
    tokens: dict[str, Any] = {}
    for column in TOKEN_COLUMNS:
        value = values[column]
        if column == "surname_parts":
            tokens[column] = [_token(key, "surname_part", p) for p in value] or None
        else:
            tokens[column] = _token(key, column, value) if value else None
    return tokens
