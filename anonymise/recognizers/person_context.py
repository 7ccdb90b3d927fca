"""Person names found by their shape and their context, in Russian and English.

- surname with initials: "Кузенкова Л.М.", "Л.М. Кузенкова", "J. Smith";
- first name with patronymic: "Ольга Викторовна", "Петру Сергеевичу" (any case);
- a surname before "старший"/"младший": "Мясников-старший", "Ивановой младшей";
- the people a letter is addressed to ("Dear Natalie and Ryan,") and a given name
  after a kinship word ("older sibling Logan");
- a capitalised name after a title or role: "Dr. Mary Jones", "врач Петрова",
  "мать — Смирнова О.", "пациенту Иванову".

These complement the statistical NER, which misses names in clinical phrasing.
"""

from __future__ import annotations

import re

from anonymise.recognizers.base import RegexRecognizer, Rule, rule, value_of
from anonymise.recognizers.morphology import ENGLISH_NON_NAMES, is_common_word, proper_name_tags
from anonymise.recognizers.person_lexicon import is_given_name

_RU_CAP = r"[А-ЯЁ][а-яё]+(?:[\-\u2013][А-ЯЁ][а-яё]+)?"
# Spaces inside a name never include a line break: "Л.М.\nДиагноз" is two lines.
_SP = r"[ \u00a0]"
_RU_INITIALS = rf"[А-ЯЁ]\.{_SP}?(?:[А-ЯЁ]\.)?"
_RU_CAPS = r"[А-ЯЁ]{2,}(?:-[А-ЯЁ]{2,})?"
_EN_CAPS = r"[A-Z]{2,}(?:[-'’][A-Z]{2,})?"
_EN_CAP = r"(?:Mc|Mac|O['’])?[A-Z][a-z'’]+(?:-[A-Z][a-z'’]+)?"
# A title between a role and the name: "seen by Dr. Emily Carter".
_EN_TITLE = r"(?:(?:Dr|Mr|Mrs|Ms|Mx|Prof)\.?\s+|(?:Doctor|Professor|Miss)\s+)?"
_RU_SURNAME_ENDING = re.compile(
    r"(?:[оеё]в|[ыи]н|ск|цк|ых|их)(?:а|ой|ому|ого|у|ым|е|ым|ой)?$|(?:ск|цк)(?:ий|ая|ого|ому|им|ом|ой|ую)$"
)
_PATRONYMIC = r"[А-ЯЁ][а-яё]+(?:вич|вн|ич|ичн|инич|ьич)[а-яё]{0,3}"

_RU_ROLES = (
    r"врач\w{0,3}|доктор\w{0,2}|д-р\.?|проф\.|профессор\w{0,2}|медсестр\w{0,2}|м/с|невролог\w{0,2}|педиатр\w{0,2}"
    r"|пациент\w{0,3}|больн(?:ой|ого|ому|ым|ая|ую)|реб[её]н(?:ок|ка|ку|ком)|мать|матери|мам[аыеуой]\w{0,2}|отец|отц[аеу]\w{0,2}"
    r"|пап[аыеуой]\w{0,2}|бабушк\w{1,2}|дедушк\w{1,2}|опекун\w{0,2}|представител\w{1,3}|сестр[аыеуой]|брат\w{0,2}"
    r"|заведующ\w{2,3}(?:\s+отделением)?|зав\.\s?отд\w*\.?|лечащ\w{2,3}\s+врач\w{0,2}|гр\.|гражданин\w{0,2}"
    r"|ФИО|Ф\.И\.О\.|подпис\w{1,2}|исполнитель|ответственн\w{2}|сообщил\w{0,2}|заполнил\w{0,2}|консультант\w{0,2}"
)
_EN_ROLES = (
    r"Dr\.?|Doctor|Mr\.?|Mrs\.?|Ms\.?|Miss|Mx\.?|Prof\.?|Professor|Nurse|Sister|Sr\.?"
    r"|(?i:patient|mother|father|mum|mom|dad|parent|guardian|grandmother|grandfather|brother|sister|son|daughter"
    r"|neurologist|physician|consultant|registrar|paediatrician|pediatrician|nurse|carer|caregiver"
    r"|seen by|referred by|signed by|reported by|examined by|reviewed by|treated by|name|c/o|attn\.?|cc:?)"
)

_EN_KIN = (
    r"sibling|twin|cousin|step(?:mother|father|mum|mom|dad|son|daughter)|husband|wife|partner"
    r"|niece|nephew|aunt|auntie|uncle|grandson|granddaughter|grandma|grandpa|granny|nan|godmother"
    r"|godfather|half-(?:brother|sister)"
)


