"""How a generated sheet is laid out, formatted and printed: the plan, and writing it with openpyxl.

A :class:`SheetPlan` is a sheet's content built once (rows, styles, number formats, charts) and
written by :func:`emit` into either openpyxl mode (write-only is several times faster). Emitting
also fits column widths to what the cells show (Thai measured by its visible characters: vowels
and tone marks above or below a letter take no width) and sets the sheet up to print: A4,
landscape when wide, one page wide, the header row repeated, and a header and footer with the
office, the round and the page number. Text that looks like a formula is always written as text.

Number formats are one per kind of number: counts ``1,234``, money ``1,234.50``, percentages and
means to two decimals, dates and times in the Buddhist Era with Thai month names. The date code
``[$-107041E]`` is Excel's locale prefix ``xxyyzzzz``: digits 01 (Western), calendar 07 (Windows'
CAL_THAI, the Buddhist Era), locale 041E (Thai); Excel and LibreOffice both show ``25 พ.ย. 2569``.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import copy
from dataclasses import dataclass, field
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.pagebreak import Break, RowBreak
from openpyxl.worksheet.worksheet import Worksheet

from rules.forms import FORMULA_PREFIXES, column_letter
from sync.files.printsetup import BE_DATE_FORMAT as DATE_FORMAT
from sync.files.printsetup import BE_DATE_TIME_FORMAT as DATE_TIME_FORMAT
from sync.files.xmltext import clean_text
from sync.master.tablerows import UnitRows
from sync.master.widths import shown_width

COUNT_FORMAT = "#,##0"
MONEY_FORMAT = "#,##0.00"
DECIMAL_FORMAT = "#,##0.00"  # percentages and means: two decimals, always
NUMBER_FORMATS = (COUNT_FORMAT, MONEY_FORMAT, DATE_TIME_FORMAT, DATE_FORMAT)
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
WIDTH_SAMPLE = 1500  # rows looked at to fit a column: enough to see its longest values, cheap on big sheets
MAX_WIDTH = 60
LINE_HEIGHT = 17  # points per line of Thai text (marks above and below need more than Latin's 15)
PORTRAIT_WIDTH = 95  # columns wider than this (in character units) print landscape


@dataclass
class Style:
    """How one cell looks; None leaves the default."""

    font: Font | None = None
    fill: PatternFill | None = None
    number_format: str | None = None
    alignment: Alignment | None = None


HEADER_STYLE = Style(HEADER_FONT, HEADER_FILL, None, Alignment(wrap_text=True, vertical="center", horizontal="center"))
BOLD = Style(Font(bold=True))
TITLE = Style(Font(bold=True, size=14))
SUBTOTAL = Style(Font(bold=True), PatternFill("solid", fgColor="DDEBF7"))
TOTAL = Style(Font(bold=True), PatternFill("solid", fgColor="BDD7EE"))
WARNING_ROW = Style(
    Font(bold=True, color="9C5700"), PatternFill("solid", fgColor="FFEB9C")
)  # a flag beside figures to check


@dataclass(frozen=True)
class PrintHeader:
    """What every printed page of the master says at its top and bottom."""

    office: str
    round_th: str  # "ปีงบประมาณ 2570 รอบ 6 เดือน"


@dataclass
class SheetPlan:
    """A sheet's content, built once and emitted by either openpyxl mode."""

    name: str
    rows: list[list[Any]] = field(default_factory=list)
    styles: dict[tuple[int, int], Style] = field(default_factory=dict)
    row_styles: dict[int, Style] = field(default_factory=dict)
    column_formats: dict[int, str] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)  # fixed widths; other columns are fitted
    wrap: set[int] = field(default_factory=set)  # long-text columns: wrapped at their width
    freeze: str | None = None
    filter_header: int | None = None
    title_rows: str | None = None  # rows repeated on every printed page, "1:1"
    page_breaks: list[int] = field(default_factory=list)  # 1-based rows after which a new page starts
    portrait: bool | None = None  # None: decided by the fitted width
    one_page: bool = False  # the whole sheet on one page (the executive summary)
    auto_wrap: bool = True  # wrap text wider than MAX_WIDTH (data sheets for filtering keep one line a row)
    fit_width: bool = True  # scale to one page wide; False keeps 100 % so manual page breaks hold (LibreOffice ignores them when scaling)
    charts: list[tuple[Callable[[Worksheet], Any], str]] = field(default_factory=list)
    data_from: int = 1
    units: UnitRows | None = None  # a table of units: each unit's data rows, written by sync.master.tablerows
    block_rows: int = 0  # how many rows the blocks hold, once written
    data_widths: dict[int, float] = field(
        default_factory=dict
    )  # what a table's data rows need, measured block by block
    value_styles: dict[int, dict[Any, Style]] = field(
        default_factory=dict
    )  # a table of unit blocks: a column's cells styled by their value (the status colours)

    def header(self, headers: list[str]) -> int:
        """Add a styled header row; returns its 0-based index."""
        self.rows.append(list(headers))
        self.row_styles[len(self.rows) - 1] = HEADER_STYLE
        return len(self.rows) - 1

    def add(self, values: list[Any], style: Style | None = None) -> int:
        self.rows.append(values)
        if style:
            self.row_styles[len(self.rows) - 1] = style
        return len(self.rows) - 1

    def table(self, headers: list[str]) -> None:
        """A filterable table from the top of the sheet, its header frozen and printed on every page."""
        self.header(headers)
        self.freeze, self.filter_header, self.data_from, self.title_rows = "A2", 0, 1, "1:1"


