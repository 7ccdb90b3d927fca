"""Models of the adverse_events table and its per-product causality table."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import DateTime, Series

from schemas.common import REF, ROW_ID, SUBJECT_ID, as_dates, as_list, vocab

RESOLVED = {"recovered", "recovered_with_sequelae", "fatal"}
# A MedDRA-coded event names its PT and primary SOC by code (the LLT and the version
# that coded it are in ae_meddra); the names follow from the loaded dictionary.
MEDDRA_PT = r"^PT:\d{8}$"
MEDDRA_SOC = r"^SOC:\d{8}$"
ONGOING = {"recovering", "not_recovered"}


def _criteria(df: pd.DataFrame) -> pd.Series:
    return df["seriousness"].map(as_list)


class AdverseEventsModel(pa.DataFrameModel):
    """An adverse event with CTCAE grade, seriousness, action and outcome."""

    ae_id: Series[str] = pa.Field(unique=True, str_matches=ROW_ID)
    subject_id: Series[str] = pa.Field(str_matches=SUBJECT_ID)
    verbatim_term: Series[str] = pa.Field(str_length={"min_value": 2, "max_value": 500})
    coded_term: Series[str]
    body_system: Series[str]
    onset_date: Series[DateTime]
    end_date: Series[DateTime] = pa.Field(nullable=True)
    ctcae_grade: Series[int] = pa.Field(in_range={"min_value": 1, "max_value": 5})
    serious: Series[bool]
    seriousness: Series[object] = pa.Field(nullable=True)
    action_taken: Series[str] = pa.Field(isin=vocab("action_taken"))
    outcome: Series[str] = pa.Field(isin=vocab("outcomes"))

    @pa.check("coded_term", name="term_is_listed")
    def term_is_listed(cls, series: Series[str]) -> pd.Series:
        """Coded terms come from the term list in use (the open list or a MedDRA PT)."""
        from schemas.reference import load_reference

        return series.isin(load_reference().ae_terms.index) | series.str.match(MEDDRA_PT)

    @pa.dataframe_check(name="body_system_fits_term")
    def body_system_fits_term(cls, df: pd.DataFrame) -> pd.Series:
        """The body system is the coded term's own (a MedDRA PT's is its primary SOC)."""
        from schemas.reference import load_reference

        expected = df["coded_term"].map(load_reference().ae_terms["body_system_en"])
        meddra = df["coded_term"].str.match(MEDDRA_PT)
        soc = df["body_system"].str.match(MEDDRA_SOC)
        return (meddra & soc) | (~meddra & (expected.isna() | (df["body_system"] == expected)))

    @pa.dataframe_check(name="end_not_before_start")
    def end_not_before_start(cls, df: pd.DataFrame) -> pd.Series:
        """An event ends on or after its onset."""
        later, earlier = as_dates(df["end_date"]), as_dates(df["onset_date"])
        return later.isna() | (later >= earlier)

    @pa.dataframe_check(name="criteria_are_known")
    def criteria_are_known(cls, df: pd.DataFrame) -> pd.Series:
        """Only the six ICH seriousness criteria are accepted."""
        known = set(vocab("seriousness_criteria"))
        return _criteria(df).map(lambda items: set(items) <= known)

    @pa.dataframe_check(name="serious_iff_criteria")
    def serious_iff_criteria(cls, df: pd.DataFrame) -> pd.Series:
        """Serious exactly when at least one criterion is ticked."""
        return df["serious"] == _criteria(df).map(bool)

    @pa.dataframe_check(name="grade5_is_fatal_death")
    def grade5_is_fatal_death(cls, df: pd.DataFrame) -> pd.Series:
        """CTCAE grade 5 is death: outcome fatal, serious with criterion death."""
        death = _criteria(df).map(lambda items: "death" in items)
        return (df["ctcae_grade"] != 5) | ((df["outcome"] == "fatal") & death)

    @pa.dataframe_check(name="fatal_is_grade5")
    def fatal_is_grade5(cls, df: pd.DataFrame) -> pd.Series:
        """A fatal outcome (or criterion death) is graded 5."""
        death = _criteria(df).map(lambda items: "death" in items)
        return ~((df["outcome"] == "fatal") | death) | (df["ctcae_grade"] == 5)

    @pa.dataframe_check(name="end_date_fits_outcome")
    def end_date_fits_outcome(cls, df: pd.DataFrame) -> pd.Series:
        """Resolved and fatal events have an end date; ongoing ones do not."""
        has_end = df["end_date"].notna()
        return ~(df["outcome"].isin(RESOLVED) & ~has_end) & ~(df["outcome"].isin(ONGOING) & has_end)

    class Config:
        strict = True
        coerce = True


class AECausalityModel(pa.DataFrameModel):
    """The WHO-UMC causality of one adverse event for one suspect product."""

    ae_id: Series[str] = pa.Field(str_matches=ROW_ID)
    product_id: Series[str] = pa.Field(isin=list(REF.products.index))
    causality: Series[str] = pa.Field(isin=vocab("causality"))

    class Config:
        strict = True
        coerce = True
        unique = ["ae_id", "product_id"]
