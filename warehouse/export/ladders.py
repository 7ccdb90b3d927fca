"""Generalisation ladders of the quasi-identifiers, built for the subjects of one export.

Each quasi-identifier of :mod:`schemas.disclosure_spec` becomes a :class:`Ladder`: the
subjects' finest values as integer codes, and for every coarser level a map from a
finest code to that level's code, so any node of the generalisation lattice is a few
array look-ups. Every level must be a function of the finest one (a hierarchy); a
ladder that is not, e.g. a region listed under two countries, is refused here because
the search relies on generalisation never splitting a class.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from schemas import load_reference
from schemas.common import as_dict
from schemas.disclosure_spec import (
    QuasiIdentifier,
    any_value,
    quasi_identifiers,
    subtype_type,
    unknown_value,
)
from schemas.errors import CaseguardError

NOT_RECORDED = ""  # a marker the subject's disease does not have, or was not entered


@dataclass(frozen=True)
class Ladder:
    """One quasi-identifier's ladder over the subjects of an export."""

    qi: QuasiIdentifier
    codes: np.ndarray  # finest-level code of each subject
    maps: tuple[np.ndarray, ...]  # per level: finest code -> that level's code
    labels: tuple[np.ndarray, ...]  # per level: code -> released value
    lowest: int  # the finest level that may be released

    @property
    def name(self) -> str:
        """The exported column."""
        return self.qi.name

    @property
    def top(self) -> int:
        """Index of the coarsest level."""
        return len(self.maps) - 1

    def values(self, level: int) -> np.ndarray:
        """Each subject's released value at ``level``."""
        return self.labels[level][self.maps[level][self.codes]]

    def distinct(self, level: int) -> int:
        """How many different values the subjects have at ``level``."""
        return int(np.unique(self.maps[level][self.codes]).size)


def band(value: Any, bands: Sequence[tuple[str, float | None]], unknown: str) -> str:
    """The label of the band a number falls in (``unknown`` when missing)."""
    if value is None or pd.isna(value):
        return unknown
    for label, upper in bands:
        if upper is None or float(value) < upper:
            return label
    return bands[-1][0]


def _banded(qi: QuasiIdentifier, months: pd.Series) -> list[tuple[pd.Series, pd.Series]]:
    ref = load_reference()
    unknown, top = unknown_value(ref), any_value(ref)
    numbers = pd.to_numeric(months, errors="coerce").to_numpy(dtype=float)
    missing = np.isnan(numbers)
    levels = []
    for bands in qi.bands:
        cuts = np.array([upper for _, upper in bands if upper is not None], dtype=float)
        names = np.array([label for label, _ in bands], dtype=object)
        # the band whose upper limit is the first one above the value (same rule as band())
        labels = names[np.searchsorted(cuts, np.where(missing, 0.0, numbers), side="right")]
        labels[missing] = unknown
        series = pd.Series(labels, index=months.index, dtype=object)
        levels.append((series, series))
    everything = pd.Series(top, index=months.index, dtype=object)
    return [*levels, (everything, everything)]


def parsed_genetics(genetics: pd.Series) -> pd.Series:
    """Each subject's genetic markers as a dict (each distinct stored text parsed once)."""
    cache: dict[str, dict[str, Any]] = {}

    def parse(value: Any) -> dict[str, Any]:
        if isinstance(value, str):
            if value not in cache:
                cache[value] = as_dict(value) or {}
            return cache[value]
        return as_dict(value) or {}

    return genetics.map(parse).astype(object)


def _marker(qi: QuasiIdentifier, markers: pd.DataFrame) -> list[tuple[pd.Series, pd.Series]]:
    top = any_value(load_reference())
    raw = markers[qi.name] if qi.name in markers.columns else pd.Series(None, index=markers.index)
    values = raw.astype(object).where(raw.notna() & (raw.astype(object) != ""), NOT_RECORDED)
    values = values.astype(str).astype(object)
    levels = [(values, values)]
    if qi.groups:
        codes, uniques = pd.factorize(values)
        grouped_uniques = np.array([qi.groups.get(v, v) for v in uniques], dtype=object)
        grouped = pd.Series(grouped_uniques[codes], index=values.index, dtype=object)
        levels.append((grouped, grouped))
    everything = pd.Series(top, index=values.index, dtype=object)
    return [*levels, (everything, everything)]


