"""Where things live: the database file and the key store."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = Path("data") / "caseguard.duckdb"


def default_db_path() -> Path:
    """``$CASEGUARD_DB`` if set, else ``data/caseguard.duckdb``."""
    return Path(os.environ.get("CASEGUARD_DB") or DEFAULT_DB)


def default_key_dir(db_path: str | Path) -> Path:
    """``$CASEGUARD_KEY_DIR`` if set, else a ``keys/`` directory beside the database file."""
    env = os.environ.get("CASEGUARD_KEY_DIR")
    return Path(env) if env else Path(db_path).resolve().parent / "keys"
