"""Deterministic generator for the caseguard de-identification evaluation corpus.

Run from the project root:  .venv/bin/python bench/data/make_corpus.py

Writes (next to this file):
  narratives.jsonl  - templated synthetic case narratives, 50 % ru / 50 % en
  hard_cases.jsonl  - hand-written hard cases (source: hard_cases_src.py)
  README.md         - how the corpus was made, labelling guide, counts

Texts are assembled piece by piece; every identifier / keep term is appended
as its own piece, so offsets are exact by construction.  Nothing is searched
for afterwards.  This generator is written independently of ``anonymise/``.
"""

from __future__ import annotations

import inspect
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

if not hasattr(inspect, "getargspec"):  # pymorphy2 0.9.1 on Python >= 3.11
    inspect.getargspec = lambda f: inspect.getfullargspec(f)[:4]  # type: ignore[attr-defined]

import pymorphy2  # noqa: E402
from faker import Faker  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True  # keep bench/data free of __pycache__

from hard_cases_src import HARD_CASES  # noqa: E402

SEED = 20240917
N_PER_LANG = 320
TYPES = ["PERSON", "DATE", "LOCATION", "PHONE", "EMAIL", "URL", "ID"]
CASES = ["nomn", "gent", "datv", "accs", "ablt", "loct"]

MORPH = pymorphy2.MorphAnalyzer()

# ---------------------------------------------------------------------------
# identifier number generators (valid checksums)
# ---------------------------------------------------------------------------


def snils_control(d9: str) -> int:
    s = sum(int(c) * w for c, w in zip(d9, range(9, 0, -1)))
    if s < 100:
        return s
    if s in (100, 101):
        return 0
    c = s % 101
    return 0 if c == 100 else c


def snils_valid(s: str) -> bool:
    d = re.sub(r"\D", "", s)
    return len(d) == 11 and snils_control(d[:9]) == int(d[9:])


def make_snils(rng: random.Random, style: int = 0) -> str:
    d9 = f"{rng.randint(2_000_000, 999_999_999):09d}"
    c = snils_control(d9)
    if style == 1:
        return f"{d9[:3]}-{d9[3:6]}-{d9[6:]}-{c:02d}"
    if style == 2:
        return f"{d9}{c:02d}"
    return f"{d9[:3]}-{d9[3:6]}-{d9[6:]} {c:02d}"


def _inn_digit(digits: str, weights: list[int]) -> int:
    return sum(int(c) * w for c, w in zip(digits, weights)) % 11 % 10


def inn_valid(s: str) -> bool:
    if len(s) == 10:
        return _inn_digit(s[:9], [2, 4, 10, 3, 5, 9, 4, 6, 8]) == int(s[9])
    if len(s) == 12:
        return _inn_digit(s[:10], [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == int(s[10]) and _inn_digit(
            s[:11], [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
        ) == int(s[11])
    return False


REGION_CODES = [
    "77",
    "78",
    "50",
    "59",
    "52",
    "16",
    "66",
    "54",
    "70",
    "02",
    "61",
    "23",
    "36",
    "74",
    "18",
]


def make_inn10(rng: random.Random) -> str:
    d = rng.choice(REGION_CODES) + f"{rng.randint(0, 9_999_999):07d}"
    return d + str(_inn_digit(d, [2, 4, 10, 3, 5, 9, 4, 6, 8]))


def make_inn12(rng: random.Random) -> str:
    d = rng.choice(REGION_CODES) + f"{rng.randint(0, 99_999_999):08d}"
    d += str(_inn_digit(d, [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]))
    return d + str(_inn_digit(d, [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]))


def luhn_check_digit(d15: str) -> int:
    total = 0
    for i, c in enumerate(reversed(d15)):
        v = int(c)
        if i % 2 == 0:  # positions that get doubled once the check digit is appended
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return (10 - total % 10) % 10


def luhn_valid(s: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(s)):
        v = int(c)
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return total % 10 == 0


def make_oms(rng: random.Random) -> str:
    d = rng.choice(REGION_CODES[:10]) + f"{rng.randint(0, 10**13 - 1):013d}"
    return d + str(luhn_check_digit(d))


def nhs_valid(s: str) -> bool:
    d = re.sub(r"\D", "", s)
    if len(d) != 10:
        return False
    c = 11 - sum(int(x) * w for x, w in zip(d[:9], range(10, 1, -1))) % 11
    c = 0 if c == 11 else c
    return c != 10 and c == int(d[9])


def make_nhs(rng: random.Random) -> str:
    while True:
        d = f"{rng.randint(400_000_000, 799_999_999):09d}"
        c = 11 - sum(int(x) * w for x, w in zip(d, range(10, 1, -1))) % 11
        c = 0 if c == 11 else c
        if c != 10:
            full = d + str(c)
            return f"{full[:3]} {full[3:6]} {full[6:]}"


# ---------------------------------------------------------------------------
# Russian name inflection
# ---------------------------------------------------------------------------


def _cap(w: str) -> str:
    return "-".join(p[:1].upper() + p[1:] for p in w.split("-"))


def inflect_word(word: str, kind: str, gender: str, case: str) -> str | None:
    """kind is the OpenCorpora grammeme Surn / Name / Patr."""
    if case == "nomn":
        return word
    parts = word.split("-")
    out = []
    for part in parts:
        got = None
        for p in MORPH.parse(part):
            if kind in p.tag and p.tag.case == "nomn" and (gender in p.tag or "ms-f" in p.tag):
                r = p.inflect({case, "sing"})
                if r is not None:
                    got = r.word
                    break
        if got is None:
            return None
        out.append(_cap(got))
    return "-".join(out)


class RuPerson:
    def __init__(self, last: str, first: str, patr: str, gender: str):
        self.last, self.first, self.patr, self.gender = last, first, patr, gender
        self.forms: dict[str, tuple[str, str, str]] = {}
        for c in CASES:
            l_ = inflect_word(last, "Surn", gender, c)
            f_ = inflect_word(first, "Name", gender, c)
            p_ = inflect_word(patr, "Patr", gender, c)
            if not (l_ and f_ and p_):
                raise ValueError(f"cannot inflect {last} {first} {patr} into {c}")
            self.forms[c] = (l_, f_, p_)

    @property
    def fem(self) -> bool:
        return self.gender == "femn"

    def initials(self, rng: random.Random) -> str:
        sep = rng.choice([".", ".", ".", ". "])
        return f"{self.first[0]}{sep}{self.patr[0]}."

    def render(self, case: str, fmt: str, rng: random.Random) -> str:
        l_, f_, p_ = self.forms[case if case in self.forms else "nomn"]
        if fmt == "f":
            return f"{l_} {f_} {p_}"
        if fmt == "F":
            return f"{l_} {f_} {p_}".upper()
        if fmt == "fi":
            return f"{l_} {f_}"
        if fmt == "if":
            return f"{f_} {l_}"
        if fmt == "ifp":
            return f"{f_} {p_} {l_}"
        if fmt == "s":
            return l_
        if fmt == "si":
            return f"{l_} {self.initials(rng)}"
        if fmt == "is":
            return f"{self.initials(rng)} {l_}"
        if fmt == "io":
            return f"{f_} {p_}"
        if fmt == "i":
            return f_
        raise KeyError(fmt)


TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "",
            "y",
            "",
            "e",
            "yu",
            "ya",
        ],
    )
)


def translit(s: str) -> str:
    out = []
    for ch in s:
        low = ch.lower()
        if low in TRANSLIT:
            t = TRANSLIT[low]
            out.append(t.capitalize() if ch != low else t)
        else:
            out.append(ch)
    return "".join(out)


class EnPerson:
    def __init__(self, first: str, last: str, fem: bool, middle: str = "", cyr: str = ""):
        self.first, self.last, self.fem, self.middle, self.cyr = first, last, fem, middle, cyr

    def render(self, case: str, fmt: str, rng: random.Random) -> str:
        i = self.first[0] + "."
        if self.middle and rng.random() < 0.4:
            i += self.middle[0] + "."
        if fmt in ("f", "fl"):
            return f"{self.first} {self.last}"
        if fmt == "fml":
            return (
                f"{self.first} {self.middle} {self.last}"
                if self.middle
                else f"{self.first} {self.last}"
            )
        if fmt == "l" or fmt == "s":
            return self.last
        if fmt == "il":
            return f"{i} {self.last}"
        if fmt == "li":
            return f"{self.last} {i}"
        if fmt == "LF":
            return f"{self.last.upper()}, {self.first}"
        if fmt == "F":
            return f"{self.first} {self.last}".upper()
        if fmt == "i":
            return self.first
        if fmt == "cyr":
            return self.cyr or f"{self.first} {self.last}"
        raise KeyError(fmt)


# ---------------------------------------------------------------------------
# static gazetteers
# ---------------------------------------------------------------------------

