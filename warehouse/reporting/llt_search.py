"""Searching LLTs as the reporter types: Russian and English, by word prefix.

The index is built once per loaded dictionary (current LLTs of the newest version, in
every loaded language) and kept in memory. A query matches an LLT when every word of
the query begins some word of the LLT's name, in any order (so "голов бол" and "боль гол"
both find "Головная боль", "head" finds "Headache" but "ache" does not); names that
begin with the query come first, then shorter names. Case, the letter ё and
punctuation are ignored. Looking a word prefix up is a binary search in a sorted word
list, so a keystroke costs microseconds to milliseconds even with 80,000 LLTs.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left
from dataclasses import dataclass

import duckdb

from warehouse.reporting.meddra import latest_version

WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_CHARS = 100
MIN_QUERY_CHARS = 2
LAST_CHAR = "\U0010ffff"  # sorts after every character: the end of a prefix range


@dataclass(frozen=True)
class LltHit:
    """One LLT found: code, name, language, its PT's code and name."""

    llt_code: int
    name: str
    language: str
    pt_code: int
    pt_name: str


def normalise(text: str) -> str:
    """Lower case, ё as е, so that spelling variants meet."""
    return text.casefold().replace("ё", "е")


def words(text: str) -> list[str]:
    """The normalised words of a text."""
    return WORD.findall(normalise(text))


class LltIndex:
    """Word-prefix index over LLT names."""

    def __init__(self, version: str | None, hits: list[LltHit]) -> None:
        self.version = version
        self.hits = hits
        self._names = [normalise(h.name) for h in hits]
        pairs = sorted({(w, i) for i, h in enumerate(hits) for w in words(h.name)})
        self._words = [w for w, _ in pairs]
        self._owners = [i for _, i in pairs]
        ranked = sorted(range(len(hits)), key=lambda i: (len(self._names[i]), self._names[i]))
        self._order = [0] * len(hits)
        for position, i in enumerate(ranked):
            self._order[i] = position

    def __len__(self) -> int:
        return len(self.hits)

    def _prefixed(self, prefix: str) -> set[int]:
        start = bisect_left(self._words, prefix)
        end = bisect_left(self._words, prefix + LAST_CHAR, start)
        return set(self._owners[start:end])

    def search(self, query: str, limit: int = 20, language: str | None = None) -> list[LltHit]:
        """LLTs whose words start with every query word, best first (at most ``limit``)."""
        tokens = sorted(set(words(query[:MAX_QUERY_CHARS])), key=len, reverse=True)
        if not tokens or sum(map(len, tokens)) < MIN_QUERY_CHARS:
            return []
        found = self._prefixed(tokens[0])
        for token in tokens[1:]:
            if not found:
                break
            found &= self._prefixed(token)
        if language:
            found = {i for i in found if self.hits[i].language == language}
        whole = normalise(query.strip())
        names, order = self._names, self._order
        best = heapq.nsmallest(
            limit, found, key=lambda i: (not names[i].startswith(whole), order[i])
        )
        return [self.hits[i] for i in best]


def build_index(conn: duckdb.DuckDBPyConnection) -> LltIndex:
    """The index of the newest loaded version's current LLTs (empty without a dictionary)."""
    version = latest_version(conn)
    if version is None:
        return LltIndex(None, [])
    rows = conn.execute(
        """
        SELECT l.code, l.name, l.language, p.code, p.name
        FROM meddra_terms l
        JOIN meddra_terms p ON p.version = l.version AND p.language = l.language
             AND p.level = 'pt' AND p.code = l.parent_code
        WHERE l.version = ? AND l.level = 'llt' AND l.is_current
        ORDER BY l.language, l.code""",
        [version],
    ).fetchall()
    return LltIndex(
        version, [LltHit(int(r[0]), str(r[1]), str(r[2]), int(r[3]), str(r[4])) for r in rows]
    )


def dictionary_signature(conn: duckdb.DuckDBPyConnection) -> str:
    """Changes whenever a dictionary is loaded: a cache key for the index."""
    rows = conn.execute(
        "SELECT version, language, files_sha256 FROM meddra_releases ORDER BY version, language"
    ).fetchall()
    return "|".join(f"{v}/{lang}/{sha[:12]}" for v, lang, sha in rows)
