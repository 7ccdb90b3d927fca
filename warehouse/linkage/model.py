"""The Fellegi-Sunter model over keyed tokens (Splink on DuckDB).

Every field is compared by token equality (a keyed token reveals nothing but equality),
with partial-agreement levels from the coarse and alternative tokens: a surname part
shared by a hyphenated and a plain surname, the same phonetic code, a birth date with day
and month swapped, the same birth month. m probabilities are estimated by expectation
maximisation on the pooled tokens, u probabilities from random pairs, exact surname,
given-name, patronymic and region agreement are weighted by how rare the token is (term
frequency). Candidate pairs come from blocking on coarse tokens, so a typo in one field
still leaves a child findable through the others.

The same settings run on Splink's Spark backend when a registry outgrows one machine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from warehouse.linkage.tokens import TOKEN_COLUMNS

# What a comparison level means, for the review page ("agreeing fields", never values).
# Level order per comparison is Splink's gamma, highest = exact agreement.
_LEVEL_NAMES: dict[str, dict[int, str]] = {
    "surname": {3: "surname", 2: "surname (one part)", 1: "surname (sounds alike)"},
    "given_name": {2: "given_name", 1: "given_name (initial)"},
    "patronymic": {1: "patronymic"},
    "birth_date": {
        3: "birth_date",
        2: "birth_date (day/month swapped)",
        1: "birth_date (year-month)",
    },
    "sex": {1: "sex"},
    "snils": {1: "snils"},
    "birth_region": {1: "birth_region"},
}
# Minimum subjects for EM to have pairs to learn from; below it, prior m values are used.
_MIN_SUBJECTS_FOR_EM = 50


def _comparisons() -> list[Any]:
    return [
        cl.CustomComparison(
            output_column_name="surname",
            comparison_levels=[
                cll.NullLevel("surname"),
                cll.ExactMatchLevel("surname", term_frequency_adjustments=True),
                cll.ArrayIntersectLevel("surname_parts", min_intersection=1),
                cll.ExactMatchLevel("surname_phonetic"),
                cll.ElseLevel(),
            ],
        ),
        cl.CustomComparison(
            output_column_name="given_name",
            comparison_levels=[
                cll.NullLevel("given_name"),
                cll.ExactMatchLevel("given_name", term_frequency_adjustments=True),
                cll.ExactMatchLevel("given_initial"),
                cll.ElseLevel(),
            ],
        ),
        cl.CustomComparison(
            output_column_name="patronymic",
            comparison_levels=[
                cll.NullLevel("patronymic"),
                cll.ExactMatchLevel("patronymic", term_frequency_adjustments=True),
                cll.ElseLevel(),
            ],
        ),
        cl.CustomComparison(
            output_column_name="birth_date",
            comparison_levels=[
                cll.NullLevel("birth_date"),
                cll.ExactMatchLevel("birth_date"),
                cll.ExactMatchLevel("birth_date_unordered"),
                cll.ExactMatchLevel("birth_year_month"),
                cll.ElseLevel(),
            ],
        ),
        cl.ExactMatch("sex"),
        cl.ExactMatch("snils"),
        cl.ExactMatch("birth_region").configure(term_frequency_adjustments=True),
    ]


# Candidate pairs: any one rule suffices, so an error in one field never hides a child.
_BLOCKING = (
    ("surname_phonetic", "birth_year_month"),
    ("given_name", "birth_date_unordered"),
    ("snils",),
    ("given_name", "patronymic", "birth_year_month"),
    ("surname", "given_name", "sex"),
)


def settings(probability_two_random_records_match: float = 1e-4) -> SettingsCreator:
    """The model's settings (dedupe across and within centres)."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="subject_id",
        comparisons=_comparisons(),
        blocking_rules_to_generate_predictions=[block_on(*cols) for cols in _BLOCKING],
        probability_two_random_records_match=probability_two_random_records_match,
        retain_matching_columns=True,  # for the gamma (agreement level) columns
        retain_intermediate_calculation_columns=False,
        additional_columns_to_retain=["site_code"],
    )


@dataclass(frozen=True)
class LinkageResult:
    """Scored candidate pairs and how the model was trained."""

    pairs: pd.DataFrame  # subject_id_a, subject_id_b, match_probability, match_weight, ...
    candidates: int
    trained_by_em: bool


def _input_frame(tokens: pd.DataFrame) -> pd.DataFrame:
    frame = tokens[["subject_id", "site_code", *TOKEN_COLUMNS]].copy()
    frame["surname_parts"] = [
        list(parts) if parts is not None and len(parts) else None
        for parts in frame["surname_parts"]
    ]
    return frame


def agreeing_fields(gammas: dict[str, int]) -> str:
    """Names of the fields that agreed (with the kind of partial agreement), never values."""
    names = [
        _LEVEL_NAMES[field][level]
        for field, level in gammas.items()
        if field in _LEVEL_NAMES and level in _LEVEL_NAMES[field]
    ]
    return ", ".join(names)


def score_pairs(tokens: pd.DataFrame, threshold: float, seed: int = 1) -> LinkageResult:
    """Train the model on ``tokens`` and return pairs at or above ``threshold``.

    ``tokens``: one row per subject (subject_id, site_code and the token columns).
    Pairs are ordered so that subject_id_a < subject_id_b.
    """
    logging.getLogger("splink").setLevel(logging.WARNING)
    frame = _input_frame(tokens)
    connection = duckdb.connect()
    try:
        api = DuckDBAPI(connection)
        linker = Linker(api.register(frame), settings(), log_level=logging.WARNING)
        trained = len(frame) >= _MIN_SUBJECTS_FOR_EM
        if trained:
            _train(linker, len(frame), seed)
        predictions = linker.inference.predict(threshold_match_probability=threshold)
        scored = predictions.as_pandas_dataframe()
        candidates = len(scored)
    finally:
        connection.close()
    return LinkageResult(_pairs(scored), candidates, trained)


def _train(linker: Linker, subjects: int, seed: int) -> None:
    deterministic = [
        block_on("snils"),
        block_on("surname", "given_name", "birth_date"),
    ]
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.8)
    linker.training.estimate_u_using_random_sampling(
        max_pairs=min(2e6, subjects * 50.0), seed=seed
    )
    # Two sessions, each blocking on fields the other estimates (Splink's guidance).
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("birth_date"), record_sample_proportion=1.0
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("surname_phonetic", "given_initial"), record_sample_proportion=1.0
    )


def _pairs(scored: pd.DataFrame) -> pd.DataFrame:
    columns = ["subject_id_a", "subject_id_b", "match_probability", "match_weight"]
    if scored.empty:
        return pd.DataFrame(columns=[*columns, "agreeing_fields"])
    gamma_columns = {c.removeprefix("gamma_"): c for c in scored.columns if c.startswith("gamma_")}
    left = scored["subject_id_l"].astype(str)
    right = scored["subject_id_r"].astype(str)
    swap = left > right
    out = pd.DataFrame(
        {
            "subject_id_a": left.where(~swap, right),
            "subject_id_b": right.where(~swap, left),
            "match_probability": scored["match_probability"].astype(float),
            "match_weight": scored["match_weight"].astype(float),
        }
    )
    out["agreeing_fields"] = [
        agreeing_fields({f: int(row[c]) for f, c in gamma_columns.items()})
        for _, row in scored[list(gamma_columns.values())].iterrows()
    ]
    return out.sort_values("match_weight", ascending=False, ignore_index=True)
