"""English-language street addresses, UK postcodes and US ZIP codes.

"12 Baker Street, London NW1 6XE", "Flat 3, 45 Kings Road", "221B Elm St., Apt 4,
Springfield, IL 62704". The whole address is one span.
"""

from __future__ import annotations

from anonymise.recognizers.base import RegexRecognizer, rule

STREET_TYPES = (
    r"(?:Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Lane|Ln\.?|Drive|Close|Way|Boulevard|Blvd\.?|Court|Ct\.?"
    r"|Place|Pl\.?|Square|Sq\.?|Terrace|Crescent|Gardens|Grove|Hill|Row|Mews|Parkway|Highway|Walk|Park|Rise)"
)
UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"
US_ZIP = r"(?:[A-Z]{2}\s)?\d{5}(?:-\d{4})?"
_FLAT = r"(?:(?:Flat|Apt\.?|Apartment|Suite|Unit)\s\w+,?\s)?"
_NAME = r"(?:[A-Z][a-z'’\-]+\s){1,3}"
_TAIL = rf"(?:,?\s(?:(?:Apt\.?|Apartment|Suite|Unit|Flat)\s\w+))?(?:,\s[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)?(?:,?\s(?:{UK_POSTCODE}|{US_ZIP}))?"


# Russian addresses written in Latin letters: "ul. Korolenko 108, apt. 11, Arzamas 462862".
TRANSLIT_TYPES = (
    r"(?:ul\.|ulitsa|pr\.|pr-t|prospekt|prosp\.|per\.|pereulok|bul\.|bulvar|b-r|sh\.|shosse|nab\.|naberezhnaya"
    r"|pl\.|ploshchad|proezd|mkr\.?|mikrorayon|kv-l|kvartal|tupik|alleya)"
)
_TRANSLIT = (
    rf"(?i:{TRANSLIT_TYPES})\s(?:[A-Z][a-z'\-]+\s?|\d+(?:-[a-z]{{1,3}})?\s){{1,3}}\d+[A-Za-z]?(?:/\d+)?"
    r"(?:,?\s(?:(?i:bldg\.?|korp\.?|building|str\.?)\s?\w+))?(?:,?\s(?i:apt\.?|kv\.?|flat|apartment)\s?\d+)?"
    r"(?:,\s[A-Z][A-Za-z\-]+(?:\s[A-Z][A-Za-z\-]+){0,2})?(?:,?\s\d{6})?(?:,\s(?:Russia|Russian\sFederation))?"
)


class EnglishAddressRecognizer(RegexRecognizer):
    """Finds English-language street addresses and postcodes."""

    ENTITY = "LOCATION"
    RULES = (
        rule(
            "street",
            rf"(?<![\w])(?P<value>{_FLAT}\d+[A-Za-z]?,?\s{_NAME}{STREET_TYPES}(?![a-z]){_TAIL})",
            0.85,
        ),
        # Any street word, when the address ends in a city and a postcode or ZIP code.
        rule(
            "number_street_city_code",
            # the look-ahead: the first letter of _FLAT's words or the house number
            rf"(?<![\w])(?=[FASU\d])(?P<value>{_FLAT}\d+[A-Za-z]?,?\s(?:[A-Z][a-z'’\-]+\s?){{1,4}},\s(?:(?:Apt\.?|Apartment|Suite|Unit|Flat)\s\w+,\s)?"
            rf"(?:(?:St\.\s|[A-Z][a-z'’\-]+\s?|upon\s|on\s){{1,4}})"
            rf"(?:,\s)?(?:{UK_POSTCODE}|{US_ZIP}|\d{{6}}))(?![\w])",
            0.85,
        ),
        rule("translit", rf"(?<![\w])(?P<value>{_TRANSLIT})(?![\w])", 0.85),
        rule("uk_postcode", rf"(?<![\w])(?P<value>{UK_POSTCODE})(?![\w])", 0.75),
        rule(
            "region",
            r"(?<![\w])(?P<value>[A-Z][a-z\-]+\s(?:Oblast|Krai|Region|Republic|Okrug|County|Shire)|Greater\s[A-Z][a-z]+|Republic\sof\s[A-Z][a-z]+)(?![\w])",
            0.75,
        ),
        rule("po_box", r"(?<![\w])(?P<value>(?i:P\.?\s?O\.?\s+Box)\s+\d+)", 0.85),
    )
