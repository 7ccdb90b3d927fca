"""Writing frames as Parquet, CSV or XLSX files, safe to open in a spreadsheet.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and
some treat a leading tab or carriage return the same way) as a formula, so every
such text cell written to CSV or XLSX gets a leading apostrophe (OWASP's advice for
CSV injection). Parquet keeps the values as they are: it is typed, not interpreted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from schemas.errors import CaseguardError

FORMATS = ("parquet", "csv", "xlsx")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_575  # one row is the header
# Characters XML 1.0 (and so XLSX) cannot hold; they are dropped from XLSX cells.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula, made inert with a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell passed through :func:`neutralise`."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            out[column] = series.map(neutralise, na_action="ignore")
    return out


def file_name(table: str, fmt: str) -> str:
    """The file a table is written to in format ``fmt``."""
    if fmt not in FORMATS:
        raise CaseguardError(f"unknown format {fmt!r} (use one of {', '.join(FORMATS)})")
    return f"{table}.{fmt}"


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table.replace_schema_metadata(None), path, compression="zstd")


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    # utf-8 with BOM so spreadsheet programs read Cyrillic correctly
    neutralise_frame(frame).to_csv(path, index=False, encoding="utf-8-sig", date_format="%Y-%m-%d")


def _xlsx_cell(value: Any) -> Any:
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date() if value == value.normalize() else value.to_pydatetime()
    if isinstance(value, str):
        return neutralise(_XML_ILLEGAL.sub("", value))
    if hasattr(value, "item"):
        return value.item()
    return value


def write_xlsx_sheets(sheets: dict[str, pd.DataFrame], path: Path) -> None:
    """Write frames as the sheets of one workbook (openpyxl, write-only, neutralised)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for name, frame in sheets.items():
        if len(frame) > XLSX_MAX_ROWS:
            raise CaseguardError(
                f"{name} has {len(frame):,} rows, more than a spreadsheet holds; "
                "export as parquet or csv"
            )
        sheet = book.create_sheet(title=name[:31])
        sheet.append([str(c) for c in frame.columns])
        for row in frame.itertuples(index=False, name=None):
            sheet.append([_xlsx_cell(v) for v in row])
    book.save(path)


def _write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    write_xlsx_sheets({path.stem: frame}, path)


WRITERS: dict[str, Callable[[pd.DataFrame, Path], None]] = {
    "parquet": _write_parquet,
    "csv": _write_csv,
    "xlsx": _write_xlsx,
}


def write_frame(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    """Write ``frame`` to ``path`` in ``fmt`` (parquet, csv or xlsx)."""
    try:
        WRITERS[fmt](frame, path)
    except OSError as exc:
        raise CaseguardError(f"cannot write {path.name}: {exc.strerror or exc}") from exc


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_frame(path: Path) -> pd.DataFrame:
    """Read back a file written by :func:`write_frame` (for checks and tests)."""
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return pd.read_excel(path, dtype=str, engine="openpyxl").fillna("")
