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

from warehouse.linkage import bloom
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
    "name_clk": {3: "names (Dice >= 0.9)", 2: "names (Dice >= 0.75)", 1: "names (Dice >= 0.6)"},
}
ENCODINGS = ("tokens", "bloom")
# Below this many subjects EM has too few matches to learn from: the prior m values stay.
_MIN_SUBJECTS_FOR_EM = 1000
_EM_SAMPLE_SUBJECTS = 50_000


def _level(creator: Any, m: float, u: float) -> Any:
    """A comparison level with prior m and u probabilities (what the model uses until
    EM and random sampling estimate them): m from the error rates of real registries
    (the synthetic cohort's, docs/BENCHMARKS.md), u from how often strangers agree."""
    return creator.configure(m_probability=m, u_probability=u)


def _comparison(name: str, levels: list[tuple[Any, float, float]]) -> Any:
    null = cll.NullLevel(name)
    configured = [_level(creator, m, u) for creator, m, u in levels]
    return cl.CustomComparison(output_column_name=name, comparison_levels=[null, *configured])


def _comparisons(encoding: str = "tokens") -> list[Any]:
    exact = cll.ExactMatchLevel
    names = _name_comparisons() if encoding == "tokens" else [bloom.name_comparison()]
    return [
        *names,
        _comparison(
            "birth_date",
            [
                (exact("birth_date"), 0.95, 0.0002),
                (exact("birth_date_unordered"), 0.02, 0.0002),
                (exact("birth_year_month"), 0.01, 0.005),
                (cll.ElseLevel(), 0.02, 0.9946),
            ],
        ),
        _comparison("sex", [(exact("sex"), 0.99, 0.5), (cll.ElseLevel(), 0.01, 0.5)]),
        _comparison("snils", [(exact("snils"), 0.98, 1e-6), (cll.ElseLevel(), 0.02, 0.999999)]),
        _comparison(
            "birth_region",
            [
                (exact("birth_region", term_frequency_adjustments=True), 0.92, 0.02),
                (cll.ElseLevel(), 0.08, 0.98),
            ],
        ),
    ]


def _name_comparisons() -> list[Any]:
    exact = cll.ExactMatchLevel
    return [
        _comparison(
            "surname",
            [
                (exact("surname", term_frequency_adjustments=True), 0.85, 0.002),
                (cll.ArrayIntersectLevel("surname_parts", min_intersection=1), 0.04, 0.0005),
                (exact("surname_phonetic"), 0.06, 0.005),
                (cll.ElseLevel(), 0.05, 0.9925),
            ],
        ),
        _comparison(
            "given_name",
            [
                (exact("given_name", term_frequency_adjustments=True), 0.9, 0.02),
                (exact("given_initial"), 0.06, 0.05),
                (cll.ElseLevel(), 0.04, 0.93),
            ],
        ),
        _comparison(
            "patronymic",
            [
                (exact("patronymic", term_frequency_adjustments=True), 0.9, 0.02),
                (cll.ElseLevel(), 0.1, 0.98),
            ],
        ),
    ]


# Candidate pairs: any one rule suffices, so an error in one field never hides a child.
_BLOCKING = (
    ("surname_phonetic", "birth_year_month"),
    ("given_name", "birth_date_unordered"),
    ("snils",),
    ("given_name", "patronymic", "birth_year_month"),
    ("surname", "given_name", "sex"),
)


def settings(
    probability_two_random_records_match: float = 1e-4, encoding: str = "tokens"
) -> SettingsCreator:
    """The model's settings (dedupe across and within centres); ``encoding`` "bloom"
    compares names by CLK Dice similarity instead of exact tokens (for the benchmark)."""
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {ENCODINGS}")
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="subject_id",
        comparisons=_comparisons(encoding),
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
    trained_by_em: bool


def _input_frame(tokens: pd.DataFrame) -> pd.DataFrame:
    extra = ["name_clk"] if "name_clk" in tokens.columns else []
    frame = tokens[["subject_id", "site_code", *TOKEN_COLUMNS, *extra]].copy()
    parts: list[Any] = [
        list(value) if value is not None and len(value) else None
        for value in frame["surname_parts"]
    ]
    frame["surname_parts"] = pd.Series(parts, index=frame.index, dtype=object)
    return frame


def agreeing_fields(gammas: dict[str, int]) -> str:
    """Names of the fields that agreed (with the kind of partial agreement), never values."""
    names = [
        _LEVEL_NAMES[field][level]
        for field, level in gammas.items()
        if field in _LEVEL_NAMES and level in _LEVEL_NAMES[field]
    ]
    return ", ".join(names)


