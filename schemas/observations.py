"""Models of the assessments (motor and disease scales) and labs tables."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.typing import DateTime, Series

from schemas.common import REF, ROW_ID, SUBJECT_ID, vocab
from schemas.formats import number_text
from schemas.problems import MESSAGE_DETAILS


def _score_range(row: Mapping[str, Any]) -> dict[str, Any]:
    """Placeholders of the score-range message: the scale's names and range, the score."""
    spec = REF.scale(str(row["scale"]))
    if not math.isfinite(float(row["score"])):
        raise ValueError("no number to quote")  # the generic message is used instead
    low, high = spec["min"], spec["max"]
    found: dict[str, Any] = {"scale_en": spec["name_en"], "scale_ru": spec["name_ru"]}
    for lang in ("en", "ru"):
        if high is None or pd.isna(high):
            shown = f"≥ {number_text(low, lang)}"
        else:
            shown = f"{number_text(low, lang)}–{number_text(high, lang)}"
        found[f"range_{lang}"] = shown
        found[f"score_{lang}"] = number_text(row["score"], lang)
    return found


MESSAGE_DETAILS["score_in_scale_range"] = _score_range


class AssessmentsModel(pa.DataFrameModel):
    """One scale score at a visit, with the functional status seen at that visit."""

    assessment_id: Series[str] = pa.Field(unique=True, str_matches=ROW_ID)
    subject_id: Series[str] = pa.Field(str_matches=SUBJECT_ID)
    visit_date: Series[DateTime]
    scale: Series[str] = pa.Field(isin=list(REF.scales.index))
    score: Series[float] = pa.Field(ge=0)
    ventilation: Series[str] = pa.Field(nullable=True, isin=vocab("ventilation"))
    niv_hours_per_day: Series[float] = pa.Field(
        nullable=True, in_range={"min_value": 0, "max_value": 24}
    )  # noqa: E501
    feeding: Series[str] = pa.Field(nullable=True, isin=vocab("feeding"))
    motor_function: Series[str] = pa.Field(nullable=True, isin=vocab("motor_function"))

    @pa.dataframe_check(name="score_in_scale_range")
    def score_in_scale_range(cls, df: pd.DataFrame) -> pd.Series:
        """CHOP INTEND 0-64, HFMSE 0-66, RULM 0-37, HINE-2 0-26, BASDAI/BASFI 0-10..."""
        low = df["scale"].map(REF.scales["min"])
        high = df["scale"].map(REF.scales["max"])
        return low.isna() | ((df["score"] >= low) & (high.isna() | (df["score"] <= high)))

    @pa.dataframe_check(name="score_is_whole")
    def score_is_whole(cls, df: pd.DataFrame) -> pd.Series:
        """Point scales are scored in whole points."""
        whole = df["scale"].map(REF.scales["integer"]).eq(True)
        return ~whole | (df["score"] == df["score"].round())

    @pa.dataframe_check(name="niv_hours_with_niv")
    def niv_hours_with_niv(cls, df: pd.DataFrame) -> pd.Series:
        """NIV hours belong to, and are needed for, non-invasive ventilation."""
        return (df["ventilation"] == "niv") == df["niv_hours_per_day"].notna()

    class Config:
        strict = True
        coerce = True


class LabsModel(pa.DataFrameModel):
    """A laboratory result in the test's unit, with the lab's normal range."""

    lab_id: Series[str] = pa.Field(unique=True, str_matches=ROW_ID)
    subject_id: Series[str] = pa.Field(str_matches=SUBJECT_ID)
    date: Series[DateTime]
    test: Series[str] = pa.Field(isin=list(REF.lab_tests.index))
    value: Series[float] = pa.Field(ge=0)
    unit: Series[str]
    lower: Series[float] = pa.Field(nullable=True, ge=0)
    upper: Series[float] = pa.Field(nullable=True, gt=0)

    @pa.dataframe_check(name="unit_fits_test")
    def unit_fits_test(cls, df: pd.DataFrame) -> pd.Series:
        """Each test is stored in its one unit (ALT U/L, platelets 10^9/L...)."""
        expected = df["test"].map(REF.lab_tests["unit"])
        return expected.isna() | (df["unit"] == expected)

    @pa.dataframe_check(name="range_ordered")
    def range_ordered(cls, df: pd.DataFrame) -> pd.Series:
        """The normal range's upper limit lies above its lower limit."""
        return df["lower"].isna() | df["upper"].isna() | (df["upper"] > df["lower"])

    class Config:
        strict = True
        coerce = True
