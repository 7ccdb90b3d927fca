"""Backups of the database file, and restores that check them before trusting them.

A backup is one zip file: ``caseguard.duckdb``, a copy of the database, and
``manifest.json`` (format, creation time, database id, audit-chain head, rows per
table, SHA-256 of the database member, and which keys a restore needs). Its last 64
bytes, the zip comment, are the SHA-256 of every byte before them, so one changed
byte anywhere in the file is caught before anything is read.

The copy is consistent while the app runs: :func:`backup` holds a write transaction
(the process's write lock and DuckDB's file lock, so no writer in this or any other
process can commit), runs ``CHECKPOINT`` so the main file alone holds every
committed transaction and the write-ahead log is empty, and copies the file before
letting go. Writers wait meanwhile, as they wait for each other. A byte copy is kept
(rather than ``EXPORT DATABASE`` or ``COPY FROM DATABASE``) because it is the
database exactly: constraints, sequences and the audit chain's stored values come
back bit for bit, and its hash identifies it.

Keys are never put in a backup: they are secrets kept apart. The manifest names the
key store a restore needs by a fingerprint of its audit key and the sites whose keys
were present. :func:`restore` checks the file, refuses to overwrite a database unless
forced, checks the copy's audit chain against the manifest's head with the key store,
resets the audit anchor to that head (an older backup is behind the current anchor),
swaps the copy in with an atomic rename and appends an audited ``restore`` entry.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import duckdb

from schemas.errors import CaseguardError, Conflict, DatabaseBusy
from warehouse.store.audit import (
    Actor,
    Event,
    anchor_file,
    audited_transaction,
    chain_head,
    verify,
    write_anchor,
)
from warehouse.store.db import Database, one

FORMAT = "caseguard-backup/1"
MANIFEST = "manifest.json"
DB_MEMBER = "caseguard.duckdb"
TRAILER = 64  # hex SHA-256 of the rest of the file, in the zip comment
CHUNK = 1 << 20
RESTORE_ACTOR = Actor("system:restore", "coordinator", None)


class BackupRejected(CaseguardError):
    """The backup file is damaged, altered, not a backup, or does not match its keys."""

    title = "Backup rejected"


class RestoreRefused(CaseguardError):
    """The restore would overwrite a database, or cannot go where it was asked to."""

    title = "Restore refused"


@dataclass
class BackupSummary:
    """What a backup holds (the manifest's figures)."""

    path: Path
    sha256: str
    head_seq: int
    tables: dict[str, int] = field(default_factory=dict)


@dataclass
class RestoreSummary:
    """What a restore put in place."""

    path: Path
    backup_created_utc: str
    head_seq: int
    entries: int
    replaced: bool
    tables: dict[str, int] = field(default_factory=dict)
    missing_site_keys: list[str] = field(default_factory=list)


# --- backup ------------------------------------------------------------------------


def backup(db: Database, out: Path) -> BackupSummary:
    """Write a consistent backup of ``db`` to the new file ``out`` (keys not included)."""
    out = Path(out)
    if db.in_memory or not db.exists():
        raise CaseguardError(f"no database file at {db.path} to back up")
    if out.exists():
        raise Conflict(f"{out} already exists; choose a new file for the backup")
    out.parent.mkdir(parents=True, exist_ok=True)
    with _temp_file(out.parent, f".{out.name}-db-") as copy:
        with db.transaction() as conn:  # no writer anywhere can commit until the copy is made
            conn.execute("CHECKPOINT")  # every commit into the main file; the log emptied
            shutil.copyfile(db.path, copy)
        manifest = _describe(Database(copy, key_dir=db.keys.directory), db)
        with _temp_file(out.parent, f".{out.name}-") as archive:
            _write_archive(archive, copy, manifest)
            os.replace(archive, out)
    return BackupSummary(out, _file_sha256(out), manifest["audit_head"]["seq"], manifest["tables"])


def _describe(copy: Database, db: Database) -> dict[str, Any]:
    """The manifest of a database copy: read from the copy itself, chain checked."""
    with copy.connect(read_only=True) as conn:
        db_id = one(conn, "SELECT value FROM _meta WHERE key = 'db_id'")
        head = chain_head(conn, db)
        tables = _table_counts(conn)
        sites = [str(r[0]) for r in conn.execute("SELECT site_code FROM sites").fetchall()]
    return {
        "format": FORMAT,
        "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "db_id": db_id[0] if db_id else None,
        "duckdb_version": duckdb.__version__,
        "audit_head": {"seq": head[0] if head else 0, "hash": head[1] if head else None},
        "tables": tables,
        "database": {"member": DB_MEMBER, "sha256": _file_sha256(Path(copy.path))},
        "keys": {
            "included": False,
            "audit_key_fingerprint": _fingerprint(db) if head else None,
            "site_keys": sorted(s for s in sites if db.keys.has_site_key(s)),
        },
    }


def _table_counts(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    names = conn.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"
    ).fetchall()
    # identifiers come from the catalogue, quoted; no values are interpolated
    return {
        str(n[0]): int(conn.execute(f'SELECT count(*) FROM "{n[0]}"').fetchall()[0][0])
        for n in names
    }


def _fingerprint(db: Database) -> str:
    """Names the audit key without revealing it (an HMAC of a fixed text under it)."""
    key = db.keys.audit_key()
    return hmac.new(key, b"caseguard key fingerprint v1", hashlib.sha256).hexdigest()[:16]


def _write_archive(path: Path, database: Path, manifest: dict[str, Any]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
        archive.write(database, DB_MEMBER)
        archive.comment = b"0" * TRAILER
    with open(path, "r+b") as handle:
        digest = _sha256(handle, os.path.getsize(path) - TRAILER)
        handle.seek(-TRAILER, os.SEEK_END)
        handle.write(digest.encode("ascii"))
        handle.flush()
        os.fsync(handle.fileno())  # on disk before it is renamed into place


# --- restore -----------------------------------------------------------------------


def read_manifest(backup_file: Path) -> dict[str, Any]:
    """Check a backup file's checksum and format; return its manifest."""
    path = Path(backup_file)
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            digest = _sha256(handle, size - TRAILER) if size > TRAILER else ""
            trailer = handle.read(TRAILER)
    except OSError as exc:
        raise CaseguardError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not digest or digest.encode("ascii") != trailer:
        raise BackupRejected("the file is damaged or was altered (checksum mismatch)")
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST))
            names = set(archive.namelist())
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        kind = exc.__class__.__name__
        raise BackupRejected(f"not a readable caseguard backup ({kind})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRejected("not a caseguard backup (unknown format)")
    if names != {MANIFEST, DB_MEMBER}:
        raise BackupRejected("the backup holds other files than the database and its manifest")
    return manifest


def restore(backup_file: Path, db: Database, force: bool = False) -> RestoreSummary:
    """Restore a backup to ``db``'s path: checked, atomic, audited; never over an
    existing database unless ``force``."""
    manifest = read_manifest(backup_file)
    if db.in_memory:
        raise RestoreRefused("restore needs a database file path")
    target = Path(db.path)
    replaced = target.exists()
    if replaced and not force:
        raise RestoreRefused(f"a database already exists at {target}; add --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    with _temp_file(target.parent, f".{target.name}-restore-") as copy:
        _extract(Path(backup_file), manifest, copy)
        _check_copy(Database(copy, key_dir=db.keys.directory), db, manifest)
        head = manifest["audit_head"]
        with _exclusive(db):
            if head["seq"]:  # the anchor goes back to the backup's head first: safe to stop here
                anchor = anchor_file(db, str(manifest["db_id"]))
                write_anchor(anchor, (head["seq"], head["hash"]), backwards=True)
            Path(f"{target}.wal").unlink(missing_ok=True)  # the old database's log
            os.replace(copy, target)
        db.release()  # a connection kept open here still reads the replaced file
    _record_restore(db, backup_file, manifest)
    result = verify(db)
    return RestoreSummary(
        target,
        str(manifest["created_utc"]),
        int(head["seq"]),
        result.entries,
        replaced,
        dict(manifest["tables"]),
        [s for s in manifest["keys"]["site_keys"] if not db.keys.has_site_key(s)],
    )


def _extract(backup_file: Path, manifest: dict[str, Any], copy: Path) -> None:
    try:
        with (
            zipfile.ZipFile(backup_file) as archive,
            archive.open(DB_MEMBER) as source,
            open(copy, "wb") as sink,
        ):
            shutil.copyfileobj(source, sink, CHUNK)
            sink.flush()
            os.fsync(sink.fileno())  # on disk before it is renamed into place
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        kind = exc.__class__.__name__
        raise BackupRejected(f"the database in the backup cannot be read ({kind})") from None
    if _file_sha256(copy) != manifest["database"]["sha256"]:
        raise BackupRejected("the database in the backup does not match its manifest hash")


def _check_copy(copy: Database, db: Database, manifest: dict[str, Any]) -> None:
    """The copy is the database the manifest describes, under this key store."""
    head = manifest["audit_head"]
    wanted = manifest["keys"]["audit_key_fingerprint"]
    if wanted and _fingerprint(db) != wanted:
        raise BackupRejected(
            f"the key store {db.keys.directory} does not hold the audit key this backup "
            "was made with (set $CASEGUARD_KEY_DIR to the right key store)"
        )
    with copy.connect(read_only=True) as conn:
        db_id = one(conn, "SELECT value FROM _meta WHERE key = 'db_id'")
        found = chain_head(conn, db)  # raises AuditChainBroken on a bad entry
        tables = _table_counts(conn)
    if (db_id[0] if db_id else None) != manifest["db_id"] or tables != manifest["tables"]:
        raise BackupRejected("the database in the backup does not match its manifest")
    if (found or (0, None)) != (head["seq"], head["hash"]):
        raise BackupRejected("the audit log in the backup does not end at the manifest's head")


@contextlib.contextmanager
def _exclusive(db: Database) -> Iterator[None]:
    """Hold an existing database (no writer anywhere) while it is replaced; a file
    DuckDB cannot open at all is replaced as it is."""
    if not Path(db.path).exists():
        yield
        return
    with contextlib.ExitStack() as stack:
        try:
            conn = stack.enter_context(db.transaction())
        except DatabaseBusy:
            raise
        except CaseguardError:  # DuckDB cannot open it: nothing to hold
            yield
            return
        with contextlib.suppress(duckdb.Error):
            conn.execute("CHECKPOINT")  # nothing of the old file is left in its log
        yield


def _record_restore(db: Database, backup_file: Path, manifest: dict[str, Any]) -> None:
    with audited_transaction(db, RESTORE_ACTOR) as (_conn, events):
        events.append(
            Event(
                "restore",
                after={
                    "backup_sha256": _file_sha256(Path(backup_file)),
                    "backup_created_utc": manifest["created_utc"],
                    "backup_head_seq": manifest["audit_head"]["seq"],
                    "source_db_id": manifest["db_id"],
                },
                reason="database restored from a backup",
            )
        )


# --- files -------------------------------------------------------------------------


@contextlib.contextmanager
def _temp_file(directory: Path, prefix: str) -> Iterator[Path]:
    """A temporary file name in ``directory`` (same file system: renames are atomic),
    removed afterwards unless it was renamed into place."""
    fd, name = tempfile.mkstemp(dir=directory, prefix=prefix)
    os.close(fd)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _sha256(handle: IO[bytes], length: int) -> str:
    digest, left = hashlib.sha256(), length
    while left > 0:
        chunk = handle.read(min(CHUNK, left))
        if not chunk:
            break
        digest.update(chunk)
        left -= len(chunk)
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return _sha256(handle, path.stat().st_size)
