"""Bulk import of legacy spreadsheets (warehouse/exchange/legacy_import.py, legacy_sheets.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from anonymise import pseudonymise
from schemas.errors import AccessDenied
from tests.warehouse_fixtures import (
    audit_count,
    coordinator,
    make_db,
    monitor,
    site_user,
    table_counts,
)
from warehouse.exchange.legacy_import import LegacyImportFailed, import_legacy, parse_date
from warehouse.exchange.legacy_sheets import SHEETS, sheet_columns, write_template
from warehouse.export.release import ExportOptions, export_pooled
from warehouse.store.cases import load_case
from warehouse.store.db import Database

LOCAL_IDS = ("MRN-55501-ZZ", "ИБ-2019-004417")
PERSON = "Иванова Анна Сергеевна"
RELATIVE = "Петров Олег Викторович"
PHONE = "+7 916 555-01-23"


def patient(local_id: str, *, score: Any = 31) -> dict[str, list[dict[str, Any]]]:
    """One SMA patient's legacy rows (real dates, raw free text)."""
    return {
        "subjects": [
            dict(
                local_id=local_id,
                sex="female",
                birth_year=2021,
                disease="SMA5Q",
                disease_subtype="1b",
                smn1_status="homozygous_deletion",
                smn2_copies="2",
                age_at_onset_months=2,
                age_at_index_months="5,0",
                index_date="01.06.2021",
                status="active",
            )
        ],
        "consents": [
            dict(
                local_id=local_id,
                processing="да",
                pooled_research="yes",
                publication="no",
                signed_by="legal_representative",
                signed_date=dt.date(2021, 5, 30),
            )
        ],
        "treatments": [
            dict(
                local_id=local_id,
                product_id="NUS-SPINRAZA",
                dose="12",
                dose_unit="mg",
                route="intrathecal",
                start_date="2021-06-01",
                lot="L1",
            )
        ],
        "assessments": [
            dict(
                local_id=local_id,
                visit_date="01.06.2021",
                scale="CHOP-INTEND",
                score=score,
                ventilation="none",
                feeding="oral",
                motor_function="non_sitter",
            )
        ],
        "labs": [
            dict(
                local_id=local_id,
                date="1 июня 2021",
                test="PLT",
                value="250,5",
                unit="10^9/L",
                lower=150,
                upper=450,
            )
        ],
        "adverse_events": [
            dict(
                local_id=local_id,
                verbatim_term=f"головная боль, со слов матери {RELATIVE}",
                coded_term="HEADACHE",
                onset_date="02.06.2021",
                ctcae_grade=2,
                serious="no",
                action_taken="dose_not_changed",
                outcome="recovering",
                suspect_products="NUS-SPINRAZA",
                causality="possible",
            )
        ],
        "narratives": [
            dict(
                local_id=local_id,
                visit_date="02.06.2021",
                language="ru",
                text=f"Пациентка {PERSON}, тел. {PHONE}, 02.06.2021 жалобы на головную боль.",
            )
        ],
    }


