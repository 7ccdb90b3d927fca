"""Adding rows reads only the stored tables the case rules use (``RULE_TABLES``).

For random stored cases and random new rows (visits, labs, doses, events with their
causality, narratives, taken from other demo cases and given to the subject), the
rules report exactly the same problems whether the whole stored case is read or only
the rule tables.
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anonymise.keys import KeyStore
from schemas import Case
from schemas.case import case_rule_problems
from warehouse.demo.build import build_case
from warehouse.store.cases import RULE_TABLES

ADDABLE = ("treatments", "assessments", "labs", "adverse_events", "ae_causality", "narratives")


def _cases() -> list[Case]:
    keys = KeyStore(tempfile.mkdtemp(prefix="rule-rows-keys-"))
    keys.create_site_key("MSK")
    rng = random.Random(11)
    return [
        build_case(rng, "MSK", keys.site_key("MSK"), 600_000 + n, "msk_neuro") for n in range(16)
    ]


CASES = _cases()


def _given_to(rows: list[dict[str, Any]], subject_id: str) -> list[dict[str, Any]]:
    return [{**r, "subject_id": subject_id} if "subject_id" in r else dict(r) for r in rows]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, len(CASES) - 1),
    st.integers(0, len(CASES) - 1),
    st.sets(st.sampled_from(ADDABLE), min_size=1),
    st.booleans(),
)
def test_rules_see_the_same_problems_from_the_rule_tables_alone(
    stored_at: int, source_at: int, tables: set[str], died: bool
) -> None:
    stored = CASES[stored_at]
    sid = stored.subject["subject_id"]
    subject = {**stored.subject, "status": "died" if died else stored.subject["status"]}
    new = Case(
        subjects=[subject],
        **{t: _given_to(CASES[source_at].rows(t), sid) for t in sorted(tables)},
    )
    whole = replace(stored, subjects=[subject])
    only_rule_tables = Case(
        subjects=[subject], **{t: whole.rows(t) for t in RULE_TABLES if t != "subjects"}
    )
    assert case_rule_problems(new, whole) == case_rule_problems(new, only_rule_tables)
