"""Synthetic multicentre cohorts with known truth, for evaluating linkage (and the demo).

Children get Russian names from Faker (ru_RU). Some move to a second centre, some are
entered twice at one centre; every copy of a record may carry the errors real registries
show: a typo in a name, a Latin transliteration (ICAO 9303, GOST 7.79 B, an old passport
spelling), day and month swapped, SNILS unknown, patronymic omitted, a surname changed
after adoption, a hyphenated surname written in part, the birth region left blank.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field, replace

import cyrtranslit
from faker import Faker

from warehouse.linkage.tokens import Identifiers


@dataclass(frozen=True)
class ErrorRates:
    """Probability of each error in a copy of a record at a second centre."""

    typo: float = 0.12
    latin: float = 0.15
    swap_day_month: float = 0.03
    snils_known: float = 0.6
    patronymic_omitted: float = 0.1
    adoption: float = 0.02
    region_blank: float = 0.1
    hyphen_part: float = 0.5  # of hyphenated surnames, written with one part only


@dataclass(frozen=True)
class SyntheticRecord:
    """One subject as entered at one centre, with the child it really is."""

    record_id: str
    site_code: str
    person_id: int
    identifiers: Identifiers


@dataclass
class Cohort:
    """Records and the true pairs (same child) among them."""

    records: list[SyntheticRecord] = field(default_factory=list)

    def true_pairs(self) -> set[tuple[str, str]]:
        """Every pair of records of one child, as (smaller id, larger id)."""
        by_person: dict[int, list[str]] = {}
        for record in self.records:
            by_person.setdefault(record.person_id, []).append(record.record_id)
        pairs: set[tuple[str, str]] = set()
        for ids in by_person.values():
            ids = sorted(ids)
            pairs.update((a, b) for i, a in enumerate(ids) for b in ids[i + 1 :])
        return pairs


_OLD_PASSPORT = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh",
        "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
        "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
        "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
        "я": "ya",
    }
)  # fmt: skip
_ICAO = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
        "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
        "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
        "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu",
        "я": "ia",
    }
)  # fmt: skip
_RU_LOWER = "абвгдежзиклмнопрстуфхцчшщыэюя"


def latin(text: str, rng: random.Random) -> str:
    """``text`` as one of three transliteration systems would write it."""
    scheme = rng.choice(("icao", "gost", "passport"))
    if scheme == "gost":
        return cyrtranslit.to_latin(text, "ru")
    table = _ICAO if scheme == "icao" else _OLD_PASSPORT
    return "".join(
        ch.lower().translate(table).capitalize() if ch.isupper() else ch.translate(table)
        for ch in text
    )


def typo(text: str, rng: random.Random) -> str:
    """One keyboard slip: a letter dropped, doubled, swapped with its neighbour or replaced."""
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.choice(("drop", "double", "swap", "replace"))
    if kind == "drop":
        return text[:i] + text[i + 1 :]
    if kind == "double":
        return text[:i] + text[i] + text[i:]
    if kind == "swap":
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + rng.choice(_RU_LOWER) + text[i + 1 :]


def snils(rng: random.Random) -> str:
    """A valid SNILS (check digits computed as the Pension Fund defines them)."""
    number = f"{rng.randrange(1_002_000, 999_999_999):09d}"
    total = sum(int(d) * (9 - i) for i, d in enumerate(number))
    check = total % 101 % 100
    return f"{number[:3]}-{number[3:6]}-{number[6:]} {check:02d}"


class CohortMaker:
    """Makes children and their records; one seed gives one cohort."""

    def __init__(self, seed: int, rates: ErrorRates | None = None) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker("ru_RU")
        self.fake.seed_instance(seed)
        self.rates = rates or ErrorRates()

    def child(self) -> Identifiers:
        """A child as the first centre enters it, without errors."""
        female = self.rng.random() < 0.5
        fake = self.fake
        surname = fake.last_name_female() if female else fake.last_name_male()
        if self.rng.random() < 0.04:
            other = fake.last_name_female() if female else fake.last_name_male()
            surname = f"{surname}-{other}"
        born = dt.date(2008, 1, 1) + dt.timedelta(days=self.rng.randrange(0, 18 * 365))
        return Identifiers(
            surname=surname,
            given_name=fake.first_name_female() if female else fake.first_name_male(),
            patronymic=fake.middle_name_female() if female else fake.middle_name_male(),
            birth_date=born,
            sex="F" if female else "M",
            snils=snils(self.rng) if self.rng.random() < self.rates.snils_known else "",
            birth_region=fake.region(),
        )

    def sibling(self, ids: Identifiers, twin: bool) -> Identifiers:
        """A brother or sister (SMA is inherited: siblings are often both treated): same
        surname, patronymic and birth region; a twin shares the birth date too. The hard
        case for precision."""
        female = self.rng.random() < 0.5
        fake = self.fake
        born = ids.birth_date
        if not twin and born:
            born = born + dt.timedelta(
                days=self.rng.choice((-1, 1)) * self.rng.randrange(300, 2500)
            )
        patronymic = ids.patronymic
        if (ids.sex == "F") != female and patronymic:  # Сергеевна <-> Сергеевич
            stem = patronymic[:-3] if female is False else patronymic[:-2]
            patronymic = stem + ("на" if female else "ич")
        surname = ids.surname
        if (ids.sex == "F") != female:
            surname = fake.last_name_female() if female else fake.last_name_male()
            surname = ids.surname if surname[:3] != ids.surname[:3] else surname
        given = ids.given_name
        while given == ids.given_name:  # parents never give two children one name
            given = fake.first_name_female() if female else fake.first_name_male()
        return Identifiers(
            surname=surname,
            given_name=given,
            patronymic=patronymic,
            birth_date=born,
            sex="F" if female else "M",
            snils=snils(self.rng) if self.rng.random() < self.rates.snils_known else "",
            birth_region=ids.birth_region,
        )

    def copy_with_errors(self, ids: Identifiers) -> Identifiers:
        """The same child as entered at another centre (or again at the same one)."""
        rng, rates = self.rng, self.rates
        surname, given, patronymic = ids.surname, ids.given_name, ids.patronymic
        if "-" in surname and rng.random() < rates.hyphen_part:
            surname = rng.choice(surname.split("-"))
        if rng.random() < rates.adoption:
            surname = self.fake.last_name_female() if ids.sex == "F" else self.fake.last_name_male()
        if rng.random() < rates.typo:
            which = rng.randrange(3)
            if which == 0:
                surname = typo(surname, rng)
            elif which == 1:
                given = typo(given, rng)
            else:
                patronymic = typo(patronymic, rng)
        if rng.random() < rates.latin:
            surname, given, patronymic = (latin(t, rng) for t in (surname, given, patronymic))
        if rng.random() < rates.patronymic_omitted:
            patronymic = ""
        born = ids.birth_date
        if (
            born
            and born.day <= 12
            and born.day != born.month
            and rng.random() < rates.swap_day_month
        ):
            born = born.replace(day=born.month, month=born.day)
        return replace(
            ids,
            surname=surname,
            given_name=given,
            patronymic=patronymic,
            birth_date=born,
            snils=ids.snils if rng.random() < rates.snils_known else "",
            birth_region="" if rng.random() < rates.region_blank else ids.birth_region,
        )

    def cohort(
        self,
        subjects: int,
        sites: list[str],
        moved: float = 0.1,
        double_entry: float = 0.01,
        siblings: float = 0.03,
    ) -> Cohort:
        """About ``subjects`` records: a share ``moved`` of children also at a second
        centre, ``double_entry`` entered twice at the same one, ``siblings`` with a
        brother or sister in the study (a third of them twins), at the same centre."""
        cohort = Cohort()
        person = 0
        while len(cohort.records) < subjects:
            person += 1
            ids = self.child()
            home = self.rng.choice(sites)
            self._add(cohort, person, home, ids)
            roll = self.rng.random()
            if roll < moved and len(sites) > 1:
                other = self.rng.choice([s for s in sites if s != home])
                self._add(cohort, person, other, self.copy_with_errors(ids))
            elif roll < moved + double_entry:
                self._add(cohort, person, home, self.copy_with_errors(ids))
            if self.rng.random() < siblings:
                person += 1
                twin = self.rng.random() < 1 / 3
                self._add(cohort, person, home, self.sibling(ids, twin))
        return cohort

    @staticmethod
    def _add(cohort: Cohort, person: int, site: str, ids: Identifiers) -> None:
        record_id = f"{site}-{len(cohort.records) + 1:07d}"
        cohort.records.append(SyntheticRecord(record_id, site, person, ids))
