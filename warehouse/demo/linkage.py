"""The demo's record linkage: identifiers for every demo child, some children at two
centres, pairs scored, a few confirmed by the coordinator and the rest left for review.

The demo runs every centre and the coordinator from one key store, so its linkage key
sits beside the site keys; a real coordinator's warehouse never holds it
(docs/SECURITY.md). Identifiers are made by the synthetic cohort generator, keyed at
once, and never stored.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from warehouse.linkage.review import decide, review_queue
from warehouse.linkage.run import run_linkage
from warehouse.linkage.storage import token_row, write_token_rows
from warehouse.linkage.synthetic import CohortMaker
from warehouse.linkage.tokens import Identifiers
from warehouse.store.access import Session
from warehouse.store.audit import audited_transaction

MOVED_SHARE = 0.08  # demo subjects that are a child already entered at another centre
CONFIRMED = 3  # cross-centre pairs the demo coordinator has already confirmed


def demo_identifiers(subjects: Sequence[tuple[str, str]], seed: int) -> list[Identifiers]:
    """Identifiers for each (subject_id, site) in order: most are new children, some
    the same child as an earlier subject at another centre, spelled with errors."""
    maker = CohortMaker(seed)
    rng = random.Random(seed)
    made: list[tuple[str, Identifiers]] = []
    for _, site in subjects:
        elsewhere = [ids for other, ids in made if other != site]
        if elsewhere and rng.random() < MOVED_SHARE:
            made.append((site, maker.copy_with_errors(rng.choice(elsewhere))))
        else:
            made.append((site, maker.child()))
    return [ids for _, ids in made]


def link_demo(session: Session, subjects: Sequence[tuple[str, str]], seed: int) -> int:
    """Tokens for the demo subjects, a linkage run, and ``CONFIRMED`` pairs decided;
    returns the number of pairs found."""
    keys = session.db.keys
    if not keys.has_linkage_key():
        keys.create_linkage_key()
    key = keys.linkage_key()
    people = demo_identifiers(subjects, seed)
    rows = [
        token_row(key, sid, site, ids) for (sid, site), ids in zip(subjects, people, strict=True)
    ]
    with audited_transaction(session.db, session.actor) as (conn, events):
        write_token_rows(conn, rows, events)
    summary = run_linkage(session)
    queue = review_queue(session)
    cross = queue[(queue["site_a"] != queue["site_b"]) & queue["decision"].isna()]
    for pair in cross.head(CONFIRMED).itertuples(index=False):
        decide(
            session,
            str(pair.subject_id_a),
            str(pair.subject_id_b),
            "same",
            "demo: both centres confirmed the transfer of care",
        )
    return summary.pairs
