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
import math
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
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
    """What happened: an action, optionally on one row, with before/after values.

    ``after_text`` is ``canonical_json(after)`` when the writer already has it (a bulk
    write builds it for a whole column at once, see :func:`canonical_rows`)."""

    action: str
    table: str | None = None
    key: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reason: str | None = None
    after_text: str | None = field(default=None, compare=False, repr=False)


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


def canonical_rows(columns: Mapping[str, Sequence[Any]]) -> list[str]:
    """:func:`canonical_json` of every row of ``columns`` (name -> plain values, as
    :func:`~warehouse.store.frames.records` gives them), built a column at a time: the
    same text, at a third of the cost per row of encoding each row's dict."""
    names = sorted(columns)
    if not names:
        return []
    parts = []
    for name in names:
        key = _key_text(name)
        parts.append([key + v for v in _value_texts(columns[name])])
    return ["{" + ",".join(row) + "}" for row in zip(*parts, strict=True)]


def _key_text(name: str) -> str:
    return encode_basestring(name) + ":"


_NONE = type(None)


def _value_texts(values: Sequence[Any]) -> list[str]:
    """Each value as the canonical encoder writes it inside an object (a column of one
    kind - text, whole numbers, dates - in one pass without asking each value's type)."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        return list(map(encode_basestring, values))
    if kinds <= {str, _NONE}:
        return ["null" if v is None else encode_basestring(v) for v in values]
    if kinds <= {int}:
        return list(map(int.__repr__, values))
    if kinds <= {dt.date, _NONE} or kinds <= {dt.datetime, _NONE}:
        return ["null" if v is None else '"' + v.isoformat() + '"' for v in values]
    out = []
    for value in values:
        kind = type(value)
        if kind is str:
            out.append(encode_basestring(value))
        elif value is None:
            out.append("null")
        elif kind is bool:
            out.append("true" if value else "false")
        elif kind is int:
            out.append(int.__repr__(value))
        elif kind is float and math.isfinite(value):
            out.append(float.__repr__(value))
        elif kind is dt.date or kind is dt.datetime:
            out.append('"' + value.isoformat() + '"')  # ISO text needs no escaping
        else:  # lists, NaN, NumPy scalars...: the encoder itself
            out.append(_CANONICAL.encode(value))
    return out


def entry_text(prev_hash: str, fields: Sequence[Any]) -> str:
    """The text an entry's HMAC covers: ``json.dumps([prev_hash, *fields],
    ensure_ascii=False)``, joined by hand when the fields are text, None and the
    sequence number (always, for entries this module writes)."""
    if type(fields[0]) is int and all(type(f) is str or f is None for f in fields[1:]):
        return (
            "["
            + encode_basestring(prev_hash)
            + ", "
            + int.__repr__(fields[0])
            + "".join(", null" if f is None else ", " + encode_basestring(f) for f in fields[1:])
            + "]"
        )
    return _ENTRY.encode([prev_hash, *fields])


def entry_hash(key: bytes, prev_hash: str, fields: Sequence[Any]) -> str:
    """The HMAC of one entry: previous hash + the entry's fields (seq .. reason)."""
    return _hmac_hex(key, entry_text(prev_hash, fields))


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
        event.after_text if event.after_text is not None else canonical_json(event.after),
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
    # An import appends an entry per row it writes (hundreds of thousands): the entries'
    # columns are built a column at a time, their hashed texts from pieces encoded a
    # column at a time (who and when once: the same for all), then only the chain
    # itself - each hash covers the one before - runs entry by entry. One INSERT.
    own: dict[str, list[Any]] = {
        "action": [e.action for e in events],
        "table_name": [e.table for e in events],
        "row_key": [e.key for e in events],
        "before": [canonical_json(e.before) for e in events],
        "after": [
            e.after_text if e.after_text is not None else canonical_json(e.after) for e in events
        ],
        "reason": [e.reason for e in events],
    }
    shared = _joined_texts([[ts.isoformat()], *([v] for v in _who(actor))])
    keyed = hmac.new(key, digestmod="sha256")
    prevs, digests = [], []
    for start in range(0, len(events), _TEXT_CHUNK):  # the texts of a chunk at a time
        end = min(start + _TEXT_CHUNK, len(events))
        tails = _row_texts([v[start:end] for v in own.values()]) if shared is not None else None
        if tails is not None and shared is not None:
            # The same text as entry_text's, as UTF-8 bytes: each entry's fields encoded
            # in one call for the whole chunk, the chain's own pieces ASCII.
            head = _utf8(shared[0] + ", ")
            quoted = _utf8(encode_basestring(prev))
            for tail in _utf8_pieces(tails, "]"):
                seq += 1
                mac = keyed.copy()
                mac.update(b"[" + quoted + b", " + str(seq).encode("ascii") + head + tail)
                prevs.append(prev)
                prev = mac.hexdigest()
                quoted = b'"' + prev.encode("ascii") + b'"'
                digests.append(prev)
            continue
        for i in range(start, end):  # a value that is not text: the general encoder
            seq += 1
            row = [v[i] for v in own.values()]
            text = entry_text(prev, [seq, ts.isoformat(), *_who(actor), *row])
            mac = keyed.copy()
            mac.update(_utf8(text))
            prevs.append(prev)
            prev = mac.hexdigest()
            digests.append(prev)
    table = pa.table(
        {
            "seq": pa.array(np.arange(first, seq + 1, dtype=np.int64)),
            **{name: _text_array(values) for name, values in own.items()},
            "prev_hash": _text_array(prevs),
            "hash": _text_array(digests),
        }
    )
    conn.register("_audit_rows", table)
    try:
        conn.execute(
            "INSERT INTO audit_log (seq, ts, username, role, site_code, "
            f"{', '.join(own)}, prev_hash, hash) SELECT seq, ?, ?, ?, ?, "
            f"{', '.join(own)}, prev_hash, hash FROM _audit_rows",
            [ts, *_who(actor)],
        )
    finally:
        conn.unregister("_audit_rows")
    return seq, prev


