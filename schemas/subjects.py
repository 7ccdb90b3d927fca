"""Models of the subject and consent tables."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import DateTime, Series

from schemas.common import REF, SUBJECT_ID, as_dates, as_dict, row_by_row, this_year, vocab


def _subtype_fits(disease: str, subtype: str) -> bool:
    found = REF.diseases.get(disease)
    return bool(found and subtype in found.subtypes)


def _genetics_fit(disease: str, genetics: object) -> bool:
    found = REF.diseases.get(disease)
    empty = (
        genetics is None
        or genetics == ""
        or (not isinstance(genetics, str) and bool(pd.isna(genetics)))  # type: ignore[call-overload]
    )
    values = {} if empty else as_dict(genetics)
    if found is None or values is None:
        return found is None  # an unknown disease is reported by its own check
    markers = found.genetic_markers
    if any(
        name not in markers or str(v) not in markers[name]["codes"] for name, v in values.items()
    ):
        return False
    return all(name in values for name, spec in markers.items() if spec.get("required"))


def _onset_fits(disease: str, subtype: str, onset: float | None) -> bool:
    found = REF.diseases.get(disease)
    sub = found.subtypes.get(subtype) if found else None
    if sub is None:
        return True  # reported by subtype_fits_disease
    if sub.no_onset:
        return onset is None or pd.isna(onset)
    if onset is None or pd.isna(onset):
        return sub.onset_min_months is None
    lo, hi = sub.onset_min_months, sub.onset_max_months
    return (lo is None or onset >= lo) and (hi is None or onset <= hi)


class SubjectsModel(pa.DataFrameModel):
    """A pseudonymised subject; dates are stored shifted."""

    subject_id: Series[str] = pa.Field(unique=True, str_matches=SUBJECT_ID)
    site_code: Series[str]
    sex: Series[str] = pa.Field(isin=vocab("sexes"))
    birth_year: Series[int] = pa.Field(ge=1900)
    disease: Series[str] = pa.Field(isin=list(REF.diseases))
    disease_subtype: Series[str]
    genetics: Series[str] = pa.Field(nullable=True)
    age_at_onset_months: Series[float] = pa.Field(nullable=True, ge=0, le=1200)
    age_at_index_months: Series[float] = pa.Field(nullable=True, ge=0, le=1500)
    index_date: Series[DateTime]
    status: Series[str] = pa.Field(isin=vocab("subject_statuses"))
    created_at: Series[DateTime]
    created_by: Series[str]

    @pa.dataframe_check(name="subject_id_has_site_prefix")
    def subject_id_has_site_prefix(cls, df: pd.DataFrame) -> pd.Series:
        """The pseudonym carries its site's code."""
        return pd.Series(
            [s.startswith(f"{c}-") for s, c in zip(df["subject_id"], df["site_code"], strict=True)],
            index=df.index,
        )  # noqa: E501

    @pa.dataframe_check(name="subtype_fits_disease")
    def subtype_fits_disease(cls, df: pd.DataFrame) -> pd.Series:
        """The subtype is one of the disease's subtypes."""
        return row_by_row(_subtype_fits, df, "disease", "disease_subtype")

    @pa.dataframe_check(name="genetics_fit_disease")
    def genetics_fit_disease(cls, df: pd.DataFrame) -> pd.Series:
        """Genetic findings use the disease's markers and values; required ones are given."""
        return row_by_row(_genetics_fit, df, "disease", "genetics")

    @pa.dataframe_check(name="onset_fits_subtype")
    def onset_fits_subtype(cls, df: pd.DataFrame) -> pd.Series:
        """Age at onset lies in the subtype's range (none for presymptomatic)."""
        return row_by_row(_onset_fits, df, "disease", "disease_subtype", "age_at_onset_months")

    @pa.dataframe_check(name="onset_before_index")
    def onset_before_index(cls, df: pd.DataFrame) -> pd.Series:
        """Onset cannot come after the index date."""
        onset, index = df["age_at_onset_months"], df["age_at_index_months"]
        return onset.isna() | index.isna() | (onset <= index)

    @pa.dataframe_check(name="birth_year_not_future")
    def birth_year_not_future(cls, df: pd.DataFrame) -> pd.Series:
        """Nobody is born in the future."""
        return df["birth_year"] <= this_year()

    @pa.dataframe_check(name="index_after_birth")
    def index_after_birth(cls, df: pd.DataFrame) -> pd.Series:
        """The (shifted) index date is not before the birth year, allowing for the shift."""
        # Nullable floats: a missing year compares as missing (not with a NumPy warning) and
        # fails the check, as a NaN comparison did.
        year = df["index_date"].dt.year.astype("Float64")
        born = df["birth_year"].astype("Float64")
        return (year >= born - 1).fillna(False).astype(bool)

    class Config:
        strict = True
        coerce = True


class ConsentsModel(pa.DataFrameModel):
    """Informed consent; processing consent is a precondition of storing anything."""

    subject_id: Series[str] = pa.Field(unique=True, str_matches=SUBJECT_ID)
    processing: Series[bool]
    pooled_research: Series[bool]
    publication: Series[bool]
    signed_by: Series[str] = pa.Field(isin=vocab("consent_signers"))
    signed_date: Series[DateTime]
    withdrawn_date: Series[DateTime] = pa.Field(nullable=True)

    @pa.check("processing", name="processing_consent_given")
    def processing_consent_given(cls, series: Series[bool]) -> pd.Series:
        """Without consent to processing nothing may be stored."""
        return series

    @pa.dataframe_check(name="withdrawal_after_signing")
    def withdrawal_after_signing(cls, df: pd.DataFrame) -> pd.Series:
        """Consent is withdrawn on or after the day it was signed."""
        later, earlier = as_dates(df["withdrawn_date"]), as_dates(df["signed_date"])
        return later.isna() | (later >= earlier)

    class Config:
        strict = True
        coerce = True
