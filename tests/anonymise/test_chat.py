"""Chat senders (anonymise/recognizers/chat.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anonymise.recognizers.chat import ChatSpeakerRecognizer


def found(text: str) -> list[str]:
    return [text[r.start : r.end] for r in ChatSpeakerRecognizer("en").analyze(text, [])]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[07:00] Georgia: can someone ring her back?\n[09:15] Jeremy: done, appt moved",
            ["Georgia", "Jeremy"],
        ),
        ("[12/03/2021, 09:15:22] Jeremy Smith: obs stable", ["Jeremy Smith"]),
        ("12/03/2021, 09:15 - Анна Петрова: всё хорошо", ["Анна Петрова"]),
        ("09:15 Jeremy: ok, will call", ["Jeremy"]),
        ("[10:00] راما: ok", ["راما"]),
        ("[9:05 PM] Dara: she says all fine", ["Dara"]),
        # Latin letters of every alphabet: Vietnamese, Turkish, Romanian, Polish
        ("[08:12] Nguyễn Thị Ánh: đã gọi lại", ["Nguyễn Thị Ánh"]),
        ("[08:30] İşcan Yıldırım: tamam", ["İşcan Yıldırım"]),
        ("[09:02] Ștefan Țurcanu: ok", ["Ștefan Țurcanu"]),
        ("[09:10] Łucja Ździebło: dzięki", ["Łucja Ździebło"]),
    ],
)
def test_senders_are_found(text: str, expected: list[str]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "[09:15] Nurse: obs stable",  # a role
        "[14:30] BP: 110/70",  # a measurement's label
        "09:15 Infusion Started: 12 mg nusinersen",  # a timed note
        "08:00 HFMSE: 57; RULM: 49",
        "10:00 Осмотр: без изменений",
        "Seen at 09:15. Mother: happy with plan",  # the time is not at the line's start
    ],
)
def test_timed_notes_roles_and_scores_are_not_senders(text: str) -> None:
    assert found(text) == []


@given(
    st.sampled_from(["Mary", "Ahmed", "Olga", "Brigid"]),
    st.integers(0, 23),
    st.integers(0, 59),
    st.booleans(),
)
def test_any_stamped_message_gives_its_sender(
    name: str, hour: int, minute: int, brackets: bool
) -> None:
    stamp = f"[{hour:02d}:{minute:02d}]" if brackets else f"{hour:02d}:{minute:02d}"
    assert found(f"{stamp} {name}: message text") == [name]
