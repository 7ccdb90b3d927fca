"""Correcting a saved value of one subject, and withdrawing consent, with a reason.

What can be edited and how each field is entered (date, number, choice, text) is
read from the Pandera models, so the correction form follows the schema. Dates
are shown and entered as real dates and stored shifted by the subject's shift.
Free text (new text values and reasons) goes to the database and audit log, so it
is scanned by the scrubber first and refused if it looks identifying.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from anonymise.pseudonym import shift_date
from schemas import TABLES, Case
from schemas.common import REF
from schemas.errors import CaseguardError
from warehouse.capture.ae_entry import LltChoice
from warehouse.capture.real_dates import refuse_future
from warehouse.capture.subjects_lookup import OpenSubject
from warehouse.export.dictionary import label
from warehouse.review.soft_checks import checks_after_save
from warehouse.store.access import Session
from warehouse.store.cases import Change, update_rows, withdraw_consent

if TYPE_CHECKING:
    import duckdb

    from warehouse.store.audit import Event

    # Writes what a correction changes in another room's tables (an event's MedDRA
    # coding) inside the correction's transaction: (connection, audit events).
    Finish = Callable[[duckdb.DuckDBPyConnection, list[Event]], None]

# Never edited here: row identity and bookkeeping, JSON cells, and values that
# have their own workflow (consent withdrawal, the narrative page with scrubbing).
FIXED = frozenset({"subject_id", "site_code", "created_at", "created_by"})
NOT_EDITABLE = {
    "subjects": frozenset({"status", "genetics"}),
    "consents": frozenset({"withdrawn_date", "processing"}),
    # the body system follows the coded term (as on the AE form): set with it, never alone
    "adverse_events": frozenset({"seriousness", "body_system"}),
    "narratives": frozenset({"text_scrubbed", "redaction_counts", "language"}),
}
# A column shown next to the key to tell rows apart.
ROW_HINT = {
    "treatments": "product_id",
    "assessments": "scale",
    "labs": "test",
    "adverse_events": "coded_term",
    "ae_causality": "causality",
    "narratives": "visit_date",
}


@dataclass(frozen=True)
class FieldSpec:
    """How one editable column is entered: kind, choices, bounds and nullability."""

    table: str
    name: str
    kind: str  # "date", "bool", "int", "float", "choice" or "text"
    nullable: bool
    options: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class RowChoice:
    """One stored row: its key and a short label (no free text)."""

    key: dict[str, Any]
    label: str


# Columns whose codes come from a closed vocabulary of the reference data.
_VOCABULARY = {
    "sex": "sexes",
    "status": "subject_statuses",
    "signed_by": "consent_signers",
    "route": "routes",
    "ventilation": "ventilation",
    "feeding": "feeding",
    "motor_function": "motor_function",
    "action_taken": "action_taken",
    "outcome": "outcomes",
    "causality": "causality",
    "ctcae_grade": "ctcae_grades",
}


def value_label(
    spec: FieldSpec, value: Any, lang: str, names: Mapping[str, str] | None = None
) -> str:
    """A stored code as the user reads it ("female" -> "Женский"); other values as text.
    ``names`` names MedDRA codes (``PT:…``, as ``meddra_names`` gives them)."""
    return column_label(spec.name, value, lang, names)


def column_label(column: str, value: Any, lang: str, names: Mapping[str, str] | None = None) -> str:
    """A stored value of ``column`` as the user reads it (see :func:`value_label`)."""
    if isinstance(value, LltChoice):
        value = value.coded_term
    code = str(value)
    if column in _VOCABULARY:
        return REF.label(_VOCABULARY[column], code, lang)
    if column == "coded_term" and code in REF.ae_terms.index:
        return str(REF.ae_terms.at[code, f"term_{'ru' if lang == 'ru' else 'en'}"])
    if column == "coded_term" and names and code in names:
        return names[code]
    named = {"scale": REF.scales, "test": REF.lab_tests}.get(column)
    if named is not None and code in named.index:
        return str(named.at[code, f"name_{'ru' if lang == 'ru' else 'en'}"])
    if column == "disease_subtype":
        for disease in REF.diseases.values():
            if code in disease.subtypes:
                return str(getattr(disease.subtypes[code], f"name_{lang}"))
    if column == "product_id" and code in REF.products.index:
        from warehouse.capture.regimens import product_label

        return product_label(code, lang)
    return code


def field_label(table: str, column: str, lang: str) -> str:
    """A column's label in ``lang`` ("en" or "ru")."""
    en, ru = label(table, column)
    return ru if lang == "ru" else en


