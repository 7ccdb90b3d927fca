"""The Splink model on a small synthetic cohort: finds moved children, names agreeing
fields (never values), and keeps unrelated children apart."""

from __future__ import annotations

import pandas as pd
import pytest

from warehouse.linkage.model import agreeing_fields, score_pairs
from warehouse.linkage.synthetic import CohortMaker
from warehouse.linkage.tokens import make_tokens

KEY = b"\x07" * 32


def _tokens(records: list) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"subject_id": r.record_id, "site_code": r.site_code, **make_tokens(KEY, r.identifiers)}
            for r in records
        ]
    )


@pytest.fixture(scope="module")
def cohort_and_pairs() -> tuple:
    cohort = CohortMaker(11).cohort(1200, ["MSK", "PRM", "KZN"], moved=0.15)
    result = score_pairs(_tokens(cohort.records), threshold=0.9)
    return cohort, result


def test_moved_children_are_found_with_few_false_pairs(cohort_and_pairs: tuple) -> None:
    cohort, result = cohort_and_pairs
    truth = cohort.true_pairs()
    found = set(zip(result.pairs["subject_id_a"], result.pairs["subject_id_b"], strict=True))
    true_found = len(found & truth)
    assert result.trained_by_em
    assert true_found / len(truth) >= 0.9  # recall
    assert true_found / max(1, len(found)) >= 0.95  # precision


def test_pairs_are_ordered_and_name_fields_not_values(cohort_and_pairs: tuple) -> None:
    cohort, result = cohort_and_pairs
    pairs = result.pairs
    assert (pairs["subject_id_a"] < pairs["subject_id_b"]).all()
    assert (pairs["match_probability"] >= 0.9).all()
    allowed = {
        "surname", "surname (one part)", "surname (sounds alike)", "given_name",
        "given_name (initial)", "patronymic", "birth_date", "birth_date (day/month swapped)",
        "birth_date (year-month)", "sex", "snils", "birth_region",
    }  # fmt: skip
    for text in pairs["agreeing_fields"]:
        assert set(text.split(", ")) <= allowed
    typed = {r.identifiers.surname for r in cohort.records}
    assert not typed & set(" ".join(pairs["agreeing_fields"]).split())


def test_agreeing_fields_reads_agreement_levels() -> None:
    assert agreeing_fields({"surname": 3, "birth_date": 2, "snils": 0, "sex": -1}) == (
        "surname, birth_date (day/month swapped)"
    )


def test_two_different_children_are_not_paired() -> None:
    maker = CohortMaker(3)
    records = maker.cohort(4, ["MSK", "PRM"], moved=0.0, double_entry=0.0).records
    result = score_pairs(_tokens(records), threshold=0.5)
    assert result.pairs.empty
    assert not result.trained_by_em  # too few subjects to learn from: priors only
