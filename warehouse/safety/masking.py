"""Small-count masking for the tables a monitor sees.

The rule, applied by :func:`mask_counts` to a table of counts together with its row
and column totals (computed here, so they are always consistent):

1. *Primary suppression*: every entry - cells and totals alike - with
   ``1 <= count < threshold`` is shown as ``"<5"`` (``"<{threshold}"``). Zeros are
   shown (they describe no one) unless ``mask_zero=True``.
2. *Complementary suppression*: each row and each column sums to its total, so the
   table is a set of linear equations. A hidden entry can be worked out from the
   shown ones exactly when it is a *bridge* of the bipartite graph whose nodes are
   the lines (rows, columns, the totals row and column) and whose edges are the
   hidden entries - for instance when it is the only hidden entry of its row or
   column. While any hidden entry is a bridge, up to three more entries are hidden
   so that it lies on a rectangle of hidden entries; the cheapest rectangle wins,
   where an already hidden entry costs nothing, a count of at least
   ``2 * threshold - 1`` costs its value, a count of ``threshold .. 2*threshold - 2``
   more than any of those and a zero most of all. These entries are shown as
   ``"masked"``.

Guaranteed: no row or column has exactly one hidden entry, and no hidden entry is
determined by the shown entries through any combination of the row and column sums
(every hidden entry lies on a cycle of hidden entries, along which values can be
shifted without changing a shown number). Not guaranteed: narrowing by bounds (a
reader who knows that "<5" means 1-4 and "masked" at least 5 can sometimes narrow or
pin a value; preferring large complements makes this rarer), and differencing
against *other* tables (e.g. a per-product total shown on another screen), so a
breakdown and its totals belong in one masked table.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from schemas.errors import CaseguardError

THRESHOLD = 5
HIDDEN = "masked"
TOTAL = "Total"


def small_label(threshold: int = THRESHOLD) -> str:
    """The text shown instead of a small count ("<5")."""
    return f"<{threshold}"


def _extended(values: np.ndarray) -> np.ndarray:
    rows = np.column_stack([values, values.sum(axis=1)])
    return np.vstack([rows, rows.sum(axis=0)])


def _bridges(n_rows: int, n_cols: int, hidden: np.ndarray) -> list[tuple[int, int]]:
    """Hidden entries that are bridges of the line graph (Tarjan, iterative)."""
    cells = [(int(i), int(j)) for i, j in np.argwhere(hidden)]
    adjacent: list[list[tuple[int, int]]] = [[] for _ in range(n_rows + n_cols)]
    for index, (i, j) in enumerate(cells):
        adjacent[i].append((n_rows + j, index))
        adjacent[n_rows + j].append((i, index))
    seen, low = [-1] * len(adjacent), [0] * len(adjacent)
    found: list[tuple[int, int]] = []
    clock = 0
    for root in range(len(adjacent)):
        if seen[root] >= 0 or not adjacent[root]:
            continue
        seen[root] = low[root] = clock
        clock += 1
        stack: list[tuple[int, int, Iterator[tuple[int, int]]]] = [(root, -1, iter(adjacent[root]))]
        while stack:
            node, via, edges = stack[-1]
            for other, index in edges:
                if index == via:
                    continue
                if seen[other] < 0:
                    seen[other] = low[other] = clock
                    clock += 1
                    stack.append((other, index, iter(adjacent[other])))
                    break
                low[node] = min(low[node], seen[other])
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > seen[parent]:
                        found.append(cells[via])
    return sorted(found)


def _costs(extended: np.ndarray, hidden: np.ndarray, threshold: int) -> np.ndarray:
    values = extended.astype(float)
    big = float(extended.sum()) + 1.0
    cost = np.where(values >= 2 * threshold - 1, values, big + values)
    cost = np.where(values == 0, big * big, cost)
    return np.where(hidden, 0.0, cost)


def suppression(
    values: np.ndarray, threshold: int = THRESHOLD, mask_zero: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(table with totals, primary mask, complementary mask), all (rows+1) x (cols+1)."""
    extended = _extended(np.asarray(values, dtype=np.int64))
    low = 0 if mask_zero else 1
    primary = (extended >= low) & (extended < threshold)
    hidden = primary.copy()
    n_rows, n_cols = extended.shape
    while bridges := _bridges(n_rows, n_cols, hidden):
        i, j = bridges[0]
        cost = _costs(extended, hidden, threshold)
        square = cost[i, :][None, :] + cost + cost[:, j][:, None]
        square[i, :] = np.inf
        square[:, j] = np.inf
        i2, j2 = np.unravel_index(int(np.argmin(square)), square.shape)
        hidden[i, j2] = hidden[i2, j2] = hidden[i2, j] = True
    return extended, primary, hidden & ~primary


def mask_counts(
    table: pd.DataFrame, threshold: int = THRESHOLD, *, mask_zero: bool = False
) -> pd.DataFrame:
    """The counts with "Total" row and column added, small and complementary cells hidden.

    ``table`` holds non-negative whole counts only (labels in the index and columns).
    Shown entries stay integers; hidden ones become ``"<5"`` or ``"masked"``.
    """
    values = table.to_numpy()
    if values.size and (
        pd.isna(values).any()
        or not np.all(np.equal(np.mod(values.astype(float), 1), 0))
        or (values.astype(float) < 0).any()
    ):
        raise CaseguardError("mask_counts needs a table of non-negative whole counts")
    extended, primary, complementary = suppression(values.astype(np.int64), threshold, mask_zero)
    shown = extended.astype(object)
    shown[primary] = small_label(threshold)
    shown[complementary] = HIDDEN
    index = [*map(str, table.index), TOTAL]
    columns = [*map(str, table.columns), TOTAL]
    return pd.DataFrame(shown, index=index, columns=columns)


def mask_rates(
    rates: pd.DataFrame,
    counts: tuple[str, ...] = ("subjects", "subjects_with_event", "events"),
    threshold: int = THRESHOLD,
) -> pd.DataFrame:
    """A rate table (see :func:`warehouse.safety.metrics.ae_rates`) with small counts hidden.

    Counts from 1 to ``threshold - 1`` become ``"<5"`` (zeros stay shown) and the
    rates and limits computed from a hidden count are blanked, since rate x
    patient-years would give the count back. Row by row only: shown next to their
    totals, the rows need :func:`mask_counts` instead.
    """
    out = rates.copy().astype(object)
    derived = {
        "subjects_with_event": ("incidence_rate", "incidence_lower", "incidence_upper"),
        "events": ("event_rate", "event_lower", "event_upper"),
    }
    for column in counts:
        if column not in rates:
            continue
        small = (rates[column] > 0) & (rates[column] < threshold)
        out.loc[small, column] = small_label(threshold)
        for rate in derived.get(column, ()):
            if rate in out:
                out.loc[small, rate] = None
    return out
