"""The documents the office publishes: the annual action plan, the round and annual reports (DOCX + PDF).

Seed part 4, 2.3 steps 6-8 (the action plan document, handed to every school and published) and
4.2 steps 7-9 (the annual report, to the directors and the public). Each is a Word document
written with python-docx, in the layout Thai area offices use: A4, TH Sarabun New 16 pt (on a
machine without it, fontconfig renders Debian's metric twin Laksaman, from fonts-tlwg-laksaman),
Thai numerals in headings and running text, amounts as ``1,234,567.00`` in real Word tables with
subtotal and total rows, each total also in words (บาทถ้วน). Charts are matplotlib images drawn with a
Thai font. The PDF is printed from the DOCX by LibreOffice headless, as a reader would print it.

Every figure comes from the register (:mod:`sync.registers.plan`) or from the round's master data
(:class:`sync.master.data.MasterData`), never typed: the tables add up to the register by construction.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from rules import EsaplanError
from rules.budget_sources import plan_source
from rules.forms import form_sets
from rules.kpi import Status, plan_period, strategies
from rules.money import format_number
from rules.plan import QUARTER_MONTHS_TH, ROUND_QUARTERS, Register
from rules.money import baht_text
from rules.thai import thai_digits
from rules.transfers import category_th

from sync.files.atomic import write_atomically
from sync.ledger.store import open_ledger
from sync.master.data import MasterData
from sync.registers.plan import load_register, read_envelope
from sync.office.registry import load_registry
from sync.office.settings import Settings
from sync.ledger.status import STATUS_TH
from sync.master.summary import budget_lines, by_strategy, unusual_flag

FONT = "TH Sarabun New"
CHART_FONTS = ("TH Sarabun New", "Laksaman", "Garuda", "Loma", "Noto Sans Thai")
ROUND_TITLE_TH = {6: "รอบ ๖ เดือน", 9: "รอบ ๙ เดือน", 12: "รอบ ๑๒ เดือน"}
PROGRESS_STATUSES = ("ยังไม่เริ่ม", "กำลังดำเนินการ", "เสร็จสิ้น", "ยกเลิก")


class NothingToReport(EsaplanError):
    """The year or round has no data a document could be made from (an empty document would mislead)."""


@dataclass(frozen=True)
class Written:
    """One document: the Word file and its PDF (None when LibreOffice is not installed)."""

    docx: Path
    pdf: Path | None


def documents_dir(settings: Settings, fiscal_year: int) -> Path:
    return settings.home / "documents" / f"FY{fiscal_year}"


def document_names(fiscal_year: int, round_: int) -> dict[str, str]:
    """The file stem of each document of a year and round, as the web page lists them."""
    return {
        "plan": f"แผนปฏิบัติการ-FY{fiscal_year}",
        "progress": f"รายงานผลการดำเนินงาน-FY{fiscal_year}-R{round_}",
        "annual": f"รายงานผลการดำเนินงานประจำปี-FY{fiscal_year}",
        "emenscr": f"eMENSCR-FY{fiscal_year}-R{round_}",
    }


# --- the document's look ------------------------------------------------------------------


def new_document(landscape: bool = False) -> Any:
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    section.left_margin, section.right_margin, section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.0), Cm(2.5), Cm(2.0)
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Table Grid"):
        style = document.styles[name]
        style.font.name = FONT
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:cs"), FONT)  # Thai is complex script
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    for name, size, bold in (("Normal", 16, False), ("Title", 22, True), ("Heading 1", 20, True), ("Heading 2", 18, True)):
        style = document.styles[name]
        style.font.size = Pt(size)
        if bold:
            style.font.bold, style.font.color.rgb = True, RGBColor(0, 0, 0)
        _complex_script_size(style, size)
    return document


def _complex_script_size(style: Any, points: int) -> None:
    """Word sizes Thai (a complex script) by ``w:szCs``, which python-docx's ``font.size`` leaves unset."""
    properties = style.element.get_or_add_rPr()
    size = properties.find(qn("w:szCs"))
    if size is None:
        size = properties.makeelement(qn("w:szCs"), {})
        properties.append(size)
    size.set(qn("w:val"), str(points * 2))


