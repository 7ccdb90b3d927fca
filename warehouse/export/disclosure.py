"""Disclosure control for pooled exports: k-anonymity by optimal generalisation.

Every quasi-identifier a released subject carries (sex, age band, area, disease subtype,
age at onset, the shifted index year with ``--dates shifted``, and every genetic marker
of the reference data) has a ladder of ever coarser values
(:mod:`warehouse.export.ladders`, from ``schemas/reference/disclosure.yaml`` and
``diseases.yaml``). Generalisation is global: every released value means the same in
every row. :mod:`warehouse.export.lattice` finds, over every combination of levels, the
one with the least weighted information loss that leaves at most ``max_suppression``
of the subjects in classes smaller than ``k``; those subjects are suppressed. Weights
come from the diseases in the export and may be overridden; any quasi-identifier may be
pinned to a level. If no combination is within the budget the result is ``refused``
(the caller refuses unless forced; forced, the coarsest node is released).

The report names the node, its loss, the loss the former greedy ladder walk would have
had, and l-diversity of serious AEs and death within each class (:mod:`.risk`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from schemas import load_reference
from schemas.disclosure_spec import resolve
from schemas.disclosure_spec import weights as reference_weights
from schemas.errors import CaseguardError
from warehouse.export import lattice, risk
from warehouse.export.ladders import Ladder, build_ladders, level_index

SENSITIVE = ("serious_ae", "died")  # per-subject attributes whose disclosure is measured
CLASS_EXTRA = ("disease",)  # released beside the quasi-identifiers; fixed by the subtype
INPUT_COLUMNS = (
    "subject_id",
    "sex",
    "age_at_index_months",
    "site_code",
    "region",
    "country",
    "disease",
    "disease_subtype",
    "genetics",
    "age_at_onset_months",
    "index_date",
)


@dataclass
class Disclosure:
    """The outcome: generalised quasi-identifiers of released subjects and a report."""

    released: pd.DataFrame
    suppressed_ids: list[str]
    levels: dict[str, str]
    refused: bool
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def quasi_identifiers(self) -> list[str]:
        """The released quasi-identifier columns."""
        return list(self.levels)


def parse_assignments(text: str, what: str, split: bool = True) -> dict[str, str]:
    """``"subtype=5,area=1"`` -> ``{"disease_subtype": "5", "area": "1"}`` (names checked;
    with ``split=False`` the text is one assignment, so a value may hold commas)."""
    ref = load_reference()
    found: dict[str, str] = {}
    parts = text.split(",") if split else [text]
    for part in [p.strip() for p in parts if p.strip()]:
        name, sep, value = part.partition("=")
        if not sep or not value.strip():
            raise CaseguardError(f"{what}: {part!r} is not NAME=VALUE")
        try:
            found[resolve(ref, name)] = value.strip()
        except KeyError as exc:
            raise CaseguardError(f"{what}: {exc.args[0]}") from None
    return found


def _weights(
    ladders: list[Ladder], diseases: list[str], override: Mapping[str, Any]
) -> list[float]:
    ref = load_reference()
    base = reference_weights(ref, diseases)
    for name, value in override.items():
        try:
            base[resolve(ref, name)] = float(value)
        except (KeyError, ValueError):
            raise CaseguardError(
                f"weight {name}={value!r}: a quasi-identifier and a number"
            ) from None
        if base[resolve(ref, name)] <= 0:
            raise CaseguardError(f"weight {name}={value}: weights must be above 0")
    return [base[ladder.name] for ladder in ladders]


def _bounds(
    ladders: list[Ladder], pins: Mapping[str, Any]
) -> tuple[list[int], list[int], dict[str, str]]:
    """Each quasi-identifier's lowest and highest level to search, and the pinned ones."""
    ref = load_reference()
    pinned: dict[str, str] = {}
    low = [ladder.lowest for ladder in ladders]
    high = [ladder.top for ladder in ladders]
    names = [ladder.name for ladder in ladders]
    for alias, level in pins.items():
        try:
            name = resolve(ref, alias)
        except KeyError as exc:
            raise CaseguardError(f"pin: {exc.args[0]}") from None
        if name not in names:
            continue  # not released in this export (e.g. index year of a study-day export)
        index = names.index(name)
        low[index] = high[index] = level_index(ladders[index], level)
        pinned[name] = ladders[index].qi.level_names[low[index]]
    for index, ladder in enumerate(ladders):
        if ladder.distinct(low[index]) <= 1 and high[index] > low[index]:
            high[index] = low[index]  # one value for everyone: coarser levels change nothing
    return low, high, pinned


def _node_summary(problem: lattice.Problem, node: lattice.Node | None) -> dict[str, Any]:
    if node is None:
        return {"node": None, "information_loss": None, "subjects_suppressed": None}
    return {
        "node": {
            ladder.name: ladder.qi.level_names[level]
            for ladder, level in zip(problem.ladders, node, strict=True)
        },
        "information_loss": round(problem.loss(node), 4),
        "subjects_suppressed": problem.suppressed(node),
        "within_budget": problem.feasible(node),
    }