# nomn, gent, accs, loct, English, region key
CITIES = [
    ("Москва", "Москвы", "Москву", "Москве", "Moscow", "msk"),
    (
        "Санкт-Петербург",
        "Санкт-Петербурга",
        "Санкт-Петербург",
        "Санкт-Петербурге",
        "Saint Petersburg",
        "spb",
    ),
    ("Пермь", "Перми", "Пермь", "Перми", "Perm", "perm"),
    ("Березники", "Березников", "Березники", "Березниках", "Berezniki", "perm"),
    ("Чайковский", "Чайковского", "Чайковский", "Чайковском", "Chaykovsky", "perm"),
    ("Соликамск", "Соликамска", "Соликамск", "Соликамске", "Solikamsk", "perm"),
    (
        "Нижний Новгород",
        "Нижнего Новгорода",
        "Нижний Новгород",
        "Нижнем Новгороде",
        "Nizhny Novgorod",
        "nn",
    ),
    ("Дзержинск", "Дзержинска", "Дзержинск", "Дзержинске", "Dzerzhinsk", "nn"),
    ("Арзамас", "Арзамаса", "Арзамас", "Арзамасе", "Arzamas", "nn"),
    ("Казань", "Казани", "Казань", "Казани", "Kazan", "tat"),
    (
        "Набережные Челны",
        "Набережных Челнов",
        "Набережные Челны",
        "Набережных Челнах",
        "Naberezhnye Chelny",
        "tat",
    ),
    ("Екатеринбург", "Екатеринбурга", "Екатеринбург", "Екатеринбурге", "Yekaterinburg", "sve"),
    ("Нижний Тагил", "Нижнего Тагила", "Нижний Тагил", "Нижнем Тагиле", "Nizhny Tagil", "sve"),
    ("Новосибирск", "Новосибирска", "Новосибирск", "Новосибирске", "Novosibirsk", "nsk"),
    ("Томск", "Томска", "Томск", "Томске", "Tomsk", "tom"),
    ("Уфа", "Уфы", "Уфу", "Уфе", "Ufa", "bash"),
    ("Стерлитамак", "Стерлитамака", "Стерлитамак", "Стерлитамаке", "Sterlitamak", "bash"),
    ("Королёв", "Королёва", "Королёв", "Королёве", "Korolyov", "mo"),
    ("Подольск", "Подольска", "Подольск", "Подольске", "Podolsk", "mo"),
    ("Ижевск", "Ижевска", "Ижевск", "Ижевске", "Izhevsk", "udm"),
    ("Краснодар", "Краснодара", "Краснодар", "Краснодаре", "Krasnodar", "kk"),
    ("Сочи", "Сочи", "Сочи", "Сочи", "Sochi", "kk"),
    (
        "Ростов-на-Дону",
        "Ростова-на-Дону",
        "Ростов-на-Дону",
        "Ростове-на-Дону",
        "Rostov-on-Don",
        "ros",
    ),
    ("Тюмень", "Тюмени", "Тюмень", "Тюмени", "Tyumen", "tyu"),
    ("Ярославль", "Ярославля", "Ярославль", "Ярославле", "Yaroslavl", "yar"),
    ("Киров", "Кирова", "Киров", "Кирове", "Kirov", "kir"),
    ("Чебоксары", "Чебоксар", "Чебоксары", "Чебоксарах", "Cheboksary", "chu"),
    ("Йошкар-Ола", "Йошкар-Олы", "Йошкар-Олу", "Йошкар-Оле", "Yoshkar-Ola", "mel"),
    ("Махачкала", "Махачкалы", "Махачкалу", "Махачкале", "Makhachkala", "dag"),
    ("Оренбург", "Оренбурга", "Оренбург", "Оренбурге", "Orenburg", "ore"),
]
# nomn, gent, loct, English
REGIONS = {
    "msk": ("Москва", "Москвы", "Москве", "Moscow"),
    "spb": ("Санкт-Петербург", "Санкт-Петербурга", "Санкт-Петербурге", "Saint Petersburg"),
    "perm": ("Пермский край", "Пермского края", "Пермском крае", "Perm Krai"),
    "nn": (
        "Нижегородская область",
        "Нижегородской области",
        "Нижегородской области",
        "Nizhny Novgorod Oblast",
    ),
    "tat": (
        "Республика Татарстан",
        "Республики Татарстан",
        "Республике Татарстан",
        "Republic of Tatarstan",
    ),
    "sve": (
        "Свердловская область",
        "Свердловской области",
        "Свердловской области",
        "Sverdlovsk Oblast",
    ),
    "nsk": (
        "Новосибирская область",
        "Новосибирской области",
        "Новосибирской области",
        "Novosibirsk Oblast",
    ),
    "tom": ("Томская область", "Томской области", "Томской области", "Tomsk Oblast"),
    "bash": (
        "Республика Башкортостан",
        "Республики Башкортостан",
        "Республике Башкортостан",
        "Republic of Bashkortostan",
    ),
    "mo": ("Московская область", "Московской области", "Московской области", "Moscow Oblast"),
    "udm": (
        "Удмуртская Республика",
        "Удмуртской Республики",
        "Удмуртской Республике",
        "Udmurt Republic",
    ),
    "kk": ("Краснодарский край", "Краснодарского края", "Краснодарском крае", "Krasnodar Krai"),
    "ros": ("Ростовская область", "Ростовской области", "Ростовской области", "Rostov Oblast"),
    "tyu": ("Тюменская область", "Тюменской области", "Тюменской области", "Tyumen Oblast"),
    "yar": (
        "Ярославская область",
        "Ярославской области",
        "Ярославской области",
        "Yaroslavl Oblast",
    ),
    "kir": ("Кировская область", "Кировской области", "Кировской области", "Kirov Oblast"),
    "chu": (
        "Чувашская Республика",
        "Чувашской Республики",
        "Чувашской Республике",
        "Chuvash Republic",
    ),
    "mel": (
        "Республика Марий Эл",
        "Республики Марий Эл",
        "Республике Марий Эл",
        "Mari El Republic",
    ),
    "dag": (
        "Республика Дагестан",
        "Республики Дагестан",
        "Республике Дагестан",
        "Republic of Dagestan",
    ),
    "ore": (
        "Оренбургская область",
        "Оренбургской области",
        "Оренбургской области",
        "Orenburg Oblast",
    ),
}
# Treating (expert) centres: (nomn, gent, accs, loct, English, centre region, tags)
HOSPITALS = [
    (
        "ФГАУ «НМИЦ здоровья детей» Минздрава России",
        None,
        None,
        None,
        "National Medical Research Center for Children's Health",
        "msk",
        "sma",
    ),
    ("НМИЦ здоровья детей", None, None, None, "NMRC for Children's Health", "msk", "sma"),
    (
        "ГБУЗ «Морозовская ДГКБ ДЗМ»",
        None,
        None,
        None,
        "Morozov Children's City Hospital",
        "msk",
        "sma",
    ),
    (
        "Морозовская детская городская клиническая больница",
        "Морозовской детской городской клинической больницы",
        "Морозовскую детскую городскую клиническую больницу",
        "Морозовской детской городской клинической больнице",
        "Morozovskaya Children's City Clinical Hospital",
        "msk",
        "sma",
    ),
    (
        "НИКИ педиатрии и детской хирургии им. акад. Ю.Е. Вельтищева",
        None,
        None,
        None,
        "Veltischev Research and Clinical Institute for Pediatrics",
        "msk",
        "sma",
    ),
    (
        "ГБУЗ «ДГКБ № 9 им. Г.Н. Сперанского ДЗМ»",
        None,
        None,
        None,
        "Speransky Children's City Clinical Hospital No. 9",
        "msk",
        "sma",
    ),
    (
        "ГБУЗ ПК «Краевая детская клиническая больница»",
        None,
        None,
        None,
        "Perm Regional Children's Clinical Hospital",
        "perm",
        "sma",
    ),
    (
        "ГБУЗ ПК «Пермская краевая клиническая больница»",
        None,
        None,
        None,
        "Perm Regional Clinical Hospital",
        "perm",
        "as",
    ),
    (
        "ГБУЗ НО «Нижегородская областная детская клиническая больница»",
        None,
        None,
        None,
        "Nizhny Novgorod Regional Children's Clinical Hospital",
        "nn",
        "sma",
    ),
    (
        "ГАУЗ «ДРКБ МЗ РТ»",
        None,
        None,
        None,
        "Children's Republican Clinical Hospital of Tatarstan",
        "tat",
        "sma",
    ),
    (
        "ГАУЗ «Республиканская клиническая больница МЗ РТ»",
        None,
        None,
        None,
        "Republican Clinical Hospital of Tatarstan",
        "tat",
        "as",
    ),
    (
        "ГАУЗ СО «Областная детская клиническая больница»",
        None,
        None,
        None,
        "Sverdlovsk Regional Children's Clinical Hospital",
        "sve",
        "sma",
    ),
    (
        "СПб ГБУЗ «ДГМКЦ ВМТ им. К.А. Раухфуса»",
        None,
        None,
        None,
        "Rauchfuss Children's City Multidisciplinary Clinical Centre",
        "spb",
        "sma",
    ),
    (
        "ФГБОУ ВО СПбГПМУ Минздрава России",
        None,
        None,
        None,
        "Saint Petersburg State Pediatric Medical University",
        "spb",
        "sma",
    ),
    (
        "ФГБНУ «НИИР им. В.А. Насоновой»",
        None,
        None,
        None,
        "V.A. Nasonova Research Institute of Rheumatology",
        "msk",
        "as",
    ),
    (
        "НИИ ревматологии им. В.А. Насоновой",
        None,
        None,
        None,
        "Nasonova Institute of Rheumatology",
        "msk",
        "as",
    ),
    ("ГБУЗ «ГКБ № 52 ДЗМ»", None, None, None, "City Clinical Hospital No. 52", "msk", "as"),
    (
        "ГБУЗ НСО «Государственная Новосибирская областная клиническая больница»",
        None,
        None,
        None,
        "Novosibirsk State Regional Clinical Hospital",
        "nsk",
        "as",
    ),
    (
        "НИИ медицинской генетики Томского НИМЦ",
        None,
        None,
        None,
        "Research Institute of Medical Genetics, Tomsk NRMC",
        "tom",
        "sma",
    ),
    (
        "ГБУЗ РБ «Республиканская детская клиническая больница»",
        None,
        None,
        None,
        "Republican Children's Clinical Hospital, Ufa",
        "bash",
        "sma",
    ),
    (
        "ФГБНУ «МГНЦ им. акад. Н.П. Бочкова»",
        None,
        None,
        None,
        "Bochkov Research Centre for Medical Genetics",
        "msk",
        "gen",
    ),
    (
        "Медико-генетический научный центр имени академика Н.П. Бочкова",
        "Медико-генетического научного центра имени академика Н.П. Бочкова",
        None,
        "Медико-генетическом научном центре имени академика Н.П. Бочкова",
        "Research Centre for Medical Genetics",
        "msk",
        "gen",
    ),
]
# local/referring facilities, built per region
LOCAL_FAC = [
    ("ГБУЗ «Детская городская поликлиника № {n}»", "Children's City Polyclinic No. {n}"),
    ("ГБУЗ «Городская клиническая больница № {n}»", "City Clinical Hospital No. {n}"),
    ("ГБУЗ «Центральная районная больница»", "Central District Hospital"),
    ("ГБУЗ «ГКБ № {n}»", "City Hospital No. {n}"),
    ("ДП № {n}", "Children's Polyclinic No. {n}"),
    ("ГАУЗ «Городская поликлиника № {n}»", "City Polyclinic No. {n}"),
    ("МСЧ № {n}", "Medical Unit No. {n}"),
]

