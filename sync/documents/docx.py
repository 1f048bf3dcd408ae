"""The office's documents: where they go, what each is called, and how one is saved and printed.

Their look is :mod:`.look` (the government's form, TH Sarabun New, page numbers), their tables
:mod:`.tables`, their printing :mod:`.printing`; here are what every document shares: a stated total
in figures and in Thai words (บาทถ้วน), charts drawn by matplotlib in a Thai font, and saving the DOCX
atomically with its PDF beside it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.shared import Cm

from rules import EsaplanError
from rules.money import baht_text, format_number
from rules.thai import thai_digits
from sync.documents.look import chart_font
from sync.documents.printing import print_pdfs, writer_missing
from sync.files.atomic import write_atomically
from sync.office.settings import Settings

ROUND_TITLE_TH = {6: "รอบ ๖ เดือน", 9: "รอบ ๙ เดือน", 12: "รอบ ๑๒ เดือน"}
PROGRESS_STATUSES = ("ยังไม่เริ่ม", "กำลังดำเนินการ", "เสร็จสิ้น", "ยกเลิก")


class NothingToReport(EsaplanError):
    """The year or round has no data a document could be made from (an empty document would mislead)."""


@dataclass(frozen=True)
class Written:
    """One document: the Word file, its PDF (None when it could not be printed) and why not, in Thai."""

    docx: Path
    pdf: Path | None
    note_th: str = ""
    draft_th: str = ""  # why the document is printed as a draft (ร่าง), when it is


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
    """A horizontal bar chart (one bar per series and label) as a PNG image in the document; nothing
    when every value is zero (an empty axis says nothing a sentence cannot)."""
    if not any(value for values in series.values() for value in values):
        return
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    plt.rcParams.update({"font.family": chart_font(), "font.size": 14})
    labels = [_wrapped(label) for label in labels]
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
    if len(series) > 1:  # under the plot, never over a bar
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=len(series), fontsize=12, frameon=False)
    axes.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(figure)
    buffer.seek(0)
    document.add_picture(buffer, width=Cm(width_cm))
    picture = document.paragraphs[-1]
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE  # an exact line height would crop it


def _wrapped(label: str, width: int = 22) -> str:
    """A chart label on at most two lines, broken between Thai words (never cut inside one)."""
    from sync.documents.tables import pieces

    lines, line = [], ""
    for chunk in label.split():
        for index, piece in enumerate(pieces(chunk)):
            glue = " " if index == 0 and line else ""
            if line and len(line) + len(glue) + len(piece) > width:
                lines.append(line)
                line, glue = "", ""
            line += glue + piece
    lines.append(line)
    return "\n".join(lines[:2]) + ("…" if len(lines) > 2 else "")


def save(document: Any, path: Path) -> Written:
    """Save the DOCX beside its final name, rename it into place, then print its PDF."""
    return save_all([(document, path)])[0]


def save_all(documents: Sequence[tuple[Any, Path]]) -> list[Written]:
    """Save every DOCX, then print them all in one LibreOffice run (or say, in Thai, why there is no PDF)."""
    paths = [write_atomically(path, document.save) for document, path in documents]
    missing = writer_missing()
    if missing:
        return [Written(path, None, missing) for path in paths]
    return [Written(path, pdf) for path, pdf in zip(paths, print_pdfs(paths), strict=True)]


def save_with_contents(build: Callable[[dict[str, int]], Any], path: Path) -> Written:
    """A document with a table of contents: ``build`` is given each part's page (none the first time);
    the document is printed once to find on which page each part (a level-1 heading) starts, then
    built and printed again with those pages in its สารบัญ. Without LibreOffice the pages stay blank."""
    document = build({})
    first = save(document, path)
    if first.pdf is None:
        return first
    parts = [p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    return save(build(part_pages(first.pdf, parts)), path)


def part_pages(pdf: Path, parts: Sequence[str]) -> dict[str, int]:
    """The page each part's heading is first printed on, after the สารบัญ page (which names them all)."""
    from pypdf import PdfReader

    texts = [_letters(page.extract_text() or "") for page in PdfReader(pdf).pages]
    after = next((index + 1 for index, text in enumerate(texts) if _letters("สารบัญ") in text), 0)
    found = {}
    for part in parts:
        key = _letters(part)
        page = next((index + 1 for index in range(after, len(texts)) if key in texts[index]), None)
        if page is not None:
            found[part] = page
    return found


def _letters(text: str) -> str:
    """Text without spaces and Thai marks above and below the line: what survives a PDF's text layer
    intact (extracted, a vowel and a tone mark may come out in either order)."""
    marks = {"\u0e31", *map(chr, range(0x0E34, 0x0E3B)), *map(chr, range(0x0E47, 0x0E4F))}
    return "".join(c for c in text.replace("\u0e33", "\u0e32") if not c.isspace() and c not in marks)
