"""Optimal generalisation: search the lattice of ladder levels for the least loss.

A node of the lattice gives every quasi-identifier one level of its ladder. A node is
*feasible* when the subjects in equivalence classes smaller than ``k`` (who would be
suppressed) are at most the suppression budget. The released node is the feasible
one with the least weighted information loss; ties go to less suppression, then to
the node that comes first (finer levels of earlier quasi-identifiers).

**Information loss** (stated in the disclosure report): the weighted normalised
generalisation height, ``sum(w_i * h_i / H_i) / sum(w_i)``, where ``h_i`` is the level
released for quasi-identifier ``i`` counted from the stored value (0) and ``H_i`` the
height of its ladder; 0 keeps every value as stored, 1 removes them all.

Counting: one DuckDB ``GROUP BY`` turns the subjects into a histogram of finest-level
combinations; each node is then a roll-up of that histogram (array look-ups and a
``bincount``), so a node costs the number of distinct combinations, not subjects.

Two searches give the same node. :func:`exhaustive` evaluates every node.
:func:`best_first` uses monotonicity (ladders are hierarchies, so generalising never
splits a class and never raises suppression; the loss rises with every step): it
checks the top node first (if even that is infeasible, nothing is), walks the nodes
in order of loss and stops after the first loss at which a feasible node exists,
skipping nodes below a known infeasible node and above a known feasible one.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from schemas.errors import CaseguardError
from warehouse.export.ladders import Ladder

Node = tuple[int, ...]
METRIC = (
    "weighted normalised generalisation height: sum(w_i * h_i / H_i) / sum(w_i), "
    "h_i = level released (0 = as stored), H_i = height of the ladder"
)
_DENSE_LIMIT = 1 << 22


@dataclass
class Problem:
    """The search space: ladders, weights, level bounds, k and suppression budget."""

    ladders: Sequence[Ladder]
    weights: Sequence[float]
    k: int
    budget: int  # the largest number of subjects that may be suppressed
    low: Sequence[int] = ()
    high: Sequence[int] = ()
    evaluated: int = 0
    _cache: dict[Node, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if any(w <= 0 for w in self.weights):
            raise CaseguardError("every utility weight must be positive")
        self.low = list(self.low) or [ladder.lowest for ladder in self.ladders]
        self.high = list(self.high) or [ladder.top for ladder in self.ladders]
        self._counts, self._rows = _histogram(self.ladders)

    def nodes(self) -> Iterator[Node]:
        """Every node within the bounds."""
        ranges = [range(lo, hi + 1) for lo, hi in zip(self.low, self.high, strict=True)]
        return (tuple(n) for n in itertools.product(*ranges))

    def loss(self, node: Node) -> float:
        """The node's information loss (see :data:`METRIC`), 0..1."""
        total = sum(self.weights)
        if not total:
            return 0.0
        spent = sum(
            w * (h / ladder.top if ladder.top else 0.0)
            for w, h, ladder in zip(self.weights, node, self.ladders, strict=True)
        )
        return spent / total

    def class_sizes(self, node: Node) -> tuple[np.ndarray, np.ndarray]:
        """Histogram rows' class sizes at ``node``, and the rows' subject counts."""
        if not len(self._counts):
            return np.zeros(0, dtype=np.int64), self._counts
        key = np.zeros(len(self._counts), dtype=np.int64)
        span = 1
        for ladder, level, column in zip(self.ladders, node, self._rows, strict=True):
            codes = ladder.maps[level][column]
            width = int(ladder.maps[level].max(initial=0)) + 1
            key = key * width + codes
            span *= width
            if span > _DENSE_LIMIT:  # compact the key before it could overflow
                _, key = np.unique(key, return_inverse=True)
                span = int(key.max(initial=0)) + 1
        totals = np.bincount(key, weights=self._counts, minlength=span)
        return totals[key].astype(np.int64), self._counts

    def suppressed(self, node: Node) -> int:
        """Subjects in classes smaller than k at ``node`` (cached)."""
        if node not in self._cache:
            sizes, counts = self.class_sizes(node)
            self._cache[node] = int(counts[sizes < self.k].sum())
            self.evaluated += 1
        return self._cache[node]

    def feasible(self, node: Node) -> bool:
        """Whether the node's suppression is within the budget."""
        return self.suppressed(node) <= self.budget

    def rank(self, node: Node) -> tuple[float, int, Node]:
        """The order of preference among feasible nodes."""
        return (round(self.loss(node), 9), self.suppressed(node), node)

    @property
    def top(self) -> Node:
        """The coarsest node within the bounds."""
        return tuple(self.high)


