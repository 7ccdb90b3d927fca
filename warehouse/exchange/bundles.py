"""Site bundles: one site's pseudonymised records in one file, for offline centres.

A bundle is a zip file holding one Parquet file per clinical table and
``manifest.json`` (site, creation time, rows and SHA-256 per member, and the
SHA-256 of the whole payload). When the exporting side holds the site's key, the
payload hash is also signed with HMAC-SHA256 under a key derived from it; an
importer that holds the same key requires and checks that signature. The zip's
comment - its last 64 bytes - is the SHA-256 of every byte before it, so a single
altered byte anywhere in the file is caught before anything is read.

:func:`import_bundle` validates every row with ``schemas/`` and writes in one
transaction: new rows are inserted, changed rows updated (each with an audit entry
holding before and after), identical rows left alone. A bundle already imported
changes nothing; one older than the last bundle imported from its site is refused.
Rows missing from a bundle are not deleted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from schemas import CLINICAL_TABLES, TABLES, checked_table
from schemas.errors import CaseguardError, Conflict, ValidationFailed
from warehouse.exchange.bundle_rows import case_problems, check_membership, diff_table, plain_lists
from warehouse.store.access import EXPORT_BUNDLE, IMPORT_BUNDLE, Session, require
from warehouse.store.audit import Event, audited_transaction, canonical_json
from warehouse.store.db import one
from warehouse.store.progress import Progress, no_progress

FORMAT = "caseguard-bundle/1"
TRAILER = 64  # hex SHA-256 in the zip comment
MANIFEST = "manifest.json"
# Manifest fields an import relies on (besides "tables"), each a text.
MANIFEST_FIELDS = ("site_code", "created_utc", "payload_sha256")
IMPORT_ACTION = "import_bundle"


class BundleRejected(CaseguardError):
    """The bundle is damaged, altered, unsigned where a signature is due, or foreign."""

    title = "Bundle rejected"


@dataclass
class BundleSummary:
    """What a bundle export or import did."""

    site_code: str
    payload_sha256: str
    rows: dict[str, int] = field(default_factory=dict)
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    signed: bool = False
    already_imported: bool = False


def signing_key(site_key: bytes) -> bytes:
    """The bundle-signing key derived from a site key (the site key itself signs nothing)."""
    return hmac.new(site_key, b"caseguard bundle signing v1", hashlib.sha256).digest()


def _signature(session: Session, site_code: str, payload: str) -> str | None:
    if not session.db.keys.has_site_key(site_code):
        return None
    key = signing_key(session.db.keys.site_key(site_code))
    return hmac.new(key, payload.encode("ascii"), hashlib.sha256).hexdigest()


def _payload_hash(manifest: dict[str, Any]) -> str:
    fields = {k: v for k, v in manifest.items() if k not in ("payload_sha256", "signature")}
    return hashlib.sha256((canonical_json(fields) or "").encode("utf-8")).hexdigest()


def _site_rows(conn: duckdb.DuckDBPyConnection, table: str, site: str) -> pd.DataFrame:
    columns = ", ".join(f"t.{c}" for c in TABLES[table].columns)
    if table == "subjects":
        sql = f"SELECT {columns} FROM subjects t WHERE t.site_code = ?"
    elif table == "ae_causality":
        sql = (
            f"SELECT {columns} FROM ae_causality t JOIN adverse_events a USING (ae_id) "
            "JOIN subjects s ON s.subject_id = a.subject_id WHERE s.site_code = ?"
        )
    else:
        sql = (
            f"SELECT {columns} FROM {table} t JOIN subjects s USING (subject_id) "
            "WHERE s.site_code = ?"
        )
    key = ", ".join(f"t.{c}" for c in TABLES[table].key)
    return conn.execute(f"{sql} ORDER BY {key}", [site]).df()


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
    return sink.getvalue()


def _write_zip(path: Path, members: dict[str, bytes]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            archive.writestr(info, data)
        archive.comment = b"0" * TRAILER
    data = buffer.getvalue()
    digest = hashlib.sha256(data[:-TRAILER]).hexdigest().encode("ascii")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data[:-TRAILER] + digest)
    os.replace(tmp, path)


def export_bundle(
    session: Session, site_code: str, out_file: Path, progress: Progress | None = None
) -> BundleSummary:
    """Write ``site_code``'s records to a bundle file (hashed, signed if the key is here)."""
    require(session, EXPORT_BUNDLE, site_code, f"export the bundle of site {site_code}")
    report = progress or no_progress
    members: dict[str, bytes] = {}
    with session.db.connect(read_only=True) as conn:
        if not one(conn, "SELECT 1 FROM sites WHERE site_code = ?", [site_code]):
            raise CaseguardError(f"unknown site {site_code}")
        db_id = one(conn, "SELECT value FROM _meta WHERE key = 'db_id'")
        frames = {t: _site_rows(conn, t, site_code) for t in CLINICAL_TABLES}
    tables: dict[str, dict[str, Any]] = {}
    for done, (table, frame) in enumerate(frames.items(), start=1):
        members[f"{table}.parquet"] = _parquet_bytes(frame)
        digest = hashlib.sha256(members[f"{table}.parquet"]).hexdigest()
        tables[table] = {"rows": len(frame), "sha256": digest}
        report("bundle tables", done, len(frames))
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "site_code": site_code,
        "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "source_db": db_id[0] if db_id else None,
        "tables": tables,
    }
    manifest["payload_sha256"] = _payload_hash(manifest)
    signature = _signature(session, site_code, manifest["payload_sha256"])
    if signature:
        manifest["signature"] = signature
    members[MANIFEST] = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
    _write_zip(Path(out_file), members)
    rows = {t: v["rows"] for t, v in tables.items()}
    return BundleSummary(site_code, manifest["payload_sha256"], rows, signed=bool(signature))


