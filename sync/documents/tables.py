"""Tables that read: column widths from what they hold, Thai broken only between words, rows kept whole.

A column is at least as wide as its widest unbreakable piece (a number, a Thai word as PyThaiNLP's
dictionary segments it, a code), measured with the font itself, so LibreOffice and Word never have to
break "119,277,192" or "โรงเรียน" inside; the width left over goes to the columns whose text would
otherwise wrap most. Rows never split across pages, the header row repeats on each page, and the last
rows of a table keep with the total under them, so a total is never alone on a page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import Any

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from rules.money import format_number
from sync.documents.look import font_file

TABLE_POINTS = 14
CELL_PADDING_CM = 0.55  # the cell's left and right margins (0.19 cm each in Word and LibreOffice) and air
KEEP_WITH_TOTAL = 1  # rows kept on the page of the total under them
WHOLE_TABLE = 6  # a table of at most this many rows (header included) is kept on one page
CM_PER_POINT = 2.54 / 72


@cache
def _font() -> Any:
    """The font LibreOffice prints with, for PIL to measure advances (Thai marks have none)."""
    from PIL import ImageFont

    path = font_file()
    return ImageFont.truetype(path, size=100) if path is not None else None


def text_cm(text: str, points: float = TABLE_POINTS, *, bold: bool = False) -> float:
    """How wide ``text`` prints on one line, in cm (bold about 6 % wider)."""
    font = _font()
    units = font.getlength(text) / 100 if font is not None else 0.5 * len(text)
    return units * points * CM_PER_POINT * (1.06 if bold else 1.0)


@cache
def pieces(text: str) -> tuple[str, ...]:
    """What a line may not be broken inside: numbers (with their separators), Thai words, other words."""
    from pythainlp.tokenize import word_tokenize

    found: list[str] = []
    for chunk in text.split():
        if re.fullmatch(r"[\d๐-๙.,%()/+\-–:]+", chunk) or not re.search(r"[\u0e00-\u0e7f]", chunk):
            found.append(chunk)
        else:
            found.extend(
                piece for piece in word_tokenize(chunk, engine="newmm", keep_whitespace=False) if piece.strip()
            )
    return tuple(found)


def widths_for(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    available_cm: float,
    bold_rows: Sequence[int] = (),
    numeric: Sequence[int] = (),
) -> list[float]:
    """Column widths in cm summing to at most ``available_cm``: each column's longest unbreakable piece
    first (and for a ``numeric`` column room for its header on two lines, as a narrow column of figures
    under a three-line header reads badly), then the rest of the page to the columns whose longest line
    is furthest from fitting: long text gets the width. ``bold_rows`` (totals) are measured bold."""
    bold = {0, *(index + 1 for index in bold_rows)}
    columns = list(zip(header, *rows, strict=True))
    need, body, head = [], [], []
    for index, cells in enumerate(columns):
        lines = [(line, i) for i, cell in enumerate(cells) for line in str(cell).split("\n")]
        longest = max((text_cm(p, bold=i in bold) for line, i in lines for p in pieces(line)), default=0.5)
        two_lines = text_cm(str(cells[0]), bold=True) * 0.62 if index in numeric else 0  # words do not halve evenly
        need.append(CELL_PADDING_CM + max(longest, two_lines))
        body.append(CELL_PADDING_CM + max((text_cm(line, bold=i in bold) for line, i in lines if i), default=0.5))
        head.append(CELL_PADDING_CM + text_cm(str(cells[0]), bold=True))
    total = sum(need)
    if total >= available_cm:  # the words alone do not fit: text columns give way (LibreOffice breaks a long word
        # there), figures keep their width, as a figure broken over two lines misreads
        figures = sum(need[i] for i in numeric)
        if figures < available_cm * 0.8:
            return _capped(need, numeric, available_cm - figures)
        return [n * available_cm / total for n in need]
    widths = list(need)
    spare = available_cm - total
    for want in (body, [max(b, h) for b, h in zip(body, head, strict=True)]):  # body lines first, headers after
        short = [i for i in range(len(widths)) if want[i] - widths[i] > 0.05]
        gap = sum(want[i] - widths[i] for i in short)
        if not short or spare <= 0.05:
            continue
        share = min(spare, gap)
        for i in short:
            widths[i] += share * (want[i] - widths[i]) / gap
        spare -= share
    return widths


def _capped(need: list[float], numeric: Sequence[int], room: float) -> list[float]:
    """Text columns fitted into ``room`` by narrowing the widest to one cap, so only the longest words
    (a compound such as เทคโนโลยีสารสนเทศ) break; scaling every column alike broke short words like
    รายงาน in a narrow status column of the progress report."""
    text = sorted(n for i, n in enumerate(need) if i not in numeric)
    cap, left = text[-1], room
    for count, width in enumerate(text):
        cap = left / (len(text) - count)  # the rest share what is left equally
        if width > cap:
            break
        left -= width
    return [n if i in numeric else min(n, cap) for i, n in enumerate(need)]


def shown(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return format_number(value.quantize(Decimal("0.01")))
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def word_table(
    document: Any,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    totals: Sequence[int] = (),
    numeric: Sequence[int] = (),
    centred: Sequence[int] = (),
    spaced: bool = True,
    total_label_spans: bool = False,
) -> Any:
    """A real Word table: a bold repeated header, numbers right-aligned, ``totals`` rows (by index) bold;
    ``spaced`` leaves an empty line under it; ``total_label_spans`` lets a total row's label (its second
    cell) run across every column but the first and the last, so a total in words widens no column."""
    texts = [[shown(value) for value in row] for row in rows]
    measured = [
        [*row[:1], "", *row[2:]] if total_label_spans and index in totals else row for index, row in enumerate(texts)
    ]
    section = document.sections[-1]
    available = (section.page_width - section.left_margin - section.right_margin) / 360000  # EMU to cm
    widths = widths_for(header, measured, available, totals, numeric)
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _row_property(table.rows[0], "w:tblHeader")
    for index, values in enumerate(texts):
        cells = table.add_row().cells
        for column, text in enumerate(values):
            cells[column].text = ""
            paragraph = cells[column].paragraphs[0]
            run = paragraph.add_run(text)
            run.bold = index in totals or None
            if column in numeric:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            elif column in centred:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    kept = len(table.rows) if len(table.rows) <= WHOLE_TABLE else KEEP_WITH_TOTAL + 1
    for position, row in enumerate(table.rows):
        _row_property(row, "w:cantSplit")
        keep = position < len(table.rows) - 1 and position >= len(table.rows) - kept
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.space_after = Pt(0)
                paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
                paragraph.paragraph_format.line_spacing = Pt(TABLE_POINTS * 1.5)
                paragraph.paragraph_format.keep_with_next = keep
                for run in paragraph.runs:
                    run.font.size = Pt(TABLE_POINTS)
                    _cs_size(run, TABLE_POINTS)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)  # the grid LibreOffice and Word lay the table out by
    if total_label_spans:
        for index in totals:
            cells = table.rows[index + 1].cells
            label = cells[1].text
            merged = cells[1].merge(cells[len(header) - 2])
            merged.text = ""
            run = merged.paragraphs[0].add_run(label)
            run.bold, run.font.size = True, Pt(TABLE_POINTS)
            _cs_size(run, TABLE_POINTS)
    if spaced:
        document.add_paragraph()
    return table


def _row_property(row: Any, tag: str) -> None:
    properties = row._tr.get_or_add_trPr()
    element = OxmlElement(tag)
    element.set(qn("w:val"), "true")
    properties.append(element)


def _cs_size(run: Any, points: int) -> None:
    """A run's Thai size (``w:szCs``) with its Latin one: Word sizes complex script apart."""
    properties = run._r.get_or_add_rPr()
    size = OxmlElement("w:szCs")
    size.set(qn("w:val"), str(points * 2))
    properties.append(size)
