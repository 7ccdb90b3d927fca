"""Pooled, disclosure-checked exports for the coordinating centre.

:func:`export_pooled` reads the subjects with pooled-research consent and no
withdrawal, makes them k-anonymous (:mod:`warehouse.export.disclosure`), scrubs free text,
and writes one file per table plus ``data_dictionary``, ``disclosure_report.json``
(and optionally CDISC SDTM domains under ``sdtm/``) and ``manifest.json`` with row
counts and SHA-256 of every file. The export is written to a staging folder beside the
destination, fsynced and renamed into place; its audit entry (parameters and manifest
hash) commits after the rename (:mod:`warehouse.store.atomic`), so a run killed at any
moment leaves no partial export, and the next run sweeps what it left.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from schemas.errors import CaseguardError
from warehouse.export import disclosure, pooled, sdtm
from warehouse.export.dictionary import data_dictionary, marker_names
from warehouse.export.writers import FORMATS, file_name, sha256_file, write_frame
from warehouse.store.access import EXPORT_POOLED, Session, require
from warehouse.store.atomic import audit_recorder, database_id, staged_output
from warehouse.store.audit import Event, audited_transaction
from warehouse.store.meddra_names import meddra_names
from warehouse.store.progress import Progress, stages
from warehouse.store.review_marks import review_counts

DATE_MODES = ("shifted", "study-day")
WRITERS_AT_ONCE = 2
STAGES = ["read", "disclosure", "free text", "tables", "sdtm", "write", "audit"]


class DisclosureRefused(CaseguardError):
    """Too many subjects would be suppressed to reach k-anonymity."""

    title = "Export refused"


@dataclass(frozen=True)
class ExportOptions:
    """What to export and how: format, k, dates, SDTM, largest suppressed share."""

    fmt: str = "parquet"
    k: int = 5
    dates: str = "shifted"
    sdtm: bool = False
    max_suppression: float = 0.05
    force: bool = False
    # utility weights and pinned levels of quasi-identifiers, e.g. (("area", "1"),)
    weights: tuple[tuple[str, str], ...] = ()
    pins: tuple[tuple[str, str], ...] = ()
    # only subjects whose casebook is signed and every record verified against source
    verified_only: bool = False

    def check(self) -> None:
        """Raise a clear error for an impossible option."""
        if self.fmt not in FORMATS:
            raise CaseguardError(f"unknown format {self.fmt!r} (use {', '.join(FORMATS)})")
        if self.dates not in DATE_MODES:
            raise CaseguardError(f"--dates must be one of {', '.join(DATE_MODES)}")
        if self.k < 1:
            raise CaseguardError("k must be at least 1")
        if not 0 <= self.max_suppression <= 1:
            raise CaseguardError("the largest suppressed share must lie between 0 and 1")


@dataclass
class ExportResult:
    """Where the export went, its manifest (and hash), exclusions and disclosure."""

    out_dir: Path
    manifest: dict[str, Any]
    manifest_sha256: str
    excluded: dict[str, int] = field(default_factory=dict)
    disclosure: dict[str, Any] = field(default_factory=dict)


def code_version() -> str:
    """The installed caseguard version (plus the checked-out commit when readable)."""
    version = importlib.metadata.version("caseguard")
    head = Path(__file__).resolve().parents[2] / ".git" / "HEAD"
    try:
        ref = head.read_text(encoding="ascii").strip()
        if ref.startswith("ref: "):
            ref = (head.parent / ref[5:]).read_text(encoding="ascii").strip()
        return f"{version}+{ref[:12]}"
    except OSError:
        return version


def _subjects_table(eligible: pd.DataFrame, released: pd.DataFrame) -> pd.DataFrame:
    """The released subjects: export ids, generalised quasi-identifiers, status.

    Every per-subject value comes from the generalised quasi-identifiers; the stored
    age, age at onset, index date, centre and genetics are never copied.
    """
    frame = released.merge(eligible[["subject_id", "status"]], on="subject_id")
    markers = [m for m in marker_names() if m in released.columns]
    columns = ["export_id", "sex", "age_band", "area", "disease", "disease_subtype", *markers]
    columns += [c for c in ("onset_band", "index_year") if c in released.columns]
    out = frame[[*columns, "status"]].rename(columns={"export_id": "subject_id"})
    return out.sort_values("subject_id").reset_index(drop=True)


def _study_days(frames: dict[str, pd.DataFrame], first_dose: pd.Series) -> None:
    """Replace date columns by days since the subject's first dose (in place)."""
    for table, frame in frames.items():
        if "subject_id" not in frame.columns:
            continue
        start = pd.to_datetime(frame["subject_id"].map(first_dose))
        for column in [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]:
            days = (pd.to_datetime(frame[column]) - start).dt.days.astype("Int64")
            position = frame.columns.get_loc(column)
            name = "day" if column == "date" else column[: -len("date")] + "day"
            frame = frame.drop(columns=[column])
            frame.insert(int(position), name, days)  # type: ignore[arg-type]
        frames[table] = frame


