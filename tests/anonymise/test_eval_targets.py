"""The de-identification targets, measured on the labelled corpora.

``bench/data/narratives.jsonl`` (640 synthetic notes, half Russian, half English)
carries the first targets: identifier recall >= 0.99 per language (PERSON, DATE,
LOCATION, PHONE, EMAIL, ID, URL, ORGANIZATION together), no verbatim leaks,
clinical keep rate >= 0.99 and precision >= 0.95 per language.
``bench/data/hard_cases.jsonl`` (132 hand-written traps) has softer thresholds:
recall >= 0.90, precision >= 0.90, keep rate >= 0.95.

``tests/data/independent/clinical_notes.jsonl`` (440 bilingual case notes written
apart from the rules, issue 20) carries the issue's clinical targets: recall >=
0.99 per language, zero verbatim leaks, clinical vocabulary kept >= 0.98,
precision >= 0.90. It is held out: a rule is never tuned to one of its strings.

The scrubber is still being tuned: a target it misses today is marked xfail
(not strict) with the figure measured when the test was written, so the suite
says which targets are met without failing on the rest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from anonymise.evaluation import Evaluation, evaluate, load_gold

pytestmark = pytest.mark.slow

DATA = Path(__file__).resolve().parents[2] / "bench" / "data"
INDEPENDENT = Path(__file__).resolve().parents[1] / "data" / "independent"
IDENTIFIER_TYPES = {"PERSON", "DATE", "LOCATION", "PHONE", "EMAIL", "ID", "URL", "ORGANIZATION"}


@pytest.fixture(scope="module")
def narratives() -> Evaluation:
    return evaluate(load_gold(DATA / "narratives.jsonl"))


@pytest.fixture(scope="module")
def hard_cases() -> Evaluation:
    return evaluate(load_gold(DATA / "hard_cases.jsonl"))


@pytest.fixture(scope="module")
def clinical_notes() -> Evaluation:
    return evaluate(load_gold(INDEPENDENT / "clinical_notes.jsonl"))


def identifier_recall(result: Evaluation, language: str) -> tuple[float, int, int]:
    """Recall over the identifier types, one language: (rate, found, total)."""
    found = total = 0
    for (lang, kind), tally in result.recall.items():
        if lang == language and kind in IDENTIFIER_TYPES:
            found += tally.found
            total += tally.total
    assert total > 0
    return found / total, found, total


def misses(result: Evaluation, language: str, limit: int = 10) -> list[tuple[str, str, str]]:
    return [m for m in result.missed if str(m[0]).startswith((language, f"hard-{language}"))][
        :limit
    ]


# --- narratives: the targets -------------------------------------------------


def test_narratives_cover_both_languages(narratives: Evaluation) -> None:
    assert narratives.texts == 640
    assert narratives.languages() == ["en", "ru"]
    assert {kind for _, kind in narratives.recall} <= IDENTIFIER_TYPES


@pytest.mark.parametrize("language", ["ru", "en"])
def test_narratives_recall_per_language(narratives: Evaluation, language: str) -> None:
    rate, found, total = identifier_recall(narratives, language)
    assert rate >= 0.99, (
        f"{language} recall {rate:.4f} ({found}/{total})",
        misses(narratives, language),
    )


@pytest.mark.xfail(
    strict=False,
    reason="measured 1 verbatim leak: the surname 'French' (tagged an adjective) as a line label",
)
def test_narratives_have_no_verbatim_leaks(narratives: Evaluation) -> None:
    assert narratives.leaks == 0, sorted(set(narratives.leaked_ids))[:20]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_narratives_keep_clinical_terms(narratives: Evaluation, language: str) -> None:
    tally = narratives.keep_rate(language)
    assert tally.total > 0
    assert tally.rate >= 0.99, f"{language} keep {tally.rate:.4f} ({tally.found}/{tally.total})"


@pytest.mark.parametrize("language", ["ru", "en"])
def test_narratives_precision_per_language(narratives: Evaluation, language: str) -> None:
    tally = narratives.overall("precision", language)
    assert tally.total > 0
    assert tally.rate >= 0.95, (
        f"{language} precision {tally.rate:.4f} ({tally.found}/{tally.total})",
        [fp for fp in narratives.false_positives if str(fp[0]).startswith(language)][:10],
    )


# --- hard cases: softer thresholds ---------------------------------------------------


@pytest.mark.parametrize("language", ["ru", "en"])
def test_hard_cases_recall_per_language(hard_cases: Evaluation, language: str) -> None:
    rate, found, total = identifier_recall(hard_cases, language)
    assert rate >= 0.90, (
        f"{language} recall {rate:.4f} ({found}/{total})",
        misses(hard_cases, language),
    )


@pytest.mark.parametrize("language", ["ru", "en"])
def test_hard_cases_precision_per_language(hard_cases: Evaluation, language: str) -> None:
    tally = hard_cases.overall("precision", language)
    assert tally.rate >= 0.90, (
        f"{language} precision {tally.rate:.4f} ({tally.found}/{tally.total})"
    )


@pytest.mark.parametrize("language", ["ru", "en"])
def test_hard_cases_keep_clinical_terms(hard_cases: Evaluation, language: str) -> None:
    tally = hard_cases.keep_rate(language)
    assert tally.rate >= 0.95, f"{language} keep {tally.rate:.4f} ({tally.found}/{tally.total})"


@pytest.mark.xfail(
    strict=False,
    reason="measured 4 verbatim leaks in the hard cases: 'Машу' (a name that is also a common"
    " word's form), 'иванова м.с.' in lower case, 'Will' (also a modal), 'jess o'neill'",
)
def test_hard_cases_have_no_verbatim_leaks(hard_cases: Evaluation) -> None:
    assert hard_cases.leaks == 0, sorted(set(hard_cases.leaked_ids))


# --- independent clinical notes: the clinical targets ----------------------


def test_clinical_notes_cover_both_languages(clinical_notes: Evaluation) -> None:
    assert clinical_notes.texts == 440
    assert clinical_notes.languages() == ["en", "ru"]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_clinical_notes_recall_per_language(clinical_notes: Evaluation, language: str) -> None:
    rate, found, total = identifier_recall(clinical_notes, language)
    assert rate >= 0.99, (f"{language} recall {rate:.4f} ({found}/{total})",)


def test_clinical_notes_have_no_verbatim_leaks(clinical_notes: Evaluation) -> None:
    assert clinical_notes.leaks == 0, sorted(set(clinical_notes.leaked_ids))[:20]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_clinical_notes_keep_clinical_terms(clinical_notes: Evaluation, language: str) -> None:
    tally = clinical_notes.keep_rate(language)
    assert tally.total > 0
    assert tally.rate >= 0.98, f"{language} keep {tally.rate:.4f} ({tally.found}/{tally.total})"


@pytest.mark.parametrize("language", ["ru", "en"])
def test_clinical_notes_precision_per_language(clinical_notes: Evaluation, language: str) -> None:
    tally = clinical_notes.overall("precision", language)
    assert tally.total > 0
    assert tally.rate >= 0.90, f"{language} precision {tally.rate:.4f}"