UK_CITIES = [
    "London",
    "Manchester",
    "Liverpool",
    "Birmingham",
    "Leeds",
    "Sheffield",
    "Bristol",
    "Newcastle upon Tyne",
    "Glasgow",
    "Edinburgh",
    "Cardiff",
    "Nottingham",
    "Oxford",
    "Cambridge",
    "Southampton",
    "Reading",
    "Norwich",
    "Stoke-on-Trent",
    "Belfast",
    "Hull",
]
UK_HOSP = [
    ("Great Ormond Street Hospital", "London"),
    ("Evelina London Children's Hospital", "London"),
    ("Alder Hey Children's Hospital", "Liverpool"),
    ("Royal Manchester Children's Hospital", "Manchester"),
    ("Birmingham Children's Hospital", "Birmingham"),
    ("Sheffield Children's Hospital", "Sheffield"),
    ("Great North Children's Hospital", "Newcastle upon Tyne"),
    ("Royal Hospital for Children", "Glasgow"),
    ("Bristol Royal Hospital for Children", "Bristol"),
    ("Leeds Children's Hospital", "Leeds"),
    ("John Radcliffe Hospital", "Oxford"),
    ("Addenbrooke's Hospital", "Cambridge"),
    ("Royal National Orthopaedic Hospital", "Stanmore"),
    ("Queen Elizabeth University Hospital", "Glasgow"),
    ("St Thomas' Hospital", "London"),
    ("Nottingham City Hospital", "Nottingham"),
]
US_CITIES = [
    ("Boston", "MA"),
    ("Philadelphia", "PA"),
    ("Columbus", "OH"),
    ("Chicago", "IL"),
    ("Houston", "TX"),
    ("Cincinnati", "OH"),
    ("Baltimore", "MD"),
    ("Rochester", "MN"),
    ("Seattle", "WA"),
    ("Denver", "CO"),
    ("Atlanta", "GA"),
    ("St. Louis", "MO"),
    ("Salt Lake City", "UT"),
    ("Nashville", "TN"),
]
US_HOSP = [
    ("Boston Children's Hospital", "Boston"),
    ("Children's Hospital of Philadelphia", "Philadelphia"),
    ("Nationwide Children's Hospital", "Columbus"),
    ("Lurie Children's Hospital", "Chicago"),
    ("Texas Children's Hospital", "Houston"),
    ("Cincinnati Children's Hospital Medical Center", "Cincinnati"),
    ("Johns Hopkins Hospital", "Baltimore"),
    ("Mayo Clinic", "Rochester"),
    ("Seattle Children's Hospital", "Seattle"),
    ("Children's Hospital Colorado", "Denver"),
    ("Vanderbilt University Medical Center", "Nashville"),
    ("Primary Children's Hospital", "Salt Lake City"),
]
US_STATES_FULL = {
    "MA": "Massachusetts",
    "PA": "Pennsylvania",
    "OH": "Ohio",
    "IL": "Illinois",
    "TX": "Texas",
    "MD": "Maryland",
    "MN": "Minnesota",
    "WA": "Washington",
    "CO": "Colorado",
    "GA": "Georgia",
    "MO": "Missouri",
    "UT": "Utah",
    "TN": "Tennessee",
}
UK_COUNTIES = {
    "London": "Greater London",
    "Manchester": "Greater Manchester",
    "Liverpool": "Merseyside",
    "Birmingham": "West Midlands",
    "Leeds": "West Yorkshire",
    "Sheffield": "South Yorkshire",
    "Bristol": "Avon",
    "Newcastle upon Tyne": "Tyne and Wear",
    "Glasgow": "Lanarkshire",
    "Oxford": "Oxfordshire",
    "Cambridge": "Cambridgeshire",
    "Nottingham": "Nottinghamshire",
    "Stanmore": "Middlesex",
}

RU_FIRST_M = (
    "Александр Дмитрий Максим Сергей Андрей Алексей Артём Илья Кирилл Михаил Никита Матвей Роман Егор "
    "Арсений Иван Денис Евгений Даниил Тимофей Владислав Игорь Владимир Павел Руслан Марк Константин "
    "Тимур Олег Ярослав Антон Николай Глеб Савелий Вадим Степан Юрий Богдан Артур Семён Фёдор Лев "
    "Виктор Георгий Григорий Василий Пётр Анатолий Геннадий"
).split()
RU_FIRST_F = (
    "Анастасия Мария Анна Виктория Екатерина Наталья Марина Полина София Дарья Алиса Ксения Александра "
    "Елена Ольга Татьяна Ирина Юлия Светлана Варвара Вероника Алёна Кристина Валерия Ульяна Евгения "
    "Арина Милана Любовь Надежда Галина Людмила Оксана Василиса Таисия Елизавета Вера Нина Лидия"
).split()
RU_PATR = (
    "Александрович Дмитриевич Сергеевич Андреевич Алексеевич Игоревич Владимирович Павлович Николаевич "
    "Викторович Олегович Юрьевич Евгеньевич Михайлович Иванович Петрович Анатольевич Васильевич "
    "Геннадьевич Романович Константинович Денисович Максимович Артёмович Ильич Борисович Фёдорович"
).split()

MONTHS_GEN = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
]
MONTHS_NOM = [
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
]
MONTHS_LOC = [
    "январе",
    "феврале",
    "марте",
    "апреле",
    "мае",
    "июне",
    "июле",
    "августе",
    "сентябре",
    "октябре",
    "ноябре",
    "декабре",
]
MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

# drugs: key -> list of (ru forms by case, English surface, is_brand)
DRUGS = {
    "nus": [
        (
            {
                "nomn": "Спинраза",
                "gent": "Спинразы",
                "datv": "Спинразе",
                "accs": "Спинразу",
                "ablt": "Спинразой",
                "loct": "Спинразе",
            },
            "Spinraza",
            True,
        ),
        (
            {
                "nomn": "Лантесенс",
                "gent": "Лантесенса",
                "datv": "Лантесенсу",
                "accs": "Лантесенс",
                "ablt": "Лантесенсом",
                "loct": "Лантесенсе",
            },
            "Lantesens",
            True,
        ),
        (
            {
                "nomn": "нусинерсен",
                "gent": "нусинерсена",
                "datv": "нусинерсену",
                "accs": "нусинерсен",
                "ablt": "нусинерсеном",
                "loct": "нусинерсене",
            },
            "nusinersen",
            False,
        ),
    ],
    "zol": [
        (
            {
                "nomn": "Золгенсма",
                "gent": "Золгенсмы",
                "datv": "Золгенсме",
                "accs": "Золгенсму",
                "ablt": "Золгенсмой",
                "loct": "Золгенсме",
            },
            "Zolgensma",
            True,
        ),
        (
            {
                "nomn": "онасемноген абепарвовек",
                "gent": "онасемногена абепарвовека",
                "datv": "онасемногену абепарвовеку",
                "accs": "онасемноген абепарвовек",
                "ablt": "онасемногеном абепарвовеком",
                "loct": "онасемногене абепарвовеке",
            },
            "onasemnogene abeparvovec",
            False,
        ),
    ],
    "ris": [
        ({c: "Эврисди" for c in CASES}, "Evrysdi", True),
        (
            {
                "nomn": "рисдиплам",
                "gent": "рисдиплама",
                "datv": "рисдипламу",
                "accs": "рисдиплам",
                "ablt": "рисдипламом",
                "loct": "рисдипламе",
            },
            "risdiplam",
            False,
        ),
    ],
    "sen": [
        (
            {
                "nomn": "сенипрутуг",
                "gent": "сенипрутуга",
                "datv": "сенипрутугу",
                "accs": "сенипрутуг",
                "ablt": "сенипрутугом",
                "loct": "сенипрутуге",
            },
            "seniprutug",
            False,
        )
    ],
}


