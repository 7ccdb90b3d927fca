"""The scrubber's command-line contract, run as a user runs it: a subprocess.

``python -m anonymise scrub IN.jsonl OUT.jsonl`` and ``python -m anonymise eval GOLD.jsonl``
(and ``caseguard scrub``). Every process loads the models (3-4 s of CPU), so the
subprocess runs of this module are started together once and the tests read their
results; the long tail of malformed-input variants goes through the same click
command in-process (click's CliRunner), reusing this process's scrubber.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from anonymise.__main__ import main as anonymise_main

ROOT = Path(__file__).resolve().parents[2]
CASEGUARD = Path(sys.executable).parent / "caseguard"
TIMEOUT = 240

# --- inputs --------------------------------------------------------------------------

GOOD = [
    {
        "id": "ru-1",
        "text": "Пациент Иванов Пётр Сергеевич, тел. +7 912 345-67-89. Введён Спинраза 12 мг.",
    },
    {
        "id": 2,
        "text": "Patient John Smith, phone +44 20 7946 0958. CHOP INTEND 34.",
        "language": "en",
    },
    {"id": "empty", "text": ""},
    {
        "id": 4,
        "text": "СНИЛС 112-233-445 95, осмотр 12.03.2019.",
        "language": "ru",
        "date_shift_days": 30,
    },
    {
        "id": "mixed",
        "text": "Mother: Иванова Ольга, email mary.smith@example.org",
        "language": "auto",
    },
    {"id": 6, "text": "HFMSE 34, RULM 20, SMN2: 3 копии."},
]
GOOD_IDENTIFIERS = [
    "Иванов",
    "+7 912 345-67-89",
    "John Smith",
    "+44 20 7946 0958",
    "112-233-445 95",
    "Ольга",
]

# Two good lines full of identifiers, then a bad third line (and a good fourth).
SECRET_LINES = [
    json.dumps(
        {"id": 1, "text": "Смирнова Анна Павловна, тел. +7 912 345-67-89"}, ensure_ascii=False
    ),
    json.dumps({"id": 2, "text": "Kuznetsova Maria, mary.k@example.org"}, ensure_ascii=False),
]
SECRETS = [
    "Смирнова",
    "Анна",
    "Павловна",
    "345-67-89",
    "Kuznetsova",
    "mary.k@example.org",
    "Тарасов",
    "223-445",
]
LAST_LINE = json.dumps({"id": 4, "text": "ok"})
MALFORMED = {
    "bad_json": '{"id": 3, "text": "Тарасов Олег, СНИЛС 112-223-445 95"',
    "not_an_object": '["Тарасов Олег", "112-223-445 95"]',
    "missing_text": '{"id": 3, "txt": "Тарасов Олег, СНИЛС 112-223-445 95"}',
    "text_wrong_type": '{"id": 3, "text": ["Тарасов Олег", "112-223-445 95"]}',
    "id_wrong_type": '{"id": ["Тарасов"], "text": "СНИЛС 112-223-445 95"}',
    "id_bool": '{"id": true, "text": "Тарасов Олег"}',
    "empty_line": "",
    "blank_line": "   \t",
    "bad_language": '{"id": 3, "text": "Тарасов Олег", "language": "de"}',
    "bad_shift": '{"id": 3, "text": "Тарасов Олег 12.03.2019", "date_shift_days": "30"}',
}

SUBPROCESS_MALFORMED = ("bad_json",)

# A tiny gold file whose figures are known in advance.
GOLD_RU = "Пациент Иванов Пётр Сергеевич, СНИЛС 112-233-445 95. Введён Спинраза."
GOLD_EN_1 = "Patient John Smith, phone +44 20 7946 0958. CHOP INTEND 34."
GOLD_EN_2 = "Code word bluebird was used."  # a "gold identifier" no scrubber can know
GOLD_EN_3 = "Contact mary@example.org for copies."  # an e-mail the gold does not label


def _span(text: str, part: str, kind: str | None = None) -> dict[str, Any]:
    start = text.index(part)
    span: dict[str, Any] = {"start": start, "end": start + len(part)}
    if kind:
        span["type"] = kind
    return span


GOLD = [
    {
        "id": "g-ru",
        "text": GOLD_RU,
        "language": "ru",
        "spans": [
            _span(GOLD_RU, "Иванов Пётр Сергеевич", "PERSON"),
            _span(GOLD_RU, "112-233-445 95", "ID"),
        ],
        "keep": [_span(GOLD_RU, "Спинраза")],
    },
    {
        "id": "g-en-1",
        "text": GOLD_EN_1,
        "language": "en",
        "spans": [
            _span(GOLD_EN_1, "John Smith", "PERSON"),
            _span(GOLD_EN_1, "+44 20 7946 0958", "PHONE"),
        ],
        "keep": [_span(GOLD_EN_1, "CHOP INTEND")],
    },
    {
        "id": "g-en-2",
        "text": GOLD_EN_2,
        "language": "en",
        "spans": [_span(GOLD_EN_2, "bluebird", "ID")],
        "keep": [],
    },
    {"id": 7, "text": GOLD_EN_3, "language": "en", "spans": [], "keep": []},
]


# --- running everything at once ------------------------------------------------------


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    out_dir: Path


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Start every command of this module in parallel; wait for all of them."""
    root = tmp_path_factory.mktemp("cli")
    commands: dict[str, tuple[list[str], Path]] = {}

    source = _write_lines(
        root / "in.jsonl", [json.dumps(item, ensure_ascii=False) for item in GOOD]
    )
    out_dir = root / "scrub"
    commands["scrub"] = (
        [sys.executable, "-m", "anonymise", "scrub", str(source), str(out_dir / "out.jsonl")],
        out_dir,
    )
    out_dir = root / "caseguard"
    commands["caseguard"] = (
        [str(CASEGUARD), "scrub", str(source), str(out_dir / "out.jsonl")],
        out_dir,
    )
    for name in SUBPROCESS_MALFORMED:
        source = _write_lines(root / f"{name}.jsonl", [*SECRET_LINES, MALFORMED[name], LAST_LINE])
        out_dir = root / name
        out_dir.mkdir()
        commands[name] = (
            [sys.executable, "-m", "anonymise", "scrub", str(source), str(out_dir / "out.jsonl")],
            out_dir,
        )
    gold = _write_lines(
        root / "gold.jsonl", [json.dumps(item, ensure_ascii=False) for item in GOLD]
    )
    commands["eval"] = (
        [sys.executable, "-m", "anonymise", "eval", str(gold), "--show-errors", "5"],
        root,
    )

    def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603
            argv,
            cwd=ROOT,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=TIMEOUT,
            check=False,
        )

    # A few at a time: each process holds ~0.5 GB of models and is CPU-bound.
    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(run, argv) for name, (argv, _) in commands.items()}
        done = {name: future.result() for name, future in futures.items()}
    return {
        name: Run(p.returncode, p.stdout, p.stderr, commands[name][1]) for name, p in done.items()
    }


