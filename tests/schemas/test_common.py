"""schemas/common.py: the row-by-row helper the table checks use (issue 21)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.common import REF, row_by_row
from schemas.subjects import _onset_fits, _subtype_fits
from schemas.treatments import dose_fits
from schemas.validate import _any_lone_surrogate, _has_lone_surrogate, _valid_text

PRODUCTS = st.sampled_from([*REF.products.index, "UNKNOWN"])
DISEASES = st.sampled_from([*REF.diseases, "NONE"])


def _by_apply(func: Any, frame: pd.DataFrame, *columns: str) -> list[Any]:
    """The definition: DataFrame.apply over rows, as the checks were written before."""
    if frame.empty:
        return []
    return frame.apply(lambda r: func(*(r[c] for c in columns)), axis=1).tolist()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "product_id": PRODUCTS,
                "dose": st.one_of(st.sampled_from([12.0, 1.1e14, 5.0, 0.0]), st.floats(0, 50)),
                "dose_unit": st.sampled_from(["mg", "vg/kg", "mg/kg"]),
                "disease": DISEASES,
                "disease_subtype": st.sampled_from(["1", "2a", "3", "4", "x", ""]),
                "age_at_onset_months": st.one_of(st.none(), st.floats(0, 300)),
                "note": st.text(max_size=4),
            }
        ),
        max_size=8,
    )
)
def test_row_by_row_equals_dataframe_apply(rows: list[dict[str, Any]]) -> None:
    frame = pd.DataFrame(
        rows,
        columns=[
            "product_id",
            "dose",
            "dose_unit",
            "disease",
            "disease_subtype",
            "age_at_onset_months",
            "note",
        ],
    )
    for func, columns in (
        (dose_fits, ("product_id", "dose", "dose_unit")),
        (_subtype_fits, ("disease", "disease_subtype")),
        (_onset_fits, ("disease", "disease_subtype", "age_at_onset_months")),
    ):
        got = row_by_row(func, frame, *columns)
        assert list(got.index) == list(frame.index)
        assert got.tolist() == _by_apply(func, frame, *columns), func.__name__


SOME_TEXT = st.text(
    alphabet=st.characters(codec=None, categories=["Cs", "Ll", "Lu", "Nd", "Cc", "Zs", "Lo"]),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(SOME_TEXT)
def test_the_surrogate_scan_equals_a_loop_over_characters(text: str) -> None:
    assert _has_lone_surrogate(text) == any("\ud800" <= ch <= "\udfff" for ch in text)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["a", "b", "c"]),
            st.one_of(st.none(), st.integers(), st.floats(), SOME_TEXT),
        ),
        max_size=6,
    )
)
def test_one_scan_of_all_text_finds_what_the_cell_by_cell_scan_finds(rows: list[dict]) -> None:
    by_cell = [
        (i, name) for i, row in enumerate(rows) for name, v in row.items() if _has_lone_surrogate(v)
    ]
    assert _any_lone_surrogate(v for row in rows for v in row.values()) == bool(by_cell)
    cleaned, problems = _valid_text("labs", iter(rows))
    assert [(p.row, p.field) for p in problems] == by_cell
    for row, kept in zip(rows, cleaned, strict=True):
        want = {k: (None if _has_lone_surrogate(v) else v) for k, v in row.items()}
        assert list(kept) == list(want)
        assert all(
            kept[k] is want[k]
            or kept[k] == want[k]
            or (isinstance(want[k], float) and math.isnan(want[k]) and math.isnan(kept[k]))
            for k in want
        )