def plural_ru(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


# ---------------------------------------------------------------------------
# document builder
# ---------------------------------------------------------------------------


class Doc:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.spans: list[dict] = []
        self.keep: list[dict] = []

    def text(self, s: str) -> None:
        if (
            s.startswith(".")
            and not s.startswith("..")
            and self.parts
            and self.parts[-1].endswith(".")
        ):
            s = s[1:]  # "... 2019 г." + "." -> single full stop
            if not s:
                return
        self.parts.append(s)
        self.pos += len(s)

    def ent(self, s: str, typ: str) -> None:
        assert typ in TYPES, typ
        assert s == s.strip() and s, repr(s)
        self.spans.append({"start": self.pos, "end": self.pos + len(s), "type": typ})
        self.text(s)

    def kp(self, s: str) -> None:
        self.keep.append({"start": self.pos, "end": self.pos + len(s), "term": s})
        self.text(s)

    def value(self) -> str:
        return "".join(self.parts)


TOKEN = re.compile(r"\{([a-z0-9]+)(?::([^{}]*))?\}|\[\[(.+?)\]\]")


class Case:
    """Everything that is fixed for one narrative."""

    def __init__(
        self, rng: random.Random, lang: str, fk: dict, locale: str, disease: str, drug: str
    ):
        self.rng, self.lang, self.fk, self.locale = rng, lang, fk, locale
        self.disease, self.drug = disease, drug
        self.child = (
            disease == "sma" and (drug != "ris" or rng.random() < 0.7) and rng.random() < 0.88
        )
        self.cache: dict[str, object] = {}
        self.smatype = rng.choice([1, 1, 2, 2, 3]) if self.child else rng.choice([2, 3, 3])
        if drug == "zol":
            self.smatype = 1 if rng.random() < 0.8 else 2
        self.city = rng.choice(CITIES)
        self.city2 = rng.choice([c for c in CITIES if c != self.city])
        self.region = REGIONS[self.city[5]]
        tagged = [h for h in HOSPITALS if h[6] == disease]
        self.hosp = rng.choice(tagged)
        self.uk_city = rng.choice(UK_CITIES)
        self.uk_hosp = rng.choice(UK_HOSP)
        self.uk_hosp2 = rng.choice([h for h in UK_HOSP if h != self.uk_hosp])
        self.us_city = rng.choice(US_CITIES)
        self.us_hosp = rng.choice(US_HOSP)
        self.us_hosp2 = rng.choice([h for h in US_HOSP if h != self.us_hosp])
        lf = rng.choice(LOCAL_FAC)
        n = rng.randint(1, 140)
        self.local_fac = (lf[0].format(n=n), lf[1].format(n=n))
        # timeline
        if self.child:
            dob_y = rng.randint(2015, 2023)
        else:
            dob_y = rng.randint(1975, 2001) if disease == "as" else rng.randint(1990, 2008)
        self.dob = (dob_y, rng.randint(1, 12), rng.randint(1, 28))
        dob_t = dob_y * 372 + (self.dob[1] - 1) * 31 + self.dob[2]
        start = max(
            dob_t + (rng.randint(40, 500) if self.child else 18 * 372),
            2017 * 372 + rng.randint(0, 900),
        )
        start = min(start, 2024 * 372)
        names = [
            "dx",
            "adm",
            "cons",
            "inj1",
            "inj2",
            "lab",
            "ae",
            "rep",
            "ae2",
            "vis",
            "call",
            "dis",
            "x",
            "next",
        ]
        t = start
        self.dates = {}
        for nm in names:
            t += rng.randint(3, 70)
            y, rem = divmod(t, 372)
            y = min(y, 2025)
            self.dates[nm] = (y, rem // 31 + 1, min(rem % 31 + 1, 28))
        # patient, relatives, staff
        self.pat = self.person(fem=rng.random() < 0.5, kind="pat")
        self.mot = self.person(fem=True, kind="par", last=self.pat)
        self.fat = self.person(fem=False, kind="par", last=self.pat)
        self.sib = self.person(fem=False, kind="par", last=self.pat)
        self.doc = self.person(fem=rng.random() < 0.6, kind="staff")
        self.doc2 = self.person(fem=rng.random() < 0.5, kind="staff")
        self.nur = self.person(fem=rng.random() < 0.9, kind="staff")

    # -- people ---------------------------------------------------------
    def person(self, fem: bool, kind: str, last: object = None):
        rng, lang = self.rng, self.lang
        if lang == "ru" or self.locale == "ru":
            ru = self.ru_person(fem, last)
            if lang == "ru":
                return ru
            mid = translit(ru.patr)
            en = EnPerson(
                translit(ru.first),
                translit(ru.last),
                fem,
                mid,
                cyr=f"{ru.last} {ru.first} {ru.patr}",
            )
            en.ru = ru  # type: ignore[attr-defined]
            return en
        f = self.fk["en_GB"] if self.locale == "uk" else self.fk["en_US"]
        first = f.first_name_female() if fem else f.first_name_male()
        if last is not None and rng.random() < 0.8:
            surname = last.last
        else:
            surname = f.last_name()
            if rng.random() < 0.04:
                surname = f"{surname}-{f.last_name()}"
        return EnPerson(first, surname, fem, middle=f.first_name() if rng.random() < 0.3 else "")

    def ru_person(self, fem: bool, last: object = None) -> RuPerson:
        f = self.fk["ru_RU"]
        for _ in range(60):
            if isinstance(last, EnPerson):
                last = getattr(last, "ru", None)
            if isinstance(last, RuPerson) and self.rng.random() < 0.85:
                base = last.last
                if last.fem != fem:  # derive the other-gender surname
                    if base.endswith(("ова", "ева", "ина", "ына")) and not fem:
                        base = base[:-1]
                    elif base.endswith(("ов", "ев", "ин", "ын")) and fem:
                        base = base + "а"
                    elif base.endswith("ская") and not fem:
                        base = base[:-4] + "ский"
                    elif base.endswith("ский") and fem:
                        base = base[:-4] + "ская"
                    else:
                        base = None
                sur = base
            else:
                sur = None
            if sur is None:
                sur = f.last_name_female() if fem else f.last_name_male()
                if self.rng.random() < 0.04:
                    sur = sur + "-" + (f.last_name_female() if fem else f.last_name_male())
            if self.rng.random() < 0.8:
                first = self.rng.choice(RU_FIRST_F if fem else RU_FIRST_M)
                patr = self.rng.choice(RU_PATR)
                if fem:
                    patr = "Ильинична" if patr == "Ильич" else patr[:-2] + "на"
            else:
                first = f.first_name_female() if fem else f.first_name_male()
                patr = f.middle_name_female() if fem else f.middle_name_male()
            try:
                return RuPerson(sur, first, patr, "femn" if fem else "masc")
            except ValueError:
                last = None
                continue
        raise RuntimeError("no inflectable name")

    # -- dates ------------------------------------------------------------
    def date_str(self, key: str, fmt: str) -> list[tuple[str, str | None]]:
        rng = self.rng
        y, m, d = self.dob if key == "dob" else self.dates[key]
        if self.lang == "ru":
            if fmt in ("", "*"):
                fmt = rng.choice(
                    ["num", "num", "num", "numg", "short", "text", "textg", "iso", "num"]
                )
            if fmt == "num":
                return [(f"{d:02d}.{m:02d}.{y}", "DATE")]
            if fmt == "numg":
                return [(f"{d:02d}.{m:02d}.{y} г.", "DATE")]
            if fmt == "short":
                return [(f"{d:02d}.{m:02d}.{y % 100:02d}", "DATE")]
            if fmt == "text":
                return [(f"{d} {MONTHS_GEN[m - 1]} {y} г.", "DATE")]
            if fmt == "textg":
                return [(f"{d} {MONTHS_GEN[m - 1]} {y} года", "DATE")]
            if fmt == "iso":
                return [(f"{y}-{m:02d}-{d:02d}", "DATE")]
            if fmt == "dm":
                return [(f"{d} {MONTHS_GEN[m - 1]}", "DATE")]
            if fmt == "my":
                return [(f"{MONTHS_NOM[m - 1]} {y} г.", "DATE")]
            if fmt == "mygen":
                return [(f"{MONTHS_GEN[m - 1]} {y} {rng.choice(['г.', 'года'])}", "DATE")]
            if fmt == "myloc":
                return [(f"{MONTHS_LOC[m - 1]} {y} {rng.choice(['г.', 'года'])}", "DATE")]
            raise KeyError(fmt)
        mon = MONTHS_EN[m - 1]
        if fmt in ("", "*"):
            if self.locale == "us":
                fmt = rng.choice(["mdy", "mdy", "usnum", "iso", "dmon"])
            elif self.locale == "uk":
                fmt = rng.choice(["dmy", "dmy", "uknum", "iso", "dmon", "dth"])
            else:
                fmt = rng.choice(["dmy", "runum", "iso", "dmon", "mdy"])
        if fmt == "mdy":
            return [(f"{mon} {d}, {y}", "DATE")]
        if fmt == "dmy":
            return [(f"{d} {mon} {y}", "DATE")]
        if fmt == "dth":
            suf = "th" if 11 <= d <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
            return [(f"{d}{suf} {mon} {y}", "DATE")]
        if fmt == "usnum":
            return [(f"{m:02d}/{d:02d}/{y}", "DATE")]
        if fmt == "uknum":
            return [(f"{d:02d}/{m:02d}/{y}", "DATE")]
        if fmt == "runum":
            return [(f"{d:02d}.{m:02d}.{y}", "DATE")]
        if fmt == "iso":
            return [(f"{y}-{m:02d}-{d:02d}", "DATE")]
        if fmt == "dmon":
            return [(f"{d:02d}-{mon[:3]}-{y}", "DATE")]
        if fmt == "dm":
            return [(f"{mon} {d}" if self.locale == "us" else f"{d} {mon}", "DATE")]
        if fmt == "my":
            return [(f"{mon} {y}", "DATE")]
        raise KeyError(fmt)

    # -- locations --------------------------------------------------------
    def ru_address(self, full: bool) -> str:
        rng, f = self.rng, self.fk["ru_RU"]
        kind = rng.choice(["ул.", "ул.", "ул.", "пр-т", "пер.", "ш.", "б-р", "улица", "проспект"])
        street = f.street_title()
        st = (
            f"{kind} {street}"
            if kind not in ("пр-т", "проспект") or rng.random() < 0.5
            else f"{street} {kind}"
        )
        house = rng.randint(1, 160)
        parts = [st, f"д. {house}"]
        r = rng.random()
        if r < 0.15:
            parts.append(f"корп. {rng.randint(1, 5)}")
        elif r < 0.25:
            parts.append(f"стр. {rng.randint(1, 4)}")
        elif r < 0.32:
            parts[-1] = f"д. {house}/{rng.randint(1, 9)}"
        if rng.random() < 0.75:
            parts.append(f"кв. {rng.randint(1, 320)}")
        addr = ", ".join(parts)
        if full:
            pre = [f"г. {self.city[0]}"]
            if rng.random() < 0.4 and self.city[5] not in ("msk", "spb"):
                pre.insert(0, self.region[0])
            if rng.random() < 0.5:
                pre.insert(0, f"{rng.randint(101000, 692999)}")
            addr = ", ".join(pre + [addr])
        return addr

    def en_address(self) -> str:
        rng = self.rng
        if self.locale == "uk":
            f = self.fk["en_GB"]
            a = f"{rng.randint(1, 240)} {f.street_name()}"
            if rng.random() < 0.3:
                a = f"Flat {rng.randint(1, 40)}, " + a
            return f"{a}, {self.uk_city} {f.postcode()}"
        if self.locale == "us":
            f = self.fk["en_US"]
            city, st = self.us_city
            a = f"{rng.randint(10, 9999)} {f.street_name()}"
            if rng.random() < 0.3:
                a += f", Apt {rng.randint(1, 40)}"
            return f"{a}, {city}, {st} {f.zipcode()}"
        street = translit(self.fk["ru_RU"].street_title())
        a = f"{rng.choice(['ul.', 'ul.', 'prospekt'])} {street} {rng.randint(1, 120)}, apt. {rng.randint(1, 200)}"
        return f"{a}, {self.city[4]} {rng.randint(101000, 692999)}, Russia"

    # -- contacts -----------------------------------------------------------
    def phone(self, inst: bool) -> str:
        rng = self.rng
        if self.lang == "en" and self.locale == "uk":
            if inst:
                return rng.choice(
                    [
                        f"020 7946 0{rng.randint(100, 999)}",
                        f"0161 496 0{rng.randint(100, 999)}",
                        f"+44 20 7946 0{rng.randint(100, 999)}",
                        f"0113 496 0{rng.randint(100, 999)}",
                    ]
                )
            return rng.choice(
                [
                    f"07700 900{rng.randint(100, 999)}",
                    f"+44 7700 900{rng.randint(100, 999)}",
                    f"07700900{rng.randint(100, 999)}",
                ]
            )
        if self.lang == "en" and self.locale == "us":
            a = rng.choice(["617", "215", "614", "312", "713", "513", "410", "507", "206"])
            n = rng.randint(100, 199)
            return rng.choice(
                [f"({a}) 555-0{n}", f"{a}-555-0{n}", f"+1 {a} 555 0{n}", f"{a}.555.0{n}"]
            )
        # Russian
        code = rng.choice(["912", "902", "919", "950", "926", "903", "917", "963", "987", "922"])
        if inst:
            code = rng.choice(
                ["495", "499", "812", "342", "831", "843", "343", "383", "3822", "347"]
            )
        if len(code) == 4:
            a, b, c = f"{rng.randint(10, 99)}", f"{rng.randint(10, 99)}", f"{rng.randint(10, 99)}"
            return rng.choice(
                [f"8 ({code}) {a}-{b}-{c}", f"+7 ({code}) {a}-{b}-{c}", f"8-{code}-{a}-{b}-{c}"]
            )
        a, b, c = (
            f"{rng.randint(200, 999)}",
            f"{rng.randint(0, 99):02d}",
            f"{rng.randint(0, 99):02d}",
        )
        styles = [
            f"+7 ({code}) {a}-{b}-{c}",
            f"8-{code}-{a}-{b}-{c}",
            f"8 ({code}) {a} {b} {c}",
            f"8{code}{a}{b}{c}",
            f"+7{code}{a}{b}{c}",
            f"+7 {code} {a}-{b}-{c}",
            f"8 ({code}) {a}-{b}-{c}",
            f"+7-{code}-{a}-{b}-{c}",
            f"8 {code} {a} {b} {c}",
        ]
        if inst:
            styles += [f"{a}-{b}-{c}"]
        return rng.choice(styles)

    def email(self, inst: bool) -> str:
        rng = self.rng
        if inst:
            if self.lang == "ru" or self.locale == "ru":
                dom = rng.choice(
                    [
                        "dkb-perm.ru",
                        "morozdgkb.ru",
                        "nczd.ru",
                        "niki-peds.ru",
                        "rkbrt.ru",
                        "okb-ekb.ru",
                        "ocdkb.ru",
                        "rheumat.ru",
                        "mail.ru",
                        "yandex.ru",
                    ]
                )
            elif self.locale == "uk":
                dom = rng.choice(
                    [
                        "nhs.net",
                        "gosh-example.nhs.uk",
                        "mft-example.nhs.uk",
                        "alderhey-example.nhs.uk",
                    ]
                )
            else:
                dom = rng.choice(["childrens-example.org", "example-health.org", "bch-example.org"])
            user = rng.choice(
                [
                    "info",
                    "neuro",
                    "pharmacovigilance",
                    "farmakonadzor",
                    "priemnaya",
                    "otd.neuro",
                    "sma.clinic",
                    "research",
                    "pv",
                ]
            )
            if rng.random() < 0.4:
                p = self.doc
                last = p.last if isinstance(p, EnPerson) else translit(p.last)
                user = last.lower().replace("-", "")
                if rng.random() < 0.5:
                    first = p.first if isinstance(p, EnPerson) else translit(p.first)
                    user = first.lower()[0] + "." + user
            return f"{user}@{dom}"
        p = self.mot if self.child else self.pat
        last = p.last if isinstance(p, EnPerson) else translit(p.last)
        first = p.first if isinstance(p, EnPerson) else translit(p.first)
        user = (
            rng.choice(
                [
                    f"{first}.{last}",
                    f"{last}{rng.randint(70, 99)}",
                    f"{first[0]}{last}",
                    f"{first}_{last}{rng.randint(1, 30)}",
                    f"mama.{first}",
                ]
            )
            .lower()
            .replace("-", "")
        )
        doms = (
            ["mail.ru", "yandex.ru", "gmail.com", "bk.ru", "list.ru", "rambler.ru"]
            if self.locale == "ru" or self.lang == "ru"
            else ["gmail.com", "hotmail.co.uk", "outlook.com", "yahoo.com", "icloud.com"]
        )
        return f"{user}@{rng.choice(doms)}"

    def url(self, inst: bool) -> str:
        rng = self.rng
        if inst:
            if self.lang == "ru" or self.locale == "ru":
                return rng.choice(
                    [
                        "https://dkb-perm.ru",
                        "www.morozdgkb.ru",
                        "https://nczd.ru/sma",
                        "http://ocdkb.ru",
                        "https://rkbrt.ru/otdeleniya/nevrologiya",
                        "www.niki-peds.ru",
                        "https://okb-ekb.ru/patients",
                    ]
                )
            return rng.choice(
                [
                    "https://www.gosh-example.nhs.uk/neuromuscular",
                    "www.alderhey-example.nhs.uk",
                    "https://childrens-example.org/sma-clinic",
                    "https://www.example-hospital.org",
                ]
            )
        p = self.mot if self.child else self.pat
        last = p.last if isinstance(p, EnPerson) else translit(p.last)
        first = p.first if isinstance(p, EnPerson) else translit(p.first)
        if self.lang == "ru" or self.locale == "ru":
            return rng.choice(
                [
                    f"vk.com/id{rng.randint(10000, 799999999)}",
                    f"https://vk.com/{first}_{last}".lower(),
                    f"https://vk.com/help_{translit(self.pat.first).lower()}",
                    f"t.me/{last.lower()}_{rng.randint(1, 99)}",
                    f"https://ok.ru/profile/{rng.randint(500000000000, 599999999999)}",
                ]
            )
        return rng.choice(
            [
                f"https://www.gofundme.com/f/help-{first}-{last}".lower(),
                f"https://www.facebook.com/{first}.{last}.{rng.randint(1, 999)}".lower(),
                f"www.justgiving.com/crowdfunding/{last}-family".lower(),
                f"https://instagram.com/{first}_{last}_sma".lower(),
            ]
        )

    def mrn(self, kind: str) -> str:
        rng = self.rng
        y = self.dates["adm"][0]
        if kind == "ib":
            return rng.choice(
                [
                    f"{rng.randint(100, 99999)}/{y}",
                    f"{rng.randint(1000, 99999)}",
                    f"{rng.randint(100, 9999)}-{y % 100:02d}",
                    f"{rng.randint(1000, 9999)}/С",
                ]
            )
        if kind == "amb":
            return rng.choice(
                [
                    f"{rng.randint(1000, 999999)}",
                    f"{rng.randint(10, 999)}-{rng.randint(1000, 9999)}",
                ]
            )
        if kind == "mksb":
            return f"{y}-{rng.randint(1000, 99999)}"
        if kind == "mrn":
            return rng.choice(
                [
                    f"{rng.randint(0, 99999999):08d}",
                    f"{rng.randint(1000000, 9999999)}",
                    f"MR{rng.randint(100000, 999999)}",
                ]
            )
        if kind == "hospno":
            return rng.choice(
                [
                    f"{rng.randint(1000000, 9999999)}",
                    f"K{rng.randint(100000, 999999)}",
                    f"RX{rng.randint(1000000, 9999999)}",
                ]
            )
        raise KeyError(kind)

    def lot(self) -> str:
        rng = self.rng
        return rng.choice(
            [
                f"{rng.randint(1000000, 9999999)}",
                f"{rng.choice('ABCDEFKL')}{rng.randint(10000, 99999)}",
                f"{rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}",
                f"{rng.choice(['EA', 'BT', 'NS'])}{rng.randint(1000, 9999)}",
                f"{rng.randint(10, 99)}{rng.randint(1000, 9999)}{rng.choice('ABCX')}",
            ]
        )

    def dose(self) -> str:
        rng, ru = self.rng, self.lang == "ru"
        if self.drug == "nus":
            return "12 мг" if ru else rng.choice(["12 mg", "12 mg/5 mL"])
        if self.drug == "zol":
            return "1,1×10¹⁴ вг/кг" if ru else rng.choice(["1.1×10¹⁴ vg/kg", "1.1 x 10^14 vg/kg"])
        if self.drug == "ris":
            if self.child and rng.random() < 0.5:
                return "0,2 мг/кг" if ru else "0.2 mg/kg"
            return "5 мг" if ru else "5 mg"
        n = rng.choice([3, 5, 7, 10])
        return f"{n} мг/кг" if ru else f"{n} mg/kg"

    # -- the main resolver --------------------------------------------------
    def resolve(self, name: str, arg: str) -> list[tuple[str, str | None]]:
        rng, ru = self.rng, self.lang == "ru"
        args = arg.split(":") if arg else []
        if name in ("pat", "mot", "fat", "sib", "doc", "doc2", "nur"):
            p = getattr(self, name)
            case = args[0] if args and args[0] else "nomn"
            fmt = args[1] if len(args) > 1 else ("f" if ru else "fl")
            if fmt == "*":
                fmt = rng.choice(["f", "si", "fi", "is"] if ru else ["fl", "il", "fl", "li"])
            return [(p.render(case, fmt, rng), "PERSON")]
        if name in ("g", "gd", "gd2", "gn", "gm"):
            p = {"g": self.pat, "gd": self.doc, "gd2": self.doc2, "gn": self.nur, "gm": self.mot}[
                name
            ]
            a, b = arg.split("|")
            return [(b if p.fem else a, None)]
        if name == "d":
            return self.date_str(args[0], args[1] if len(args) > 1 else "*")
        if name == "dobyear":
            return [(str(self.dob[0]), None)]
        if name == "year":
            return [(str(self.dates[args[0] if args else "adm"][0]), None)]
        if name == "city":
            case = args[0] if args else "nomn"
            if not ru:
                if self.locale == "uk":
                    return [(self.uk_city, "LOCATION")]
                if self.locale == "us":
                    return [(self.us_city[0], "LOCATION")]
                return [(self.city[4], "LOCATION")]
            i = {"nomn": 0, "gent": 1, "accs": 2, "loct": 3}[case]
            return [(self.city[i], "LOCATION")]
        if name == "city2":
            i = {"nomn": 0, "gent": 1, "accs": 2, "loct": 3, "en": 4}[args[0] if args else "nomn"]
            return [(self.city2[i], "LOCATION")]
        if name == "region":
            if not ru:
                if self.locale == "uk":
                    return [(UK_COUNTIES.get(self.uk_city, "Greater London"), "LOCATION")]
                if self.locale == "us":
                    return [(US_STATES_FULL[self.us_city[1]], "LOCATION")]
                return [(self.region[3], "LOCATION")]
            i = {"nomn": 0, "gent": 1, "loct": 2}[args[0] if args else "nomn"]
            return [(self.region[i], "LOCATION")]
        if name in ("hosp", "hosp2"):
            if not ru:
                if self.locale == "uk":
                    return [((self.uk_hosp if name == "hosp" else self.uk_hosp2)[0], "LOCATION")]
                if self.locale == "us":
                    return [((self.us_hosp if name == "hosp" else self.us_hosp2)[0], "LOCATION")]
                return [(self.hosp[4] if name == "hosp" else self.local_fac[1], "LOCATION")]
            if name == "hosp2":
                return [(self.local_fac[0], "LOCATION")]
            i = {"nomn": 0, "gent": 1, "accs": 2, "loct": 3}[args[0] if args else "nomn"]
            return [(self.hosp[i] or self.hosp[0], "LOCATION")]
        if name == "genlab":
            h = self.rng.choice([x for x in HOSPITALS if x[6] == "gen"])
            if not ru:
                return [(h[4], "LOCATION")]
            i = {"nomn": 0, "gent": 1, "accs": 2, "loct": 3}[args[0] if args else "nomn"]
            return [(h[i] or h[0], "LOCATION")]
        if name == "hospcity":  # city of the treating centre, English
            if self.locale == "uk":
                return [(self.uk_hosp[1], "LOCATION")]
            if self.locale == "us":
                return [(self.us_hosp[1], "LOCATION")]
            return [
                (
                    REGIONS[self.hosp[5]][3]
                    if self.hosp[5] in ("msk", "spb")
                    else {
                        "perm": "Perm",
                        "nn": "Nizhny Novgorod",
                        "tat": "Kazan",
                        "sve": "Yekaterinburg",
                        "nsk": "Novosibirsk",
                        "tom": "Tomsk",
                        "bash": "Ufa",
                    }[self.hosp[5]],
                    "LOCATION",
                )
            ]
        if name == "addr":
            if ru:
                return [(self.ru_address(full=False), "LOCATION")]
            return [(self.en_address(), "LOCATION")]
        if name == "faddr":
            if ru:
                return [(self.ru_address(full=True), "LOCATION")]
            return [(self.en_address(), "LOCATION")]
        if name == "phone":
            return [(self.phone(False), "PHONE")]
        if name == "hphone":
            return [(self.phone(True), "PHONE")]
        if name == "email":
            return [(self.email(False), "EMAIL")]
        if name == "hemail":
            return [(self.email(True), "EMAIL")]
        if name == "url":
            return [(self.url(False), "URL")]
        if name == "hurl":
            return [(self.url(True), "URL")]
        if name == "snils":
            return [(make_snils(rng, rng.choice([0, 0, 0, 0, 1, 2])), "ID")]
        if name == "inn12":
            return [(make_inn12(rng), "ID")]
        if name == "inn10":
            return [(make_inn10(rng), "ID")]
        if name == "oms":
            v = make_oms(rng)
            if rng.random() < 0.2:
                v = f"{v[:4]} {v[4:8]} {v[8:12]} {v[12:]}"
            return [(v, "ID")]
        if name == "pass":
            s1, s2, n = (
                rng.choice(REGION_CODES[:9]),
                f"{rng.randint(0, 24):02d}",
                f"{rng.randint(0, 999999):06d}",
            )
            st = rng.choice([0, 1, 2])
            if st == 0:
                return [(f"{s1} {s2} {n}", "ID")]
            if st == 1:
                return [(f"{s1}{s2} {n}", "ID")]
            return [("серия " if ru else "series ", None), (f"{s1}{s2} № {n}", "ID")]
        if name == "bc":
            roman = rng.choice(
                ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
            )
            letters = rng.choice(["МЮ", "АК", "ВГ", "КБ", "ИК", "ЛО", "ПР", "НО", "ОБ", "ЕТ"])
            n = f"{rng.randint(0, 999999):06d}"
            return [
                (
                    rng.choice(
                        [
                            f"{roman}-{letters} № {n}",
                            f"{roman}-{letters} {n}",
                            f"{roman}-{letters} №{n}",
                        ]
                    ),
                    "ID",
                )
            ]
        if name in ("ib", "amb", "mksb", "mrn", "hospno"):
            return [(self.mrn(name), "ID")]
        if name == "nhs":
            return [(make_nhs(rng), "ID")]
        # clinical terms that must be kept
        if name in ("drug", "brand", "inn", "drugx"):
            opts = DRUGS[self.drug]
            if name == "brand":
                opts = [o for o in opts if o[2]] or opts
            elif name == "inn":
                opts = [o for o in opts if not o[2]]
            forms, en, _ = rng.choice(opts)
            case = args[0] if args else "nomn"
            if not ru:
                return [(en, "KEEP")]
            if name == "drugx" or (case in ("nomn", "accs") and rng.random() < 0.12):
                return [(en, "KEEP")]  # mixed-language Russian text
            return [(forms[case], "KEEP")]
        if name == "ep":  # eponym for the SMA type / disease
            return self.eponym()
        if name == "smatype":
            if ru:
                return [
                    (
                        {1: "I", 2: "II", 3: "III"}[self.smatype]
                        if rng.random() < 0.6
                        else str(self.smatype),
                        None,
                    )
                ]
            return [(str(self.smatype), None)]
        # plain values
        if name == "int":
            return [(str(rng.randint(int(args[0]), int(args[1]))), None)]
        if name == "flt":
            v = f"{rng.uniform(float(args[0]), float(args[1])):.{int(args[2]) if len(args) > 2 else 1}f}"
            return [(v.replace(".", ",") if ru else v, None)]
        if name == "pl":  # number + correctly agreeing noun
            n = rng.randint(int(args[0]), int(args[1]))
            forms = args[2].split("|")
            if ru:
                return [(f"{n} {plural_ru(n, *forms)}", None)]
            return [(f"{n} {forms[0] if n == 1 else forms[1]}", None)]
        if name == "lot":
            return [(self.lot(), None)]
        if name == "dose":
            return [(self.dose(), None)]
        if name == "smn2":
            n = {1: rng.choice([2, 2, 2, 3]), 2: 3, 3: rng.choice([3, 4])}[self.smatype]
            return [(str(n), None)]
        if name == "age":
            y, m = self.dates["vis"][0] - self.dob[0], self.dates["vis"][1] - self.dob[1]
            months = max(1, y * 12 + m)
            if ru:
                if months < 24:
                    return [(f"{months} {plural_ru(months, 'месяц', 'месяца', 'месяцев')}", None)]
                yy = months // 12
                return [(f"{yy} {plural_ru(yy, 'год', 'года', 'лет')}", None)]
            if months < 24:
                return [(f"{months}-month-old", None)]
            return [(f"{months // 12}-year-old", None)]
        if name == "ageyears":
            yy = max(1, self.dates["vis"][0] - self.dob[0])
            return [(f"{yy} {plural_ru(yy, 'год', 'года', 'лет')}" if ru else str(yy), None)]
        raise KeyError(name)

    def eponym(self) -> list[tuple[str, str | None]]:
        rng, ru = self.rng, self.lang == "ru"
        dash = rng.choice(["–", "-"])
        if self.disease == "as":
            if ru:
                return [("болезнь ", None), ("Бехтерева", "KEEP")]
            return rng.choice(
                [
                    [("Bekhterev", "KEEP"), ("'s disease", None)],
                    [("Bechterew", "KEEP"), ("'s disease", None)],
                ]
            )
        if ru:
            ep = {1: f"Верднига{dash}Гоффмана", 2: "Дубовица", 3: f"Кугельберга{dash}Веландер"}[
                self.smatype
            ]
            return [("болезнь ", None), (ep, "KEEP")]
        ep = {1: f"Werdnig{dash}Hoffmann", 2: "Dubowitz", 3: f"Kugelberg{dash}Welander"}[
            self.smatype
        ]
        return [(ep, "KEEP"), (" disease", None)]

    def render(self, doc: Doc, template: str) -> None:
        pos = 0
        for m in TOKEN.finditer(template):
            if m.start() > pos:
                doc.text(template[pos : m.start()])
            pos = m.end()
            if m.group(3) is not None:
                doc.kp(m.group(3))
                continue
            for s, typ in self.resolve(m.group(1), m.group(2) or ""):
                if typ is None:
                    doc.text(s)
                elif typ == "KEEP":
                    doc.kp(s)
                else:
                    doc.ent(s, typ)
        if pos < len(template):
            doc.text(template[pos:])


# ---------------------------------------------------------------------------
# frames
# ---------------------------------------------------------------------------

from frames import EN_FRAMES, EN_RECIPES, RU_FRAMES, RU_RECIPES  # noqa: E402

ID_TOKENS = {
    "pat",
    "mot",
    "fat",
    "sib",
    "doc",
    "doc2",
    "nur",
    "d",
    "city",
    "city2",
    "region",
    "hosp",
    "hosp2",
    "hospcity",
    "genlab",
    "addr",
    "faddr",
    "phone",
    "hphone",
    "email",
    "hemail",
    "url",
    "hurl",
    "snils",
    "inn12",
    "inn10",
    "oms",
    "pass",
    "bc",
    "ib",
    "amb",
    "mksb",
    "mrn",
    "hospno",
    "nhs",
}


def has_id(template: str) -> bool:
    return any(m.group(1) in ID_TOKENS for m in TOKEN.finditer(template) if m.group(1))


def frame_ok(tags: str, case: Case) -> bool:
    for t in tags.split():
        if t == "sma" and case.disease != "sma":
            return False
        if t == "as" and case.disease != "as":
            return False
        if t in ("nus", "zol", "ris", "sen") and case.drug != t:
            return False
        if t == "child" and not case.child:
            return False
        if t == "adult" and case.child:
            return False
        if t in ("uk", "us", "ru") and case.lang == "en" and case.locale != t:
            return False
        if t == "intl" and case.lang == "en" and case.locale == "ru":
            return False
    return True


def build_doc(rng: random.Random, lang: str, fk: dict, idx: int) -> dict:
    disease = "as" if rng.random() < 0.25 else "sma"
    drug = "sen" if disease == "as" else rng.choice(["nus", "nus", "nus", "zol", "ris", "ris"])
    locale = "ru" if lang == "ru" else rng.choice(["uk", "uk", "us", "us", "ru", "ru"])
    case = Case(rng, lang, fk, locale, disease, drug)
    frames = RU_FRAMES if lang == "ru" else EN_FRAMES
    recipes = RU_RECIPES if lang == "ru" else EN_RECIPES
    recipe_name = rng.choice(sorted(recipes))
    recipe = recipes[recipe_name]
    no_ids = rng.random() < 0.06
    doc = Doc()
    used: set[str] = set()
    chosen: list[str] = []
    for pool, lo, hi in recipe:
        cands = [
            t
            for tags, t in frames[pool]
            if frame_ok(tags, case) and t not in used and (not no_ids or not has_id(t))
        ]
        k = min(rng.randint(lo, hi), len(cands))
        for t in rng.sample(cands, k):
            used.add(t)
            chosen.append(t)
    if len(chosen) < 3:  # pad with identifier-free clinical sentences
        pad = [t for tags, t in frames["noid"] if frame_ok(tags, case) and t not in used]
        chosen += rng.sample(pad, 3 - len(chosen))
    chosen = chosen[:15]
    sep = "\n" if rng.random() < 0.45 else " "
    for i, t in enumerate(chosen):
        if i:
            doc.text(sep)
        case.render(doc, t)
    text = doc.value()
    return {
        "id": f"{lang}-{idx:04d}",
        "text": text,
        "language": lang,
        "spans": doc.spans,
        "keep": doc.keep,
        "_meta": {
            "recipe": recipe_name,
            "disease": disease,
            "drug": drug,
            "locale": locale,
            "frames": len(chosen),
        },
    }


# ---------------------------------------------------------------------------
# hard cases
# ---------------------------------------------------------------------------

MARK = re.compile(r"\[\[([A-Z]+)\|(.+?)\]\]|\{\{(.+?)\}\}")


def parse_marked(src: str) -> tuple[str, list[dict], list[dict]]:
    """`[[TYPE|surface]]` is an identifier, `{{surface}}` a keep term."""
    doc = Doc()
    pos = 0
    for m in MARK.finditer(src):
        if m.start() > pos:
            doc.text(src[pos : m.start()])
        pos = m.end()
        if m.group(1):
            doc.ent(m.group(2), m.group(1))
        else:
            doc.kp(m.group(3))
    if pos < len(src):
        doc.text(src[pos:])
    return doc.value(), doc.spans, doc.keep


# ---------------------------------------------------------------------------
# checks & stats
# ---------------------------------------------------------------------------


def check(records: list[dict], require_balance: bool) -> None:
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)), "duplicate ids"
    langs = Counter(r["language"] for r in records)
    if require_balance:
        assert langs["ru"] == langs["en"], langs
    for r in records:
        text = r["text"]
        assert r["language"] in ("ru", "en")
        assert "[[" not in text and "{{" not in text and "{" not in text, (r["id"], text)
        for s in r["spans"]:
            assert 0 <= s["start"] < s["end"] <= len(text), (r["id"], s)
            assert s["type"] in TYPES, (r["id"], s)
            surf = text[s["start"] : s["end"]]
            assert surf == surf.strip(), (r["id"], surf)
            if s["type"] == "ID":
                digits = re.sub(r"\D", "", surf)
                ctx = text[max(0, s["start"] - 25) : s["start"]].lower()
                if "снилс" in ctx or "snils" in ctx:
                    assert snils_valid(surf), (r["id"], surf)
                if "инн" in ctx[-12:] or "inn" in ctx[-12:]:
                    assert inn_valid(digits), (r["id"], surf)
                if "nhs" in ctx[-15:]:
                    assert nhs_valid(surf), (r["id"], surf)
                if len(digits) == 16 and (
                    "омс" in ctx or "oms" in ctx or "полис" in ctx or "policy" in ctx
                ):
                    assert luhn_valid(digits), (r["id"], surf)
        spans = sorted(r["spans"], key=lambda s: s["start"])
        for a, b in zip(spans, spans[1:]):
            assert a["end"] <= b["start"], (r["id"], a, b)
        for k in r["keep"]:
            assert text[k["start"] : k["end"]] == k["term"], (r["id"], k)
            for s in r["spans"]:
                assert k["end"] <= s["start"] or s["end"] <= k["start"], (r["id"], k, s)


