"""Command line: ``python -m anonymise scrub IN.jsonl OUT.jsonl`` and ``eval GOLD.jsonl``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from schemas.errors import CaseguardError


@click.group()
def main() -> None:
    """caseguard free-text scrubber (Russian and English, offline)."""


@main.command("scrub")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def scrub_command(source: Path, target: Path) -> None:
    """Scrub IN.jsonl ({"id","text","language"?}) into OUT.jsonl."""
    from anonymise.scrub_file import scrub_file

    try:
        count = scrub_file(source, target)
    except CaseguardError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"scrubbed {count} texts into {target}", err=True)


@main.command("eval")
@click.argument("gold", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--show-errors",
    default=0,
    show_default=True,
    help="How many misses to list per type (20 unless given) and false positives to list.",
)
def eval_command(gold: Path, show_errors: int) -> None:
    """Evaluate the scrubber against a gold JSON-lines file."""
    from anonymise.evaluation import evaluate, load_gold, report

    try:
        result = evaluate(load_gold(gold))
    except CaseguardError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(report(result, show_errors))


if __name__ == "__main__":
    sys.exit(main())
