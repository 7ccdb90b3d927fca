"""The data dictionary of an export: every column with labels, type, unit and values.

Labels (English and Russian) come from ``schemas/messages/columns.yaml``; types,
ranges and allowed values are read from the Pandera models and the reference data,
so the dictionary follows the schema instead of being a copy of it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd
import yaml

from schemas import TABLES, load_reference
from schemas.disclosure_spec import any_value, quasi_identifiers, subtype_type, unknown_value
from schemas.problems import MESSAGES_FILE

LABELS_FILE = MESSAGES_FILE.parent / "columns.yaml"
DAY_SUFFIX = ("study day: days since the first dose", "день исследования: дней от первой дозы")
_TYPES = {"string": "text", "str": "text", "float64": "number", "int64": "integer"}


@lru_cache(maxsize=1)
def labels() -> dict[str, dict[str, dict[str, str]]]:
    """The label file: ``{"columns": {...}, "sdtm": {...}}``."""
    with open(LABELS_FILE, encoding="utf-8") as handle:
        return dict(yaml.safe_load(handle))


def _markers() -> dict[str, dict[str, Any]]:
    """Genetic markers of every disease (name -> spec), from the reference data."""
    found: dict[str, dict[str, Any]] = {}
    for disease in load_reference().diseases.values():
        for name, spec in disease.genetic_markers.items():
            found.setdefault(name, {**spec, "codes": []})
            found[name]["codes"] += [c for c in spec["codes"] if c not in found[name]["codes"]]
    return found


def marker_names() -> list[str]:
    """Names of all genetic markers in the reference data, in file order."""
    return list(_markers())


def label(table: str, column: str) -> tuple[str, str]:
    """English and Russian label of a column (study-day columns derive theirs)."""
    known = labels()["columns"]
    markers = _markers()
    if f"{table}.{column}" in known or column in known:
        entry = known.get(f"{table}.{column}") or known[column]
        return entry["en"], entry["ru"]
    if column in markers:
        return str(markers[column]["label_en"]), str(markers[column]["label_ru"])
    base = _date_column(table, column)
    if base:
        en, ru = label(table, base)
        return f"{en.replace(' (shifted)', '')} ({DAY_SUFFIX[0]})", (
            f"{ru.replace(' (со сдвигом)', '')} ({DAY_SUFFIX[1]})"
        )
    return column, column


def _date_column(table: str, column: str) -> str | None:
    """The date column a study-day column replaces ('visit_day' -> 'visit_date')."""
    if column != "day" and not column.endswith("_day"):
        return None
    source = "date" if column == "day" else column[: -len("day")] + "date"
    if table not in TABLES or source not in TABLES[table].columns:
        return None
    return source


def _checks(table: str, column: str) -> tuple[str, str, list[str]]:
    """Type, range text and allowed values of a model column."""
    schema = TABLES[table].model.to_schema()
    spec = schema.columns[column]
    dtype = str(spec.dtype)
    kind = "date" if "datetime" in dtype else _TYPES.get(dtype.split("[")[0], dtype)
    kind = "yes/no" if dtype == "bool" else "list" if dtype == "object" else kind
    allowed: list[str] = []
    bounds: list[str] = []
    for check in spec.checks:
        stats = check.statistics or {}
        if "allowed_values" in stats:
            allowed = [str(v) for v in stats["allowed_values"]]
        for key, sign in (("min_value", ">="), ("max_value", "<=")):
            if key in stats and check.name != "str_length":
                bounds.append(f"{sign} {stats[key]}")
    return kind, ", ".join(bounds), allowed


def _ladder_values(column: str) -> list[str]:
    """Every value a quasi-identifier column can take, at any level of its ladder."""
    ref = load_reference()
    qi = next((q for q in quasi_identifiers(ref) if q.name == column), None)
    if qi is None:
        return []
    values: list[str] = []
    if qi.kind == "bands":
        values = [label for bands in qi.bands for label, _ in bands]
        values.append(unknown_value(ref))
    elif qi.kind == "marker":
        values = list(_markers()[column]["codes"]) + list(qi.groups.values())
    elif column == "disease_subtype":
        values = [s for d in ref.diseases.values() for s in d.subtypes]
        values += [subtype_type(ref, c, s) for c, d in ref.diseases.items() for s in d.subtypes]
        values += list(ref.diseases)
    elif column == "sex":
        values = ref.codes("sexes")
    if column == "index_year":
        return ["year (4 digits)", unknown_value(ref), any_value(ref)]
    return list(dict.fromkeys([*values, any_value(ref)]))


def disclosure_role(table: str, column: str, dates: str = "shifted") -> str:
    """What the data dictionary says about a column's part in disclosure control."""
    ref = load_reference()
    qi = next((q for q in quasi_identifiers(ref) if q.name == column), None)
    if table == "subjects" and qi is not None:
        ladder = " > ".join(qi.level_names[qi.lowest_released :])
        return f"quasi-identifier: generalised for k-anonymity (ladder: {ladder})"
    model = TABLES.get(table)
    in_model = dates == "shifted" and model is not None and column in model.columns
    if in_model and "datetime" in str(TABLES[table].model.to_schema().columns[column].dtype):
        return (
            "date shifted per subject (within 182 days), not a quasi-identifier of the "
            "search; --dates study-day releases days since the first dose instead"
        )
    return ""


