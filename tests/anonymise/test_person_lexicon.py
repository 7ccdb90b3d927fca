"""Names found through the given-name lexicon (anonymise/recognizers/person_lexicon.py)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from anonymise import scrub_text
from anonymise.recognizers.latin import fold_name, has_foreign_letters
from anonymise.recognizers.person_lexicon import GivenNameRecognizer


def found(text: str) -> list[str]:
    results = GivenNameRecognizer("en").analyze(text, [])
    return sorted({text[r.start : r.end] for r in results})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # lower-case names after a verb that takes a person
        ("can someone ring mary scott back? she's on 0871 234 567", ["mary scott"]),
        ("emailed tom hardy about the letter", ["tom hardy"]),
        # a lower-case given name owning something
        ("spoke to nick gertz re aloys's physio.", ["aloys", "nick gertz"]),
        # one capitalised given name where a person stands
        ("Thank you for bringing Kristen to clinic on March 19.", ["Kristen"]),
        ("Contact Jun on 07 8124 9199.", ["Jun"]),
        ("Mother (Laurence) can be reached on 05 79 17 06 32.", ["Laurence"]),
        ("Yasmin came in with her father, Tariq, and a family friend.", ["Tariq"]),
        # a name alone under a letter's closing
        ("Dad's mobile is 027 420 7821.\n\nThanks,\nCaleb", ["Caleb"]),
        ("Best wishes,\nAoife McEvaddy\nConsultant Paediatric Neurologist", ["Aoife McEvaddy"]),
    ],
)
def test_names_in_a_persons_place(text: str, expected: list[str]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # near misses: ordinary words after the same verbs and prepositions
        "please ring the ward back after the infusion",
        "call back tomorrow; text the team if worse",
        "re today's dose: 12 mg intrathecal",
        "for the child's physio, see plan",
        # a capitalised given name that opens a longer name or goes on to a number
        "Transferred to Ward 3, then to Bay 2.",
        "Reviewed by May 2021; follow-up in April.",
        # a closing followed by a team or a role, not a person
        "Kind regards,\nThe Neuromuscular Team",
        "Thanks,\nConsultant",
        # the modal and the month are not names
        "She will ring back. Seen in May.",
    ],
)
def test_ordinary_words_in_the_same_places_are_left(text: str) -> None:
    assert found(text) == []


def test_a_lower_case_name_the_ner_runs_on_is_still_removed() -> None:
    result = scrub_text("spoke to nick gertz re aloys's physio. he asked for a letter", "en")
    assert "nick" not in result.text and "gertz" not in result.text and "aloys" not in result.text
    assert "physio" in result.text


NAMES = st.sampled_from(["mary", "olivia", "george", "ahmed", "svetlana", "brigid", "chloe"])
SURNAMES = st.sampled_from(["scott", "hughes", "o'neill", "kowalski", "petrova", "nakamura"])
VERBS = st.sampled_from(["ring", "rang", "call", "phoned", "texted", "emailed", "asked", "told"])


@given(VERBS, NAMES, SURNAMES, st.sampled_from([" back", " about it", ".", "", " re the letter"]))
def test_any_lower_case_name_after_a_contact_verb_is_found(
    verb: str, given_name: str, surname: str, after: str
) -> None:
    text = f"please {verb} {given_name} {surname}{after}"
    assert f"{given_name} {surname}" in found(text)


@given(st.sampled_from(["ring", "call", "text", "for", "with", "about"]), st.integers(1, 40))
def test_a_number_or_a_dose_after_the_same_words_is_never_a_name(word: str, number: int) -> None:
    assert found(f"{word} {number} mg twice daily") == []


def test_a_capitalised_word_after_a_lower_case_kinship_word_is_a_name() -> None:
    # the lexicon does not know "Laís"; the kinship word in lower case places it
    assert found("Call mom Laís at 416-488-3421.") == ["Laís"]
    # near misses: a title-case heading, a job title, a month after the same words
    assert found("Mother Consultant review") == []
    assert found("mum Consultant review") == []
    assert found("seen with mum in March") == []


# --- names spelled with letters English lacks ---------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the lexicon has neither; letters outside a-z place them as names
        ("thank you for bringing İşcan to the clinic on 4th March.", ["İşcan"]),
        ("Thank you for bringing Nguyễn to clinic.", ["Nguyễn"]),
        ("She came with Żaneta and her aunt.", ["Żaneta"]),
        # lexicon names looked up whatever the case and diacritics
        ("emailed ayse yilmaz about the letter", ["ayse yilmaz"]),  # lexicon: Ayşe
        ("Contact İsmail on 0532 123 45 67.", ["İsmail"]),  # İ lower-cases to i + a dot
        ("Reviewed with father Łukasz today.", ["Łukasz"]),
    ],
)
def test_names_with_non_english_latin_letters(text: str, expected: list[str]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # near misses: diacritics where no person stands, and English words in the place
        "Seen at the Café Nero meeting room on Ward 3.",
        "Positive Gowers sign; Trendelenburg gait noted.",
        "Infusion given with Spinraza 12 mg; lot 8K45B.",
        "naïve to treatment; the rôle of physio discussed",
    ],
)
def test_words_with_diacritics_elsewhere_are_left(text: str) -> None:
    assert found(text) == []


_TURKISH_POLISH_VIETNAMESE = "İıŞşĞğÇçÖöÜüŁłŻżŹźŚśĆćŃńĄąĘęŠšŽžČčŘřŤťĎďĂăƠơƯưỄễỘộĐđ"


@given(
    st.text(alphabet=_TURKISH_POLISH_VIETNAMESE, min_size=1, max_size=2),
    st.from_regex(r"[a-z]{2,6}", fullmatch=True),
    st.sampled_from(["bringing", "with", "for", "contact", "about"]),
)
def test_a_capitalised_word_with_foreign_letters_where_a_person_stands_is_found(
    letters: str, rest: str, introducer: str
) -> None:
    word = letters[0].upper() + letters[1:].lower() + rest
    # "ı" capitalises to an English "I": no letter English lacks is left
    assume(has_foreign_letters(word) and len(word) == len(letters) + len(rest))
    text = f"Thank you for {introducer} {word} to clinic."
    assert word in found(text)


@given(st.text(alphabet="abcçdefgğhıijklmnoöprsştuüvyz", min_size=3, max_size=8))
def test_folding_makes_case_and_diacritics_irrelevant(word: str) -> None:
    assert fold_name(word.upper()) == fold_name(word) == fold_name(word.capitalize())
