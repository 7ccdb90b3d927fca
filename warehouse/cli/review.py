"""``caseguard queries list|export|check`` and ``caseguard users investigator``: data
review from the command line, run by the coordinator's operator (a system session)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import click

from warehouse.cli.options import database, db_option, friendly

STATES = ["open", "answered", "closed"]
EXPORT_COLUMNS = [
    "query_id",
    "site_code",
    "subject_id",
    "table_name",
    "row_key",
    "field",
    "state",
    "origin",
    "rule_id",
    "opened_by",
    "opened_at",
    "first_answered_at",
    "answered_at",
    "closed_at",
    "age_days",
    "question",
    "answer",
]


@click.group()
def queries() -> None:
    """Data-review queries: list, export as CSV, run the soft checks."""


def _frame(db_path: Path | None, site: str | None, state: str | None) -> tuple[Any, Any]:
    from warehouse.review.queries import list_queries
    from warehouse.review.soft_checks import question_text
    from warehouse.store.access import system_session

    session = system_session(database(db_path), "cli")
    frame = list_queries(session, site=site, state=state)
    frame["question"] = [question_text(x, "en") for x in frame["question"]]
    return session, frame


@queries.command("list")
@db_option
@click.option("--site", "site_code", default=None, help="One centre only.")
@click.option("--state", type=click.Choice(STATES), default=None, help="One state only.")
@friendly
def queries_list(db_path: Path | None, site_code: str | None, state: str | None) -> None:
    """Queries, newest first: id, centre, subject, table/row/field, state, age, question."""
    _, frame = _frame(db_path, site_code, state)
    for row in frame.itertuples(index=False):
        click.echo(
            f"{row.query_id}  {row.site_code}  {row.subject_id}  "
            f"{row.table_name}/{row.row_key}/{row.field}  {row.state}  {row.age_days} d  "
            f"{row.question}"
        )
    click.echo(f"{len(frame)} quer{'y' if len(frame) == 1 else 'ies'}")


@queries.command("export")
@db_option
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--site", "site_code", default=None, help="One centre only.")
@click.option("--state", type=click.Choice(STATES), default=None, help="One state only.")
@friendly
def queries_export(
    db_path: Path | None, out_file: Path, site_code: str | None, state: str | None
) -> None:
    """Write the queries as CSV (UTF-8 with BOM; formula-like cells made inert), renamed
    into place whole; the export is audited with its row count and SHA-256."""
    from schemas.errors import CaseguardError
    from warehouse.export.writers import neutralise_frame
    from warehouse.review.queries import record_export

    session, frame = _frame(db_path, site_code, state)
    data = neutralise_frame(frame[EXPORT_COLUMNS]).to_csv(index=False).encode("utf-8-sig")
    out_file = out_file.resolve()
    if not out_file.parent.is_dir():
        raise CaseguardError(f"folder {out_file.parent} does not exist")
    fd, tmp = tempfile.mkstemp(dir=out_file.parent, prefix=f".{out_file.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, out_file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    digest = hashlib.sha256(data).hexdigest()
    record_export(session, len(frame), digest, {"site": site_code, "state": state})
    click.echo(f"{len(frame)} queries written to {out_file} (sha256 {digest[:16]})")


@queries.command("check")
@db_option
@friendly
def queries_check(db_path: Path | None) -> None:
    """Run the soft checks over every subject (the date-based ones need a daily run)."""
    from warehouse.review.soft_checks import run_soft_checks

    db = database(db_path)
    with db.connect(read_only=True) as conn:
        ids = [str(r[0]) for r in conn.execute("SELECT subject_id FROM subjects").fetchall()]
    run = run_soft_checks(db, ids)
    click.echo(
        f"{len(ids)} subjects checked: {len(run.opened)} queries opened, "
        f"{len(run.closed)} closed, {len(run.reopened)} re-opened"
    )


@click.command("investigator")
@click.argument("username")
@click.option("--revoke", is_flag=True, help="Stop the user being an investigator.")
@db_option
@friendly
def users_investigator(username: str, revoke: bool, db_path: Path | None) -> None:
    """Make a site user an investigator of their centre (may sign casebooks), or --revoke."""
    from warehouse.review.signoff import set_investigator
    from warehouse.store.access import system_session

    set_investigator(system_session(database(db_path), "cli"), username, not revoke)
    click.echo(f"{username} is {'no longer ' if revoke else ''}an investigator")


def register(main: click.Group, users: click.Group) -> None:
    """Add the data-review commands to the ``caseguard`` group (and ``users``)."""
    main.add_command(queries, "queries")
    users.add_command(users_investigator, "investigator")