KEEP_LEX = re.compile(
    r"(?<![\w-])(?:Спинраз\w*|Лантесенс\w*|нусинерсен\w*|Золгенсм\w*|онасемноген\w*|абепарвовек\w*|Эврисди|"
    r"рисдиплам\w*|сенипрутуг\w*|Spinraza|Lantesens|nusinersen|Zolgensma|onasemnogene|abeparvovec|Evrysdi|"
    r"risdiplam|seniprutug|CHOP INTEND|HFMSE|RULM|HINE-2|6MWT|ASDAS-\w+|BASDAI|BASFI|SMN1|SMN2|HLA-B27|"
    r"Верднига|Гоффмана|Кугельберга|Веландер|Бехтерев\w*|Дубовица|Werdnig|Hoffmann|Kugelberg|Welander|Dubowitz|"
    r"Bekhterev|АЛТ|АСТ|ALT|AST|CRP|СРБ|СОЭ|ESR|[Тт]ромбоцит(?!опени)\w*|[Pp]latelets|[Тт]ропонин\w*|[Tt]roponin|"
    r"[Пп]реднизолон\w*|[Pp]rednisolone)(?![\w-])"
)


def check_keep_coverage(records: list[dict]) -> list[str]:
    """Every known clinical term in the text must lie inside a keep span."""
    problems = []
    for r in records:
        for m in KEEP_LEX.finditer(r["text"]):
            inside = r["keep"] + r["spans"]  # a surname that equals an eponym is labelled PERSON
            if not any(k["start"] <= m.start() and m.end() <= k["end"] for k in inside):
                problems.append(f"{r['id']}: unmarked clinical term {m.group(0)!r}")
    return problems


