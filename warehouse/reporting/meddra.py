"""MedDRA in the warehouse: loading a distribution, coding an event with an LLT, and
finding events coded with an older version whose LLT is no longer current.

Every loaded version (and translation) is kept; a coded event records its LLT code
and the version that coded it, and its PT, HLT, HLGT and primary SOC are derived
from that version's hierarchy whenever they are needed, in the user's language when
that translation is loaded and in English otherwise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from schemas.errors import CaseguardError, Conflict, NotFound
from warehouse.reporting.meddra_files import Distribution, read_distribution
from warehouse.store.access import (
    MANAGE_SITES,
    READ_AGGREGATE,
    READ_CLINICAL,
    Session,
    require,
    scope_filter,
)
from warehouse.store.audit import Event, audited_transaction

LANGUAGE_CODES = {"english": "en", "russian": "ru", "en": "en", "ru": "ru"}
LEVELS = ("llt", "pt", "hlt", "hlgt", "soc")


@dataclass(frozen=True)
class Coding:
    """An LLT and the terms it derives, named in one language."""

    version: str
    llt_code: int
    llt_name: str
    pt_code: int
    pt_name: str
    hlt_code: int
    hlt_name: str
    hlgt_code: int
    hlgt_name: str
    soc_code: int
    soc_name: str
    llt_current: bool


def version_key(version: str) -> tuple[Any, ...]:
    """Sort key for MedDRA versions ('9.1' < '26.0' < '26.1')."""
    return tuple(int(p) if p.isdigit() else p for p in version.replace("-", ".").split("."))


def language_code(language: str) -> str:
    """'English' -> 'en', 'Russian' -> 'ru'; other translations keep their lower-cased name."""
    return LANGUAGE_CODES.get(language.strip().lower(), language.strip().lower())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _frames(dist: Distribution, language: str) -> dict[str, pd.DataFrame]:
    terms: list[tuple[Any, ...]] = [
        ("llt", code, name, pt, current) for code, name, pt, current in dist.llt
    ]
    terms += [("pt", code, name, soc, True) for code, name, soc in dist.pt]
    for level, rows in dist.names.items():
        terms += [(level, code, name, None, True) for code, name in rows]
    term_frame = pd.DataFrame(terms, columns=["level", "code", "name", "parent_code", "is_current"])
    term_frame.insert(0, "language", language)
    term_frame.insert(0, "version", dist.version)
    term_frame["parent_code"] = term_frame["parent_code"].astype("Int64")
    links = [(level, p, c) for level, pairs in dist.links.items() for p, c in pairs]
    link_frame = pd.DataFrame(links, columns=["parent_level", "parent_code", "child_code"])
    link_frame.insert(0, "version", dist.version)
    paths = pd.DataFrame(
        dist.paths, columns=["pt_code", "hlt_code", "hlgt_code", "soc_code", "is_primary"]
    ).drop_duplicates()
    paths.insert(0, "version", dist.version)
    return {"meddra_terms": term_frame, "meddra_links": link_frame, "meddra_paths": paths}


def _insert(conn: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    conn.register("_meddra_rows", frame)
    try:
        columns = ", ".join(frame.columns)
        conn.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _meddra_rows")
    finally:
        conn.unregister("_meddra_rows")


def load_distribution(
    session: Session,
    folder: Path,
    version: str | None = None,
    language: str | None = None,
    encoding: str = "utf-8",
) -> dict[str, Any]:
    """Load a MedDRA distribution folder in one transaction (coordinator only).

    A version already loaded in the same language is refused; another version or a
    translation of a loaded one is added beside it. Returns what was loaded.
    """
    require(session, MANAGE_SITES, None, "load a MedDRA dictionary")
    dist = read_distribution(Path(folder), version, language, encoding)
    lang = language_code(dist.language)
    frames = _frames(dist, lang)
    with audited_transaction(session.db, session.actor) as (conn, events):
        if conn.execute(
            "SELECT 1 FROM meddra_releases WHERE version = ? AND language = ?", [dist.version, lang]
        ).fetchall():
            raise Conflict(f"MedDRA {dist.version} ({lang}) is already loaded")
        _insert(conn, "meddra_terms", frames["meddra_terms"])
        structure_known = conn.execute(
            "SELECT 1 FROM meddra_releases WHERE version = ?", [dist.version]
        ).fetchall()
        if not structure_known:  # links and paths are the same in every translation
            _insert(conn, "meddra_links", frames["meddra_links"].drop_duplicates())
            _insert(conn, "meddra_paths", frames["meddra_paths"])
        conn.execute(
            "INSERT INTO meddra_releases VALUES (?, ?, ?, ?, ?, ?)",
            [dist.version, lang, _now(), session.username, len(dist.llt), dist.sha256],
        )
        summary = {
            "version": dist.version,
            "language": lang,
            "llt": len(dist.llt),
            "current_llt": sum(1 for row in dist.llt if row[3]),
            "pt": len(dist.pt),
            "soc": len(dist.names.get("soc", [])),
            "sha256": dist.sha256,
        }
        events.append(
            Event("meddra_load", "meddra_releases", f"{dist.version}/{lang}", after=summary)
        )
    return summary


def releases(session: Session) -> pd.DataFrame:
    """Loaded versions and languages, newest version first."""
    require(session, READ_AGGREGATE, None, "list MedDRA versions")
    with session.db.connect(read_only=not session.db.in_memory) as conn:
        frame = conn.execute(
            "SELECT version, language, loaded_at, loaded_by, llt_count FROM meddra_releases"
        ).df()
    if frame.empty:
        return frame
    order = sorted(
        frame.index, key=lambda i: version_key(str(frame.at[i, "version"])), reverse=True
    )
    return frame.loc[order].reset_index(drop=True)


def latest_version(conn: duckdb.DuckDBPyConnection) -> str | None:
    """The newest loaded MedDRA version, or None when no dictionary is loaded."""
    versions = [
        str(r[0]) for r in conn.execute("SELECT DISTINCT version FROM meddra_releases").fetchall()
    ]
    return max(versions, key=version_key) if versions else None


def _name_language(conn: duckdb.DuckDBPyConnection, version: str, lang: str) -> str:
    have = {
        str(r[0])
        for r in conn.execute(
            "SELECT language FROM meddra_releases WHERE version = ?", [version]
        ).fetchall()
    }
    if lang in have:
        return lang
    if "en" in have:
        return "en"
    if not have:
        raise NotFound(f"MedDRA {version} is not loaded")
    return sorted(have)[0]


def coding_for(
    conn: duckdb.DuckDBPyConnection, llt_code: int, version: str, lang: str = "en"
) -> Coding:
    """The LLT's PT, HLT, HLGT and primary SOC in ``version``, named in ``lang``."""
    name_lang = _name_language(conn, version, lang)
    row = conn.execute(
        """
        SELECT l.code, l.name, l.is_current, p.code, p.name, h.code, h.name,
               g.code, g.name, s.code, s.name
        FROM meddra_terms l
        JOIN meddra_terms p ON p.version = l.version AND p.language = l.language
             AND p.level = 'pt' AND p.code = l.parent_code
        JOIN meddra_paths m ON m.version = l.version AND m.pt_code = p.code AND m.is_primary
        JOIN meddra_terms h ON h.version = l.version AND h.language = l.language
             AND h.level = 'hlt' AND h.code = m.hlt_code
        JOIN meddra_terms g ON g.version = l.version AND g.language = l.language
             AND g.level = 'hlgt' AND g.code = m.hlgt_code
        JOIN meddra_terms s ON s.version = l.version AND s.language = l.language
             AND s.level = 'soc' AND s.code = m.soc_code
        WHERE l.version = ? AND l.language = ? AND l.level = 'llt' AND l.code = ?""",
        [version, name_lang, int(llt_code)],
    ).fetchall()
    if not row:
        raise NotFound(f"LLT {llt_code} is not in MedDRA {version}")
    r = row[0]
    return Coding(version, r[0], r[1], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], bool(r[2]))


