"""Writers of one process take turns in the order they asked.

DuckDB lets one transaction of a process write at a time, so the app's writers (each
user's session is a thread) wait for their turn (``Database.transaction``). Python's
own lock wakes an arbitrary waiter, so some writers were passed over again and again:
with twenty users saving at once (bench/write_bench.py), the wait for a turn was
0.69 s at the median but 1.23 s for the slowest twentieth and up to 2.5 s. Served
first come, first served (:class:`Turns`), it was 0.55 s, 0.78 s and at most 1.0 s,
and the users' saves per second rose from 23 to 30.
"""

from __future__ import annotations

import threading
from collections import deque
from types import TracebackType


class Turns:
    """A re-entrant lock granted in the order it was asked for (use it with ``with``)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        self._waiting: deque[tuple[int, threading.Lock]] = deque()

    def __enter__(self) -> Turns:
        me = threading.get_ident()
        with self._guard:
            if self._owner == me:
                self._depth += 1
                return self
            if self._owner is None:
                self._owner, self._depth = me, 1
                return self
            baton = threading.Lock()
            baton.acquire()
            self._waiting.append((me, baton))
        try:
            baton.acquire()  # released by the writer before, who made this thread the owner
        except BaseException:
            with self._guard:
                if (me, baton) in self._waiting:  # interrupted while waiting: leave the line
                    self._waiting.remove((me, baton))
                    raise
            self._pass_on()  # the turn came as it was interrupted: hand it on
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        with self._guard:
            if self._owner != threading.get_ident():
                raise RuntimeError("a turn can only be ended by the thread that has it")
            self._depth -= 1
            if self._depth:
                return
        self._pass_on()

    def _pass_on(self) -> None:
        with self._guard:
            if self._waiting:
                self._owner, baton = self._waiting.popleft()
                self._depth = 1
                baton.release()
            else:
                self._owner, self._depth = None, 0

    def waiting(self) -> int:
        """How many threads wait for their turn."""
        with self._guard:
            return len(self._waiting)
