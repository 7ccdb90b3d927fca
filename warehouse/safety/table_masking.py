"""Small-count masking for the safety dashboard's tables (what a monitor sees).

Builds on :mod:`warehouse.safety.masking` (same labels, same rule) for three shapes:

- **per-product columns** (:func:`mask_columns`): each count column of the product
  table is masked on its own together with its total, since the columns are not
  tied to each other by any sum; the totals feed the KPI tiles, so a tile never
  reveals a masked product;
- **breakdowns whose totals are shown elsewhere** (:func:`mask_with_public_totals`):
  a category x product table of events whose product totals (and grand total) are
  already on screen in the product table. Those totals cannot be hidden again, so
  complementary cells are chosen among the inner cells and the category totals only
  (a shown total is not an unknown: a column with one hidden cell would give it away);
- **motor-scale rows** (:func:`mask_motor`): a mean over fewer than five subjects is
  not shown, and neither is a count of subjects reaching (or not reaching) the
  meaningful change that is below five.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from warehouse.safety.masking import (
    HIDDEN,
    THRESHOLD,
    TOTAL,
    _bridges,
    _extended,
    mask_counts,
    small_label,
)


def is_hidden(value: object) -> bool:
    """True for a masked entry ("<5" or "masked")."""
    return isinstance(value, str) and (value == HIDDEN or value.startswith("<"))


def mask_columns(
    table: pd.DataFrame,
    columns: Iterable[str],
    summed: Iterable[str] = (),
    threshold: int = THRESHOLD,
) -> pd.DataFrame:
    """``table`` (one row per product or site) with a "Total" row; each count column
    masked with its own total (see :func:`warehouse.safety.masking.mask_counts`). Columns in
    ``summed`` get their sum in the total row, text columns "Total", others nothing."""
    columns, summed = list(columns), list(summed)
    out = table.copy().astype(object)
    total: dict[str, object] = {}
    for column in table.columns:
        if column in columns:
            masked = mask_counts(table[[column]], threshold)
            out[column] = masked[column].iloc[:-1].to_numpy()
            total[column] = masked[column].iloc[-1]
        elif column in summed:
            total[column] = table[column].sum()
        elif pd.api.types.is_numeric_dtype(table[column]):
            total[column] = None
        else:
            total[column] = TOTAL
    return pd.concat([out, pd.DataFrame([total], index=[TOTAL])])


def _costs(
    extended: np.ndarray, hidden: np.ndarray, fixed: np.ndarray, threshold: int
) -> np.ndarray:
    values = extended.astype(float)
    big = float(extended.sum()) + 1.0
    cost = np.where(values >= 2 * threshold - 1, values, big + values)
    cost = np.where(values == 0, big * big, cost)
    cost = np.where(hidden, 0.0, cost)
    return np.where(fixed, np.inf, cost)


def public_suppression(
    values: np.ndarray, public: np.ndarray, threshold: int = THRESHOLD
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Like :func:`warehouse.safety.masking.suppression`, but entries marked in ``public``
    ((rows+1) x (cols+1), True = already shown elsewhere) are never hidden."""
    extended = _extended(np.asarray(values, dtype=np.int64))
    primary = (extended >= 1) & (extended < threshold)
    fixed = public & ~primary
    hidden = primary.copy()
    n_rows, n_cols = extended.shape
    while bridges := _bridges(n_rows, n_cols, hidden):
        i, j = bridges[0]
        cost = _costs(extended, hidden, fixed, threshold)
        square = cost[i, :][None, :] + cost + cost[:, j][:, None]
        square[i, :] = np.inf
        square[:, j] = np.inf
        if np.isfinite(square).any():
            i2, j2 = np.unravel_index(int(np.argmin(square)), square.shape)
            hidden[i, j2] = hidden[i2, j2] = hidden[i2, j] = True
            continue
        before = hidden.copy()
        hidden |= ~fixed  # no rectangle left: hide every entry that may be hidden
        if (hidden == before).all():
            break  # what remains follows from shown totals alone
    return extended, primary, hidden & ~primary


def mask_with_public_totals(
    table: pd.DataFrame,
    shown_totals: pd.Series,
    grand_total_shown: bool,
    threshold: int = THRESHOLD,
) -> pd.DataFrame:
    """A category x product count table with totals, masked knowing that the product
    totals in ``shown_totals`` (True = shown elsewhere) and, if ``grand_total_shown``,
    the grand total are public. Returns the table with "Total" row and column."""
    values = table.to_numpy().astype(np.int64)
    public = np.zeros((values.shape[0] + 1, values.shape[1] + 1), dtype=bool)
    public[-1, :-1] = [bool(shown_totals.get(c, False)) for c in table.columns]
    public[-1, -1] = grand_total_shown
    extended, primary, complementary = public_suppression(values, public, threshold)
    shown = extended.astype(object)
    shown[primary] = small_label(threshold)
    shown[complementary] = HIDDEN
    return pd.DataFrame(
        shown,
        index=[*map(str, table.index), TOTAL],
        columns=[*map(str, table.columns), TOTAL],
    )


def mask_motor(motor: pd.DataFrame, threshold: int = THRESHOLD) -> pd.DataFrame:
    """Motor-change rows (see :func:`warehouse.safety.followup.motor_change`) as a
    monitor may see them: n below ``threshold`` shown as "<5" with mean, SD and CI
    blanked; n_meaningful hidden (and the share blanked) when it or its complement
    (n - n_meaningful) is from 1 to ``threshold - 1``."""
    out = motor.copy().astype(object)
    small_n = (motor["n"] > 0) & (motor["n"] < threshold)
    out.loc[small_n, "n"] = small_label(threshold)
    for column in ("mean_change", "sd_change", "ci_lower", "ci_upper"):
        out.loc[small_n, column] = None
    reached, missed = motor["n_meaningful"], motor["n"] - motor["n_meaningful"]
    small = (
        small_n | ((reached > 0) & (reached < threshold)) | ((missed > 0) & (missed < threshold))
    ) & motor["meaningful_change"].notna()
    out.loc[small, "n_meaningful"] = small_label(threshold)
    out.loc[small | small_n, "share_meaningful"] = None
    return out