def coding_of_event(conn: duckdb.DuckDBPyConnection, ae_id: str, lang: str = "en") -> Coding | None:
    """How an event is coded (in the version that coded it), or None when it is not."""
    row = conn.execute(
        "SELECT llt_code, meddra_version FROM ae_meddra WHERE ae_id = ?", [ae_id]
    ).fetchall()
    if not row:
        return None
    return coding_for(conn, int(row[0][0]), str(row[0][1]), lang)


def code_event(
    conn: duckdb.DuckDBPyConnection,
    events: list[Event],
    username: str,
    ae_id: str,
    llt_code: int,
    version: str,
) -> Coding:
    """Record (inside the caller's audited transaction) that ``ae_id`` is coded with an LLT.

    Only a current LLT of a loaded version may code an event.
    """
    coding = coding_for(conn, llt_code, version)
    if not coding.llt_current:
        raise CaseguardError(
            f"LLT {llt_code} is not current in MedDRA {version}; pick a current one"
        )
    before = conn.execute(
        "SELECT llt_code, meddra_version FROM ae_meddra WHERE ae_id = ?", [ae_id]
    ).fetchall()
    conn.execute("DELETE FROM ae_meddra WHERE ae_id = ?", [ae_id])
    conn.execute(
        "INSERT INTO ae_meddra VALUES (?, ?, ?, ?, ?)",
        [ae_id, int(llt_code), version, username, _now()],
    )
    events.append(
        Event(
            "update" if before else "insert",
            "ae_meddra",
            ae_id,
            before={"llt_code": before[0][0], "meddra_version": before[0][1]} if before else None,
            after={"llt_code": int(llt_code), "meddra_version": version, "pt_code": coding.pt_code},
        )
    )
    return coding


