"""The bundle's membership screen (whole columns) against the row-by-row check."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import CLINICAL_TABLES
from warehouse.exchange.bundle_rows import _all_members, check_membership, membership_problems

IDS = st.sampled_from(["S1", "S2", "S3", None, 1, float("nan")])
AES = st.sampled_from(["A1", "A2", "A3", None])
SITES = st.sampled_from(["MSK", "SPB", None])


@st.composite
def bundles(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    """Frames whose rows may name subjects, sites and events that are not in them."""
    subjects = draw(st.lists(st.tuples(IDS, SITES), max_size=4))
    frames = {
        "subjects": pd.DataFrame(
            {"subject_id": [s for s, _ in subjects], "site_code": [c for _, c in subjects]},
            dtype=object,
        )
    }
    for table in CLINICAL_TABLES[1:]:
        rows = draw(st.lists(st.tuples(IDS, AES), max_size=4))
        frame = pd.DataFrame({"subject_id": [s for s, _ in rows]}, dtype=object)
        if table in ("adverse_events", "ae_causality"):
            frame["ae_id"] = pd.Series([a for _, a in rows], dtype=object)
        frames[table] = frame
    return frames


@settings(max_examples=300, deadline=None)
@given(bundles(), st.sampled_from(["MSK", "SPB"]))
def test_screen_passes_exactly_when_no_row_is_named(frames: dict, site: str) -> None:
    """Whenever the column screen lets a bundle through, the row-by-row check names no
    row; and the two agree on every bundle without missing values."""
    problems = membership_problems(site, frames)
    if _all_members(site, frames):
        assert problems == []
    has_missing = any(
        f[c].isna().any() for f in frames.values() for c in ("subject_id", "ae_id") if c in f
    )
    if not has_missing:
        assert _all_members(site, frames) == (problems == [])
    assert check_membership(site, frames) == problems
