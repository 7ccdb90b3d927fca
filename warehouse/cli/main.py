"""The ``caseguard`` command line: thin commands over the library.

Each command opens the database, calls one library function and prints the result;
a :class:`CaseguardError` becomes one clear line on stderr and exit status 1.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from anonymise.__main__ import scrub_command
from warehouse.cli.exchange import register as register_exchange
from warehouse.cli.linkage import register as register_linkage
from warehouse.cli.options import database, db_option, friendly
from warehouse.cli.reporting import register as register_reporting
from warehouse.cli.review import register as register_review
from warehouse.cli.sites import register as register_sites
from warehouse.cli.users import users
from warehouse.store.db import KEEP_OPEN_ENV

APP_FILE = Path(__file__).resolve().parents[2] / "capture_app.py"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="caseguard")
def main() -> None:
    """caseguard: case-report capture, pseudonymisation and safety analysis."""


@main.command()
@db_option
@friendly
def init(db_path: Path | None) -> None:
    """Create the database or bring it up to date (safe to repeat)."""
    from warehouse.store.access import system_session
    from warehouse.store.admin import sync_products
    from warehouse.store.migrations import migrate

    db = database(db_path, must_exist=False)
    applied = migrate(db)
    products = sync_products(system_session(db, "init"))
    click.echo(f"{db.path}: {len(applied)} migration(s) applied, {products} products loaded")


@main.command()
@db_option
@click.option("--subjects", default=300, show_default=True, type=click.IntRange(0, 2_000_000))
@click.option("--seed", default=20261121, show_default=True, type=int)
@friendly
def demo(db_path: Path | None, subjects: int, seed: int) -> None:
    """Create demo centres, accounts, site keys and synthetic subjects."""
    from rich.progress import Progress

    from warehouse.demo.build import create_demo
    from warehouse.store.migrations import migrate

    db = database(db_path, must_exist=False)
    migrate(db)
    started = time.perf_counter()
    with Progress(transient=True) as bar:
        task = bar.add_task("demo subjects", total=subjects)
        summary = create_demo(
            db, subjects, seed, progress=lambda done, _total: bar.update(task, completed=done)
        )
    rows = ", ".join(f"{n} {t}" for t, n in summary.rows.items())
    click.echo(
        f"{summary.subjects} demo subjects in {time.perf_counter() - started:.1f} s ({rows})"
    )
    from warehouse.reporting.demo_setup import prepare_demo_reporting
    from warehouse.store.access import system_session

    reporting = prepare_demo_reporting(system_session(db, "demo"))
    click.echo(
        f"synthetic MedDRA-layout dictionary loaded (invented terms); {reporting.coded} serious "
        f"events coded, {reporting.susars} reporting clocks placed around today"
    )
    from warehouse.review.demo_setup import prepare_demo_review

    review = prepare_demo_review(system_session(db, "demo"))
    states = ", ".join(f"{n} {state}" for state, n in sorted(review.queries.items()))
    click.echo(
        f"data review: queries {states}; {review.verified_rows} records verified against "
        f"source; {review.signed} casebooks signed, {review.broken} signature broken by a "
        "later change"
    )


@main.group()
def audit() -> None:
    """Audit-log commands."""


@audit.command("verify")
@db_option
@friendly
def audit_verify(db_path: Path | None) -> None:
    """Check the hash chain; name the first altered, deleted or reordered entry."""
    from warehouse.store.audit import verify

    result = verify(database(db_path))
    anchor = f", anchored at entry {result.anchored_seq}" if result.anchored_seq else ""
    click.echo(f"audit log OK: {result.entries} entries verified{anchor}")


@main.command("backup")
@db_option
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
@friendly
def backup_command(db_path: Path | None, out_file: Path) -> None:
    """Back up the database to one file (consistent while the app runs; no keys)."""
    from warehouse.store.backup import backup

    db = database(db_path)
    summary = backup(db, out_file)
    click.echo(
        f"backup of {db.path}: {sum(summary.tables.values())} rows in {len(summary.tables)} "
        f"tables, audit log to entry {summary.head_seq}, sha256 {summary.sha256[:16]} "
        f"-> {summary.path}"
    )
    click.echo(f"keys are not in the backup: keep the key store {db.keys.directory} safe apart")


@main.command("restore")
@click.option(
    "--from",
    "backup_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Backup file written by caseguard backup.",
)
@db_option
@click.option("--force", is_flag=True, help="Replace an existing database.")
@friendly
def restore_command(db_path: Path | None, backup_file: Path, force: bool) -> None:
    """Restore a backup: checked, swapped in atomically, recorded in the audit log."""
    from warehouse.store.backup import restore

    db = database(db_path, must_exist=False)
    summary = restore(backup_file, db, force)
    verb = "replaced" if summary.replaced else "restored to"
    click.echo(
        f"{verb} {summary.path} from the backup of {summary.backup_created_utc}: "
        f"{sum(summary.tables.values())} rows, audit log OK ({summary.entries} entries, "
        f"the last records this restore)"
    )
    if summary.missing_site_keys:
        click.echo(f"warning: no key here for site(s) {', '.join(summary.missing_site_keys)}")


@main.command()
@db_option
@click.option("--port", default=8501, show_default=True, type=click.IntRange(1, 65535))
@click.option("--address", default="localhost", show_default=True)
@click.option(
    "--allow-unencrypted-disk",
    is_flag=True,
    envvar="CASEGUARD_ALLOW_UNENCRYPTED_DISK",
    help="Serve although the database is not on an encrypted disk (synthetic demo data only).",
)
@friendly
def serve(db_path: Path | None, port: int, address: str, allow_unencrypted_disk: bool) -> None:
    """Start the web app on http://ADDRESS:PORT (the database must be on an encrypted disk)."""
    from schemas.errors import CaseguardError
    from warehouse.store.disk import check_disk

    db = database(db_path)
    disk = check_disk(db.path)
    if not disk.encrypted and not allow_unencrypted_disk:
        raise CaseguardError(
            f"the database must be on an encrypted disk (docs/SECURITY.md): {disk.reason}; "
            "for synthetic demo data only, pass --allow-unencrypted-disk"
        )
    if not disk.encrypted:
        click.echo(f"warning: {disk.reason}; serving anyway (--allow-unencrypted-disk)", err=True)
    env = {
        **os.environ,
        "CASEGUARD_DB": str(Path(db.path).resolve()),
        KEEP_OPEN_ENV: "1",  # the served app keeps its connection (warehouse/store/held.py)
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_FILE),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true",
        # Streamlit's own banner looks up this machine's public address (a network
        # call) when serving on all interfaces; the line below says where we serve.
        "--logger.hideWelcomeMessage",
        "true",
    ]
    click.echo(f"serving {db.path} on http://{address}:{port}")
    # Become the server (exec, not a child process): a signal sent to `caseguard serve`
    # (SIGTERM from a service manager, Ctrl-C) then stops Streamlit itself; a child
    # would outlive its parent and keep answering on the port.
    sys.stdout.flush()
    os.chdir(APP_FILE.parent)
    os.execve(sys.executable, command, env)  # noqa: S606 - our own interpreter and arguments


# ``caseguard scrub IN.jsonl OUT.jsonl`` is ``python -m anonymise scrub``.
main.add_command(scrub_command, "scrub")
main.add_command(users, "users")
register_exchange(main)
register_sites(main)
register_reporting(main)
register_linkage(main)
register_review(main, users)
