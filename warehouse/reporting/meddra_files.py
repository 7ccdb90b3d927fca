"""Reading a MedDRA ASCII distribution: ``$``-separated files as MedSource ships them.

A distribution folder holds ``llt.asc``, ``pt.asc``, ``hlt.asc``, ``hlt_pt.asc``,
``hlgt.asc``, ``hlgt_hlt.asc``, ``soc.asc``, ``soc_hlgt.asc`` and ``mdhier.asc`` (a
translation, e.g. Russian, has the same layout), plus ``meddra_release.asc`` whose first
two fields are the version and the language. Every line ends with ``$``; codes are
eight digits. A malformed line stops the read with the file, line number and rule; a
file larger than :data:`MAX_FILE_BYTES` or with more than :data:`MAX_LINES` lines is
refused while streaming, before it fills memory.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from schemas.errors import CaseguardError

MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_LINES = 2_000_000
MAX_NAME_CHARS = 200
CODE = re.compile(r"^\d{8}$")

# file -> (minimum number of fields, names of the fields this reader uses by position)
LAYOUT: dict[str, tuple[int, tuple[str, ...]]] = {
    "llt.asc": (10, ("llt_code", "llt_name", "pt_code")),
    "pt.asc": (4, ("pt_code", "pt_name", "_", "pt_soc_code")),
    "hlt.asc": (2, ("hlt_code", "hlt_name")),
    "hlgt.asc": (2, ("hlgt_code", "hlgt_name")),
    "soc.asc": (2, ("soc_code", "soc_name")),
    "hlt_pt.asc": (2, ("hlt_code", "pt_code")),
    "hlgt_hlt.asc": (2, ("hlgt_code", "hlt_code")),
    "soc_hlgt.asc": (2, ("soc_code", "hlgt_code")),
    "mdhier.asc": (12, ("pt_code", "hlt_code", "hlgt_code", "soc_code")),
}
LLT_CURRENCY_FIELD = 9
MDHIER_PRIMARY_FIELD = 11
RELEASE_FILE = "meddra_release.asc"


class MeddraFileError(CaseguardError):
    """A MedDRA distribution file is missing, too large or malformed."""


@dataclass
class Distribution:
    """The parsed content of one distribution folder (codes as ints)."""

    version: str
    language: str
    llt: list[tuple[int, str, int, bool]] = field(default_factory=list)
    pt: list[tuple[int, str, int | None]] = field(default_factory=list)
    names: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # hlt, hlgt, soc
    links: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # parent level -> pairs
    paths: list[tuple[int, int, int, int, bool]] = field(default_factory=list)
    sha256: str = ""


def _lines(path: Path, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of a ``$``-separated file, bounded while streaming."""
    if not path.is_file():
        raise MeddraFileError(f"{path.name} is missing from {path.parent}")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise MeddraFileError(f"{path.name} is {size} bytes; at most {MAX_FILE_BYTES} accepted")
    with path.open("r", encoding=encoding, newline="") as handle:
        for number, raw in enumerate(handle, start=1):
            if number > MAX_LINES:
                raise MeddraFileError(f"{path.name} has more than {MAX_LINES} lines")
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            yield number, line.removesuffix("$").split("$")


def _code(name: str, number: int, column: str, value: str, optional: bool = False) -> int | None:
    value = value.strip()
    if optional and not value:
        return None
    if not CODE.match(value):
        raise MeddraFileError(
            f"{name} line {number}: {column} {value[:20]!r} is not a MedDRA code (8 digits)"
        )
    return int(value)


def _name(name: str, number: int, column: str, value: str) -> str:
    value = value.strip()
    if not value or len(value) > MAX_NAME_CHARS:
        raise MeddraFileError(
            f"{name} line {number}: {column} must be 1 to {MAX_NAME_CHARS} characters"
        )
    return value


def _rows(folder: Path, name: str, encoding: str) -> Iterator[tuple[int, list[str]]]:
    minimum, _ = LAYOUT[name]
    try:
        for number, fields in _lines(folder / name, encoding):
            if len(fields) < minimum:
                raise MeddraFileError(
                    f"{name} line {number}: {len(fields)} fields, MedDRA's layout has {minimum}"
                )
            yield number, fields
    except UnicodeDecodeError as exc:
        raise MeddraFileError(
            f"{name} is not {encoding} text (byte {exc.start}); give the distribution's encoding"
        ) from None


