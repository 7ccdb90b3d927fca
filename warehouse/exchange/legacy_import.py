"""Bulk import of legacy spreadsheets (CSV or XLSX): pseudonymised, shifted, scrubbed.

Every row is converted the way the capture form converts an entry: the local
patient id becomes the keyed pseudonym (and is then dropped), every date is moved
by the subject's date shift, free text (narratives, AE verbatim terms, switch
reasons) goes through the anonymiser, and the rows are validated table by table and
case by case. If anything is wrong nothing is written: an error report (sheet, row,
column, value, problem in English and Russian) is written next to the input, with
the values of identifying columns left out. ``dry_run`` stops before writing.

The file is read within the input caps (:mod:`warehouse.exchange.limits`). Every
centre the file names is checked against the session's scope before any patient is
pseudonymised or looked up, so a refusal never tells whether a patient exists at
another centre. Rows go through the one write path
(:func:`~warehouse.store.upsert.upsert_cases`, mode ``skip``): a patient already
imported with the same values is left as it is, so an import run again after a crash
completes instead of failing; a stored row with other values is reported, not changed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anonymise import pseudonymise
from anonymise.pseudonym import InvalidLocalId, normalise_local_id
from schemas import CLINICAL_TABLES, TABLES, Case, Problem, checked_table, load_reference
from schemas.case import case_rule_problems
from schemas.common import MAX_TEXT
from schemas.errors import CaseguardError, KeyFileError, ValidationFailed
from schemas.formats import date_text
from schemas.problems import short_value
from warehouse.exchange.legacy_sheets import (
    HIDDEN_VALUES,
    LINKAGE_COLUMNS,
    SHEETS,
    SheetRow,
    read_rows,
    write_report,
)
from warehouse.exchange.limits import InputLimits
from warehouse.export.dictionary import marker_names
from warehouse.linkage.storage import token_row, write_token_rows
from warehouse.linkage.tokens import Identifiers
from warehouse.review.soft_checks import checks_after_save
from warehouse.store.access import WRITE_CLINICAL, Session, require
from warehouse.store.frames import records
from warehouse.store.progress import Progress, no_progress
from warehouse.store.upsert import UpsertSummary, upsert_cases

ID_PREFIX = {"treatments": "TR", "assessments": "AS", "labs": "LB", "adverse_events": "AE"}
ID_PREFIX["narratives"] = "NR"
TRUE = {"true", "yes", "y", "1", "да", "д", "истина"}
FALSE = {"false", "no", "n", "0", "нет", "н", "ложь"}
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")


class LegacyImportFailed(CaseguardError):
    """The file has problems; nothing was imported; ``report`` names the error report."""

    title = "Import failed"

    def __init__(self, count: int, report: Path) -> None:
        self.count, self.report = count, report
        super().__init__(f"{count} problem(s) found, nothing was imported; see {report}")


@dataclass
class LegacyImportResult:
    """What an import found and (unless a dry run) wrote."""

    subjects: int
    rows: dict[str, int] = field(default_factory=dict)
    texts_scrubbed: int = 0
    dry_run: bool = False
    already_present: int = 0  # subjects stored before with the same values (left alone)


@dataclass
class _Work:
    """Rows on their way to tables, each remembering where it came from."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    origin: dict[str, list[tuple[str, int, str]]] = field(default_factory=lambda: defaultdict(list))
    problems: list[dict[str, Any]] = field(default_factory=list)
    shifts: dict[str, int] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # The importing site's date: real dates after it are refused before they are shifted.
    today: dt.date = field(default_factory=dt.date.today)
    # Linkage token rows made from the optional identifier columns (never the values).
    tokens: list[dict[str, Any]] = field(default_factory=list)

    def problem(self, sheet: str, row: int, column: str, value: Any, en: str, ru: str) -> None:
        shown = "" if column in HIDDEN_VALUES or column.endswith("date") else short_value(value)
        self.problems.append(
            {"sheet": sheet, "row": row, "column": column, "value": shown, "problem_en": en}
            | {"problem_ru": ru}
        )

    def add(self, table: str, origin: SheetRow, record: dict[str, Any], column: str = "") -> None:
        self.rows[table].append(record)
        self.origin[table].append((origin.sheet, origin.row, column))