class PersonContextRecognizer(RegexRecognizer):
    """Finds person names by initials, patronymics and preceding titles or roles."""

    ENTITY = "PERSON"
    RULES = (
        rule(
            "ru_surname_initials",
            rf"(?<![\w.])(?P<value>{_RU_CAP}{_SP}?{_RU_INITIALS})(?!\w)",
            0.85,
        ),
        rule(
            "ru_initials_surname",
            rf"(?<![\w.])(?P<value>{_RU_INITIALS}{_SP}?{_RU_CAP})(?!\w)",
            0.85,
        ),
        rule(
            "ru_name_patronymic",
            rf"(?<![\w])(?P<value>(?:{_RU_CAP}\s)?{_RU_CAP}\s{_PATRONYMIC})(?!\w)",
            0.85,
        ),
        rule(
            "ru_role",
            rf"(?<![\w])(?i:{_RU_ROLES})\s*[:\-\u2013\u2014,]?\s*(?P<value>{_RU_CAP}(?:\s{_RU_CAP}){{0,2}}(?:\s?{_RU_INITIALS})?)(?!\w)",
            0.6,
        ),
        # "Мясников-старший", "Мясников Ростислав младший": a name before "старший"/"младший".
        rule(
            "ru_senior_junior",
            rf"(?<![\w\-])(?P<value>{_RU_CAP}(?:{_SP}{_RU_CAP}){{0,2}})(?:{_SP}|[\-\u2013])"
            r"(?:старш|младш)(?:ий|его|ему|им|ем|ая|ей|ую|ие|их|им|ими)(?![\w])",
            # above Natasha's 0.8, whose span would take "старший" in and then be
            # judged by it
            0.85,
        ),
        rule(
            "ru_caps_full_name",
            rf"(?<![\w])(?P<value>{_RU_CAPS}\s{_RU_CAPS}\s[А-ЯЁ]+(?:ВИЧ|ВНА|ИЧ|ИЧНА|ЬИЧ))(?![\w])",
            0.85,
        ),
        # Forms and listings: "SAMOYLOV, Grigoriy", "ИВАНОВА, Мария".
        rule(
            "caps_surname_comma",
            rf"(?<![\w])(?P<value>(?:{_EN_CAPS},\s{_EN_CAP}|{_RU_CAPS},\s{_RU_CAP}))(?![\w])",
            0.75,
        ),
        rule(
            "en_surname_initials",
            rf"(?<![\w.])(?P<value>{_EN_CAP},?\s(?:[A-Z]\.\s?){{1,2}})(?=[\s,;:)]|$)",
            0.6,
        ),
        rule(
            "en_initials_surname",
            rf"(?<![^\s(\[«\"'])(?P<value>(?:[A-Z]\.\s?){{1,2}}{_EN_CAP})(?!\w)",
            0.75,
        ),
        rule(
            "en_role",
            # initials with or without their full stop: "Dr M. Smith", "Dr M Smith"
            rf"(?<![\w])(?:{_EN_ROLES})\s*[:\-\u2013\u2014,]?\s*{_EN_TITLE}(?P<value>(?:[A-Z]\.\s?|[A-Z]\s(?={_EN_CAP})){{0,2}}{_EN_CAP}(?:\s(?:[A-Z]\.\s?)?{_EN_CAP}){{0,2}})(?!\w)",
            0.6,
        ),
        # "Dear Natalie and Ryan,": the people a letter is addressed to.
        rule(
            "en_salutation",
            rf"(?<![\w])Dear\s+{_EN_TITLE}(?P<value>{_EN_CAP}(?:\s{_EN_CAP})?(?:\s(?:and|&)\s{_EN_TITLE}{_EN_CAP}(?:\s{_EN_CAP})?)?)(?=\s*[,:!\n])",
            0.6,
        ),
        # "Older sibling Logan", "her twin Aoife": a given name after a kinship word.
        rule(
            "en_kin",
            rf"(?<![\w])(?i:{_EN_KIN})\s+(?P<value>{_EN_CAP}(?:\s{_EN_CAP})?)(?!\w)",
            0.55,
        ),
    )

    def score(self, match: re.Match[str], item: Rule, text: str) -> float | None:
        """A role must be followed by a name, not by a capitalised common word."""
        if item.name == "en_initials_surname" and re.search(
            r"(?:^|\s)(?:[a-z]+|[\d.,]+|\S*[°%/]\S*)\.\s*$",
            text[max(0, match.start() - 30) : match.start()],
        ):
            return None  # "... 5 mg. J. Smith" is fine, but "°C. Suspect" is a sentence
        if item.name in ("en_surname_initials", "caps_surname_comma"):
            words = re.findall(r"[^\W\d_]+", value_of(match))
            if any(w.capitalize() in ENGLISH_NON_NAMES for w in words) or len(words[0]) < 3:
                return None
        if item.name in ("en_salutation", "en_kin"):
            # "Dear Colleague", "partner Hospital": the first word must be a given
            # name, or (a salutation) a name of two words.
            words = re.findall(r"[A-Za-z'’\-]+", value_of(match))
            if any(w in ENGLISH_NON_NAMES for w in words):
                return None
            two_words = item.name == "en_salutation" and len(words) >= 2
            return item.score if is_given_name(words[0]) or two_words else None
        if item.name == "ru_senior_junior":
            # The first word is a surname by the dictionary or by its ending, never a
            # word that merely opens the sentence ("Брат старший").
            first = re.findall(r"[А-ЯЁ][а-яё]+", value_of(match))[0]
            known = {"Surn", "Name"} & proper_name_tags(first)
            return item.score if known or _RU_SURNAME_ENDING.search(first) else None
        if item.name not in ("ru_role", "ru_name_patronymic"):
            return item.score
        words = re.findall(r"[А-ЯЁ][а-яё\-]+", value_of(match))
        if not words:
            return item.score
        first = words[0]
        if item.name == "ru_name_patronymic":
            # "Комиссаров Алексей Фёдорович": the word before the patronymic is the
            # first name; the surname may well be a common word (комиссаров).
            given = words[-2] if len(words) >= 2 else first
            return (
                item.score
                if "Name" in proper_name_tags(given) or not is_common_word(given)
                else None
            )
        if {"Name", "Surn", "Patr"} & proper_name_tags(first):
            return item.score
        return None if is_common_word(first) else item.score
