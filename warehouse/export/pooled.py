"""Reading the pooled dataset for an export: eligible subjects and their rows.

Only subjects with pooled-research consent and no withdrawal are read. Pseudonyms
and row ids are replaced by export-only ids (a keyed hash under a random key made
for this export and then forgotten), so an export cannot be joined back to the
warehouse or to another export, and no id reveals its site. Columns that could
identify a site or a person (site code, birth year, exact age, lot, who entered the
record and when) are left out; free text is scrubbed before it leaves.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd

from schemas import TABLES, load_reference
from schemas.common import as_dict
from schemas.errors import CaseguardError
from schemas.treatments import SWITCH_REASONS
from warehouse.store.review_marks import verified_signed_rows

EXPORT_TABLES = (
    "subjects",
    "consents",
    "treatments",
    "assessments",
    "labs",
    "adverse_events",
    "ae_causality",
    "narratives",
)
DROPPED = {
    "subjects": {
        "site_code",
        "birth_year",
        "genetics",
        "age_at_index_months",
        "created_at",
        "created_by",
    },
    "consents": {"withdrawn_date"},
    "treatments": {"lot"},
    "narratives": {"created_at"},
}
ID_PREFIX = {
    "subject_id": "S",
    "treatment_id": "TR",
    "assessment_id": "AS",
    "lab_id": "LB",
    "ae_id": "AE",
    "narrative_id": "NR",
}
FREE_TEXT = {"adverse_events": ("verbatim_term",), "treatments": ("switch_reason",)}
ONSET_TOP_CODE_MONTHS = 1068  # 89 years: older ages share one value (Safe Harbor)
ELIGIBLE = "c.pooled_research AND c.withdrawn_date IS NULL AND s.status <> 'withdrawn'"

Scrub = Callable[[list[str]], list[str]]


def exclusions(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """How many subjects the warehouse holds and why some cannot be exported."""
    row = conn.execute(
        f"""SELECT count(*),
            count(*) FILTER (WHERE c.subject_id IS NULL),
            count(*) FILTER (WHERE c.subject_id IS NOT NULL AND NOT c.pooled_research),
            count(*) FILTER (WHERE c.pooled_research
                             AND (c.withdrawn_date IS NOT NULL OR s.status = 'withdrawn')),
            count(*) FILTER (WHERE {ELIGIBLE})
        FROM subjects s LEFT JOIN consents c USING (subject_id)"""
    ).fetchall()[0]
    total, no_consent, no_pooled, withdrawn, eligible = (int(v) for v in row)
    return {
        "in_warehouse": total,
        "no_consent_record": no_consent,
        "no_pooled_research_consent": no_pooled,
        "withdrawn": withdrawn,
        "excluded": total - eligible,
        "eligible": eligible,
    }


def eligible_subjects(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Eligible subjects: quasi-identifier inputs, first-dose date, and the sensitive
    attributes whose disclosure the report measures (any serious AE, death)."""
    frame = conn.execute(
        f"""SELECT s.subject_id, s.sex, s.age_at_index_months, s.site_code,
                   coalesce(si.region, 'unknown') AS region,
                   coalesce(si.country, 'unknown') AS country,
                   s.disease, s.disease_subtype, s.genetics, s.age_at_onset_months,
                   s.index_date, s.status, coalesce(f.first_dose, s.index_date) AS first_dose,
                   coalesce(a.serious_ae, false) AS serious_ae,
                   s.status = 'died' OR coalesce(a.fatal_ae, false) AS died
            FROM subjects s JOIN consents c USING (subject_id)
            LEFT JOIN sites si USING (site_code)
            LEFT JOIN (SELECT subject_id, min(start_date) AS first_dose
                       FROM treatments GROUP BY subject_id) f USING (subject_id)
            LEFT JOIN (SELECT subject_id, bool_or(serious) AS serious_ae,
                              bool_or(outcome = 'fatal') AS fatal_ae
                       FROM adverse_events GROUP BY subject_id) a USING (subject_id)
            WHERE {ELIGIBLE}
            ORDER BY s.subject_id"""
    ).df()
    return frame


def export_ids(ids: pd.Series, salt: bytes, prefix: str) -> pd.Series:
    """Export-only ids: a keyed hash of each id (stable within one export only)."""
    return ids.map(
        lambda v: prefix + hashlib.sha256(salt + str(v).encode()).hexdigest()[:16].upper()
    )