def workbook(path: Path, *patients: dict[str, list[dict[str, Any]]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for sheet in SHEETS:
        ws = book.create_sheet(sheet)
        ws.append(sheet_columns(sheet))
        for rows in patients:
            for row in rows.get(sheet, []):
                ws.append([row.get(c) for c in sheet_columns(sheet)])
    book.save(path)
    return path


def csv_file(path: Path, *patients: dict[str, list[dict[str, Any]]]) -> Path:
    rows = [
        {"record_type": sheet, **row}
        for p in patients
        for sheet in SHEETS
        for row in p.get(sheet, [])
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return make_db(tmp_path / "data" / "w.duckdb", tmp_path / "keys")


def test_the_template_has_a_sheet_per_record_type_and_a_column_guide(tmp_path: Path) -> None:
    book = load_workbook(write_template(tmp_path / "t.xlsx"))
    assert book.sheetnames == [*SHEETS, "columns"]
    for sheet in SHEETS:
        assert [c.value for c in book[sheet][1]] == sheet_columns(sheet)
    assert "local_id" in sheet_columns("subjects") and "subject_id" not in sheet_columns("labs")
    assert {"smn1_status", "smn2_copies", "hla_b27"} <= set(sheet_columns("subjects"))
    guide = pd.DataFrame(list(book["columns"].values)[1:], columns=list(book["columns"].values)[0])
    assert len(guide) == sum(len(sheet_columns(s)) for s in SHEETS)
    assert guide["label_ru"].notna().all()
    row = guide[(guide.table == "assessments") & (guide.column == "feeding")].iloc[0]
    assert row["allowed_values"] == "oral; ng_tube; gastrostomy"
    assert book["assessments"].data_validations.dataValidation  # drop-down lists


def test_an_import_pseudonymises_shifts_and_scrubs(db: Database, tmp_path: Path) -> None:
    path = workbook(tmp_path / "legacy.xlsx", patient(LOCAL_IDS[0]), patient(LOCAL_IDS[1]))
    result = import_legacy(coordinator(db), path, site="MSK")
    assert result.subjects == 2 and result.rows["ae_causality"] == 2
    pseudo = pseudonymise(db.keys.site_key("MSK"), "MSK", LOCAL_IDS[0])
    case = load_case(coordinator(db), pseudo.subject_id)
    shift = dt.timedelta(days=pseudo.date_shift_days)
    assert case.subject["index_date"] == dt.date(2021, 6, 1) + shift
    assert case.labs[0]["date"] == dt.date(2021, 6, 1) + shift
    assert case.labs[0]["value"] == 250.5
    assert case.consents[0]["processing"] is True and case.consents[0]["publication"] is False
    assert RELATIVE not in case.adverse_events[0]["verbatim_term"]
    text = case.narratives[0]["text_scrubbed"]
    assert PERSON not in text and PHONE not in text and "[PERSON]" in text
    shifted = (dt.date(2021, 6, 2) + shift).strftime("%d.%m.%Y")
    assert shifted in text  # the date in the text moved with the subject's shift
    assert not (tmp_path / "legacy.errors.csv").exists()


def test_one_bad_row_writes_nothing_and_is_reported(db: Database, tmp_path: Path) -> None:
    bad = patient(LOCAL_IDS[1], score=99)  # CHOP INTEND is 0-64
    path = workbook(tmp_path / "legacy.xlsx", patient(LOCAL_IDS[0]), bad)
    before, entries = table_counts(db), audit_count(db)
    with pytest.raises(LegacyImportFailed) as failed:
        import_legacy(coordinator(db), path, site="MSK")
    assert table_counts(db) == before and audit_count(db) == entries
    report = pd.read_csv(failed.value.report, dtype=str, encoding="utf-8-sig")
    assert failed.value.report == tmp_path / "legacy.errors.csv"
    assert report[["sheet", "row", "column"]].values.tolist() == [["assessments", "3", "score"]]
    assert report.loc[0, "value"] == "99"
    assert report.loc[0, "problem_en"] and report.loc[0, "problem_ru"]


def test_the_error_report_never_echoes_identifiers(db: Database, tmp_path: Path) -> None:
    bad = patient(LOCAL_IDS[0])
    bad["narratives"][0]["language"] = "de"  # unsupported: the text row fails
    bad["subjects"][0]["index_date"] = "32.13.2021"  # not a date
    bad["labs"][0]["local_id"] = "UNKNOWN-PATIENT-77"  # not in the subjects sheet
    path = workbook(tmp_path / "legacy.xlsx", bad)
    with pytest.raises(LegacyImportFailed) as failed:
        import_legacy(coordinator(db), path, site="MSK")
    text = failed.value.report.read_text("utf-8-sig")
    assert "index_date" in text and "local_id" in text
    for secret in (*LOCAL_IDS, "UNKNOWN-PATIENT-77", PERSON, RELATIVE, PHONE, "32.13.2021"):
        assert secret not in text
    assert secret not in str(failed.value)


def test_dry_run_reports_and_writes_nothing(db: Database, tmp_path: Path) -> None:
    path = csv_file(tmp_path / "legacy.csv", patient(LOCAL_IDS[0]))
    before = table_counts(db)
    result = import_legacy(coordinator(db), path, site="MSK", dry_run=True)
    assert result.dry_run and result.subjects == 1 and result.rows["narratives"] == 1
    assert table_counts(db) == before
    real = import_legacy(coordinator(db), path, site="MSK")
    assert table_counts(db)["subjects"] == before["subjects"] + real.subjects
    # the same patients again are not doubled (a re-run after a crash: see below)
    again = import_legacy(coordinator(db), path, site="MSK")
    assert again.subjects == 0 and again.already_present == 1
    assert table_counts(db)["subjects"] == before["subjects"] + real.subjects


def test_rerun_after_a_crash_past_the_commit_skips_what_is_there(
    db: Database, tmp_path: Path
) -> None:
    """Issue 18 item 12: an import that committed and then crashed (before it could say
    so) is run again. What is stored stays as it is; the rest is imported; no error."""
    first, second = patient(LOCAL_IDS[0]), patient(LOCAL_IDS[1])
    import_legacy(coordinator(db), csv_file(tmp_path / "one.csv", first), site="MSK")
    counts, entries = table_counts(db), audit_count(db)
    again = import_legacy(coordinator(db), csv_file(tmp_path / "one.csv", first), site="MSK")
    assert (again.subjects, again.already_present, sum(again.rows.values())) == (0, 1, 0)
    assert table_counts(db) == counts and audit_count(db) == entries  # nothing written
    both = import_legacy(coordinator(db), csv_file(tmp_path / "two.csv", first, second), "MSK")
    assert (both.subjects, both.already_present) == (1, 1)
    assert table_counts(db)["subjects"] == counts["subjects"] + 1


def test_a_stored_row_with_other_values_is_reported_not_changed(
    db: Database, tmp_path: Path
) -> None:
    """Near miss of the re-run: the same patient with a changed score is not skipped
    silently and not overwritten; the report names the row and points to corrections."""
    import_legacy(coordinator(db), csv_file(tmp_path / "a.csv", patient(LOCAL_IDS[0])), "MSK")
    counts = table_counts(db)
    changed = csv_file(tmp_path / "b.csv", patient(LOCAL_IDS[0], score=40))
    with pytest.raises(LegacyImportFailed) as failed:
        import_legacy(coordinator(db), changed, site="MSK")
    assert failed.value.count == 1 and table_counts(db) == counts
    report = pd.read_csv(failed.value.report, dtype=str, encoding="utf-8-sig")
    row = report.iloc[0]
    assert (row["sheet"], row["row"]) == ("assessments", "5")
    assert "already stored with other values" in row["problem_en"]


def test_a_refusal_never_tells_whether_a_patient_exists_at_another_centre(
    db: Database, tmp_path: Path
) -> None:
    """Issue 18 item 10: a site user naming another centre gets the same refusal whether
    or not that centre holds the patient, and nothing about it is looked up first."""
    import_legacy(coordinator(db), csv_file(tmp_path / "prm.csv", patient(LOCAL_IDS[0])), "PRM")
    msk = site_user(db, "MSK")
    answers = []
    for local_id in (LOCAL_IDS[0], "NEVER-SEEN-123"):
        rows = patient(local_id)
        rows["subjects"][0]["site_code"] = "PRM"
        with pytest.raises(AccessDenied) as refused:
            import_legacy(msk, csv_file(tmp_path / "probe.csv", rows))
        answers.append(str(refused.value))
    assert answers[0] == answers[1] and "PRM" in answers[0]
    assert "already" not in answers[0]


def test_site_from_a_column(db: Database, tmp_path: Path) -> None:
    rows = patient(LOCAL_IDS[0])
    rows["subjects"][0]["site_code"] = "PRM"
    import_legacy(coordinator(db), workbook(tmp_path / "l.xlsx", rows))
    sid = pseudonymise(db.keys.site_key("PRM"), "PRM", LOCAL_IDS[0]).subject_id
    assert load_case(coordinator(db), sid).subject["site_code"] == "PRM"


def test_monitors_cannot_import(db: Database, tmp_path: Path) -> None:
    with pytest.raises(Exception, match="may not"):
        import_legacy(monitor(db), workbook(tmp_path / "l.xlsx", patient("X1")), site="MSK")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01.06.2021", dt.date(2021, 6, 1)),
        ("1/6/2021", dt.date(2021, 6, 1)),
        ("2021-06-01", dt.date(2021, 6, 1)),
        ("1 июня 2021", dt.date(2021, 6, 1)),
        ("June 1, 2021", dt.date(2021, 6, 1)),
        (dt.datetime(2021, 6, 1, 0, 0), dt.date(2021, 6, 1)),
        (None, None),
    ],
)
def test_dates(text: Any, expected: dt.date | None) -> None:
    assert parse_date(text) == expected


def test_bad_dates_are_refused() -> None:
    for text in ("31.02.2021", "soon", "2021-13-01"):
        with pytest.raises(ValueError):
            parse_date(text)


def _encodings(text: str) -> set[bytes]:
    forms = {text, text.upper(), text.lower(), text.replace(" ", "")}
    return {f.encode(codec) for f in forms for codec in ("utf-8", "utf-16-le", "utf-16-be")}


def test_identifiers_reach_neither_the_database_nor_any_export(
    db: Database, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    path = workbook(tmp_path / "in" / "legacy.xlsx", patient(LOCAL_IDS[0]), patient(LOCAL_IDS[1]))
    import_legacy(coordinator(db), path, site="MSK")
    out = tmp_path / "export"
    export_pooled(coordinator(db), out, ExportOptions(fmt="csv", k=1, sdtm=True))
    raw = duckdb.connect(db.path)
    raw.execute("CHECKPOINT")
    raw.close()
    files = [p for p in Path(db.path).parent.rglob("*") if p.is_file()]
    files += [p for p in out.rglob("*") if p.is_file()]
    assert Path(db.path) in files and len(files) > 10
    needles = set()
    for secret in (*LOCAL_IDS, PERSON, RELATIVE, PHONE, "916 555", "55501", "004417"):
        needles |= _encodings(secret)
    hits = [f"{p.name}: {n!r}" for p in files for n in needles if n in p.read_bytes()]
    assert hits == []
    # the scan would find a stored value
    sid = pseudonymise(db.keys.site_key("MSK"), "MSK", LOCAL_IDS[0]).subject_id
    assert sid.encode() in Path(db.path).read_bytes()


def test_add_records_reports_a_bad_date_as_a_validation_problem(db: Database) -> None:
    from schemas.errors import ValidationFailed
    from tests.warehouse_fixtures import make_case, site_user
    from warehouse.store.cases import add_records, save_cases

    case = make_case(db)
    save_cases(site_user(db), [case])
    ae = dict(case.adverse_events[0], ae_id="AE-BAD-DATE", onset_date="soon")
    with pytest.raises(ValidationFailed):
        add_records(site_user(db), case.subject["subject_id"], {"adverse_events": [ae]})
