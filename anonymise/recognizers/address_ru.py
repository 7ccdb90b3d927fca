"""Russian postal addresses: street with house, building and flat numbers.

"ул. Ленина, д. 12, кв. 5", "пр-т Мира 15-7", "Ленинский проспект, дом 3, корп. 2",
"614000, г. Пермь, ул. Крупской, д. 4а". The whole address is one span, with the
flat, postcode and town written after the street ("ул. Октября, д. 115 к. 897,
221090"; grown as in address_world).
"""

from __future__ import annotations

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from anonymise.recognizers.address_world import grow_address
from anonymise.recognizers.base import RegexRecognizer, rule

STREET_TYPES = (
    r"(?:ул\.|улиц[аеуы]|пр-т|пр-кт|просп\.|проспект[ае]?|пер\.|переул(?:ок|ке|ка)|б-р|бул\.|бульвар[ае]?"
    r"|ш\.|шоссе|наб\.|набережн(?:ая|ой)|пл\.|площад[ьи]|проезд[ае]?|туп\.|тупик[ае]?|алле[яие]|мкр\.?|мкрн\.?"
    r"|микрорайон[ае]?|кв-л|квартал[ае]?|тракт[ае]?|линия)"
)
_NAME_WORD = (
    r"(?:[А-ЯЁ]\.\s?[А-ЯЁ][а-яё\-]+|[А-ЯЁ0-9][а-яёА-ЯЁ0-9\-]*|им\.|имени|лет|[а-яё]+(?=\s[А-ЯЁ]))"
)
_STREET_NAME = rf"{_NAME_WORD}(?:\s{_NAME_WORD}){{0,3}}"
_HOUSE_PARTS = (
    r"[а-яА-Я]?(?:/\d+)?(?:,?\s*(?:корп\.|корпус|к\.|стр\.|строение|лит\.|литера)\s*[\dА-Яа-я]+)*"
    r"(?:,?\s*(?:кв\.|квартира|оф\.|офис|ком\.|комната)\s*\d+[а-я]?)?"
)
_HOUSE = (
    r"(?:,?\s*(?:д\.|дом)\s*\d+[а-яА-Я]?(?:/\d+)?|,?\s+\d+[а-я]?(?:/\d+)?(?:\s?[\-\u2013]\s?\d+)?)"
    r"(?:,?\s*(?:корп\.|корпус|к\.|стр\.|строение|лит\.|литера)\s*[\dА-Яа-я]+)*"
    r"(?:,?\s*(?:кв\.|квартира|оф\.|офис|ком\.|комната)\s*\d+[а-я]?)?"
)
_REGION = (
    r"(?:(?:[А-ЯЁ][а-яё\-]+\s(?:область|обл\.|край|АО|автономный\sокруг|[Рр]еспублика)|(?i:республика)\s[А-ЯЁ][а-яё\-]+"
    r"(?:\s[А-ЯЁ][а-яё\-]+)?|[А-ЯЁ][а-яё\-]+\s(?:район|р-н)),?\s*)"
)
_POSTCODE_CITY = (
    r"(?:\d{6},?\s*)?(?:Россия,?\s*|РФ,?\s*)?" + _REGION + r"{0,2}"
    r"(?:(?:г\.|город|пос\.|п\.|пгт|с\.|село|дер\.|д\.)\s?[А-ЯЁ][А-ЯЁа-яё\-]+(?:\s[А-ЯЁ][а-яё\-]+)?,?\s*)?"
)


class RussianAddressRecognizer(RegexRecognizer):
    """Finds Russian street addresses."""

    ENTITY = "LOCATION"
    RULES = (
        rule(
            "type_first",
            rf"(?P<value>{_POSTCODE_CITY}(?<!\w){STREET_TYPES}\s?{_STREET_NAME}(?:{_HOUSE})?)",
            0.85,
        ),
        rule(
            "name_first",
            rf"(?P<value>{_POSTCODE_CITY}(?<!\w)[А-ЯЁ][а-яё\-]+(?:\s[А-ЯЁ0-9][а-яё\-]+)?\s{STREET_TYPES}(?:{_HOUSE})?)",
            0.85,
        ),
        # "пр." (проспект, also "прочее") and "пр-д" are streets only with a house number
        # after them: "пр. Победы, д. 22, стр. 1, кв. 278".
        rule(
            "ambiguous_type",
            rf"(?<!\w)(?P<value>(?:пр\.|пр-д)\s?{_STREET_NAME},?\s*(?:д\.|дом)\s*\d+{_HOUSE_PARTS})",
            0.85,
        ),
        rule("postcode", r"(?i:индекс|почтовый\s+индекс)\s*:?\s*(?P<value>\d{6})(?!\d)", 0.85),
    )

    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        """Addresses, each grown over the flat, postcode and town written after it."""
        results = super().find(text, nlp_artifacts)
        for result in results:
            if result.recognition_metadata.get("rule") != "postcode":
                result.end = grow_address(text, result.end)
        return results
