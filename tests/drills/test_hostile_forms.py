"""Drill: hostile input through every data-entry form, the narrative size limit and two pages.

Each form's builder (the function its page calls with the widget values) gets, in
one to three fields at a time, hostile values of the type the field's widget
delivers: any text for text and choice fields (emoji, right-to-left text and
overrides, zero-width and control characters, very long strings, SQL-looking and
formula-looking strings, Cyrillic look-alikes, numbers as text, dates in odd forms,
choices the list does not offer), any number for number fields (NaN, infinities,
huge, negative) and any calendar date for date fields (year 1 and 9999 included).
Every attempt must end one of two ways: refused with readable problems naming the
fields (or one clear CaseguardError) and nothing written (table and audit counts
unchanged), or stored so that what is read back equals what was entered after the
model's own coercion. Anything else is a crash. Lone surrogates, which no page,
file or bundle can deliver, are tested on their own at the end.

The hostile-text strategy here is shared with ``test_hostile_files.py``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from anonymise import get_scrubber, pseudonymise
from schemas import TABLES, checked_table
from schemas.common import MAX_TEXT, REF
from schemas.errors import CaseguardError, ValidationFailed
from schemas.labels import text as ui_text
from schemas.problems import Problem
from tests.app_helpers import (
    fresh_app_cache,  # noqa: F401  (an autouse fixture)
    page_path,
    signed_in,
)
from tests.case_page_fixtures import CaseDb, build_case_db, fresh_copy, open_in_app, query
from tests.drills.report import report
from tests.drills.scale import size
from tests.warehouse_fixtures import audit_count, make_case, make_db, site_user, table_counts
from warehouse.capture import (
    ae_entry,
    case_entry,
    corrections,
    narrative_entry,
    regimens,
    visit_entry,
)
from warehouse.capture.subjects_lookup import OpenSubject, open_subject
from warehouse.store.cases import Change, load_case, save_case, update_rows
from warehouse.store.db import MEMORY, Database
from warehouse.store.frames import records
from warehouse.ui.input_limits import NARRATIVE_INPUT_CAP

pytestmark = pytest.mark.drill

# --- hostile values (shared with test_hostile_files.py) ---------------------------------

EMOJI = ("😀", "👨‍👩‍👧‍👦", "🏳️‍🌈", "💊 12 mg 🧪")
RTL = ("مرحبا بالعالم", "שלום עולם", "\u202eevil.exe\u202c", "abc\u202edcba", "\u200fRTL mark")
ZERO_WIDTH = ("\u200b", "a\u200db", "\ufeffBOM", "x\u2060y", "\u00ad")
CONTROL = ("\x00", "a\x00b", "\x07\x08\x1b[31m", "line\r\nbreak", "\x0b\x0c", "\x7f")
SURROGATES = ("\ud800", "x\udfffy")
SQL = (
    "'; DROP TABLE subjects; --",
    "1 OR 1=1",
    '" OR ""="',
    "Robert'); DELETE FROM audit_log; --",
    "$1",
    "?",
    "%s",
    "{0}",
)
FORMULAS = (
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://x","click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
)
LOOKALIKES = ("МSК", "НЕАDАСНЕ", "SМА5Q", "fеmale", "NUS-SРINRAZA")  # Cyrillic letters inside
NUMBERS_AS_TEXT = ("12", "1e309", "NaN", "-0", "١٢", "12,5", "0x1F", "inf", "1_000", "٫5")
ODD_DATES = (
    "31.02.2021",
    "2021-13-01",
    "0000-00-00",
    "1 июня 2021",
    "9999-12-31",
    "01/02/03",
    "yesterday",
    "32.13.2021",
)
CATEGORIES = {
    "emoji": EMOJI,
    "rtl": RTL,
    "zero-width": ZERO_WIDTH,
    "control": CONTROL,
    "lone surrogate": SURROGATES,
    "sql": SQL,
    "formula": FORMULAS,
    "look-alike": LOOKALIKES,
    "number as text": NUMBERS_AS_TEXT,
    "odd date": ODD_DATES,
}
FIXED = tuple(itertools.chain.from_iterable(CATEGORIES.values()))


def hostile_text(long: int = 3000, surrogates: bool = True) -> st.SearchStrategy[str]:
    """Hostile strings: the fixed samples, mixtures of them, random code points, long runs."""
    samples = FIXED if surrogates else tuple(s for s in FIXED if s not in SURROGATES)
    piece = st.sampled_from(samples)
    exclude = () if surrogates else ("Cs",)
    return st.one_of(
        piece,
        st.lists(piece, min_size=2, max_size=4).map("".join),
        st.text(st.characters(exclude_categories=exclude), min_size=1, max_size=40),
        st.builds(lambda s, n: (s * n)[: n * 4], piece, st.integers(min(50, long), long)),
        st.builds(lambda a, b: f"{a} headache {b}", piece, piece),
    )


IMPOSSIBLE_DATES = (dt.date.min, dt.date.max, dt.date(1900, 1, 1), dt.date(2999, 1, 1))


def odd_number() -> st.SearchStrategy[Any]:
    """What a number box can hold: any float (NaN, infinities, huge) or whole number."""
    return st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(-(10**20), 10**20),
        st.sampled_from([None, 0, -1, 1e308, -0.0, math.nan, math.inf]),
    )


def odd_date() -> st.SearchStrategy[Any]:
    """What a date box can hold: any calendar date or time, the calendar's ends, nothing."""
    return st.one_of(
        st.dates(),
        st.sampled_from([*IMPOSSIBLE_DATES, None]),
    )


