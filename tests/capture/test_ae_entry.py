"""Adverse-event entry: term list, grade-5 rules, scrubbed rows, saving, problem placement."""

from __future__ import annotations

import datetime as dt

import pytest

from anonymise import ScrubResult
from schemas.errors import ValidationFailed
from tests.warehouse_fixtures import audit_count, file_db, make_case, site_user  # noqa: F401
from warehouse.capture.ae_entry import (
    AWARE,
    END,
    GRADE,
    VERBATIM,
    AEInput,
    LltChoice,
    ae_locator,
    ae_rows,
    apply_grade,
    body_system,
    causality_key,
    product_label,
    release_grade,
    required_problems,
    save_ae,
    scrub_verbatim,
    suspect_products,
    term_label,
    term_options,
)
from warehouse.capture.entry_problems import place
from warehouse.capture.subjects_lookup import OpenSubject, open_subject
from warehouse.store.cases import add_records, load_case, save_case
from warehouse.store.db import Database

SUBJECT = OpenSubject("MSK-ABCDEFGHJKLM", "MSK", date_shift_days=7, exists=True)
EVENT = AEInput(
    term_id="HEADACHE",
    verbatim="headache after LP, reported by Ivanov Petr on 12.06.2021",
    onset_date=dt.date(2021, 6, 10),
    end_date=dt.date(2021, 6, 12),
    grade=2,
    criteria=("hospitalisation",),
    action_taken="dose_not_changed",
    outcome="recovered",
    causality={"NUS-SPINRAZA": "possible"},
    aware_date=dt.date(2021, 6, 11),
)


def test_term_list_and_labels() -> None:
    terms = term_options()
    assert terms[:2] == ["POST-LP-SYNDROME", "HEADACHE"] and len(terms) == 28
    assert term_label("HEADACHE", "ru") == "Головная боль"
    assert body_system("THROMBOCYTOPENIA") == "Blood and lymphatic system disorders"
    assert body_system("HEADACHE", "ru") == "Нарушения со стороны нервной системы"


def test_product_labels_show_generics() -> None:
    assert product_label("NUS-SPINRAZA", "en") == "Spinraza (nusinersen)"
    assert product_label("NUS-LANTESENS", "en") == "Lantesens (nusinersen, generic)"
    assert product_label("NUS-LANTESENS", "ru") == "Лантесенс (нусинерсен, дженерик)"


@pytest.mark.parametrize(
    ("grade", "outcome", "criteria", "expected"),
    [
        (5, "recovering", (), ("fatal", ("death",))),
        (5, None, ("hospitalisation",), ("fatal", ("death", "hospitalisation"))),
        (5, "fatal", ("death",), ("fatal", ("death",))),
        (4, "recovering", ("life_threatening",), ("recovering", ("life_threatening",))),
        (None, None, (), (None, ())),
    ],
)
def test_apply_grade(
    grade: int | None,
    outcome: str | None,
    criteria: tuple[str, ...],
    expected: tuple[str | None, tuple[str, ...]],
) -> None:
    assert apply_grade(grade, outcome, criteria) == expected


def test_release_grade_undoes_only_what_grade5_forced() -> None:
    assert release_grade("fatal", ("death", "hospitalisation")) == (None, ("hospitalisation",))
    assert release_grade("recovering", ("hospitalisation",)) == (
        "recovering",
        ("hospitalisation",),
    )


def test_the_unscrubbed_verbatim_is_never_in_a_repr() -> None:
    assert "Ivanov" not in repr(EVENT) and "verbatim" not in repr(EVENT)


def test_scrub_verbatim_removes_identifiers_and_shifts_dates() -> None:
    scrubbed = scrub_verbatim(SUBJECT, EVENT)
    assert "Ivanov" not in scrubbed.text and "[PERSON]" in scrubbed.text
    assert "19.06.2021" in scrubbed.text  # 12.06.2021 moved by the subject's 7 days
    assert scrubbed.counts()["PERSON"] == 1


