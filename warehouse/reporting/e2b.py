"""ICH E2B(R3) individual case safety reports: an HL7 v3 ``MCCI_IN200100UV01`` batch
holding one ``PORR_IN049016UV`` message, built with lxml.

Which element carries which E2B item and which OID names each code list follows ICH's
reference instances (``2.16.840.1.113883.3.989.2.1.1.*`` for ICH code lists,
``2.16.840.1.113883.6.163`` for MedDRA). Shifted dates are never written as dates:
the report carries the age at onset, onset relative to each product's first dose and
the durations, which the shift leaves intact; real dates appear only when the site
restored them with the local id. The patient's name is masked (``nullFlavor="MSK"``).
:func:`validate` checks a file against the ICH schema set the user points to; the
project ships no schema files.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import uuid
from pathlib import Path
from typing import Any

from lxml import etree

from schemas import load_reference
from schemas.errors import CaseguardError
from warehouse.reporting.report_data import DrugUse, ReportData
from warehouse.reporting.rules import sender

HL7 = "urn:hl7-org:v3"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ICH = "2.16.840.1.113883.3.989.2.1"
MEDDRA = "2.16.840.1.113883.6.163"
COUNTRY = "1.0.3166.1.2.2"
SCHEMA_ENTRY = "multicacheschemas/MCCI_IN200100UV01.xsd"
SCHEMA_ENV = "CASEGUARD_E2B_SCHEMA"

# ICH E2B(R3) code lists (the 1.1.x OIDs) for the values caseguard stores.
SEX = {"male": "1", "female": "2"}
OUTCOME = {
    "recovered": "1",
    "recovering": "2",
    "not_recovered": "3",
    "recovered_with_sequelae": "4",
    "fatal": "5",
    "unknown": "0",
}
ACTION = {
    "drug_withdrawn": "1",
    "dose_reduced": "2",
    "dose_increased": "3",
    "dose_not_changed": "4",
    "unknown": "0",
    "not_applicable": "9",
}
ROUTE = {"intrathecal": "037", "intravenous": "042", "oral": "048", "subcutaneous": "058"}
# E.i.3.2a-f, in the order ICH lists them, with their observation codes (1.1.19)
CRITERIA = (
    ("death", "34"),
    ("life_threatening", "21"),
    ("hospitalisation", "33"),
    ("disability", "35"),
    ("congenital_anomaly", "12"),
    ("medically_important", "26"),
)
ROLE = {"suspect": "1", "concomitant": "2", "interacting": "3"}
REPORT_FROM_STUDY = "2"


# The classCode of each event-mood act nested through :func:`_act`.
_ACT_CLASS = {
    "controlActEvent": "CACT",
    "substanceAdministration": "SBADM",
    "causalityAssessment": "OBS",
    "productUseReference": "SBADM",
    "adverseEffectReference": "OBS",
    "act": "ACT",
}


def _q(tag: str) -> str:
    return f"{{{HL7}}}{tag}"


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    node = etree.SubElement(parent, _q(tag))
    for key, value in attrs.items():
        node.set(f"{{{XSI}}}type" if key == "xsi_type" else key, value)
    if text is not None:
        node.text = text
    return node


def _via(
    parent: etree._Element, relation: str, type_code: str, tag: str, **attrs: str
) -> etree._Element:
    """``tag`` inside a new act-relationship element: HL7 v3 nests every participant and
    related act so (``<component typeCode="COMP"><causalityAssessment …/></component>``)."""
    return _el(_el(parent, relation, typeCode=type_code), tag, **attrs)


def _act(parent: etree._Element, relation: str, type_code: str, tag: str) -> etree._Element:
    """An event-mood act (``classCode`` from ``_ACT_CLASS``) under a new relationship."""
    return _via(parent, relation, type_code, tag, classCode=_ACT_CLASS[tag], moodCode="EVN")


def _author_entity(parent: etree._Element, relation: str) -> etree._Element:
    """The assigned entity authoring a control act: C.2 (primary source) and C.3 (sender)."""
    control = _act(parent, relation, "SUBJ", "controlActEvent")
    return _via(control, "author", "AUT", "assignedEntity", classCode="ASSIGNED")


def _product_reference(parent: etree._Element, relation: str, product_id: str) -> None:
    """A reference to the drug's ``substanceAdministration`` by its id."""
    _el(_act(parent, relation, "SUBJ", "productUseReference"), "id", root=product_id)


