"""How esaplan's workbooks print: A4, one page wide and as many pages tall as needed, landscape when
wide, the table's header row on every page. The master's sheets add margins and page headers to this
(:mod:`sync.master.sheetplan`); the forms, the feedback files and the planning workbooks use it as is.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from openpyxl.styles import Alignment, Font, PatternFill

WIDE_COLUMNS = 6
# Dates shown in the Buddhist Era with Thai month names whatever the reader's locale: LCID 041E (Thai)
# with calendar 07 (Thai Buddhist), the form Excel itself writes for "ไทย (พุทธศักราช)".
BE_DATE_FORMAT = "[$-107041E]d mmm yyyy"
BE_DATE_TIME_FORMAT = "[$-107041E]d mmm yyyy hh:mm"  # a sheet with more columns than this prints landscape unless told


def fit_to_page_width(sheet: Any, *, landscape: bool | None = None, title_rows: str | None = None) -> None:
    """Set ``sheet`` (an openpyxl worksheet) to print one page wide; ``title_rows`` ("3:3") repeat on each page."""
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    if landscape if landscape is not None else sheet.max_column > WIDE_COLUMNS:
        sheet.page_setup.orientation = "landscape"
    if title_rows:
        sheet.print_title_rows = title_rows


def align_numbers(sheet: Any, header_row: int) -> None:
    """A column of numbers reads under its heading: the heading right-aligned over its numbers, whole
    numbers with thousands separators and others to two decimals, so a short table printed wide does
    not look shifted by one column and 3796 reads 3,796."""
    for column in sheet.iter_cols(min_row=header_row):
        numbers = [
            c for c in column[1:] if isinstance(c.value, int | float | Decimal) and not isinstance(c.value, bool)
        ]
        if numbers:
            column[0].alignment = Alignment(horizontal="right", wrap_text=True)
        for cell in numbers:
            cell.number_format = "#,##0" if isinstance(cell.value, int) else "#,##0.00"


def readable_columns(sheet: Any, *, header_row: int = 1, widest: int = 30) -> None:
    """Columns as wide as their text up to ``widest`` characters; longer text wraps inside its cell
    (top-aligned) instead of widening the column, so a sheet printed one page wide stays legible."""
    for column in sheet.iter_cols(min_row=header_row):
        lengths = [len(str(c.value)) for c in column if c.value is not None]
        width = min(widest, max(10, *(n + 2 for n in lengths))) if lengths else 10
        sheet.column_dimensions[column[0].column_letter].width = width
        for cell in column:
            if isinstance(cell.value, str) and len(cell.value) + 2 > width:
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def format_values(sheet: Any, min_row: int = 2) -> None:
    """Cells below the header as the office reads them: money to two places, dates in the Buddhist Era,
    and text that starts with = kept as text (typed text is never a formula)."""
    for row in sheet.iter_rows(min_row=min_row):
        for cell in row:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
            elif isinstance(cell.value, dt.date):
                timed = isinstance(cell.value, dt.datetime) and cell.value.time() != dt.time()
                cell.number_format = BE_DATE_TIME_FORMAT if timed else BE_DATE_FORMAT
            elif isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"


def office_table(sheet: Any) -> None:
    """A sheet of the office's own workbooks (registers, their summaries) with its header in row 1: the
    header bold on blue, values formatted, the header frozen and repeated, one A4 page wide."""
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font, cell.fill = bold, fill
    format_values(sheet)
    sheet.freeze_panes = "A2"
    readable_columns(sheet)
    fit_to_page_width(sheet, landscape=True, title_rows="1:1")
