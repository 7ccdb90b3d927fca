"""``caseguard linkage run``: score the pooled tokens and store the candidate pairs.

Scores every pair the blocking rules propose, across centres and within one (double
entry), keeps those at or above the threshold (settings: ``linkage.threshold``) and
replaces the stored pairs in one audited transaction. Decisions already taken stay.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

import schemas
from schemas.errors import CaseguardError
from warehouse.linkage.model import score_pairs
from warehouse.linkage.storage import load_tokens
from warehouse.store.access import LINK_RECORDS, Session, require
from warehouse.store.audit import Event, audited_transaction

PAIR_COLUMNS = [
    "subject_id_a",
    "subject_id_b",
    "match_probability",
    "match_weight",
    "agreeing_fields",
]
_SETTINGS = Path(schemas.__file__).resolve().parent / "reference" / "linkage.yaml"


@lru_cache(maxsize=1)
def default_threshold() -> float:
    """The review threshold from schemas/reference/linkage.yaml."""
    loaded = yaml.safe_load(_SETTINGS.read_text(encoding="utf-8")) or {}
    value = float(loaded.get("threshold", 0.9))
    if not 0 < value < 1:
        raise CaseguardError(f"{_SETTINGS.name}: threshold must lie between 0 and 1")
    return value


@dataclass(frozen=True)
class RunSummary:
    """What one linkage run did."""

    subjects: int
    pairs: int
    cross_centre: int
    seconds: float
    threshold: float


def run_linkage(session: Session, threshold: float | None = None) -> RunSummary:
    """Score all stored tokens and store the pairs at or above ``threshold`` (default:
    the settings' threshold)."""
    threshold = default_threshold() if threshold is None else threshold
    require(session, LINK_RECORDS, None, "run record linkage")
    if not 0 < threshold < 1:
        raise CaseguardError(f"linkage threshold must lie between 0 and 1, not {threshold}")
    started = time.perf_counter()
    with session.db.connect(read_only=True) as conn:
        tokens = load_tokens(conn)
    keys = set(tokens["key_id"])
    if len(keys) > 1:
        raise CaseguardError(
            f"tokens were made under {len(keys)} different linkage keys; re-tokenise every "
            "site under the current key before linking (docs/SECURITY.md, key rotation)"
        )
    pairs = _empty_pairs() if len(tokens) < 2 else score_pairs(tokens, threshold).pairs
    site_of = dict(zip(tokens["subject_id"], tokens["site_code"], strict=True))
    cross = int(
        sum(
            site_of[a] != site_of[b]
            for a, b in zip(pairs.subject_id_a, pairs.subject_id_b, strict=True)
        )
    )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    stored = pairs[PAIR_COLUMNS].assign(scored_at=now)
    with audited_transaction(session.db, session.actor) as (conn, events):
        conn.execute("DELETE FROM linkage_pairs")
        conn.register("_incoming_pairs", stored)
        try:
            conn.execute(
                "INSERT INTO linkage_pairs (subject_id_a, subject_id_b, match_probability, "
                "match_weight, agreeing_fields, scored_at) SELECT subject_id_a, subject_id_b, "
                "match_probability, match_weight, agreeing_fields, scored_at FROM _incoming_pairs"
            )
        finally:
            conn.unregister("_incoming_pairs")
        events.append(
            Event(
                "linkage_run",
                "linkage_pairs",
                after={
                    "subjects": len(tokens),
                    "pairs": len(stored),
                    "cross_centre": cross,
                    "threshold": threshold,
                },
            )
        )
    return RunSummary(len(tokens), len(stored), cross, time.perf_counter() - started, threshold)


def _empty_pairs() -> pd.DataFrame:
    return pd.DataFrame(columns=PAIR_COLUMNS)


def stored_pairs(session: Session) -> pd.DataFrame:
    """The pairs of the last run, strongest first."""
    require(session, LINK_RECORDS, None, "read linkage pairs")
    with session.db.connect(read_only=True) as conn:
        return conn.execute(
            f"SELECT {', '.join(PAIR_COLUMNS)} FROM linkage_pairs "
            "ORDER BY match_weight DESC, subject_id_a, subject_id_b"
        ).df()


def write_pairs_csv(pairs: pd.DataFrame, out: Path) -> Path:
    """The pairs as CSV (pseudonyms, scores and field names; never values), renamed into
    place so a failed write leaves no half file."""
    out = Path(out)
    text = pairs[PAIR_COLUMNS].to_csv(index=False, float_format="%.6f")
    try:
        fd, tmp = tempfile.mkstemp(dir=out.resolve().parent, prefix=f".{out.name}-")
    except OSError as exc:
        raise CaseguardError(f"cannot write {out}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return out