def _ts(day: dt.date | dt.datetime) -> str:
    return day.strftime("%Y%m%d%H%M%S" if isinstance(day, dt.datetime) else "%Y%m%d")


def _obs(parent: etree._Element, code: str) -> etree._Element:
    obs = _el(parent, "observation", classCode="OBS", moodCode="EVN")
    _el(obs, "code", code=code, codeSystem=f"{ICH}.1.1.19")
    return obs


def _device(parent: etree._Element, tag: str, type_code: str, ident: str, oid: str) -> None:
    device = _el(
        _el(parent, tag, typeCode=type_code), "device", classCode="DEV", determinerCode="INSTANCE"
    )
    _el(device, "id", extension=ident, root=f"{ICH}.3.{oid}")


def _age_group(months: float) -> str:
    """ICH 1.1.9: 1 neonate (< 28 days), 2 infant, 3 child (2-11 y), 4 adolescent, 5 adult."""
    if months < 28 / 30.4375:
        return "1"
    if months < 24:
        return "2"
    if months < 12 * 12:
        return "3"
    return "4" if months < 18 * 12 else "5"


def _patient(role: etree._Element, data: ReportData) -> None:
    player = _el(role, "player1", classCode="PSN", determinerCode="INSTANCE")
    _el(player, "name", nullFlavor="MSK")  # D.1: masked, never initials
    sex = SEX.get(str(data.subject.get("sex")))
    if sex:
        _el(player, "administrativeGenderCode", code=sex, codeSystem="1.0.5218")
    else:
        _el(player, "administrativeGenderCode", nullFlavor="UNK")
    info = sender()
    study = _el(
        _el(role, "subjectOf1", typeCode="SBJ"), "researchStudy", classCode="CLNTRL", moodCode="EVN"
    )
    _el(study, "id", extension=info.get("sponsor_study_number", "CASEGUARD"), root=f"{ICH}.3.5")
    _el(study, "code", code=info.get("study_type", "3"), codeSystem=f"{ICH}.1.1.8")
    _el(study, "title", info.get("study_name", "caseguard study"))
    if data.age_at_onset_months is not None:
        age = _obs(_el(role, "subjectOf2", typeCode="SBJ"), "3")  # D.2.2
        _el(age, "value", xsi_type="PQ", value=f"{data.age_at_onset_months:g}", unit="mo")
        group = _obs(_el(role, "subjectOf2", typeCode="SBJ"), "4")  # D.2.3
        _el(
            group,
            "value",
            xsi_type="CE",
            code=_age_group(data.age_at_onset_months),
            codeSystem=f"{ICH}.1.1.9",
        )
    # D.3 body weight: "not asked". No table records a weight (the visit form has no such
    # field, and weight-based doses are stored per kg, e.g. Zolgensma in vg/kg, so no
    # weight can be derived); a weight is never estimated into a regulatory report.
    weight = _obs(_el(role, "subjectOf2", typeCode="SBJ"), "7")
    _el(weight, "value", xsi_type="PQ", nullFlavor="NASK")


def _reaction(role: etree._Element, data: ReportData, reaction_id: str) -> None:
    obs = _obs(_el(role, "subjectOf2", typeCode="SBJ"), "29")
    obs.insert(0, etree.Element(_q("id"), root=reaction_id))
    onset, end = data.real(data.ae.get("onset_date")), data.real(data.ae.get("end_date"))
    if onset or data.event_days:
        time = _el(obs, "effectiveTime", xsi_type="IVL_TS")
        if onset:  # E.i.4/E.i.5 only with restored real dates
            _el(time, "low", value=_ts(onset))
            if end:
                _el(time, "high", value=_ts(end))
        elif data.event_days:
            _el(time, "width", value=str(data.event_days), unit="d")  # E.i.6 duration
    verbatim = str(data.ae.get("verbatim_term") or "")
    language = "ru" if any("а" <= ch.lower() <= "я" for ch in verbatim) else "en"
    if data.coding:
        value = _el(
            obs,
            "value",
            xsi_type="CE",
            code=str(data.coding.llt_code),
            codeSystem=MEDDRA,
            codeSystemVersion=data.coding.version,
        )
    else:  # no dictionary loaded: the study's own term, uncoded
        value = _el(obs, "value", xsi_type="CE")
    _el(value, "originalText", verbatim, language=language)
    place = _el(
        _el(_el(obs, "location", typeCode="LOC"), "locatedEntity", classCode="LOCE"),
        "locatedPlace",
        classCode="COUNTRY",
        determinerCode="INSTANCE",
    )
    _el(place, "code", code=data.country, codeSystem=COUNTRY)
    criteria = set(data.ae.get("seriousness") or [])
    for name, code in CRITERIA:
        flag = _obs(_el(obs, "outboundRelationship2", typeCode="PERT"), code)
        if name in criteria:
            _el(flag, "value", xsi_type="BL", value="true")
        else:
            _el(flag, "value", xsi_type="BL", nullFlavor="NI")
    outcome = _obs(_el(obs, "outboundRelationship2", typeCode="PERT"), "27")
    _el(
        outcome,
        "value",
        xsi_type="CE",
        code=OUTCOME.get(str(data.ae.get("outcome")), "0"),
        codeSystem=f"{ICH}.1.1.11",
    )