def uncode_event(conn: duckdb.DuckDBPyConnection, events: list[Event], ae_id: str) -> None:
    """Forget (inside the caller's audited transaction) the LLT that coded ``ae_id``, when
    its term is corrected to one of the study's list: a coding must never outlive its term."""
    before = conn.execute(
        "SELECT llt_code, meddra_version FROM ae_meddra WHERE ae_id = ?", [ae_id]
    ).fetchall()
    if not before:
        return
    conn.execute("DELETE FROM ae_meddra WHERE ae_id = ?", [ae_id])
    events.append(
        Event(
            "delete",
            "ae_meddra",
            ae_id,
            before={"llt_code": before[0][0], "meddra_version": before[0][1]},
            after=None,
        )
    )


def recode_candidates(session: Session) -> pd.DataFrame:
    """Events coded with an older version whose LLT is non-current (or gone) in the newest.

    Columns: ae_id, site_code, llt_code, llt_name, coded_version, latest_version, status
    ('non_current' or 'absent'); a site user sees their own centre's events only.
    """
    require(session, READ_CLINICAL, None, "list events to recode")
    where, params = scope_filter(session, "s.site_code")
    with session.db.connect(read_only=not session.db.in_memory) as conn:
        latest = latest_version(conn)
        if latest is None:
            raise NotFound("no MedDRA dictionary is loaded (caseguard meddra load DIR)")
        frame = conn.execute(
            f"""
            WITH llt AS (
                SELECT version, code, any_value(name ORDER BY language = 'en' DESC) AS name,
                       bool_or(is_current) AS is_current
                FROM meddra_terms WHERE level = 'llt' GROUP BY version, code)
            SELECT c.ae_id, s.site_code, c.llt_code, old.name AS llt_name,
                   c.meddra_version AS coded_version, ? AS latest_version,
                   CASE WHEN new.code IS NULL THEN 'absent' ELSE 'non_current' END AS status
            FROM ae_meddra c
            JOIN adverse_events a USING (ae_id)
            JOIN subjects s ON s.subject_id = a.subject_id
            LEFT JOIN llt old ON old.version = c.meddra_version AND old.code = c.llt_code
            LEFT JOIN llt new ON new.version = ? AND new.code = c.llt_code
            WHERE c.meddra_version <> ? AND (new.code IS NULL OR NOT new.is_current) AND {where}
            ORDER BY s.site_code, c.ae_id""",
            [latest, latest, latest, *params],
        ).df()
    return frame