def _read_output(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


# --- scrub ---------------------------------------------------------------------------


def test_scrub_writes_one_line_per_input_line_in_order(runs: dict[str, Run]) -> None:
    run = runs["scrub"]
    assert run.returncode == 0, run.stderr
    output = _read_output(run.out_dir / "out.jsonl")
    assert [line["id"] for line in output] == [item["id"] for item in GOOD]  # ints stay ints
    assert all(set(line) == {"id", "text", "entities"} for line in output)
    for line in output:
        for entity in line["entities"]:
            assert set(entity) == {"start", "end", "type", "score"}
            assert isinstance(entity["start"], int) and isinstance(entity["end"], int)
            assert isinstance(entity["score"], float) and 0 < entity["score"] <= 1
    assert "scrubbed 6 texts" in run.stderr


def test_scrub_removes_identifiers_and_keeps_clinical_text(runs: dict[str, Run]) -> None:
    output = _read_output(runs["scrub"].out_dir / "out.jsonl")
    everything = "\n".join(line["text"] for line in output)
    for identifier in GOOD_IDENTIFIERS:
        assert identifier not in everything
    for term in ("Спинраза 12 мг", "CHOP INTEND 34", "HFMSE 34, RULM 20, SMN2: 3 копии."):
        assert term in everything
    by_id = {line["id"]: line for line in output}
    assert by_id["empty"] == {"id": "empty", "text": "", "entities": []}
    assert by_id[4]["text"] == "СНИЛС [ID], осмотр 11.04.2019."  # the line's date shift


def test_scrub_offsets_point_into_the_original_text(runs: dict[str, Run]) -> None:
    output = _read_output(runs["scrub"].out_dir / "out.jsonl")
    for item, line in zip(GOOD, output, strict=True):
        text, cursor, rebuilt = item["text"], 0, []
        for entity in line["entities"]:
            assert cursor <= entity["start"] < entity["end"] <= len(text)
            rebuilt += [text[cursor : entity["start"]], f"[{entity['type']}]"]
            cursor = entity["end"]
        rebuilt.append(text[cursor:])
        if "date_shift_days" not in item:
            assert "".join(rebuilt) == line["text"]
    first = output[0]
    spans = {GOOD[0]["text"][e["start"] : e["end"]]: e["type"] for e in first["entities"]}
    assert spans == {"Иванов Пётр Сергеевич": "PERSON", "+7 912 345-67-89": "PHONE"}


def test_scrub_leaves_nothing_but_the_output_file(runs: dict[str, Run]) -> None:
    assert [p.name for p in runs["scrub"].out_dir.iterdir()] == ["out.jsonl"]


def _assert_refused(returncode: int, stdout: str, stderr: str, out_dir: Path) -> None:
    assert returncode != 0
    assert "line 3" in stderr
    assert "Traceback" not in stderr
    assert list(out_dir.iterdir()) == []  # neither OUT nor a temporary file
    leaked = [secret for secret in SECRETS if secret in stderr or secret in stdout]
    assert not leaked, stderr


@pytest.mark.parametrize("case", SUBPROCESS_MALFORMED)
def test_malformed_line_fails_naming_the_line_and_writes_nothing(
    runs: dict[str, Run], case: str
) -> None:
    run = runs[case]
    _assert_refused(run.returncode, run.stdout, run.stderr, run.out_dir)


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_every_malformed_line_kind_is_refused(tmp_path: Path, case: str) -> None:
    source = _write_lines(tmp_path / "in.jsonl", [*SECRET_LINES, MALFORMED[case], LAST_LINE])
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = CliRunner().invoke(anonymise_main, ["scrub", str(source), str(out_dir / "out.jsonl")])
    assert isinstance(result.exception, SystemExit), result.exception  # a refusal, not a crash
    _assert_refused(result.exit_code, result.stdout, result.stderr, out_dir)
    assert result.stderr.strip().startswith("Error: line 3:")


def test_lone_surrogate_escape_is_scrubbed_not_a_crash(tmp_path: Path) -> None:
    source = _write_lines(tmp_path / "in.jsonl", ['{"id": 1, "text": "Тарасов \\ud800 Олег"}'])
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(anonymise_main, ["scrub", str(source), str(out)])
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text(encoding="utf-8"))
    assert "Тарасов" not in record["text"] and "Олег" not in record["text"]
    assert "\ud800" not in record["text"]  # valid text out, whatever came in


