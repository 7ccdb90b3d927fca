"""A pooled export packed as one zip archive, for the app's download button.

The export is written to a private temporary folder, checked against its own
manifest, zipped in memory and the folder removed; nothing stays on the server. The
folder's name carries the process id, so one left by a killed process is swept by the
next export.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from schemas.errors import CaseguardError
from warehouse.export.release import ExportOptions, ExportResult, export_pooled, verify_export
from warehouse.store.access import Session
from warehouse.store.atomic import scratch_prefix, sweep_scratch
from warehouse.store.progress import Progress


@dataclass(frozen=True)
class ExportArchive:
    """The zipped export and what the coordinator is told about it."""

    data: bytes
    file_name: str
    result: ExportResult


def export_archive(
    session: Session, options: ExportOptions, progress: Progress | None = None
) -> ExportArchive:
    """Run :func:`~warehouse.export.release.export_pooled` and return the files as a zip."""
    sweep_scratch(Path(tempfile.gettempdir()), "export")
    with tempfile.TemporaryDirectory(prefix=scratch_prefix("export")) as scratch:
        out_dir = Path(scratch) / "export"
        result = export_pooled(session, out_dir, options, progress)
        problems = verify_export(out_dir)
        if problems:
            raise CaseguardError(f"the export does not match its manifest: {problems[0]}")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(out_dir.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(out_dir).as_posix())
    stamp = str(result.manifest.get("created_utc", ""))[:10] or "export"
    name = f"caseguard-export-{stamp}-{result.manifest_sha256[:8]}.zip"
    return ExportArchive(buffer.getvalue(), name, result)
