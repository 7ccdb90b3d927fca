"""The existing-subject summary: labelled facts in the user's language, dates unshifted."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from anonymise import pseudonymise
from tests import warehouse_fixtures as wf
from warehouse.capture.case_summary import genetics_text, real_date, summarise
from warehouse.store.db import Database

memory_db = wf.memory_db


def test_summary_of_a_full_case_in_english(memory_db: Database) -> None:
    case = wf.make_case(memory_db, "MSK", "PAT-SUM-1")
    shift = pseudonymise(memory_db.keys.site_key("MSK"), "MSK", "PAT-SUM-1").date_shift_days
    summary = summarise(case, shift, "en")
    consent = dict(summary.consent)
    assert consent["Processing of data"] == "yes" and consent["Publication"] == "no"
    assert consent["Signed by"] == "Legal representative"
    assert consent["Signed on"] == "2021-05-30"  # the real date, not the stored one
    facts = dict(summary.demographics)
    assert facts["Disease"] == "5q spinal muscular atrophy"
    assert facts["Subtype"].startswith("SMA type 1b")
    assert facts["Genetics"] == (
        "SMN1 status: Homozygous deletion of exon 7 (+/- 8); SMN2 copy number: 2"
    )
    assert facts["Index date"] == "2021-06-01" and facts["Status"] == "Active"
    assert summary.counts == {
        "treatments": 2,
        "assessments": 1,
        "labs": 1,
        "adverse_events": 1,
        "narratives": 1,
    }
    table = summary.treatments
    assert list(table["Date"]) == ["2021-06-01", "2021-06-15"]
    assert set(table["Product"]) == {"Spinraza (nusinersen)"}
    assert set(table["Dose"]) == {"12 mg"}


def test_summary_in_russian(memory_db: Database) -> None:
    case = wf.make_case(memory_db, "MSK", "PAT-SUM-2")
    summary = summarise(case, 0, "ru")
    assert dict(summary.consent)["Обработка данных"] == "да"
    assert dict(summary.demographics)["Пол"] == "Женский"
    assert "Путь введения" in summary.treatments.columns


def test_subject_without_consent_or_treatments(memory_db: Database) -> None:
    case = wf.make_case(memory_db, "MSK", "PAT-SUM-3", minimal=True)
    case.treatments.clear()
    summary = summarise(case, 0, "en")
    assert summary.consent == [] and summary.treatments.empty


def test_genetics_text_edge_cases() -> None:
    assert genetics_text("AS", '{"hla_b27": "positive"}', "ru") == "HLA-B27: Положительный"
    assert genetics_text("SMA5Q", None, "en") == "—"
    assert genetics_text("NOPE", '{"x": 1}', "en") == "—"


@given(
    day=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2035, 1, 1)),
    shift=st.integers(min_value=-182, max_value=182),
)
def test_real_date_undoes_the_shift(day: dt.date, shift: int) -> None:
    assert real_date(day + dt.timedelta(days=shift), shift) == day
    assert real_date(None, shift) is None
