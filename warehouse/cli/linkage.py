"""``caseguard linkage init|export-key|import-key|run``: record linkage across centres.

The linkage key is the study's, held by every site and never by the coordinator:
``init`` makes it once (at the first site), ``export-key --out FILE`` writes it for the
next site, ``import-key FILE`` installs it there. ``run`` is the coordinator's: it scores
the pooled tokens with Splink and stores the pairs for review; ``--out`` also writes them
as CSV (pseudonyms, scores and the names of agreeing fields, never values).
"""

from __future__ import annotations

from pathlib import Path

import click

from warehouse.cli.options import database, db_option, friendly


@click.group()
def linkage() -> None:
    """Record linkage: the study-wide linkage key and scoring candidate pairs."""


@linkage.command("init")
@db_option
@friendly
def linkage_init(db_path: Path | None) -> None:
    """Create the study's linkage key (once, at the first site; never replaced)."""
    keys = database(db_path, must_exist=False).keys
    if keys.has_linkage_key():
        click.echo(f"linkage key already present at {keys.linkage_key_path} (kept as it is)")
        return
    path = keys.create_linkage_key()
    click.echo(f"linkage key created at {path} (secret; give it to each site, never to the")
    click.echo("coordinator's warehouse: caseguard linkage export-key --out FILE)")


@linkage.command("export-key")
@db_option
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
@friendly
def linkage_export_key(db_path: Path | None, out_file: Path) -> None:
    """Write the linkage key to a new file (mode 0600) for another site."""
    path = database(db_path, must_exist=False).keys.export_linkage_key(out_file)
    click.echo(f"linkage key written to {path} (secret: carry it like a site key)")


@linkage.command("import-key")
@click.argument("key_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
@friendly
def linkage_import_key(key_file: Path, db_path: Path | None) -> None:
    """Install the study's linkage key at this site (the same key again is harmless)."""
    path = database(db_path, must_exist=False).keys.import_linkage_key(key_file)
    click.echo(f"linkage key installed at {path}; delete {key_file} once copied safely")


@linkage.command("run")
@db_option
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help="Match probability to keep a pair (default: schemas/reference/linkage.yaml).",
)
@friendly
def linkage_run(db_path: Path | None, out_file: Path | None, threshold: float | None) -> None:
    """Score candidate pairs across and within centres and store them for review."""
    from warehouse.linkage.run import run_linkage, stored_pairs, write_pairs_csv
    from warehouse.store.access import system_session

    session = system_session(database(db_path), "linkage-run")
    summary = run_linkage(session, threshold)
    click.echo(
        f"{summary.subjects} subjects with tokens: {summary.pairs} pair(s) at match "
        f"probability >= {summary.threshold:g} ({summary.cross_centre} across centres) "
        f"in {summary.seconds:.1f} s"
    )
    if out_file:
        write_pairs_csv(stored_pairs(session), out_file)
        click.echo(f"pairs written to {out_file}")


def register(main: click.Group) -> None:
    """Add the linkage commands to the ``caseguard`` group."""
    main.add_command(linkage, "linkage")
