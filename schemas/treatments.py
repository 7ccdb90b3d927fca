"""Model of the treatments table (one row per administration or per oral course)."""

from __future__ import annotations

import math

import pandas as pd
import pandera.pandas as pa
from pandera.typing import DateTime, Series

from schemas.common import REF, ROW_ID, SUBJECT_ID, as_dates, row_by_row, vocab

# Coded reasons for a switch (no free text, so nothing identifying can be typed);
# the stored value is the English phrase.
SWITCH_REASONS = {
    "generic_procurement": "regional procurement of the generic",
    "supply_interruption": "supply of the reference product interrupted",
    "lack_of_efficacy": "insufficient efficacy",
    "adverse_event": "adverse event on the previous product",
    "administration": "route or burden of administration",
    "preference": "patient or family preference",
    "other": "other reason",
}


def dose_fits(product_id: str, dose: float, unit: str) -> bool:
    """True if (dose, unit) is one of the product's allowed doses (any dose for protocol)."""
    if product_id not in REF.products.index:
        return True  # the product check reports it
    product = REF.product(product_id)
    if product["dose_kind"] == "protocol":
        return unit == product["dose_unit"] and dose > 0
    return any(
        unit == allowed["unit"] and math.isclose(dose, float(allowed["value"]), rel_tol=1e-6)
        for allowed in product["doses"]
    )


class TreatmentsModel(pa.DataFrameModel):
    """A product given to a subject: dose, route, dates, lot and any switch."""

    treatment_id: Series[str] = pa.Field(unique=True, str_matches=ROW_ID)
    subject_id: Series[str] = pa.Field(str_matches=SUBJECT_ID)
    product_id: Series[str] = pa.Field(isin=list(REF.products.index))
    dose: Series[float] = pa.Field(gt=0)
    dose_unit: Series[str]
    route: Series[str] = pa.Field(isin=vocab("routes"))
    start_date: Series[DateTime]
    end_date: Series[DateTime] = pa.Field(nullable=True)
    lot: Series[str] = pa.Field(nullable=True)
    switched_from: Series[str] = pa.Field(nullable=True, isin=list(REF.products.index))
    switch_reason: Series[str] = pa.Field(nullable=True, str_length={"max_value": 500})

    @pa.dataframe_check(name="end_not_before_start")
    def end_not_before_start(cls, df: pd.DataFrame) -> pd.Series:
        """A course ends on or after its start."""
        later, earlier = as_dates(df["end_date"]), as_dates(df["start_date"])
        return later.isna() | (later >= earlier)

    @pa.dataframe_check(name="dose_fits_regimen")
    def dose_fits_regimen(cls, df: pd.DataFrame) -> pd.Series:
        """Nusinersen 12 mg, Zolgensma 1.1e14 vg/kg, risdiplam by age/weight band."""
        return row_by_row(dose_fits, df, "product_id", "dose", "dose_unit")

    @pa.dataframe_check(name="route_fits_product")
    def route_fits_product(cls, df: pd.DataFrame) -> pd.Series:
        """Each product has one route (nusinersen intrathecal, Zolgensma IV...)."""
        known = df["product_id"].isin(REF.products.index)
        expected = df["product_id"].map(REF.products["route"])
        return ~known | (df["route"] == expected)

    @pa.dataframe_check(name="switch_has_reason")
    def switch_has_reason(cls, df: pd.DataFrame) -> pd.Series:
        """A switch and its reason come together."""
        reason = df["switch_reason"].fillna("").str.strip() != ""
        return df["switched_from"].notna() == reason

    @pa.dataframe_check(name="switch_from_other_product")
    def switch_from_other_product(cls, df: pd.DataFrame) -> pd.Series:
        """Switching from the same product is not a switch."""
        return df["switched_from"].isna() | (df["switched_from"] != df["product_id"])

    @pa.check("lot", name="lot_format")
    def lot_format(cls, series: Series[str]) -> pd.Series:
        """Lot numbers are short codes, never free text."""
        return series.isna() | series.str.fullmatch(
            r"[0-9A-Za-zА-Яа-яЁё][0-9A-Za-zА-Яа-яЁё\-/.]{0,39}"
        )

    class Config:
        strict = True
        coerce = True
