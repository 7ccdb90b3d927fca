"""Manual redaction and preview highlighting (anonymise/manual_redaction.py).

Unit tests, Hypothesis properties (a marked span never survives; text outside
redactions never changes) and a check against the real scrubber that the preview
rebuilds exactly the text the scrubber produces.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymise import manual_redaction as mr
from anonymise.errors import ScrubInputError


@dataclass(frozen=True)
class FakeEntity:
    start: int
    end: int
    type: str


def visible(markup: str) -> str:
    """What a reader sees of the preview markup: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup.replace("<br>", "\n")))


def kept_text(text: str, redactions: list[mr.Redaction]) -> str:
    return "".join(p.text for p in mr.render(text, redactions) if p.redaction is None)


def outside(text: str, redactions: list[mr.Redaction]) -> str:
    covered: set[int] = set()
    for r in redactions:
        covered.update(range(r.start, r.end))
    return "".join(c for i, c in enumerate(text) if i not in covered)


# --- unit tests ------------------------------------------------------------------------


def test_occurrences_include_overlapping_ones() -> None:
    assert mr.occurrences("aaaa", "aa") == [(0, 2), (1, 3), (2, 4)]
    assert mr.occurrences("Иванов и Иванова", "Иванов") == [(0, 6), (9, 15)]
    assert mr.occurrences("abc", "") == []
    assert mr.occurrences("abc", "x") == []


def test_mark_redacts_every_occurrence() -> None:
    text = "Мать Петрова сообщила. Петрова звонила дважды."
    marked = mr.mark(text, [], "Петрова", "PERSON")
    assert [(r.start, r.end, r.manual) for r in marked] == [(5, 12, True), (23, 30, True)]
    out = mr.redacted_text(mr.render(text, marked))
    assert out == "Мать [PERSON] сообщила. [PERSON] звонила дважды."


def test_mark_strips_whitespace_and_is_exact() -> None:
    text = "Seen by Dr Hobbs; hobbs agreed."
    marked = mr.mark(text, [], "  Hobbs ", "PERSON")
    assert mr.redacted_text(mr.render(text, marked)) == "Seen by Dr [PERSON]; hobbs agreed."


@pytest.mark.parametrize("span", ["Smith", "", "   "])
def test_mark_not_found_never_quotes_the_text(span: str) -> None:
    with pytest.raises(mr.MarkNotFound) as info:
        mr.mark("Patient doing well", [], span, "PERSON")
    assert "Smith" not in str(info.value)


def test_unknown_type_is_refused() -> None:
    with pytest.raises(ScrubInputError):
        mr.mark("abc", [], "b", "SECRET")


def test_mark_overlapping_a_scrubber_redaction_merges_into_one() -> None:
    text = "Иванова Мария пришла"
    found = [mr.Redaction(8, 13, "PERSON", "[PERSON]")]  # the scrubber got only "Мария"
    marked = mr.mark(text, found, "Иванова Мария", "PERSON")
    assert len(marked) == 1 and marked[0].manual
    assert mr.redacted_text(mr.render(text, marked)) == "[PERSON] пришла"


def test_reviewer_type_wins_on_overlap() -> None:
    text = "call 8 912 000 11 22 now"
    found = [mr.Redaction(5, 11, "ID", "[ID]")]
    marked = mr.mark(text, found, "8 912 000 11 22", "PHONE")
    assert mr.redacted_text(mr.render(text, marked)) == "call [PHONE] now"
    assert mr.counts(marked) == {"PHONE": 1}


def test_from_scrub_merges_space_separated_neighbours_like_presidio() -> None:
    text = "Ivan Petrov, 12.03.2023 and 14.03.2023"
    entities = [
        FakeEntity(0, 4, "PERSON"),
        FakeEntity(5, 11, "PERSON"),
        FakeEntity(13, 23, "DATE"),
        FakeEntity(28, 38, "DATE"),
    ]
    redactions = mr.from_scrub(text, entities, 10, "en")
    assert [(r.start, r.end) for r in redactions] == [(0, 11), (13, 23), (28, 38)]
    assert mr.redacted_text(mr.render(text, redactions)) == "[PERSON], 22.03.2023 and 24.03.2023"
    assert mr.counts(redactions) == {"PERSON": 1, "DATE": 2}


def test_from_scrub_without_shift_uses_placeholders() -> None:
    redactions = mr.from_scrub("on 12.03.2023", [FakeEntity(3, 13, "DATE")], None, "ru")
    assert mr.redacted_text(mr.render("on 12.03.2023", redactions)) == "on [DATE]"


def test_apply_marks_skips_marks_no_longer_present() -> None:
    text = "Smith and Jones"
    out = mr.apply_marks(text, [], [("Smith", "PERSON"), ("Brown", "PERSON")])
    assert mr.redacted_text(mr.render(text, out)) == "[PERSON] and Jones"


