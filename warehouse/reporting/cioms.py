"""The CIOMS I form as a PDF (fpdf2), in English and Russian, with a Cyrillic font embedded.

The layout follows CIOMS I: I. reaction information (boxes 1-13), II. suspect drug
information (14-21), III. concomitant drugs and history (22-23), IV. manufacturer /
sender information (24-25). Patient initials are printed as ``PRIVACY``; the date of
birth is never printed; onset and therapy dates are intervals unless the reporting site
restored real dates. The font is DejaVu Sans (Debian's ``fonts-dejavu-core``, installed
by ``make``) or the TTF file named by ``$CASEGUARD_PDF_FONT``.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from schemas import load_reference
from schemas.errors import CaseguardError
from warehouse.reporting.e2b import narrative_text
from warehouse.reporting.report_data import DrugUse, ReportData
from warehouse.reporting.rules import sender

FONT_ENV = "CASEGUARD_PDF_FONT"
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/TTF"))
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
PRIVACY = "PRIVACY"
WIDTH = 190
LINE = 4.6


def font_files() -> tuple[Path, Path]:
    """(regular, bold) TTF files with Cyrillic glyphs; a clear error when none is found."""
    chosen = os.environ.get(FONT_ENV)
    if chosen:
        path = Path(chosen)
        if not path.is_file():
            raise CaseguardError(f"${FONT_ENV} names {chosen}, which is not a file")
        bold = path.with_name(path.stem + "-Bold" + path.suffix)
        return path, bold if bold.is_file() else path
    for folder in FONT_DIRS:
        regular, bold = (folder / name for name in FONT_FILES)
        if regular.is_file():
            return regular, bold if bold.is_file() else regular
    raise CaseguardError(
        "no Cyrillic font for the CIOMS form: install Debian's fonts-dejavu-core "
        f"(make install does) or set ${FONT_ENV} to a TTF file"
    )


def _label(vocabulary: str, code: str | None) -> str:
    ref = load_reference()
    if code is None:
        return "-"
    return f"{ref.label(vocabulary, code, 'en')} / {ref.label(vocabulary, code, 'ru')}"


class _Form(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        regular, bold = font_files()
        self.add_font("CaseFont", "", str(regular))
        self.add_font("CaseFont", "B", str(bold))
        self.set_auto_page_break(True, margin=12)
        self.set_margins(10, 10, 10)
        self.add_page()

    def section(self, title: str) -> None:
        self.ln(1.5)
        self.set_font("CaseFont", "B", 9.5)
        self.set_fill_color(225, 225, 225)
        self.cell(WIDTH, 6, title, border=1, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def box(self, label: str, value: str, width: float = WIDTH, last: bool = True) -> None:
        """A numbered CIOMS box: small label above its value, bordered."""
        x, y = self.get_x(), self.get_y()
        self.set_font("CaseFont", "", 6.8)
        self.multi_cell(width, 3.4, label, border="LTR", new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_font("CaseFont", "", 8.8)
        self.multi_cell(
            width, LINE, value or "-", border="LBR", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        if not last:
            self.set_xy(x + width, y)

    def row(self, boxes: list[tuple[str, str]]) -> None:
        """Boxes side by side, equal widths, the row as tall as its tallest box."""
        width = WIDTH / len(boxes)
        top, bottom = self.get_y(), self.get_y()
        for i, (label, value) in enumerate(boxes):
            self.set_xy(10 + i * width, top)
            self.box(label, value, width)
            bottom = max(bottom, self.get_y())
        self.set_xy(10, bottom)


def _onset(data: ReportData) -> str:
    real = data.real(data.ae.get("onset_date"))
    if real:
        return real.strftime("%d.%m.%Y")
    parts = [
        f"day {d.onset_after_first_dose_days} after the first dose of {d.name} / "
        f"день {d.onset_after_first_dose_days} после первой дозы"
        for d in data.drugs
        if d.role == "suspect"
    ]
    return "; ".join(parts) or "-"


def _age(data: ReportData) -> str:
    months = data.age_at_onset_months
    if months is None:
        return "-"
    years = int(months // 12)
    return f"{months:g} months / мес. ({years} y / г.)"


def _reaction_text(data: ReportData) -> str:
    term = data.ae["coded_term"]
    terms = load_reference().ae_terms
    lines = []
    if data.coding:
        c, ru = data.coding, data.coding_ru or data.coding
        lines.append(f"MedDRA {c.version} LLT {c.llt_code}: {c.llt_name} / {ru.llt_name}")
        lines.append(
            f"PT {c.pt_code}: {c.pt_name} / {ru.pt_name}; SOC: {c.soc_name} / {ru.soc_name}"
        )
    elif term in terms.index:
        lines.append(f"{terms.loc[term, 'term_en']} / {terms.loc[term, 'term_ru']}")
    lines.append(f"Reported as / Со слов: {data.ae.get('verbatim_term')}")
    lines.append(
        f"CTCAE grade / степень: {data.ae.get('ctcae_grade')}; outcome / исход: "
        f"{_label('outcomes', str(data.ae.get('outcome')))}"
        + (f"; duration / длительность: {data.event_days} d / дн." if data.event_days else "")
    )
    lines.append("")
    lines.append(narrative_text(data))
    return "\n".join(lines)


def _criteria(data: ReportData) -> str:
    chosen = set(data.ae.get("seriousness") or [])
    marks = []
    for code in load_reference().codes("seriousness_criteria"):
        marks.append(("[X] " if code in chosen else "[  ] ") + _label("seriousness_criteria", code))
    return "\n".join(marks)


def _therapy(drug: DrugUse, data: ReportData) -> str:
    first, last = data.real(drug.first_dose), data.real(drug.last_dose)
    if first and last:
        return f"{first:%d.%m.%Y} - {last:%d.%m.%Y}" + (
            " (ongoing / продолжается)" if drug.ongoing else ""
        )
    return (
        f"{drug.doses_given} dose(s) / доз before onset; "
        "dates withheld (pseudonymised) / даты скрыты"
        + ("; ongoing / продолжается" if drug.ongoing else "")
    )


def _dechallenge(data: ReportData) -> str:
    if data.ae.get("action_taken") != "drug_withdrawn":
        return "N/A (not stopped) / Не применимо (не отменялся)"
    recovered = data.ae.get("outcome") in ("recovered", "recovering", "recovered_with_sequelae")
    return "Yes / Да" if recovered else "No / Нет"


def _drug_boxes(pdf: _Form, data: ReportData) -> None:
    ref = load_reference()
    disease = ref.diseases.get(str(data.subject.get("disease")))
    indication = (
        f"{disease.name_en} / {disease.name_ru}" if disease else str(data.subject.get("disease"))
    )
    suspects = [d for d in data.drugs if d.role == "suspect"]
    for n, drug in enumerate(suspects, start=1):
        product = ref.product(drug.product_id)
        regimen = str(product.get("regimen_en") or "")
        pdf.box(
            f"14. SUSPECT DRUG {n} (include generic name) / ПОДОЗРЕВАЕМЫЙ ПРЕПАРАТ (с МНН)",
            f"{drug.name} ({drug.inn}); "
            f"{product.get('brand_ru') or ''} ({product.get('inn_ru') or ''}); "
            f"causality (WHO-UMC) / связь: {_label('causality', drug.causality)}; "
            f"expected / ожидаемая: {'yes / да' if drug.expected else 'no / нет'}",
        )
        pdf.row(
            [
                (
                    "15. DAILY DOSE(S) / СУТОЧНАЯ ДОЗА",
                    f"{drug.dose:g} {drug.dose_unit} {regimen}".strip(),
                ),
                ("16. ROUTE(S) / ПУТЬ ВВЕДЕНИЯ", _label("routes", drug.route)),
            ]
        )
        pdf.row(
            [
                ("17. INDICATION(S) FOR USE / ПОКАЗАНИЕ", indication),
                ("18. THERAPY DATES (from/to) / ДАТЫ ТЕРАПИИ", _therapy(drug, data)),
                ("19. THERAPY DURATION / ДЛИТЕЛЬНОСТЬ", f"{drug.therapy_days} d / дн."),
            ]
        )
        pdf.row(
            [
                (
                    "20. DID REACTION ABATE AFTER STOPPING DRUG? / ПРОШЛА ЛИ РЕАКЦИЯ ПОСЛЕ ОТМЕНЫ?",
                    _dechallenge(data),
                ),
                (
                    "21. DID REACTION REAPPEAR AFTER REINTRODUCTION? / ВОЗОБНОВИЛАСЬ ЛИ?",
                    "N/A / Не применимо",
                ),
            ]
        )


def _history(data: ReportData) -> str:
    ref = load_reference()
    disease = ref.diseases.get(str(data.subject.get("disease")))
    subtype = str(data.subject.get("disease_subtype"))
    text = f"{disease.name_en if disease else data.subject.get('disease')}, type / тип {subtype}"
    onset = data.subject.get("age_at_onset_months")
    if onset is not None:
        text += f"; onset at / начало в {float(onset):g} months / мес."
    return text


def build_cioms(data: ReportData, now: dt.datetime | None = None) -> bytes:
    """The CIOMS I PDF for one serious event (report version ``data.version``)."""
    now = now or dt.datetime.now(dt.UTC)
    info = sender()
    pdf = _Form()
    pdf.set_title(f"CIOMS I {data.case_id} v{data.version}")
    pdf.set_font("CaseFont", "B", 13)
    pdf.cell(WIDTH, 7, "CIOMS FORM / ФОРМА CIOMS I", new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="C")
    pdf.set_font("CaseFont", "", 8)
    pdf.cell(
        WIDTH,
        5,
        "SUSPECT ADVERSE REACTION REPORT / СООБЩЕНИЕ О ПОДОЗРЕВАЕМОЙ НЕЖЕЛАТЕЛЬНОЙ РЕАКЦИИ",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
        align="C",
    )
    pdf.section("I. REACTION INFORMATION / ИНФОРМАЦИЯ О РЕАКЦИИ")
    sex = str(data.subject.get("sex"))
    pdf.row(
        [
            ("1. PATIENT INITIALS / ИНИЦИАЛЫ", PRIVACY),
            ("1a. COUNTRY / СТРАНА", data.country),
            ("2. DATE OF BIRTH / ДАТА РОЖДЕНИЯ", PRIVACY),
            ("2a. AGE / ВОЗРАСТ", _age(data)),
            ("3. SEX / ПОЛ", _label("sexes", sex)),
            ("4-6. REACTION ONSET / НАЧАЛО", _onset(data)),
        ]
    )
    pdf.box(
        "7+13. DESCRIBE REACTION(S) incl. relevant tests / ОПИСАНИЕ РЕАКЦИИ", _reaction_text(data)
    )
    pdf.box(
        "8-12. CHECK ALL APPROPRIATE TO ADVERSE REACTION / КРИТЕРИИ СЕРЬЁЗНОСТИ", _criteria(data)
    )
    pdf.section("II. SUSPECT DRUG(S) INFORMATION / ПОДОЗРЕВАЕМЫЕ ПРЕПАРАТЫ")
    _drug_boxes(pdf, data)
    pdf.section("III. CONCOMITANT DRUG(S) AND HISTORY / СОПУТСТВУЮЩАЯ ТЕРАПИЯ И АНАМНЕЗ")
    others = [d for d in data.drugs if d.role == "concomitant"]
    pdf.box(
        "22. CONCOMITANT DRUG(S) AND DATES OF ADMINISTRATION / СОПУТСТВУЮЩИЕ ПРЕПАРАТЫ",
        "\n".join(
            f"{d.name} ({d.inn}), {d.dose:g} {d.dose_unit}, {_therapy(d, data)}" for d in others
        )
        or "None / Нет",
    )
    pdf.box("23. OTHER RELEVANT HISTORY / ДРУГОЙ ЗНАЧИМЫЙ АНАМНЕЗ", _history(data))
    pdf.section("IV. MANUFACTURER / SENDER INFORMATION / ИНФОРМАЦИЯ ОБ ОТПРАВИТЕЛЕ")
    pdf.row(
        [
            (
                "24a. NAME AND ADDRESS OF SENDER / ОТПРАВИТЕЛЬ",
                f"{info.get('organisation', '')}, {info.get('country', '')}",
            ),
            ("24b. CONTROL NO. / НОМЕР", f"{data.case_id} v{data.version}"),
        ]
    )
    received = data.day0.strftime("%d.%m.%Y") if data.day0 else "not entered / не указана"
    pdf.row(
        [
            ("24c. DATE RECEIVED (day 0) / ДАТА ПОЛУЧЕНИЯ", received),
            (
                "24d. REPORT SOURCE / ИСТОЧНИК",
                f"Study / Исследование: {info.get('study_name', '')}",
            ),
            ("DATE OF THIS REPORT / ДАТА СООБЩЕНИЯ", now.strftime("%d.%m.%Y")),
            (
                "25a. REPORT TYPE / ТИП",
                "Initial / Первичное"
                if data.version == 1
                else f"Follow-up {data.version - 1} / Последующее",
            ),
        ]
    )
    return bytes(pdf.output())