def test_ae_rows_store_only_the_scrubbed_text() -> None:
    scrubbed = ScrubResult("headache after LP, reported by [PERSON]")
    rows = ae_rows(SUBJECT, EVENT, scrubbed)
    (event,) = rows["adverse_events"]
    assert event["verbatim_term"] == scrubbed.text
    assert event["body_system"] == "Nervous system disorders"
    assert event["onset_date"] == dt.date(2021, 6, 17) and event["end_date"] == dt.date(2021, 6, 19)
    assert event["serious"] is True and event["seriousness"] == ["hospitalisation"]
    assert rows["ae_causality"] == [
        {"ae_id": event["ae_id"], "product_id": "NUS-SPINRAZA", "causality": "possible"}
    ]
    assert event["ae_id"].startswith("AE-ABCDEFGHJKLM-")


def test_not_serious_without_criteria_and_no_causality_rows() -> None:
    plain = AEInput(
        "NAUSEA", "nausea", dt.date(2021, 6, 10), None, 1, (), "dose_not_changed", "recovering"
    )
    rows = ae_rows(SUBJECT, plain, ScrubResult("nausea"))
    assert rows["adverse_events"][0]["serious"] is False and "ae_causality" not in rows


def test_required_problems() -> None:
    empty = AEInput(None, "  ", None, None, None, (), None, None)
    fields = [p.field for p in required_problems(empty)]
    assert fields == [
        "coded_term",
        "verbatim_term",
        "onset_date",
        "ctcae_grade",
        "action_taken",
        "outcome",
    ]
    assert required_problems(EVENT) == []


@pytest.fixture
def subject(file_db: Database) -> OpenSubject:  # noqa: F811
    save_case(site_user(file_db), make_case(file_db, "MSK", "AE-UNIT-1"))
    return open_subject(site_user(file_db), "AE-UNIT-1")


def test_suspect_products_are_those_given(file_db: Database, subject: OpenSubject) -> None:  # noqa: F811
    assert suspect_products(site_user(file_db), subject.subject_id) == ["NUS-SPINRAZA"]


def test_save_ae_writes_event_and_causality_together(
    file_db: Database,  # noqa: F811
    subject: OpenSubject,
) -> None:
    before = audit_count(file_db)
    summary = save_ae(site_user(file_db), subject, EVENT, scrub_verbatim(subject, EVENT))
    assert summary.rows == {"adverse_events": 1, "ae_causality": 1}
    assert audit_count(file_db) == before + 2
    stored = load_case(site_user(file_db), subject.subject_id).adverse_events
    assert not any("Ivanov" in str(e["verbatim_term"]) for e in stored)


def _placed(file_db: Database, subject: OpenSubject, event: AEInput) -> dict[str, list[str]]:  # noqa: F811
    before = audit_count(file_db)
    with pytest.raises(ValidationFailed) as raised:
        save_ae(site_user(file_db), subject, event, ScrubResult("headache"))
    assert audit_count(file_db) == before  # nothing written
    placed = place(raised.value.problems, ae_locator(event))
    return {key: placed.messages(key, "en") for key in placed.fields()}


def test_end_before_onset_and_fatal_grade3_are_placed(
    file_db: Database,  # noqa: F811
    subject: OpenSubject,
) -> None:
    bad = AEInput(
        "HEADACHE", "headache", dt.date(2021, 6, 10), dt.date(2021, 6, 1), 3, (),
        "dose_not_changed", "fatal", {"NUS-SPINRAZA": "possible"},
    )  # fmt: skip
    placed = _placed(file_db, subject, bad)
    assert placed[END] == ["end date is before the start date"]
    assert placed[GRADE] == ["a fatal outcome or the criterion death requires CTCAE grade 5"]


