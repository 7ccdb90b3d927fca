"""Soft checks: rules (reference data, ``schemas/reference/soft_checks.yaml``) that open
system queries on values that are allowed but deserve a look.

:func:`run_soft_checks` runs after every save and import for the subjects written. A
finding opens one query on its value; while that query is open, answered or closed by a
person it is not opened again. A query the data no longer trip is closed by the system;
if the data trip it again later, the query it closed is re-opened. Everything is one
transaction with its audit entries, written as ``system:soft-checks``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import duckdb
import pandas as pd
import yaml

from schemas.common import REF
from schemas.errors import ReferenceDataError
from schemas.reference import REFERENCE_DIR
from warehouse.review import checks_behind
from warehouse.review.queries import (
    ACTIVE,
    ANSWERED,
    CLOSED,
    OPEN,
    NewQuery,
    Target,
    _transition,
    insert_queries,
)
from warehouse.store.audit import Actor, audited_transaction
from warehouse.store.db import Database

KINDS = frozenset(
    {"score_change", "lab_without_ae", "dose_window", "visit_overdue", "sae_without_narrative"}
)
SYSTEM = Actor("system:soft-checks", "system", None)
DAYS_PER_MONTH = 30.4375
_log = logging.getLogger("caseguard.review")


@dataclass(frozen=True)
class Rule:
    """One soft check: its id, kind, parameters and question templates (en, ru)."""

    rule_id: str
    kind: str
    params: dict[str, Any]
    text_en: str
    text_ru: str


@dataclass(frozen=True)
class Finding:
    """A value that trips a rule, with the numbers the question quotes."""

    rule_id: str
    site_code: str
    target: Target
    values: dict[str, Any]


@dataclass
class CheckRun:
    """What one run did: query ids opened, closed and re-opened."""

    opened: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)


def parse_rules(raw: Any) -> tuple[Rule, ...]:
    """Rules from the YAML structure; raises :class:`ReferenceDataError` naming the fault."""
    if not isinstance(raw, dict) or not isinstance(raw.get("soft_checks"), list):
        raise ReferenceDataError("soft_checks.yaml: a list 'soft_checks' is required")
    rules, seen = [], set()
    for index, item in enumerate(raw["soft_checks"]):
        where = f"soft_checks.yaml rule {index + 1}"
        if not isinstance(item, dict):
            raise ReferenceDataError(f"{where}: not a mapping")
        missing = [k for k in ("id", "kind", "text_en", "text_ru") if not item.get(k)]
        if missing:
            raise ReferenceDataError(f"{where}: missing {', '.join(missing)}")
        if item["kind"] not in KINDS:
            raise ReferenceDataError(
                f"{where}: unknown kind {item['kind']!r} (one of {', '.join(sorted(KINDS))})"
            )
        if item["id"] in seen:
            raise ReferenceDataError(f"{where}: id {item['id']!r} is used twice")
        seen.add(item["id"])
        params = {k: v for k, v in item.items() if k not in ("id", "kind", "text_en", "text_ru")}
        rules.append(
            Rule(str(item["id"]), str(item["kind"]), params, item["text_en"], item["text_ru"])
        )
    return tuple(rules)


@lru_cache(maxsize=1)
def default_rules() -> tuple[Rule, ...]:
    """The project's rules from the reference data."""
    with open(REFERENCE_DIR / "soft_checks.yaml", encoding="utf-8") as handle:
        return parse_rules(yaml.safe_load(handle))


def question_text(text: Any, lang: str, rules: Sequence[Rule] | None = None) -> str:
    """A stored question as the user reads it: a rule query's JSON becomes the rule's
    sentence in ``lang``; free text is returned as it is (a missing one as "")."""
    if not isinstance(text, str):
        return ""
    if not text.startswith('{"rule"'):
        return text
    try:
        data = json.loads(text)
        rule = {r.rule_id: r for r in (rules or default_rules())}[data["rule"]]
        template = rule.text_ru if lang == "ru" else rule.text_en
        return str(template.format(**data["values"]))
    except (ValueError, KeyError, IndexError, TypeError):
        return text


# --- reading the subjects' data -------------------------------------------------------


