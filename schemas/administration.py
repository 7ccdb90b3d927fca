"""Models of the administrative tables: sites and users."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import DateTime, Series

from schemas.common import SITE_CODE, vocab


class SitesModel(pa.DataFrameModel):
    """A participating centre."""

    site_code: Series[str] = pa.Field(unique=True, str_matches=SITE_CODE)
    name: Series[str] = pa.Field(str_length={"min_value": 2, "max_value": 200})
    region: Series[str] = pa.Field(str_length={"min_value": 2, "max_value": 100})
    country: Series[str] = pa.Field(str_matches=r"^[A-Z]{2}$")

    class Config:
        strict = True
        coerce = True


class UsersModel(pa.DataFrameModel):
    """An account; site neurologists belong to one site."""

    username: Series[str] = pa.Field(unique=True, str_matches=r"^[a-z][a-z0-9_.\-]{2,31}$")
    password_hash: Series[str]
    role: Series[str] = pa.Field(isin=vocab("roles"))
    site_code: Series[str] = pa.Field(nullable=True, str_matches=SITE_CODE)
    active: Series[bool]
    failed_logins: Series[int] = pa.Field(ge=0)
    locked_until: Series[DateTime] = pa.Field(nullable=True)

    @pa.check("password_hash", name="password_is_argon2")
    def password_is_argon2(cls, series: Series[str]) -> pd.Series:
        """Only argon2id hashes are stored, never a clear password."""
        return series.str.startswith("$argon2id$")

    @pa.dataframe_check(name="site_user_has_site")
    def site_user_has_site(cls, df: pd.DataFrame) -> pd.Series:
        """A site neurologist is tied to a site."""
        return (df["role"] != "site_user") | df["site_code"].notna()

    class Config:
        strict = True
        coerce = True
