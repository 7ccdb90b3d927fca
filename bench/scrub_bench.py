"""Benchmark caseguard's scrubber against stock Presidio on the same gold corpora.

Run with ``make bench`` (or ``python bench/scrub_bench.py [--limit N] [--repeat R]
[--corpus NAME ...]``). Three gold files are measured:

- ``narratives``: the project's own corpus (bench/data/narratives.jsonl, Russian
  and English SMA notes written with the rules);
- ``clinical``: the independent bilingual case notes (tests/data/independent/
  clinical_notes.jsonl), the corpus the throughput target is set on;
- ``general``: the independent general-English PII texts (tests/data/independent/
  pii_general_en.jsonl).

Each peer runs in its own child process (this script re-invoked with ``--peer``),
so peak memory is per peer and neither warms the other's caches; the parent asks
the two children for their passes in turn (single-record pass, then batched
passes alternating, the order swapped each round), so both meet the same load
on a shared machine. The parent scores both peers' output with
:func:`anonymise.evaluation.score_outputs` (the counting of ``python -m anonymise
eval``), prints the figures per corpus, entity type and language, and writes
them to docs/BENCHMARKS.md with machine, load and date.

- **stock Presidio**: :class:`anonymise.evaluation.StockPresidio` — ``AnalyzerEngine``
  with its default recognizers on the same English spaCy model caseguard uses
  (full pipeline), every text analysed as English; ``AnonymizerEngine`` with
  default operators.
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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import report  # noqa: E402  (bench/report.py, beside this script)

from anonymise.evaluation import (  # noqa: E402
    Evaluation,
    PeerOutput,
    Redaction,
    load_gold,
    score_outputs,
)

SECTION = "## Scrubber vs stock Presidio (bench/scrub_bench.py)"
CORPORA = {
    "narratives": ROOT / "bench" / "data" / "narratives.jsonl",
    "clinical": ROOT / "tests" / "data" / "independent" / "clinical_notes.jsonl",
    "general": ROOT / "tests" / "data" / "independent" / "pii_general_en.jsonl",
}
DESCRIPTIONS = {
    "narratives": "project corpus, written with the rules",
    "clinical": "independent bilingual case notes",
    "general": "independent general-English PII texts",
}
#: The corpus the issue's throughput target (>= 2x stock) is set on.
TARGET_CORPUS = "clinical"
TARGET_RATIO = 2.0
PEERS = ("stock", "caseguard")
LABELS = {"stock": "stock Presidio", "caseguard": "caseguard"}
WARMUP = 20
BATCH_SIZE = 32

# A peer's output for one text: the scrubbed text and its redactions (start, end, type).
Prediction = tuple[str, list[tuple[int, int, str]]]


# -- the two peers (run in the child process) ---------------------------------------


@dataclass
class Peer:
    """One scrubber under test: single-text and batched entry points."""

    single: Callable[[str, str], Prediction]
    batch: Callable[[Sequence[str], Sequence[str]], list[Prediction]]


def _prediction(output: Any) -> Prediction:
    return output.text, [(e.start, e.end, e.type) for e in output.entities]


def build_stock() -> Peer:
    """Stock Presidio on the caseguard English spaCy model, kept offline and quiet."""
    from anonymise.evaluation import StockPresidio

    stock = StockPresidio(batch_size=BATCH_SIZE)

    def single(text: str, language: str) -> Prediction:
        return _prediction(stock.scrub(text, language))

    def batch(texts: Sequence[str], languages: Sequence[str]) -> list[Prediction]:
        return [_prediction(o) for o in stock.scrub_batch(texts, languages)]

    return Peer(single, batch)


def build_caseguard() -> Peer:
    """caseguard's scrubber with its own configuration."""
    from anonymise.scrubber import Scrubber

    scrubber = Scrubber()

    def single(text: str, language: str) -> Prediction:
        return _prediction(scrubber.scrub(text, language))

    def batch(texts: Sequence[str], languages: Sequence[str]) -> list[Prediction]:
        return [_prediction(r) for r in scrubber.scrub_batch(texts, languages)]

    return Peer(single, batch)


