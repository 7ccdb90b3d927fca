"""Re-identification and attribute-disclosure measures of a released table.

The smallest class is counted here with pandas; l-diversity is computed by
`pycanon` (a maintained library for exactly these privacy models), so the report
shows what that library finds: for each sensitive attribute, the fewest distinct
values within any equivalence class (l = 1 means some class shares one value, e.g.
every subject in it died, and anyone who places a patient in it learns that).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd


def smallest_class(table: pd.DataFrame, class_columns: Sequence[str]) -> int:
    """Size of the smallest equivalence class over ``class_columns`` (0 when empty)."""
    if table.empty:
        return 0
    return int(table.groupby(list(class_columns), dropna=False).size().min())


def l_diversity(
    table: pd.DataFrame, class_columns: Sequence[str], sensitive: Sequence[str]
) -> dict[str, Any]:
    """pycanon's l for each sensitive attribute, and how many classes have l = 1."""
    from pycanon import anonymity

    frame = table.reset_index(drop=True).astype({c: str for c in class_columns})
    found: dict[str, Any] = {}
    classes = frame.groupby(list(class_columns))
    for column in sensitive:
        distinct = classes[column].nunique()
        # l counts distinct values per class, so repeated rows change nothing: pycanon gets
        # each (class, value) once, which keeps it fast on large exports
        # (and integer codes for the values: the same classes, and far faster to slice)
        pairs = frame[[*class_columns, column]].drop_duplicates().reset_index(drop=True)
        pairs = pairs.apply(lambda values: pd.factorize(values)[0])
        found[column] = {
            "l": int(anonymity.l_diversity(pairs, list(class_columns), [column])),
            "classes_with_one_value": int((distinct == 1).sum()),
            "subjects_in_those_classes": int(classes[column].transform("nunique").eq(1).sum()),
            "share_yes": round(float((frame[column] == "yes").mean()), 4),
        }
    return found
