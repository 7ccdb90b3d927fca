"""Reporting an adverse event: coded term, scrubbed verbatim, grade, seriousness, causality.

The coded term comes from the reference term list (its body system follows from
it) or, when a MedDRA dictionary is loaded, from an LLT the reporter found: the
event then stores its PT and primary SOC by code (``PT:…``, ``SOC:…``) and the LLT
with the version that coded it is recorded by the reporting side in the same
transaction (``record_reporting`` of :func:`save_ae`), as is day 0, the date the
site first knew of the event (a real date, not shifted: it does not identify the
child; required for a serious event, not after today and not before the onset).
The reporter's verbatim wording is free text and is scrubbed of identifiers
(:func:`anonymise.scrub_text`, with the subject's date shift) before it goes
anywhere near the warehouse. CTCAE grade 5 means death, so the form sets outcome
"fatal" and the seriousness criterion "death" itself (:func:`apply_grade`).
The event and its per-product causality rows are saved in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from anonymise.pseudonym import shift_date
from schemas import load_reference
from schemas.errors import ValidationFailed
from schemas.problems import Problem, translate
from warehouse.capture.entry_problems import Locate, all_problems, missing
from warehouse.capture.real_dates import as_date, future_problems
from warehouse.capture.subjects_lookup import OpenSubject
from warehouse.capture.visit_entry import new_row_id
from warehouse.review.soft_checks import checks_after_save
from warehouse.store.access import Session
from warehouse.store.cases import SaveSummary, add_records, load_case

if TYPE_CHECKING:
    import duckdb

    from anonymise.scrubber import ScrubResult
    from warehouse.store.audit import Event

    # Writes the reporting side's rows of a new event (its MedDRA coding, its day 0)
    # inside the save's transaction: (connection, audit events, ae_id).
    RecordReporting = Callable[[duckdb.DuckDBPyConnection, list[Event], str], None]

DEATH = "death"
FATAL = "fatal"
GRADE_DEATH = 5

TERM, VERBATIM, ONSET, END = "ae_term", "ae_verbatim", "ae_onset", "ae_end"
GRADE, SERIOUSNESS, ACTION, OUTCOME = "ae_grade", "ae_seriousness", "ae_action", "ae_outcome"
AWARE = "ae_aware_date"
AWARENESS = "ae_awareness"  # the table day 0 is stored in (by the reporting side)
AWARE_BEFORE_ONSET = "aware_not_before_onset"
_AE_FIELDS = {
    "coded_term": TERM,
    "body_system": TERM,
    "verbatim_term": VERBATIM,
    "onset_date": ONSET,
    "end_date": END,
    "ctcae_grade": GRADE,
    "serious": SERIOUSNESS,
    "seriousness": SERIOUSNESS,
    "action_taken": ACTION,
    "outcome": OUTCOME,
}


@dataclass(frozen=True)
class LltChoice:
    """The MedDRA LLT a reporter picked, with the PT and primary SOC it derives."""

    llt_code: int
    version: str
    pt_code: int
    soc_code: int

    @property
    def coded_term(self) -> str:
        """What the event stores as its coded term: the PT's code."""
        return f"PT:{self.pt_code:08d}"

    @property
    def body_system(self) -> str:
        """What the event stores as its body system: the primary SOC's code."""
        return f"SOC:{self.soc_code:08d}"


@dataclass(frozen=True)
class AEInput:
    """An adverse event as entered; dates are real dates, the verbatim is unscrubbed."""

    term_id: str | None
    verbatim: str = field(repr=False)  # identifying until scrubbed: never printed
    onset_date: dt.date | None
    end_date: dt.date | None
    grade: int | None
    criteria: tuple[str, ...]
    action_taken: str | None
    outcome: str | None
    causality: dict[str, str] = field(default_factory=dict)
    llt: LltChoice | None = None  # set when the term was found in a MedDRA dictionary
    aware_date: dt.date | None = None  # day 0: real, never shifted

    @property
    def coded_term(self) -> str | None:
        """The stored coded term: the LLT's PT when MedDRA-coded, else the list term."""
        return self.llt.coded_term if self.llt else self.term_id


def term_options() -> list[str]:
    """The coded terms a reporter can pick, in list order."""
    return list(load_reference().ae_terms.index)


def term_label(term_id: str, lang: str) -> str:
    """A coded term's name in ``lang``."""
    return str(load_reference().ae_terms.loc[term_id, f"term_{lang}"])


def body_system(term_id: str, lang: str = "en") -> str:
    """The body system of a coded term (English is what is stored)."""
    return str(load_reference().ae_terms.loc[term_id, f"body_system_{lang}"])


def criteria_codes() -> list[str]:
    """The six seriousness criteria, in reference order."""
    return load_reference().codes("seriousness_criteria")


def apply_grade(
    grade: int | None, outcome: str | None, criteria: tuple[str, ...]
) -> tuple[str | None, tuple[str, ...]]:
    """Outcome and criteria as grade 5 forces them (fatal, death); otherwise unchanged."""
    if grade != GRADE_DEATH:
        return outcome, criteria
    ordered = [c for c in criteria_codes() if c in criteria or c == DEATH]
    return FATAL, tuple(ordered)


def release_grade(
    outcome: str | None, criteria: tuple[str, ...]
) -> tuple[str | None, tuple[str, ...]]:
    """Undo what grade 5 forced, when the grade is lowered again."""
    return (None if outcome == FATAL else outcome), tuple(c for c in criteria if c != DEATH)


def product_label(product_id: str, lang: str) -> str:
    """'Spinraza (nusinersen)' or, for a generic, 'Lantesens (nusinersen, generic)', in
    ``lang`` (the reference data's one product label)."""
    return load_reference().product_label(product_id, lang)


