"""The append-only, hash-chained audit log.

Each entry's ``hash`` is HMAC-SHA256 (keyed by the key store's ``audit.key``) over
the previous entry's hash and the entry's own fields, so altering, deleting or
reordering any entry breaks the chain from that point on, and nobody holding only
the database file can forge a consistent chain. After each write the newest
(seq, hash) is also written to an anchor file in the key store, so cutting entries
off the end is detected too.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from schemas.errors import AuditChainBroken, CaseguardError
from warehouse.store.db import Database, one

GENESIS = "0" * 64
COLUMNS = (
    "seq",
    "ts",
    "username",
    "role",
    "site_code",
    "action",
    "table_name",
    "row_key",
    "before",
    "after",
    "reason",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True)
class Actor:
    """Who did something: user name, role and site (None for cross-site roles)."""

    username: str
    role: str
    site_code: str | None


@dataclass(frozen=True)
class Event:
    """What happened: an action, optionally on one row, with before/after values."""

    action: str
    table: str | None = None
    key: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reason: str | None = None


def canonical_json(value: dict[str, Any] | None) -> str | None:
    """Stable JSON text (sorted keys, ISO dates) used both for storage and hashing."""
    if value is None:
        return None
    return _CANONICAL.encode(value)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


# One encoder each, built once: json.dumps builds a new one per call when given options,
# and an import encodes two texts per row. Output is exactly json.dumps's.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain
)
_ENTRY = json.JSONEncoder(ensure_ascii=False, default=_plain)


def entry_hash(key: bytes, prev_hash: str, fields: Sequence[Any]) -> str:
    """The HMAC of one entry: previous hash + the entry's fields (seq .. reason)."""
    text = _ENTRY.encode([prev_hash, *fields])
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, e.g. in a reason passed to the library
        raise CaseguardError(
            "a value or reason contains characters that are not valid text"
        ) from None
    return hmac.digest(key, data, "sha256").hex()  # one-shot: hmac.new(...).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _fields(seq: int, ts: dt.datetime, actor: Actor, event: Event) -> list[Any]:
    return [
        seq,
        ts.isoformat(),
        actor.username,
        actor.role,
        actor.site_code,
        event.action,
        event.table,
        event.key,
        canonical_json(event.before),
        canonical_json(event.after),
        event.reason,
    ]