def _per_qi(
    problem: lattice.Problem, node: lattice.Node, keep: np.ndarray
) -> dict[str, dict[str, Any]]:
    found = {}
    for ladder, level, weight in zip(problem.ladders, node, problem.weights, strict=True):
        finest = ladder.codes[keep]
        released = ladder.maps[level][finest]
        changed = ladder.labels[level][released] != ladder.labels[0][finest]
        found[ladder.name] = {
            "level": ladder.qi.level_names[level],
            "levels": list(ladder.qi.level_names[ladder.lowest :]),
            "weight": weight,
            "loss": round(level / ladder.top, 4) if ladder.top else 0.0,
            "rows_generalised": int(changed.sum()),
            "distinct_values": int(np.unique(released).size),
        }
    return found


def anonymise_subjects(
    subjects: pd.DataFrame,
    k: int,
    max_share: float,
    *,
    weights: Mapping[str, Any] | None = None,
    pins: Mapping[str, Any] | None = None,
    dates: str = "shifted",
    search: str = "best_first",
) -> Disclosure:
    """Generalise and suppress ``subjects`` (one row per subject) to k-anonymity."""
    if k < 1:
        raise CaseguardError("k must be at least 1")
    if not 0 <= max_share <= 1:
        raise CaseguardError("the largest suppressed share must lie between 0 and 1")
    missing = [c for c in INPUT_COLUMNS if c not in subjects.columns]
    if missing and len(subjects):
        raise CaseguardError(f"the subjects lack {', '.join(missing)} for disclosure control")
    frame = subjects.reset_index(drop=True).reindex(
        columns=list(dict.fromkeys([*INPUT_COLUMNS, *subjects.columns]))
    )
    ladders = build_ladders(frame, dates)
    total = len(frame)
    diseases = sorted({str(d) for d in frame.get("disease", pd.Series(dtype=str)).dropna()})
    low, high, pinned = _bounds(ladders, pins or {})
    problem = lattice.Problem(
        ladders, _weights(ladders, diseases, weights or {}), k, int(max_share * total + 1e-9),
        low, high,
    )  # fmt: skip
    outcome = (lattice.exhaustive if search == "exhaustive" else lattice.best_first)(problem)
    refused = outcome.node is None
    node = outcome.node if outcome.node is not None else problem.top
    keep = _kept(problem, node, total)
    greedy_order = [i for i, ladder in enumerate(ladders) if ladder.name != "sex"]
    greedy_order += [i for i, ladder in enumerate(ladders) if ladder.name == "sex"]
    last_resort = [i for i, ladder in enumerate(ladders) if ladder.name == "sex"]
    greedy_node = lattice.greedy(problem, greedy_order, last_resort)
    released = pd.DataFrame({"subject_id": frame["subject_id"].astype(str)})
    for ladder, level in zip(ladders, node, strict=True):
        released[ladder.name] = ladder.values(level)
    for column in CLASS_EXTRA:
        if column in frame.columns:
            released[column] = frame[column].astype(str)
    levels = {
        ladder.name: ladder.qi.level_names[level]
        for ladder, level in zip(ladders, node, strict=True)
    }
    kept_rows = released[keep].reset_index(drop=True)
    class_columns = [*levels, *(c for c in CLASS_EXTRA if c in released.columns)]
    report = {
        "k": k,
        "max_suppression": max_share,
        "quasi_identifiers": list(levels),
        "class_columns": class_columns,
        "subjects_considered": total,
        "subjects_released": int(keep.sum()),
        "subjects_suppressed": int(total - keep.sum()),
        "suppressed_share": round((total - int(keep.sum())) / total, 4) if total else 0.0,
        "equivalence_classes": int(kept_rows[class_columns].drop_duplicates().shape[0]),
        "smallest_class": risk.smallest_class(kept_rows, class_columns),
        "generalisation": _per_qi(problem, node, keep),
        "search": {
            "method": "exhaustive"
            if search == "exhaustive"
            else "best-first with monotone pruning",
            "metric": lattice.METRIC,
            "lattice_nodes": outcome.lattice_size,
            "nodes_evaluated": outcome.evaluated,
            "pinned": pinned,
        },
        "lattice": {**_node_summary(problem, node), "refused": refused},
        "greedy": _node_summary(problem, greedy_node),
        "l_diversity": _diversity(kept_rows, frame, keep, class_columns),
        "refused": refused,
    }
    return Disclosure(
        released=kept_rows,
        suppressed_ids=[str(s) for s in frame.loc[~keep, "subject_id"]],
        levels=levels,
        refused=refused,
        report=report,
    )


def _kept(problem: lattice.Problem, node: lattice.Node, total: int) -> np.ndarray:
    """Per subject: whether its class at ``node`` has at least k subjects."""
    key = np.zeros(total, dtype=np.int64)
    for ladder, level in zip(problem.ladders, node, strict=True):
        codes = ladder.maps[level][ladder.codes]
        _, key = np.unique(key * (int(codes.max(initial=0)) + 1) + codes, return_inverse=True)
        key = key.reshape(-1)
    return np.bincount(key, minlength=1)[key] >= problem.k if total else np.zeros(0, dtype=bool)


def _diversity(
    released: pd.DataFrame, frame: pd.DataFrame, keep: np.ndarray, class_columns: list[str]
) -> dict[str, Any]:
    present = [c for c in SENSITIVE if c in frame.columns]
    if not present or released.empty:
        return {}
    table = released.copy()
    for column in present:
        table[column] = frame.loc[keep, column].map(lambda v: "yes" if bool(v) else "no").to_numpy()
    return risk.l_diversity(table, class_columns, present)
