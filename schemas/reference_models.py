"""Pandera models that the reference data files must satisfy on load."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors
from pandera.typing import Series

if TYPE_CHECKING:
    from schemas.reference import Reference

CODE = r"^[A-Za-z0-9][A-Za-z0-9_\-]*$"


class ProductsModel(pa.DataFrameModel):
    """Medicinal products; generics name their reference product."""

    product_id: Series[str] = pa.Field(unique=True, str_matches=CODE)
    inn: Series[str] = pa.Field(str_length={"min_value": 2})
    inn_ru: Series[str]
    brand: Series[str] = pa.Field(nullable=True)
    brand_ru: Series[str] = pa.Field(nullable=True)
    manufacturer: Series[str]
    is_generic: Series[bool]
    reference_product_id: Series[str] = pa.Field(nullable=True)
    route: Series[str] = pa.Field(isin=["intrathecal", "intravenous", "oral", "subcutaneous"])
    dose_kind: Series[str] = pa.Field(isin=["fixed", "weight_based", "protocol"])
    dose_unit: Series[str]
    regimen_kind: Series[str] = pa.Field(
        isin=["loading_then_maintenance", "single_dose", "daily", "protocol"]
    )
    maintenance_interval_months: Series[float] = pa.Field(nullable=True, gt=0)
    min_interval_days: Series[float] = pa.Field(nullable=True, gt=0)

    @pa.dataframe_check(name="fixed_dose_listed")
    def fixed_dose_listed(cls, df: pd.DataFrame) -> pd.Series:
        """A fixed or weight-based dose product lists its allowed doses."""
        return (df["dose_kind"] == "protocol") | df["doses"].map(len).gt(0)

    class Config:
        coerce = True
        strict = False


class ScalesModel(pa.DataFrameModel):
    """Outcome scales and their exact ranges."""

    code: Series[str] = pa.Field(unique=True, str_matches=CODE)
    name_en: Series[str]
    name_ru: Series[str]
    min: Series[float]
    max: Series[float] = pa.Field(nullable=True)
    integer: Series[bool]
    meaningful_change: Series[float] = pa.Field(nullable=True, gt=0)

    @pa.dataframe_check(name="scale_min_below_max")
    def min_below_max(cls, df: pd.DataFrame) -> pd.Series:
        """The lower end of a scale lies below its upper end."""
        return df["max"].isna() | (df["min"] < df["max"])

    class Config:
        coerce = True
        strict = False


class LabTestsModel(pa.DataFrameModel):
    """Laboratory tests with their unit and default normal range."""

    code: Series[str] = pa.Field(unique=True, str_matches=CODE)
    unit: Series[str] = pa.Field(str_length={"min_value": 1})
    lower: Series[float] = pa.Field(ge=0)
    upper: Series[float] = pa.Field(gt=0)

    class Config:
        coerce = True
        strict = False


class AETermsModel(pa.DataFrameModel):
    """The open adverse-event term list (or a user-supplied MedDRA extract)."""

    term_id: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    term_en: Series[str] = pa.Field(str_length={"min_value": 2})
    term_ru: Series[str] = pa.Field(str_length={"min_value": 2})
    body_system_en: Series[str] = pa.Field(str_length={"min_value": 2})
    body_system_ru: Series[str] = pa.Field(str_length={"min_value": 2})

    class Config:
        coerce = True
        strict = True


def _check(model: Any, name: str, frame: pd.DataFrame) -> list[str]:
    try:
        model.validate(frame.reset_index(drop=True), lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases
        return [
            f"{name} row {row.index}: {row.column} fails {row.check} ({row.failure_case})"
            for row in cases.itertuples()
        ]
    return []


def validate_reference_frames(ref: Reference) -> list[str]:
    """Check every reference table; return readable problems (empty when all is well)."""
    problems = _check(ProductsModel, "products", ref.products)
    problems += _check(ScalesModel, "scales", ref.scales)
    problems += _check(LabTestsModel, "lab_tests", ref.lab_tests)
    problems += _check(AETermsModel, "ae_terms", ref.ae_terms)
    for disease in ref.diseases.values():
        if not disease.subtypes:
            problems.append(f"disease {disease.code}: no subtypes")
        for sub in disease.subtypes.values():
            lo, hi = sub.onset_min_months, sub.onset_max_months
            if lo is not None and hi is not None and lo > hi:
                problems.append(f"disease {disease.code} subtype {sub.code}: onset min > max")
    return problems