def editable_tables(case: Case) -> list[str]:
    """Clinical tables holding rows of this subject, in write order."""
    return [t for t, rows in case.tables().items() if rows and editable_fields(case, t)]


def _kind(dtype: str, has_options: bool) -> str:
    if "datetime" in dtype:
        return "date"
    if dtype == "bool":
        return "bool"
    if dtype.startswith("int"):
        return "int"
    if dtype.startswith("float"):
        return "float"
    return "choice" if has_options else "text"


def _options(case: Case, table: str, column: str, checks: list[Any]) -> tuple[str, ...]:
    for check in checks:
        allowed = (check.statistics or {}).get("allowed_values")
        if allowed is not None:
            return tuple(str(v) for v in allowed)
    if column == "coded_term":
        return tuple(str(v) for v in REF.ae_terms.index)
    if column == "disease_subtype":
        disease = REF.diseases.get(str(case.subject.get("disease")))
        return tuple(disease.subtypes) if disease else ()
    return ()


def _bounds(checks: list[Any]) -> tuple[float | None, float | None]:
    low = high = None
    for check in checks:
        stats = check.statistics or {}
        if check.name == "str_length":
            continue
        if "min_value" in stats and stats["min_value"] is not None:
            low = float(stats["min_value"])
        if "max_value" in stats and stats["max_value"] is not None:
            high = float(stats["max_value"])
    return low, high


def editable_fields(case: Case, table: str) -> list[FieldSpec]:
    """The columns of ``table`` that may be corrected, with how each is entered."""
    schema = TABLES[table].model.to_schema()
    skip = FIXED | set(TABLES[table].key) | NOT_EDITABLE.get(table, frozenset())
    specs = []
    for name, column in schema.columns.items():
        dtype = str(column.dtype)
        if name in skip or dtype == "object":
            continue
        options = _options(case, table, name, list(column.checks))
        low, high = _bounds(list(column.checks))
        kind = _kind(dtype, bool(options))
        specs.append(FieldSpec(table, name, kind, bool(column.nullable), options, low, high))
    return specs


