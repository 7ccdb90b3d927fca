"""Options and error handling shared by every ``caseguard`` command.

The command modules (:mod:`~warehouse.cli.main`, :mod:`~warehouse.cli.exchange`,
:mod:`~warehouse.cli.users`) import these; this module imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from schemas.errors import CaseguardError, ValidationFailed
from warehouse.store.config import default_db_path


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into one-line CLI errors (no tracebacks for user mistakes)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValidationFailed as exc:
            lines = "\n".join(f"  {p.describe('en')}" for p in exc.problems[:50])
            raise click.ClickException(f"{exc.title}:\n{lines}") from None
        except CaseguardError as exc:
            raise click.ClickException(f"{exc.title}: {exc}") from None

    return wrapper


def db_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--db`` option every command that opens the database takes."""
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Database file [default: $CASEGUARD_DB or data/caseguard.duckdb]",
    )(func)


def database(db_path: Path | None, must_exist: bool = True) -> Any:
    """The database at ``db_path`` (or the default); refuse a missing one unless told."""
    from warehouse.store.db import Database

    db = Database(db_path or default_db_path())
    if must_exist and not db.exists():
        raise CaseguardError(f"no database at {db.path} (run: caseguard init --db {db.path})")
    return db