def stats(records: list[dict]) -> dict:
    out: dict = {}
    for lang in ("ru", "en"):
        rs = [r for r in records if r["language"] == lang]
        c = Counter(s["type"] for r in rs for s in r["spans"])
        out[lang] = {
            "docs": len(rs),
            "no_ids": sum(1 for r in rs if not r["spans"]),
            "keep": sum(len(r["keep"]) for r in rs),
            **{t: c.get(t, 0) for t in TYPES},
        }
    return out


def table(st: dict) -> str:
    cols = ["docs", "no_ids"] + TYPES + ["keep"]
    lines = ["| language | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for lang in ("ru", "en"):
        lines.append(f"| {lang} | " + " | ".join(str(st[lang][c]) for c in cols) + " |")
    tot = {c: st["ru"][c] + st["en"][c] for c in cols}
    lines.append("| total | " + " | ".join(str(tot[c]) for c in cols) + " |")
    return "\n".join(lines)


def write_jsonl(path: Path, records: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(
                json.dumps(
                    {k: r[k] for k in ("id", "text", "language", "spans", "keep")},
                    ensure_ascii=False,
                )
                + "\n"
            )


README_TEMPLATE = """# caseguard de-identification evaluation corpus

Labelled test data for the de-identifier in `anonymise/`. It was written **independently of that code**
(the de-identifier was neither read nor run while writing it), so it can serve as an honest, un-tuned test set.
Do not tune the generator against the de-identifier's output.

Files

| file | what |
|---|---|
| `narratives.jsonl` | @@N@@ synthetic case narratives, exactly 50 % `ru` / 50 % `en` |
| `hard_cases.jsonl` | @@H@@ hand-written hard cases (`hard-ru-NNN`, `hard-en-NNN`) |
| `make_corpus.py` | deterministic generator; `.venv/bin/python bench/data/make_corpus.py` rewrites all three outputs |
| `frames.py` | sentence frames used by the generator (about 170 ru and 150 en frames in 17 pools) |
| `hard_cases_src.py` | the hard cases, hand-written with inline markup |

Record format (one JSON object per line, UTF-8, `ensure_ascii=False`):

```json
{"id": "ru-0001", "text": "...", "language": "ru",
 "spans": [{"start": 10, "end": 24, "type": "PERSON"}],
 "keep":  [{"start": 40, "end": 48, "term": "Спинраза"}]}
```

Offsets are Python `str` indices (code points), end exclusive; `text[start:end]` is exactly the identifier.
`spans` never overlap each other or a `keep` entry.

## How it was made

* Each narrative is one of seven document kinds (discharge summary / выписной эпикриз, referral / направление,
  adverse-event report / извещение о НР (CIOMS-like), visit note, consent note, phone-call note, lab summary).
  A kind is a recipe of sentence pools (header, demographics, history, treatment, assessment, labs, AE, plan,
  contacts, signature, identifier-free clinical sentences); frames are drawn at random per pool, 3-15 sentences per
  text, joined by spaces or new lines. About 6 % of texts are deliberately built from identifier-free frames only.
* A "case" is fixed per text: disease (SMA ~75 %, ankylosing spondylitis ~25 %), drug (nusinersen - Спинраза /
  Лантесенс, onasemnogene abeparvovec - Золгенсма, risdiplam - Эврисди, seniprutug), child/adult, patient, mother,
  father, brother, two doctors, a nurse, a consistent timeline of dates, city/region, treating centre, local clinic.
  English texts have a locale: UK (en_GB names, NHS numbers, UK phones/postcodes), US (en_US names, MRNs,
  555-01xx phones) or a Russian site writing in English (transliterated Russian names, occasionally the Cyrillic
  name too, Russian cities/centres in English, OMS/SNILS/INN/passport).
* Names: Faker `ru_RU` surnames (+ a list of common modern Russian first names and patronymics, 20 % Faker names),
  `en_GB`, `en_US`. Russian surname / first name / patronymic are inflected into all six cases with pymorphy2
  (parse with the Surn/Name/Patr grammeme and the right gender); names that cannot be inflected are redrawn, so no
  nominative fallback occurs. Relatives share the patient's surname in the right gender (Иванов / Иванова).
  Streets and e-mail user names come from Faker; cities, regions and hospitals are real, from hand-made lists.
* Text is appended piece by piece; each identifier and keep term is appended as its own piece, so offsets are exact
  by construction (nothing is searched for afterwards).
* Some Russian texts use English brand names (Spinraza ...) and English scale names; English texts contain
  transliterated Russian names, and some a Cyrillic name.
* Numbers: SNILS (`123-456-789 64`, sometimes `123-456-789-64` or 11 digits), INN (10-digit legal entity and
  12-digit personal), OMS policy (16 digits) and NHS numbers all have **valid checksums**. SNILS uses the
  9..1 weights rule from the brief; INN the standard FNS weights; NHS the mod-11 rule. For the OMS unified policy
  number the control digit is computed with the **Luhn algorithm over the first 15 digits** (the whole 16-digit
  number passes a Luhn check). The FFOMS description ("odd-position digits taken as a number, multiplied by 2,
  digit sum ...") gives the same digit sum as Luhn, but this was not verified against an official test vector.
  UK phone numbers are in Ofcom drama ranges (020 7946 0xxx, 07700 900xxx), US numbers in 555-01xx.
* Checks run on every generation (asserts): offsets valid and strip-clean, spans not overlapping each other or keep
  entries, ids unique, 50/50 languages, checksums valid where a SNILS/INN/OMS/NHS label precedes the number, and
  every occurrence of a known clinical term (drug, brand, scale, gene, eponym, key lab tests) lies in a keep entry.

## Labelling guide

| type | labelled | not labelled |
|---|---|---|
| PERSON | any person's name: patient, relatives, staff; surname alone, surname + initials either order, full name with patronymic, first name alone or diminutive (Саша, Сашенька), all grammatical cases, all caps, hyphenated, transliterated, Cyrillic inside English text, plural family names (семья Голубевых) | titles and roles: Dr/Dr./Prof/Mr/Mrs/Ms, д-р, проф., врач, к.м.н.; the possessive `'s` (`Smith's` -> `Smith`) |
| DATE | any date more specific than a year: `12.03.2019`, `12.03.2019 г.`, `12.03.19`, `12 марта 2019 г./года`, `12 марта`, `01.02` (in a range), `март 2019 г.`, `марте 2019 года`, `янв. 2021 г.`, `March 12, 2019`, `12th March 2019`, `12-Mar-2019`, `2019-03-12`, `03/12/2019`, `Mar 12`, `3rd of May`, `March 2019` | bare years (`2019`, `2019 г.р.`, `в 2020 году`, `in 2019`), ages, durations, study days, visit and week numbers |
| LOCATION | city, town, region, county/state when it locates a person or centre; full street addresses; hospitals, clinics, institutes, polyclinics by name | generic words alone (стационар, the hospital, районная больница), countries, drug manufacturers |
| PHONE | Russian mobile/landline in all common spellings incl. local 7-digit `234-56-78`; UK, US | extensions (`ext. 4471`, `доб. 123`) are outside the span |
| EMAIL, URL | personal and institutional e-mail; social profile links (`vk.com/id…`, `t.me/…`), fundraising pages, clinic web sites | |
| ID | SNILS, INN, OMS policy, passport, birth certificate, case-history / outpatient card / МКСБ / MRN / hospital number / NHS number | label words (`СНИЛС`, `№`, `MRN`, `серия`); lot/batch/series numbers of drugs, doses, lab values, scores, copy numbers |

Span boundaries (decisions a de-identifier developer should know):

* Russian dates include a trailing `г.` / `года` (`12.03.2019 г.`, `марте 2019 года`) but not the preposition
  (`в`, `с`, `от`, `on`, `the`). The `г.р.` after a birth date is outside the span (`[17.04.2017] г.р.`).
* A stand-alone town after `г.` is labelled without the prefix (`г. [Пермь]`). A contiguous postal address is ONE
  span including street type, house, корпус/строение, flat, and — when written together — postcode, region and
  `г. City` (`[614000, г. Пермь, ул. Ленина, д. 12, кв. 5]`, `[221B Baker Street, London NW1 6XE]`). A city and
  its region written as "City, Region" outside an address are two spans (`[Oxford], [Oxfordshire]`).
* Institution names are one LOCATION span including the legal-form prefix (`ГБУЗ ПК`, `ФГАУ`) and any embedded
  honorific name (`[ФГБНУ «НИИР им. В.А. Насоновой»]`, `[John Radcliffe Hospital]`) — the person's name inside
  an institution name is NOT a separate PERSON span.
* Passport `серия 4512 № 345678`: the span is `4512 № 345678` (series + number, label word outside); birth
  certificate spans include series and `№` (`[II-МЮ № 123456]`). Case-history numbers with a year
  (`[1234/2023]`, МКСБ `[2023-4567]`) are IDs, not dates.
* Keep entries for eponymous diseases cover the eponym only (`болезнь [[Бехтерева]]`, `[[Werdnig–Hoffmann]]
  disease`); eponymous signs/tests/scales in hard cases (Говерса, Шобера, Хаммерсмит, Babinski, Gowers, Schober,
  Duchenne) are keep terms too. A real person who happens to share an eponym's surname is PERSON (one hard case).
* Drug lot/series numbers are never identifiers, even when they look like phone numbers (`серия 912-345-67`) or
  share digits with an ID elsewhere in the text.

## Counts

Printed by the generator on every run.

`narratives.jsonl`

@@NARRATIVES@@

`hard_cases.jsonl`

@@HARD@@

`no_ids` = texts with no identifier; `keep` = keep entries.
"""


def main() -> None:
    rng = random.Random(SEED)
    fk = {}
    for i, loc in enumerate(["ru_RU", "en_GB", "en_US"]):
        f = Faker(loc)
        f.seed_instance(SEED + i)
        fk[loc] = f
    narratives = []
    for i in range(1, N_PER_LANG + 1):
        for lang in ("ru", "en"):
            for _attempt in range(6):  # keep most narratives at <= 14 identifiers
                rec = build_doc(rng, lang, fk, i)
                if len(rec["spans"]) <= 14:
                    break
            narratives.append(rec)
    check(narratives, require_balance=True)
    missing = check_keep_coverage(narratives)
    assert not missing, missing[:10]
    assert len(narratives) >= 600
    write_jsonl(HERE / "narratives.jsonl", narratives)

    hard = []
    counters = Counter()
    for lang, src in HARD_CASES:
        counters[lang] += 1
        text, spans, keep = parse_marked(src)
        hard.append(
            {
                "id": f"hard-{lang}-{counters[lang]:03d}",
                "text": text,
                "language": lang,
                "spans": spans,
                "keep": keep,
            }
        )
    check(hard, require_balance=False)
    missing = check_keep_coverage(hard)
    assert not missing, missing[:10]
    assert len(hard) >= 120
    write_jsonl(HERE / "hard_cases.jsonl", hard)

    st_n, st_h = stats(narratives), stats(hard)
    lens = [len(r["spans"]) for r in narratives]
    frames_n = [r["_meta"]["frames"] for r in narratives]
    print(f"narratives.jsonl: {len(narratives)} records")
    print(table(st_n))
    print(
        f"identifiers per narrative: min {min(lens)}, median {sorted(lens)[len(lens) // 2]}, max {max(lens)}; "
        f"3-12 ids: {sum(3 <= n <= 12 for n in lens)}; sentences per narrative {min(frames_n)}-{max(frames_n)}"
    )
    print(f"\nhard_cases.jsonl: {len(hard)} records")
    print(table(st_h))
    readme = README_TEMPLATE.replace("@@NARRATIVES@@", table(st_n)).replace("@@HARD@@", table(st_h))
    readme = readme.replace("@@N@@", str(len(narratives))).replace("@@H@@", str(len(hard)))
    (HERE / "README.md").write_text(readme, encoding="utf-8")


if __name__ == "__main__":
    main()
