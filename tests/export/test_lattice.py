"""The lattice search (warehouse/export/lattice.py): pruned equals exhaustive."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.disclosure_spec import QuasiIdentifier
from warehouse.export import lattice
from warehouse.export.ladders import Ladder


def ladder(name: str, values: list[int], fanouts: list[int]) -> Ladder:
    """A ladder over integer finest values, each level merging ``fanout`` neighbours."""
    distinct = max(values, default=0) + 1
    maps = [np.arange(distinct)]
    for fanout in fanouts:
        maps.append(maps[-1] // fanout)
    maps.append(np.zeros(distinct, dtype=np.int64))
    names = tuple(f"level {i}" for i in range(len(maps)))
    qi = QuasiIdentifier(name, name, name, "levels", (name,), names)
    labels = tuple(np.array([str(v) for v in range(distinct)], dtype=object) for _ in maps)
    return Ladder(qi, np.asarray(values, dtype=np.int64), tuple(maps), labels, 0)


@st.composite
def problems(draw: st.DrawFn) -> lattice.Problem:
    subjects = draw(st.integers(0, 60))
    width = draw(st.integers(1, 4))
    ladders = []
    for i in range(width):
        distinct = draw(st.integers(1, 8))
        values = draw(st.lists(st.integers(0, distinct - 1), min_size=subjects, max_size=subjects))
        fanouts = draw(st.lists(st.integers(2, 3), min_size=0, max_size=2))
        ladders.append(ladder(f"q{i}", values, fanouts))
    weights = draw(
        st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.0, 5.0]), min_size=width, max_size=width)
    )
    k = draw(st.integers(1, 6))
    budget = draw(st.integers(0, max(subjects // 4, 0)))
    return lattice.Problem(ladders, weights, k, budget)


@settings(max_examples=150, deadline=None)
@given(problem=problems())
def test_pruned_search_finds_the_exhaustive_optimum(problem: lattice.Problem) -> None:
    pruned = lattice.best_first(problem)
    again = lattice.Problem(problem.ladders, problem.weights, problem.k, problem.budget)
    full = lattice.exhaustive(again)
    assert pruned.node == full.node
    assert full.evaluated == full.lattice_size
    if pruned.node is not None:
        assert pruned.evaluated <= full.evaluated


@settings(max_examples=60, deadline=None)
@given(problem=problems())
def test_suppression_never_rises_when_a_level_is_coarsened(problem: lattice.Problem) -> None:
    for node in problem.nodes():
        for i, level in enumerate(node):
            if level < problem.high[i]:
                up = tuple(v + 1 if j == i else v for j, v in enumerate(node))
                assert problem.suppressed(up) <= problem.suppressed(node)
                assert problem.loss(up) > problem.loss(node)


def test_ties_go_to_less_suppression() -> None:
    # two quasi-identifiers of equal weight: coarsening either costs the same loss
    a = ladder("a", [0, 0, 0, 1, 1, 1, 1, 2], [])
    b = ladder("b", [0, 0, 0, 0, 0, 0, 0, 1], [])
    problem = lattice.Problem([a, b], [1.0, 1.0], k=2, budget=2)
    best = lattice.exhaustive(problem).node
    assert best is not None
    candidates = [
        n for n in problem.nodes() if problem.feasible(n) and problem.loss(n) == problem.loss(best)
    ]
    assert problem.suppressed(best) == min(problem.suppressed(n) for n in candidates)
