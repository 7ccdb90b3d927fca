"""Is the database on an encrypted disk? The check behind a deployment requirement.

The database file alone is not safe to lose: the audit log holds the real time of
every entry beside the shifted dates it wrote, so each subject's date shift can be read
off the file to within days (docs/SECURITY.md section 4). DuckDB 2.0 writes an
encrypted database only with its httpfs extension loaded, which is not packaged for
2.0 (measured in docs/SECURITY.md), so caseguard requires full-disk encryption under
the database, its WAL, backups and the key store, and checks it: ``caseguard serve``
refuses a database whose file system is not on a dm-crypt (LUKS) device or an
encrypting file system, unless told ``--allow-unencrypted-disk`` (the synthetic demo).

Linux only: the mount is found in ``/proc/self/mountinfo`` and its block device is
followed through ``/sys/dev/block`` (LVM and RAID layers included) to a dm-crypt layer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENCRYPTING_FILE_SYSTEMS = {"ecryptfs", "gocryptfs", "fuse.gocryptfs", "fuse.cryfs"}


@dataclass(frozen=True)
class DiskCheck:
    """Where a path is stored and whether that storage is encrypted."""

    path: str
    mount_point: str
    fs_type: str
    device: str
    encrypted: bool
    reason: str


def _unescape(field: str) -> str:
    return field.encode("latin-1").decode("unicode_escape")


def _mount_of(path: Path, mountinfo: Path) -> tuple[str, str, str, str]:
    """(mount point, fs type, major:minor, source) of the mount holding ``path``."""
    best: tuple[str, str, str, str] = ("/", "unknown", "0:0", "unknown")
    length = -1
    for line in mountinfo.read_text(encoding="utf-8").splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) < 5 or len(tail) < 2:
            continue
        point = _unescape(fields[4])
        inside = str(path) == point or str(path).startswith(point.rstrip("/") + "/")
        if inside and len(point) >= length:  # the last of equal mounts is the one in effect
            best, length = (point, tail[0], fields[2], tail[1]), len(point)
    return best


def _dm_crypt_below(device: str, sys_block: Path, seen: set[str] | None = None) -> bool:
    """True if the block device or anything it is built on is a dm-crypt mapping."""
    seen = seen or set()
    if device in seen:
        return False
    seen.add(device)
    node = sys_block / device
    uuid = node / "dm" / "uuid"
    if uuid.is_file() and uuid.read_text(encoding="ascii", errors="replace").startswith("CRYPT-"):
        return True
    slaves = node / "slaves"
    if not slaves.is_dir():
        return False
    for slave in slaves.iterdir():
        dev = slave / "dev"
        if dev.is_file() and _dm_crypt_below(dev.read_text().strip(), sys_block, seen):
            return True
    return False


def check_disk(
    path: str | Path,
    mountinfo: Path = Path("/proc/self/mountinfo"),
    sys_block: Path = Path("/sys/dev/block"),
) -> DiskCheck:
    """Whether ``path`` (a file or the folder it will be in) lies on encrypted storage."""
    target = Path(os.path.realpath(path))  # symlinks of the existing part resolved
    if not mountinfo.is_file():
        return DiskCheck(str(target), "?", "?", "?", False, "cannot read the mount table")
    point, fs_type, device, source = _mount_of(target, mountinfo)
    if fs_type in ENCRYPTING_FILE_SYSTEMS:
        return DiskCheck(str(target), point, fs_type, source, True, f"{fs_type} file system")
    if _dm_crypt_below(device, sys_block):
        return DiskCheck(str(target), point, fs_type, source, True, "dm-crypt (LUKS) device")
    return DiskCheck(
        str(target),
        point,
        fs_type,
        source,
        False,
        f"{point} ({fs_type} on {source}) is not on a dm-crypt device or encrypting file system",
    )
