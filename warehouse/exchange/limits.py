"""Caps on what an imported file may make the importer read, unpack and hold.

A bundle or legacy spreadsheet comes from outside and may be built to exhaust the
machine: a few megabytes of zip that unpack to gigabytes, or millions of rows. Every
import checks, in this order and before unpacking anything in full: the file's size on
disk, each zip member's declared size, the sum of those, and then - while streaming -
the bytes actually produced (a zip header may lie) and the rows per table. The defaults
are far above what a rare-disease centre produces (a 300-subject site bundle is well
under 1 MB) and are overridable by command-line flags.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from schemas.errors import CaseguardError

MB = 1024 * 1024
CHUNK = 1 * MB


class InputTooLarge(CaseguardError):
    """An imported file exceeds one of the input caps; nothing was imported."""

    title = "Input too large"


@dataclass(frozen=True)
class InputLimits:
    """The caps an import enforces (bytes, rows per table)."""

    max_file_bytes: int = 32 * MB
    max_uncompressed_bytes: int = 64 * MB
    max_member_bytes: int = 32 * MB
    max_rows: int = 500_000

    def check_file(self, path: Path, flag: str = "--max-file-mb") -> int:
        """The file's size; refused if it is above the compressed-size cap."""
        try:
            size = Path(path).stat().st_size
        except OSError as exc:
            raise CaseguardError(f"cannot read {path}: {exc.strerror or exc}") from None
        if size > self.max_file_bytes:
            raise InputTooLarge(
                f"{Path(path).name} is {_mb(size)}, above the limit of "
                f"{_mb(self.max_file_bytes)} ({flag}); nothing was imported"
            )
        return size

    def check_members(self, infos: Iterable[zipfile.ZipInfo], what: str) -> None:
        """Refuse a zip whose declared member sizes break the caps (before unpacking)."""
        total = 0
        for info in infos:
            if info.file_size > self.max_member_bytes:
                raise InputTooLarge(
                    f"{what}: member {info.filename[:60]} unpacks to {_mb(info.file_size)}, "
                    f"above the limit of {_mb(self.max_member_bytes)} per member "
                    "(--max-member-mb); nothing was imported"
                )
            total += info.file_size
            if total > self.max_uncompressed_bytes:
                raise InputTooLarge(
                    f"{what} unpacks to more than {_mb(self.max_uncompressed_bytes)} "
                    "(--max-uncompressed-mb); nothing was imported"
                )

    def check_rows(self, rows: int, where: str) -> None:
        """Refuse a table (or sheet) with more rows than the cap."""
        if rows > self.max_rows:
            raise InputTooLarge(
                f"{where} holds more than {self.max_rows:,} rows, the limit per table "
                "(--max-rows); nothing was imported"
            )


def read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, what: str
) -> bytearray:
    """A zip member read in chunks, stopping as soon as it yields more than ``limit``
    bytes, whatever its header says (so a lying header cannot make us unpack a bomb).
    Returned as the buffer it was read into: no second copy of a large member."""
    data = bytearray()
    with archive.open(info) as member:
        while chunk := member.read(CHUNK):
            data += chunk
            if len(data) > limit:
                raise InputTooLarge(
                    f"{what}: member {info.filename[:60]} unpacks to more than it declares "
                    f"({_mb(limit)}); nothing was imported"
                )
    return data


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB" if size >= MB else f"{size:,} bytes"
