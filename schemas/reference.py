"""Reference data: diseases, products, scales, lab tests, AE terms and code lists.

Loaded once from the data files under ``schemas/reference/`` and checked on load,
so a typo in a data file stops the program with a clear message instead of letting
bad codes into the warehouse. A user-supplied adverse-event term list (e.g. an
extract of a licensed MedDRA release, same columns as ``ae_terms.csv``) can be named
with ``$CASEGUARD_AE_TERMS``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from schemas.errors import ReferenceDataError

REFERENCE_DIR = Path(__file__).parent / "reference"
VOCABULARY_NAMES = (
    "sexes",
    "subject_statuses",
    "roles",
    "consent_signers",
    "routes",
    "ventilation",
    "feeding",
    "motor_function",
    "ctcae_grades",
    "seriousness_criteria",
    "causality",
    "action_taken",
    "outcomes",
    "languages",
    "units",
    "regions",
    "onset_windows",
    "age_bands",
)
LANGS = ("en", "ru")


@dataclass(frozen=True)
class Subtype:
    """A disease subtype with the age-at-onset range (months) that fits it."""

    code: str
    name_en: str
    name_ru: str
    onset_min_months: float | None
    onset_max_months: float | None
    no_onset: bool = False


@dataclass(frozen=True)
class Disease:
    """A disease with its subtypes, genetic markers, scales and lab tests."""

    code: str
    name_en: str
    name_ru: str
    subtypes: dict[str, Subtype]
    genetic_markers: dict[str, dict[str, Any]]
    scales: tuple[str, ...]
    lab_tests: tuple[str, ...]
    disclosure: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reference:
    """All reference data, checked; use :func:`load_reference` to get it."""

    diseases: dict[str, Disease]
    products: pd.DataFrame
    scales: pd.DataFrame
    lab_tests: pd.DataFrame
    ae_terms: pd.DataFrame
    vocabularies: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    disclosure: dict[str, Any] = field(default_factory=dict)
    centres: dict[str, dict[str, str]] = field(default_factory=dict)

    def codes(self, vocabulary: str) -> list[str]:
        """The allowed codes of one closed vocabulary, in file order."""
        return list(self.vocabularies[vocabulary])

    def label(self, vocabulary: str, code: str, lang: str = "en") -> str:
        """The label of a code in English (``en``) or Russian (``ru``)."""
        entry = self.vocabularies[vocabulary].get(str(code))
        return entry[f"name_{lang}"] if entry else str(code)

    def unit(self, code: str, lang: str = "en") -> str:
        """A unit as written in ``lang`` ("mg" / "мг", "10^9/L" / "×10⁹/л")."""
        return self.label("units", code, lang)

    def product_label(self, product_id: str, lang: str = "en") -> str:
        """The one name of a product every page shows: "Spinraza (nusinersen)", a
        generic "Lantesens (nusinersen, generic)", a product without a brand its INN."""
        if product_id not in self.products.index:
            return str(product_id)
        row = self.product(product_id)
        suffix = "_ru" if lang == "ru" else ""
        inn, brand = str(row[f"inn{suffix}"]), row[f"brand{suffix}"]
        generic = {"en": ", generic", "ru": ", дженерик"}[lang if lang == "ru" else "en"]
        inside = f"{inn}{generic}" if row["is_generic"] else inn
        return f"{brand} ({inside})" if isinstance(brand, str) and brand else inside

    def centre_name(self, site_code: str, registered: str = "", lang: str = "en") -> str:
        """A centre's name in ``lang`` (the registered name if the study lists none)."""
        entry = self.centres.get(str(site_code))
        return entry[f"name_{lang}"] if entry else (registered or str(site_code))

    def region_name(self, region: str, lang: str = "en") -> str:
        """A region's name in ``lang``, found by its code or its English name."""
        regions = self.vocabularies["regions"]
        entry = regions.get(str(region)) or next(
            (e for e in regions.values() if e["name_en"] == region), None
        )
        return entry[f"name_{lang}"] if entry else str(region)

    def scale(self, code: str) -> dict[str, Any]:
        """One scale's row (min, max, integer, unit, ...) as a dict."""
        return dict(self._row(self.scales, code))

    def product(self, product_id: str) -> dict[str, Any]:
        """One product's row (INN, brand, regimen, ...) as a dict."""
        return dict(self._row(self.products, product_id))

    def _row(self, frame: pd.DataFrame, key: str) -> dict[str, Any]:
        """``dict(frame.loc[key])``, remembered per frame: checks ask for the same few
        products once per row, and a pandas row lookup costs far more than the check."""
        rows = self.__dict__.setdefault("_rows", {})
        cached = rows.get(id(frame))
        if cached is None or cached[0] is not frame:  # a replaced frame starts afresh
            cached = rows[id(frame)] = (frame, {})
        found = cached[1].get(key)
        if found is None:
            found = cached[1][key] = dict(frame.loc[key])
        return found


