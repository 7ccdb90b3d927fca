"""Hospitals, clinics and other institutions that locate a patient.

Russian: legal-form abbreviations with a quoted name ("ГБУЗ ПК «Краевая детская
клиническая больница»"), hospital abbreviations with a number or eponym ("ДГКБ
№ 9 им. Г.Н. Сперанского", "НМИЦ здоровья детей"), and descriptive names ending
in больница/клиника/центр. English: capitalised names ending in Hospital, Clinic,
Infirmary, Medical Centre, Institute, Trust..., with the place they end with
("Children's Hospital Colorado", "Children's Health Ireland at Crumlin"); a clinic
word before a quoted Russian name is part of it ("Клиника «Мать и дитя»").
"""

from __future__ import annotations

from anonymise.recognizers.base import RegexRecognizer, rule

_LEGAL = r"(?:ГБУЗ|ГАУЗ|ГУЗ|МУЗ|МБУЗ|ФГБУ|ФГАУ|ФГБНУ|ФГБОУ|ФГАОУ|ГБУ|ГАУ|ГКУ|АНО|ООО|АО|ЧУЗ|ОГБУЗ|КГБУЗ|БУЗ|БУ)"
_ABBR = r"(?:ДГП|ДП|ГП|ДКП|ДГКП|ДГКБ|ГДКБ|ГКБ|ДГБ|ГБ|ОДКБ|КДКБ|РДКБ|ДРКБ|ДКБ|ОКБ|КБ|ЦРБ|ЦГБ|РКБ|НМИЦ|НИМЦ|НИИ|НИИР|МГНЦ|НИКИ|МНИИ|НПЦ|НЦЗД|РНИМУ|ПМГМУ|СПбГПМУ|МОНИКИ|ДКДЦ|КДЦ|ПНД|МСЧ)"
# "... Минздрава России" closes the names of federal institutions.
_MINISTRY = r"(?:\s(?:Минздрава|МЗ|Министерства\sздравоохранения)\s(?:России|РФ|Российской\sФедерации|[А-ЯЁ][а-яё]+\s(?:области|края|республики)))?"
_EPONYM = r"(?:\s(?:им\.|имени)\s(?:[А-ЯЁ]\.\s?){0,2}[А-ЯЁ][а-яё]+(?:\s[А-ЯЁ][а-яё]+)?)"
_RU_KINDS = (
    r"(?:больниц[аеыу]|клиник[аеиу]|поликлиник[аеиу]|госпитал[ьяюе]|диспансер[аеу]?|центр[аеу]?|институт[аеу]?"
    r"|санатори[йяюе]|хоспис[аеу]?|университет[аеу]?)"
)
# Adjective endings: "Краевая детская клиническая больница", "Областного центра".
_ADJ = r"[а-яё\-]*(?:ая|яя|ий|ый|ой|ое|ее|ие|ые|ого|его|ую|юю|ых|их|ому|ему|ом|ем)"
# Words after "Health" that make a team, a form or a scale, not a place: "Mental
# Health Team", "Child Health Questionnaire", "Health Utilities Index".
_HEALTH_NOUNS = (
    r"(?:Team|Nurse|Visitor|Worker|Care|Check|Records?|Review|Plan|Professional|Assessment"
    r"|Questionnaire|Survey|Status|Index|Utilities|Outcomes?|Scale|Service\sUse|Literacy)\b"
)
_EN_KINDS = (
    r"(?:Hospital|Hospitals|Polyclinic|Medical\sUnit|Clinic|Infirmary|Medical\sCent(?:er|re)|Health\sCent(?:er|re)|Children's\sCent(?:er|re)"
    r"|Institute|Trust|Foundation\sTrust|University|College|Centre|Center|Polyclinic|Hospice|Surgery|Practice"
    # a health service named after its region: "Children's Health Ireland", "Alberta Health Services"
    r"|Health(?:\s(?:Services?|Board|Authority|System|Network)|(?=\s(?!"
    + _HEALTH_NOUNS
    + r")[A-Z][a-z]{2,}\b)))"
)
# The place a hospital's name ends with: "Children's Hospital Colorado", "Children's
# Health Ireland at Crumlin", "Royal Children's Hospital Melbourne"; never a day or
# a month ("... Hospital Monday").
_CALENDAR = (
    r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|May"
    r"|June|July|August|September|October|November|December|Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
)
_PLACE_AFTER = rf"(?:\s(?!{_CALENDAR}\b)[A-Z][a-z]{{2,}}(?:\s(?!{_CALENDAR}\b)[A-Z][a-z]{{2,}})?)?(?:\sat\s[A-Z][a-z]{{2,}})?"
_EN_WORD = r"(?:[A-Z][\w'’.&\-]*|of|for|and|the|St\.?|de|da)"