def append(
    conn: duckdb.DuckDBPyConnection, db: Database, actor: Actor, events: Sequence[Event]
) -> tuple[int, str] | None:
    """Append events inside the caller's transaction; return the new chain head."""
    if not events:
        return None
    last = one(conn, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
    seq, prev = (int(last[0]), str(last[1])) if last else (0, GENESIS)
    key = db.keys.audit_key(create=last is None)
    ts = _now()
    first = seq + 1
    # Column by column, straight into an Arrow table: an import appends one entry per
    # row it writes (hundreds of thousands), in one INSERT.
    columns: dict[str, list[Any]] = {c: [] for c in COLUMNS if c not in ("seq", "ts")}
    for event in events:
        seq += 1
        fields = _fields(seq, ts, actor, event)
        digest = entry_hash(key, prev, fields)
        for name, value in zip(_TEXT_COLUMNS, fields[2:], strict=True):
            columns[name].append(value)
        columns["prev_hash"].append(prev)
        columns["hash"].append(digest)
        prev = digest
    table = pa.table(
        {
            "seq": pa.array(range(first, seq + 1), pa.int64()),
            "ts": pa.array([ts] * len(events), pa.timestamp("us")),
            **{name: _text_array(values) for name, values in columns.items()},
        }
    )
    conn.register("_audit_rows", table)
    try:
        conn.execute(f"INSERT INTO audit_log SELECT {', '.join(COLUMNS)} FROM _audit_rows")
    finally:
        conn.unregister("_audit_rows")
    return seq, prev


_TEXT_COLUMNS = COLUMNS[2:11]  # username .. reason, in _fields order


def _text_array(values: list[Any]) -> pa.Array:
    """A text column for Arrow; a stray non-text value is stored as its text, as the
    database's own cast would store it."""
    try:
        return pa.array(values, pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


@contextmanager
def audited_transaction(
    db: Database, actor: Actor
) -> Iterator[tuple[duckdb.DuckDBPyConnection, list[Event]]]:
    """One transaction whose events are appended to the audit log before it commits.

    The caller writes rows with the connection and adds an :class:`Event` per change
    to the list; either both the rows and their audit entries commit, or neither.
    """
    events: list[Event] = []
    with db.transaction() as conn:
        yield conn, events
        head = append(conn, db, actor, events)
        anchor = _anchor_path(conn, db)
    if head:
        write_anchor(anchor, head)


def write_anchor(path: Path, head: tuple[int, str], backwards: bool = False) -> None:
    """Record the chain head outside the database (atomic; only ever moves forward,
    unless ``backwards``, which only a restore of an older backup uses)."""
    current = _read_anchor(path)
    if current and current[0] >= head[0] and not backwards:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".anchor-")
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        json.dump({"seq": head[0], "hash": head[1]}, handle)
    os.replace(tmp, path)


def _anchor_path(conn: duckdb.DuckDBPyConnection, db: Database) -> Path:
    row = one(conn, "SELECT value FROM _meta WHERE key = 'db_id'")
    return anchor_file(db, str(row[0]) if row else "unknown")


def anchor_file(db: Database, db_id: str) -> Path:
    """Where the chain head of the database ``db_id`` is recorded in ``db``'s key store."""
    return db.keys.directory / f"audit-anchor-{db_id}.json"


def _read_anchor(path: Path) -> tuple[int, str] | None:
    try:
        data = json.loads(path.read_text(encoding="ascii"))
        return int(data["seq"]), str(data["hash"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class Verification:
    """The result of checking the chain: entries checked and the anchor used."""

    entries: int
    anchored_seq: int | None


def verify(db: Database) -> Verification:
    """Check the whole chain; raise :class:`AuditChainBroken` naming the first bad entry."""
    with db.connect(read_only=True) as conn:
        rows = _chain_rows(conn)
        anchor = _read_anchor(_anchor_path(conn, db))
    key = db.keys.audit_key(create=not rows and anchor is None)
    _check_chain(rows, key)
    if anchor:
        _check_anchor(anchor, rows)
    return Verification(entries=len(rows), anchored_seq=anchor[0] if anchor else None)


def chain_head(conn: duckdb.DuckDBPyConnection, db: Database) -> tuple[int, str] | None:
    """Check the chain in ``conn``'s database (not the anchor); return its newest
    (seq, hash), or None for an empty log."""
    rows = _chain_rows(conn)
    if not rows:
        return None
    _check_chain(rows, db.keys.audit_key())
    return int(rows[-1][0]), str(rows[-1][-1])


def _chain_rows(conn: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return conn.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_log ORDER BY seq").fetchall()


def _check_chain(rows: list[tuple[Any, ...]], key: bytes) -> None:
    prev, expected_seq = GENESIS, 1
    for row in rows:
        seq, ts, *rest = row
        what = f"entry {seq} ({rest[3]} {rest[4] or ''} {rest[5] or ''})".replace("  ", " ")
        if seq != expected_seq:
            raise AuditChainBroken(
                f"entry {expected_seq} is missing or out of order (found {what} there)"
            )
        if rest[-2] != prev:
            raise AuditChainBroken(
                f"{what}: does not follow entry {seq - 1} (deleted or reordered)"
            )
        fields = [seq, ts.isoformat(), *rest[:-2]]
        if not hmac.compare_digest(entry_hash(key, prev, fields), rest[-1]):
            raise AuditChainBroken(f"{what}: content was altered")
        prev, expected_seq = rest[-1], expected_seq + 1


def _check_anchor(anchor: tuple[int, str], rows: list[tuple[Any, ...]]) -> None:
    seq, digest = anchor
    if seq > len(rows):
        raise AuditChainBroken(
            f"entries {len(rows) + 1}..{seq} were deleted from the end of the log"
        )
    if rows[seq - 1][-1] != digest:
        raise AuditChainBroken(f"entry {seq} does not match the recorded chain head")
