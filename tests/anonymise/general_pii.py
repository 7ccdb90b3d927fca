"""A labelled development set of general-PII English texts, made with Faker.

The clinical corpora in bench/data hold the formats of Russian and UK/US case
notes. Letters from other health systems and parents' messages carry other
formats: addresses of many countries, names of many nationalities, free-form
dates, national phone layouts, payment and national numbers. This set draws
them from Faker's locales and puts them in short frames (letters, forms,
e-mails). The frames were written alongside the rules, so this is a
development and regression set, not an independent test: the independent one
is tests/data/independent/.

Every identifier is appended as its own piece, so the gold offsets are exact by
construction. :func:`build` is deterministic for a seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from faker import Faker

LOCALES = (
    "en_GB",
    "en_US",
    "en_IE",
    "en_CA",
    "en_AU",
    "en_NZ",
    "en_IN",
    "de_DE",
    "fr_FR",
    "es_ES",
    "it_IT",
    "pl_PL",
    "nl_NL",
    "pt_BR",
    "tr_TR",
    "sv_SE",
)
ENGLISH_ADDRESS_LOCALES = ("en_GB", "en_US", "en_IE", "en_CA", "en_AU", "en_NZ")
MONTHS = "January February March April May June July August September October November December"


class Builder:
    """Appends text and identifiers, recording gold spans."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.spans: list[dict[str, Any]] = []

    def text(self, value: str) -> Builder:
        self.parts.append(value)
        self.length += len(value)
        return self

    def ident(self, value: str, kind: str) -> Builder:
        value = value.strip()
        self.spans.append({"start": self.length, "end": self.length + len(value), "type": kind})
        return self.text(value)

    def done(self) -> str:
        return "".join(self.parts)


def _date(fake: Faker, rng: random.Random) -> str:
    d = fake.date_between(start_date="-80y", end_date="today")
    month = MONTHS.split()[d.month - 1]
    day = d.day
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    forms = [
        f"{day} {month} {d.year}",
        f"{month} {day}, {d.year}",
        f"the {day}{suffix} of {month} {d.year}",
        f"{day}{suffix} {month}",
        f"{d:%d/%m/%Y}",
        f"{d:%m/%d/%y}",
        f"{d:%Y-%m-%d}",
        f"{d:%Y-%m-%dT%H:%M}",
        f"{month} {d.year}",
        f"{month[:3]}-{d:%y}",
        f"{d:%d.%m.%Y}",
        f"{d:%d %b %Y}",
        f"{month[:3]} {day}",
    ]
    return rng.choice(forms)


def _name(fake: Faker, rng: random.Random) -> str:
    first, last = fake.first_name(), fake.last_name()
    forms = [
        f"{first} {last}",
        f"{last}, {first}",
        f"{first[0]}. {last}",
        f"{last} {first[0]}.",
        f"{first.upper()} {last.upper()}",
        f"{first} {fake.first_name()[0]}. {last}",
        f"{first.lower()} {last.lower()}",
    ]
    return rng.choice(forms)


_FAKERS: dict[str, Faker] = {}


def faker(locale: str, rng: random.Random) -> Faker:
    """One Faker per locale (building one is slow), reseeded from ``rng``."""
    if locale not in _FAKERS:
        _FAKERS[locale] = Faker(locale)
    _FAKERS[locale].seed_instance(rng.random())
    return _FAKERS[locale]


def _ident(fake: Faker, rng: random.Random) -> tuple[str, str]:
    gb = faker("en_GB", rng)
    us = faker("en_US", rng)
    choices: list[tuple[str, Callable[[], str]]] = [
        ("card number", lambda: fake.credit_card_number()),
        ("IBAN", lambda: fake.iban()),
        ("IP address", lambda: fake.ipv4()),
        ("SSN", lambda: us.ssn()),
        ("NI number", lambda: gb.ssn()),
    ]
    label, make = rng.choice(choices)
    return label, make()


Frame = Callable[[Builder, Faker, random.Random], None]


def _letter(b: Builder, fake: Faker, rng: random.Random) -> None:
    b.text("Dear Dr ").ident(fake.last_name(), "PERSON").text(",\nRe: ")
    b.ident(_name(fake, rng), "PERSON").text(", born ").ident(_date(fake, rng), "DATE")
    b.text("\nI saw this child in clinic on ").ident(_date(fake, rng), "DATE")
    b.text(". Mum can be reached on ").ident(fake.phone_number(), "PHONE").text(".")


def _address_form(b: Builder, fake: Faker, rng: random.Random) -> None:
    local = faker(rng.choice(ENGLISH_ADDRESS_LOCALES), rng)
    b.text("Name: ").ident(_name(fake, rng), "PERSON").text("\nAddress: ")
    b.ident(local.address(), "LOCATION").text("\nDate of birth: ").ident(_date(fake, rng), "DATE")


def _inline_address(b: Builder, fake: Faker, rng: random.Random) -> None:
    b.text("Please send the summary to ").ident(_name(fake, rng), "PERSON").text(", ")
    b.ident(fake.address().replace("\n", ", "), "LOCATION").text(" by ")
    b.ident(_date(fake, rng), "DATE").text(".")


def _numbers(b: Builder, fake: Faker, rng: random.Random) -> None:
    label, value = _ident(fake, rng)
    b.text("Travel refund for ").ident(_name(fake, rng), "PERSON").text(f": {label} ")
    b.ident(value, "ID").text(", e-mail ").ident(fake.email(), "EMAIL").text(".")


def _carer(b: Builder, fake: Faker, rng: random.Random) -> None:
    b.text("The child lives with her grandmother, ").ident(fake.name(), "PERSON")
    b.text(", in ").ident(fake.city(), "LOCATION").text(" since ")
    b.ident(_date(fake, rng), "DATE").text("; phone ").ident(fake.phone_number(), "PHONE")
    b.text(".")


FRAMES: tuple[Frame, ...] = (_letter, _address_form, _inline_address, _numbers, _carer)


def build(count: int = 300, seed: int = 20) -> list[dict[str, Any]]:
    """``count`` labelled English texts over :data:`LOCALES`, deterministic for ``seed``."""
    rng = random.Random(seed)
    items = []
    for index in range(count):
        locale = LOCALES[index % len(LOCALES)]
        fake = faker(locale, rng)
        builder = Builder()
        rng.choice(FRAMES)(builder, fake, rng)
        items.append(
            {
                "id": f"dev-{locale}-{index:04d}",
                "text": builder.done(),
                "language": "en",
                "spans": builder.spans,
            }
        )
    return items
