"""Everything a report draft says about one serious event, read once from the store.

Dates in the warehouse are shifted per subject, so a draft carries what survives the
shift: the age at onset, onset relative to each product's first dose, therapy and event
durations. A site user who re-enters the subject's local id (checked against the
pseudonym, never stored) gets the real dates back, computed here in memory only. Day 0
and submission dates are real dates already. The narrative is the scrubbed one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from anonymise import pseudonymise
from schemas import load_reference
from schemas.common import as_list
from schemas.errors import AccessDenied, CaseguardError, NotFound
from warehouse.reporting.meddra import Coding, coding_of_event
from warehouse.reporting.sae import SeriousEvent, read_serious_events
from warehouse.reporting.sae_records import next_version
from warehouse.store.access import READ_CLINICAL, Session, require
from warehouse.store.frames import select

DAYS_PER_MONTH = 30.4375
NARRATIVE_WINDOW_DAYS = 7


@dataclass(frozen=True)
class DrugUse:
    """One product the subject received: suspect (with causality) or concomitant."""

    product_id: str
    name: str
    inn: str
    manufacturer: str
    role: str  # suspect | concomitant
    causality: str | None
    expected: bool | None
    dose: float
    dose_unit: str
    route: str
    doses_given: int
    first_dose: dt.date
    last_dose: dt.date
    onset_after_first_dose_days: int
    therapy_days: int
    ongoing: bool


@dataclass
class ReportData:
    """One serious event as a draft reports it."""

    event: SeriousEvent
    ae: dict[str, Any]
    subject: dict[str, Any]
    country: str
    site_name: str
    coding: Coding | None
    coding_ru: Coding | None
    drugs: list[DrugUse]
    narratives: list[str]
    version: int
    day0: dt.date | None
    latest_info: dt.date | None
    age_at_onset_months: float | None
    event_days: int | None
    date_shift_days: int | None = None  # set only when real dates were restored
    history: list[str] = field(default_factory=list)

    @property
    def real_dates(self) -> bool:
        """True when the local id was given and dates are restored."""
        return self.date_shift_days is not None

    def real(self, shifted: dt.date | None) -> dt.date | None:
        """A stored date as a real date (only when restored), else None."""
        if shifted is None or self.date_shift_days is None:
            return None
        return shifted - dt.timedelta(days=self.date_shift_days)

    @property
    def case_id(self) -> str:
        """The worldwide unique case id: the same for every version of the report."""
        return f"{self.country}-CASEGUARD-{self.ae['ae_id']}"


def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, dt.datetime) else value


def restore_shift(session: Session, subject_id: str, site_code: str, local_id: str) -> int:
    """The subject's date shift, if ``local_id`` is theirs (a site user of the site only)."""
    if session.role != "site_user" or session.site_code != site_code:
        raise AccessDenied("only a user of the subject's own site can restore real dates")
    pseudonym = pseudonymise(session.db.keys.site_key(site_code), site_code, local_id)
    if pseudonym.subject_id != subject_id:
        raise CaseguardError("this local patient id does not belong to the event's subject")
    return pseudonym.date_shift_days


