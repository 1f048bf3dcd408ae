"""Read a submitted workbook fast with python-calamine: the sheets a form reads as grids, plus its metadata.

calamine (Rust) reads cell values only, which is all validation needs and several times faster
than openpyxl (figures in README). Grids are anchored at A1 (``skip_empty_area=False``) so
row/column indexes are the cell addresses staff see. The hidden ``_esaplan`` sheet written by
``esaplan templates`` carries the form set, version, round and unit code; the instructions
sheet carries the unit code the school typed.

Only the sheets some form reads are read, each after :mod:`sync.intake.sheetscan` has found that its data
stays within what a form can need (a school's own extra sheet is never opened). Text is cleaned of
characters a workbook cannot carry (:mod:`sync.files.xmltext`) and a cell whose formula takes its value
from another workbook is read as empty; :meth:`Workbook.reading_problems` says where, cell by cell.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from rules.forms import Problem, cell_name, form_sets
from sync.files.xmltext import clean_text
from sync.intake.sheetscan import FORM_REACH, Reach, scan
from sync.office.registry import unit_code

META_SHEET = "_esaplan"
INSTRUCTIONS_SHEET = "คำชี้แจง"
UNIT_CELL = (4, 2)  # C5 on the instructions sheet: รหัสหน่วยงาน/โรงเรียน
UNIT_CELL_NAME = "C5"
META_KEYS = ("form_set", "form_version", "fiscal_year", "round", "unit_code")


class UnreadableWorkbook(Exception):
    """calamine could not open the file (corrupt or not a workbook)."""


@dataclass
class Workbook:
    """Sheet grids by name, metadata from the hidden sheet, the unit code typed by the school.

    ``shows_formulas``: formula cells hold their formula text rather than its value (a Google
    Sheet read that way), so validation can tell a formula typed over with a number.
    """

    sheets: dict[str, list[list[Any]]] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    typed_unit: str = ""
    shows_formulas: bool = False
    cleaned: list[tuple[str, str]] = field(default_factory=list)  # (sheet, cell) whose text lost characters
    linked: list[tuple[str, str]] = field(default_factory=list)  # (sheet, cell) whose value came from another workbook
    saved_at: dt.datetime | None = None  # when it was last saved, as the workbook records it (docProps/core.xml)
    merged: dict[str, list[tuple[int, int, int, int]]] = field(
        default_factory=dict
    )  # each sheet's merged ranges, 0-based
    names: list[str] = field(default_factory=list)  # every sheet of the file, read or not (a copy of a form's sheet)

    def reading_problems(self) -> list[Problem]:
        """What reading changed, cell by cell: text cleaned (a note), a linked value left out (a warning)."""
        cleaned = [Problem(sheet, cell, "CONTROL-CHARS", "info", CLEANED_TH) for sheet, cell in self.cleaned]
        return cleaned + [Problem(sheet, cell, "EXTERNAL-LINK", "warning", LINKED_TH) for sheet, cell in self.linked]


CLEANED_TH = "ลบอักขระควบคุมที่มองไม่เห็น (ติดมากับข้อความที่คัดลอกจากเว็บหรือโปรแกรมอื่น) ออกจากข้อความในช่องนี้แล้ว"
LINKED_TH = "ช่องนี้เป็นสูตรที่ดึงค่าจากไฟล์อื่น (ลิงก์ภายนอก) ค่าที่เห็นอาจไม่ใช่ค่าปัจจุบัน จึงไม่นำไปรวม: พิมพ์ตัวเลขลงในช่องแทนสูตร แล้วส่งใหม่"


@cache
def sheets_read() -> frozenset[str]:
    """The sheets any form reads, with the instructions and metadata sheets: the only ones opened."""
    return frozenset(
        {META_SHEET, INSTRUCTIONS_SHEET, *(form.sheet for form_set in form_sets().values() for form in form_set.forms)}
    )


def read_workbook(content: bytes, reach: Reach = FORM_REACH) -> Workbook:
    """The sheets forms read of an xlsx (bytes), as grids; raises :class:`UnreadableWorkbook`, or
    :class:`~sync.intake.sheetscan.SheetTooLarge` for a sheet whose data goes past ``reach``."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        scans = scan(archive, sheets_read(), reach)
        saved_at = _saved_at(archive)
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheet_names = book.sheet_names
        grids: dict[str, list[list[Any]]] = {
            name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for name in book.sheet_names
            if name in scans
        }
    except (
        CalamineError,
        ValueError,
        OSError,
        SyntaxError,
        zipfile.BadZipFile,
        KeyError,
    ) as exc:  # calamine, zipfile and lxml (a SyntaxError) raise several types
        raise UnreadableWorkbook(str(exc)) from exc
    linked = [(name, row, column) for name, found in scans.items() for row, column in sorted(found.linked)]
    for name, row, column in linked:
        grid = grids[name]
        if row < len(grid) and column < len(grid[row]):
            grid[row][column] = None
    result = workbook_from_grids(grids)
    result.linked = [(name, cell_name(row, column)) for name, row, column in linked]
    result.saved_at = saved_at
    result.merged = {name: found.merged for name, found in scans.items() if found.merged}
    result.names = list(sheet_names)
    return result


_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>\s*([0-9T:.+\-Z ]+?)\s*</dcterms:modified>")


def _saved_at(archive: zipfile.ZipFile) -> dt.datetime | None:
    """The workbook's last saved time (``dcterms:modified``, which Excel, LibreOffice and openpyxl
    write at each save), in UTC when it names no zone; None when it has none or it cannot be read."""
    if "docProps/core.xml" not in archive.NameToInfo:
        return None
    found = _MODIFIED.search(archive.read("docProps/core.xml"))
    if found is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(found.group(1).decode().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def workbook_from_grids(grids: dict[str, list[list[Any]]]) -> Workbook:
    """A :class:`Workbook` from sheet grids anchored at A1, whatever read them (calamine, the Sheets
    API); text is cleaned of characters a workbook cannot carry, each such cell noted."""
    result = Workbook(sheets=dict(grids), names=list(grids))
    for name, grid in result.sheets.items():
        for r, row in enumerate(grid):
            for c, value in enumerate(row):
                if isinstance(value, str) and (clean := clean_text(value)) is not value:
                    row[c] = clean
                    result.cleaned.append((name, cell_name(r, c)))
    for row in result.sheets.pop(META_SHEET, []):
        if len(row) >= 2 and row[0] in META_KEYS:
            result.meta[str(row[0])] = _text(row[1])
    instructions = result.sheets.get(INSTRUCTIONS_SHEET, [])
    unit_row, unit_col = UNIT_CELL
    if len(instructions) > unit_row and len(instructions[unit_row]) > unit_col:
        result.typed_unit = unit_code(instructions[unit_row][unit_col])
    if "unit_code" in result.meta:
        result.meta["unit_code"] = unit_code(result.meta["unit_code"])
    return result


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if value is not None else ""
