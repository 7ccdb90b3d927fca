"""Initials alone as a person: what is found, the dotted abbreviations left alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anonymise.recognizers.initials import InitialsRecognizer, not_initials


def found(text: str) -> list[str]:
    return [text[r.start : r.end] for r in InitialsRecognizer("en").analyze(text, [])]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AE narrative: the patient (B.D.C., 7 yrs) developed a headache.", "B.D.C."),
        ("Screening log: subject M.M. referred by Dr Kemp; not eligible.", "M.M."),
        ("Site: Perth | Investigator: C. Martin | Subject: Sh.T.F. | Drug: risdiplam", "Sh.T.F."),
        ("Safety listing row: M.W. | Aug 26, 2019 | Lantesens | lot 350178", "M.W."),
        ("Присутствовали родители и пациент (Г.К.Р.).", "Г.К.Р."),
        ("subject م.ا. referred by the GP", "م.ا."),
        ("Seen with J.T. Smith and her mother.", "J.T."),
        ("Ch.J. was reviewed.", "Ch.J."),
    ],
)
def test_initials_are_found(text: str, expected: str) -> None:
    assert found(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "Methylprednisolone 30 mg/kg I.V. once, then prednisolone 1 mg/kg P.O. daily.",
        "Ibuprofen 200 mg T.D.S. P.R.N.; omeprazole 20 mg O.D.",
        "Letter signed by A. Smith, M.B. Ch.B., M.R.C.P.C.H.",
        "Referred from the U.S. (via the U.K.) in 2019. N.B. consent pending.",
        "D.O.B. 12/03/2015; Ф.И.О. пациента указаны в карте.",
        "Nusinersen 12 mg i.t. on day 0; e.g. the loading dose; i.e. four doses.",
        "Lot 4D45F, HFMSE 57, RULM 49, version 1.2.3, ASDAS-CRP 2.1, 0.25 mg/kg.",
        "Vitamin D. A review is due. Group B. No change.",
        "A.B.C.D.E. assessment was done.",  # five letters: a mnemonic, not a name
        "Take at 8 a.m. and 8 p.m. with food.",
    ],
)
def test_abbreviations_doses_and_scores_are_not_initials(text: str) -> None:
    assert found(text) == []


LETTERS = st.sampled_from(list("ABCDEFGHIJKLMNOPRSTVWZ") + list("АБВГДЕЖЗКЛМНПРСТ"))


@given(st.lists(LETTERS, min_size=2, max_size=4), st.sampled_from(["(", "subject ", "| ", ""]))
def test_any_run_of_initials_is_found_whole(letters: list[str], before: str) -> None:
    initials = "".join(f"{letter}." for letter in letters)
    if initials.upper() in not_initials():
        return
    text = f"{before}{initials}, 7 yrs"
    assert found(text) == [initials]


@given(st.from_regex(r"[0-9]{1,3}(?:\.[0-9]{1,2})? ?(?:mg|mg/kg|ml|U/L|mmol/L)", fullmatch=True))
def test_doses_and_units_are_never_initials(dose: str) -> None:
    assert found(f"Given {dose} I.V. over 1-3 min.") == []


def test_every_listed_abbreviation_is_left_alone() -> None:
    for abbreviation in not_initials():
        assert found(f"see {abbreviation} below") == [], abbreviation


# --- degrees are initials too: context decides --------------------------------------

DOTTED_DEGREES = ["M.D.", "M.A.", "B.A.", "Ch.B.", "B.Ch.", "M.B.", "B.S.", "D.O.", "R.N.", "J.R."]


@pytest.mark.parametrize(
    "text",
    [
        "Letter signed by A. Smith, M.B. Ch.B., M.R.C.P.C.H.",
        "Dr Jane Roe, M.D., reviewed the MRI.",
        "Signed: P. Kaur MB, Ch.B.; consultant paediatric neurologist.",
        "Reviewed by Mary-Ann O'Neil, M.A., B.Ch. (clinical psychologist)",
        "Ch.B., M.R.C.P. (Lond) after her name on the letterhead.",
        "The family asked to see an M.D. before the next dose.",
    ],
)
def test_degrees_where_a_degree_is_written_are_left_alone(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Safety listing row: Ch.B. | MAR 17, 2015 | Lantesens | lot 8K45B", "Ch.B."),
        ("Subject M.D. (6 yrs) had a post-LP headache.", "M.D."),
        ("M.A. Jones was seen with her father.", "M.A."),
        ("reporter Jones, M.D.", "M.D."),  # "Surname, initials": the inverted name
        ("Ch.B. was reviewed in clinic.", "Ch.B."),
        ("Seen at Clinic, R.N. reviewed", "R.N."),  # a single capitalised word is no full name
    ],
)
def test_degree_shaped_initials_elsewhere_are_found(text: str, expected: str) -> None:
    assert found(text) == [expected]


NAME = st.from_regex(r"[A-Z][a-z]{2,9}", fullmatch=True)


@given(st.sampled_from(DOTTED_DEGREES), NAME, NAME, st.sampled_from(["Dr ", "Prof ", ""]))
def test_a_degree_after_a_full_name_and_comma_is_never_initials(
    degree: str, given_name: str, surname: str, title: str
) -> None:
    assert found(f"Letter from {title}{given_name} {surname}, {degree} today.") == []
    assert found(f"Signed {given_name[0]}. {surname}, MB, {degree}") == []


@given(st.sampled_from(DOTTED_DEGREES), st.sampled_from(["| ", "subject ", "(", "row: "]))
def test_a_degree_shaped_run_alone_is_found_as_initials(degree: str, before: str) -> None:
    text = f"{before}{degree} | 7 yrs | risdiplam"
    assert found(text) == [degree]