def _drugs(
    case_rows: dict[str, list[dict[str, Any]]], event: SeriousEvent, onset: dt.date
) -> list[DrugUse]:
    ref = load_reference()
    by_product: dict[str, list[dict[str, Any]]] = {}
    for row in case_rows["treatments"]:
        by_product.setdefault(str(row["product_id"]), []).append(row)
    drugs = []
    for product_id, rows in by_product.items():
        rows.sort(key=lambda r: _date(r["start_date"]) or dt.date.min)
        before = [r for r in rows if (_date(r["start_date"]) or onset) <= onset] or rows[:1]
        first = _date(rows[0]["start_date"]) or onset
        last = max(_date(r["end_date"]) or _date(r["start_date"]) or first for r in before)
        product = ref.product(product_id)
        suspect = product_id in event.causality
        drugs.append(
            DrugUse(
                product_id=product_id,
                name=str(product["brand"]),
                inn=str(product["inn"]),
                manufacturer=str(product.get("manufacturer") or ""),
                role="suspect" if suspect else "concomitant",
                causality=event.causality.get(product_id),
                expected=event.expected.get(product_id) if suspect else None,
                dose=float(before[-1]["dose"]),
                dose_unit=str(before[-1]["dose_unit"]),
                route=str(before[-1]["route"]),
                doses_given=len(before),
                first_dose=first,
                last_dose=last,
                onset_after_first_dose_days=(onset - first).days,
                therapy_days=(last - first).days + 1,
                ongoing=all(r["end_date"] is None for r in rows),
            )
        )
    drugs.sort(key=lambda d: (d.role != "suspect", d.first_dose))
    return drugs


def _narratives(rows: list[dict[str, Any]], onset: dt.date) -> list[str]:
    near = [
        r
        for r in rows
        if (_date(r["visit_date"]) or onset) >= onset - dt.timedelta(days=NARRATIVE_WINDOW_DAYS)
    ]
    chosen = sorted(near or rows[-1:], key=lambda r: _date(r["visit_date"]) or onset)
    return [str(r["text_scrubbed"]) for r in chosen]


def report_data(
    session: Session, ae_id: str, local_id: str | None = None, lang: str = "en"
) -> ReportData:
    """Gather one serious event's draft content; real dates only with its local id."""
    require(session, READ_CLINICAL, None, f"draft a report of {ae_id}")
    with session.db.connect(read_only=not session.db.in_memory) as conn:
        events = read_serious_events(conn, "a.ae_id = ?", [ae_id])
        if not events:
            if conn.execute("SELECT 1 FROM adverse_events WHERE ae_id = ?", [ae_id]).fetchall():
                raise CaseguardError(
                    f"{ae_id} is not serious: expedited reports are for serious events"
                )
            raise NotFound(f"no adverse event {ae_id}")
        event = events[0]
        require(session, READ_CLINICAL, event.site_code, f"draft a report of {ae_id}")
        (ae,) = select(conn, "adverse_events", "ae_id = ?", [ae_id])
        (subject,) = select(conn, "subjects", "subject_id = ?", [event.subject_id])
        rows = {
            t: select(conn, t, "subject_id = ?", [event.subject_id])
            for t in ("treatments", "narratives")
        }
        site = conn.execute(
            "SELECT name, country FROM sites WHERE site_code = ?", [event.site_code]
        ).fetchall()
        coding = coding_of_event(conn, ae_id, "en")
        coding_ru = coding_of_event(conn, ae_id, "ru")
        version = next_version(conn, ae_id)
    onset = _date(ae["onset_date"]) or dt.date.min
    index = _date(subject["index_date"])
    age = subject.get("age_at_index_months")
    age_at_onset = (
        round(float(age) + (onset - index).days / DAYS_PER_MONTH, 1)
        if age is not None and index
        else None
    )
    end = _date(ae.get("end_date"))
    shift = (
        restore_shift(session, event.subject_id, event.site_code, local_id) if local_id else None
    )
    latest = max(
        [d for d in (event.facts.day0, *event.facts.receipts) if d is not None], default=None
    )
    return ReportData(
        event=event,
        ae={**ae, "seriousness": list(as_list(ae.get("seriousness")))},
        subject=subject,
        country=str(site[0][1]) if site else "RU",
        site_name=str(site[0][0]) if site else event.site_code,
        coding=coding,
        coding_ru=coding_ru,
        drugs=_drugs(rows, event, onset),
        narratives=_narratives(rows["narratives"], onset),
        version=version,
        day0=event.facts.day0,
        latest_info=latest,
        age_at_onset_months=age_at_onset,
        event_days=(end - onset).days + 1 if end else None,
        date_shift_days=shift,
    )
