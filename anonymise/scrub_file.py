"""``python -m anonymise scrub IN.jsonl OUT.jsonl``: scrub a JSON-lines file.

Input lines are ``{"id", "text", "language"?, "date_shift_days"?}``; output lines
are ``{"id", "text", "entities": [{"start", "end", "type", "score"}]}`` in the same
order, offsets in the ORIGINAL text. The output is written to a temporary file
and renamed only when every line succeeded, so a malformed line leaves no
partial output behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from anonymise.errors import ScrubInputError
from anonymise.jsonl import dump_line, read_jsonl

CHUNK = 256


def scrub_file(source: Path, target: Path, progress: Callable[[int], None] | None = None) -> int:
    """Scrub every line of ``source`` into ``target``; return the number of lines."""
    from anonymise.scrubber import get_scrubber

    scrubber = get_scrubber()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".scrub-", suffix=".jsonl.tmp", dir=target.parent)
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            chunk: list[tuple[int, dict[str, Any]]] = []
            for number, item in read_jsonl(source, {"id": (str, int), "text": str}):
                _check_optional(item, number)
                chunk.append((number, item))
                if len(chunk) >= CHUNK:
                    count += _write_chunk(scrubber, chunk, out)
                    chunk = []
                    if progress:
                        progress(count)
            count += _write_chunk(scrubber, chunk, out)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    if progress:
        progress(count)
    return count


def _check_optional(item: dict[str, Any], number: int) -> None:
    language = item.get("language")
    if language is not None and language not in ("ru", "en", "auto"):
        raise ScrubInputError(f'line {number}: "language" must be "ru", "en" or absent')
    shift = item.get("date_shift_days")
    if shift is not None and (isinstance(shift, bool) or not isinstance(shift, int)):
        raise ScrubInputError(f'line {number}: "date_shift_days" must be a whole number of days')


def _write_chunk(scrubber: Any, chunk: list[tuple[int, dict[str, Any]]], out: Any) -> int:
    if not chunk:
        return 0
    try:
        results = scrubber.scrub_batch(
            [item["text"] for _, item in chunk],
            [item.get("language") for _, item in chunk],
            [item.get("date_shift_days") for _, item in chunk],
        )
    except ScrubInputError as exc:
        # The scrubber counts items from 1 within the chunk; name the file line instead.
        message = str(exc)
        if message.startswith("item "):
            index = int(message.split()[1].rstrip(":")) - 1
            message = f"line {chunk[index][0]}:" + message.split(":", 1)[1]
        raise ScrubInputError(message) from None
    for (_, item), result in zip(chunk, results, strict=True):
        out.write(
            dump_line(
                {
                    "id": item["id"],
                    "text": result.text,
                    "entities": [e.to_dict() for e in result.entities],
                }
            )
        )
    return len(chunk)