def centre(document: Any, text: str, style: str = "Normal", *, bold: bool = False) -> None:
    paragraph = document.add_paragraph(style=style)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold = bold


def word_table(document: Any, header: Sequence[str], rows: Sequence[Sequence[Any]], *, widths: Sequence[float], totals: Sequence[int] = (), numeric: Sequence[int] = ()) -> Any:
    """A real Word table: a bold repeated header, numbers right-aligned, ``totals`` rows (by index) bold."""
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    head = table.rows[0]._tr.get_or_add_trPr()
    head.append(head.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"}))
    for index, values in enumerate(rows):
        cells = table.add_row().cells
        for column, value in enumerate(values):
            cells[column].text = ""
            paragraph = cells[column].paragraphs[0]
            run = paragraph.add_run(_shown(value))
            run.bold = index in totals
            if column in numeric:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)  # the grid LibreOffice and Word lay the table out by
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.space_after = Pt(0)
                for run in paragraph.runs:
                    run.font.size = Pt(14)
    document.add_paragraph()
    return table


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return format_number(value.quantize(Decimal("0.01")))
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def total_sentence(document: Any, what: str, amount: Decimal) -> None:
    """A stated total, in figures and in words, as Thai official documents state money."""
    document.add_paragraph(f"{what} {thai_digits(format_number(amount.quantize(Decimal('0.01'))))} บาท ({baht_text(amount)})")