def score_pairs(
    tokens: pd.DataFrame, threshold: float, seed: int = 1, encoding: str = "tokens"
) -> LinkageResult:
    """Train the model on ``tokens`` and return pairs at or above ``threshold``.

    ``tokens``: one row per subject (subject_id, site_code and the token columns; with
    ``encoding`` "bloom" also name_clk, from :func:`warehouse.linkage.bloom.name_clks`).
    Pairs are ordered so that subject_id_a < subject_id_b.
    """
    logging.getLogger("splink").setLevel(logging.ERROR)
    frame = _input_frame(tokens)
    connection = duckdb.connect()
    try:
        linker, trained = _trained_linker(connection, frame, seed, encoding)
        predictions = linker.inference.predict(threshold_match_probability=threshold)
        scored = predictions.as_pandas_dataframe()
    finally:
        connection.close()
    return LinkageResult(_pairs(scored), trained)


def _linker(
    connection: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    name: str,
    prior: float,
    encoding: str,
) -> Linker:
    api = DuckDBAPI(connection)
    return Linker(
        api.register(frame, table_name=name), settings(prior, encoding), log_level=logging.WARNING
    )


def _trained_linker(
    connection: duckdb.DuckDBPyConnection, frame: pd.DataFrame, seed: int, encoding: str
) -> tuple[Linker, bool]:
    """A linker with u estimated from random pairs and, on enough subjects, m by EM.

    EM that cannot converge on this data (a level never seen among likely matches makes
    Splink refuse an m of 0) leaves the prior m values: a clear, reviewable fallback
    rather than no linkage at all.
    """
    subjects = len(frame)
    prior = _prior(connection, frame)
    if subjects >= _MIN_SUBJECTS_FOR_EM:
        linker = _linker(connection, frame, "linkage_input_em", prior, encoding)
        try:
            _train_em(linker, subjects, seed)
            return linker, True
        except ValueError:
            pass
    linker = _linker(connection, frame, "linkage_input", prior, encoding)
    _estimate_u(linker, subjects, seed)
    return linker, False


def _prior(connection: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> float:
    """The share of pairs that match: pairs agreeing on SNILS or on full name and birth
    date, taken to be 80 % of the matches (at least one match is assumed, so a study
    without any still gets a positive prior)."""
    connection.register("_prior_input", frame)
    try:
        row = connection.execute("""
            SELECT count(*) FROM (
                SELECT a.subject_id, b.subject_id FROM _prior_input a JOIN _prior_input b
                  ON a.snils = b.snils AND a.subject_id < b.subject_id
                UNION
                SELECT a.subject_id, b.subject_id FROM _prior_input a JOIN _prior_input b
                  ON a.surname = b.surname AND a.given_name = b.given_name
                 AND a.birth_date = b.birth_date AND a.subject_id < b.subject_id)""").fetchall()
    finally:
        connection.unregister("_prior_input")
    found = int(row[0][0])
    pairs = max(1, len(frame) * (len(frame) - 1) // 2)
    return min(0.5, max(found / 0.8, 1.0) / pairs)


def _estimate_u(linker: Linker, subjects: int, seed: int) -> None:
    if subjects >= 20:
        linker.training.estimate_u_using_random_sampling(
            max_pairs=min(2e6, subjects * 50.0), seed=seed
        )


def _train_em(linker: Linker, subjects: int, seed: int) -> None:
    _estimate_u(linker, subjects, seed)
    # Two sessions, each blocking on fields the other estimates (Splink's guidance). A
    # sample of 50,000 subjects holds thousands of matches: plenty for a few parameters.
    sample = min(1.0, _EM_SAMPLE_SUBJECTS / subjects)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("birth_date"), record_sample_proportion=sample
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("surname", "given_name"), record_sample_proportion=sample
    )


def twin_guard(scored: pd.DataFrame) -> pd.Series:
    """True for pairs to drop: given names that disagree outright (not even the initial)
    while SNILS does not agree. Brothers and sisters - twins above all - agree on surname,
    patronymic, birth region and (twins) birth date, fields that Fellegi-Sunter treats
    as independent evidence though in a family they are not; a child's given name is
    what tells them apart. A pair with a different given name is proposed only when a
    SNILS (a checksummed personal number) agrees. (The Bloom-filter model sees all names
    in one filter, so only names that disagree as a whole are caught there.)"""
    names = "gamma_given_name" if "gamma_given_name" in scored.columns else "gamma_name_clk"
    return (scored[names] == 0) & (scored["gamma_snils"] != 1)


def _pairs(scored: pd.DataFrame) -> pd.DataFrame:
    columns = ["subject_id_a", "subject_id_b", "match_probability", "match_weight"]
    if not scored.empty:
        scored = scored[~twin_guard(scored)]
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
