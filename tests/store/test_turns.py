"""Writers take turns first come, first served; a writer may nest its turn; one
interrupted while waiting leaves the line without blocking those behind it."""

from __future__ import annotations

import threading
import time

import pytest

from warehouse.store.turns import Turns


def _wait_for(condition, timeout: float = 10.0) -> None:  # noqa: ANN001
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)


def test_waiting_writers_get_their_turn_in_the_order_they_asked() -> None:
    turns, order = Turns(), []

    def writer(name: str) -> None:
        with turns:
            order.append(name)

    with turns:
        threads = []
        for i, name in enumerate("BCDEFG"):
            thread = threading.Thread(target=writer, args=(name,))
            thread.start()
            threads.append(thread)
            _wait_for(lambda i=i: turns.waiting() == i + 1)  # each in line before the next
    for thread in threads:
        thread.join(timeout=10)
    assert order == list("BCDEFG")


def test_a_writer_may_take_its_turn_again_inside_its_turn() -> None:
    turns, events = Turns(), []

    def other() -> None:
        with turns:
            events.append("other")

    with turns:
        thread = threading.Thread(target=other)
        thread.start()
        _wait_for(lambda: turns.waiting() == 1)
        with turns:
            events.append("nested")
        time.sleep(0.05)
        events.append("outer ends")
    thread.join(timeout=10)
    assert events == ["nested", "outer ends", "other"]  # not let in between the levels


def test_only_the_writer_with_the_turn_can_end_it() -> None:
    turns, errors = Turns(), []
    with turns:
        thread = threading.Thread(target=lambda: _end(turns, errors))
        thread.start()
        thread.join(timeout=10)
    assert errors == ["RuntimeError"]


def _end(turns: Turns, errors: list[str]) -> None:
    try:
        turns.__exit__(None, None, None)
    except RuntimeError as exc:
        errors.append(type(exc).__name__)


def test_an_error_inside_a_turn_still_hands_it_on() -> None:
    turns = Turns()
    with pytest.raises(ValueError), turns:
        raise ValueError("write failed")
    done = threading.Event()
    threading.Thread(target=lambda: (turns.__enter__(), done.set())).start()
    assert done.wait(10)