def _drug(
    organizer: etree._Element, data: ReportData, drug: DrugUse, drug_id: str, reaction_id: str
) -> None:
    use = _act(organizer, "component", "COMP", "substanceAdministration")
    _el(use, "id", root=drug_id)
    kind = _el(
        _el(_el(use, "consumable", typeCode="CSM"), "instanceOfKind", classCode="INST"),
        "kindOfProduct",
        classCode="MMAT",
        determinerCode="KIND",
    )
    _el(kind, "name", drug.name)  # G.k.2.2
    substance = _el(
        _el(kind, "ingredient", classCode="ACTI"),
        "ingredientSubstance",
        classCode="MMAT",
        determinerCode="KIND",
    )
    _el(substance, "name", drug.inn)  # G.k.2.3.r.1
    if drug.role == "suspect":
        gap = _el(use, "outboundRelationship1", typeCode="SAS")  # G.k.9.i.3.1
        _el(gap, "pauseQuantity", value=str(drug.onset_after_first_dose_days), unit="d")
        _el(gap, "actReference", classCode="OBS", moodCode="EVN").append(
            etree.Element(_q("id"), root=reaction_id)
        )
    dosage = _act(use, "outboundRelationship2", "COMP", "substanceAdministration")
    time = _el(dosage, "effectiveTime", xsi_type="IVL_TS")
    first, last = data.real(drug.first_dose), data.real(drug.last_dose)
    if first and last:
        _el(time, "low", value=_ts(first))
        _el(time, "high", value=_ts(last))
    else:
        _el(time, "width", value=str(drug.therapy_days), unit="d")  # G.k.4.r.6
    route = _el(dosage, "routeCode", code=ROUTE.get(drug.route, "050"), codeSystem=f"{ICH}.1.1.14")
    _el(route, "originalText", drug.route)
    _el(dosage, "doseQuantity", value=f"{drug.dose:g}", unit=drug.dose_unit)
    disease = load_reference().diseases.get(str(data.subject.get("disease")))
    indication = _obs(_el(use, "inboundRelationship", typeCode="RSON"), "19")  # G.k.7.r
    _el(
        _el(indication, "value", xsi_type="CE"),
        "originalText",
        disease.name_en if disease else str(data.subject.get("disease")),
    )
    if drug.role == "suspect":
        action = _act(use, "inboundRelationship", "CAUS", "act")
        _el(
            action,
            "code",
            code=ACTION.get(str(data.ae.get("action_taken")), "0"),
            codeSystem=f"{ICH}.1.1.15",
        )


def _assessments(
    assessment: etree._Element, data: ReportData, ids: dict[str, str], reaction_id: str
) -> None:
    for drug in data.drugs:
        role = _act(assessment, "component", "COMP", "causalityAssessment")
        _el(role, "code", code="20", codeSystem=f"{ICH}.1.1.19")
        _el(role, "value", xsi_type="CE", code=ROLE[drug.role], codeSystem=f"{ICH}.1.1.13")  # G.k.1
        _product_reference(role, "subject2", ids[drug.product_id])
    ref_data = load_reference()
    for drug in (d for d in data.drugs if d.causality):
        result = _act(assessment, "component", "COMP", "causalityAssessment")
        _el(result, "code", code="39", codeSystem=f"{ICH}.1.1.19")
        _el(
            result, "value", ref_data.label("causality", str(drug.causality)), xsi_type="ST"
        )  # G.k.9.i.2.r.3
        _el(_el(result, "methodCode"), "originalText", "WHO-UMC")  # G.k.9.i.2.r.2
        author = _el(_el(result, "author", typeCode="AUT"), "assignedEntity", classCode="ASSIGNED")
        _el(_el(author, "code"), "originalText", "Investigator")  # G.k.9.i.2.r.1
        _act(result, "subject1", "SUBJ", "adverseEffectReference").append(
            etree.Element(_q("id"), root=reaction_id)
        )
        _product_reference(result, "subject2", ids[drug.product_id])