def _read_yaml(name: str) -> Any:
    with open(REFERENCE_DIR / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _build_disease(raw: dict[str, Any]) -> Disease:
    subtypes = {str(s["code"]): Subtype(**{**s, "code": str(s["code"])}) for s in raw["subtypes"]}
    markers = {
        name: {**spec, "codes": [str(v["code"]) for v in spec["values"]]}
        for name, spec in (raw.get("genetic_markers") or {}).items()
    }
    return Disease(
        code=raw["code"],
        name_en=raw["name_en"],
        name_ru=raw["name_ru"],
        subtypes=subtypes,
        genetic_markers=markers,
        scales=tuple(raw["scales"]),
        lab_tests=tuple(raw["lab_tests"]),
        disclosure=dict(raw.get("disclosure") or {}),
    )


def _products_frame(raw: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for item in raw:
        regimen = item.get("regimen") or {}
        rows.append(
            {
                **{k: v for k, v in item.items() if k != "regimen"},
                "regimen_kind": regimen.get("kind"),
                "loading_days": regimen.get("loading_days") or [],
                "maintenance_interval_months": regimen.get("maintenance_interval_months"),
                "min_interval_days": regimen.get("min_interval_days"),
                "regimen_en": regimen.get("text_en"),
                "regimen_ru": regimen.get("text_ru"),
            }
        )
    return pd.DataFrame(rows).set_index("product_id", drop=False)


def _ae_terms_frame() -> pd.DataFrame:
    path = Path(os.environ.get("CASEGUARD_AE_TERMS") or REFERENCE_DIR / "ae_terms.csv")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise ReferenceDataError(f"cannot read the AE term list {path}: {exc}") from exc
    if "term_id" not in frame.columns:
        raise ReferenceDataError(f"the AE term list {path} has no term_id column")
    return frame.set_index("term_id", drop=False)


def _blank(value: Any) -> bool:
    return not isinstance(value, str) or not value.strip()


def _translation_problems(ref: Reference) -> list[str]:
    """Every value a user reads has an English and a Russian text, and every unit,
    region and centre named anywhere has its labels."""
    problems = [
        f"{name} {code}: no name_{lang}"
        for name, entries in ref.vocabularies.items()
        for code, entry in entries.items()
        for lang in LANGS
        if _blank(entry.get(f"name_{lang}"))
    ]
    for kind, frame in (("scale", ref.scales), ("lab test", ref.lab_tests)):
        for code, row in frame.iterrows():
            problems += [
                f"{kind} {code}: no name_{lang}"
                for lang in LANGS
                if _blank(row.get(f"name_{lang}"))
            ]
            if row.get("unit") not in ref.vocabularies["units"]:
                problems.append(f"{kind} {code}: unit {row.get('unit')!r} is not in units")
    for pid, row in ref.products.iterrows():
        pairs = (("inn", "inn_ru"), ("regimen_en", "regimen_ru"))
        problems += [f"product {pid}: no {b}" for a, b in pairs if _blank(row[a]) or _blank(row[b])]
        if _blank(row["brand"]) != _blank(row["brand_ru"]):
            problems.append(f"product {pid}: a brand needs both brand and brand_ru")
        units = {row["dose_unit"], *(d["unit"] for d in row["doses"])}
        problems += [
            f"product {pid}: unit {u!r} is not in units"
            for u in sorted(units)
            if u not in ref.vocabularies["units"]
        ]
    for code, disease in ref.diseases.items():
        texts: list[Any] = [disease.name_en, disease.name_ru]
        texts += [n for s in disease.subtypes.values() for n in (s.name_en, s.name_ru)]
        for spec in disease.genetic_markers.values():
            texts += [spec.get("label_en"), spec.get("label_ru")]
            texts += [v.get(f"name_{lang}") for v in spec.get("values", []) for lang in LANGS]
        if any(_blank(t) for t in texts):
            problems.append(f"disease {code}: a name or label lacks its English or Russian text")
    for code, centre in ref.centres.items():
        problems += [
            f"centre {code}: no name_{lang}" for lang in LANGS if _blank(centre.get(f"name_{lang}"))
        ]
        if centre.get("region") not in ref.vocabularies["regions"]:
            problems.append(f"centre {code}: region {centre.get('region')!r} is not in regions")
    return problems


def _cross_check(ref: Reference) -> list[str]:
    problems: list[str] = []
    products = ref.products
    for pid, row in products.iterrows():
        if row["is_generic"]:
            ref_id = row["reference_product_id"]
            if ref_id not in products.index:
                problems.append(f"product {pid}: reference product {ref_id!r} is not listed")
            elif products.loc[ref_id, "is_generic"] or products.loc[ref_id, "inn"] != row["inn"]:
                problems.append(
                    f"product {pid}: reference {ref_id} must be an original of {row['inn']}"
                )
        elif pd.notna(row["reference_product_id"]):
            problems.append(f"product {pid}: only a generic may name a reference product")
        for disease in row["diseases"]:
            if disease not in ref.diseases:
                problems.append(f"product {pid}: unknown disease {disease!r}")
    for code, disease in ref.diseases.items():
        problems += [
            f"disease {code}: unknown scale {s!r}"
            for s in disease.scales
            if s not in ref.scales.index
        ]
        problems += [
            f"disease {code}: unknown lab test {t!r}"
            for t in disease.lab_tests
            if t not in ref.lab_tests.index
        ]
    return problems


@lru_cache(maxsize=4)
def _load(ae_terms_env: str | None) -> Reference:
    from schemas.disclosure_spec import disclosure_problems
    from schemas.reference_models import validate_reference_frames

    diseases = {d["code"]: _build_disease(d) for d in _read_yaml("diseases.yaml")["diseases"]}
    vocab_raw = _read_yaml("vocabularies.yaml")
    missing = [name for name in VOCABULARY_NAMES if name not in vocab_raw]
    if missing:
        raise ReferenceDataError(f"vocabularies.yaml lacks: {', '.join(missing)}")
    vocabularies = {
        name: {str(item["code"]): item for item in vocab_raw[name]} for name in VOCABULARY_NAMES
    }
    ref = Reference(
        diseases=diseases,
        products=_products_frame(_read_yaml("products.yaml")["products"]),
        scales=pd.DataFrame(_read_yaml("scales.yaml")["scales"]).set_index("code", drop=False),
        lab_tests=pd.DataFrame(_read_yaml("lab_tests.yaml")["lab_tests"]).set_index(
            "code", drop=False
        ),
        ae_terms=_ae_terms_frame(),
        vocabularies=vocabularies,
        disclosure=_read_yaml("disclosure.yaml"),
        centres={str(c["code"]): c for c in _read_yaml("centres.yaml")["centres"]},
    )
    problems = validate_reference_frames(ref) + _cross_check(ref) + disclosure_problems(ref)
    problems += _translation_problems(ref)
    if problems:
        raise ReferenceDataError("reference data is invalid: " + "; ".join(problems))
    return ref


def load_reference() -> Reference:
    """Load and check all reference data (cached; reloads if $CASEGUARD_AE_TERMS changes)."""
    return _load(os.environ.get("CASEGUARD_AE_TERMS"))
