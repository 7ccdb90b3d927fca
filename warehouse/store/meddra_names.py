"""Names of the MedDRA PT and SOC codes a coded event carries.

An event coded through the LLT search stores its PT (``PT:…``) and primary SOC
(``SOC:…``) by code, and the safety dashboard counts every coded event under those
(the cohort's ``_cg_events``); the pages, the listings and the SDTM export name the
codes with this module: in the user's language when any loaded version has it in
that language (else English), from the newest such version. Shared by ``safety``,
``export`` and ``ui``, so it lives in the store.
"""

from __future__ import annotations

import threading

from warehouse.store.access import READ_AGGREGATE, Session, require

PREFIX = {"pt": "PT", "soc": "SOC"}
_CACHE: dict[tuple[str, str, str], dict[str, str]] = {}
_LOCK = threading.Lock()


def _version_key(version: str) -> tuple[int | str, ...]:
    return tuple(int(p) if p.isdigit() else p for p in version.replace("-", ".").split("."))


def meddra_names(session: Session, lang: str = "en") -> dict[str, str]:
    """``{"PT:10019211": "Headache", "SOC:10029205": "Nervous system disorders", ...}``
    for every loaded PT and SOC (empty without a dictionary)."""
    require(session, READ_AGGREGATE, None, "read MedDRA term names")
    with session.db.connect(read_only=not session.db.in_memory) as conn:
        loaded = conn.execute(
            "SELECT coalesce(string_agg(version || '/' || language || '/' || files_sha256, ',' "
            "ORDER BY version, language), '') FROM meddra_releases"
        ).fetchall()[0][0]
        key = (session.db.path, lang, str(loaded))
        with _LOCK:
            if key in _CACHE:
                return _CACHE[key]
        rows = conn.execute(
            "SELECT version, language, level, code, name FROM meddra_terms "
            "WHERE level IN ('pt', 'soc') AND language IN (?, 'en')",
            [lang],
        ).fetchall()
    # later wins: the user's language over English, then the newest version
    ranked = sorted(rows, key=lambda r: (r[1] == lang, _version_key(str(r[0]))))
    names = {f"{PREFIX[str(lvl)]}:{int(code):08d}": str(name) for _, _, lvl, code, name in ranked}
    with _LOCK:
        if len(_CACHE) > 8:  # a few databases and languages at most; never grows unbounded
            _CACHE.clear()
        _CACHE[key] = names
    return names