def suspect_products(session: Session, subject_id: str) -> list[str]:
    """The products the subject received, in the order first given."""
    case = load_case(session, subject_id)
    given = sorted(
        (t for t in case.treatments if t.get("start_date") is not None),
        key=lambda t: t["start_date"],
    )
    return list(dict.fromkeys(str(t["product_id"]) for t in given))


def scrub_verbatim(subject: OpenSubject, ae: AEInput) -> ScrubResult:
    """The verbatim term with identifiers removed (full dates shifted like the subject's)."""
    from anonymise import scrub_text

    return scrub_text(ae.verbatim.strip(), None, subject.date_shift_days)


def _body_system(ae: AEInput) -> str | None:
    if ae.llt is not None:
        return ae.llt.body_system
    return body_system(ae.term_id) if ae.term_id in term_options() else None


def ae_rows(
    subject: OpenSubject, ae: AEInput, scrubbed: ScrubResult
) -> dict[str, list[dict[str, Any]]]:
    """The ``adverse_events`` row (with the scrubbed verbatim) and its causality rows."""
    ae_id = new_row_id("AE", subject.subject_id)
    criteria = [c for c in criteria_codes() if c in ae.criteria]
    event = {
        "ae_id": ae_id,
        "subject_id": subject.subject_id,
        "verbatim_term": scrubbed.text,
        "coded_term": ae.coded_term,
        "body_system": _body_system(ae),
        "onset_date": shift_date(ae.onset_date, subject.date_shift_days),
        "end_date": shift_date(ae.end_date, subject.date_shift_days),
        "ctcae_grade": ae.grade,
        "serious": bool(criteria),
        "seriousness": criteria,
        "action_taken": ae.action_taken,
        "outcome": ae.outcome,
    }
    causality = [
        {"ae_id": ae_id, "product_id": product, "causality": code}
        for product, code in ae.causality.items()
    ]
    rows = {"adverse_events": [event]}
    return {**rows, "ae_causality": causality} if causality else rows


def awareness_problems(ae: AEInput, today: dt.date) -> list[Problem]:
    """Day 0's problems: required for a serious event (its reporting clock starts
    there), not after ``today``, and not before the onset (a site cannot learn of an
    event before it begins). Empty day 0 of a non-serious event is fine."""
    day0 = as_date(ae.aware_date)
    if day0 is None:
        return missing(AWARENESS, 0, {"aware_date": None}) if ae.criteria else []
    found = future_problems([(AWARENESS, 0, "aware_date", day0)], today)
    onset = as_date(ae.onset_date)
    if onset is not None and day0 < onset:
        found.append(translate(AWARENESS, 0, "aware_date", ae.aware_date, AWARE_BEFORE_ONSET))
    return found


def required_problems(ae: AEInput, today: dt.date | None = None) -> list[Problem]:
    """'Required' problems for each mandatory field left empty (end date is optional),
    an onset or end date after ``today`` (the site's date, by default this machine's),
    and day 0's problems (:func:`awareness_problems`)."""
    today = today or dt.date.today()
    dated = [("adverse_events", 0, "onset_date", ae.onset_date)]
    dated.append(("adverse_events", 0, "end_date", ae.end_date))
    return (
        future_problems(dated, today)
        + awareness_problems(ae, today)
        + missing(
            "adverse_events",
            0,
            {
                "coded_term": ae.coded_term,
                "verbatim_term": ae.verbatim,
                "onset_date": ae.onset_date,
                "ctcae_grade": ae.grade,
                "action_taken": ae.action_taken,
                "outcome": ae.outcome,
            },
        )
    )


def save_ae(
    session: Session,
    subject: OpenSubject,
    ae: AEInput,
    scrubbed: ScrubResult,
    today: dt.date | None = None,
    record_reporting: RecordReporting | None = None,
) -> SaveSummary:
    """Validate and store the event and its causality rows in one transaction.

    ``scrubbed`` must be :func:`scrub_verbatim` of the same event: only its text is
    stored, never ``ae.verbatim``. ``record_reporting`` writes the event's MedDRA
    coding and day 0 in the same transaction (so nothing is half-saved). Raises
    ValidationFailed listing the empty required fields, or else every schema and
    case-rule problem.
    """
    rows = ae_rows(subject, ae, scrubbed)
    required = required_problems(ae, today)
    if required:
        raise ValidationFailed(all_problems(required, rows))
    if record_reporting is None:
        summary = add_records(session, subject.subject_id, rows)
    else:
        ae_id = str(rows["adverse_events"][0]["ae_id"])
        summary = add_records(
            session,
            subject.subject_id,
            rows,
            also=lambda conn, events: record_reporting(conn, events, ae_id),
        )
    checks_after_save(session.db, [subject.subject_id])
    return summary


def causality_key(product_id: str) -> str:
    """The widget key of one suspect product's causality choice."""
    return f"ae_causality_{product_id}"


def criterion_key(code: str) -> str:
    """The widget key of one seriousness-criterion checkbox."""
    return f"ae_serious_{code}"


def ae_locator(ae: AEInput) -> Locate:
    """A function naming the widget a problem with this event's rows belongs to."""
    products = list(ae.causality)

    def locate(problem: Problem) -> str | None:
        if problem.table == "adverse_events":
            return _AE_FIELDS.get(problem.field)
        if problem.table == AWARENESS:
            return AWARE
        if problem.table == "ae_causality" and problem.row is not None:
            return causality_key(products[problem.row]) if problem.row < len(products) else None
        if problem.table == "subjects" and problem.field == "status":
            return OUTCOME  # a fatal event needs the subject recorded as died
        return None

    return locate
