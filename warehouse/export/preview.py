"""Preview of a pooled export: what it would release, before anything is written.

The same search as the export (:func:`warehouse.export.release.anonymise`) over the
same eligible subjects; the export page and ``caseguard export --dry-run`` show its
table: the level each quasi-identifier would keep, its weight and loss, how many
subjects would be suppressed, and the loss of the chosen node beside the greedy one.
"""

from __future__ import annotations

from typing import Any

from warehouse.export import pooled
from warehouse.export.release import ExportOptions, anonymise
from warehouse.store.access import EXPORT_POOLED, Session, require


def preview(session: Session, options: ExportOptions) -> dict[str, Any]:
    """The disclosure report an export with ``options`` would have (nothing is written)."""
    require(session, EXPORT_POOLED, None, "preview a pooled export")
    options.check()
    with session.db.connect(read_only=True) as conn:
        excluded, eligible = pooled.exclusions(conn), pooled.eligible_subjects(conn)
        if options.verified_only:
            eligible = pooled.verified_signed_only(conn, eligible, excluded)
    return {**anonymise(eligible, options).report, "excluded": excluded}


def level_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per quasi-identifier: released level, the greedy walk's level, weight,
    loss, distinct values and rows generalised."""
    greedy = (report.get("greedy") or {}).get("node") or {}
    pinned = report.get("search", {}).get("pinned", {})
    return [
        {
            "quasi_identifier": name,
            "level": info["level"],
            "pinned": name in pinned,
            "greedy_level": greedy.get(name, ""),
            "weight": info["weight"],
            "loss": info["loss"],
            "distinct_values": info["distinct_values"],
            "rows_generalised": info["rows_generalised"],
        }
        for name, info in report.get("generalisation", {}).items()
    ]


def summary_lines(report: dict[str, Any]) -> list[str]:
    """The preview as plain text lines (the CLI's --dry-run)."""
    lattice, greedy, search = report["lattice"], report["greedy"], report["search"]
    rows = level_rows(report)
    width = max([len(r["quasi_identifier"]) for r in rows] + [16])
    level_width = max([len(str(r["level"])) for r in rows] + [5])
    lines = [
        f"{'quasi-identifier':<{width}}  {'level':<{level_width}}  weight  loss  greedy level",
    ]
    for row in rows:
        mark = " (pinned)" if row["pinned"] else ""
        lines.append(
            f"{row['quasi_identifier']:<{width}}  {row['level']:<{level_width}}  "
            f"{row['weight']:>6g}  {row['loss']:>4.2f}  {row['greedy_level']}{mark}"
        )
    state = "REFUSED (no combination within the budget)" if report["refused"] else "within budget"
    lines += [
        f"k={report['k']}: {report['subjects_released']} of {report['subjects_considered']} "
        f"subjects released, {report['subjects_suppressed']} suppressed "
        f"({report['suppressed_share']:.1%}; allowed {report['max_suppression']:.1%}) - {state}",
        f"information loss {lattice['information_loss']} (lattice node) vs "
        f"{greedy['information_loss']} (greedy ladder, {greedy['subjects_suppressed']} suppressed)",
        f"searched {search['nodes_evaluated']} of {search['lattice_nodes']} lattice nodes; "
        f"loss = {search['metric']}",
    ]
    for name, info in report.get("l_diversity", {}).items():
        lines.append(
            f"l-diversity of {name}: l={info['l']} ({info['classes_with_one_value']} classes, "
            f"{info['subjects_in_those_classes']} subjects, share one value)"
        )
    return lines
