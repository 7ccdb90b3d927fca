"""Identifiers placed by a form or a table rather than by a sentence.

Text pasted from forms and spreadsheets says what a value is in a label or a
column header, not in the words around it:

- **tables**: pipe tables (a header row, a ``|---|`` row, data rows),
  tab-separated rows under a header row, and comma-separated rows under a header
  made of field names only, when a row has as many cells as the header. A cell under a header that names an
  identifier field ("Postcode", "MRN", "Surname, Given", "Contact") is that
  identifier, whatever its shape ("183732", "BCH-526401", "T Som"). A contact
  cell with "@" in it is an e-mail address, otherwise a phone number.
- **JSON and dictionary exports**: a string value under a key that names an
  identifier field ("patient", "dob", "id", "date_of_birth").
- **labelled form lines**: "Surname: أولاد بوعزيز", "Forename: Клавдія",
  "Address: 103 Mill Lane, Ennis". The value runs to the end of the line, a tab,
  a run of spaces or a "|", in any script.

Field names are in ``conf/fields.yaml``. Clinical vocabulary in a name cell (a
medication table's "Name" column) is cut out later by the allow-list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import yaml
from presidio_analyzer import LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from anonymise.recognizers.latin import LATIN_LOWER, LATIN_UPPER

CONF = Path(__file__).parent.parent / "conf" / "fields.yaml"
ENTITIES = ["PERSON", "DATE", "LOCATION", "PHONE", "EMAIL", "ID"]

_SEPARATOR_ROW = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_EMPTY = re.compile(r"^(?:[-–—/.?]*|n/?a|none|unknown|нет)$", re.IGNORECASE)
_MEANINGFUL = re.compile(r"[^\W_]")
# A labelled value: to the end of the line, a tab, two spaces or a "|".
# Initials keep their full stop ("J.T."); a value never spans two spaces or a
# sentence's end, and a full stop or comma closing the field is left out.
_VALUE = (
    r"(?P<value>[^\s|:](?:(?:[^\s|]| (?! ))*?(?:[^\s|,;.]|(?-i:(?<=[A-ZА-ЯЁ]))\.))?)"
    r"(?=(?:[,;]|(?-i:(?<![A-ZА-ЯЁ]))\.)?(?:[ \t]*(?:\t|\n|\||$)|\s{2,})"
    # or the sentence ends: a full stop that closes no initial, then a word in
    # title case and a space ("6XE. Mother Mary"; not "д. 608", "Co. Tipperary,")
    r"|(?-i:(?<!\b[A-ZА-ЯЁ])\.[ \t]+[A-ZА-ЯЁ][a-zа-яё]+[ \t])|;\s)"
)
MAX_VALUE = 120
# A JSON or dictionary pair whose key is a field name: {"patient": "Gaja Pokrzywa",
# "id": "ARS5532"}; a string value only (a number there is a count or a score).
_JSON_PAIR = re.compile(r'"(?P<key>[^"\n]{1,40})"\s*:\s*"(?P<value>(?:[^"\\\n]|\\.){1,120})"')


def _normalise(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().strip(":.").strip()).lower()


@lru_cache(maxsize=1)
def _fields() -> dict[str, dict[str, list[str]]]:
    return yaml.safe_load(CONF.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def column_types() -> dict[str, str]:
    """Normalised column header -> entity type."""
    return {
        _normalise(name): kind for kind, names in _fields()["columns"].items() for name in names
    }


@lru_cache(maxsize=2)
def _label_pattern(section: str = "labels") -> re.Pattern[str]:
    """Labels of ``section`` at the start of a line or a cell, then a colon and the value."""
    alternatives = []
    for kind, names in _fields()[section].items():
        words = sorted((re.escape(n).replace(r"\ ", r"\s+") for n in names), key=len, reverse=True)
        alternatives.append(rf"(?P<{kind}>{'|'.join(words)})")
    value = _VALUE if section == "labels" else f"(?-i:{_NAME_VALUE})"
    return re.compile(
        rf"(?im)(?:^|(?<=[\t|])|(?<=\s\s))[ \t]*(?:{'|'.join(alternatives)})[ \t]*:[ \t]*{value}"
    )


_UPPER = f"{LATIN_UPPER}А-ЯЁІЇЄҐ"
_LOWER = f"{LATIN_LOWER}а-яёіїєґ"
_CASELESS = "\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\u3040-\u30ff\u4e00-\u9fff"
# A word of a name: an initial ("J.", "J.T.", "A"), a capitalised word or one in
# capitals ("Hollins", "O'Neill", "TEVETOĞLU"), or a word of a script without case
# ("قانت"); up to four of them, "Surname, Given" too.
_NAME_WORD = (
    rf"(?:(?:[{_UPPER}]\.){{1,3}}|(?:Mc|Mac|O['’]|D['’])?[{_UPPER}][{_LOWER}{_UPPER}'’]*"
    rf"(?:-[{_UPPER}][{_LOWER}{_UPPER}'’]*)*|[{_CASELESS}]+)"
)
_TITLE = r"(?:(?:Dr|Mr|Mrs|Ms|Miss|Mx|Prof|Sr|д-р|проф)\.?[ \t]+)?"
_NAME_VALUE = (
    rf"{_TITLE}(?P<value>{_NAME_WORD}(?:,?[ \t]{_NAME_WORD}){{0,3}})"
    r"(?=[ \t]*(?:$|[\t|(,;]|\s{2,}|\.(?:\s|$)))"
)


# "J.T. Smith, RN", "A. Brown, MD": a credential after the name is not part of it.
_CREDENTIAL_AFTER = re.compile(r",[ \t](?:[A-Z]{2,4}|(?:[A-Z][a-z]?\.){2,3})$")


def _ordinary(value: str) -> bool:
    """A role's value that opens with an ordinary word or a job title is no name."""
    from spacy.lang.en.stop_words import STOP_WORDS

    from anonymise.recognizers.morphology import ENGLISH_NON_NAMES

    first = value.split()[0].strip(".")
    return first.lower() in STOP_WORDS or first.capitalize() in ENGLISH_NON_NAMES


