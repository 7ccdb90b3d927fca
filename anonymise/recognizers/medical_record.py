"""Medical-record, case-history and outpatient-card numbers, found by their label.

"история болезни № 1234/2023", "амб. карта 56789", "МКСБ 2023-4567", "MRN 00123456",
"hospital number 7654321", "NHS number 943 476 5919". The label stays, the number
goes. NHS numbers are also taken alone when their mod-11 check digit is right, and
US Medicare Beneficiary Identifiers when they have CMS's format.
"""

from __future__ import annotations

import re

from stdnum.gb import nhs

from anonymise.recognizers.base import RegexRecognizer, Rule, digits, rule, value_of

_LABELS = (
    r"истори\w{1,2}\s+болезни|и/б|ист\.\s?бол\.?|мед(?:ицинск\w{2}|\.)\s+карт\w{1,2}(?:\s+стационарного\s+больного)?"
    r"|амбулаторн\w{2}\s+карт\w{1,2}|амб\.\s?карт\w{1,2}|карт\w{1,2}\s+(?:пациента|больного|стационарного\s+больного)"
    r"|МКСБ|МКАБ|№\s?карты|номер\s+карты|регистрационн\w{2}\s+номер|ID\s+пациента|идентификатор\w{0,2}\s+пациента"
    r"|MRN|medical\s+record(?:\s+(?:number|no\.?|#))?|hosp(?:ital|\.)?\s+(?:number|no\.?|#|ID)|case\s+(?:history\s+)?(?:number|no\.?)"
    r"|patient\s+(?:ID|number|no\.?)|NHS\s+(?:number|no\.?)|chart\s+(?:number|no\.?|#)|record\s+(?:number|no\.?|#)"
    r"|unit\s+number|CHI\s+(?:number|no\.?)"
    r"|(?:outpatient|inpatient|hospital|clinic|patient)\s+card(?:\s+(?:number|no\.?|#))?"
    # national and insurance identifiers of English-speaking health systems, by label
    r"|(?:national\s+insurance|NI|NINO)\s+(?:number|no\.?)|NINO|H\s?&\s?C\s+(?:number|no\.?)|PPSN?|PPS\s+(?:number|no\.?)"
    r"|IHI(?:\s+(?:number|no\.?))?|NHI(?:\s+(?:number|no\.?))?|Medicare\s+(?:card\s+)?(?:number|no\.?)|DVA\s+(?:number|no\.?)"
    r"|health\s+card(?:\s+(?:number|no\.?))?|OHIP(?:\s+(?:number|no\.?))?|PHN|SIN|social\s+insurance\s+(?:number|no\.?)"
    r"|SSN|social\s+security(?:\s+(?:number|no\.?))?|Medicaid\s+(?:ID|number|no\.?)|MBI|member\s+ID|insurance\s+(?:ID|number|no\.?)"
    r"|policy\s+(?:number|no\.?)|passport(?:\s+(?:number|no\.?))?|driv(?:er'?s|ing)\s+licen[cs]e(?:\s+(?:number|no\.?))?"
)
# Labels that are also short words or other things' names ("record", "PAN", "NIE"):
# their value must be a code of six or more letters and digits, not a dose.
_NATIONAL_LABELS = (
    # a record named alone ("matches record K2195844"); Australia's unit record number
    r"(?:patient\s+|hospital\s+|case\s+)?record|URN"
    # national identifiers of the countries families come from, by their own names
    r"|codice\s+fiscale|KVNR|Krankenversichertennummer|RVNR|Rentenversicherungsnummer|Steuer-?ID"
    r"|num[ée]ro\s+de\s+s[ée]curit[ée]\s+sociale|NIR|DNI|NIE|NIF|NUSS|BSN|burgerservicenummer|PESEL|NIP"
    r"|CPF|CNS|TC\s+Kimlik(?:\s+No\.?)?|T\.C\.\s+Kimlik(?:\s+No\.?)?|RNOKPP|РНОКПП|resident\s+ID|Emirates\s+ID"
    r"|national\s+ID|ID\s+card|identity\s+card|Aadhaar|PAN|My\s?Number|AHV|SVNR|CNP|personnummer|henkilötunnus"
)
_VALUE = (
    r"[A-ZА-ЯЁ0-9][A-ZА-ЯЁ0-9/\-\u2010-\u2014]*(?:\s\d{3,4}(?!\w)){0,2}"
    # letters and digits in groups: "QQ 12 34 56 C", "1234 56789 1"
    r"(?:\s(?:[A-Z]{1,2}|\d{1,6})(?![\w]))*"
)

_UNIT_AFTER = re.compile(r"\s?(?:mg|mcg|µg|g|kg|ml|mL|l|L|%|U/L|IU|units?|mmol|µmol|cm|mm|bpm)\b")

# CMS's MBI: 11 characters (dashes after the 4th and 7th allowed); letters exclude
# S, L, O, I, B and Z; digit, letter, letter-or-digit, digit, letter, letter-or-digit,
# digit, letter, letter, digit, digit.
_MBI_L = "[AC-HJKMNP-RT-Y]"
_MBI_A = "[AC-HJKMNP-RT-Y0-9]"
_MBI = (
    rf"[1-9]{_MBI_L}{_MBI_A}\d-{_MBI_L}{_MBI_A}\d-{_MBI_L}{_MBI_L}\d\d"
    rf"|[1-9]{_MBI_L}{_MBI_A}\d{_MBI_L}{_MBI_A}\d{_MBI_L}{_MBI_L}\d\d"
)


class MedicalRecordRecognizer(RegexRecognizer):
    """Finds record numbers by their label; NHS numbers also by checksum."""

    ENTITY = "ID"
    RULES = (
        rule(
            "labelled",
            rf"(?<!\w)(?i:(?P<national>{_NATIONAL_LABELS})|{_LABELS})\s*(?:№|No\.?|N|\#|:|-)?\s*(?:№\s*)?"
            rf"(?P<value>{_VALUE})",
            0.9,
        ),
        rule("nhs", r"(?<![\d\w])(?P<value>\d{3}\s\d{3}\s\d{4}|\d{10})(?![\d\w])", 0.6),
        # US Medicare Beneficiary Identifier, by CMS's position-by-position format.
        rule("mbi", rf"(?<![\w\-])(?P<value>{_MBI})(?![\w\-])", 0.6),
    )

    def score(self, match: re.Match[str], item: Rule, text: str) -> float | None:
        """A labelled value needs three digits; an NHS number a valid checksum."""
        value = value_of(match)
        if item.name == "nhs":
            return item.score if nhs.is_valid(digits(value)) else None
        if (
            "national" in match.re.groupindex
            and match.group("national") is not None
            and (sum(ch.isalnum() for ch in value) < 6 or _UNIT_AFTER.match(text, match.end()))
        ):
            return None
        return item.score if len(digits(value)) >= 3 else None