def test_causality_for_a_product_not_given_is_placed(
    file_db: Database,  # noqa: F811
    subject: OpenSubject,
) -> None:
    bad = AEInput(
        "HEADACHE", "headache", dt.date(2021, 6, 10), None, 2, (), "dose_not_changed",
        "recovering", {"NUS-SPINRAZA": "possible", "RIS-EVRYSDI": "unlikely"},
    )  # fmt: skip
    placed = _placed(file_db, subject, bad)
    expected = ["a suspect product must be one the subject received"]
    assert placed == {causality_key("RIS-EVRYSDI"): expected}


def test_missing_verbatim_is_placed_with_other_problems(
    file_db: Database,  # noqa: F811
    subject: OpenSubject,
) -> None:
    bad = AEInput(
        "HEADACHE", "", dt.date(2021, 6, 10), None, 2, (), "dose_not_changed", "recovered"
    )
    placed = _placed(file_db, subject, bad)
    assert placed[VERBATIM] == ["is required"]
    assert placed[END] == [
        "a resolved or fatal event needs an end date; an ongoing one must not have one"
    ]


def test_a_fatal_event_can_be_added_to_an_active_subject(
    file_db: Database,  # noqa: F811
    subject: OpenSubject,
) -> None:
    fatal = AEInput(
        "HEADACHE", "headache", dt.date(2021, 6, 10), dt.date(2021, 6, 11), 5,
        ("death",), "not_applicable", "fatal",
    )  # fmt: skip
    rows = ae_rows(subject, fatal, ScrubResult("headache"))
    add_records(site_user(file_db), subject.subject_id, rows)
    stored = load_case(site_user(file_db), subject.subject_id)
    assert stored.subject["status"] == "died"  # the death is recorded with the event
    assert "fatal" in [ae["outcome"] for ae in stored.adverse_events]


def test_day0_rules() -> None:
    """Day 0 is required for a serious event only, not after today, not before onset."""
    from dataclasses import replace

    today = dt.date(2021, 7, 1)
    no_day0 = replace(EVENT, aware_date=None)
    assert [(p.table, p.field, p.check) for p in required_problems(no_day0, today)] == [
        ("ae_awareness", "aware_date", "not_nullable")
    ]
    assert required_problems(replace(no_day0, criteria=()), today) == []
    assert required_problems(replace(EVENT, aware_date=dt.date(2021, 6, 10)), today) == []
    early = required_problems(replace(EVENT, aware_date=dt.date(2021, 6, 9)), today)
    assert [p.check for p in early] == ["aware_not_before_onset"]
    assert "before the onset" in early[0].message_en and "раньше" in early[0].message_ru
    late = required_problems(replace(EVENT, aware_date=dt.date(2021, 7, 2)), today)
    assert [p.check for p in late] == ["date_not_in_future"]
    assert ae_locator(EVENT)(early[0]) == AWARE


def test_llt_coded_event_stores_pt_and_soc_codes() -> None:
    from dataclasses import replace

    coded = replace(EVENT, term_id=None, llt=LltChoice(92000011, "90.0", 91000001, 93000002))
    (event,) = ae_rows(SUBJECT, coded, ScrubResult("headache"))["adverse_events"]
    assert (event["coded_term"], event["body_system"]) == ("PT:91000001", "SOC:93000002")
    assert required_problems(coded, dt.date(2021, 7, 1)) == []


def test_reporting_rows_are_written_in_the_same_transaction(
    file_db: Database,  # noqa: F811
    subject: OpenSubject,
) -> None:
    seen: list[str] = []

    def record(conn: object, events: object, ae_id: str) -> None:
        seen.append(ae_id)
        raise RuntimeError("coding refused")

    before = audit_count(file_db)
    with pytest.raises(RuntimeError):
        save_ae(
            site_user(file_db), subject, EVENT, scrub_verbatim(subject, EVENT),
            record_reporting=record,
        )  # fmt: skip
    assert len(seen) == 1 and seen[0].startswith("AE-")
    assert audit_count(file_db) == before  # the event was rolled back with the coding
    assert len(load_case(site_user(file_db), subject.subject_id).adverse_events) == 1