def narrative_text(data: ReportData) -> str:
    """H.1: the scrubbed narrative, with what the draft does with dates said first."""
    note = (
        "Dates are given as intervals (onset relative to first dose, durations) and age; "
        "dates inside the narrative are pseudonymised and are not calendar dates."
        if not data.real_dates
        else "Real dates restored by the reporting site; "
        "dates inside the narrative are pseudonymised."
    )
    return "\n\n".join([note, *data.narratives]) if data.narratives else note


def _primary_source(event: etree._Element, data: ReportData) -> None:
    source = _el(event, "outboundRelationship", typeCode="SPRT")
    _el(source, "priorityNumber", value="1")  # C.2.r.5
    investigation = _el(source, "relatedInvestigation", classCode="INVSTG", moodCode="EVN")
    _el(investigation, "code", code="2", codeSystem=f"{ICH}.1.1.22")
    entity = _author_entity(investigation, "subjectOf2")
    person = _el(entity, "assignedPerson", classCode="PSN", determinerCode="INSTANCE")
    _el(
        _el(person, "asQualifiedEntity", classCode="QUAL"),
        "code",
        code="1",
        codeSystem=f"{ICH}.1.1.6",
    )  # physician
    place = _el(
        _el(person, "asLocatedEntity", classCode="LOCE"),
        "location",
        classCode="COUNTRY",
        determinerCode="INSTANCE",
    )
    _el(place, "code", code=data.country, codeSystem=COUNTRY)


def _sender(event: etree._Element) -> None:
    info = sender()
    entity = _author_entity(event, "subjectOf1")
    _el(entity, "code", code=info.get("sender_type", "6"), codeSystem=f"{ICH}.1.1.7")  # C.3.1
    dept = _el(entity, "representedOrganization", classCode="ORG", determinerCode="INSTANCE")
    _el(dept, "name", info.get("department", "Pharmacovigilance"))
    org = _el(
        _el(dept, "assignedEntity", classCode="ASSIGNED"),
        "representedOrganization",
        classCode="ORG",
        determinerCode="INSTANCE",
    )
    _el(org, "name", info.get("organisation", "caseguard"))


