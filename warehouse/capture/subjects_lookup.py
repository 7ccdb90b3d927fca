"""Find or start a subject from the local patient id typed at a site.

The local id is turned into the keyed pseudonym and date shift at once and then
forgotten: it is never stored, logged or put in an error message. Only a site
user of that site (or a coordinator naming the site) can do this, because the
site key is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

from anonymise.pseudonym import pseudonymise
from schemas.errors import AccessDenied
from warehouse.store.access import WRITE_CLINICAL, Session, require
from warehouse.store.cases import subject_exists


@dataclass(frozen=True)
class OpenSubject:
    """The subject a user is working on: pseudonym, date shift and whether it is new."""

    subject_id: str
    site_code: str
    date_shift_days: int
    exists: bool


def open_subject(session: Session, local_id: str, site_code: str | None = None) -> OpenSubject:
    """Pseudonymise ``local_id`` at the session's site and say whether it is known.

    Raises :class:`~anonymise.pseudonym.InvalidLocalId` for an empty id and
    :class:`AccessDenied` for a role or site that may not enter cases there.
    """
    site = session.site_code if session.site_scoped else site_code
    if not site:
        raise AccessDenied("choose the centre whose patient this is")
    require(session, WRITE_CLINICAL, site, "open a subject")
    pseudonym = pseudonymise(session.db.keys.site_key(site), site, local_id)
    return OpenSubject(
        pseudonym.subject_id,
        site,
        pseudonym.date_shift_days,
        subject_exists(session, pseudonym.subject_id),
    )