def _read(session: Session, verified_only: bool) -> tuple[dict[str, int], pd.DataFrame]:
    with session.db.connect(read_only=True) as conn:
        excluded, eligible = pooled.exclusions(conn), pooled.eligible_subjects(conn)
        if verified_only:
            eligible = pooled.verified_signed_only(conn, eligible, excluded)
        return excluded, eligible


def _review_figures(session: Session, released: pd.DataFrame) -> dict[str, int]:
    """How many exported records were verified against source and how many lie in a
    signed casebook (and how many subjects are both, whole)."""
    with session.db.connect(read_only=True) as conn:
        return review_counts(conn, list(released["subject_id"]))


def _read_tables(
    session: Session, released: pd.DataFrame, salt_hex: str
) -> dict[str, pd.DataFrame]:
    frames: dict[str, pd.DataFrame] = {}
    with session.db.connect(read_only=True) as conn:
        # large Arrow strings: pandas keeps its text columns in them, so none is copied
        conn.execute("SET arrow_large_buffer_size = true")
        conn.register("_released", released[["subject_id", "export_id"]])
        try:
            for table in pooled.EXPORT_TABLES[1:]:
                frames[table] = pooled.read_table(conn, table, salt_hex)
        finally:
            conn.unregister("_released")
    return frames


def _audit(session: Session, action: str, details: dict[str, Any], key: str | None) -> None:
    with audited_transaction(session.db, session.actor) as (_conn, events):
        events.append(Event(action, None, key, after=details))


def _refuse(session: Session, options: ExportOptions, report: dict[str, Any]) -> None:
    _audit(session, "export_refused", {"parameters": asdict(options), "disclosure": report}, None)
    share = report["suppressed_share"]
    pinned = report["search"]["pinned"]
    levels = f" with {', '.join(f'{n} pinned at {v}' for n, v in pinned.items())}" if pinned else ""
    raise DisclosureRefused(
        f"k-anonymity (k={options.k}) would suppress {report['subjects_suppressed']} of "
        f"{report['subjects_considered']} subjects ({share:.1%}), more than the allowed "
        f"{options.max_suppression:.1%}, at every combination of generalisation levels{levels}; "
        "lower k, allow more suppression, unpin a level, or use --force"
    )


def _check_dir(out_dir: Path) -> None:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise CaseguardError(f"{out_dir} already exists and is not empty; name a new directory")


def _write_all(
    staging: Path, frames: dict[str, pd.DataFrame], fmt: str, progress: Progress | None
) -> list[dict[str, Any]]:
    """Write each frame to its file, two at a time (Parquet encoding and compression
    release the GIL, so both cores work); listed, and reported, in the frames' order."""
    paths = {name: staging / file_name(name, fmt) for name in frames}
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    files = []
    with ThreadPoolExecutor(max_workers=WRITERS_AT_ONCE) as pool:
        written = [pool.submit(write_frame, frames[n], paths[n], fmt) for n in frames]
        for done, (name, future) in enumerate(zip(frames, written, strict=True), start=1):
            future.result()
            files.append(
                {"name": paths[name].relative_to(staging).as_posix(), "rows": len(frames[name])}
            )
            if progress:
                progress(f"write {name}", done, len(frames))
    return files