def _histogram(ladders: Sequence[Ladder]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Distinct finest-level combinations and their subject counts (one DuckDB GROUP BY)."""
    if not ladders or not len(ladders[0].codes):
        return np.zeros(0, dtype=np.int64), [np.zeros(0, dtype=np.int64) for _ in ladders]
    codes = pd.DataFrame({f"q{i}": ladder.codes for i, ladder in enumerate(ladders)})
    columns = ", ".join(codes.columns)
    with duckdb.connect() as conn:
        conn.register("codes", codes)
        table = conn.execute(
            f"SELECT {columns}, count(*) AS n FROM codes GROUP BY {columns}"
        ).fetchnumpy()
    rows = [np.asarray(table[c], dtype=np.int64) for c in codes.columns]
    return np.asarray(table["n"], dtype=np.float64), rows


@dataclass(frozen=True)
class Outcome:
    """The chosen node (None when no node is feasible) and how many were evaluated."""

    node: Node | None
    evaluated: int
    lattice_size: int


def _size(problem: Problem) -> int:
    return int(np.prod([hi - lo + 1 for lo, hi in zip(problem.low, problem.high, strict=True)]))


def exhaustive(problem: Problem) -> Outcome:
    """Evaluate every node; return the best feasible one."""
    feasible = [n for n in problem.nodes() if problem.feasible(n)]
    best = min(feasible, key=problem.rank) if feasible else None
    return Outcome(best, problem.evaluated, _size(problem))


class _Antichain:
    """Nodes kept as rows of an array, for fast "is any of them above/below" checks."""

    def __init__(self, width: int) -> None:
        self.rows = np.zeros((0, width), dtype=np.int64)

    def add(self, node: Node) -> None:
        self.rows = np.vstack([self.rows, np.asarray(node, dtype=np.int64)])

    def any_above(self, node: Node) -> bool:
        return bool((np.asarray(node) <= self.rows).all(axis=1).any())

    def any_strictly_below(self, node: Node) -> bool:
        point = np.asarray(node)
        below = (self.rows <= point).all(axis=1) & (self.rows != point).any(axis=1)
        return bool(below.any())


def best_first(problem: Problem) -> Outcome:
    """The same node as :func:`exhaustive`, evaluating fewer nodes (monotonicity)."""
    if not problem.feasible(problem.top):
        return Outcome(None, problem.evaluated, _size(problem))
    order = sorted(problem.nodes(), key=lambda n: (round(problem.loss(n), 9), n))
    infeasible, feasible = _Antichain(len(problem.top)), _Antichain(len(problem.top))
    best: Node | None = None
    for node in order:
        if best is not None and round(problem.loss(node), 9) > round(problem.loss(best), 9):
            break
        if infeasible.any_above(node):
            continue  # below an infeasible node: classes only smaller
        if feasible.any_strictly_below(node):
            continue  # more general than a feasible node: strictly more loss
        if problem.feasible(node):
            feasible.add(node)
            if best is None or problem.rank(node) < problem.rank(best):
                best = node
        else:
            infeasible.add(node)
    return Outcome(best, problem.evaluated, _size(problem))


def greedy(problem: Problem, order: Sequence[int], last_resort: Sequence[int]) -> Node:
    """The former fixed-ladder walk: from the finest node, step the quasi-identifier whose
    next level leaves the fewest subjects to suppress (ties: earlier in ``order``; those in
    ``last_resort`` only when nothing else is left) until within the budget or at the top."""
    node = list(problem.low)
    while not problem.feasible(tuple(node)):
        options = [i for i in order if node[i] < problem.high[i]]
        options = [i for i in options if i not in last_resort] or options
        if not options:
            break
        trials = {i: problem.suppressed(_step(node, i)) for i in options}
        chosen = min(options, key=lambda i: trials[i])
        node[chosen] += 1
    return tuple(node)


def _step(node: list[int], index: int) -> Node:
    stepped = list(node)
    stepped[index] += 1
    return tuple(stepped)