def _cells(line: str, start: int, separator: str) -> list[tuple[int, int]]:
    """(start, end) of each cell's stripped text; pipe rows lose their outer pipes."""
    spans = []
    cursor = 0
    parts = line.split(separator)
    if separator == "|":
        if parts and not parts[0].strip():
            cursor += len(parts[0]) + 1
            parts = parts[1:]
        if parts and not parts[-1].strip():
            parts = parts[:-1]
    for part in parts:
        stripped = part.strip()
        offset = part.find(stripped) if stripped else 0
        spans.append((start + cursor + offset, start + cursor + offset + len(stripped)))
        cursor += len(part) + 1
    return spans


def _lines(text: str) -> list[tuple[int, str]]:
    """(offset, line) of each line, without its line break."""
    lines, offset = [], 0
    for line in text.split("\n"):
        lines.append((offset, line))
        offset += len(line) + 1
    return lines


class FieldRecognizer(LocalRecognizer):
    """Finds identifiers by their table column or form label."""

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=list(ENTITIES),
            supported_language=supported_language,
            name=type(self).__name__,
        )

    def load(self) -> None:
        """Nothing to load: field names are read on first use."""

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
    ) -> list[RecognizerResult]:
        """Table cells under identifier headers and labelled form values."""
        wanted = set(entities or ENTITIES)
        results = []
        if "|" in text or "\t" in text or "," in text:
            for start, end, kind in self._table_cells(text):
                if kind in wanted:
                    results.append(self._result(kind, start, end, 0.75, "table_column"))
        if '"' in text:
            for match in _JSON_PAIR.finditer(text):
                key_type = column_types().get(_normalise(match.group("key").replace("_", " ")))
                value = match.group("value")
                if key_type in wanted and not _EMPTY.match(value) and _MEANINGFUL.search(value):
                    key_type = "EMAIL" if key_type == "PHONE" and "@" in value else key_type
                    results.append(self._result(key_type, *match.span("value"), 0.75, "json_key"))
        if ":" in text:
            for section, rule in (("labels", "form_label"), ("role_labels", "role_label")):
                for match in _label_pattern(section).finditer(text):
                    kind = next(k for k, v in match.groupdict().items() if v and k != "value")
                    start, end = match.span("value")
                    if (
                        kind in wanted
                        and end - start <= MAX_VALUE
                        and _MEANINGFUL.search(match.group("value"))
                        and not (rule == "role_label" and _ordinary(match.group("value")))
                    ):
                        if rule == "role_label":
                            end = start + len(_CREDENTIAL_AFTER.sub("", match.group("value")))
                        results.append(self._result(kind, start, end, 0.7, rule))
        return results

    def _result(self, kind: str, start: int, end: int, score: float, rule: str) -> RecognizerResult:
        return RecognizerResult(
            kind,
            start,
            end,
            score,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                "rule": rule,
            },
        )

    def _table_cells(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, type) of each data cell under a known header."""
        lines = _lines(text)
        types = column_types()
        i = 0
        while i < len(lines):
            start, line = lines[i]
            pipe = "|" in line and i + 1 < len(lines) and _SEPARATOR_ROW.match(lines[i + 1][1])
            separator = "|" if pipe else "\t" if "\t" in line else "," if "," in line else ""
            if not separator:
                i += 1
                continue
            header = [types.get(_normalise(text[s:e])) for s, e in _cells(line, start, separator)]
            # A comma-separated header must be field names only ("name,dob,postcode"),
            # and its rows must have as many cells: commas are common in prose.
            if not any(header) or (separator == "," and not all(header)):
                i += 1
                continue
            row = i + 2 if pipe else i + 1
            while row < len(lines) and separator in lines[row][1]:
                cells = _cells(lines[row][1], lines[row][0], separator)
                if separator == "," and len(cells) != len(header):
                    row += 1
                    continue
                for (cell_start, cell_end), kind in zip(cells, header, strict=False):
                    value = text[cell_start:cell_end]
                    if kind is None or _EMPTY.match(value) or not _MEANINGFUL.search(value):
                        continue
                    if kind == "PHONE" and "@" in value:
                        kind = "EMAIL"
                    yield cell_start, cell_end, kind
                row += 1
            i = row
