"""The quasi-identifiers of a pooled export and their ladders, read from reference data.

``schemas/reference/disclosure.yaml`` names the quasi-identifiers every subject has
(sex, age at index, area, subtype, age at onset, index year) with their ladders;
``diseases.yaml`` adds each disease's genetic markers (every marker is a
quasi-identifier: value -> its groups, if the file gives any -> any), the type of each
subtype and the utility weights its analysis needs. Nothing here touches data: the
export room builds the generalised values from these specifications.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from schemas.reference import Reference

Band = tuple[str, float | None]  # (label, upper limit exclusive; None = open)


@dataclass(frozen=True)
class QuasiIdentifier:
    """One quasi-identifier: its exported column, sources, ladder and labels."""

    name: str
    label_en: str
    label_ru: str
    kind: str  # "levels" (categorical hierarchy), "bands" (numeric) or "marker"
    source: tuple[str, ...]
    level_names: tuple[str, ...]  # finest first; the last is the top of the ladder
    aliases: tuple[str, ...] = ()
    bands: tuple[tuple[Band, ...], ...] = ()  # one band list per band level
    groups: dict[str, str] = field(default_factory=dict)  # marker value -> group
    lowest_released: int = 0
    dates: str | None = None  # only in exports with this --dates mode


def _spec(ref: Reference) -> dict[str, Any]:
    return ref.disclosure


def any_value(ref: Reference) -> str:
    """The value every quasi-identifier takes at the top of its ladder."""
    return str(_spec(ref).get("any", "*"))


def unknown_value(ref: Reference) -> str:
    """The band of a number that was not recorded."""
    return str(_spec(ref).get("unknown", "unknown"))


def _bands(raw: list[list[Any]]) -> tuple[Band, ...]:
    return tuple((str(label), None if upper is None else float(upper)) for label, upper in raw)


def _common(name: str, raw: dict[str, Any]) -> dict[str, Any]:
    source = raw["source"]
    return {
        "name": name,
        "label_en": str(raw.get("label_en", name)),
        "label_ru": str(raw.get("label_ru", name)),
        "source": tuple(source) if isinstance(source, list) else (str(source),),
        "aliases": tuple(str(a) for a in raw.get("aliases", [name])),
        "dates": raw.get("dates"),
    }


def _marker_groups(ref: Reference) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for disease in ref.diseases.values():
        for name, spec in disease.genetic_markers.items():
            entry = found.setdefault(name, {"spec": spec, "groups": {}, "level": None})
            entry["groups"].update({str(k): str(v) for k, v in (spec.get("groups") or {}).items()})
            entry["level"] = entry["level"] or spec.get("group_level")
    return found


def quasi_identifiers(ref: Reference) -> list[QuasiIdentifier]:
    """Every quasi-identifier of a pooled export: the common ones, then each marker."""
    found: list[QuasiIdentifier] = []
    for name, raw in (_spec(ref).get("quasi_identifiers") or {}).items():
        if "bands" in raw:
            levels = tuple(_bands(level["bands"]) for level in raw["bands"])
            names = (*(str(level["name"]) for level in raw["bands"]), "any")
            found.append(QuasiIdentifier(kind="bands", level_names=names, bands=levels,
                                         **_common(name, raw)))  # fmt: skip
            continue
        names = tuple(str(level) for level in raw["levels"])
        lowest = names.index(raw["lowest_released"]) if raw.get("lowest_released") else 0
        found.append(QuasiIdentifier(kind="levels", level_names=names, lowest_released=lowest,
                                     **_common(name, raw)))  # fmt: skip
    for name, entry in _marker_groups(ref).items():
        spec = entry["spec"]
        ladder: tuple[str, ...] = ("value", "any")
        if entry["groups"]:
            ladder = ("value", str(entry["level"] or "group"), "any")
        found.append(
            QuasiIdentifier(
                name=name,
                label_en=str(spec.get("label_en", name)),
                label_ru=str(spec.get("label_ru", name)),
                kind="marker",
                source=("genetics",),
                level_names=ladder,
                aliases=(name, *(str(a) for a in spec.get("aliases") or [])),
                groups=entry["groups"],
            )
        )
    return found


def subtype_type(ref: Reference, disease: str, subtype: str) -> str:
    """The type a subtype belongs to (SMA '1b' -> '1'); the subtype itself if unlisted."""
    found = ref.diseases.get(disease)
    types = (found.disclosure.get("subtype_types") or {}) if found else {}
    return str(types.get(subtype, subtype))


def weights(ref: Reference, diseases: list[str]) -> dict[str, float]:
    """Utility weight of every quasi-identifier for an export holding ``diseases``.

    A quasi-identifier weighs what the heaviest of those diseases gives it (a marker only
    one disease has keeps that disease's weight); unnamed ones get ``default_weight``.
    """
    default = float(_spec(ref).get("default_weight", 1))
    found: dict[str, float] = {}
    for code in diseases:
        disease = ref.diseases.get(code)
        for name, weight in ((disease.disclosure.get("weights") or {}) if disease else {}).items():
            found[name] = max(found.get(name, 0.0), float(weight))
    return {qi.name: found.get(qi.name, default) for qi in quasi_identifiers(ref)}


def resolve(ref: Reference, alias: str) -> str:
    """The quasi-identifier an alias names ('subtype' -> 'disease_subtype')."""
    wanted = alias.strip().casefold()
    for qi in quasi_identifiers(ref):
        if wanted == qi.name.casefold() or wanted in (a.casefold() for a in qi.aliases):
            return qi.name
    known = ", ".join(sorted({a for qi in quasi_identifiers(ref) for a in (qi.name, *qi.aliases)}))
    raise KeyError(f"{alias!r} is not a quasi-identifier (known: {known})")


def _band_problems(qi: QuasiIdentifier) -> list[str]:
    problems = []
    previous: set[float] | None = None
    for name, bands in zip(qi.level_names, qi.bands, strict=False):
        cuts = [upper for _, upper in bands if upper is not None]
        if cuts != sorted(cuts) or len(set(cuts)) != len(cuts) or bands[-1][1] is not None:
            problems.append(f"{qi.name} level {name!r}: bands must rise and end open")
        if previous is not None and not set(cuts) <= previous:
            problems.append(
                f"{qi.name} level {name!r}: cut points must be a subset of the finer level's"
            )
        previous = set(cuts)
    return problems


def disclosure_problems(ref: Reference) -> list[str]:
    """Check the disclosure reference data; return readable problems (empty when sound)."""
    if not _spec(ref).get("quasi_identifiers"):
        return ["disclosure.yaml: no quasi_identifiers"]
    problems: list[str] = []
    qis = quasi_identifiers(ref)
    names = {qi.name for qi in qis}
    aliases: dict[str, str] = {}
    for qi in qis:
        problems += _band_problems(qi) if qi.kind == "bands" else []
        for alias in qi.aliases:
            if aliases.setdefault(alias.casefold(), qi.name) != qi.name:
                problems.append(f"disclosure alias {alias!r} names two quasi-identifiers")
    for code, disease in ref.diseases.items():
        unknown = set(disease.disclosure.get("weights") or {}) - names
        problems += [f"disease {code}: weight for unknown quasi-identifier {n!r}" for n in unknown]
        bad = [w for w in (disease.disclosure.get("weights") or {}).values() if float(w) <= 0]
        problems += [f"disease {code}: weights must be positive" for _ in bad[:1]]
        types = disease.disclosure.get("subtype_types") or {}
        problems += [
            f"disease {code}: subtype_types names unknown subtype {s!r}"
            for s in types
            if str(s) not in disease.subtypes
        ]
    return problems
