"""Model of the narratives table: only scrubbed free text is ever stored."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import DateTime, Series

from schemas.common import MAX_TEXT, ROW_ID, SUBJECT_ID, as_dict, vocab


def _counts_ok(value: object) -> bool:
    counts = as_dict(value)
    return counts is not None and all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
        for k, v in counts.items()
    )


class NarrativesModel(pa.DataFrameModel):
    """A scrubbed case narrative with how many identifiers of each type were removed."""

    narrative_id: Series[str] = pa.Field(unique=True, str_matches=ROW_ID)
    subject_id: Series[str] = pa.Field(str_matches=SUBJECT_ID)
    visit_date: Series[DateTime]
    language: Series[str] = pa.Field(isin=vocab("languages"))
    text_scrubbed: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": MAX_TEXT})
    redaction_counts: Series[str]
    created_at: Series[DateTime]

    @pa.dataframe_check(name="redaction_counts_json")
    def redaction_counts_json(cls, df: pd.DataFrame) -> pd.Series:
        """Counts are a JSON object of entity type to whole number."""
        return df["redaction_counts"].map(_counts_ok)

    class Config:
        strict = True
        coerce = True
