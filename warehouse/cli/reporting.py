"""``caseguard meddra load|versions|recode`` and ``caseguard sae list|report|day0|...``.

Thin commands over :mod:`warehouse.reporting`; they run as the operator's coordinator
session, like ``init`` and ``demo``. ``sae report --real-dates`` asks for the subject's
local id (hidden, never stored or echoed) and acts as a user of the event's own site.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

import click

from warehouse.cli.options import database, db_option, friendly

CSV_COLUMNS = (
    "ae_id",
    "site_code",
    "term",
    "category",
    "clock",
    "due",
    "days_left",
    "state",
    "submitted_on",
)


@click.group("meddra")
def meddra() -> None:
    """MedDRA dictionaries (a licensed file the user supplies)."""


@meddra.command("load")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@db_option
@click.option("--version", "version", default=None, help="Override meddra_release.asc's version.")
@click.option("--language", default=None, help="Override meddra_release.asc's language.")
@click.option("--encoding", default="utf-8", show_default=True)
@friendly
def meddra_load(
    folder: Path, db_path: Path | None, version: str | None, language: str | None, encoding: str
) -> None:
    """Load a MedDRA ASCII distribution ($-separated .asc files); earlier versions are kept."""
    from warehouse.reporting.meddra import load_distribution
    from warehouse.store.access import system_session

    done = load_distribution(
        system_session(database(db_path), "meddra"), folder, version, language, encoding
    )
    click.echo(
        f"MedDRA {done['version']} ({done['language']}): {done['llt']} LLTs "
        f"({done['current_llt']} current), {done['pt']} PTs, {done['soc']} SOCs loaded"
    )


@meddra.command("versions")
@db_option
@friendly
def meddra_versions(db_path: Path | None) -> None:
    """List the loaded MedDRA versions and languages, newest first."""
    from warehouse.reporting.meddra import releases
    from warehouse.store.access import system_session

    found = releases(system_session(database(db_path), "meddra"))
    if found.empty:
        click.echo("no MedDRA dictionary loaded (caseguard meddra load DIR)")
    for row in found.to_dict("records"):
        loaded = f"loaded {row['loaded_at']:%Y-%m-%d} by {row['loaded_by']}"
        click.echo(f"{row['version']}\t{row['language']}\t{row['llt_count']} LLTs\t{loaded}")


@meddra.command("recode")
@db_option
@friendly
def meddra_recode(db_path: Path | None) -> None:
    """List events coded with an older version whose LLT is no longer current."""
    from warehouse.reporting.meddra import recode_candidates
    from warehouse.store.access import system_session

    found = recode_candidates(system_session(database(db_path), "meddra"))
    if found.empty:
        click.echo("nothing to recode: every coded LLT is current in the newest version")
        return
    for row in found.to_dict("records"):
        status = str(row["status"]).replace("_", "-")
        click.echo(
            f"{row['ae_id']}\t{row['site_code']}\tLLT {row['llt_code']} {row['llt_name']}\t"
            f"coded with {row['coded_version']}, {status} in {row['latest_version']}"
        )
    click.echo(f"{len(found)} event(s) to recode")


@click.group("sae")
def sae() -> None:
    """Serious adverse events: reporting clocks and report drafts."""


@sae.command("list")
@db_option
@click.option("--overdue", is_flag=True, help="Only clocks past their due date.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout (first column ae_id).")
@click.option("--site", "site_code", default=None, help="One centre only.")
@friendly
def sae_list(db_path: Path | None, overdue: bool, as_csv: bool, site_code: str | None) -> None:
    """Every reporting clock, most urgent first (missing day 0, overdue, due, submitted)."""
    from warehouse.reporting.sae import clock_board, term_label
    from warehouse.store.access import system_session

    board = clock_board(
        system_session(database(db_path), "sae"), dt.datetime.now(dt.UTC), site_code
    )
    clocks = [c for c in board.clocks if not overdue or c.state == "overdue"]
    rows = [
        {
            "ae_id": c.ae_id,
            "site_code": c.site_code,
            "term": term_label(board.events[c.ae_id].study_term, "en"),
            "category": board.events[c.ae_id].facts.category,
            "clock": c.kind if c.sequence == 1 else f"{c.kind} {c.sequence}",
            "due": c.due.isoformat() if c.due else "",
            "days_left": "" if c.days_left is None else c.days_left,
            "state": c.state,
            "submitted_on": c.submitted_on.isoformat() if c.submitted_on else "",
        }
        for c in clocks
    ]
    if as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return
    for r in rows:
        click.echo("\t".join(str(r[c]) for c in CSV_COLUMNS))
    click.echo(f"{len(rows)} clock(s)" + (" overdue" if overdue else ""))


@sae.command("report")
@click.argument("ae_id")
@db_option
@click.option("--format", "fmt", type=click.Choice(["cioms", "e2b"]), required=True)
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--validate-with",
    "schema_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="ICH E2B(R3) schema folder [default: $CASEGUARD_E2B_SCHEMA].",
)
@click.option(
    "--real-dates", is_flag=True, help="Ask for the local patient id and restore real dates."
)
@friendly
def sae_report(
    ae_id: str,
    db_path: Path | None,
    fmt: str,
    out_file: Path,
    schema_dir: Path | None,
    real_dates: bool,
) -> None:
    """Write a CIOMS I (PDF) or E2B(R3) (XML) draft of one serious event (audited)."""
    from warehouse.reporting.drafts import write_draft
    from warehouse.reporting.sae_records import event_site
    from warehouse.store.access import Session, system_session

    db = database(db_path)
    session = system_session(db, "sae")
    local_id = None
    if real_dates:
        with db.connect(read_only=True) as conn:
            site, _ = event_site(conn, ae_id)
        session = Session(db, f"system:sae@{site}", "site_user", site)
        local_id = click.prompt("local patient id (not stored)", hide_input=True)
    draft = write_draft(session, ae_id, fmt, out_file, local_id, schema_dir)
    digest = draft.sha256[:16]
    click.echo(f"{draft.format} draft v{draft.version} of {ae_id} -> {out_file} (sha256 {digest})")
    if fmt == "e2b":
        click.echo(
            "validated against the ICH E2B(R3) schema: OK"
            if draft.validated
            else "not validated: no ICH schema folder "
            "(give --validate-with DIR or set $CASEGUARD_E2B_SCHEMA)"
        )


@sae.command("day0")
@click.argument("ae_id")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@db_option
@friendly
def sae_day0(ae_id: str, day: dt.datetime, db_path: Path | None) -> None:
    """Record the date the site first knew of a serious event (YYYY-MM-DD)."""
    from warehouse.reporting.sae_records import set_aware_date
    from warehouse.store.access import system_session

    set_aware_date(system_session(database(db_path), "sae"), ae_id, day.date())
    click.echo(f"{ae_id}: day 0 is {day.date().isoformat()}")


@sae.command("submitted")
@click.argument("ae_id")
@click.argument("kind", type=click.Choice(["initial", "completion", "follow_up"]))
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@db_option
@friendly
def sae_submitted(ae_id: str, kind: str, day: dt.datetime, db_path: Path | None) -> None:
    """Record that a report of KIND was sent to the regulator on DAY."""
    from warehouse.reporting.sae_records import record_submission
    from warehouse.store.access import system_session

    version = record_submission(system_session(database(db_path), "sae"), ae_id, kind, day.date())
    click.echo(f"{ae_id}: {kind} report v{version} submitted {day.date().isoformat()}")


@sae.command("expected")
@click.argument("action", type=click.Choice(["list", "add", "remove"]))
@click.argument("product_id", required=False)
@click.argument("term", required=False)
@db_option
@friendly
def sae_expected(
    action: str, product_id: str | None, term: str | None, db_path: Path | None
) -> None:
    """Reference safety information: list, add or remove a product's expected term."""
    from warehouse.reporting.expectedness import add_expected, list_expected, remove_expected
    from warehouse.store.access import system_session

    session = system_session(database(db_path), "rsi")
    if action == "list":
        for row in list_expected(session).to_dict("records"):
            click.echo(f"{row['product_id']}\t{row['term']}")
        return
    if not product_id or not term:
        raise click.UsageError(f"expected {action} needs PRODUCT_ID and TERM")
    changed = (add_expected if action == "add" else remove_expected)(session, product_id, term)
    verb = {"add": ("added to", "already on"), "remove": ("removed from", "not on")}[action]
    click.echo(f"{term} {verb[0] if changed else verb[1]} the list of {product_id}")


def register(main: click.Group) -> None:
    """Add the reporting commands to the ``caseguard`` group."""
    main.add_command(meddra, "meddra")
    main.add_command(sae, "sae")
