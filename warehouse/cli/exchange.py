"""``caseguard export``, ``caseguard bundle export|import`` and ``caseguard import``.

Thin commands over :mod:`warehouse.export.release`, :mod:`warehouse.exchange.bundles` and
:mod:`warehouse.exchange.legacy_import`, with a rich progress bar on stderr. They run as the
operator's coordinator session, like ``init`` and ``demo``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from warehouse.cli.options import database, db_option, friendly
from warehouse.store.progress import Progress


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A rich progress bar (on stderr, cleared at the end) as a progress callback."""
    from rich.console import Console
    from rich.progress import Progress as Bar

    with Bar(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("starting", total=1)

        def update(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=max(total, 1))

        yield update


def limit_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The input caps of an import (bundle or legacy file), each overridable."""
    from warehouse.exchange.limits import MB, InputLimits

    default = InputLimits()
    options = [
        ("--max-file-mb", default.max_file_bytes // MB, "Largest file accepted, in MB."),
        (
            "--max-uncompressed-mb",
            default.max_uncompressed_bytes // MB,
            "Largest total a zip may unpack to, in MB.",
        ),
        ("--max-member-mb", default.max_member_bytes // MB, "Largest zip member, in MB."),
        ("--max-rows", default.max_rows, "Most rows per table or sheet."),
    ]
    for flag, value, text in reversed(options):
        func = click.option(
            flag, default=value, show_default=True, type=click.IntRange(1), help=text
        )(func)
    return func


def limits_from(kwargs: dict[str, Any]) -> Any:
    """The :class:`InputLimits` given by :func:`limit_options` (popped from ``kwargs``)."""
    from warehouse.exchange.limits import MB, InputLimits

    return InputLimits(
        max_file_bytes=kwargs.pop("max_file_mb") * MB,
        max_uncompressed_bytes=kwargs.pop("max_uncompressed_mb") * MB,
        max_member_bytes=kwargs.pop("max_member_mb") * MB,
        max_rows=kwargs.pop("max_rows"),
    )


@click.command("export")
@db_option
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="A new directory.")
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv", "xlsx"]), default="parquet")
@click.option("--k", default=5, show_default=True, type=click.IntRange(1, 1000))
@click.option("--dates", type=click.Choice(["shifted", "study-day"]), default="shifted")
@click.option("--sdtm", is_flag=True, help="Also write CDISC SDTM domains under sdtm/.")
@click.option(
    "--max-suppression",
    default=0.05,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Refuse if k-anonymity would suppress more than this share of subjects.",
)
@click.option("--force", is_flag=True, help="Export even if more would be suppressed.")
@click.option(
    "--weights",
    default="",
    help="Utility weights overriding the reference data, e.g. subtype=5,area=1.",
)
@click.option(
    "--pin",
    multiple=True,
    help="Keep a quasi-identifier at a level (name or number), e.g. --pin 'age=fine age band'.",
)
@click.option("--dry-run", is_flag=True, help="Print what would be released; write nothing.")
@click.option(
    "--verified-only",
    is_flag=True,
    help="Only subjects whose casebook is signed and every record verified against source.",
)
@friendly
def export_command(
    db_path: Path | None,
    out_dir: Path | None,
    fmt: str,
    k: int,
    dates: str,
    sdtm: bool,
    max_suppression: float,
    force: bool,
    weights: str,
    pin: tuple[str, ...],
    dry_run: bool,
    verified_only: bool,
) -> None:
    """Write a pooled, k-anonymous export (consenting subjects only) to a new directory."""
    from warehouse.export.disclosure import parse_assignments
    from warehouse.export.preview import preview, summary_lines
    from warehouse.export.release import ExportOptions, export_pooled
    from warehouse.store.access import system_session

    pins = [parse_assignments(p, "--pin", split=False) for p in pin]
    options = ExportOptions(
        fmt, k, dates, sdtm, max_suppression, force,
        weights=tuple(parse_assignments(weights, "--weights").items()),
        pins=tuple((n, v) for one in pins for n, v in one.items()),
        verified_only=verified_only,
    )  # fmt: skip
    session = system_session(database(db_path), "export")
    if dry_run:
        for line in summary_lines(preview(session, options)):
            click.echo(line)
        return
    if out_dir is None:
        raise click.UsageError("--out is required (or use --dry-run)")
    with progress_bar() as update:
        result = export_pooled(session, out_dir, options, update)
    d, x = result.disclosure, result.excluded
    click.echo(
        f"exported {d['subjects_released']} subjects to {result.out_dir} "
        f"({x['excluded']} excluded: {x['no_pooled_research_consent']} without pooled-research "
        f"consent, {x['withdrawn']} withdrawn, {x['no_consent_record']} without consent record; "
        f"{d['subjects_suppressed']} suppressed for k={k}, smallest class {d['smallest_class']})"
    )
    for line in summary_lines(d):
        click.echo(f"  {line}")
    review = result.manifest["review"]
    click.echo(
        f"review: {review['rows_verified']} of {review['rows']} exported records verified "
        f"against source, {review['rows_signed']} in signed casebooks"
        + (" (verified and signed subjects only)" if verified_only else "")
    )
    click.echo(f"manifest sha256 {result.manifest_sha256}")


@click.group("bundle")
def bundle() -> None:
    """Site bundles for centres that capture offline."""


@bundle.command("export")
@db_option
@click.option("--site", "site_code", required=True, help="Site code, e.g. MSK.")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
@friendly
def bundle_export(db_path: Path | None, site_code: str, out_file: Path) -> None:
    """Write one site's pseudonymised records to a signed bundle file (whole or not at all)."""
    from warehouse.exchange.bundles import export_bundle
    from warehouse.store.access import system_session
    from warehouse.store.site_keys import spoken

    session = system_session(database(db_path), "bundle-export")
    with progress_bar() as update:
        summary = export_bundle(session, site_code, out_file, update)
    click.echo(
        f"bundle of site {site_code}: {summary.rows['subjects']} subjects, "
        f"{sum(summary.rows.values())} rows, signed by key {spoken(summary.key_fingerprint)[:19]}"
        f"..., payload {summary.payload_sha256[:16]} -> {out_file}"
    )


@bundle.command("import")
@db_option
@click.argument("bundle_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@limit_options
@friendly
def bundle_import(db_path: Path | None, bundle_file: Path, **caps: Any) -> None:
    """Import a site bundle: signature verified, validated, all or nothing, idempotent."""
    from warehouse.exchange.bundles import import_bundle
    from warehouse.store.access import system_session
    from warehouse.store.site_keys import spoken

    session = system_session(database(db_path), "bundle-import")
    with progress_bar() as update:
        summary = import_bundle(session, bundle_file, update, limits_from(caps))
    if summary.already_imported:
        click.echo(f"bundle {summary.payload_sha256[:16]} was already imported: nothing changed")
        return
    click.echo(
        f"site {summary.site_code}: {sum(summary.inserted.values())} rows added, "
        f"{sum(summary.updated.values())} updated; signature verified with key "
        f"{spoken(summary.key_fingerprint)[:19]}..."
    )


@click.command("import")
@db_option
@click.argument(
    "file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--site", "site_code", help="Site of every row (else a site_code column).")
@click.option("--dry-run", is_flag=True, help="Check and report only; write nothing.")
@click.option(
    "--template",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the import template (XLSX) to this file instead of importing.",
)
@limit_options
@friendly
def import_command(
    db_path: Path | None,
    file: Path | None,
    site_code: str | None,
    dry_run: bool,
    template: Path | None,
    **caps: Any,
) -> None:
    """Import a legacy CSV/XLSX file (pseudonymised, shifted, scrubbed), or write the template."""
    from schemas.errors import CaseguardError

    if template is not None:
        from warehouse.exchange.legacy_sheets import write_template

        click.echo(f"template written to {write_template(template)}")
        return
    if file is None:
        raise CaseguardError("name the file to import (or use --template OUT.xlsx)")
    from warehouse.exchange.legacy_import import import_legacy
    from warehouse.store.access import system_session

    session = system_session(database(db_path), "import")
    with progress_bar() as update:
        result = import_legacy(session, file, site_code, dry_run, update, limits_from(caps))
    rows = ", ".join(f"{t.replace('_', ' ')}: {n}" for t, n in result.rows.items() if n)
    verb = "would import" if dry_run else "imported"
    present = (
        f"; {result.already_present} already present with the same values, left as they were"
        if result.already_present
        else ""
    )
    click.echo(
        f"{verb} {result.subjects} subjects ({rows}); {result.texts_scrubbed} texts scrubbed"
        + present
    )


def register(main: click.Group) -> None:
    """Add the exchange commands to the ``caseguard`` group."""
    main.add_command(export_command, "export")
    main.add_command(bundle, "bundle")
    main.add_command(import_command, "import")