def _categorical(qi: QuasiIdentifier, frame: pd.DataFrame) -> list[tuple[pd.Series, pd.Series]]:
    """(key, label) per level: keys say what is the same value, labels are released."""
    ref = load_reference()
    top = pd.Series(any_value(ref), index=frame.index, dtype=object)
    if qi.name == "disease_subtype":
        disease = frame["disease"].astype(str)
        subtype = frame["disease_subtype"].astype(str)
        pairs = disease + "/" + subtype
        type_of = {pair: subtype_type(ref, *pair.split("/", 1)) for pair in pairs.drop_duplicates()}
        types = pairs.map(type_of).astype(object)
        return [
            (disease + "/" + subtype, subtype),
            (disease + "/" + types, types),
            (disease, disease),
        ]
    if qi.name == "index_year":
        dates = pd.to_datetime(frame["index_date"], errors="coerce")
        years = dates.dt.year.map(lambda y: unknown_value(ref) if pd.isna(y) else str(int(y)))
        return [(years, years), (top, top)]
    columns = [frame[c].fillna(unknown_value(ref)).astype(str) for c in qi.source]
    levels = [(c, c) for c in columns]
    return [*levels, (top, top)][: len(qi.level_names)]


def _codes(levels: list[tuple[pd.Series, pd.Series]], name: str) -> tuple[Any, ...]:
    finest, _ = levels[0]
    codes, uniques = pd.factorize(finest, sort=True)
    # one row per finest value: its first subject
    _, first = np.unique(codes, return_index=True)
    maps, labels = [], []
    for key, label in levels:
        level_codes, level_keys = pd.factorize(key, sort=True)
        mapping = np.asarray(level_codes[first], dtype=np.int64)
        if not np.array_equal(mapping[codes], level_codes):
            raise CaseguardError(
                f"the generalisation ladder of {name} is not a hierarchy: "
                "one value would fall into two coarser values"
            )
        _, first_of_key = np.unique(level_codes, return_index=True)
        maps.append(mapping)
        labels.append(np.asarray(label.to_numpy()[first_of_key], dtype=object))
    del uniques
    return np.asarray(codes, dtype=np.int64), tuple(maps), tuple(labels)


def _lowest_area(frame: pd.DataFrame, qi: QuasiIdentifier, minimum: int) -> int:
    """The finest area level at which every released value covers ``minimum`` centres."""
    sites = frame["site_code"].astype(str)
    for level in range(qi.lowest_released, len(qi.source)):
        column = frame[qi.source[level]].astype(str)
        if len(frame) == 0 or sites.groupby(column).nunique().min() >= minimum:
            return level
    return len(qi.level_names) - 1


def build_ladders(subjects: pd.DataFrame, dates: str = "shifted") -> list[Ladder]:
    """The ladder of every quasi-identifier for ``subjects`` (one row per subject).

    Quasi-identifiers released only with another ``dates`` mode (the index year in a
    study-day export) are left out.
    """
    ref = load_reference()
    frame = subjects.reset_index(drop=True)
    minimum = int(ref.disclosure.get("min_centres_per_area", 1))
    ladders = []
    genetics = parsed_genetics(frame["genetics"])
    markers = pd.DataFrame.from_records(genetics.tolist(), index=frame.index)
    for qi in quasi_identifiers(ref):
        if qi.dates and qi.dates != dates:
            continue
        if qi.kind == "bands":
            levels = _banded(qi, frame[qi.source[0]])
        elif qi.kind == "marker":
            levels = _marker(qi, markers)
        else:
            levels = _categorical(qi, frame)
        codes, maps, labels = _codes(levels, qi.name)
        lowest = _lowest_area(frame, qi, minimum) if qi.name == "area" else qi.lowest_released
        ladders.append(Ladder(qi, codes, maps, labels, lowest))
    return ladders


def level_index(ladder: Ladder, level: str | int) -> int:
    """A level given by name or number, checked against the ladder."""
    names = ladder.qi.level_names
    if isinstance(level, int) or str(level).isdigit():
        index = int(level)
    elif str(level) in names:
        index = names.index(str(level))
    else:
        raise CaseguardError(f"{ladder.name} has no level {level!r} (levels: {', '.join(names)})")
    if not ladder.lowest <= index <= ladder.top:
        released = ", ".join(names[ladder.lowest :])
        raise CaseguardError(f"{ladder.name} can be released only as: {released}")
    return index
