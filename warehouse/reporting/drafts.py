"""Report drafts: a CIOMS I PDF or an E2B(R3) XML for one serious event, audited.

Every draft is recorded in the audit log (who, which event, which report version, the
file's SHA-256, whether real dates were restored, whether it passed the ICH schema).
An E2B draft is validated whenever a schema folder is known and is refused, never
written, if it fails. A file is written under a temporary name, flushed to disk and
renamed into place; its audit entry commits after the rename.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from schemas.errors import CaseguardError
from warehouse.reporting import e2b
from warehouse.reporting.cioms import build_cioms
from warehouse.reporting.report_data import report_data
from warehouse.store.access import Session
from warehouse.store.audit import Event, audited_transaction

FORMATS = {"cioms": ("pdf", "application/pdf"), "e2b": ("xml", "application/xml")}


@dataclass(frozen=True)
class Draft:
    """A built draft: its bytes and what the audit log says about it."""

    ae_id: str
    format: str
    version: int
    content: bytes
    sha256: str
    real_dates: bool
    validated: bool | None  # None: no schema folder known (E2B), or not applicable (CIOMS)

    @property
    def filename(self) -> str:
        """A file name naming the event, the version and the format."""
        extension = FORMATS[self.format][0]
        return f"{self.ae_id}_v{self.version}_{self.format}.{extension}"

    @property
    def mime(self) -> str:
        """The draft's media type (for a download)."""
        return FORMATS[self.format][1]


def build_draft(
    session: Session,
    ae_id: str,
    fmt: str,
    local_id: str | None = None,
    schema_dir: Path | None = None,
    now: dt.datetime | None = None,
) -> Draft:
    """Build a draft (not yet audited); E2B drafts are validated when a schema is known."""
    if fmt not in FORMATS:
        raise CaseguardError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    data = report_data(session, ae_id, local_id)
    validated: bool | None = None
    if fmt == "cioms":
        content = build_cioms(data, now)
    else:
        content = e2b.build_icsr(data, now)
        folder = e2b.schema_folder(schema_dir)
        if folder is not None:
            errors = e2b.validate(content, folder)
            if errors:
                raise CaseguardError(
                    f"the E2B draft of {ae_id} fails the ICH schema: " + "; ".join(errors[:3])
                )
            validated = True
    digest = hashlib.sha256(content).hexdigest()
    return Draft(ae_id, fmt, data.version, content, digest, data.real_dates, validated)


def audit_draft(session: Session, draft: Draft, path: Path | None = None) -> None:
    """Record that ``draft`` was handed out (downloaded or written to ``path``)."""
    after = {
        "format": draft.format,
        "version": draft.version,
        "sha256": draft.sha256,
        "real_dates": draft.real_dates,
        "validated": draft.validated,
        "file": path.name if path else None,
    }
    with audited_transaction(session.db, session.actor) as (_conn, events):
        events.append(Event("draft_report", "adverse_events", draft.ae_id, after=after))


def draft_for_download(
    session: Session,
    ae_id: str,
    fmt: str,
    local_id: str | None = None,
    schema_dir: Path | None = None,
) -> Draft:
    """Build and audit a draft that the app hands to the user's browser."""
    draft = build_draft(session, ae_id, fmt, local_id, schema_dir)
    audit_draft(session, draft)
    return draft


def write_draft(
    session: Session,
    ae_id: str,
    fmt: str,
    out: Path,
    local_id: str | None = None,
    schema_dir: Path | None = None,
) -> Draft:
    """Build a draft, write it to ``out`` atomically, then audit it."""
    draft = build_draft(session, ae_id, fmt, local_id, schema_dir)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(draft.content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    audit_draft(session, draft, out)
    return draft