def fitted_widths(plan: SheetPlan) -> dict[int, float]:
    """Column widths that show every sampled value whole (long text wraps at ``MAX_WIDTH``); a header
    may wrap to two lines but no word of it is cut."""
    widths = {c: _fit(6, need) for c, need in plan.data_widths.items()}
    for r, values in enumerate(
        plan.rows[: plan.data_from + WIDTH_SAMPLE]
    ):  # a table of unit blocks holds only its header here
        if len(values) <= 1 and plan.row_styles.get(r) is not HEADER_STYLE:
            continue  # titles and notes run across the page
        header = plan.row_styles.get(r) is HEADER_STYLE
        for c, value in enumerate(values):
            if header:
                text = str(value or "")
                need = max([shown_width(word) for word in text.split()] + [shown_width(text) / 2])
            else:
                need = shown_width(
                    value, plan.column_formats.get(c) or (plan.styles.get((r, c)) or Style()).number_format
                )
            widths[c] = _fit(widths.get(c, 6), need)
    return {**widths, **plan.widths}


def _fit(width: float, need: float) -> float:
    """A column at least ``width`` wide showing ``need`` characters with a margin, up to ``MAX_WIDTH``."""
    return max(width, min(MAX_WIDTH, need + 2))


def emit(plan: SheetPlan, sheet: Worksheet | Any, *, write_only: bool, page: PrintHeader | None = None) -> None:
    """Write a plan into an (empty) worksheet, fitted and set up to print. Text that looks like a formula stays text.

    A table of unit blocks has only its header in ``rows``: :mod:`sync.master.tablerows` puts the blocks
    in the saved sheet (their widths and row count, known by then, are covered here).

    A cell needs more than a plain value (is *special*) when it is styled, number-formatted,
    wrapped or formula-like; write-only sheets get a styled ``WriteOnlyCell`` for it, normal
    sheets are fixed up after the row is appended.
    """
    widths = fitted_widths(plan)
    for column, width in widths.items():
        sheet.column_dimensions[column_letter(column)].width = width
    wrapped = ({c for c, width in widths.items() if width >= MAX_WIDTH} if plan.auto_wrap else set()) | plan.wrap
    _print_setup(
        plan, sheet, sum(widths.values()), page
    )  # before any row: a write-only sheet streams its properties with the first
    if plan.freeze:
        sheet.freeze_panes = plan.freeze
    looks: dict[tuple[Any, ...], Any] = {}
    for r, values in enumerate(plan.rows):
        values = [
            clean_text(v) if isinstance(v, str) else v for v in values
        ]  # text stored before it was cleaned on the way in still writes
        row_style = plan.row_styles.get(r)
        header = row_style is HEADER_STYLE
        data_row = r >= plan.data_from and not header
        formats = plan.column_formats if data_row else {}
        wraps = wrapped if data_row and len(values) > 1 else set()
        lines = max([_lines(values[c], widths.get(c, 10)) for c in range(len(values)) if header or c in wraps] or [1])
        tall = lines > 1 and not header
        if lines > 1:  # wrapped text gets the height it needs (set before the row: write-only sheets stream it)
            sheet.row_dimensions[r + 1].height = LINE_HEIGHT * lines
        special = [
            c
            for c, value in enumerate(values)
            if row_style is not None
            or (r, c) in plan.styles
            or _formula_like(value)
            or (value is not None and (c in formats or c in wraps or tall))
        ]
        if write_only:
            cells: list[Any] = list(values)
            for c in special:
                cells[c] = cell = WriteOnlyCell(sheet, value=values[c])
                if _formula_like(values[c]):
                    cell.data_type = "s"
                style = plan.styles.get((r, c), row_style)
                look = (
                    *(id(getattr(style, n, None)) for n in ("font", "fill", "number_format", "alignment")),
                    formats.get(c),
                    c in wraps,
                    tall,
                )
                if look in looks:  # registering a style with openpyxl costs ~50 µs; the same look is copied
                    cell._style = copy(looks[look])
                else:
                    _styled(cell, style, formats.get(c), c in wraps, tall)
                    looks[look] = copy(cell._style)
            sheet.append(cells)
        else:
            sheet.append([None if _formula_like(v) else v for v in values])
            for c in special:
                cell = sheet.cell(row=sheet.max_row, column=c + 1)
                if _formula_like(values[c]):
                    cell.value = values[c]
                    cell.data_type = "s"
                _styled(cell, plan.styles.get((r, c), row_style), formats.get(c), c in wraps, tall)
    last = len(plan.rows) + plan.block_rows
    if plan.filter_header is not None and last > plan.filter_header + 1:
        width = max(len(row) for row in plan.rows[plan.filter_header :])
        sheet.auto_filter.ref = f"A{plan.filter_header + 1}:{column_letter(width - 1)}{last}"
    for make_chart, anchor in plan.charts:
        sheet.add_chart(make_chart(sheet), anchor)


