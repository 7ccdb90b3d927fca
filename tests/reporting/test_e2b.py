"""E2B(R3) drafts: valid against the ICH schema, masked patient, MedDRA-coded reactions,
no shifted date presented as a date, versions sharing one case id."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from schemas.errors import AccessDenied, CaseguardError
from tests.reporting.fixtures import reporting_db, schema_dir, serious_case, term_index
from tests.warehouse_fixtures import coordinator, monitor, site_user
from warehouse.reporting import synthetic_meddra as syn
from warehouse.reporting.e2b import HL7, build_icsr, summary, validate
from warehouse.reporting.meddra import code_event
from warehouse.reporting.report_data import report_data
from warehouse.reporting.sae_records import record_submission, set_aware_date
from warehouse.store.audit import audited_transaction
from warehouse.store.db import Database

__all__ = ["reporting_db"]
NS = {"h": HL7}


def _coded(
    db: Database, local_id: str, criteria: tuple[str, ...], term: str = "ASEPTIC-MENINGITIS"
) -> str:
    _, ae_id = serious_case(db, local_id, term=term, criteria=criteria)
    with audited_transaction(db, coordinator(db).actor) as (conn, events):
        code_event(conn, events, "coord", ae_id, syn.llt_code(term_index(term), 1), syn.VERSION)
    set_aware_date(site_user(db), ae_id, dt.date(2026, 3, 1))
    return ae_id


@pytest.mark.parametrize(
    "criteria",
    [
        ("death",),
        ("life_threatening", "hospitalisation"),
        ("hospitalisation",),
        ("medically_important",),
    ],
)
def test_every_kind_of_serious_event_validates_against_the_ich_schema(
    reporting_db: Database, criteria: tuple[str, ...]
) -> None:
    ae_id = _coded(reporting_db, "P-VALID", criteria)
    xml = build_icsr(report_data(monitor(reporting_db), ae_id))
    assert validate(xml, schema_dir()) == []
    doc = etree.fromstring(xml)
    flags = {
        o.xpath("string(h:code/@code)", namespaces=NS): o.xpath(
            "string(h:value/@value)", namespaces=NS
        )
        for o in doc.xpath(
            "//h:observation[h:code/@code='29']/h:outboundRelationship2/h:observation",
            namespaces=NS,
        )
    }
    assert flags["34"] == ("true" if "death" in criteria else "")
    assert flags["33"] == ("true" if "hospitalisation" in criteria else "")


def test_an_uncoded_event_validates_too(reporting_db: Database) -> None:
    _, ae_id = serious_case(reporting_db, "P-UNCODED")
    assert validate(build_icsr(report_data(monitor(reporting_db), ae_id)), schema_dir()) == []


def test_the_validator_catches_a_broken_file(reporting_db: Database) -> None:
    ae_id = _coded(reporting_db, "P-BROKEN", ("hospitalisation",))
    xml = build_icsr(report_data(monitor(reporting_db), ae_id))
    broken = xml.replace(b"<statusCode", b"<unknownElement/><statusCode", 1)
    errors = validate(broken, schema_dir())
    assert errors and "unknownElement" in errors[0]


def test_patient_is_masked_and_the_reaction_carries_its_llt_and_version(
    reporting_db: Database,
) -> None:
    ae_id = _coded(reporting_db, "P-MASK", ("death",))
    doc = etree.fromstring(build_icsr(report_data(monitor(reporting_db), ae_id)))
    assert doc.xpath("string(//h:player1/h:name/@nullFlavor)", namespaces=NS) == "MSK"
    assert doc.xpath("//h:birthTime", namespaces=NS) == []
    value = doc.xpath("//h:observation[h:code/@code='29']/h:value", namespaces=NS)[0]
    assert value.get("code") == str(syn.llt_code(term_index("ASEPTIC-MENINGITIS"), 1))
    assert (value.get("codeSystem"), value.get("codeSystemVersion")) == (
        "2.16.840.1.113883.6.163",
        "90.0",
    )
    assert (
        doc.xpath("string(//h:observation[h:code/@code='3']/h:value/@unit)", namespaces=NS) == "mo"
    )
    assert (
        doc.xpath("string(//h:investigationEvent/h:effectiveTime/h:low/@value)", namespaces=NS)
        == "20260301"
    )


def test_shifted_dates_never_appear_and_real_ones_only_with_the_local_id(
    reporting_db: Database,
) -> None:
    case, ae_id = serious_case(reporting_db, "P-DATES")
    shifted = case.adverse_events[0]["onset_date"]
    first_dose = case.treatments[0]["start_date"]
    plain = build_icsr(report_data(site_user(reporting_db), ae_id)).decode()
    for day in (shifted, first_dose):
        assert day.strftime("%Y%m%d") not in plain
    doc = etree.fromstring(plain.encode())
    assert (
        doc.xpath("string(//h:outboundRelationship1/h:pauseQuantity/@value)", namespaces=NS) == "1"
    )
    restored = build_icsr(report_data(site_user(reporting_db), ae_id, local_id="P-DATES")).decode()
    assert "20210602" in restored  # the real onset (2 June 2021, see make_case)
    assert shifted.strftime("%Y%m%d") not in restored
    with pytest.raises(CaseguardError, match="does not belong to the event's subject"):
        report_data(site_user(reporting_db), ae_id, local_id="P-OTHER")
    with pytest.raises(AccessDenied, match="only a user of the subject's own site"):
        report_data(coordinator(reporting_db), ae_id, local_id="P-DATES")


def test_a_follow_up_keeps_the_case_id_and_increments_the_version(reporting_db: Database) -> None:
    ae_id = _coded(reporting_db, "P-VERSION", ("hospitalisation",))
    first = summary(build_icsr(report_data(monitor(reporting_db), ae_id)))
    record_submission(coordinator(reporting_db), ae_id, "initial", dt.date(2026, 3, 5))
    second = summary(build_icsr(report_data(monitor(reporting_db), ae_id)))
    assert first["case_id"] == second["case_id"] == f"RU-CASEGUARD-{ae_id}"
    assert (first["message_id"], second["message_id"]) == (
        f"{first['case_id']}-v1",
        f"{first['case_id']}-v2",
    )


def test_non_serious_and_out_of_scope_events_are_refused(reporting_db: Database) -> None:
    _, ae_id = serious_case(reporting_db, "P-MILD", criteria=())
    with pytest.raises(CaseguardError, match="is not serious"):
        report_data(monitor(reporting_db), ae_id)
    _, other = serious_case(reporting_db, "P-PRM", site="PRM")
    with pytest.raises(AccessDenied):
        report_data(site_user(reporting_db, "MSK"), other)
