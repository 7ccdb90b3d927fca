"""Row-level checks of a bundle import: every row belongs to the bundle's own site.

Case rules, ownership of stored rows and the writes are the one write path's
(:mod:`warehouse.store.upsert`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from schemas import CLINICAL_TABLES, Problem
from schemas.problems import short_value


def _problem(table: str, row: int, field: str, value: Any, en: str, ru: str) -> Problem:
    return Problem(table, row, field, short_value(value), "bundle_membership", en, ru)


def plain_lists(frame: pd.DataFrame) -> pd.DataFrame:
    """Arrays read from Parquet (list columns) as plain lists, as the warehouse stores them."""
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(lambda v: v.tolist() if hasattr(v, "tolist") else v)
    return frame


def _all_members(site: str, frames: dict[str, pd.DataFrame]) -> bool:
    """Whether :func:`check_membership` finds nothing, column at a time (a bundle has
    hundreds of thousands of rows; the rows it names are then found one by one)."""
    subjects = frames["subjects"]
    if "site_code" in subjects and not subjects["site_code"].astype(object).eq(site).all():
        return False
    ids = pd.Index(subjects.get("subject_id", pd.Series(dtype=object)).astype(object))
    # a missing value is never screened (a set and isin may disagree on NaN)
    if any(f[c].isna().any() for f in frames.values() for c in ("subject_id", "ae_id") if c in f):
        return False
    for table in CLINICAL_TABLES[1:]:
        column = frames[table].get("subject_id") if table != "ae_causality" else None
        if column is not None and not column.astype(object).isin(ids).all():
            return False
    ae_ids = pd.Index(frames["adverse_events"].get("ae_id", pd.Series(dtype=object)).astype(object))
    causality = frames["ae_causality"].get("ae_id")
    return causality is None or bool(causality.astype(object).isin(ae_ids).all())


def check_membership(site: str, frames: dict[str, pd.DataFrame]) -> list[Problem]:
    """Every row must belong to a subject of the bundle's site, every causality to its AE."""
    return [] if _all_members(site, frames) else membership_problems(site, frames)


def membership_problems(site: str, frames: dict[str, pd.DataFrame]) -> list[Problem]:
    """:func:`check_membership`'s problems, row by row."""
    problems: list[Problem] = []
    subjects = frames["subjects"]
    for row, value in enumerate(subjects.get("site_code", pd.Series(dtype=object))):
        if value != site:
            problems.append(
                _problem(
                    "subjects",
                    row,
                    "site_code",
                    value,
                    f"subject is not from the bundle's site {site}",
                    f"субъект не относится к центру пакета {site}",
                )
            )
    ids = set(subjects.get("subject_id", []))
    for table in CLINICAL_TABLES[1:]:
        if table == "ae_causality":
            continue
        for row, value in enumerate(frames[table].get("subject_id", [])):
            if value not in ids:
                problems.append(
                    _problem(
                        table,
                        row,
                        "subject_id",
                        value,
                        "row belongs to a subject that is not in the bundle",
                        "строка относится к субъекту, которого нет в пакете",
                    )
                )
    ae_ids = set(frames["adverse_events"].get("ae_id", []))
    for row, value in enumerate(frames["ae_causality"].get("ae_id", [])):
        if value not in ae_ids:
            problems.append(
                _problem(
                    "ae_causality",
                    row,
                    "ae_id",
                    value,
                    "causality for an adverse event that is not in the bundle",
                    "оценка связи для явления, которого нет в пакете",
                )
            )
    return problems