def _reference_values(column: str) -> list[str]:
    ref = load_reference()
    if column in ("disease_subtype", "age_band", "onset_band", "index_year", "sex"):
        return _ladder_values(column)
    if column == "coded_term":
        return list(ref.ae_terms.index)
    if column == "seriousness":
        return ref.codes("seriousness_criteria")
    if column in _markers():
        return _ladder_values(column)
    return []


def _unit(table: str, column: str) -> str:
    ref = load_reference()
    if column == "score":
        return "by scale: " + "; ".join(f"{c} {u}" for c, u in ref.scales["unit"].items())
    if column in ("value", "lower", "upper") and table == "labs":
        return "by test: " + "; ".join(f"{c} {u}" for c, u in ref.lab_tests["unit"].items())
    if _date_column(table, column):
        return "days"
    entry = labels()["columns"].get(column, {})
    return str(entry.get("unit", ""))


def describe_column(table: str, column: str, frame: pd.DataFrame) -> dict[str, str]:
    """One data-dictionary row for a column of an exported table."""
    en, ru = label(table, column)
    day_of = _date_column(table, column)
    if table in TABLES and column in TABLES[table].columns:
        kind, bounds, allowed = _checks(table, column)
    else:
        kind, bounds, allowed = _frame_type(frame, column), "", []
    if day_of:
        kind = "integer"
    allowed = _reference_values(column) or allowed
    if column == "seriousness":
        kind = "list (separated by ;)"
    return {
        "table": table,
        "column": column,
        "label_en": en,
        "label_ru": ru,
        "type": kind,
        "unit": _unit(table, column),
        "range": bounds,
        "allowed_values": "; ".join(allowed),
        "disclosure": disclosure_role(table, column, "study-day" if day_of else "shifted"),
    }


def _frame_type(frame: pd.DataFrame, column: str) -> str:
    if column not in frame.columns:
        return "text"
    dtype = frame[column].dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "yes/no"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date"
    return "text"


def sdtm_row(domain: str, column: str, frame: pd.DataFrame, values: list[str]) -> dict[str, str]:
    """One data-dictionary row for an SDTM variable."""
    entry = labels()["sdtm"].get(column, {"en": column, "ru": column})
    return {
        "table": f"sdtm/{domain.lower()}",
        "column": column,
        "label_en": entry["en"],
        "label_ru": entry["ru"],
        "type": _frame_type(frame, column),
        "unit": "days" if column.endswith("DY") else "",
        "range": "",
        "allowed_values": "; ".join(values),
        "disclosure": "",
    }


def data_dictionary(
    frames: dict[str, pd.DataFrame], sdtm: dict[str, tuple[pd.DataFrame, dict[str, list[str]]]]
) -> pd.DataFrame:
    """The data dictionary of the exported tables (and SDTM domains, if any)."""
    rows = [describe_column(t, c, f) for t, f in frames.items() for c in f.columns]
    for domain, (frame, codelists) in sdtm.items():
        rows += [sdtm_row(domain, c, frame, codelists.get(c, [])) for c in frame.columns]
    return pd.DataFrame(rows)