def shown_value(spec: FieldSpec, value: Any, date_shift_days: int) -> Any:
    """A stored value as the user sees and enters it (dates unshifted)."""
    if spec.kind == "date" and isinstance(value, dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        return shift_date(day, -date_shift_days)
    return value


def stored_value(spec: FieldSpec, value: Any, date_shift_days: int) -> Any:
    """An entered value as stored: dates shifted, text stripped, empty text as None."""
    if spec.kind == "date":
        return shift_date(value, date_shift_days) if isinstance(value, dt.date) else None
    if spec.kind == "text" and isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def rows_of(
    case: Case,
    table: str,
    date_shift_days: int,
    lang: str = "en",
    names: Mapping[str, str] | None = None,
) -> list[RowChoice]:
    """The subject's rows of ``table``, each with its key and a short label (the telling
    column's code named in ``lang``; MedDRA codes named by ``names``)."""
    key_columns = TABLES[table].key
    hint = ROW_HINT.get(table)
    choices = []
    for row in case.rows(table):
        key = {c: row[c] for c in key_columns}
        parts = [str(row[c]) for c in key_columns]
        if hint and row.get(hint) is not None:
            value = row[hint]
            if isinstance(value, dt.date):
                parts.append(str(shift_date(value, -date_shift_days)))
            else:
                parts.append(column_label(hint, value, lang, names))
        choices.append(RowChoice(key, " · ".join(parts)))
    return choices


def current_value(case: Case, table: str, key: dict[str, Any], column: str) -> Any:
    """The stored value of one cell (None if the row is gone)."""
    for row in case.rows(table):
        if all(row.get(k) == v for k, v in key.items()):
            return row.get(column)
    return None


# Weak evidence in a short phrase ("Typo, corrected..." reads as an organisation to
# the English NER) and not a patient identifier: not a reason to refuse.
NOT_REFUSED = frozenset({"ORGANIZATION"})


@dataclass(frozen=True)
class InputProblem:
    """Why an entered text cannot be stored: "missing" or "identifying" (with the types)."""

    code: str
    types: tuple[str, ...] = ()


def identifier_types(text: str) -> list[str]:
    """Identifier types the scrubber finds in ``text`` that make it unfit to store.

    Raises :class:`~anonymise.errors.ScrubberUnavailable` when it cannot scan.
    """
    if not text.strip():
        return []
    from anonymise import scrub_text  # the scrubber loads its models on first use

    return sorted({e.type for e in scrub_text(text).entities} - NOT_REFUSED)


def _identifying(text: str) -> InputProblem | None:
    found = identifier_types(text)
    return InputProblem("identifying", tuple(found)) if found else None


def reason_problem(reason: str) -> InputProblem | None:
    """Why a reason cannot be recorded (missing, identifying), or None if it can."""
    if not reason or not reason.strip():
        return InputProblem("missing")
    return _identifying(reason)


def value_problem(spec: FieldSpec, value: Any) -> InputProblem | None:
    """Why a new value cannot be stored before validation (missing, identifying), or None."""
    if value is None or value == "":
        return None if spec.nullable else InputProblem("missing")
    if spec.kind == "text":
        return _identifying(str(value))
    return None


def term_values(term: str | LltChoice) -> dict[str, Any]:
    """What a new coded term sets on its event: the term and the body system it derives
    (a study-list term's body system, or the LLT's PT and primary SOC by code)."""
    if isinstance(term, LltChoice):
        return {"coded_term": term.coded_term, "body_system": term.body_system}
    if term not in REF.ae_terms.index:
        raise CaseguardError(f"{term!r} is not a term of the study's list")
    return {"coded_term": term, "body_system": str(REF.ae_terms.at[term, "body_system_en"])}


def changed_values(spec: FieldSpec, stored: Any) -> dict[str, Any]:
    """The columns a correction of ``spec`` to the stored value writes (a term brings
    its body system with it)."""
    if spec.table == "adverse_events" and spec.name == "coded_term":
        return term_values(stored)
    return {spec.name: stored}


def correct(
    session: Session,
    subject: OpenSubject,
    spec: FieldSpec,
    key: dict[str, Any],
    entered: Any,
    reason: str,
    finish: Finish | None = None,
) -> Any:
    """Store a corrected value (validated, audited with the reason, atomic); returns it.
    A corrected date after today is refused before it is shifted. ``finish`` writes
    what goes with the value in another room (an event's MedDRA coding) in the same
    transaction."""
    if spec.kind == "date":
        refuse_future([(spec.table, 0, spec.name, entered)])
    value = stored_value(spec, entered, subject.date_shift_days)
    change = Change(spec.table, key, changed_values(spec, value))
    update_rows(session, subject.subject_id, [change], reason, finish=finish)
    checks_after_save(session.db, [subject.subject_id], now=True)
    return value


def withdraw(session: Session, subject: OpenSubject, on: dt.date, reason: str) -> dt.date:
    """Record a consent withdrawal on the real date ``on``; returns the stored (shifted) date."""
    refuse_future([("consents", 0, "withdrawn_date", on)])
    shifted = on + dt.timedelta(days=subject.date_shift_days)
    withdraw_consent(session, subject.subject_id, shifted, reason.strip())
    return shifted


def withdrawal_of(case: Case, date_shift_days: int) -> dt.date | None:
    """The real date consent was withdrawn, or None while consent stands."""
    for consent in case.consents:
        stored = consent.get("withdrawn_date")
        if isinstance(stored, dt.date):
            return shift_date(stored, -date_shift_days)
    return None
