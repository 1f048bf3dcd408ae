"""Read a submitted workbook fast with python-calamine: every sheet as a grid, plus its metadata.

calamine (Rust) reads cell values only, which is all validation needs and several times faster
than openpyxl (figures in README). Grids are anchored at A1 (``skip_empty_area=False``) so
row/column indexes are the cell addresses staff see. The hidden ``_esaplan`` sheet written by
``esaplan templates`` carries the form set, version, round and unit code; the instructions
sheet carries the unit code the school typed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from .registry import unit_code

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


def read_workbook(content: bytes) -> Workbook:
    """All sheets of an xlsx (bytes) as grids; raises :class:`UnreadableWorkbook`."""
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        grids = {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}
    except (CalamineError, ValueError, OSError) as exc:  # calamine raises several error types
        raise UnreadableWorkbook(str(exc)) from exc
    return workbook_from_grids(grids)


def workbook_from_grids(grids: dict[str, list[list[Any]]]) -> Workbook:
    """A :class:`Workbook` from sheet grids anchored at A1, whatever read them (calamine, the Sheets API)."""
    result = Workbook(sheets=dict(grids))
    for row in result.sheets.pop(META_SHEET, []):
        if len(row) >= 2 and row[0] in META_KEYS:
            result.meta[str(row[0])] = _text(row[1])
    instructions = result.sheets.get(INSTRUCTIONS_SHEET, [])
    row, col = UNIT_CELL
    if len(instructions) > row and len(instructions[row]) > col:
        result.typed_unit = unit_code(instructions[row][col])
    if "unit_code" in result.meta:
        result.meta["unit_code"] = unit_code(result.meta["unit_code"])
    return result


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if value is not None else ""
