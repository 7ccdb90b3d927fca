"""k-anonymity by generalisation and suppression (warehouse/export/disclosure.py)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.errors import CaseguardError
from warehouse.export.disclosure import (
    ANY,
    QUASI_IDENTIFIERS,
    anonymise_subjects,
    class_sizes,
    fine_age_band,
    generalise,
)

SITES = {"MSK": ("Moscow", "RU"), "MYT": ("Moscow Oblast", "RU"), "PRM": ("Perm Krai", "RU")}
SUBTYPES = ["1a", "1b", "1c", "2a", "2b", "3a", "3b", "presymptomatic"]
COPIES = ["1", "2", "3", "4", ">=5", "unknown"]


def subject_rows(draw_rows: list[tuple[int, str, float | None, str, str, str]]) -> pd.DataFrame:
    rows = []
    for i, (_, sex, age, site, subtype, copies) in enumerate(draw_rows):
        region, country = SITES[site]
        rows.append(
            {
                "subject_id": f"{site}-{i:012d}",
                "sex": sex,
                "age_at_index_months": age,
                "site_code": site,
                "region": region,
                "country": country,
                "disease": "SMA5Q",
                "disease_subtype": subtype,
                "smn2_copies": copies,
            }
        )
    return pd.DataFrame(rows)


row_strategy = st.tuples(
    st.integers(0, 10),
    st.sampled_from(["female", "male"]),
    st.one_of(st.none(), st.floats(0, 1300, allow_nan=False)),
    st.sampled_from(sorted(SITES)),
    st.sampled_from(SUBTYPES),
    st.sampled_from(COPIES),
)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(row_strategy, min_size=0, max_size=80),
    k=st.integers(1, 8),
    share=st.sampled_from([0.0, 0.05, 0.2, 1.0]),
)
def test_every_released_class_has_at_least_k_subjects(
    rows: list[tuple[int, str, float | None, str, str, str]], k: int, share: float
) -> None:
    subjects = subject_rows(rows)
    result = anonymise_subjects(subjects, k, share)
    released = result.released
    assert len(released) + len(result.suppressed_ids) == len(subjects)
    if len(released):
        assert class_sizes(released[list(QUASI_IDENTIFIERS)]).min() >= k
    if not result.refused:
        assert len(result.suppressed_ids) <= share * len(subjects)
    assert result.report["subjects_suppressed"] == len(result.suppressed_ids)
    assert set(released["subject_id"]).isdisjoint(result.suppressed_ids)


def test_small_classes_are_generalised_before_anything_is_suppressed() -> None:
    # two sites of one region, eight subjects: no class of 5 by site, one by region
    frame = subject_rows(
        [(0, "female", 30.0, "MSK", "2a", "3")] * 4 + [(0, "female", 30.0, "MYT", "2a", "3")] * 4
    )
    frame["region"] = "Moscow area"
    result = anonymise_subjects(frame, k=5, max_share=0.0)
    assert not result.refused and result.suppressed_ids == []
    assert set(result.released["area"]) == {"Moscow area"}
    assert result.report["generalisation"]["area"]["level"] == "region"
    assert result.report["generalisation"]["area"]["rows_generalised"] == 8
    assert result.report["generalisation"]["sex"]["level"] == "sex"  # sex kept


def test_an_outlier_is_suppressed_when_suppression_is_allowed() -> None:
    frame = subject_rows(
        [(0, "female", 30.0, "MSK", "2a", "3")] * 20 + [(0, "male", 500.0, "PRM", "4", ">=5")]
    )
    result = anonymise_subjects(frame, k=5, max_share=0.05)
    assert len(result.suppressed_ids) == 1 and not result.refused
    assert result.steps == []  # suppressing one of 21 is within 5%: nothing generalised
    assert result.report["suppressed_share"] == pytest.approx(1 / 21, abs=1e-4)


def test_too_few_subjects_for_k_is_refused() -> None:
    frame = subject_rows([(0, "female", 30.0, "MSK", "2a", "3")] * 3)
    result = anonymise_subjects(frame, k=5, max_share=0.05)
    assert result.refused
    assert result.report["refused"] is True
    assert len(result.released) == 0


def test_ages_of_90_and_over_share_one_band() -> None:
    assert fine_age_band(89 * 12 + 11) == "65-89 y"
    assert fine_age_band(90 * 12) == fine_age_band(110 * 12) == ">=90 y"
    assert fine_age_band(None) == "unknown"
    assert fine_age_band(3) == "<6 m"


def test_ladder_levels() -> None:
    frame = subject_rows([(0, "male", 14.0, "PRM", "1b", "2")])
    assert generalise(frame, dict.fromkeys(QUASI_IDENTIFIERS, 0)).iloc[0].to_dict() == {
        "sex": "male",
        "age_band": "6-23 m",
        "area": "PRM",
        "disease_subtype": "1b",
        "smn2_copies": "2",
    }
    top = {"sex": 1, "age_band": 2, "area": 3, "disease_subtype": 2, "smn2_copies": 2}
    assert generalise(frame, top).iloc[0].to_dict() == {
        "sex": ANY,
        "age_band": ANY,
        "area": ANY,
        "disease_subtype": "SMA5Q",
        "smn2_copies": ANY,
    }
    middle = {"sex": 0, "age_band": 1, "area": 1, "disease_subtype": 1, "smn2_copies": 1}
    assert generalise(frame, middle).iloc[0].to_dict() == {
        "sex": "male",
        "age_band": "<2 y",
        "area": "Perm Krai",
        "disease_subtype": "1",
        "smn2_copies": "1-2",
    }


def test_bad_parameters_are_refused() -> None:
    frame = subject_rows([])
    with pytest.raises(CaseguardError):
        anonymise_subjects(frame, k=0, max_share=0.05)
    with pytest.raises(CaseguardError):
        anonymise_subjects(frame, k=5, max_share=1.5)
