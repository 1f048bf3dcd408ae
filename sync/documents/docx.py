"""How the office's documents look and are printed: A4, TH Sarabun New 16 pt (on a machine without it,
fontconfig renders Debian's metric twin Laksaman, from fonts-tlwg-laksaman), Thai numerals in headings
and running text, amounts as ``1,234,567.00`` in real Word tables with subtotal and total rows, each
total also in words (บาทถ้วน); charts as matplotlib images drawn with a Thai font. The PDF is printed
from the DOCX by LibreOffice headless, as a reader would print it.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
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
from rules.money import baht_text, format_number
from rules.thai import thai_digits
from sync.files.atomic import write_atomically
from sync.office.settings import Settings

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
    section.left_margin, section.right_margin, section.top_margin, section.bottom_margin = (
        Cm(2.5),
        Cm(2.0),
        Cm(2.5),
        Cm(2.0),
    )
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Table Grid"):
        style = document.styles[name]
        style.font.name = FONT
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:cs"), FONT)  # Thai is complex script
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    for name, size, bold in (
        ("Normal", 16, False),
        ("Title", 22, True),
        ("Heading 1", 20, True),
        ("Heading 2", 18, True),
    ):
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


def word_table(
    document: Any,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    widths: Sequence[float],
    totals: Sequence[int] = (),
    numeric: Sequence[int] = (),
) -> Any:
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
    document.add_paragraph(
        f"{what} {thai_digits(format_number(amount.quantize(Decimal('0.01'))))} บาท ({baht_text(amount)})"
    )


def chart(
    document: Any,
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    unit: str,
    width_cm: float = 16,
) -> None:
    """A horizontal bar chart (one bar per series and label) as a PNG image in the document."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    installed = {f.name for f in font_manager.fontManager.ttflist}
    family = next((name for name in CHART_FONTS if name in installed), "DejaVu Sans")
    plt.rcParams.update({"font.family": family, "font.size": 14})
    figure, axes = plt.subplots(
        figsize=(width_cm / 2.54, max(2.5, 0.55 * len(labels) * max(1, len(series)) + 1.2)), dpi=150
    )
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


def shortened(text: str, length: int = 60) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


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
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={(Path(work) / 'profile').as_uri()}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                work,
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        printed = Path(work) / "document.pdf"
        if not printed.is_file():
            raise RuntimeError(f"LibreOffice did not print {docx.name}")
        return write_atomically(target, lambda name: shutil.copyfile(printed, name))
