"""Pooled exports (warehouse/export/release.py, pooled.py, sdtm.py, dictionary.py, writers.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from pycanon import anonymity

from schemas import TABLES, Case
from schemas.errors import AccessDenied
from tests.warehouse_fixtures import audit_rows, coordinator, make_case, make_db, monitor, site_user
from warehouse.demo.build import create_demo
from warehouse.export import pooled
from warehouse.export.ladders import build_ladders
from warehouse.export.release import (
    DisclosureRefused,
    ExportOptions,
    export_pooled,
    verify_export,
)
from warehouse.export.writers import FORMULA_STARTS, neutralise, read_frame, sha256_file
from warehouse.store.access import system_session
from warehouse.store.cases import add_records, list_subjects, load_case, save_case, withdraw_consent
from warehouse.store.db import Database
from warehouse.store.migrations import migrate

SALT = bytes(range(16))
IDENTIFIERS = ("Иванов Пётр Сергеевич", "+7 916 123-45-67")
FORMULA = '=HYPERLINK("http://x","click")'


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, dict[str, set[str]]]:
    """100 demo subjects, one more withdrawal, one AE with identifiers in its verbatim term
    and a narrative that would be a spreadsheet formula. Returns the db and id sets."""
    root = tmp_path_factory.mktemp("export")
    db = Database(root / "w.duckdb", key_dir=root / "keys")
    migrate(db)
    create_demo(db, subjects=100, seed=11)
    with db.connect(read_only=True) as conn:
        rows = conn.execute(
            "SELECT s.subject_id, c.pooled_research, c.withdrawn_date IS NOT NULL, s.status "
            "FROM subjects s JOIN consents c USING (subject_id) ORDER BY s.subject_id"
        ).fetchall()
    eligible = [r[0] for r in rows if r[1] and not r[2] and r[3] != "withdrawn"]
    chosen = eligible[0]
    case = load_case(coordinator(db), chosen)
    withdraw_consent(coordinator(db), chosen, case.consents[0]["signed_date"], "patient asked")
    # ids (and so their order) depend on the random site keys: take a subject with an AE
    marked, case = next(
        (sid, c) for sid in eligible[1:] if (c := load_case(coordinator(db), sid)).adverse_events
    )
    ae = dict(case.adverse_events[0])
    extra: dict[str, list[dict[str, object]]] = {
        "narratives": [
            {
                "narrative_id": "NR-TEST-FORMULA",
                "subject_id": marked,
                "visit_date": case.subject["index_date"],
                "language": "en",
                "text_scrubbed": FORMULA,
                "redaction_counts": "{}",
                "created_at": dt.datetime(2025, 1, 1, 12),
            }
        ]
    }
    ae.update(
        ae_id="AE-TEST-IDENT",
        verbatim_term=f"headache, called {IDENTIFIERS[0]} at {IDENTIFIERS[1]}",
    )
    extra["adverse_events"] = [ae]
    add_records(coordinator(db), marked, extra)
    withdrawn = {r[0] for r in rows if r[2] or r[3] == "withdrawn"} | {chosen}
    no_pooled = {r[0] for r in rows if not r[1]}
    return db, {"withdrawn": withdrawn, "no_pooled": no_pooled, "marked": {marked}}


@pytest.fixture
def fixed_salt(monkeypatch: pytest.MonkeyPatch) -> bytes:
    monkeypatch.setattr(pooled, "new_salt", lambda: (SALT, SALT.hex()))
    return SALT


def export_ids(ids: set[str]) -> set[str]:
    return set(pooled.export_ids(pd.Series(sorted(ids), dtype=object), SALT, "S"))


def all_files(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file())


@pytest.mark.parametrize("fmt", ["parquet", "csv", "xlsx"])
def test_withdrawn_and_non_consenting_subjects_appear_in_no_file(
    warehouse: tuple[Database, dict[str, set[str]]], tmp_path: Path, fmt: str, fixed_salt: bytes
) -> None:
    db, ids = warehouse
    out = tmp_path / "out"
    result = export_pooled(coordinator(db), out, ExportOptions(fmt=fmt, k=1, sdtm=fmt != "xlsx"))
    excluded = ids["withdrawn"] | ids["no_pooled"]
    assert result.excluded["excluded"] == len(excluded) > 0
    forbidden = excluded | export_ids(excluded)
    released = export_ids(set(list_subjects(coordinator(db))["subject_id"]) - excluded)
    for path in all_files(out):
        data = path.read_bytes()
        assert not [s for s in forbidden if s.encode() in data], path.name
        if path.suffix == f".{fmt}" and "subject_id" in read_frame(path).columns:
            assert set(read_frame(path)["subject_id"]) <= released, path.name
    subjects = read_frame(out / f"subjects.{fmt}")
    assert len(subjects) == len(released) == result.disclosure["subjects_released"]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_every_equivalence_class_is_at_least_k_by_pycanon(
    warehouse: tuple[Database, dict[str, set[str]]], tmp_path: Path, fmt: str
) -> None:
    """pycanon recomputes k on every released table and must agree with the report."""
    db, _ = warehouse
    options = ExportOptions(fmt=fmt, k=5, max_suppression=0.1, sdtm=True)
    result = export_pooled(coordinator(db), tmp_path / "o", options)
    subjects = read_frame(tmp_path / "o" / f"subjects.{fmt}").astype(str)
    report = json.loads((tmp_path / "o" / "disclosure_report.json").read_text("utf-8"))
    assert anonymity.k_anonymity(subjects, report["class_columns"]) == report["smallest_class"] >= 5
    assert set(report["quasi_identifiers"]) <= set(subjects.columns)
    assert report["subjects_released"] == len(subjects)
    dm = read_frame(tmp_path / "o" / "sdtm" / f"dm.{fmt}").astype(str)
    assert anonymity.k_anonymity(dm, ["SEX", "SITEID"]) >= report["smallest_class"]
    assert result.disclosure["suppressed_share"] <= 0.1
    assert set(report["l_diversity"]) == {"serious_ae", "died"}
    # suppressed subjects leave every table, not only subjects
    treated = read_frame(tmp_path / "o" / f"treatments.{fmt}")
    assert set(treated["subject_id"].astype(str)) <= set(subjects["subject_id"])


def test_default_export_releases_every_subject_value_from_its_ladder(
    warehouse: tuple[Database, dict[str, set[str]]], tmp_path: Path
) -> None:
    """Issue 18 item 7: the default k=5 export carried the centre as ``area`` and the
    test only looked at column names. Every value of every column is checked here."""
    db, _ = warehouse
    result = export_pooled(coordinator(db), tmp_path / "o", ExportOptions(sdtm=True))
    subjects = read_frame(tmp_path / "o" / "subjects.parquet")
    report = result.disclosure
    with db.connect(read_only=True) as conn:
        eligible = pooled.eligible_subjects(conn)
        sites = conn.execute("SELECT site_code, name, region FROM sites").df()
    ladders = {ladder.name: ladder for ladder in build_ladders(eligible)}
    for column in subjects.columns:
        if column in ("subject_id", "disease", "status"):
            continue
        assert column in ladders, f"{column} is released but is no quasi-identifier"
        ladder = ladders[column]
        level = ladder.qi.level_names.index(report["generalisation"][column]["level"])
        assert level >= ladder.lowest, column
        released = set(subjects[column].fillna("").astype(str))
        assert released <= set(ladder.labels[level]), column
    one_centre = set(sites.groupby("region")["site_code"].nunique().loc[lambda n: n < 2].index)
    centre_names = set(sites["site_code"]) | set(sites["name"]) | one_centre
    dm = read_frame(tmp_path / "o" / "sdtm" / "dm.parquet")
    for values in (subjects["area"], dm["SITEID"]):
        assert not set(values.astype(str)) & centre_names
    assert report["generalisation"]["area"]["level"] in ("region", "country", "any")
    assert {"age_at_onset_months", "index_date", "smn2_copies"} & set(subjects.columns) == {
        "smn2_copies"
    }


def test_manifest_hashes_match_the_files_and_the_audit_log(
    warehouse: tuple[Database, dict[str, set[str]]], tmp_path: Path
) -> None:
    db, _ = warehouse
    out = tmp_path / "out"
    result = export_pooled(coordinator(db), out, ExportOptions(fmt="csv", sdtm=True, k=2))
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    listed = {f["name"] for f in manifest["files"]}
    assert listed == {p.relative_to(out).as_posix() for p in all_files(out)} - {"manifest.json"}
    for entry in manifest["files"]:
        assert sha256_file(out / entry["name"]) == entry["sha256"]
        if entry["name"].endswith(".csv"):
            assert len(read_frame(out / entry["name"])) == entry["rows"]
    assert manifest["k"] == 2 and manifest["parameters"]["fmt"] == "csv"
    assert manifest["code_version"].startswith("0.")
    assert manifest["created_utc"].endswith("Z")
    digest = hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest()
    assert result.manifest_sha256 == digest
    entry = audit_rows(db)[-1]
    assert entry["action"] == "export" and entry["row_key"] == digest
    assert json.loads(entry["after"])["parameters"]["k"] == 2
    assert verify_export(out) == []
    with (out / "labs.csv").open("r+b") as handle:  # one altered byte is noticed
        handle.seek(40)
        byte = handle.read(1)
        handle.seek(40)
        handle.write(bytes([byte[0] ^ 1]))
    assert verify_export(out) == ["labs.csv"]


def test_data_dictionary_describes_every_column(
    warehouse: tuple[Database, dict[str, set[str]]], tmp_path: Path
) -> None:
    db, _ = warehouse
    export_pooled(coordinator(db), tmp_path / "o", ExportOptions(k=1, sdtm=True))
    dictionary = read_frame(tmp_path / "o" / "data_dictionary.parquet")
    described = set(zip(dictionary["table"], dictionary["column"], strict=True))
    for path in all_files(tmp_path / "o"):
        if path.suffix == ".parquet" and path.stem != "data_dictionary":
            table = path.relative_to(tmp_path / "o").with_suffix("").as_posix()
            for column in read_frame(path).columns:
                assert (table, column) in described
    assert (dictionary["label_en"] != "").all() and (dictionary["label_ru"] != "").all()
    assert (dictionary["label_en"] != dictionary["column"]).all()
    rows = dictionary.set_index(["table", "column"])
    # allowed values and ranges come from the models and reference data
    assert rows.loc[("assessments", "feeding"), "allowed_values"] == "oral; ng_tube; gastrostomy"
    assert "CHOP-INTEND" in rows.loc[("assessments", "scale"), "allowed_values"]
    assert rows.loc[("assessments", "niv_hours_per_day"), "unit"] == "hours"
    assert "CHOP-INTEND points" in rows.loc[("assessments", "score"), "unit"]
    assert rows.loc[("subjects", "age_band"), "label_ru"] == "Возрастная группа на индексную дату"
    assert ">=90 y" in rows.loc[("subjects", "age_band"), "allowed_values"]
    assert rows.loc[("adverse_events", "ctcae_grade"), "range"] == ">= 1, <= 5"
    assert rows.loc[("sdtm/ae", "AESER"), "allowed_values"] == "Y; N"


def test_study_days_replace_dates(
    warehouse: tuple[Database, dict[str, set[str]]], tmp_path: Path
) -> None:
    db, _ = warehouse
    export_pooled(coordinator(db), tmp_path / "o", ExportOptions(k=1, dates="study-day", sdtm=True))
    for path in all_files(tmp_path / "o"):
        if path.suffix == ".parquet":
            frame = read_frame(path)
            assert not [c for c in frame.columns if "date" in c.lower() or c.endswith("DTC")]
    treatments = read_frame(tmp_path / "o" / "treatments.parquet")
    assert treatments.groupby("subject_id")["start_day"].min().eq(0).all()
    ex = read_frame(tmp_path / "o" / "sdtm" / "ex.parquet")
    assert ex.groupby("USUBJID")["EXSTDY"].min().eq(1).all()  # SDTM: day 1, no day 0
    assert not (read_frame(tmp_path / "o" / "sdtm" / "lb.parquet")["LBDY"] == 0).any()


def test_sdtm_domains_use_standard_variables(
    warehouse: tuple[Database, dict[str, set[str]]], tmp_path: Path
) -> None:
    db, _ = warehouse
    export_pooled(coordinator(db), tmp_path / "o", ExportOptions(k=1, sdtm=True))
    sdtm = tmp_path / "o" / "sdtm"
    dm, ae = read_frame(sdtm / "dm.parquet"), read_frame(sdtm / "ae.parquet")
    assert {"STUDYID", "DOMAIN", "USUBJID", "SUBJID", "RFSTDTC", "SITEID", "SEX"} <= set(dm)
    assert set(dm["SEX"]) <= {"F", "M", "U"} and set(dm["DOMAIN"]) == {"DM"}
    assert {"AETERM", "AEDECOD", "AEBODSYS", "AESTDTC", "AETOXGR", "AESER", "AEOUT"} <= set(ae)
    assert set(ae["AESER"]) <= {"Y", "N"}
    qs, lb = read_frame(sdtm / "qs.parquet"), read_frame(sdtm / "lb.parquet")
    assert {"QSTESTCD", "QSORRES", "QSSTRESN", "QSDTC", "QSDY"} <= set(qs)
    assert qs["QSTESTCD"].str.len().max() <= 8 and "SIXMWT" not in set(qs["QSTESTCD"])
    assert set(read_frame(sdtm / "ft.parquet")["FTTESTCD"]) <= {"SIXMWT"}
    assert {"LBTESTCD", "LBORRES", "LBORRESU", "LBNRIND"} <= set(lb)
    assert (ae.groupby("USUBJID")["AESEQ"].min() == 1).all()


def test_identifiers_in_verbatim_terms_are_scrubbed_on_export(
    warehouse: tuple[Database, dict[str, set[str]]], tmp_path: Path
) -> None:
    db, _ = warehouse
    result = export_pooled(
        coordinator(db), tmp_path / "o", ExportOptions(fmt="csv", k=1, sdtm=True)
    )
    assert result.disclosure["free_texts_scrubbed_on_export"] >= 1
    for path in all_files(tmp_path / "o"):
        text = path.read_text("utf-8-sig")
        for identifier in (*IDENTIFIERS, "916 123"):
            assert identifier not in text, path.name
    terms = read_frame(tmp_path / "o" / "adverse_events.csv")["verbatim_term"]
    assert terms.str.contains(r"\[PERSON\]").any()


def test_spreadsheet_exports_neutralise_formulas(
    warehouse: tuple[Database, dict[str, set[str]]], tmp_path: Path
) -> None:
    db, _ = warehouse
    export_pooled(coordinator(db), tmp_path / "c", ExportOptions(fmt="csv", k=1))
    csv = read_frame(tmp_path / "c" / "narratives.csv")["text_scrubbed"]
    assert (csv == "'" + FORMULA).sum() == 1
    assert not csv.str.startswith(FORMULA_STARTS).any()
    export_pooled(coordinator(db), tmp_path / "x", ExportOptions(fmt="xlsx", k=1))
    sheet = load_workbook(tmp_path / "x" / "narratives.xlsx").active
    cells = [c for row in sheet.iter_rows() for c in row if c.value == "'" + FORMULA]
    assert len(cells) == 1 and cells[0].data_type == "s"
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    export_pooled(coordinator(db), tmp_path / "p", ExportOptions(fmt="parquet", k=1))
    parquet = read_frame(tmp_path / "p" / "narratives.parquet")["text_scrubbed"]
    assert (parquet == FORMULA).sum() == 1  # typed format: the value is kept as it is


@given(st.text(max_size=30))
def test_neutralised_text_never_starts_a_formula(text: str) -> None:
    safe = neutralise(text)
    assert not safe.startswith(FORMULA_STARTS)
    assert safe == text or safe == "'" + text


def test_too_much_suppression_is_refused_unless_forced(
    warehouse: tuple[Database, dict[str, set[str]]], tmp_path: Path
) -> None:
    db, _ = warehouse
    options = ExportOptions(k=100_000, max_suppression=0.05)
    with pytest.raises(DisclosureRefused, match="would suppress"):
        export_pooled(coordinator(db), tmp_path / "o", options)
    assert not (tmp_path / "o").exists()
    assert audit_rows(db)[-1]["action"] == "export_refused"
    forced = ExportOptions(k=100_000, max_suppression=0.05, force=True)
    result = export_pooled(coordinator(db), tmp_path / "o", forced)
    assert result.disclosure["forced"] and result.disclosure["subjects_released"] == 0
    assert len(read_frame(tmp_path / "o" / "adverse_events.parquet")) == 0


def test_only_coordinators_export(
    warehouse: tuple[Database, dict[str, set[str]]], tmp_path: Path
) -> None:
    db, _ = warehouse
    for session in (monitor(db), site_user(db, "MSK")):
        with pytest.raises(AccessDenied):
            export_pooled(session, tmp_path / "o", ExportOptions())
    assert audit_rows(db)[-1]["action"] == "access_denied"
    export_pooled(system_session(db, "cli"), tmp_path / "o", ExportOptions(k=1))


def test_export_refuses_a_non_empty_directory(
    warehouse: tuple[Database, dict[str, set[str]]], tmp_path: Path
) -> None:
    db, _ = warehouse
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "keep.txt").write_text("x")
    with pytest.raises(Exception, match="not empty"):
        export_pooled(coordinator(db), tmp_path / "o", ExportOptions(k=1))
    assert [p.name for p in (tmp_path / "o").iterdir()] == ["keep.txt"]


def test_exported_columns_leave_out_site_and_person_details(
    warehouse: tuple[Database, dict[str, set[str]]], tmp_path: Path
) -> None:
    db, _ = warehouse
    export_pooled(coordinator(db), tmp_path / "o", ExportOptions(k=1))
    subjects = read_frame(tmp_path / "o" / "subjects.parquet")
    assert not {"site_code", "birth_year", "age_at_index_months", "created_by"} & set(subjects)
    assert "lot" not in read_frame(tmp_path / "o" / "treatments.parquet").columns
    assert subjects["subject_id"].str.fullmatch(r"S[0-9A-F]{16}").all()
    assert len(TABLES["subjects"].columns) > 0


def test_every_model_column_has_labels_in_both_languages() -> None:
    from schemas import CLINICAL_TABLES
    from warehouse.export.dictionary import label

    for table in CLINICAL_TABLES:
        for column in TABLES[table].columns:
            en, ru = label(table, column)
            assert en != column and ru != column and en != ru, (table, column)


def test_progress_is_reported_through_the_callback(
    warehouse: tuple[Database, dict[str, set[str]]], tmp_path: Path
) -> None:
    db, _ = warehouse
    seen: list[tuple[str, int, int]] = []
    export_pooled(
        coordinator(db), tmp_path / "o", ExportOptions(k=1), progress=lambda *a: seen.append(a)
    )
    stages = [s for s, _, _ in seen]
    assert stages[0] == "read" and "audit" in stages and any(s.startswith("write ") for s in stages)
    assert all(0 <= done <= total for _, done, total in seen)


def test_sdtm_export_of_untreated_subjects_only(tmp_path: Path) -> None:
    """Found by the leak drill: DM mapped first/last dose dates onto subjects and
    crashed when no exported subject had a treatment."""
    db = make_db(tmp_path / "w.duckdb", tmp_path / "keys")
    tables = make_case(db, "MSK", "UNTREATED-1").tables()
    tables.update(treatments=[], ae_causality=[])
    save_case(site_user(db, "MSK"), Case(**tables))
    result = export_pooled(coordinator(db), tmp_path / "out", ExportOptions("csv", k=1, sdtm=True))
    assert (result.out_dir / "sdtm" / "dm.csv").is_file()


def test_two_exports_share_no_id_with_each_other_or_the_warehouse(
    warehouse: tuple[Database, dict[str, set[str]]], tmp_path: Path
) -> None:
    """Each export re-keys every id with a fresh random key that is then discarded."""
    db, _ = warehouse
    stored = set(list_subjects(coordinator(db))["subject_id"])
    released = []
    for name in ("a", "b"):
        export_pooled(coordinator(db), tmp_path / name, ExportOptions(k=1))
        subjects = read_frame(tmp_path / name / "subjects.parquet")["subject_id"]
        aes = read_frame(tmp_path / name / "adverse_events.parquet")["ae_id"]
        released.append(set(subjects) | set(aes))
    assert len(released[0]) > 50
    assert released[0].isdisjoint(released[1])
    assert released[0].isdisjoint(stored) and released[1].isdisjoint(stored)


# --- issue 18: atomic outputs (nothing partial, audit after the rename) ------------------


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".caseguard-" in p.name)


def _export_entries(db: Database) -> list[str]:
    return [r["row_key"] for r in audit_rows(db) if r["action"] == "export"]


def test_a_failed_export_leaves_nothing_and_no_audit_entry(
    warehouse: tuple[Database, dict[str, set[str]]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db, _ = warehouse
    import warehouse.export.release as release

    entries = _export_entries(db)
    real_write = release.write_frame
    written: list[Path] = []

    def disk_full_on_the_third_file(frame: pd.DataFrame, path: Path, fmt: str) -> None:
        if len(written) == 2:
            raise OSError(28, "No space left on device")
        written.append(path)
        real_write(frame, path, fmt)

    monkeypatch.setattr(release, "write_frame", disk_full_on_the_third_file)
    with pytest.raises(OSError, match="No space"):
        export_pooled(coordinator(db), tmp_path / "out", ExportOptions(k=1))
    assert not (tmp_path / "out").exists() and _leftovers(tmp_path) == []
    assert _export_entries(db) == entries


def test_the_audit_entry_commits_only_after_the_rename(
    warehouse: tuple[Database, dict[str, set[str]]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db, _ = warehouse
    import warehouse.export.release as release

    out = tmp_path / "out"
    real_audit = release._audit
    seen: list[bool] = []

    def audit_looking(session: object, action: str, details: object, key: object) -> None:
        seen.append((out / "manifest.json").is_file() and not _leftovers(tmp_path)[:0])
        real_audit(session, action, details, key)  # type: ignore[arg-type]

    monkeypatch.setattr(release, "_audit", audit_looking)
    result = export_pooled(coordinator(db), out, ExportOptions(k=1))
    assert seen == [True]  # the files were in place when the audit entry was written
    assert _leftovers(tmp_path) == []  # and the pending marker went after the commit
    assert _export_entries(db)[-1] == result.manifest_sha256

    def audit_fails(*_: object) -> None:
        raise OSError("database disk full")

    monkeypatch.setattr(release, "_audit", audit_fails)
    with pytest.raises(OSError):
        export_pooled(coordinator(db), tmp_path / "second", ExportOptions(k=1))
    # an export the audit log does not know of is taken back
    assert not (tmp_path / "second").exists() and _leftovers(tmp_path) == []


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_with_one_id_key_two_exports_are_byte_identical(
    warehouse: tuple[Database, dict[str, set[str]]], tmp_path: Path, fixed_salt: bytes, fmt: str
) -> None:
    """Files are written two at a time: each still holds its own table, whole, in the
    same bytes every time (the manifest differs only in its creation time)."""
    db, _ = warehouse
    first = export_pooled(coordinator(db), tmp_path / "a", ExportOptions(fmt=fmt, k=1))
    export_pooled(coordinator(db), tmp_path / "b", ExportOptions(fmt=fmt, k=1))
    names = [p.relative_to(tmp_path / "a") for p in all_files(tmp_path / "a")]
    assert names == [p.relative_to(tmp_path / "b") for p in all_files(tmp_path / "b")]
    for name in names:
        if name.name != "manifest.json":
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    for entry in first.manifest["files"]:
        if entry["name"].endswith(f".{fmt}"):
            assert len(read_frame(tmp_path / "a" / entry["name"])) == entry["rows"]