def test_highlight_escapes_html_and_markdown() -> None:
    text = "<script>alert(1)</script> **bold** [x](http://e.vil) $x$ # h\n    Smith"
    redactions = mr.mark(text, [], "Smith", "PERSON")
    markup = mr.highlight_html(mr.render(text, redactions))
    assert "<script>" not in markup and "**" not in markup and "](" not in markup
    assert "$" not in markup and "#" not in markup.replace("&#", "")
    assert re.sub(r"<span [^>]*>|</span>|<br>", "", markup).count("<") == 0
    assert markup.count("<span") == 1 and 'title="PERSON"' in markup
    assert visible(markup).replace("\xa0", " ") == mr.redacted_text(mr.render(text, redactions))


def test_manual_and_scrubber_redactions_are_coloured_differently() -> None:
    text = "Smith met Jones"
    found = [mr.Redaction(0, 5, "PERSON", "[PERSON]")]
    markup = mr.highlight_html(mr.render(text, mr.mark(text, found, "Jones", "PERSON")))
    assert mr.HIGHLIGHT in markup and mr.HIGHLIGHT_MANUAL in markup


def test_visible_words_offer_capitalised_words_and_numbers_not_redacted() -> None:
    text = "Пациент Иванов, карта 55017, осмотрен. Иванов стабилен. СМА 2"
    redactions = [mr.Redaction(8, 14, "PERSON", "[PERSON]")]
    words = mr.visible_words(text, redactions)
    assert words[:2] == ["Пациент", "55017"]
    assert "Иванов" in words  # the second mention was not redacted
    assert "осмотрен" not in words


def test_counts_and_types() -> None:
    assert "PERSON" in mr.redaction_types() and "ID" in mr.redaction_types()
    assert mr.placeholder("PHONE") == "[PHONE]"
    assert mr.counts([]) == {}


# --- properties ------------------------------------------------------------------------

CYRILLIC = st.text(alphabet="абвгдеж ", min_size=0, max_size=60)
SPAN = st.text(alphabet="абвгдеж", min_size=1, max_size=4)
KINDS = st.sampled_from(["PERSON", "ID", "PHONE", "LOCATION", "DATE"])


@st.composite
def scrubbed_texts(draw: st.DrawFn) -> tuple[str, list[mr.Redaction]]:
    """A text with some non-overlapping scrubber redactions."""
    text = draw(CYRILLIC)
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=6, unique=True)))
    redactions = [
        mr.Redaction(a, b, draw(KINDS), "[X]")
        for a, b in zip(cuts[::2], cuts[1::2], strict=False)
        if b > a
    ]
    return text, redactions


@settings(max_examples=300, deadline=None)
@given(scrubbed_texts(), SPAN, KINDS)
def test_every_occurrence_of_a_marked_span_disappears(
    sample: tuple[str, list[mr.Redaction]], span: str, kind: str
) -> None:
    text, found = sample
    text = f"{text}{span}"  # the span occurs at least once
    redactions = mr.mark(text, found, span, kind)
    out = mr.redacted_text(mr.render(text, redactions))
    assert span not in out  # placeholders are Latin capitals: only kept text could hold it
    for start, end in mr.occurrences(text, span):
        assert any(r.start <= start and end <= r.end for r in redactions)
    for old in found:
        assert any(r.start <= old.start and old.end <= r.end for r in redactions)


@settings(max_examples=300, deadline=None)
@given(scrubbed_texts(), st.lists(st.tuples(SPAN, KINDS), max_size=3))
def test_text_outside_redactions_is_unchanged(
    sample: tuple[str, list[mr.Redaction]], marks: list[tuple[str, str]]
) -> None:
    text, found = sample
    redactions = mr.apply_marks(text, found, marks)
    pieces = mr.render(text, redactions)
    assert kept_text(text, redactions) == outside(text, redactions)
    spans = [(r.start, r.end) for r in redactions]
    assert spans == sorted(spans) and all(a < b for a, b in spans)
    assert all(b <= c for (_, b), (c, _) in zip(spans, spans[1:], strict=False))
    replaced = [p.text for p in pieces if p.redaction is not None]
    assert replaced == [r.replacement for r in redactions]
    assert sum(mr.counts(redactions).values()) == len(redactions)


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cc", "Cs")) | st.just("\n"), max_size=80))
def test_escaped_preview_shows_exactly_the_text(text: str) -> None:
    markup = mr.escape(text)
    assert "<" not in markup.replace("<br>", "")
    assert visible(markup).replace("\xa0", " ") == text.replace("\xa0", " ")


# --- against the real scrubber ---------------------------------------------------------

SAMPLES = [
    (
        "Пациентка Иванова Мария Петровна, тел. +7 912 345-67-89, СНИЛС 112-233-445 95, "
        "осмотрена 12.03.2023. Мать Иванова жалуется.",
        None,
    ),
    (
        "Patient John Smith seen on 12 March 2023 at Great Ormond Street, phone "
        "020 7405 9200. Smith was fine.",
        "en",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("text", "language"), SAMPLES)
def test_preview_rebuilds_the_scrubbers_text_exactly(text: str, language: str | None) -> None:
    from anonymise import scrub_text

    result = scrub_text(text, language, 37)
    redactions = mr.from_scrub(text, result.entities, 37, result.language)
    assert mr.redacted_text(mr.render(text, redactions)) == result.text