def _chart(document: Any, title: str, labels: Sequence[str], series: dict[str, Sequence[float]], *, unit: str, width_cm: float = 16) -> None:
    """A horizontal bar chart (one bar per series and label) as a PNG image in the document."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    installed = {f.name for f in font_manager.fontManager.ttflist}
    family = next((name for name in CHART_FONTS if name in installed), "DejaVu Sans")
    plt.rcParams.update({"font.family": family, "font.size": 14})
    figure, axes = plt.subplots(figsize=(width_cm / 2.54, max(2.5, 0.55 * len(labels) * max(1, len(series)) + 1.2)), dpi=150)
    height = 0.8 / max(1, len(series))
    positions = range(len(labels))
    for offset, (name, values) in enumerate(series.items()):
        axes.barh([p + offset * height for p in positions], values, height=height, label=name)
    axes.set_yticks([p + height * (len(series) - 1) / 2 for p in positions], labels)
    axes.invert_yaxis()
    axes.set_xlabel(unit)
    axes.set_title(title)
    if len(series) > 1:
        axes.legend(loc="lower right", fontsize=12)
    axes.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    buffer.seek(0)
    document.add_picture(buffer, width=Cm(width_cm))
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER


def _short(text: str, length: int = 60) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


# --- the action plan -----------------------------------------------------------------------


def plan_document(settings: Settings, fiscal_year: int, register: Register) -> Any:
    """The annual action plan: strategies, projects grouped by strategy, budget by source and category."""
    document = new_document(landscape=True)  # the project table needs the width, as printed plans use
    year = thai_digits(fiscal_year)
    centre(document, f"แผนปฏิบัติการประจำปีงบประมาณ พ.ศ. {year}", "Title")
    centre(document, settings.office_name, bold=True)
    period = plan_period(fiscal_year)
    document.add_heading("ส่วนที่ ๑ กลยุทธ์และตัวชี้วัด", level=1)
    note = f"แผนปฏิบัติการนี้ขับเคลื่อนกลยุทธ์ตาม{period.th} ({period.source})"
    if not period.covers(fiscal_year):
        note += f" ซึ่งกำหนดช่วงปี พ.ศ. {thai_digits(period.first_fiscal_year)}-{thai_digits(period.last_fiscal_year)} และยังใช้อยู่จนกว่าจะมีแผนฉบับใหม่"
    document.add_paragraph(note)
    served = register.served_kpis()
    rows = []
    for number, th in strategies(fiscal_year).items():
        codes = [k for k in served if k.startswith(f"S{number}.")]
        rows.append([f"กลยุทธ์ที่ {number} {th}", len(register.projects_of_strategy(number)), len(codes), register.by_strategy().get(number, Decimal(0))])
    rows.append(["รวม", len(register.projects), len(served), register.total])
    word_table(document, ["กลยุทธ์", "โครงการ", "ตัวชี้วัดที่มีโครงการตอบ", "งบประมาณ (บาท)"], rows, widths=(13.0, 3.0, 4.0, 5.0), totals=(len(rows) - 1,), numeric=(1, 2, 3))
    _chart(document, "งบประมาณตามกลยุทธ์", [f"กลยุทธ์ที่ {n}" for n in strategies(fiscal_year)], {"งบประมาณ": [float(register.by_strategy().get(n, 0)) / 1e6 for n in strategies(fiscal_year)]}, unit="ล้านบาท")

    document.add_heading("ส่วนที่ ๒ โครงการตามกลยุทธ์", level=1)
    for number in strategies(fiscal_year):
        projects = register.projects_of_strategy(number)
        if not projects:
            continue
        document.add_heading(f"กลยุทธ์ที่ {thai_digits(number)} {strategies(fiscal_year)[number]}", level=2)
        rows = []
        for index, project in enumerate(projects, start=1):
            quarters = sorted(project.quarters)
            rows.append([index, project.code, f"{project.name}\nกิจกรรม: {', '.join(project.activity_names())}", ", ".join(project.kpis), project.budget, "ไตรมาส " + ", ".join(map(str, quarters)), f"{project.group_th}\n{project.responsible}"])
        subtotal = sum((p.budget for p in projects), Decimal(0))
        rows.append(["", "", f"รวมกลยุทธ์ที่ {number}", "", subtotal, "", ""])
        word_table(document, ["ที่", "รหัส", "โครงการ/กิจกรรม", "ตัวชี้วัด", "งบประมาณ (บาท)", "ระยะเวลา", "ผู้รับผิดชอบ"], rows, widths=(1.0, 2.0, 9.4, 2.4, 3.0, 2.6, 4.8), totals=(len(rows) - 1,), numeric=(0, 4))

    document.add_heading("ส่วนที่ ๓ สรุปงบประมาณ", level=1)
    envelope = read_envelope(settings.home / "envelope.csv", fiscal_year) or {}
    rows = [[plan_source(code).th, amount, envelope.get(code), (envelope[code] - amount) if code in envelope else None] for code, amount in register.by_source().items()]
    rows.append(["รวม", register.total, sum(envelope.values(), Decimal(0)) if envelope else None, None])
    word_table(document, ["แหล่งงบประมาณ", "โครงการ (บาท)", "วงเงิน (บาท)", "คงเหลือ (บาท)"], rows, widths=(6.9, 3.2, 3.2, 3.2), totals=(len(rows) - 1,), numeric=(1, 2, 3))
    rows = [[category_th(code), amount] for code, amount in register.by_category().items()]
    rows.append(["รวม", register.total])
    word_table(document, ["งบรายจ่าย", "งบประมาณ (บาท)"], rows, widths=(10, 4), totals=(len(rows) - 1,), numeric=(1,))
    rows = [[group, amount] for group, amount in register.by_group().items()]
    rows.append(["รวม", register.total])
    word_table(document, ["กลุ่มงาน", "งบประมาณ (บาท)"], rows, widths=(10, 4), totals=(len(rows) - 1,), numeric=(1,))
    total_sentence(document, f"รวมงบประมาณตามแผนปฏิบัติการประจำปีงบประมาณ พ.ศ. {year} ทั้งสิ้น {thai_digits(len(register.projects))} โครงการ เป็นเงิน", register.total)
    return document


# --- progress and the annual report ---------------------------------------------------------


@dataclass(frozen=True)
class ProjectProgress:
    """One project of the register at a round: what was planned, what its group reports."""

    code: str
    name: str
    group_th: str
    strategy: int
    planned: Decimal
    used: Decimal
    status: str
    reported: bool


def project_progress(register: Register, data: MasterData) -> list[ProjectProgress]:
    """Each register project with its group's latest counted progress rows summed (by project code)."""
    used: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    statuses: dict[tuple[str, str], list[str]] = defaultdict(list)
    for unit in data.registry.values():
        if unit.kind != "group":
            continue
        for row in data.counted_rows(unit, "project_progress"):
            key = (unit.code, str(row.get("project_code") or ""))
            used[key] += Decimal(row.get("budget_used") or 0)
            statuses[key].append(row.get("status") or "")
    result = []
    for project in register.projects:
        key = (project.group_code, project.code)
        found = statuses.get(key, [])
        status = "ยังไม่รายงาน" if not found else next((s for s in ("กำลังดำเนินการ", "ยังไม่เริ่ม") if s in found), "เสร็จสิ้น" if "เสร็จสิ้น" in found else found[0])
        result.append(ProjectProgress(project.code, project.name, project.group_th, project.strategy, project.budget, used.get(key, Decimal(0)), status, bool(found)))
    return result


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part * 100 / whole).quantize(Decimal("0.01")) if whole else None


