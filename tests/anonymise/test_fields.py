"""Identifiers placed by a table column or a form label (anonymise/recognizers/fields.py)."""

from __future__ import annotations

import pytest

from anonymise import scrub_text
from anonymise.recognizers.fields import FieldRecognizer


def found(text: str) -> list[tuple[str, str]]:
    """(text, type) of each result, in order."""
    results = sorted(FieldRecognizer("en").analyze(text, []), key=lambda r: r.start)
    return [(text[r.start : r.end], r.entity_type) for r in results]


PIPE_TABLE = (
    "| Patient | Date of birth | Postcode | Contact |\n"
    "|---|---|---|---|\n"
    "| F. Sant | 6th February 2010 | 183732 | 8608691465 |\n"
    "| LOYAL, Ira | Sep 16, 2007 | 932927 | ira@example.org |\n"
    "| T Som | - | 144451 | n/a |"
)


def test_pipe_table_cells_take_their_column_type() -> None:
    assert found(PIPE_TABLE) == [
        ("F. Sant", "PERSON"),
        ("6th February 2010", "DATE"),
        ("183732", "LOCATION"),
        ("8608691465", "PHONE"),
        ("LOYAL, Ira", "PERSON"),
        ("Sep 16, 2007", "DATE"),
        ("932927", "LOCATION"),
        ("ira@example.org", "EMAIL"),  # a contact with "@" is an e-mail address
        ("T Som", "PERSON"),
        ("144451", "LOCATION"),  # "-" and "n/a" are empty cells
    ]


def test_tab_separated_rows_under_a_header() -> None:
    text = "Surname, Given\tD.O.B.\tMRN\tEmail\nJacob, Magda\t8/1/2013\tBCH-526401\tmj@mail.ru\n"
    assert found(text) == [
        ("Jacob, Magda", "PERSON"),
        ("8/1/2013", "DATE"),
        ("BCH-526401", "ID"),
        ("mj@mail.ru", "EMAIL"),
    ]


def test_comma_separated_rows_under_a_header_of_field_names() -> None:
    text = "name,dob,postcode,phone\nOwen Chan,20-Dec-2019,PL02 9NH,07302 336097\nAnn, Lee,1,2,3\n"
    assert found(text) == [
        ("Owen Chan", "PERSON"),
        ("20-Dec-2019", "DATE"),
        ("PL02 9NH", "LOCATION"),
        ("07302 336097", "PHONE"),
    ]  # the row with a comma inside a cell has five cells for four fields: skipped


@pytest.mark.parametrize(
    "text",
    [
        # a sentence with commas is no header, even with a field name in it
        "Name, age and address were checked.\nSmith, 12, Leeds",
        # near misses: a header naming no identifier field, a pipe table without its
        # separator row, a header with no data rows, tabs in running text
        "| Test | Result | Unit |\n|---|---|---|\n| CK | 1200 | U/L |",
        "| Patient | Postcode |\n| F. Sant | 183732 |",
        "| Patient | Postcode |\n|---|---|",
        "Infusion\tgiven\tuneventfully",
    ],
)
def test_tables_without_identifier_columns_give_nothing(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Surname: أولاد بوعزيز\nForename: كوثر", [("أولاد بوعزيز", "PERSON"), ("كوثر", "PERSON")]),
        ("Forename: Клавдія   DOB: 7 Nov. 2012", [("Клавдія", "PERSON")]),
        ("Фамилия: Иванова\nИмя: Мария", [("Иванова", "PERSON"), ("Мария", "PERSON")]),
        (
            "Address: 103 Mill Lane, Ennis, Co. Tipperary\nSummary: SMA",
            [("103 Mill Lane, Ennis, Co. Tipperary", "LOCATION")],
        ),
        # initials keep their full stop; a value stops at two spaces
        (
            "Patient initials: J.T.   DOB: September 8, 2014",
            [("J.T.", "PERSON")],
        ),
        ("Surname: Smith.  Forename: John", [("Smith", "PERSON"), ("John", "PERSON")]),
        # the value ends with its sentence ("6XE. Mother ...", "Smith; phone")
        (
            "Address: 12 Baker Street, London NW1 6XE. Mother Mary Smith, phone +44 20 7946 0958",
            [("12 Baker Street, London NW1 6XE", "LOCATION")],
        ),
        ("Surname: J. A. Smith; DOB 1 May 2019", [("J. A. Smith", "PERSON")]),
        # near misses: no colon, a label inside a sentence, an empty value, an
        # e-mail's subject line
        ("Subject: fever after dose", []),
        ("the surname was misspelt", []),
        ("We checked the address: it is correct", []),
        ("Surname: \nForename: -", []),
    ],
)
def test_labelled_form_values(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


def test_a_medication_table_keeps_its_drugs() -> None:
    text = "| Date | Drug | Dose |\n|---|---|---|\n| 12/03/2021 | nusinersen | 12 mg |"
    result = scrub_text(text, "en")
    assert "12/03/2021" not in result.text
    assert "nusinersen" in result.text and "12 mg" in result.text


def test_a_name_column_holding_a_drug_keeps_the_drug() -> None:
    text = "| Name | Dose |\n|---|---|\n| Spinraza | 12 mg |\n| Ivanova Maria | 5 mg |"
    result = scrub_text(text, "en")
    assert "Spinraza" in result.text
    assert "Ivanova" not in result.text and "Maria" not in result.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Site: Monash | Investigator: M Hernandez | Subject: S.Y.", ["M Hernandez"]),
        ("Tests: CK, ALT\nRequesting clinician: Hollins A", ["Hollins A"]),
        ("Collected by: قانت Qureshi\nItem: paracetamol 2 mg", ["قانت Qureshi"]),
        ("Caller: Ekaja Kapadia (carer)\nRe: callback", ["Ekaja Kapadia"]),
        ("Accompanying adult: Émile Benard, passport HY4392411.", ["Émile Benard"]),
        ("Reported by: Dr. J. Smith.", ["J. Smith"]),
        ("Witnessed by: J.T. Smith, RN", ["J.T. Smith"]),  # the credential stays
        ("Pt name: Nagy, Laban", ["Nagy, Laban"]),
        # near misses: a role's value that is no name
        ("Caller: not recorded", []),
        ("Witness: None", []),
        ("Investigator: Consultant on call", []),
        ("Interpreter: Not required", []),
        ("Collected by: mother", []),
        ("Pharmacist: 12 mg dispensed", []),
    ],
)
def test_role_labels_take_the_name_only(text: str, expected: list[str]) -> None:
    assert [value for value, _ in found(text)] == expected


def test_json_pairs_under_identifier_keys() -> None:
    text = (
        '{"patient": "Gaja Pokrzywa", "dob": "31st May 2024", "phone": "888 643 728", '
        '"email": "gp@example.org", "id": "ARS5532", "drug": "nusinersen", "dose": "12 mg", '
        '"hfmse": "57", "date_of_birth": "2015-02-01", "name": ""}'
    )
    assert found(text) == [
        ("Gaja Pokrzywa", "PERSON"),
        ("31st May 2024", "DATE"),
        ("888 643 728", "PHONE"),
        ("gp@example.org", "EMAIL"),
        ("ARS5532", "ID"),
        ("2015-02-01", "DATE"),
    ]