def _manifest(
    staging: Path,
    files: list[dict[str, Any]],
    options: ExportOptions,
    excluded: dict[str, int],
    report: dict[str, Any],
    review: dict[str, int] | None = None,
) -> tuple[dict[str, Any], str]:
    for entry in files:
        path = staging / entry["name"]
        entry.update(bytes=path.stat().st_size, sha256=sha256_file(path))
    manifest = {
        "format_version": 1,
        "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "code_version": code_version(),
        "parameters": asdict(options),
        "k": options.k,
        "subjects": {
            **excluded,
            "suppressed": report["subjects_suppressed"],
            "released": report["subjects_released"],
        },
        "review": {"verified_only": options.verified_only, **(review or {})},
        "files": files,
    }
    data = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
    (staging / "manifest.json").write_bytes(data)
    return manifest, hashlib.sha256(data).hexdigest()


def anonymise(eligible: pd.DataFrame, options: ExportOptions) -> disclosure.Disclosure:
    """The disclosure control of an export with ``options`` (nothing is written)."""
    return disclosure.anonymise_subjects(
        eligible,
        options.k,
        options.max_suppression,
        weights=dict(options.weights),
        pins=dict(options.pins),
        dates=options.dates,
    )


def export_pooled(
    session: Session, out_dir: Path, options: ExportOptions, progress: Progress | None = None
) -> ExportResult:
    """Write a pooled, k-anonymous, audited export of the warehouse to ``out_dir``."""
    require(session, EXPORT_POOLED, None, "export pooled data")
    options.check()
    out_dir = Path(out_dir)
    step = stages(progress, STAGES)
    excluded, eligible = _read(session, options.verified_only)
    step("read")
    result = anonymise(eligible, options)
    report = {**result.report, "forced": bool(result.refused and options.force)}
    if result.refused and not options.force:
        _refuse(session, options, report)
    step("disclosure")
    salt, salt_hex = pooled.new_salt()
    released = result.released.copy()
    released["export_id"] = pooled.export_ids(released["subject_id"], salt, "S")
    frames = {"subjects": _subjects_table(eligible, released)}
    frames.update(_read_tables(session, released, salt_hex))
    step("free text")
    scrubbed = sum(
        pooled.scrub_free_text(frames[t], cols, pooled.default_scrub)
        for t, cols in pooled.FREE_TEXT.items()
    )
    report["free_texts_scrubbed_on_export"] = scrubbed
    step("tables")
    first = released.merge(eligible[["subject_id", "first_dose"]], on="subject_id")
    first_dose = pd.Series(first["first_dose"].to_numpy(), index=first["export_id"])
    domains = (
        sdtm.build_domains(frames, first_dose, options.dates, meddra_names(session, "en"))
        if options.sdtm
        else {}
    )
    step("sdtm")
    if options.dates == "study-day":
        _study_days(frames, first_dose)
    outputs: dict[str, pd.DataFrame] = {**frames}
    outputs.update({f"sdtm/{d.lower()}": frame for d, (frame, _) in domains.items()})
    outputs["data_dictionary"] = data_dictionary(frames, domains)
    _check_dir(out_dir)
    db_id = database_id(session.db)
    recorded = audit_recorder(session.db, "export")
    with staged_output(out_dir, db_id, recorded, directory=True) as staged:
        files = _write_all(staged.path, outputs, options.fmt, progress)
        report_path = staged.path / "disclosure_report.json"
        report_path.write_text(json.dumps(report, indent=2, ensure_ascii=False), "utf-8")
        files.append({"name": report_path.name, "rows": len(report["generalisation"])})
        step("write")
        review = _review_figures(session, released)
        manifest, digest = _manifest(staged.path, files, options, excluded, report, review)
        details = {
            "parameters": asdict(options),
            "manifest_sha256": digest,
            "rows": {f["name"]: f["rows"] for f in files},
            "subjects": manifest["subjects"],
            "review": manifest["review"],
        }
        staged.publish(digest, db_id)  # fsynced, renamed into place
        _audit(session, "export", details, digest)  # commits only once the files are there
        step("audit")
    return ExportResult(out_dir, manifest, digest, excluded, report)


def verify_export(out_dir: Path) -> list[str]:
    """Files of an export whose size or SHA-256 differs from its manifest (empty = good)."""
    manifest = json.loads((Path(out_dir) / "manifest.json").read_text(encoding="utf-8"))
    bad = []
    for entry in manifest["files"]:
        path = Path(out_dir) / entry["name"]
        if not path.is_file() or sha256_file(path) != entry["sha256"]:
            bad.append(entry["name"])
    return bad