def progress_document(settings: Settings, data: MasterData, register: Register, *, annual: bool) -> Any:
    """The round's report (or, at 12 months, the annual report): KPIs, projects, money, submissions."""
    document = new_document()
    year, round_ = thai_digits(settings.fiscal_year), settings.round
    title = f"รายงานผลการดำเนินงานประจำปีงบประมาณ พ.ศ. {year}" if annual else f"รายงานผลการดำเนินงาน{ROUND_TITLE_TH[round_]} ปีงบประมาณ พ.ศ. {year}"
    centre(document, title, "Title")
    centre(document, settings.office_name, bold=True)
    quarters = ", ".join(f"ไตรมาสที่ {thai_digits(q)} ({QUARTER_MONTHS_TH[q]})" for q in ROUND_QUARTERS[round_])
    document.add_paragraph(f"ข้อมูลจากแบบรายงานที่สถานศึกษาและกลุ่มงานส่ง{ROUND_TITLE_TH[round_]} ครอบคลุม{quarters} รวบรวมและตรวจสอบด้วย esaplan")

    document.add_heading("ส่วนที่ ๑ ผลการดำเนินงานตามตัวชี้วัด", level=1)
    results = by_strategy(data.kpi_results())
    for number, listed in results.items():
        document.add_heading(f"กลยุทธ์ที่ {thai_digits(number)} {strategies(settings.fiscal_year)[number]}", level=2)
        met = sum(1 for r in listed if r.status == Status.ACHIEVED or r.status == Status.ON_TRACK)
        with_result = [r for r in listed if r.value is not None]
        document.add_paragraph(f"ตัวชี้วัดที่สถานศึกษารายงาน {thai_digits(len(listed))} ตัว มีผล {thai_digits(len(with_result))} ตัว บรรลุหรือเป็นไปตามแผน {thai_digits(met)} ตัว")
        rows = [[r.indicator.code, _short(r.indicator.name_th), r.indicator.target, r.value, r.status.th if r.status else "ยังไม่มีผล", r.reporting] for r in listed]
        word_table(document, ["รหัส", "ตัวชี้วัด", "เป้าหมาย", "ผล", "สถานะ", "โรงเรียนที่รายงาน"], rows, widths=(1.4, 7.0, 1.7, 1.7, 2.6, 2.1), numeric=(2, 3, 5))
        if with_result:
            _chart(document, f"กลยุทธ์ที่ {number}: ผลเทียบเป้าหมาย (ร้อยละ)", [r.indicator.code for r in with_result], {"เป้าหมาย": [float(r.indicator.target or 0) for r in with_result], "ผล": [float(r.value or 0) for r in with_result]}, unit="ร้อยละ", width_cm=15)

    document.add_heading("ส่วนที่ ๒ ผลการดำเนินงานโครงการตามแผนปฏิบัติการ", level=1)
    progress = project_progress(register, data)
    planned = sum((p.planned for p in progress), Decimal(0))
    used = sum((p.used for p in progress), Decimal(0))
    counts = {s: sum(1 for p in progress if p.status == s) for s in (*PROGRESS_STATUSES, "ยังไม่รายงาน")}
    document.add_paragraph(f"โครงการตามแผน {thai_digits(len(progress))} โครงการ: " + " ".join(f"{s} {thai_digits(n)}" for s, n in counts.items() if n))
    rows = [[p.code, _short(p.name, 45), p.group_th, p.planned, p.used, _percent(p.used, p.planned), p.status] for p in progress]
    rows.append(["", "รวม", "", planned, used, _percent(used, planned), ""])
    word_table(document, ["รหัส", "โครงการ", "กลุ่มงาน", "งบตามแผน (บาท)", "ใช้จ่าย (บาท)", "ร้อยละ", "สถานะ"], rows, widths=(1.7, 4.4, 3.2, 2.4, 2.3, 1.3, 2.1), totals=(len(rows) - 1,), numeric=(3, 4, 5))
    total_sentence(document, "ใช้จ่ายงบประมาณตามแผนปฏิบัติการแล้ว", used)
    by_group: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for p in progress:
        by_group[p.group_th][0] += p.planned
        by_group[p.group_th][1] += p.used
    _chart(document, "งบตามแผนและการใช้จ่ายรายกลุ่มงาน", [_short(g, 28) for g in by_group], {"ตามแผน": [float(v[0]) / 1e6 for v in by_group.values()], "ใช้จ่าย": [float(v[1]) / 1e6 for v in by_group.values()]}, unit="ล้านบาท")

    document.add_heading("ส่วนที่ ๓ การใช้จ่ายงบประมาณของสถานศึกษา", level=1)
    rows, totals = [], [Decimal(0), Decimal(0), Decimal(0)]
    for category, items in budget_lines(data).items():
        sums = [sum((Decimal(s[i]) for s in items.values()), Decimal(0)) for i in (1, 2, 3)]
        totals = [a + b for a, b in zip(totals, sums, strict=True)]
        rows.append([category, *sums, _percent(sums[2], sums[0])])
    rows.append(["รวม", *totals, _percent(totals[2], totals[0])])
    word_table(document, ["งบรายจ่าย", "ได้รับจัดสรร (บาท)", "ก่อหนี้ผูกพัน (บาท)", "เบิกจ่าย (บาท)", "ร้อยละเบิกจ่าย"], rows, widths=(4.5, 3.1, 3.1, 3.1, 2.2), totals=(len(rows) - 1,), numeric=(1, 2, 3, 4))
    total_sentence(document, "สถานศึกษาเบิกจ่ายแล้ว", totals[2])
    if flag := unusual_flag(data):
        document.add_paragraph(flag)

    document.add_heading("ส่วนที่ ๔ การส่งข้อมูลและคุณภาพข้อมูล", level=1)
    summary = data.summary()
    titles = {f.code: f.sheet for s in form_sets().values() for f in s.forms}
    rows = [[titles.get(code, code), c["expected"], c["submitted"], c["on_time"], c["late"], c["errors"], c["missing"]] for code, c in summary.items()]
    word_table(document, ["แบบรายงาน", "ต้องส่ง", "ส่งแล้ว", STATUS_TH["on_time"], STATUS_TH["late"], STATUS_TH["errors"], STATUS_TH["missing"]], rows, widths=(4.3, 1.7, 1.7, 2.0, 1.7, 2.3, 2.0), numeric=(1, 2, 3, 4, 5, 6))
    errors = data.units_with_errors()
    document.add_paragraph(f"หน่วยที่มีข้อผิดพลาดในรอบนี้ {thai_digits(len(errors))} หน่วย (รายการทั้งหมดอยู่ในแผ่นงาน ปัญหาที่พบ ของไฟล์รวม)")
    if annual:
        document.add_heading("ส่วนที่ ๕ สรุปภาพรวมประจำปี", level=1)
        achieved = sum(1 for r in data.kpi_results() if r.status == Status.ACHIEVED)
        document.add_paragraph(f"ตัวชี้วัดที่บรรลุเป้าหมาย {thai_digits(achieved)} จาก {thai_digits(len(data.kpi_results()))} ตัว โครงการเสร็จสิ้น {thai_digits(counts['เสร็จสิ้น'])} จาก {thai_digits(len(progress))} โครงการ ใช้จ่ายงบประมาณตามแผนร้อยละ {thai_digits(_percent(used, planned) or 0)}")
    return document