def _print_setup(plan: SheetPlan, sheet: Any, width: float, page: PrintHeader | None) -> None:
    """A4, one page wide, landscape when wide, the table header on every page, office/round/page in the margins."""
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    portrait = plan.portrait if plan.portrait is not None else width <= PORTRAIT_WIDTH
    sheet.page_setup.orientation = "portrait" if portrait else "landscape"
    if plan.fit_width:
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, (1 if plan.one_page else 0)
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.page_margins.header = sheet.page_margins.footer = 0.3
    if plan.title_rows:
        sheet.print_title_rows = plan.title_rows
    for row in plan.page_breaks:
        if sheet.row_breaks is None:  # pragma: no cover - openpyxl always provides one
            sheet.row_breaks = RowBreak()
        sheet.row_breaks.append(Break(id=row))
    if page is not None:
        sheet.oddHeader.left.text = page.office
        sheet.oddHeader.right.text = f"&A · {page.round_th}"
        sheet.oddFooter.right.text = "หน้า &P / &N"
        sheet.oddFooter.left.text = "esaplan"
        for part in (sheet.oddHeader.left, sheet.oddHeader.right, sheet.oddFooter.left, sheet.oddFooter.right):
            part.size = 9


def style_attribute(sheet: Any, style: Style) -> str:
    """A look as the ``s="N"`` attribute a cell carries in a sheet's XML, registered with openpyxl."""
    cell = WriteOnlyCell(sheet)
    _styled(cell, style, None, False, False)
    return f' s="{cell.style_id}"'


def number_styles(sheet: Any) -> dict[str, str]:
    """Each number format as the ``s="N"`` attribute a cell carries in a sheet's XML, registered
    before any other style, so the ids are the same in every master and kept rows stay valid."""
    return {
        number_format: style_attribute(sheet, Style(number_format=number_format)) for number_format in NUMBER_FORMATS
    }


def _lines(value: Any, width: float) -> int:
    """Lines a wrapped cell takes at a column width (words wrap whole, so leave some slack)."""
    if not isinstance(value, str):
        return 1
    return max(1, -(-int(shown_width(value)) // max(1, int(width) - 3)))


def _styled(cell: Any, style: Style | None, number_format: str | None, wrap: bool, top: bool) -> None:
    if style is not None:
        for name in ("font", "fill", "number_format", "alignment"):
            value = getattr(style, name)
            if value is not None:
                setattr(cell, name, value)
    if number_format and (style is None or style.number_format is None):
        cell.number_format = number_format
    if (wrap or top) and (style is None or style.alignment is None):
        cell.alignment = Alignment(wrap_text=wrap, vertical="top")  # a row of several lines reads from its top


def _formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)