def single_pass(peer: Peer, texts: list[str], languages: list[str]) -> dict[str, Any]:
    """Warm up, then call the peer once per text: throughput, latencies and output."""
    for text, language in list(zip(texts, languages, strict=True))[:WARMUP]:
        peer.single(text, language)
    latencies: list[float] = []
    predictions: list[Prediction] = []
    for text, language in zip(texts, languages, strict=True):
        began = time.perf_counter()
        predictions.append(peer.single(text, language))
        latencies.append(time.perf_counter() - began)
    latencies.sort()
    return {
        "single_rps": len(texts) / sum(latencies),
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))] * 1000,
        "predictions": predictions,
    }


def serve(peer_name: str, corpora: dict[str, list[dict[str, Any]]]) -> None:
    """Child process: build one peer, then run the passes the parent asks for.

    Commands arrive one JSON object a line on stdin ({"pass": "single"|"batch",
    "corpus": name} or {"pass": "done"}); each answer is one JSON line on stdout.
    The parent alternates the two peers' passes, so both meet the same load.
    """
    start = time.perf_counter()
    peer = build_stock() if peer_name == "stock" else build_caseguard()
    _answer({"build_s": time.perf_counter() - start})
    singles: dict[str, list[Prediction]] = {}
    for line in sys.stdin:
        command = json.loads(line)
        if command["pass"] == "done":
            # Linux reports ru_maxrss in kilobytes.
            _answer({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
            return
        gold = corpora[command["corpus"]]
        texts = [item["text"] for item in gold]
        languages = [item["language"] for item in gold]
        if command["pass"] == "single":
            figures = single_pass(peer, texts, languages)
            singles[command["corpus"]] = figures["predictions"]
            _answer(figures)
        else:
            began = time.perf_counter()
            batched = peer.batch(texts, languages)
            seconds = time.perf_counter() - began
            single = singles.get(command["corpus"], batched)
            differs = sum(a != b for a, b in zip(single, batched, strict=True))
            _answer({"seconds": seconds, "differs": differs})


def _answer(figures: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(figures, ensure_ascii=False) + "\n")
    sys.stdout.flush()


class PeerProcess:
    """A peer serving passes in its own child process (this script with ``--peer``)."""

    def __init__(self, peer: str, args: argparse.Namespace) -> None:
        command = [sys.executable, str(Path(__file__).resolve()), "--peer", peer]
        command += ["--corpus", *args.corpus]
        if args.limit is not None:
            command += ["--limit", str(args.limit)]
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.build_s = float(self._read()["build_s"])

    def run(self, kind: str, corpus: str = "") -> dict[str, Any]:
        """Ask for one pass and wait for its figures."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"pass": kind, "corpus": corpus}) + "\n")
        self.process.stdin.flush()
        return self._read()

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"benchmark child exited with {self.process.wait()}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def finish(self) -> float:
        """Stop the child; its peak memory in MB."""
        peak = float(self.run("done")["peak_rss_mb"])
        self.process.wait()
        return peak


def measure_all(args: argparse.Namespace, corpora: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Both peers on every corpus, their passes alternating (order swapped each round)."""
    processes = {}
    for peer in PEERS:
        print(f"building {LABELS[peer]} ...", file=sys.stderr, flush=True)
        processes[peer] = PeerProcess(peer, args)
    figures: dict[str, dict[str, Any]] = {
        peer: {"build_s": processes[peer].build_s, "corpora": {}} for peer in PEERS
    }
    for name in corpora:
        print(f"measuring {len(corpora[name])} {name} texts ...", file=sys.stderr, flush=True)
        for peer in PEERS:
            figures[peer]["corpora"][name] = processes[peer].run("single", name)
            figures[peer]["corpora"][name].update(batch_rps=0.0, batch_differs=0)
        for round_ in range(args.repeat):
            for peer in PEERS if round_ % 2 == 0 else PEERS[::-1]:
                done = processes[peer].run("batch", name)
                cell = figures[peer]["corpora"][name]
                # The fastest batched pass counts: other work on the machine only
                # ever slows a pass down, so the best of several is the steadiest.
                cell["batch_rps"] = max(cell["batch_rps"], len(corpora[name]) / done["seconds"])
                cell["batch_differs"] = max(cell["batch_differs"], done["differs"])
    for peer in PEERS:
        figures[peer]["peak_rss_mb"] = processes[peer].finish()
    return figures


# -- scoring and reporting (parent process) -----------------------------------------


def score(gold: list[dict[str, Any]], predictions: list[Prediction]) -> Evaluation:
    """Score one peer's output exactly as ``python -m anonymise eval`` does."""
    outputs = [
        PeerOutput(text, [Redaction(*span) for span in spans], item["language"])
        for item, (text, spans) in zip(gold, predictions, strict=True)
    ]
    return score_outputs(gold, outputs)


def _cell(found: int, total: int) -> str:
    return f"{found / total:.3f} ({found}/{total})" if total else "–"


def quality_rows(label: str, gold: list[dict[str, Any]], result: Evaluation) -> list[str]:
    """Recall, precision, leaks and keep rate per language and overall."""
    language_of = {str(item["id"]): item["language"] for item in gold}
    leaks: dict[str | None, int] = {None: result.leaks}
    for leaked in result.leaked_ids:
        leaks[language_of[leaked]] = leaks.get(language_of[leaked], 0) + 1
    rows = []
    for language in [*result.languages(), None]:
        recall = result.overall("recall", language)
        precision = result.overall("precision", language)
        keep = result.keep_rate(language)
        rows.append(
            f"| {label} | {language or 'all'} | {_cell(recall.found, recall.total)} | "
            f"{_cell(precision.found, precision.total)} | {leaks.get(language, 0)} | "
            f"{_cell(keep.found, keep.total)} |"
        )
    return rows


def type_rows(results: dict[str, Evaluation]) -> list[str]:
    """Recall per language and gold entity type, both peers side by side."""
    stock, ours = results["stock"], results["caseguard"]
    rows = [
        "| language | type | gold | stock Presidio recall | caseguard recall |",
        "|---|---|---|---|---|",
    ]
    for language, kind in sorted(ours.recall):
        theirs, mine = stock.recall[(language, kind)], ours.recall[(language, kind)]
        rows.append(
            f"| {language} | {kind} | {mine.total} | {_cell(theirs.found, theirs.total)} | "
            f"{_cell(mine.found, mine.total)} |"
        )
    return rows


def speed_rows(figures: dict[str, dict[str, Any]], corpus: str) -> list[str]:
    """Throughput and latency of both peers on one corpus, and their ratio."""
    rows = [
        "| peer | single rec/s | batched rec/s | single p50 / p95 |",
        "|---|---|---|---|",
    ]
    for peer in PEERS:
        cell = figures[peer]["corpora"][corpus]
        rows.append(
            f"| {LABELS[peer]} | {cell['single_rps']:.1f} | {cell['batch_rps']:.1f} | "
            f"{cell['p50_ms']:.1f} / {cell['p95_ms']:.1f} ms |"
        )
    stock, ours = figures["stock"]["corpora"][corpus], figures["caseguard"]["corpora"][corpus]
    ratio = ours["batch_rps"] / stock["batch_rps"]
    target = ""
    if corpus == TARGET_CORPUS:
        verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
        target = f" (target ≥ {TARGET_RATIO:.0f}×: {verdict})"
    rows += [
        "",
        f"- batched throughput, caseguard / stock: **{ratio:.2f}×**{target}",
        f"- single-record throughput, caseguard / stock: "
        f"**{ours['single_rps'] / stock['single_rps']:.2f}×**; p50 latency "
        f"{ours['p50_ms'] / stock['p50_ms']:.2f}× stock's",
    ]
    for peer in PEERS:
        differs = figures[peer]["corpora"][corpus]["batch_differs"]
        if differs:
            rows.append(
                f"- note: {LABELS[peer]}'s batched output differed from its single-record "
                f"output on {differs} texts"
            )
    return rows


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
    "rate is the share of the clinical terms (the gold `keep` spans, or the "
    "allow-list's matches outside gold identifiers) not touched by any redaction. "
    "Single-record figures call the peer once per text, one pass (stock: "
    "`analyze` + `anonymize`; caseguard: `scrub`); batched figures use "
    f"`BatchAnalyzerEngine.analyze_iterator(batch_size={BATCH_SIZE})` then "
    "`anonymize` per text, and `Scrubber.scrub_batch` on the whole corpus; the "
    "batched rate is the fastest of the timed passes, which alternate between the "
    "peers. Each peer runs in its own "
    f"process, is warmed up on {WARMUP} texts of each corpus before timing, and its "
    "peak memory is that process's maximum RSS; build time includes importing "
    "Presidio and loading the models."
)


def corpus_section(
    name: str,
    gold: list[dict[str, Any]],
    figures: dict[str, dict[str, Any]],
) -> list[str]:
    """Quality per language and type, and speed, of both peers on one corpus."""
    languages = [item["language"] for item in gold]
    seen = ", ".join(f"{languages.count(lang)} {lang}" for lang in sorted(set(languages)))
    results = {}
    for peer in PEERS:
        predictions = [
            (text, [(start, end, kind) for start, end, kind in spans])
            for text, spans in figures[peer]["corpora"][name]["predictions"]
        ]
        results[peer] = score(gold, predictions)
    quality = [
        "| peer | language | recall | precision | verbatim leaks | clinical keep rate |",
        "|---|---|---|---|---|---|",
    ]
    for peer in PEERS:
        quality += quality_rows(LABELS[peer], gold, results[peer])
    heading = f"### {name}: `{_relative(CORPORA[name])}`"
    return [
        f"{heading} ({DESCRIPTIONS[name]}; {len(gold)} texts: {seen})",
        "",
        *speed_rows(figures, name),
        "",
        *quality,
        "",
        *type_rows(results),
        "",
    ]


def main() -> None:
    """Run both peers, print the comparison and record it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="use the first N texts of each")
    parser.add_argument("--repeat", type=int, default=3, help="batched timing passes")
    parser.add_argument(
        "--corpus", nargs="+", choices=list(CORPORA), default=list(CORPORA), help="corpora to run"
    )
    parser.add_argument("--no-write", action="store_true", help="do not update docs/BENCHMARKS.md")
    parser.add_argument("--peer", choices=PEERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.repeat < 1 or (args.limit is not None and args.limit < 1):
        parser.error("--limit and --repeat must be at least 1")

    corpora = {name: load_gold(CORPORA[name])[: args.limit] for name in args.corpus}

    if args.peer:  # child process: serve one peer's passes
        serve(args.peer, corpora)
        return

    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    figures = measure_all(args, corpora)

    body: list[str] = []
    for name, gold in corpora.items():
        body += corpus_section(name, gold, figures)
    build = [
        "| peer | build | peak RSS |",
        "|---|---|---|",
        *(
            f"| {LABELS[p]} | {figures[p]['build_s']:.1f} s | {figures[p]['peak_rss_mb']:.0f} MB |"
            for p in PEERS
        ),
    ]
    section = "\n".join(
        [
            SECTION,
            "",
            f"Measured {dt.date.today()} on {machine()}. Stock Presidio "
            f"{_version('presidio_analyzer')}, spaCy {_version('spacy')}; {args.repeat} "
            f"batched timing pass(es) per corpus, {time.perf_counter() - began:.0f} s in all. "
            f"1-minute load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} "
            "after the run (the machine is shared: timings are only comparable within "
            "one run, as ratios).",
            "",
            *build,
            "",
            *body,
            COUNTING,
            "",
        ]
    )
    print(section)
    if not args.no_write:
        report.write_section(SECTION, section)


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