_TEXT_CHUNK = 50_000  # entries whose hashed texts are held at once


def _who(actor: Actor) -> list[Any]:
    return [actor.username, actor.role, actor.site_code]


def _joined_texts(columns: list[list[Any]]) -> list[str] | None:
    """Row by row, each column's value as :func:`entry_text` writes it after ', ' (text
    encoded, None as null), joined; None if a value is neither text nor None."""
    try:
        encoded = [
            [", null" if v is None else ", " + encode_basestring(v) for v in column]
            for column in columns
        ]
    except TypeError:  # encode_basestring takes only text
        return None
    return ["".join(parts) for parts in zip(*encoded, strict=True)]


def _row_texts(columns: list[list[Any]]) -> list[str] | None:
    """Row by row, each column's value as :func:`entry_text` writes it (text encoded,
    None as null), joined by ', '; None if a value is neither text nor None. Built a
    column at a time, the rows joined in C."""
    try:
        encoded = [_encoded_column(column) for column in columns]
    except TypeError:  # encode_basestring takes only text
        return None
    return list(map(", ".join, zip(*encoded, strict=True)))


def _encoded_column(column: list[Any]) -> list[str]:
    try:
        nulls = column.count(None)
    except ValueError:  # a value that refuses to compare (an array): the general encoder
        raise TypeError from None
    if nulls == len(column):
        return ["null"] * nulls
    if not nulls:
        return list(map(encode_basestring, column))
    return ["null" if v is None else encode_basestring(v) for v in column]


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, e.g. in a reason passed to the library
        raise CaseguardError(
            "a value or reason contains characters that are not valid text"
        ) from None


def _utf8_pieces(texts: list[str], end: str = "") -> list[bytes]:
    """Each text (followed by ``end``) as UTF-8, encoded in one call: joined by NUL
    (which JSON-encoded text never holds raw) and split again; one by one if a text
    holds a NUL after all."""
    if not texts:
        return []
    joined = (end + "\x00").join(texts) + end
    if joined.count("\x00") != len(texts) - 1:
        return [_utf8(t + end) for t in texts]
    return _utf8(joined).split(b"\x00")


def _hmac_hex(key: bytes, text: str) -> str:
    return hmac.digest(key, _utf8(text), "sha256").hex()  # one-shot: hmac.new(...).hexdigest()


def _text_array(values: list[Any]) -> pa.Array:
    """A text column for Arrow; a stray non-text value is stored as its text, as the
    database's own cast would store it."""
    joined = _joined_array(values)
    if joined is not None:
        return joined
    try:
        return pa.array(values, pa.large_string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([None if v is None else str(v) for v in values], pa.large_string())


def _joined_array(values: list[Any]) -> pa.Array | None:
    """Text (or None) values as an Arrow text column built from one UTF-8 encoding of
    them all, joined by NUL: pyarrow encodes a list's non-ASCII texts one by one, ~7x
    slower for an import's JSON texts. None if a value is not text or holds a NUL."""
    count = len(values)
    try:
        nulls = values.count(None)  # in C; a stray odd value (an array) may refuse to compare
    except (TypeError, ValueError):
        return None
    if not count or nulls == count:
        return pa.nulls(count, pa.large_string()) if count else None
    valid = [v is not None for v in values] if nulls else None
    try:
        joined = "\x00".join([v if v is not None else "" for v in values] if nulls else values)
        data = joined.encode("utf-8")
    except (TypeError, UnicodeEncodeError):
        return None
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 0)
    if len(ends) != count - 1:  # a NUL inside a text (UTF-8 never uses the byte otherwise)
        return None
    offsets = np.empty(count + 1, dtype=np.int64)
    offsets[0] = 0
    offsets[1:count] = ends - np.arange(count - 1)
    offsets[count] = len(data) - (count - 1)
    bitmap = (
        pa.py_buffer(np.packbits(np.array(valid, dtype=bool), bitorder="little").tobytes())
        if valid is not None
        else None
    )
    body = pa.py_buffer(data.replace(b"\x00", b""))
    return pa.Array.from_buffers(
        pa.large_string(), count, [bitmap, pa.py_buffer(offsets), body], null_count=nulls
    )


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


@contextmanager
def audited_batches(
    db: Database, actor: Actor
) -> Iterator[tuple[duckdb.DuckDBPyConnection, Callable[[Sequence[Event]], None]]]:
    """One transaction whose events are appended to the audit log batch by batch.

    ``flush(events)`` chains a batch's entries at once (inside the transaction), so a
    bulk writer need not hold every entry of a large import until the end; either the
    rows and all their entries commit, or none do.
    """
    head: tuple[int, str] | None = None
    with db.transaction() as conn:

        def flush(events: Sequence[Event]) -> None:
            nonlocal head
            head = append(conn, db, actor, events) or head

        yield conn, flush
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
