"""Legacy spreadsheets: the import template, reading CSV/XLSX, and the error report.

A workbook has one sheet per record type (subjects, consents, treatments,
assessments, labs, adverse_events, narratives); a CSV file holds the same columns
with a ``record_type`` column naming the sheet. Each row names its patient by the
local patient id (``local_id``), which is pseudonymised on import and never stored.
Dates are the real dates; they are shifted on import.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from schemas import TABLES
from schemas.errors import CaseguardError
from warehouse.exchange.limits import InputLimits, InputTooLarge
from warehouse.export.dictionary import describe_column, label, marker_names
from warehouse.export.writers import neutralise_frame

SHEETS = (
    "subjects",
    "consents",
    "treatments",
    "assessments",
    "labs",
    "adverse_events",
    "narratives",
)
NOT_IN_SHEETS = {"subject_id", "created_at", "created_by", "genetics", "text_scrubbed"}
NOT_IN_SHEETS |= {"redaction_counts", "treatment_id", "assessment_id", "lab_id", "ae_id"}
NOT_IN_SHEETS |= {"narrative_id"}
RECORD_TYPE = "record_type"
# Values of these columns never appear in an error report: they may identify a person.
HIDDEN_VALUES = {"local_id", "text", "verbatim_term", "switch_reason", "subject_id"}
# Optional identifier columns of the subjects sheet: turned into linkage tokens at the
# site (warehouse/linkage) and forgotten; ``sex`` is the subjects column itself.
LINKAGE_COLUMNS = ("surname", "given_name", "patronymic", "birth_date", "snils", "birth_region")
HIDDEN_VALUES |= set(LINKAGE_COLUMNS)


def sheet_columns(sheet: str) -> list[str]:
    """The columns of a template sheet, derived from the table's model."""
    columns = ["local_id"]
    for column in TABLES[sheet].columns:
        if column in NOT_IN_SHEETS:
            if column == "genetics":
                columns += marker_names()
            elif column == "text_scrubbed":
                columns.append("text")
            continue
        columns.append(column)
    if sheet == "adverse_events":
        columns += ["suspect_products", "causality"]
    if sheet == "subjects":
        columns += list(LINKAGE_COLUMNS)
    return columns


@dataclass(frozen=True)
class SheetRow:
    """One spreadsheet row: its sheet, its row number as the user sees it, its cells."""

    sheet: str
    row: int
    cells: dict[str, Any]


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _read_xlsx(path: Path, limits: InputLimits) -> list[SheetRow]:
    from openpyxl import load_workbook

    # An xlsx file is a zip: its declared sizes are checked before openpyxl unpacks
    # anything, and zipfile never yields more than a member declares.
    with zipfile.ZipFile(path) as archive:
        limits.check_members(archive.infolist(), path.name)
    book = load_workbook(path, read_only=True, data_only=True)
    rows: list[SheetRow] = []
    try:
        for sheet in SHEETS:
            if sheet not in book.sheetnames:
                continue
            values = book[sheet].iter_rows(values_only=True)
            header = [str(h).strip() if h is not None else "" for h in next(values, ())]
            for number, cells in enumerate(values, start=2):
                limits.check_rows(number - 1, f"sheet {sheet} of {path.name}")
                record = {h: _clean(v) for h, v in zip(header, cells, strict=False) if h}
                if any(v is not None for v in record.values()):
                    rows.append(SheetRow(sheet, number, record))
    finally:
        book.close()
    return rows


def _read_csv(path: Path, limits: InputLimits) -> list[SheetRow]:
    frame = pd.read_csv(
        path, dtype=str, keep_default_na=False, encoding="utf-8-sig", nrows=limits.max_rows + 1
    )
    limits.check_rows(len(frame), path.name)
    if RECORD_TYPE not in frame.columns:
        raise CaseguardError(
            f"{path.name} has no {RECORD_TYPE} column (one of {', '.join(SHEETS)})"
        )
    rows = []
    for number, record in enumerate(frame.to_dict("records"), start=2):
        cells = {str(k).strip(): _clean(v) for k, v in record.items()}
        sheet = str(cells.pop(RECORD_TYPE) or "")
        if any(v is not None for v in cells.values()) or sheet:
            rows.append(SheetRow(sheet, number, cells))
    return rows


def read_rows(path: Path, limits: InputLimits | None = None) -> list[SheetRow]:
    """The non-empty rows of a legacy CSV or XLSX file, within the input caps."""
    limits = limits or InputLimits()
    suffix = path.suffix.lower()
    limits.check_file(path)
    try:
        if suffix == ".xlsx":
            return _read_xlsx(path, limits)
        if suffix == ".csv":
            return _read_csv(path, limits)
    except InputTooLarge:
        raise
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise CaseguardError(f"cannot read {path.name}: {exc.__class__.__name__}") from None
    raise CaseguardError(f"{path.name}: only .csv and .xlsx files can be imported")


def _help_rows() -> pd.DataFrame:
    rows = []
    for sheet in SHEETS:
        empty = pd.DataFrame()
        for column in sheet_columns(sheet):
            if column in TABLES[sheet].columns:
                entry = describe_column(sheet, column, empty)
            else:
                en, ru = label(sheet, column)
                entry = {"label_en": en, "label_ru": ru, "type": "text", "unit": ""}
                entry.update(range="", allowed_values="")
                if column in marker_names():
                    entry["allowed_values"] = describe_column("x", column, empty)["allowed_values"]
            entry.update(table=sheet, column=column)
            if column.endswith("date"):
                entry["type"] = "date (real date, DD.MM.YYYY or YYYY-MM-DD; shifted on import)"
            if sheet == "subjects" and column in LINKAGE_COLUMNS:
                entry["type"] = (
                    "optional identifier: keyed into linkage tokens at the site, never stored"
                )
            rows.append(entry)
    columns = ["table", "column", "label_en", "label_ru", "type", "unit", "range"]
    return pd.DataFrame(rows)[[*columns, "allowed_values"]]


def write_template(path: Path) -> Path:
    """Write the import template: one sheet per record type plus a column guide."""
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    guide = _help_rows()
    book = Workbook()
    book.remove(book.active)
    for sheet in SHEETS:
        ws = book.create_sheet(sheet)
        ws.append(sheet_columns(sheet))
        ws.freeze_panes = "A2"
        for index, column in enumerate(sheet_columns(sheet), start=1):
            allowed = guide[(guide.table == sheet) & (guide.column == column)]["allowed_values"]
            values = str(allowed.iloc[0]) if len(allowed) else ""
            formula = '"' + values.replace("; ", ",") + '"'
            if values and len(formula) <= 255 and column != "seriousness":
                letter = ws.cell(row=1, column=index).column_letter
                check = DataValidation(type="list", formula1=formula, allow_blank=True)
                check.add(f"{letter}2:{letter}5000")
                ws.add_data_validation(check)
    ws = book.create_sheet("columns")
    ws.append(list(guide.columns))
    for record in neutralise_frame(guide).itertuples(index=False, name=None):
        ws.append(list(record))
    try:
        book.save(path)
    except OSError as exc:
        raise CaseguardError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path


REPORT_COLUMNS = ["sheet", "row", "column", "value", "problem_en", "problem_ru"]


def write_report(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write the error report next to the input (CSV, UTF-8 with BOM, neutralised)."""
    target = path.with_name(f"{path.stem}.errors.csv")
    frame = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    neutralise_frame(frame).to_csv(target, index=False, encoding="utf-8-sig")
    return target
