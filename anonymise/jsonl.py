"""Reading and writing the JSON-lines files of the scrub and eval commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from anonymise.errors import ScrubInputError


def read_jsonl(
    path: Path, required: dict[str, type | tuple[type, ...]]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each line, checking the required keys.

    A malformed line raises :class:`ScrubInputError` naming its line number and
    the problem, never the line's content (it may hold identifiers).
    """
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise ScrubInputError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        number = 0
        try:
            for number, line in enumerate(handle, start=1):
                yield number, _parse_line(line, number, required)
        except UnicodeDecodeError:
            raise ScrubInputError(f"{path}: line {number + 1} is not valid UTF-8") from None


def _parse_line(
    line: str, number: int, required: dict[str, type | tuple[type, ...]]
) -> dict[str, Any]:
    if not line.strip():
        raise ScrubInputError(f"line {number}: empty line (expected one JSON object per line)")
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ScrubInputError(
            f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})"
        ) from None
    if not isinstance(item, dict):
        raise ScrubInputError(f"line {number}: expected a JSON object, got {type(item).__name__}")
    for key, kind in required.items():
        if key not in item:
            raise ScrubInputError(f'line {number}: missing required field "{key}"')
        if not isinstance(item[key], kind) or isinstance(item[key], bool):
            raise ScrubInputError(
                f'line {number}: field "{key}" has the wrong type ({type(item[key]).__name__})'
            )
    return item


def dump_line(item: dict[str, Any]) -> str:
    """One JSON object as a line (UTF-8 text kept readable)."""
    return json.dumps(item, ensure_ascii=False) + "\n"
