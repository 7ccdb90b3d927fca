"""k-anonymity by optimal generalisation and suppression (warehouse/export/disclosure.py)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycanon import anonymity

from schemas.errors import CaseguardError
from warehouse.export.disclosure import anonymise_subjects, parse_assignments
from warehouse.export.ladders import band

SITES = {
    "MSK": ("Moscow", "RU"),
    "MYT": ("Moscow", "RU"),
    "PRM": ("Perm Krai", "RU"),
    "EKB": ("Perm Krai", "RU"),
}
SUBTYPES = ["1a", "1b", "1c", "2a", "2b", "3a", "3b", "presymptomatic"]
COPIES = ["1", "2", "3", "4", ">=5", "unknown"]

Row = tuple[str, float | None, str, str, str]


def subject_rows(
    rows: list[Row], disease: str = "SMA5Q", marker: str = "smn2_copies"
) -> pd.DataFrame:
    frame = []
    for i, (sex, age, site, subtype, value) in enumerate(rows):
        region, country = SITES[site]
        frame.append(
            {
                "subject_id": f"{site}-{i:012d}",
                "sex": sex,
                "age_at_index_months": age,
                "site_code": site,
                "region": region,
                "country": country,
                "disease": disease,
                "disease_subtype": subtype,
                "genetics": {marker: value},
                "age_at_onset_months": None if age is None else age / 3,
                "index_date": dt.date(2024, 1, 1),
                "serious_ae": i % 3 == 0,
                "died": False,
            }
        )
    return pd.DataFrame(frame)


row_strategy = st.tuples(
    st.sampled_from(["female", "male"]),
    st.one_of(st.none(), st.floats(0, 1300, allow_nan=False)),
    st.sampled_from(sorted(SITES)),
    st.sampled_from(SUBTYPES),
    st.sampled_from(COPIES),
)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(row_strategy, min_size=0, max_size=80),
    k=st.integers(1, 8),
    share=st.sampled_from([0.0, 0.05, 0.2, 1.0]),
)
def test_every_released_class_has_at_least_k_subjects_by_pycanon(
    rows: list[Row], k: int, share: float
) -> None:
    subjects = subject_rows(rows)
    result = anonymise_subjects(subjects, k, share)
    released = result.released
    report = result.report
    assert len(released) + len(result.suppressed_ids) == len(subjects)
    if len(released):
        assert anonymity.k_anonymity(released, report["class_columns"]) >= k
        assert anonymity.k_anonymity(released, report["class_columns"]) == report["smallest_class"]
    if not result.refused:
        assert len(result.suppressed_ids) <= share * len(subjects) + 1e-9
    assert report["subjects_suppressed"] == len(result.suppressed_ids)
    assert set(released["subject_id"]).isdisjoint(result.suppressed_ids)


def test_the_centre_is_never_released_and_a_one_centre_region_is_not_either() -> None:
    # MSK and MYT share Moscow; PRM is alone in "Perm Krai" until EKB joins it
    rows = [("female", 30.0, site, "2a", "3") for site in ("MSK", "MYT", "PRM") for _ in range(6)]
    frame = subject_rows(rows)
    frame.loc[frame["site_code"] == "PRM", "region"] = "Perm only"
    result = anonymise_subjects(frame, k=5, max_share=0.0)
    assert set(result.released["area"]) == {"RU"}  # a region of one centre names it
    assert result.report["generalisation"]["area"]["levels"] == ["country", "any"]
    frame.loc[frame["site_code"] == "PRM", "region"] = "Moscow"
    result = anonymise_subjects(frame, k=5, max_share=0.0)
    assert set(result.released["area"]) == {"Moscow"}
    assert not set(result.released["area"]) & set(SITES)


def test_heavy_quasi_identifiers_are_kept_and_light_ones_coarsened() -> None:
    # subtype splits 10/10 by copies; area splits them 5/5 into classes of 5 too. At k=6
    # one of the two must go: the weights decide which.
    rows = [
        ("female", 30.0, "MSK" if i % 2 else "PRM", "2a", "3" if i < 10 else "2") for i in range(20)
    ]
    frame = subject_rows(rows)
    frame["region"] = frame["site_code"].map({"MSK": "Moscow", "PRM": "Perm Krai"})
    frame.loc[frame.index % 4 < 2, "site_code"] = frame["site_code"].map(
        {"MSK": "MYT", "PRM": "EKB"}
    )
    keep_copies = anonymise_subjects(frame, k=6, max_share=0.0, weights={"smn2": 5, "area": 1})
    assert keep_copies.levels["smn2_copies"] == "value" and keep_copies.levels["area"] != "region"
    keep_area = anonymise_subjects(frame, k=6, max_share=0.0, weights={"smn2": 1, "area": 50})
    assert keep_area.levels["area"] == "region" and keep_area.levels["smn2_copies"] != "value"
    assert (
        keep_area.report["lattice"]["information_loss"]
        <= keep_area.report["greedy"]["information_loss"]
    )


def test_a_pinned_level_is_kept_and_its_cost_shown() -> None:
    rows = [
        ("female" if i % 2 else "male", 10.0 + i * 7, "MSK", SUBTYPES[i % 4], "2")
        for i in range(40)
    ]
    free = anonymise_subjects(subject_rows(rows), k=5, max_share=0.05)
    pinned = anonymise_subjects(
        subject_rows(rows), k=5, max_share=0.05, pins={"age": "fine age band"}
    )
    assert pinned.levels["age_band"] == "fine age band"
    assert pinned.report["search"]["pinned"] == {"age_band": "fine age band"}
    assert (
        pinned.report["lattice"]["information_loss"] >= free.report["lattice"]["information_loss"]
    )
    with pytest.raises(CaseguardError, match="can be released only as"):
        anonymise_subjects(subject_rows(rows), k=5, max_share=0.05, pins={"area": "site"})
    with pytest.raises(CaseguardError, match="no level"):
        anonymise_subjects(subject_rows(rows), k=5, max_share=0.05, pins={"age": "decade"})


def test_an_ankylosing_spondylitis_marker_is_a_quasi_identifier() -> None:
    """Issue 18 item 11: HLA-B27 used to be exported as it was, never counted."""
    rows = [("male", 400.0, "MSK", "r-axSpA", "positive")] * 6 + [
        ("male", 400.0, "MSK", "r-axSpA", "negative")
    ]
    frame = subject_rows(rows, disease="AS", marker="hla_b27")
    result = anonymise_subjects(frame, k=5, max_share=0.0)
    assert "hla_b27" in result.report["quasi_identifiers"]
    assert set(result.released["hla_b27"]) == {"*"}  # the one negative would be alone
    allowed = anonymise_subjects(frame, k=5, max_share=0.2)
    assert set(allowed.released["hla_b27"]) == {"positive"} and len(allowed.suppressed_ids) == 1


def test_l_diversity_of_serious_aes_and_death_is_reported() -> None:
    rows = [("female", 30.0, "MSK", "2a", "3")] * 10
    frame = subject_rows(rows)
    frame["serious_ae"] = True
    result = anonymise_subjects(frame, k=5, max_share=0.0)
    seen = result.report["l_diversity"]["serious_ae"]
    assert seen["l"] == 1 and seen["subjects_in_those_classes"] == 10  # everyone shares it
    frame.loc[0, "serious_ae"] = False
    assert (
        anonymise_subjects(frame, k=5, max_share=0.0).report["l_diversity"]["serious_ae"]["l"] == 2
    )


def test_too_few_subjects_for_k_is_refused() -> None:
    frame = subject_rows([("female", 30.0, "MSK", "2a", "3")] * 3)
    result = anonymise_subjects(frame, k=5, max_share=0.05)
    assert result.refused and result.report["refused"] is True
    assert len(result.released) == 0


def test_bands_and_their_edges() -> None:
    bands = [("<6 m", 6.0), ("6-23 m", 24.0), (">=2 y", None)]
    assert band(5.99, bands, "unknown") == "<6 m"
    assert band(6, bands, "unknown") == "6-23 m"
    assert band(500, bands, "unknown") == ">=2 y"
    assert band(None, bands, "unknown") == "unknown"


def test_weights_and_pins_are_checked() -> None:
    assert parse_assignments("subtype=5, area=1", "--weights") == {
        "disease_subtype": "5",
        "area": "1",
    }
    with pytest.raises(CaseguardError, match="not a quasi-identifier"):
        parse_assignments("height=3", "--weights")
    with pytest.raises(CaseguardError, match="NAME=VALUE"):
        parse_assignments("subtype", "--weights")
    frame = subject_rows([("female", 30.0, "MSK", "2a", "3")] * 6)
    with pytest.raises(CaseguardError, match="above 0"):
        anonymise_subjects(frame, 5, 0.05, weights={"area": "0"})
    with pytest.raises(CaseguardError):
        anonymise_subjects(frame, k=0, max_share=0.05)
    with pytest.raises(CaseguardError):
        anonymise_subjects(frame, k=5, max_share=1.5)