def read_release(folder: Path, encoding: str = "utf-8") -> tuple[str, str] | None:
    """(version, language) from ``meddra_release.asc``, or None when the file is absent."""
    if not (folder / RELEASE_FILE).is_file():
        return None
    for number, fields in _lines(folder / RELEASE_FILE, encoding):
        if len(fields) < 2 or not fields[0].strip() or not fields[1].strip():
            raise MeddraFileError(f"{RELEASE_FILE} line {number}: expected version$language$")
        return fields[0].strip(), fields[1].strip()
    raise MeddraFileError(f"{RELEASE_FILE} is empty")


def _digest(folder: Path) -> str:
    sha = hashlib.sha256()
    for name in sorted(LAYOUT):
        sha.update(name.encode())
        with (folder / name).open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                sha.update(chunk)
    return sha.hexdigest()


def read_distribution(
    folder: Path,
    version: str | None = None,
    language: str | None = None,
    encoding: str = "utf-8",
) -> Distribution:
    """Parse a distribution folder; ``version``/``language`` override its release file."""
    release = read_release(folder, encoding)
    version = version or (release[0] if release else None)
    language = language or (release[1] if release else None)
    if not version or not language:
        raise MeddraFileError(
            f"{RELEASE_FILE} is missing from {folder}: give the version and the language"
        )
    dist = Distribution(version=version, language=language.lower())
    for number, f in _rows(folder, "llt.asc", encoding):
        currency = f[LLT_CURRENCY_FIELD].strip().upper()
        if currency not in ("Y", "N"):
            raise MeddraFileError(f"llt.asc line {number}: llt_currency must be Y or N")
        dist.llt.append(
            (
                _code("llt.asc", number, "llt_code", f[0]) or 0,
                _name("llt.asc", number, "llt_name", f[1]),
                _code("llt.asc", number, "pt_code", f[2]) or 0,
                currency == "Y",
            )
        )
    for number, f in _rows(folder, "pt.asc", encoding):
        dist.pt.append(
            (
                _code("pt.asc", number, "pt_code", f[0]) or 0,
                _name("pt.asc", number, "pt_name", f[1]),
                _code("pt.asc", number, "pt_soc_code", f[3], optional=True),
            )
        )
    for level in ("hlt", "hlgt", "soc"):
        file = f"{level}.asc"
        dist.names[level] = [
            (
                _code(file, n, f"{level}_code", f[0]) or 0,
                _name(file, n, f"{level}_name", f[1]),
            )
            for n, f in _rows(folder, file, encoding)
        ]
    for parent, child in (("hlt", "pt"), ("hlgt", "hlt"), ("soc", "hlgt")):
        file = f"{parent}_{child}.asc"
        dist.links[parent] = [
            (
                _code(file, n, f"{parent}_code", f[0]) or 0,
                _code(file, n, f"{child}_code", f[1]) or 0,
            )
            for n, f in _rows(folder, file, encoding)
        ]
    for number, f in _rows(folder, "mdhier.asc", encoding):
        codes = [
            _code("mdhier.asc", number, column, f[i]) or 0
            for i, column in enumerate(LAYOUT["mdhier.asc"][1])
        ]
        primary = f[MDHIER_PRIMARY_FIELD].strip().upper() == "Y"
        dist.paths.append((codes[0], codes[1], codes[2], codes[3], primary))
    _check_integrity(dist)
    dist.sha256 = _digest(folder)
    return dist


def _check_integrity(dist: Distribution) -> None:
    """Every LLT points to a PT, every path to known terms, every PT has one primary SOC."""
    pts = {code for code, _, _ in dist.pt}
    known = {level: {code for code, _ in rows} for level, rows in dist.names.items()}
    known["pt"] = pts
    seen_llt: set[int] = set()
    for llt_code, _, pt_code, _ in dist.llt:
        if llt_code in seen_llt:
            raise MeddraFileError(f"llt.asc: LLT {llt_code} appears twice")
        seen_llt.add(llt_code)
        if pt_code not in pts:
            raise MeddraFileError(f"llt.asc: LLT {llt_code} names PT {pt_code}, not in pt.asc")
    primary: dict[int, int] = {}
    for pt, hlt, hlgt, soc, is_primary in dist.paths:
        for level, code in (("pt", pt), ("hlt", hlt), ("hlgt", hlgt), ("soc", soc)):
            if code not in known[level]:
                raise MeddraFileError(f"mdhier.asc: {level.upper()} {code} is not in {level}.asc")
        if is_primary:
            primary[pt] = primary.get(pt, 0) + 1
    missing = sorted(pts - set(primary))
    if missing:
        raise MeddraFileError(f"mdhier.asc: PT {missing[0]} has no primary SOC path")
    doubled = sorted(pt for pt, n in primary.items() if n > 1)
    if doubled:
        raise MeddraFileError(f"mdhier.asc: PT {doubled[0]} has more than one primary SOC")