def read_bundle(session: Session, path: Path) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """Check a bundle's checksum, hashes and signature; return its manifest and tables."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CaseguardError(f"cannot read {path}: {exc.strerror or exc}") from exc
    body, trailer = data[:-TRAILER], data[-TRAILER:]
    if len(data) <= TRAILER or hashlib.sha256(body).hexdigest().encode() != trailer:
        raise BundleRejected("the file is damaged or was altered (checksum mismatch)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            manifest = json.loads(archive.read(MANIFEST))
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise BundleRejected("not a caseguard site bundle (unknown format)")
            missing = [f for f in MANIFEST_FIELDS if not isinstance(manifest.get(f), str)]
            if missing or not isinstance(manifest.get("tables"), dict):
                raise BundleRejected(
                    f"the manifest lacks {', '.join(missing) or 'its tables'}: not a complete "
                    "caseguard site bundle"
                )
            members = {t: archive.read(f"{t}.parquet") for t in manifest["tables"]}
        _check_hashes(session, manifest, members)
        frames = {
            t: plain_lists(pq.read_table(io.BytesIO(members[t])).to_pandas())
            for t in CLINICAL_TABLES
        }
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, AttributeError) as exc:
        # a malformed manifest (not an object, tables not a mapping of hashes) or a
        # member that is not Parquet (pyarrow's errors are ValueErrors) is refused
        raise BundleRejected(
            f"not a readable caseguard site bundle ({exc.__class__.__name__})"
        ) from None
    except pa.ArrowException as exc:
        raise BundleRejected(
            f"not a readable caseguard site bundle ({exc.__class__.__name__})"
        ) from None
    return manifest, frames


def _check_hashes(session: Session, manifest: dict[str, Any], members: dict[str, bytes]) -> None:
    if set(manifest["tables"]) != set(CLINICAL_TABLES):
        raise BundleRejected("the bundle does not hold exactly the clinical tables")
    for table, data in members.items():
        if hashlib.sha256(data).hexdigest() != manifest["tables"][table]["sha256"]:
            raise BundleRejected(f"{table}: content does not match its hash in the manifest")
    if _payload_hash(manifest) != manifest.get("payload_sha256"):
        raise BundleRejected("the manifest does not match its payload hash")
    site = str(manifest.get("site_code", ""))
    expected = _signature(session, site, manifest["payload_sha256"]) if site else None
    given = manifest.get("signature")
    if expected and not (isinstance(given, str) and hmac.compare_digest(expected, given)):
        raise BundleRejected(f"the signature does not match site {site}'s key")


def _previous_imports(conn: duckdb.DuckDBPyConnection, site: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT after FROM audit_log WHERE action = ? AND row_key = ? ORDER BY seq",
        [IMPORT_ACTION, site],
    ).fetchall()
    return [json.loads(r[0]) for r in rows if r[0]]


def import_bundle(session: Session, path: Path, progress: Progress | None = None) -> BundleSummary:
    """Import a site bundle: verified, validated, all or nothing, idempotent, audited."""
    require(session, IMPORT_BUNDLE, None, "import a site bundle")
    report = progress or no_progress
    manifest, frames = read_bundle(session, path)
    site, payload = str(manifest["site_code"]), str(manifest["payload_sha256"])
    summary = BundleSummary(site, payload, {t: len(f) for t, f in frames.items()})
    summary.signed = "signature" in manifest
    with session.db.connect(read_only=True) as conn:
        if not one(conn, "SELECT 1 FROM sites WHERE site_code = ?", [site]):
            raise BundleRejected(f"the bundle comes from site {site}, which is not registered")
        if any(e.get("payload_sha256") == payload for e in _previous_imports(conn, site)):
            summary.already_imported = True  # nothing to do, nothing written
            return summary
    report("check", 1, 3)
    checked: dict[str, pd.DataFrame] = {}
    problems = check_membership(site, frames)
    for table in CLINICAL_TABLES:
        checked[table], found = checked_table(table, frames[table])
        problems += found
    problems += case_problems(frames) if not problems else []
    if problems:
        raise ValidationFailed(problems)
    report("validate", 2, 3)
    with audited_transaction(session.db, session.actor) as (conn, events):
        if not one(conn, "SELECT 1 FROM sites WHERE site_code = ?", [site]):
            raise BundleRejected(f"the bundle comes from site {site}, which is not registered")
        earlier = _previous_imports(conn, site)
        if any(e.get("payload_sha256") == payload for e in earlier):
            summary.already_imported = True
            report("import", 3, 3)
            return summary
        latest = max((str(e.get("created_utc", "")) for e in earlier), default="")
        if str(manifest["created_utc"]) < latest:
            raise Conflict(
                f"this bundle of site {site} ({manifest['created_utc']}) is older than the "
                f"last one imported ({latest}); import the newest bundle instead"
            )
        reason = f"site bundle {payload[:12]} from {site}"
        for table in CLINICAL_TABLES:
            added, changed = diff_table(conn, table, checked[table], events, reason)
            summary.inserted[table], summary.updated[table] = added, changed
        events.append(
            Event(
                IMPORT_ACTION,
                None,
                site,
                after={
                    "payload_sha256": payload,
                    "created_utc": manifest["created_utc"],
                    "signed": summary.signed,
                    "inserted": summary.inserted,
                    "updated": summary.updated,
                },
            )
        )
    report("import", 3, 3)
    return summary