def test_missing_input_file_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        anonymise_main, ["scrub", str(tmp_path / "nope.jsonl"), str(tmp_path / "out.jsonl")]
    )
    assert result.exit_code != 0
    assert "nope.jsonl" in result.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_caseguard_console_script_scrubs_the_same(runs: dict[str, Run]) -> None:
    run = runs["caseguard"]
    assert run.returncode == 0, run.stderr
    expected = (runs["scrub"].out_dir / "out.jsonl").read_text(encoding="utf-8")
    assert (run.out_dir / "out.jsonl").read_text(encoding="utf-8") == expected


# --- eval ----------------------------------------------------------------------------


def _figure(report: str, section: str, language: str, kind: str) -> tuple[float, int, int]:
    """(rate, found, total) of one line of a report section."""
    body = report.split(section, 1)[1].split("\n\n", 1)[0]
    pattern = rf"^\s+{language}\s+{re.escape(kind)}\s+([\d.]+)\s+\((\d+)/(\d+)\)$"
    match = re.search(pattern, body, re.MULTILINE)
    assert match, (section, language, kind, body)
    return float(match.group(1)), int(match.group(2)), int(match.group(3))


def test_eval_prints_recall_and_precision_per_type_and_language(runs: dict[str, Run]) -> None:
    run = runs["eval"]
    assert run.returncode == 0, run.stderr
    report = run.stdout
    assert "texts: 4" in report
    recall = "recall (gold identifiers redacted)"
    assert _figure(report, recall, "ru", "PERSON") == (1.0, 1, 1)
    assert _figure(report, recall, "ru", "ID") == (1.0, 1, 1)
    assert _figure(report, recall, "ru", "ALL") == (1.0, 2, 2)
    assert _figure(report, recall, "en", "PERSON") == (1.0, 1, 1)
    assert _figure(report, recall, "en", "PHONE") == (1.0, 1, 1)
    assert _figure(report, recall, "en", "ID") == (0.0, 0, 1)  # "bluebird" is missed
    assert _figure(report, recall, "en", "ALL")[1:] == (2, 3)
    precision = "precision (redactions that hit an identifier)"
    assert _figure(report, precision, "ru", "ALL") == (1.0, 2, 2)
    assert _figure(report, precision, "en", "PERSON") == (1.0, 1, 1)
    assert _figure(report, precision, "en", "EMAIL") == (0.0, 0, 1)  # not labelled in the gold
    assert _figure(report, precision, "en", "ALL")[1:] == (2, 3)


def test_eval_prints_leaks_and_clinical_keep_rate(runs: dict[str, Run]) -> None:
    report = runs["eval"].stdout
    assert "verbatim leaks: 1" in report  # "bluebird" is still in the output
    kept = report.split("clinical terms kept", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"^\s+ru\s+1\.0000\s+\(1/1\)$", kept, re.MULTILINE), kept
    assert re.search(r"^\s+en\s+1\.0000\s+\(1/1\)$", kept, re.MULTILINE), kept
    # the miss is listed under its type, marked as a leak, and in the list of leaks
    misses = report.split("missed identifiers per type", 1)[1]
    assert "  ID: 1 missed\n    LEAK g-en-2: 'bluebird'" in misses
    assert "verbatim leaks (id, type, text):\n  g-en-2: ID 'bluebird'" in misses
    assert "(7, 'EMAIL', 'mary@example.org')" in report  # ... and the false positive
