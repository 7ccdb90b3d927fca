"""Demo local patient ids a new user can type, when the database holds the demo.

The demo numbers its subjects across the centres in turn (``DEMO-MSK-00000``,
``DEMO-PRM-00001``, …, every fifth id at each centre). Ids are offered only when
their pseudonyms are in the database, so a real warehouse never shows a hint.
"""

from __future__ import annotations

from anonymise import pseudonymise
from warehouse.demo import profiles as P
from warehouse.store.access import WRITE_CLINICAL, Session, require
from warehouse.store.cases import subject_exists


def demo_local_ids(session: Session, site_code: str | None, count: int = 3) -> list[str]:
    """Up to ``count`` demo local ids of ``site_code`` whose subjects exist (none
    outside the demo, for a centre the demo does not have, or without the site's key)."""
    codes = [code for code, _, _ in P.SITES]
    if not site_code or site_code not in codes:
        return []
    require(session, WRITE_CLINICAL, site_code, "look up demo subjects")
    key = session.db.keys.site_key(site_code)
    found = []
    for number in range(codes.index(site_code), len(codes) * count, len(codes)):
        local_id = f"DEMO-{site_code}-{number:05d}"
        if subject_exists(session, pseudonymise(key, site_code, local_id).subject_id):
            found.append(local_id)
    return found
