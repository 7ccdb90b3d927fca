"""Progress reporting for long operations, independent of any user interface.

Warehouse functions accept a :data:`Progress` callback and call it with a stage name,
the work done and the work in total; the CLI passes a rich progress bar, the app can
pass a function that updates ``st.progress``. ``warehouse/`` never imports either.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    """The default callback: report nothing."""


def stages(progress: Progress | None, names: list[str]) -> Callable[[str], None]:
    """A helper that reports stage ``i`` of ``names`` as done when called with its name."""
    report = progress or no_progress

    def step(name: str) -> None:
        report(name, names.index(name) + 1 if name in names else len(names), len(names))

    report(names[0] if names else "", 0, len(names))
    return step
