"""``caseguard users add|list|disable|reset-password``: accounts from the command line.

Run by the operator on the server, so the calls act as a system session; every
change is audited. Passwords are prompted for (hidden, asked twice) unless given
in $CASEGUARD_PASSWORD for scripts; they never appear in the audit log.
"""

from __future__ import annotations

from pathlib import Path

import click

from warehouse.cli.options import database, db_option, friendly

ROLES = ["site_user", "coordinator", "monitor", "admin"]


def _password_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="CASEGUARD_PASSWORD",
        help="New password (prompted if not given; or $CASEGUARD_PASSWORD).",
    )(func)


@click.group()
def users() -> None:
    """User accounts: add, list, disable, reset a password."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--site", "site_code", default=None, help="Centre code (required for site_user).")
@_password_option
@db_option
@friendly
def users_add(
    username: str, role: str, site_code: str | None, password: str, db_path: Path | None
) -> None:
    """Create an active account with an argon2id password hash."""
    from warehouse.store.access import system_session
    from warehouse.store.admin import add_user

    add_user(system_session(database(db_path), "cli"), username, password, role, site_code)
    where = f" at {site_code}" if site_code else ""
    click.echo(f"user {username} added ({role}{where})")


@users.command("list")
@db_option
@friendly
def users_list(db_path: Path | None) -> None:
    """Accounts with role, centre, state and failed logins (never password hashes)."""
    from warehouse.store.access import system_session
    from warehouse.store.accounts import list_users

    table = list_users(system_session(database(db_path), "cli"))
    for row in table.itertuples(index=False):
        state = "active" if row.active else "disabled"
        locked = (
            f", locked until {row.locked_until:%Y-%m-%d %H:%M} UTC"
            if _set(row.locked_until)
            else ""
        )
        site = str(row.site_code) if _set(row.site_code) else "-"
        click.echo(f"{row.username!s:<20} {row.role!s:<12} {site:<6} {state}{locked}")


def _set(value: object) -> bool:
    return value is not None and str(value) not in ("NaT", "nan", "None")


@users.command("disable")
@click.argument("username")
@db_option
@friendly
def users_disable(username: str, db_path: Path | None) -> None:
    """Disable an account (it can no longer sign in; its history stays)."""
    from warehouse.store.access import system_session
    from warehouse.store.accounts import disable_user

    disable_user(system_session(database(db_path), "cli"), username)
    click.echo(f"user {username} disabled")


@users.command("reset-password")
@click.argument("username")
@_password_option
@db_option
@friendly
def users_reset_password(username: str, password: str, db_path: Path | None) -> None:
    """Set a new password; the account is re-enabled and unlocked."""
    from warehouse.store.access import system_session
    from warehouse.store.accounts import reset_password

    reset_password(system_session(database(db_path), "cli"), username, password)
    click.echo(f"password of {username} reset; account active and unlocked")
