"""Person clusters: subjects a coordinator confirmed to be one child.

A confirmed, not undone 'same child' decision (warehouse/linkage/review.py) joins two
pseudonyms; chains of them form a cluster, named by its smallest subject id. Safety
metrics count exposure and events once per cluster. Lives in the store so that every
room that counts children can read it.
"""

from __future__ import annotations

import duckdb


def confirmed_links(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Pairs currently confirmed as the same child."""
    rows = conn.execute("""
        SELECT subject_id_a, subject_id_b FROM linkage_decisions
        WHERE decision = 'same' AND undone_at IS NULL""").fetchall()
    return [(str(a), str(b)) for a, b in rows]


def person_clusters(links: list[tuple[str, str]]) -> dict[str, str]:
    """Subject id -> person id (smallest subject id of its cluster), for linked subjects
    only; an unlinked subject is its own person."""
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in links:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {node: root(node) for node in parent}


def person_ids(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Subject id -> person id for every subject in a confirmed link."""
    present = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'linkage_decisions'"
    ).fetchall()
    if not present[0][0]:  # a database from before record linkage (not migrated yet)
        return {}
    return person_clusters(confirmed_links(conn))