def build_icsr(data: ReportData, now: dt.datetime | None = None) -> bytes:
    """The E2B(R3) batch for one event's report (version ``data.version``) as UTF-8 XML."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(tzinfo=None)
    info = sender()
    sender_id = info.get("sponsor_study_number", "CASEGUARD")
    message_id = f"{data.case_id}-v{data.version}"
    namespaces: dict[Any, str] = {None: HL7, "xsi": XSI}
    batch = etree.Element(_q("MCCI_IN200100UV01"), nsmap=namespaces, ITSVersion="XML_1.0")
    _el(batch, "id", extension=f"B-{message_id}", root=f"{ICH}.3.22")  # N.1.2
    _el(batch, "creationTime", value=_ts(now))
    _el(batch, "responseModeCode", code="D")
    _el(batch, "interactionId", extension="MCCI_IN200100UV01", root="2.16.840.1.113883.1.6")
    _el(batch, "name", code="1", codeSystem=f"{ICH}.1.1.1")  # ICSR batch
    message = _el(batch, "PORR_IN049016UV")
    _el(message, "id", extension=message_id, root=f"{ICH}.3.1")  # N.2.r.1
    _el(message, "creationTime", value=_ts(now))
    _el(message, "interactionId", extension="PORR_IN049016UV", root="2.16.840.1.113883.1.6")
    _el(message, "processingCode", code="P")
    _el(message, "processingModeCode", code="T")
    _el(message, "acceptAckCode", code="AL")
    _device(message, "receiver", "RCV", "REGULATOR", "12")
    _device(message, "sender", "SND", sender_id, "11")
    act = _el(message, "controlActProcess", classCode="CACT", moodCode="EVN")
    _el(act, "code", code="PORR_TE049016UV", codeSystem="2.16.840.1.113883.1.18")
    _el(act, "effectiveTime", value=_ts(now))  # C.1.2
    event = _el(
        _el(act, "subject", typeCode="SUBJ"),
        "investigationEvent",
        classCode="INVSTG",
        moodCode="EVN",
    )
    _el(event, "id", extension=data.case_id, root=f"{ICH}.3.1")  # C.1.1
    _el(event, "id", extension=data.case_id, root=f"{ICH}.3.2")  # C.1.8.1, same for every version
    _el(event, "code", code="PAT_ADV_EVNT", codeSystem="2.16.840.1.113883.5.4")
    _el(event, "text", narrative_text(data))  # H.1
    _el(event, "statusCode", code="active")
    received = _el(event, "effectiveTime")
    if data.day0:
        _el(received, "low", value=_ts(data.day0))  # C.1.4: day 0, a real date
    else:
        _el(received, "low", nullFlavor="UNK")
    if data.latest_info:
        _el(event, "availabilityTime", value=_ts(data.latest_info))  # C.1.5
    assessment = _el(
        _el(event, "component", typeCode="COMP"),
        "adverseEventAssessment",
        classCode="INVSTG",
        moodCode="EVN",
    )
    role = _el(_el(assessment, "subject1", typeCode="SBJ"), "primaryRole", classCode="INVSBJ")
    reaction_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"caseguard:{data.ae['ae_id']}"))
    ids = {
        d.product_id: str(
            uuid.uuid5(uuid.NAMESPACE_URL, f"caseguard:{data.ae['ae_id']}:{d.product_id}")
        )
        for d in data.drugs
    }
    _patient(role, data)
    _reaction(role, data, reaction_id)
    organizer = _el(
        _el(role, "subjectOf2", typeCode="SBJ"), "organizer", classCode="CATEGORY", moodCode="EVN"
    )
    _el(organizer, "code", code="4", codeSystem=f"{ICH}.1.1.20")
    for drug in data.drugs:
        _drug(organizer, data, drug, ids[drug.product_id], reaction_id)
    _assessments(assessment, data, ids, reaction_id)
    expedited = _el(
        _el(event, "component", typeCode="COMP"),
        "observationEvent",
        classCode="OBS",
        moodCode="EVN",
    )
    _el(
        expedited, "code", code="23", codeSystem=f"{ICH}.1.1.19"
    )  # C.1.7: fulfils expedited criteria
    _el(expedited, "value", xsi_type="BL", value="true" if data.event.susar else "false")
    _primary_source(event, data)
    _sender(event)
    kind = _el(
        _el(event, "subjectOf2", typeCode="SUBJ"),
        "investigationCharacteristic",
        classCode="OBS",
        moodCode="EVN",
    )
    _el(kind, "code", code="1", codeSystem=f"{ICH}.1.1.23")
    _el(kind, "value", xsi_type="CE", code=REPORT_FROM_STUDY, codeSystem=f"{ICH}.1.1.2")  # C.1.3
    _device(batch, "receiver", "RCV", "REGULATOR", "14")
    _device(batch, "sender", "SND", sender_id, "13")
    return etree.tostring(batch, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def schema_folder(explicit: Path | None = None) -> Path | None:
    """The ICH schema folder: the one given, else $CASEGUARD_E2B_SCHEMA, else None."""
    folder = explicit or (Path(os.environ[SCHEMA_ENV]) if os.environ.get(SCHEMA_ENV) else None)
    if folder is None:
        return None
    if not (folder / SCHEMA_ENTRY).is_file():
        raise CaseguardError(f"no ICH E2B(R3) schema at {folder} (expected {SCHEMA_ENTRY} inside)")
    return folder


@functools.cache
def _schema(entry: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(entry)))


def validate(xml: bytes, folder: Path) -> list[str]:
    """Schema errors of an E2B(R3) file ('line N: message'); empty when it is valid."""
    schema = _schema(folder / SCHEMA_ENTRY)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    doc = etree.fromstring(xml, parser)
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in list(schema.error_log)]  # type: ignore[call-overload]


def summary(xml: bytes) -> dict[str, Any]:
    """The identifiers of a built report (case id, message id, LLT code) for messages and tests."""
    doc = etree.fromstring(xml)
    ns = {"h": HL7}
    return {
        "case_id": doc.xpath(
            "string(//h:investigationEvent/h:id[@root=$r]/@extension)",
            namespaces=ns,
            r=f"{ICH}.3.2",
        ),
        "message_id": doc.xpath("string(//h:PORR_IN049016UV/h:id/@extension)", namespaces=ns),
    }
