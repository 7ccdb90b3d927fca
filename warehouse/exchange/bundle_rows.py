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


def check_membership(site: str, frames: dict[str, pd.DataFrame]) -> list[Problem]:
    """Every row must belong to a subject of the bundle's site, every causality to its AE."""
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