def hostile_for(kind: str) -> st.SearchStrategy[Any]:
    """A hostile value of the type a widget of ``kind`` delivers.

    Text and choice fields get any text (a choice the list does not offer included);
    number fields any number; date fields any date. A value of another type than
    its widget delivers is outside the builders' contract and is not tried.
    """
    if kind == "number":
        return odd_number()
    if kind == "date":
        return odd_date()
    if kind == "bool":
        return st.sampled_from([True, False, None])
    text = hostile_text(long=300 if kind == "choice" else 3000, surrogates=False)
    return st.one_of(text, st.none())


# --- judging an outcome -----------------------------------------------------------------

# Python leaking into a message: a traceback, a repr, an exception name, escaped bytes.
LEAK = re.compile(
    r"Traceback|File \"|object at 0x|<class |<function |\b\w*(Error|Exception)\b|\\x[0-9a-f]{2}"
    r"|(?-i:\bnan\b|\bNone\b)|dtype\('|fails the check",
    re.IGNORECASE,
)
TALLY: Counter[str] = Counter()


def readable(message: str) -> bool:
    """A message a user can read: not empty, no Python internals."""
    return bool(message.strip()) and not LEAK.search(message)


def assert_readable_problems(problems: list[Problem], fields: set[str]) -> None:
    """Every problem names a known field and says what is wrong in en and ru."""
    assert problems, "refused without saying why"
    for p in problems:
        assert p.field in fields or p.field in TABLES[p.table].columns, (p.table, p.field)
        for lang in ("en", "ru"):
            assert readable(p.message(lang)), (p.table, p.field, p.check, p.message(lang))


def counts(db: Database) -> tuple[dict[str, int], int]:
    return table_counts(db), audit_count(db)


def attempt(
    target: str, db: Database, fields: set[str], action: Callable[[], Callable[[], None] | None]
) -> str:
    """Run one hostile entry; check refusal or read-back; tally the outcome.

    ``action`` raises ValidationFailed / CaseguardError when the entry is refused, or
    returns a function that checks the stored record reads back (None: nothing to check).
    """
    TALLY[f"{target}: cases"] += 1
    before = counts(db)
    try:
        check = action()
    except ValidationFailed as exc:
        outcome = "refused"
        assert_readable_problems(exc.problems, fields)
    except CaseguardError as exc:
        outcome = "refused"
        assert readable(exc.message) or isinstance(exc, ValidationFailed), exc.title
    except Exception:
        TALLY["crashes"] += 1
        raise
    else:
        outcome = "stored"
        if check is not None:
            check()
    if outcome == "refused" and counts(db) != before:
        TALLY["partial writes"] += 1
        raise AssertionError(f"{target}: refused but the database changed")
    if outcome == "stored":
        assert counts(db)[1] > before[1], f"{target}: stored without an audit entry"
    TALLY[f"{target}: {outcome}"] += 1
    return outcome