class HealthcareFacilityRecognizer(RegexRecognizer):
    """Finds the names of hospitals and other institutions."""

    ENTITY = "ORGANIZATION"
    RULES = (
        rule(
            "ru_quoted",
            rf"(?P<value>(?<![\w])(?:{_LEGAL}\s)?(?:(?i:{_RU_KINDS}|медцентр[аеу]?|медицинск\w{{2,3}}\s+центр[аеу]?)\s)?"
            rf"(?:[А-ЯЁ]{{2,6}}\s){{0,2}}«[^»\n]{{3,120}}»{_EPONYM}?{_MINISTRY})",
            0.85,
        ),
        rule(
            "ru_abbreviation",
            rf"(?P<value>(?<![\w])(?:{_LEGAL}\s)?(?:ВО\s)?(?:[А-ЯЁ]{{2,5}}\s)?{_ABBR}(?:\s?№\s?\d+)?"
            rf"(?:\s[а-яё]+(?:\s[а-яё]+){{0,3}}(?=\s(?:им\.|имени)))?{_EPONYM}?"
            r"(?:\s(?:здоровья\sдетей|педиатрии|неврологии|детской\sхирургии|им\.\s[^\s,.;]+))?"
            + _MINISTRY
            + r")(?![\w])",
            0.75,
        ),
        # "НИИ медицинской генетики Томского НИМЦ", "НИИ педиатрии"
        rule(
            "ru_abbreviation_words",
            rf"(?P<value>(?<![\w])(?:{_LEGAL}\s)?{_ABBR}(?:\s[а-яё]+(?:ии|ики|ой|ей|ого|его|ых|их|ти|ки|ы)){{1,4}}(?:\s[А-ЯЁ]{_ADJ})?(?:\s{_ABBR})?{_EPONYM}?)(?![\w])",
            0.7,
        ),
        rule(
            "ru_descriptive",
            rf"(?P<value>(?<![\w])[А-ЯЁ]{_ADJ}(?:\s[а-яё]{_ADJ}){{0,4}}\s{_RU_KINDS}(?:\s?№\s?\d+)?{_EPONYM}?)(?![\w])",
            0.6,
        ),
        rule(
            "en_numbered",
            r"(?P<value>(?<![\w])(?:[A-Z][\w'’\-]*\s){0,4}(?:Hospital|Polyclinic|Clinic|Medical\sUnit|Health\sCent(?:er|re)|Dispensary)"
            r"\s(?:No\.?|№|#)\s?\d+)(?![\w])",
            0.8,
        ),
        rule(
            "en_named",
            rf"(?P<value>(?<![\w])(?:[A-Z][\w'’.&\-]*\s)(?:{_EN_WORD}\s){{0,5}}{_EN_KINDS}"
            rf"(?:\s(?:for|of)\s(?:the\s)?[A-Z][\w'’\-]*(?:\s[A-Z][\w'’\-]*){{0,3}}|{_PLACE_AFTER})?"
            r"(?:\s(?:No\.?|№|#)\s?\d+)?)(?![\w])",
            0.7,
        ),
    )
