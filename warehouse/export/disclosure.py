"""Disclosure control for pooled exports: k-anonymity by generalisation, then suppression.

Each subject is described by five quasi-identifiers (sex, age band, area, disease
subtype, SMN2 copies). Every quasi-identifier has a ladder of ever coarser values
(age: fine band -> coarse band -> any; area: site -> region -> country; subtype:
subtype -> type -> disease; SMN2: copies -> group -> any; sex: sex -> any).
Generalisation is global (every released value means the same thing in every row)
and greedy: each step moves the one quasi-identifier whose next level leaves the
fewest subjects in equivalence classes smaller than ``k`` (ties broken by
:data:`LADDER_ORDER`; sex only when nothing else is left), until those subjects are
no more than ``max_suppression`` of all; they are then suppressed. If even the last
step leaves too many, the result is marked ``refused`` (the caller refuses the export
unless forced, in which case the small classes are suppressed at the last step).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from schemas.errors import CaseguardError

QUASI_IDENTIFIERS = ("sex", "age_band", "area", "disease_subtype", "smn2_copies")
ANY = "*"
# (label, upper limit in months); the last band is open. Ages of 90 years and over
# share one band (Safe Harbor).
FINE_AGE_BANDS: tuple[tuple[str, float | None], ...] = (
    ("<6 m", 6),
    ("6-23 m", 24),
    ("2-5 y", 72),
    ("6-11 y", 144),
    ("12-17 y", 216),
    ("18-39 y", 480),
    ("40-64 y", 780),
    ("65-89 y", 1080),
    (">=90 y", None),
)
COARSE_AGE_BANDS: dict[str, str] = {
    "<6 m": "<2 y",
    "6-23 m": "<2 y",
    "2-5 y": "2-17 y",
    "6-11 y": "2-17 y",
    "12-17 y": "2-17 y",
}
UNKNOWN = "unknown"
SMN2_GROUPS = {"1": "1-2", "2": "1-2", "3": "3", "4": ">=4", ">=5": ">=4"}
LEVEL_NAMES: dict[str, tuple[str, ...]] = {
    "sex": ("sex", "any"),
    "age_band": ("fine age band", "coarse age band (<2 y, 2-17 y, >=18 y)", "any"),
    "area": ("site", "region", "country", "any"),
    "disease_subtype": ("subtype", "type (1a/1b/1c -> 1)", "disease"),
    "smn2_copies": ("copies", "group (1-2, 3, >=4)", "any"),
}
# Preference between generalisation steps that suppress equally few subjects.
LADDER_ORDER: tuple[str, ...] = ("age_band", "area", "disease_subtype", "smn2_copies", "sex")
# Generalised only when nothing else is left (sex matters in every safety analysis).
LAST_RESORT = frozenset({"sex"})
INPUT_COLUMNS = (
    "subject_id",
    "sex",
    "age_at_index_months",
    "site_code",
    "region",
    "country",
    "disease",
    "disease_subtype",
    "smn2_copies",
)


def fine_age_band(months: Any) -> str:
    """The fine age band of an age in months ('unknown' when missing)."""
    if months is None or pd.isna(months):
        return UNKNOWN
    for label, limit in FINE_AGE_BANDS:
        if limit is None or float(months) < limit:
            return label
    return FINE_AGE_BANDS[-1][0]


def _age(months: pd.Series, level: int) -> pd.Series:
    fine = months.map(fine_age_band)
    if level == 0:
        return fine
    if level == 1:
        return fine.map(lambda b: b if b == UNKNOWN else COARSE_AGE_BANDS.get(b, ">=18 y"))
    return pd.Series(ANY, index=months.index)


def subtype_group(disease: str, subtype: str) -> str:
    """The type a subtype belongs to (SMA '1b' -> '1'); the disease when it has none."""
    if subtype and subtype[0].isdigit():
        return subtype[0]
    return subtype if subtype == "presymptomatic" else disease


def _levels(subjects: pd.DataFrame, name: str) -> list[pd.Series]:
    """Every ladder level of one quasi-identifier, finest first."""
    index = subjects.index
    if name == "sex":
        return [subjects["sex"].astype(str), pd.Series(ANY, index=index)]
    if name == "age_band":
        return [_age(subjects["age_at_index_months"], level) for level in range(3)]
    if name == "area":
        areas = [subjects[c].astype(str) for c in ("site_code", "region", "country")]
        return [*areas, pd.Series(ANY, index=index)]
    if name == "disease_subtype":
        groups = [
            subtype_group(str(d), str(s))
            for d, s in zip(subjects["disease"], subjects["disease_subtype"], strict=True)
        ]
        return [
            subjects["disease_subtype"].astype(str),
            pd.Series(groups, index=index, dtype=object),
            subjects["disease"].astype(str),
        ]
    smn2 = subjects["smn2_copies"].fillna("").astype(str)
    return [smn2, smn2.map(lambda v: SMN2_GROUPS.get(v, v)), pd.Series(ANY, index=index)]


def generalise(subjects: pd.DataFrame, levels: dict[str, int]) -> pd.DataFrame:
    """The quasi-identifiers of ``subjects`` at the given ladder levels (one column each)."""
    return pd.DataFrame(
        {name: _levels(subjects, name)[levels[name]] for name in QUASI_IDENTIFIERS},
        index=subjects.index,
    )


def class_sizes(quasi: pd.DataFrame) -> pd.Series:
    """For each row, the size of its equivalence class over the quasi-identifiers."""
    if quasi.empty:
        return pd.Series(dtype="int64")
    return quasi.groupby(list(QUASI_IDENTIFIERS), dropna=False)["sex"].transform("size")


@dataclass
class Disclosure:
    """The outcome: generalised quasi-identifiers of released subjects and a report."""

    released: pd.DataFrame
    suppressed_ids: list[str]
    levels: dict[str, int]
    steps: list[str]
    refused: bool
    report: dict[str, Any] = field(default_factory=dict)


def _report(
    finest: pd.DataFrame,
    quasi: pd.DataFrame,
    keep: pd.Series,
    levels: dict[str, int],
    k: int,
    max_share: float,
) -> dict[str, Any]:
    released = quasi[keep]
    sizes = class_sizes(released)
    per_qi = {
        name: {
            "level": LEVEL_NAMES[name][levels[name]],
            "rows_generalised": int((finest.loc[keep, name] != released[name]).sum()),
            "distinct_values": int(released[name].nunique()),
        }
        for name in QUASI_IDENTIFIERS
    }
    total = len(finest)
    return {
        "k": k,
        "max_suppression": max_share,
        "quasi_identifiers": list(QUASI_IDENTIFIERS),
        "subjects_considered": total,
        "subjects_released": int(keep.sum()),
        "subjects_suppressed": int(total - keep.sum()),
        "suppressed_share": round((total - int(keep.sum())) / total, 4) if total else 0.0,
        "equivalence_classes": int(released.drop_duplicates().shape[0]),
        "smallest_class": int(sizes.min()) if len(sizes) else 0,
        "generalisation": per_qi,
    }


def anonymise_subjects(subjects: pd.DataFrame, k: int, max_share: float) -> Disclosure:
    """Generalise and suppress ``subjects`` (columns :data:`INPUT_COLUMNS`) to k-anonymity."""
    if k < 1:
        raise CaseguardError("k must be at least 1")
    if not 0 <= max_share <= 1:
        raise CaseguardError("the largest suppressed share must lie between 0 and 1")
    frame = subjects.reindex(columns=list(INPUT_COLUMNS)).reset_index(drop=True)
    ladders = {name: _levels(frame, name) for name in QUASI_IDENTIFIERS}
    levels = dict.fromkeys(QUASI_IDENTIFIERS, 0)
    steps: list[str] = []
    total = len(frame)

    def small(trial: dict[str, int]) -> pd.Series:
        quasi = pd.DataFrame({n: ladders[n][trial[n]] for n in QUASI_IDENTIFIERS})
        return class_sizes(quasi) < k if total else pd.Series(dtype=bool)

    suppressed = int(small(levels).sum())
    while suppressed > max_share * total:
        options = [n for n in LADDER_ORDER if levels[n] + 1 < len(ladders[n])]
        options = [n for n in options if n not in LAST_RESORT] or options
        if not options:
            break
        trials = {n: int(small({**levels, n: levels[n] + 1}).sum()) for n in options}
        name = min(options, key=lambda n: trials[n])  # ties: earlier in LADDER_ORDER
        levels[name] += 1
        suppressed = trials[name]
        steps.append(f"{name}: {LEVEL_NAMES[name][levels[name]]}")
    quasi = pd.DataFrame({n: ladders[n][levels[n]] for n in QUASI_IDENTIFIERS})
    keep = ~small(levels) if total else pd.Series(dtype=bool)
    refused = suppressed > max_share * total
    released = pd.concat([frame[["subject_id"]], quasi], axis=1)[keep.to_numpy(dtype=bool)]
    finest = pd.DataFrame({n: ladders[n][0] for n in QUASI_IDENTIFIERS})
    report = _report(finest, quasi, keep.astype(bool), levels, k, max_share)
    report.update(steps=steps, refused=refused)
    return Disclosure(
        released=released.reset_index(drop=True),
        suppressed_ids=[str(s) for s in frame.loc[~keep.astype(bool), "subject_id"]],
        levels=levels,
        steps=steps,
        refused=refused,
        report=report,
    )