def normalised(table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as the model coerces them (what the warehouse stores)."""
    frame, problems = checked_table(table, rows)
    assert not problems
    return records(frame)


def assert_stored(db: Database, subject_id: str, table: str, rows: list[dict[str, Any]]) -> None:
    """The rows read back from the warehouse equal the entered rows, coerced."""
    key = TABLES[table].key[0]
    stored = {r[key]: r for r in load_case(site_user(db), subject_id).rows(table)}
    for row in normalised(table, rows):
        assert stored.get(row[key]) == row, (table, row[key])


# --- the warehouse ------------------------------------------------------------------------

HYPOTHESIS = settings(
    max_examples=size(20, 400),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
COUNTER = itertools.count(1)
PRODUCTS = sorted(REF.products.index)
LAB_TESTS = sorted(REF.lab_tests.index)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    """An in-memory warehouse (MSK, PRM) with one full case to add records to."""
    database = make_db(MEMORY, tmp_path_factory.mktemp("hostile-forms") / "keys")
    save_case(site_user(database), make_case(database, "MSK", "HOSTILE-FORMS-1"))
    get_scrubber()  # loaded once for the module
    return database


@pytest.fixture(scope="module")
def subject(db: Database) -> OpenSubject:
    p = pseudonymise(db.keys.site_key("MSK"), "MSK", "HOSTILE-FORMS-1")
    return OpenSubject(p.subject_id, "MSK", p.date_shift_days, True)


@pytest.fixture(scope="module", autouse=True)
def _figures() -> Iterator[None]:
    TALLY.clear()
    yield
    report("Hostile input: forms and pages", case_figures(TALLY))


def case_figures(tally: Counter[str]) -> dict[str, object]:
    """Cases tried (stored / refused) per target, crashes and partial writes."""
    targets = sorted({k.split(":")[0] for k in tally if ":" in k})
    figures: dict[str, object] = {
        f"{t}: cases tried (stored / refused)": (
            f"{tally[f'{t}: cases']} ({tally[f'{t}: stored']} / {tally[f'{t}: refused']})"
        )
        for t in targets
    }
    figures["crashes"] = tally["crashes"]
    figures["partial writes"] = tally["partial writes"]
    return figures


# --- the forms ---------------------------------------------------------------------------

WIZARD_KIND = {
    "signed_date": "date",
    "index_date": "date",
    "visit_date": "date",
    "birth_year": "number",
    "age_at_onset_months": "number",
    "age_at_index_months": "number",
    "score": "number",
    "niv_hours_per_day": "number",
    "processing": "bool",
    "pooled_research": "bool",
    "publication": "bool",
}


WIZARD_FIELDS = sorted(set(case_entry.FIELD_STEP) - {"genetics"})  # genetics: a dict, below


def wizard_values() -> dict[str, Any]:
    """A complete, valid wizard (consent to baseline) for an SMA type 1b infant."""
    values = case_entry.default_values(dt.date(2024, 1, 10))
    values.update(
        processing=True,
        pooled_research=True,
        signed_by="legal_representative",
        signed_date=dt.date(2021, 5, 30),
        sex="female",
        birth_year=2021,
        age_at_onset_months=2.0,
        index_date=dt.date(2021, 6, 1),
        age_at_index_months=5.0,
        disease="SMA5Q",
        disease_subtype="1b",
        genetics={"smn1_status": "homozygous_deletion", "smn2_copies": "2"},
        visit_date=dt.date(2021, 6, 1),
        scale="CHOP-INTEND",
        score=31.0,
        ventilation="none",
        feeding="oral",
        motor_function="non_sitter",
    )
    return values


@HYPOTHESIS
@given(data=st.data(), local_id=st.one_of(hostile_text(long=200, surrogates=False), st.just("")))
def test_subject_wizard_refuses_or_stores_hostile_values(
    db: Database, data: st.DataObject, local_id: str
) -> None:
    user = site_user(db)
    values = wizard_values()
    chosen = data.draw(
        st.lists(st.sampled_from(WIZARD_FIELDS), min_size=1, max_size=3, unique=True)
    )
    for name in chosen:
        values[name] = data.draw(hostile_for(WIZARD_KIND.get(name, "text")), label=name)
    if data.draw(st.booleans(), label="hostile genetics"):
        values["genetics"] = {"smn2_copies": data.draw(hostile_for("text"), label="smn2")}
    now = dt.datetime(2024, 1, 10, 9, 0)
    unique = f"{local_id}#{next(COUNTER)}"

    def save() -> Callable[[], None] | None:
        opened = open_subject(user, unique)
        if opened.exists:
            return None
        problems = case_entry.check_steps(opened, values, len(case_entry.STEPS) - 1, "u", now)
        if problems:
            raise ValidationFailed(problems)
        case = case_entry.build_case(opened, values, "msk_neuro", now)
        save_case(user, case)
        return lambda: [
            assert_stored(db, opened.subject_id, t, case.rows(t))
            for t in ("subjects", "consents", "assessments")
        ]

    attempt("subject wizard", db, set(case_entry.FIELD_STEP), save)


@HYPOTHESIS
@given(data=st.data())
def test_treatment_form_refuses_or_stores_hostile_values(
    db: Database, subject: OpenSubject, data: st.DataObject
) -> None:
    fields = {
        "product_id": "choice",
        "dose": "number",
        "dose_unit": "text",
        "dates": "date",
        "lot": "text",
        "end_date": "date",
        "switched_from": "choice",
        "switch_reason": "choice",
    }
    form: dict[str, Any] = dict(
        product_id="NUS-SPINRAZA",
        dose=12.0,
        dose_unit="mg",
        dates=dt.date(2021, 10, 1),
        lot="L777",
        end_date=None,
        switched_from=None,
        switch_reason=None,
    )
    chosen = data.draw(
        st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3, unique=True)
    )
    for name in chosen:
        form[name] = data.draw(hostile_for(fields[name]), label=name)
    # the product list offers reference products only: any of them, right or wrong
    form["product_id"] = data.draw(st.sampled_from(PRODUCTS), label="product_id")

    def save() -> Callable[[], None]:
        entered = regimens.TreatmentForm(
            form["product_id"],
            form["dose"],
            form["dose_unit"],
            [(form["dates"], form["lot"])],
            form["end_date"],
            form["switched_from"],
            form["switch_reason"],
        )
        rows = regimens.treatment_rows(subject.subject_id, subject.date_shift_days, entered)
        from warehouse.store.cases import add_records

        add_records(site_user(db), subject.subject_id, {"treatments": rows})
        return lambda: assert_stored(db, subject.subject_id, "treatments", rows)

    attempt("treatments", db, set(fields) | set(TABLES["treatments"].columns), save)


@HYPOTHESIS
@given(data=st.data())
def test_visit_form_refuses_or_stores_hostile_values(
    db: Database, subject: OpenSubject, data: st.DataObject
) -> None:
    fields = {
        "visit_date": "date",
        "score": "number",
        "scale": "choice",
        "ventilation": "choice",
        "niv_hours_per_day": "number",
        "feeding": "choice",
        "motor_function": "choice",
        "test": "choice",
        "value": "number",
        "lower": "number",
        "upper": "number",
    }
    form: dict[str, Any] = dict(
        visit_date=dt.date(2021, 9, 1),
        score=35.0,
        scale="CHOP-INTEND",
        ventilation="niv",
        niv_hours_per_day=8.0,
        feeding="oral",
        motor_function="sitter",
        test="ALT",
        value=31.0,
        lower=None,
        upper=None,
    )
    chosen = data.draw(
        st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3, unique=True)
    )
    for name in chosen:
        form[name] = data.draw(hostile_for(fields[name]), label=name)
    # lab tests are offered from the reference list only: any of them, right or wrong
    form["test"] = data.draw(st.sampled_from(LAB_TESTS), label="test")

    def save() -> Callable[[], None]:
        visit = visit_entry.VisitInput(
            form["visit_date"],
            {form["scale"]: form["score"]},
            form["ventilation"],
            form["niv_hours_per_day"],
            form["feeding"],
            form["motor_function"],
            (visit_entry.LabInput(form["test"], form["value"], form["lower"], form["upper"]),),
        )
        before = {
            r["assessment_id"] for r in load_case(site_user(db), subject.subject_id).assessments
        }
        visit_entry.save_visit(site_user(db), subject, visit)
        case = load_case(site_user(db), subject.subject_id)
        new = [r for r in case.assessments if r["assessment_id"] not in before]

        def check() -> None:
            assert len(new) == 1 and new[0]["score"] == float(form["score"])
            assert new[0]["visit_date"] == form["visit_date"] + dt.timedelta(
                days=subject.date_shift_days
            )

        return check

    attempt("visits", db, set(fields), save)


@HYPOTHESIS
@given(data=st.data())
def test_adverse_event_form_refuses_or_stores_hostile_values(
    db: Database, subject: OpenSubject, data: st.DataObject
) -> None:
    fields = {
        "term_id": "choice",
        "verbatim": "text",
        "onset_date": "date",
        "end_date": "date",
        "grade": "number",
        "action_taken": "choice",
        "outcome": "choice",
        "causality": "choice",
        "aware_date": "date",
    }
    form: dict[str, Any] = dict(
        term_id="HEADACHE",
        verbatim="headache after the injection",
        onset_date=dt.date(2021, 6, 20),
        end_date=None,
        grade=2,
        action_taken="dose_not_changed",
        outcome="recovering",
        causality="possible",
        aware_date=dt.date(2021, 6, 21),  # day 0: required once a criterion is ticked
    )
    chosen = data.draw(
        st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3, unique=True)
    )
    for name in chosen:
        drawn = data.draw(hostile_for(fields[name]), label=name)
        # the page passes the verbatim as text (str(... or "")): only text reaches the builder
        form[name] = str(drawn or "") if name == "verbatim" else drawn
    criteria = tuple(data.draw(st.lists(st.sampled_from([*ae_entry.criteria_codes(), "x"]))))

    def save() -> Callable[[], None]:
        ae = ae_entry.AEInput(
            form["term_id"],
            form["verbatim"],
            form["onset_date"],
            form["end_date"],
            form["grade"],
            criteria,
            form["action_taken"],
            form["outcome"],
            {"NUS-SPINRAZA": form["causality"]},
            aware_date=form["aware_date"],
        )
        scrubbed = ae_entry.scrub_verbatim(subject, ae)
        before = {r["ae_id"] for r in load_case(site_user(db), subject.subject_id).adverse_events}
        ae_entry.save_ae(site_user(db), subject, ae, scrubbed)
        after = load_case(site_user(db), subject.subject_id).adverse_events
        new = [r for r in after if r["ae_id"] not in before]

        def check() -> None:
            assert len(new) == 1
            assert new[0]["verbatim_term"] == scrubbed.text
            assert new[0]["coded_term"] == form["term_id"]

        return check

    attempt("adverse events", db, set(ae_entry._AE_FIELDS) | set(fields), save)


@HYPOTHESIS
@given(
    text=hostile_text(long=4000),
    language=st.sampled_from(narrative_entry.LANGUAGE_CHOICES),
    visit=odd_date(),
)
def test_narrative_form_refuses_or_stores_hostile_text(
    db: Database, subject: OpenSubject, text: str, language: str, visit: Any
) -> None:
    def save() -> Callable[[], None]:
        review = narrative_entry.preview(text, language, subject.date_shift_days)
        done = narrative_entry.finish(text, review, [])
        summary = narrative_entry.save_narrative(site_user(db), subject, visit, done)
        assert summary.rows == {"narratives": 1}
        stored = [
            n["text_scrubbed"] for n in load_case(site_user(db), subject.subject_id).narratives
        ]
        return lambda: assert_in(done.text, stored)

    fields = {"text", "language", "visit_date", "text_scrubbed"}
    attempt("narratives", db, fields, save)


def assert_in(value: str, stored: list[str]) -> None:
    assert value in stored


@pytest.fixture(scope="module")
def correction_fields(db: Database, subject: OpenSubject) -> list[corrections.FieldSpec]:
    case = load_case(site_user(db), subject.subject_id)
    return [
        s for t in corrections.editable_tables(case) for s in corrections.editable_fields(case, t)
    ]


@HYPOTHESIS
@given(data=st.data(), reason=st.one_of(hostile_text(long=500), st.just("typo corrected")))
def test_corrections_refuse_or_store_hostile_values(
    db: Database,
    subject: OpenSubject,
    correction_fields: list[corrections.FieldSpec],
    data: st.DataObject,
    reason: str,
) -> None:
    spec = data.draw(st.sampled_from(correction_fields), label="field")
    kind = {"int": "number", "float": "number"}.get(spec.kind, spec.kind)
    value = data.draw(hostile_for(kind), label="value")
    case = load_case(site_user(db), subject.subject_id)
    row = corrections.rows_of(case, spec.table, subject.date_shift_days)[0]

    def save() -> Callable[[], None] | None:
        # the page refuses these before saving, next to the value and reason fields
        for problem in (corrections.value_problem(spec, value), corrections.reason_problem(reason)):
            if problem is not None:
                assert problem.code in ("missing", "identifying")
                raise ValidationFailed(
                    [Problem(spec.table, 0, spec.name, "", problem.code, "refused", "отклонено")]
                )
        stored = corrections.correct(site_user(db), subject, spec, row.key, value, reason)
        after = corrections.current_value(
            load_case(site_user(db), subject.subject_id), spec.table, row.key, spec.name
        )
        return lambda: assert_same(spec.table, spec.name, after, stored)

    attempt("corrections", db, {spec.name}, save)


def assert_same(table: str, column: str, stored: Any, entered: Any) -> None:
    """A corrected cell reads back as the entered value coerced to the column's type."""
    dtype = str(TABLES[table].model.to_schema().columns[column].dtype)
    if "datetime" in dtype:
        assert stored == (entered.date() if isinstance(entered, dt.datetime) else entered)
    elif dtype.startswith(("float", "int")):
        assert stored == (None if entered is None else float(entered))
    elif dtype == "bool":
        assert stored == bool(entered)
    else:
        assert stored == (None if entered is None else str(entered))


# --- the narrative size limit -----------------------------------------------------------

TEN_MB = 10 * 1024 * 1024


def test_a_10_mb_narrative_is_refused_quickly_with_a_size_message(
    db: Database, subject: OpenSubject
) -> None:
    text = ("Пациентка жалуется на головную боль. " * (TEN_MB // 36 + 1))[:TEN_MB]
    before = counts(db)
    started = time.monotonic()
    with pytest.raises(narrative_entry.NarrativeTooLong) as refused:
        narrative_entry.preview(text, narrative_entry.AUTO, subject.date_shift_days)
    assert time.monotonic() - started < 5
    assert counts(db) == before
    for lang in ("en", "ru"):
        message = refused.value.message_in(lang)
        assert f"{MAX_TEXT:,}".replace(",", " ") in message and readable(message)
    assert "20 000" in str(refused.value)
    # just under the limit is still scrubbed and can be saved
    fits = ("Headache after the third dose. " * 700)[:MAX_TEXT]
    review = narrative_entry.preview(fits, "en", subject.date_shift_days)
    narrative_entry.save_narrative(
        site_user(db), subject, dt.date(2021, 7, 1), narrative_entry.finish(fits, review, [])
    )
    TALLY["narratives: cases"] += 2
    TALLY["narratives: refused"] += 1
    TALLY["narratives: stored"] += 1


# --- the pages ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page_db(tmp_path_factory: pytest.TempPathFactory) -> CaseDb:
    return build_case_db(tmp_path_factory.mktemp("hostile-pages"))


@pytest.fixture
def case_db(page_db: CaseDb, tmp_path: Path) -> CaseDb:
    return fresh_copy(page_db, tmp_path / "copy")


def calm(at: AppTest) -> None:
    """No exception and no 'something went wrong' on the page."""
    assert not at.exception, [e.value for e in at.exception]
    unexpected = ui_text("unexpected_error", "en")
    assert unexpected not in [e.value for e in at.error]


def narratives_of(db: CaseDb, site: str = "MSK") -> int:
    sid = db.subjects[site].subject_id
    return int(query(db.path, "SELECT count(*) FROM narratives WHERE subject_id = ?", [sid])[0][0])


def test_narrative_page_survives_10_mb_and_keeps_working(
    monkeypatch: pytest.MonkeyPatch, case_db: CaseDb
) -> None:
    at = signed_in(monkeypatch, case_db.path, "msk_neuro")
    open_in_app(at, case_db.subjects["MSK"])
    at.switch_page(page_path("narrative.py")).run()
    calm(at)
    before = narratives_of(case_db)
    # a client that ignores the text area's max_chars sends 10 MB: the server keeps the
    # first NARRATIVE_INPUT_CAP characters, says the text is too long (nothing is cut
    # for the user silently) and refuses the preview in bounded time; nothing is saved
    huge = ("=cmd|' /C calc'!A0 '; DROP TABLE subjects; -- \u202e😀 " * (TEN_MB // 48))[:TEN_MB]
    at.text_area(key="narr_text").set_value(huge)
    started = time.monotonic()
    at.button(key="narr_preview_button").click().run()
    calm(at)
    assert time.monotonic() - started < 60
    assert MAX_TEXT < len(at.text_area(key="narr_text").value) <= NARRATIVE_INPUT_CAP
    assert any("characters; a narrative can hold" in w.value for w in at.warning)
    assert any("too long" in e.value for e in at.error)
    assert not _has(at, "narr_save_button")
    saved = narratives_of(case_db) - before
    assert saved == 0
    # the page still works: hostile but short text is previewed and saved, once
    at.text_area(key="narr_text").set_value('=HYPERLINK("x") \'; DROP TABLE subjects; -- שלום 😀')
    at.button(key="narr_preview_button").click().run()
    calm(at)
    at.button(key="narr_save_button").click().run()
    calm(at)
    assert at.success and narratives_of(case_db) == before + saved + 1
    TALLY["narrative page: cases"] += 2
    TALLY["narrative page: stored"] += 1 + saved
    TALLY["narrative page: refused"] += 1 - saved


def _has(at: AppTest, key: str) -> bool:
    return any(getattr(b, "key", None) == key for b in at.button)


def test_adverse_event_page_shows_hostile_verbatim_problem_under_the_field(
    monkeypatch: pytest.MonkeyPatch, case_db: CaseDb
) -> None:
    at = signed_in(monkeypatch, case_db.path, "msk_neuro")
    open_in_app(at, case_db.subjects["MSK"])
    at.switch_page(page_path("adverse_events.py")).run()
    calm(at)
    sid = case_db.subjects["MSK"].subject_id
    count = "SELECT count(*) FROM adverse_events WHERE subject_id = ?"
    before = query(case_db.path, count, [sid])[0][0]
    at.selectbox(key="ae_term").set_value("HEADACHE")
    # longer than the field's 500 characters (sent past max_chars), formulas, SQL, RTL
    verbatim = ("=cmd|' /C calc'!A0 '; DROP TABLE adverse_events; -- \u202eשלום " * 12)[:700]
    at.text_area(key="ae_verbatim").set_value(verbatim)
    at.date_input(key="ae_onset").set_value(dt.date(2021, 6, 10))
    at.selectbox(key="ae_grade").set_value(2)
    at.selectbox(key="ae_causality_NUS-SPINRAZA").set_value("possible")
    at.selectbox(key="ae_action").set_value("dose_not_changed")
    at.selectbox(key="ae_outcome").set_value("recovering")
    at.run()
    at.button(key="aes_save_button").click().run()
    calm(at)
    errors = [e.value for e in at.error]
    assert "Verbatim term (as reported): has the wrong length" in errors, errors
    assert query(case_db.path, count, [sid])[0][0] == before
    # the widget keeps its 500 characters, and they stay in place after the refusal
    assert at.text_area(key="ae_verbatim").value == verbatim[:500]
    # the page still works: a hostile but short verbatim is scrubbed and saved
    at.text_area(key="ae_verbatim").set_value("=1+1 headache '; DROP TABLE subjects; -- 😀")
    at.button(key="aes_save_button").click().run()
    calm(at)
    assert at.success, [e.value for e in at.error]
    assert query(case_db.path, count, [sid])[0][0] == before + 1
    TALLY["adverse event page: cases"] += 2
    TALLY["adverse event page: refused"] += 1
    TALLY["adverse event page: stored"] += 1


# --- known gap ---------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["local id", "narrative text", "correction", "reason"])
def test_a_lone_surrogate_is_refused_with_a_clear_error(
    db: Database, subject: OpenSubject, where: str
) -> None:
    before = counts(db)
    """A lone surrogate (not valid Unicode; only the library, never a page, CSV, XLSX
    or bundle, can pass one) is refused with a clear error and nothing written."""
    with pytest.raises(CaseguardError) as refused:
        if where == "local id":
            open_subject(site_user(db), "PAT-\ud800-1")
        elif where in ("correction", "reason"):
            sid = subject.subject_id
            change = Change("subjects", {"subject_id": sid}, {"sex": "female"})
            if where == "correction":
                change = Change("subjects", {"subject_id": sid}, {"disease_subtype": "1\ud800"})
            reason = "typo \ud800" if where == "reason" else "typo"
            update_rows(site_user(db), sid, [change], reason)
        else:
            done = narrative_entry.ScrubbedNarrative("seen \ud800 today", "en", {})
            narrative_entry.save_narrative(site_user(db), subject, dt.date(2021, 7, 1), done)
    assert "not valid text" in str(refused.value)
    assert counts(db) == before