def _frames(conn: duckdb.DuckDBPyConnection, subject_ids: Sequence[str]) -> dict[str, pd.DataFrame]:
    conn.register("_check_ids", pd.DataFrame({"subject_id": list(subject_ids)}, dtype=object))
    try:

        def read(sql: str) -> pd.DataFrame:
            return conn.execute(sql).df()

        join = "JOIN _check_ids USING (subject_id)"
        return {
            "subjects": read(f"SELECT subject_id, site_code FROM subjects {join}"),
            "assessments": read(
                "SELECT assessment_id, subject_id, visit_date, scale, score "
                f"FROM assessments {join}"
            ),
            "labs": read(
                f"SELECT lab_id, subject_id, date, test, value, unit, upper FROM labs {join}"
            ),
            "adverse_events": read(
                "SELECT ae_id, subject_id, coded_term, onset_date, serious FROM adverse_events "
                f"{join}"
            ),
            "treatments": read(
                f"SELECT treatment_id, subject_id, product_id, start_date FROM treatments {join}"
            ),
            "narratives": read(f"SELECT subject_id, visit_date FROM narratives {join}"),
            "known": read(
                "SELECT a.ae_id, coalesce(w.aware_date, "
                "  (SELECT min(l.ts) FROM audit_log l WHERE l.table_name = 'adverse_events' "
                "   AND l.action = 'insert' AND l.row_key = a.ae_id)::DATE) AS known_date "
                f"FROM adverse_events a {join} LEFT JOIN ae_awareness w USING (ae_id) "
                "WHERE a.serious"
            ),
        }
    finally:
        conn.unregister("_check_ids")


def _tuples(frame: pd.DataFrame) -> list[Any]:
    return list(frame.itertuples(index=False))


def _lists(frame: pd.DataFrame, *columns: str) -> list[list[Any]]:
    """Columns as lists: the same cells as iterating them, without a Python step per
    cell through an Arrow-backed text column."""
    return [frame[column].tolist() for column in columns]


def _days(a: Any, b: Any) -> int:
    return int((pd.Timestamp(a) - pd.Timestamp(b)).days)


# The rules below read each table once in one pass (an import checks 100,000s of rows
# at once): per-subject lookups instead of filtering a frame per row or per group.


def _score_change(rule: Rule, f: dict[str, pd.DataFrame], site: dict[str, str]) -> list[Finding]:
    falls = {str(k): float(v) for k, v in (rule.params.get("max_decrease") or {}).items()}
    rises = {str(k): float(v) for k, v in (rule.params.get("max_increase") or {}).items()}
    out = []
    frame = f["assessments"].sort_values(["subject_id", "scale", "visit_date", "assessment_id"])
    before: tuple[Any, Any, Any] | None = None  # the previous row's subject, scale, score
    for sid, scale, score, row_id in zip(
        *_lists(frame, "subject_id", "scale", "score", "assessment_id"), strict=True
    ):
        if pd.isna(sid) or pd.isna(scale):  # as groupby, which leaves out a missing key
            continue
        if before is not None and before[:2] == (sid, scale):
            change = float(score) - float(before[2])
            limit = falls.get(str(scale)) if change < 0 else rises.get(str(scale))
            if limit is not None and abs(change) > limit:
                target = Target(str(sid), "assessments", str(row_id), "score")
                values = {"scale": scale, "change": change, "limit": limit}
                out.append(Finding(rule.rule_id, site[str(sid)], target, values))
        before = (sid, scale, score)
    return out


def _lab_without_ae(rule: Rule, f: dict[str, pd.DataFrame], site: dict[str, str]) -> list[Finding]:
    tests = rule.params.get("tests", {})
    window = int(rule.params.get("window_days", 30))
    aes = f["adverse_events"]
    events_of: dict[Any, list[tuple[Any, Any]]] = {}
    for sid, term, onset in zip(
        aes["subject_id"], aes["coded_term"], aes["onset_date"], strict=True
    ):
        events_of.setdefault(sid, []).append((term, onset))
    out = []
    for lab in _tuples(_labs_maybe_high(f["labs"], tests)):
        spec = tests.get(lab.test)
        if spec is None:
            continue
        upper = lab.upper if pd.notna(lab.upper) else REF.lab_tests.loc[lab.test, "upper"]
        if (
            not upper
            or float(upper) <= 0
            or float(lab.value) <= float(spec["times_upper"]) * float(upper)
        ):
            continue
        terms = set(spec["terms"])
        mine = [onset for term, onset in events_of.get(lab.subject_id, ()) if term in terms]
        if any(abs(_days(onset, lab.date)) <= window for onset in mine):
            continue
        values = {
            "test": lab.test,
            "value": float(lab.value),
            "unit": lab.unit,
            "multiple": float(lab.value) / float(upper),
            "window": window,
        }
        target = Target(str(lab.subject_id), "labs", str(lab.lab_id), "value")
        out.append(Finding(rule.rule_id, site[str(lab.subject_id)], target, values))
    return out