# --- writing and printing -------------------------------------------------------------------


def save(document: Any, path: Path) -> Written:
    """Save the DOCX beside its final name, rename it into place, then print the PDF with LibreOffice."""
    return Written(write_atomically(path, document.save), to_pdf(path))


def to_pdf(docx: Path) -> Path | None:
    """The DOCX printed to PDF by LibreOffice headless (its own throw-away profile); None without LibreOffice."""
    soffice = shutil.which("soffice")
    if soffice is None:
        return None
    target = docx.with_suffix(".pdf")
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "document.docx"  # an ASCII name: LibreOffice under a C locale cannot open a Thai one
        shutil.copyfile(docx, source)
        subprocess.run([soffice, f"-env:UserInstallation={(Path(work) / 'profile').as_uri()}", "--headless", "--convert-to", "pdf", "--outdir", work, str(source)], check=True, capture_output=True, timeout=300)
        printed = Path(work) / "document.pdf"
        if not printed.is_file():
            raise RuntimeError(f"LibreOffice did not print {docx.name}")
        return write_atomically(target, lambda name: shutil.copyfile(printed, name))


def write_plan(settings: Settings, fiscal_year: int) -> Written:
    register = load_register(settings, fiscal_year)
    if not register.projects:
        raise NothingToReport(
            f"ยังไม่มีแผนของกลุ่มใดที่ผ่านการตรวจในปีงบประมาณ {fiscal_year}: วางไฟล์แผนของกลุ่มใน plan/inbox/<รหัสกลุ่ม>/ แล้วสั่ง esaplan plan",
            f"no accepted group plan for FY {fiscal_year}: put the groups' plan files in plan/inbox/<group code>/ and run esaplan plan",
            fiscal_year=fiscal_year,
        )
    name = document_names(fiscal_year, settings.round)["plan"]
    return save(plan_document(settings, fiscal_year, register), documents_dir(settings, fiscal_year) / f"{name}.docx")


def round_data(settings: Settings) -> MasterData:
    """The round's master data, as the last consolidation saw it (ledger and registry)."""
    registry = load_registry(settings.registry_path)
    return MasterData.collect(settings, open_ledger(settings.database_url), registry, [])


def write_progress(settings: Settings, *, annual: bool = False) -> Written:
    settings = settings.with_round(settings.fiscal_year, 12) if annual else settings
    register = load_register(settings, settings.fiscal_year)
    data = round_data(settings)
    if not register.projects and not data.latest:
        raise NothingToReport(
            f"ยังไม่มีข้อมูลของปีงบประมาณ {settings.fiscal_year} รอบ {settings.round} เดือน: ไม่มีแผนที่ผ่านการตรวจและไม่มีแบบรายงานที่รวมแล้ว",
            f"nothing to report for FY {settings.fiscal_year} round {settings.round}: no accepted plan and no consolidated submission",
            fiscal_year=settings.fiscal_year,
            round=settings.round,
        )
    names = document_names(settings.fiscal_year, settings.round)
    path = documents_dir(settings, settings.fiscal_year) / f"{names['annual' if annual else 'progress']}.docx"
    return save(progress_document(settings, data, register, annual=annual), path)
