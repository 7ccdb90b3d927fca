"""Outputs that appear whole or not at all: exports, bundles, scratch folders.

An output (a file or a folder) is written under a staging name in its destination
folder (``.<name>.caseguard-partial-<pid>-<random>``), fsynced, and renamed into place;
a rename within one folder is atomic, so a reader never sees half an output. Between
the rename and the commit of its audit entry a small *pending* marker
(``.<name>.caseguard-pending-<pid>``) names the output and its audit key.

A process killed at any moment therefore leaves at most a staging entry or a marker
behind, both named by the dead process's id. The next run into the same folder sweeps
them: staging entries are removed; a marker's output is kept if its audit entry
committed and removed if not, so every output in place is in the audit log and no
audit entry names an output that never appeared.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from warehouse.store.db import Database, one

PARTIAL = ".caseguard-partial-"
PENDING = ".caseguard-pending-"
_OWNER = re.compile(r"\.caseguard-(?:partial|pending)-(\d+)")

Recorded = Callable[[str], bool]


def alive(pid: int) -> bool:
    """True if a process with this id runs (ours counts as alive)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def fsync_path(path: Path) -> None:
    """Flush a file, or a folder and everything in it, to disk."""
    if path.is_dir():
        for child in path.rglob("*"):
            if child.is_file():
                fsync_path(child)
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sweep(folder: Path, db_id: str, recorded: Recorded) -> list[str]:
    """Remove what killed runs left in ``folder``; return the names removed.

    ``recorded(key)`` says whether the audit entry a marker names committed; markers of
    another database (``db_id``) and of live processes are left alone.
    """
    removed: list[str] = []
    if not folder.is_dir():
        return removed
    for entry in sorted(folder.iterdir()):
        owner = _OWNER.search(entry.name)
        if not owner or alive(int(owner.group(1))):
            continue
        if PARTIAL in entry.name:
            _remove(entry)
            removed.append(entry.name)
            continue
        try:
            marker = json.loads(entry.read_text(encoding="utf-8"))
            target, key, marker_db = str(marker["output"]), str(marker["key"]), marker["db"]
        except (OSError, ValueError, KeyError, TypeError):
            _remove(entry)  # a marker cut short: written before its output was renamed
            removed.append(entry.name)
            continue
        if marker_db != db_id or "/" in target or target in ("", ".", ".."):
            continue
        if not recorded(key):
            _remove(folder / target)
            removed.append(target)
        _remove(entry)
        removed.append(entry.name)
    if removed:
        fsync_path(folder)
    return removed


class Staged:
    """An output being written: ``path`` to write to; :meth:`publish` puts it in place."""

    def __init__(self, dest: Path, directory: bool) -> None:
        self.dest = dest
        token = secrets.token_hex(4)
        self.path = dest.parent / f".{dest.name}{PARTIAL}{os.getpid()}-{token}"
        self.marker = dest.parent / f".{dest.name}{PENDING}{os.getpid()}-{token}"
        if directory:
            self.path.mkdir()
        self.published = False

    def publish(self, key: str, db_id: str) -> None:
        """fsync the staged output, leave the pending marker, rename it into place."""
        fsync_path(self.path)
        text = json.dumps({"output": self.dest.name, "key": key, "db": db_id})
        fd = os.open(self.marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if self.dest.is_dir() and not any(self.dest.iterdir()):
            self.dest.rmdir()  # an empty folder named as the destination is replaced
        os.rename(self.path, self.dest)
        fsync_path(self.dest.parent)
        self.published = True

    def confirm(self) -> None:
        """The audit entry committed: drop the marker."""
        _remove(self.marker)
        fsync_path(self.dest.parent)

    def discard(self) -> None:
        """Take back whatever this output put down (staging, output, marker)."""
        _remove(self.path)
        if self.published:
            _remove(self.dest)
        _remove(self.marker)


@contextmanager
def staged_output(
    dest: Path, db_id: str, recorded: Recorded, directory: bool = False
) -> Iterator[Staged]:
    """Stage an output next to ``dest`` after sweeping what killed runs left there.

    The caller writes to ``staged.path``, calls ``publish`` and then commits its audit
    entry; on leaving the block normally the marker goes, on any error everything the
    output put down goes.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    sweep(dest.parent, db_id, recorded)
    staged = Staged(dest, directory)
    try:
        yield staged
    except BaseException:
        staged.discard()
        raise
    if staged.published:
        staged.confirm()
    else:
        staged.discard()


def scratch_prefix(kind: str) -> str:
    """A temp-folder prefix naming this process, so a later run can sweep it."""
    return f"caseguard-{kind}-{os.getpid()}-"


def sweep_scratch(folder: Path, kind: str) -> list[str]:
    """Remove ``caseguard-<kind>-<pid>-*`` scratch folders of dead processes."""
    removed = []
    pattern = re.compile(rf"^caseguard-{re.escape(kind)}-(\d+)-")
    for entry in Path(folder).iterdir() if Path(folder).is_dir() else []:
        match = pattern.match(entry.name)
        if match and not alive(int(match.group(1))):
            _remove(entry)
            removed.append(entry.name)
    return removed


def database_id(db: Database) -> str:
    """The database's identity (pairs a pending marker with its audit log)."""
    with db.connect(read_only=True) as conn:
        row = one(conn, "SELECT value FROM _meta WHERE key = 'db_id'")
    return str(row[0]) if row else "unknown"


def audit_recorder(db: Database, action: str) -> Recorded:
    """``recorded(key)`` for :func:`sweep`: did an ``action`` entry for ``key`` commit?"""

    def recorded(key: str) -> bool:
        with db.connect(read_only=True) as conn:
            sql = "SELECT 1 FROM audit_log WHERE action = ? AND row_key = ? LIMIT 1"
            return one(conn, sql, [action, key]) is not None

    return recorded