def _labs_maybe_high(labs: pd.DataFrame, tests: dict[str, Any]) -> pd.DataFrame:
    """The lab rows the rule may flag: a test it names, whose value is not surely within
    times_upper x upper. Only rows the loop would pass over for sure are left out (a
    positive upper limit and a value at most the multiple); anything else - a missing
    or odd limit or value - goes to the loop, as before, a row at a time."""
    named = labs[labs["test"].isin(list(tests))]
    if named.empty:
        return named
    reference = REF.lab_tests["upper"]
    fallback = named["test"].map(lambda t: reference.get(t) if t in reference.index else None)
    upper = pd.to_numeric(named["upper"].where(named["upper"].notna(), fallback), errors="coerce")
    times = pd.to_numeric(named["test"].map(lambda t: tests[t]["times_upper"]), errors="coerce")
    value = pd.to_numeric(named["value"], errors="coerce")
    within = (upper > 0) & value.notna() & (value <= times * upper)
    return named[~within.fillna(False).astype(bool)]


def _dose_window(rule: Rule, f: dict[str, pd.DataFrame], site: dict[str, str]) -> list[Finding]:
    products = REF.products[REF.products["inn"] == rule.params.get("inn")]
    tolerance = int(rule.params.get("tolerance_days", 30))
    doses = f["treatments"][f["treatments"]["product_id"].isin(products.index)]
    schedule = {  # each product's schedule read once, not once per dose
        pid: (
            len(products.loc[pid, "loading_days"] or []),
            products.loc[pid, "maintenance_interval_months"],
        )
        for pid in set(doses["product_id"])
    }
    groups: dict[Any, list[tuple[Any, Any, Any]]] = {}
    frame = doses.sort_values(["subject_id", "start_date"])
    for sid, pid, day, row_id in zip(
        *_lists(frame, "subject_id", "product_id", "start_date", "treatment_id"), strict=True
    ):
        if not pd.isna(sid):  # as groupby, which leaves out a missing key
            groups.setdefault(sid, []).append((pid, day, row_id))
    out = []
    for sid, rows in groups.items():
        for i, (pid, day, row_id) in enumerate(rows):
            loading, interval = schedule[pid]
            if i < loading or not interval or pd.isna(interval):
                continue
            expected = round(float(interval) * DAYS_PER_MONTH)
            gap = _days(day, rows[i - 1][1])
            if abs(gap - expected) > tolerance:
                values = {"gap": gap, "expected": expected, "tolerance": tolerance}
                target = Target(str(sid), "treatments", str(row_id), "start_date")
                out.append(Finding(rule.rule_id, site[str(sid)], target, values))
    return out


def _visit_overdue(rule: Rule, f: dict[str, pd.DataFrame], site: dict[str, str]) -> list[Finding]:
    interval = int(rule.params.get("interval_days", 180))
    limit = interval + int(rule.params.get("grace_days", 0))
    newest: dict[str, Any] = {}
    for table, column in (
        ("treatments", "start_date"),
        ("labs", "date"),
        ("adverse_events", "onset_date"),
        ("narratives", "visit_date"),
    ):
        for sid, day in f[table].groupby("subject_id")[column].max().items():
            newest[str(sid)] = max(newest.get(str(sid), day), day)
    out: list[Finding] = []
    frame = f["assessments"].sort_values(["visit_date", "assessment_id"])
    last = frame[frame["subject_id"].notna()].drop_duplicates("subject_id", keep="last")
    for sid, visit, row_id in zip(
        last["subject_id"], last["visit_date"], last["assessment_id"], strict=True
    ):
        if str(sid) not in newest:
            continue
        days = _days(newest[str(sid)], visit)
        if days > limit:
            target = Target(str(sid), "assessments", str(row_id), "visit_date")
            values = {"days": days, "interval": interval}
            out.append(Finding(rule.rule_id, site[str(sid)], target, values))
    return out


def _sae_without_narrative(
    rule: Rule, f: dict[str, pd.DataFrame], site: dict[str, str], today: dt.date
) -> list[Finding]:
    limit = int(rule.params.get("days", 14))
    known = dict(zip(f["known"]["ae_id"], f["known"]["known_date"], strict=True))
    narratives = f["narratives"]
    visits_of: dict[Any, list[pd.Timestamp]] = {}
    for sid, visit in zip(
        narratives["subject_id"], pd.to_datetime(narratives["visit_date"]), strict=True
    ):
        visits_of.setdefault(sid, []).append(visit)
    out: list[Finding] = []
    for ae in _tuples(f["adverse_events"][f["adverse_events"]["serious"]]):
        since = known.get(ae.ae_id)
        if since is None or pd.isna(since):
            continue
        days = _days(today, since)
        onset = pd.Timestamp(ae.onset_date)
        if days > limit and not any(v >= onset for v in visits_of.get(ae.subject_id, ())):
            target = Target(str(ae.subject_id), "adverse_events", str(ae.ae_id), "serious")
            out.append(Finding(rule.rule_id, site[str(ae.subject_id)], target, {"days": days}))
    return out