def _select(table: str, salt_sql: str) -> str:
    parts = []
    for column in TABLES[table].columns:
        if column in DROPPED.get(table, set()):
            continue
        if column == "subject_id":
            parts.append("r.export_id AS subject_id")
        elif column in ID_PREFIX:
            prefix = ID_PREFIX[column]
            parts.append(
                f"'{prefix}' || upper(substr(sha256({salt_sql} || t.{column}), 1, 16)) AS {column}"
            )
        elif column == "seriousness":
            parts.append("array_to_string(t.seriousness, ';') AS seriousness")
        else:
            parts.append(f"t.{column}")
    return ", ".join(parts)


def read_table(
    conn: duckdb.DuckDBPyConnection, table: str, salt: str, order: str | None = None
) -> pd.DataFrame:
    """Rows of ``table`` for the released subjects (registered as ``_released``)."""
    columns = _select(table, "$salt")
    if table == "ae_causality":
        source = (
            "ae_causality t JOIN adverse_events a USING (ae_id) "
            "JOIN _released r ON r.subject_id = a.subject_id"
        )
    else:
        source = f"{table} t JOIN _released r ON r.subject_id = t.subject_id"
    key = ", ".join(f"t.{c}" for c in TABLES[table].key)
    sql = f"SELECT {columns} FROM {source} ORDER BY {order or 'r.export_id'}, {key}"
    try:
        relation = conn.sql(sql, params={"salt": salt} if "$salt" in sql else {})
        return relation.to_arrow_table().to_pandas(date_as_object=False)
    except duckdb.Error as exc:
        raise CaseguardError(f"cannot read {table} for the export: {exc}") from exc


def new_salt() -> tuple[bytes, str]:
    """A random key for this export's ids, as bytes (Python) and hex (SQL)."""
    raw = secrets.token_bytes(16)
    return raw, raw.hex()


def known_safe_terms() -> set[str]:
    """Texts known to hold no identifier: the AE term list's codes and labels, and
    the coded switch reasons the app stores (the form offers no free text there)."""
    terms = load_reference().ae_terms
    values: set[str] = set()
    for column in ("term_id", "term_en", "term_ru"):
        values |= {str(v).strip().casefold() for v in terms[column]}
    values |= {reason.casefold() for reason in SWITCH_REASONS.values()}
    return values


def scrub_free_text(frame: pd.DataFrame, columns: tuple[str, ...], scrub: Scrub) -> int:
    """Replace free-text columns by scrubbed text (in place); return texts scrubbed.

    Each distinct text is scrubbed once; texts equal to an AE term list label are
    known to be clean and kept. A text is never passed through unscanned.
    """
    safe = known_safe_terms()
    distinct = {str(v) for c in columns if c in frame.columns for v in frame[c].dropna().unique()}
    unknown = sorted(v for v in distinct if v.strip().casefold() not in safe)
    mapping: dict[str, Any] = {v: v for v in distinct if v not in unknown}
    if unknown:
        mapping.update(zip(unknown, scrub(unknown), strict=True))
    for column in columns:
        if column in frame.columns:
            frame[column] = frame[column].map(mapping)  # every distinct text is mapped
    return len(unknown)


def default_scrub(texts: list[str]) -> list[str]:
    """Scrub texts with the anonymiser (language detected per text)."""
    from anonymise import scrub_texts

    return [result.text for result in scrub_texts(texts)]


def counts_json(value: Any) -> str:
    """Redaction counts as compact JSON text."""
    return json.dumps(as_dict(value) or {}, sort_keys=True)


def verified_signed_only(
    conn: duckdb.DuckDBPyConnection, eligible: pd.DataFrame, excluded: dict[str, int]
) -> pd.DataFrame:
    """Only the eligible subjects whose casebook is signed (signature standing) and every
    one of whose records is verified against source; ``excluded`` counts the others."""
    rows = verified_signed_rows(conn, list(eligible["subject_id"]))
    done = rows.groupby("subject_id")[["verified", "signed"]].all()
    keep = set(done.index[done["verified"] & done["signed"]])
    kept = eligible[eligible["subject_id"].isin(keep)].reset_index(drop=True)
    excluded["not_verified_and_signed"] = len(eligible) - len(kept)
    excluded["excluded"] += excluded["not_verified_and_signed"]
    excluded["eligible"] = len(kept)
    return kept