def parse_date(value: Any) -> dt.date | None:
    """A date from a cell: a spreadsheet date, ISO text or day-first text (ru/en)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    match = _NUMERIC_DATE.match(text)
    if match:
        return dt.date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    if re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return dt.date.fromisoformat(text[:10])
    if not re.search(r"[^\W\d_]", text):
        raise ValueError("not a date")
    import dateparser

    parsed = dateparser.parse(
        text,
        languages=["ru", "en"],
        settings={"DATE_ORDER": "DMY", "STRICT_PARSING": True, "PREFER_DAY_OF_MONTH": "first"},
    )
    if parsed is None:
        raise ValueError("not a date")
    return parsed.date()


def _bool(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().casefold()
    return True if text in TRUE else False if text in FALSE else value


def _number(value: Any, whole: bool) -> Any:
    if isinstance(value, str):
        value = value.replace(",", ".").replace(" ", "")
    if whole:
        with contextlib.suppress(TypeError, ValueError):
            number = float(value)
            return int(number) if number.is_integer() else value
    return value


def _convert_cells(work: _Work, table: str, origin: SheetRow, shift: int) -> dict[str, Any]:
    schema = TABLES[table].model.to_schema()
    record: dict[str, Any] = {}
    for column, spec in schema.columns.items():
        value = origin.cells.get(column)
        kind = str(spec.dtype)
        if "datetime" in kind and column != "created_at":
            try:
                day = parse_date(value)
            except ValueError:
                work.problem(
                    origin.sheet,
                    origin.row,
                    column,
                    value,
                    "is not a date (use DD.MM.YYYY or YYYY-MM-DD)",
                    "не является датой (используйте ДД.ММ.ГГГГ или ГГГГ-ММ-ДД)",
                )
                day = None
            if day is not None and day > work.today:
                shown = {lang: date_text(work.today, lang) for lang in ("en", "ru")}
                work.problem(
                    origin.sheet,
                    origin.row,
                    column,
                    value,
                    f"is after today ({shown['en']}): only what has happened can be recorded",
                    f"позже сегодняшней даты ({shown['ru']}): записать можно только прошедшее",
                )
                day = None
            value = None if day is None else day + dt.timedelta(days=shift)
        elif kind == "bool":
            value = _bool(value)
        elif kind in ("float64", "int64"):
            value = _number(value, kind == "int64")
        elif value is not None and not isinstance(value, str):
            value = str(value) if not isinstance(value, float) else f"{value:g}"
        record[column] = value
    return record


def _sites_by_patient(rows: list[SheetRow]) -> dict[str, str]:
    """The site of each local id given a site_code on the subjects sheet (in memory only)."""
    found = {}
    for origin in rows:
        local, site = origin.cells.get("local_id"), origin.cells.get("site_code")
        if origin.sheet == "subjects" and local is not None and site:
            with contextlib.suppress(InvalidLocalId):
                found[normalise_local_id(str(_local(local)))] = str(site)
    return found


def _local(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _subject_of(
    origin: SheetRow, site: str | None, sites: dict[str, str], keys: Any
) -> tuple[str, int]:
    local = _local(origin.cells.get("local_id"))
    site_code = origin.cells.get("site_code") or site
    if not site_code and isinstance(local, str | int):
        site_code = sites.get(normalise_local_id(str(local)))
    if not site_code:
        raise CaseguardError("name the site: --site CODE or a site_code column")
    try:
        pseudo = pseudonymise(keys.site_key(str(site_code)), str(site_code), local)
    except KeyFileError:
        raise CaseguardError(f"no key for site {site_code}: run caseguard site init") from None
    return pseudo.subject_id, pseudo.date_shift_days


def _convert(work: _Work, rows: list[SheetRow], site: str | None, session: Session) -> None:
    subjects: dict[str, str] = {}
    sites = _sites_by_patient(rows)
    for origin in rows:
        if origin.sheet not in TABLES:
            work.problem(
                origin.sheet,
                origin.row,
                "record_type",
                origin.sheet,
                "unknown record type",
                "неизвестный тип записи",
            )
            continue
        try:
            sid, shift = _subject_of(origin, site, sites, session.db.keys)
        except InvalidLocalId:
            work.problem(
                origin.sheet,
                origin.row,
                "local_id",
                None,
                "local patient id is missing",
                "не указан местный номер пациента",
            )
            continue
        work.shifts[sid] = shift
        record = _convert_cells(work, origin.sheet, origin, shift)
        record["subject_id"] = sid
        _complete(work, origin, record, sid, session)
        if origin.sheet == "subjects":
            subjects[sid] = origin.sheet
            _link_tokens(work, origin, record, session)
    for table in CLINICAL_TABLES:
        for i, record in enumerate(work.rows[table]):
            if table not in ("subjects", "ae_causality") and record["subject_id"] not in subjects:
                sheet, row, _ = work.origin[table][i]
                work.problem(
                    sheet,
                    row,
                    "local_id",
                    None,
                    "this patient has no row in the subjects sheet",
                    "у этого пациента нет строки на листе subjects",
                )


_SEX_CODES = {"female": "F", "male": "M"}


def _link_tokens(work: _Work, origin: SheetRow, record: dict[str, Any], session: Session) -> None:
    """Linkage tokens from the optional identifier columns of a subjects row; the
    identifiers themselves stay in this call. Needs the linkage key, held at sites."""
    given = {c: origin.cells.get(c) for c in LINKAGE_COLUMNS if origin.cells.get(c) is not None}
    if not given:
        return
    try:
        born = parse_date(given.get("birth_date"))
    except ValueError:
        work.problem(
            origin.sheet,
            origin.row,
            "birth_date",
            None,
            "is not a date (use DD.MM.YYYY or YYYY-MM-DD)",
            "не является датой (используйте ДД.ММ.ГГГГ или ГГГГ-ММ-ДД)",
        )
        return
    ids = Identifiers(
        surname=str(given.get("surname") or ""),
        given_name=str(given.get("given_name") or ""),
        patronymic=str(given.get("patronymic") or ""),
        birth_date=born,
        sex=_SEX_CODES.get(str(record.get("sex")), ""),
        snils=str(_local(given.get("snils")) or ""),
        birth_region=str(given.get("birth_region") or ""),
    )
    try:
        key = session.db.keys.linkage_key()
    except KeyFileError:
        work.problem(
            origin.sheet,
            origin.row,
            next(iter(given)),
            None,
            "identifier columns need the study's linkage key, held at the sites "
            "(import at the site, or leave these columns empty)",
            "столбцы с идентификаторами требуют ключа связывания исследования, который "
            "хранится в центрах (импортируйте в центре или оставьте столбцы пустыми)",
        )
        return
    try:
        work.tokens.append(token_row(key, record["subject_id"], str(record["site_code"]), ids))
    except ValidationFailed as failed:
        for problem in failed.problems:
            work.problem(
                origin.sheet,
                origin.row,
                problem.field,
                None,
                problem.message_en,
                problem.message_ru,
            )


def _complete(
    work: _Work, origin: SheetRow, record: dict[str, Any], sid: str, session: Session
) -> None:
    table, code = origin.sheet, sid.split("-", 1)[1]
    if table in ID_PREFIX:
        work.counters[sid + table] += 1
        key = TABLES[table].key[0]
        record[key] = f"{ID_PREFIX[table]}-{code}-L{work.counters[sid + table]:03d}"
    if table == "subjects":
        markers = {
            m: str(origin.cells[m]) for m in marker_names() if origin.cells.get(m) is not None
        }
        record.update(genetics=json.dumps(markers, sort_keys=True) if markers else None)
        record.update(created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0))
        record.update(
            created_by=session.username,
            site_code=origin.cells.get("site_code") or sid.split("-")[0],
        )
    if table == "adverse_events":
        _ae_extras(work, origin, record)
    if table == "narratives":
        record.update(text_scrubbed=origin.cells.get("text"), redaction_counts="{}")
        record.update(created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0))
    work.add(table, origin, record)


def _ae_extras(work: _Work, origin: SheetRow, record: dict[str, Any]) -> None:
    terms = load_reference().ae_terms
    if record.get("body_system") is None and record.get("coded_term") in terms.index:
        record["body_system"] = terms.loc[record["coded_term"], "body_system_en"]
    seriousness = origin.cells.get("seriousness")
    record["seriousness"] = (
        [s.strip() for s in str(seriousness).split(";") if s.strip()] if seriousness else []
    )
    products = [
        p.strip() for p in str(origin.cells.get("suspect_products") or "").split(";") if p.strip()
    ]
    causes = [c.strip() for c in str(origin.cells.get("causality") or "").split(";") if c.strip()]
    if len(causes) == 1:
        causes = causes * len(products)
    if len(causes) != len(products):
        work.problem(
            origin.sheet,
            origin.row,
            "causality",
            origin.cells.get("causality"),
            "give one causality, or one per suspect product",
            "укажите одну оценку связи или по одной на каждый подозреваемый препарат",
        )
        return
    for product, cause in zip(products, causes, strict=True):
        row = {"ae_id": record["ae_id"], "product_id": product, "causality": cause}
        work.rows["ae_causality"].append(row)
        work.origin["ae_causality"].append((origin.sheet, origin.row, "suspect_products"))


def _language(record: dict[str, Any]) -> str | None:
    """The narrative's language if the scrubber knows it; else detected (and the row's
    language value is reported by validation)."""
    language = record.get("language")
    return language if language in ("ru", "en") else None


def _scrub(work: _Work) -> int:
    """Scrub every free text once per (text, language, shift); return how many."""
    from anonymise import scrub_texts

    wanted: dict[tuple[str, str | None, int | None], Any] = {}

    def narrative_key(record: dict[str, Any]) -> tuple[str, str | None, int | None]:
        shift = work.shifts[record["subject_id"]]
        return str(record["text_scrubbed"]), _language(record), shift

    for record in work.rows["narratives"]:
        if _scannable(record.get("text_scrubbed")):
            wanted[narrative_key(record)] = None
    for table, column in (("adverse_events", "verbatim_term"), ("treatments", "switch_reason")):
        for record in work.rows[table]:
            if _scannable(record.get(column)):
                wanted[(str(record[column]), None, None)] = None
    keys = list(wanted)
    results = scrub_texts([k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys])
    found = dict(zip(keys, results, strict=True))
    for record in work.rows["narratives"]:
        if _scannable(record.get("text_scrubbed")):
            key = narrative_key(record)
            record["text_scrubbed"] = found[key].text
            record["redaction_counts"] = json.dumps(found[key].counts(), sort_keys=True)
            record["language"] = record.get("language") or found[key].language
    for table, column in (("adverse_events", "verbatim_term"), ("treatments", "switch_reason")):
        for record in work.rows[table]:
            if _scannable(record.get(column)):
                record[column] = found[(str(record[column]), None, None)].text
    return len(keys)


def _scannable(value: Any) -> bool:
    """A free text to scrub: not empty and not longer than any text column may hold.

    A longer text is left for validation to report (its value is never shown) so a
    huge cell is named by sheet, row and column instead of stalling the scanner.
    """
    return bool(value) and len(str(value)) <= MAX_TEXT


def _report_problem(work: _Work, table: str, problem: Problem) -> None:
    origins = work.origin[table]
    if problem.row is None or problem.row >= len(origins):
        sheet, row, column = table, 0, ""
    else:
        sheet, row, column = origins[problem.row]
    field_name = {
        "subject_id": "local_id",
        "text_scrubbed": "text",
        "genetics": "/".join(marker_names()),
    }
    column = column or field_name.get(problem.field, problem.field)
    if table == "ae_causality":
        column = "suspect_products" if problem.field == "product_id" else "causality"
    work.problem(sheet, row, column, problem.value, problem.message_en, problem.message_ru)


def _validate(work: _Work) -> tuple[list[Case], dict[str, list[int]]]:
    for table in CLINICAL_TABLES:
        frame, problems = checked_table(table, work.rows[table])
        for problem in problems:
            _report_problem(work, table, problem)
        if not problems and not frame.empty:
            work.rows[table] = records(frame)  # typed values for the case rules
    if work.problems:
        return [], {}  # the case rules need valid, typed rows
    owner = {r["ae_id"]: r["subject_id"] for r in work.rows["adverse_events"]}
    per_subject: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for table in CLINICAL_TABLES:
        for i, record in enumerate(work.rows[table]):
            sid = (
                owner.get(record.get("ae_id")) if table == "ae_causality" else record["subject_id"]
            )
            per_subject[str(sid)][table].append(i)
    cases = []
    flat: dict[str, list[int]] = defaultdict(list)  # row of the write path -> row of work
    for positions in per_subject.values():
        if len(positions.get("subjects", [])) != 1:
            for i in positions.get("subjects", [])[1:]:
                sheet, row, _ = work.origin["subjects"][i]
                work.problem(
                    sheet,
                    row,
                    "local_id",
                    None,
                    "patient appears twice in the subjects sheet",
                    "пациент дважды указан на листе subjects",
                )
            continue
        case = Case(**{t: [work.rows[t][i] for i in positions.get(t, [])] for t in CLINICAL_TABLES})
        for problem in case_rule_problems(case):
            places = positions.get(problem.table, [])
            at = problem.row
            index = places[at] if at is not None and at < len(places) else None
            _report_problem(work, problem.table, dataclasses.replace(problem, row=index))
        cases.append(case)
        for table in CLINICAL_TABLES:
            flat[table] += positions.get(table, [])
    return cases, flat


def _sites_named(rows: list[SheetRow], site: str | None) -> set[str]:
    """Every centre the file (or ``--site``) names."""
    named = {str(r.cells["site_code"]) for r in rows if r.cells.get("site_code")}
    return named | ({site} if site else set())


class _DryRun(Exception):
    """Raised inside the write transaction of a dry run, to roll it back."""


def _write(
    session: Session, cases: list[Case], work: _Work, flat: dict[str, list[int]], dry_run: bool
) -> UpsertSummary:
    """Write through the one path (or roll back a dry run); problems go to the report."""
    done: list[UpsertSummary] = []

    def finish(conn: Any, events: Any, summary: UpsertSummary) -> None:
        done.append(summary)
        write_token_rows(conn, work.tokens, events)  # same transaction as the rows
        if dry_run:
            raise _DryRun

    try:
        upsert_cases(session, cases, mode="skip", reason="legacy import", finish=finish)
    except _DryRun:
        pass
    except ValidationFailed as failed:
        for problem in failed.problems:
            rows = flat.get(problem.table, [])
            at = problem.row
            index = rows[at] if at is not None and at < len(rows) else None
            _report_problem(work, problem.table, dataclasses.replace(problem, row=index))
        return UpsertSummary([])
    if not dry_run and done:
        checks_after_save(session.db, done[0].subject_ids, now=True)
    return done[0]


def import_legacy(
    session: Session,
    path: Path,
    site: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    limits: InputLimits | None = None,
) -> LegacyImportResult:
    """Import a legacy CSV/XLSX file, all or nothing; on problems write the error report."""
    require(session, WRITE_CLINICAL, site, "import a spreadsheet")
    report = progress or no_progress
    path = Path(path)
    rows = read_rows(path, limits)
    if not rows:
        raise CaseguardError(
            f"{path.name} holds no rows to import (expected sheets or record types: "
            f"{', '.join(SHEETS)}); nothing was imported"
        )
    for named in sorted(_sites_named(rows, site)):  # scope first: nothing looked up yet
        require(session, WRITE_CLINICAL, named, "import a spreadsheet")
    report("read", 1, 5)
    work = _Work()
    try:
        _convert(work, rows, site, session)
        report("pseudonymise", 2, 5)
        scrubbed = _scrub(work)
        report("scrub", 3, 5)
        cases, flat = _validate(work)
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:
        # never let a message that may quote a cell (an identifier) escape
        raise CaseguardError(
            f"{path.name} could not be converted ({exc.__class__.__name__}); nothing was imported"
        ) from None
    report("validate", 4, 5)
    summary = UpsertSummary([])
    if not work.problems:
        summary = _write(session, cases, work, flat, dry_run)
    if work.problems:
        work.problems.sort(key=lambda p: (p["sheet"], p["row"], p["column"]))
        raise LegacyImportFailed(len(work.problems), write_report(path, work.problems))
    counts = {t: summary.inserted.get(t, 0) for t in CLINICAL_TABLES}
    present = summary.unchanged.get("subjects", 0)
    report("write", 5, 5)
    return LegacyImportResult(len(cases) - present, counts, scrubbed, dry_run, present)