def findings(
    conn: duckdb.DuckDBPyConnection,
    subject_ids: Sequence[str],
    rules: Sequence[Rule],
    today: dt.date,
) -> list[Finding]:
    """Every value of the subjects that trips one of ``rules``."""
    f = _frames(conn, subject_ids)
    site = dict(zip(f["subjects"]["subject_id"], f["subjects"]["site_code"], strict=True))
    out: list[Finding] = []
    for rule in rules:
        if rule.kind == "score_change":
            out += _score_change(rule, f, site)
        elif rule.kind == "lab_without_ae":
            out += _lab_without_ae(rule, f, site)
        elif rule.kind == "dose_window":
            out += _dose_window(rule, f, site)
        elif rule.kind == "visit_overdue":
            out += _visit_overdue(rule, f, site)
        elif rule.kind == "sae_without_narrative":
            out += _sae_without_narrative(rule, f, site, today)
    return out


# --- opening and closing system queries ----------------------------------------------


def _fingerprint(rule_id: str, target: Target) -> tuple[str, str, str, str]:
    return (rule_id, target.table, target.row_key, target.field)


def run_soft_checks(
    db: Database,
    subject_ids: Sequence[str],
    rules: Sequence[Rule] | None = None,
    today: dt.date | None = None,
) -> CheckRun:
    """Run the rules for these subjects: open, close and re-open system queries."""
    run = CheckRun()
    ids = sorted({str(s) for s in subject_ids})
    if not ids:
        return run
    rules = default_rules() if rules is None else rules
    today = today or dt.datetime.now(dt.UTC).date()
    with audited_transaction(db, SYSTEM) as (conn, events):
        found = {_fingerprint(x.rule_id, x.target): x for x in findings(conn, ids, rules, today)}
        conn.register("_check_ids", pd.DataFrame({"subject_id": ids}, dtype=object))
        existing = conn.execute(
            "SELECT q.query_id, q.rule_id, q.table_name, q.row_key, q.field, q.state, "
            "  (SELECT m.kind FROM query_messages m WHERE m.query_id = q.query_id "
            "   ORDER BY m.n DESC LIMIT 1) AS last_kind "
            "FROM queries q JOIN _check_ids USING (subject_id) WHERE q.origin = 'rule'"
        ).fetchall()
        conn.unregister("_check_ids")
        known = set()
        for query_id, rule_id, table, row_key, fld, state, last_kind in existing:
            key = (str(rule_id), str(table), str(row_key), str(fld))
            known.add(key)
            if key in found and state == CLOSED and last_kind == "auto_close":
                text = _stored_text(found[key])
                _transition(
                    conn,
                    events,
                    SYSTEM,
                    query_id,
                    "query_reopened",
                    (CLOSED,),
                    OPEN,
                    "reopen",
                    text,
                )
                run.reopened.append(str(query_id))
            elif key not in found and state in ACTIVE and rule_id in {r.rule_id for r in rules}:
                _transition(
                    conn,
                    events,
                    SYSTEM,
                    query_id,
                    "query_closed",
                    (OPEN, ANSWERED),
                    CLOSED,
                    "auto_close",
                    "",
                )
                run.closed.append(str(query_id))
        opening = [
            NewQuery(
                Actor(SYSTEM.username, SYSTEM.role, finding.site_code),
                finding.site_code,
                finding.target,
                _stored_text(finding),
                finding.rule_id,
            )
            for key, finding in sorted(found.items())
            if key not in known
        ]
        run.opened += insert_queries(conn, events, opening)
    return run


def _stored_text(finding: Finding) -> str:
    values = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in finding.values.items()}
    return json.dumps({"rule": finding.rule_id, "values": values}, ensure_ascii=False)


def checks_after_save(db: Database, subject_ids: Sequence[str], *, now: bool = False) -> None:
    """Run the soft checks after a save or import has committed.

    The save stands whatever happens here: a failure is logged (pseudonymous subject
    ids only) and the checks run again on the subject's next save or on
    ``caseguard queries check``, rather than a committed save being shown as failed.
    In the served app they run behind the click (:mod:`warehouse.review.checks_behind`)
    unless ``now``: a correction or a query's answer, whose query the user looks at
    next, and imports, which report when they are done.
    """
    if not now and checks_behind.behind():
        checks_behind.submit(db, subject_ids, _checks_now)
    else:
        _checks_now(db, subject_ids)


def _checks_now(db: Database, subject_ids: Sequence[str]) -> None:
    try:
        run_soft_checks(db, subject_ids)
    except Exception:  # noqa: BLE001  (the committed save must not look failed)
        _log.exception("soft checks failed after a save of %d subject(s)", len(subject_ids))
