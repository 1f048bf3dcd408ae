"""What the three macros do, independent of the spreadsheet they run in.

Each surface (xlwings, the Office.js taskpane, Apps Script) only reads the sheet, calls one of
these (directly or through the JSON API) and writes the answer back:

- *Validate this sheet* (ตรวจแผ่นงานนี้): find the form by the sheet's name, check it as the
  consolidation would, and return one Thai message per row, to write next to the data in a
  column headed :data:`NOTES_HEADER`; run again, it writes over that column instead of adding
  another, and the old notes are not read as data.
- *Allocation register* (ทะเบียนจัดสรร): names and weights plus a total -> a table with the
  exact amounts, a total row and the total in Thai words.
- *Consolidate now* (รวมข้อมูลเดี๋ยวนี้) is the API's ``/api/consolidate``, followed through
  ``/api/jobs/<id>/summary`` when the run outlasts the API's 50-second answer.
"""

from __future__ import annotations

from typing import Any

from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter

from addin.registry import blank_to_none, flat, to_cells
from rules import allocate, baht_text
from rules.forms import forms, read_sheet, row_of
from rules.money import to_decimal

SEVERITY_TH = {"error": "ผิด", "warning": "เตือน", "info": "หมายเหตุ"}
NOTES_HEADER = "ผลตรวจ esaplan"


def validate_grid(
    sheet_name: str, grid: list[list[Any]], unit_code: str = "-", origin: tuple[int, int] = (1, 1)
) -> dict[str, Any]:
    """Check a sheet's values (its used range, from its first cell) against the form of the same
    name. The answer: messages keyed by row number (``rows``), and the column to write beside the
    data: ``notes`` (one cell a row, the first headed :data:`NOTES_HEADER`) at ``notes_column``
    (counted from the grid's first column, 0-based): the last column when it already holds the
    notes of an earlier run, else the one after the data. ``origin`` is the sheet's (row, column)
    of the grid's first cell: the messages name the cells as the sheet does (a used range that
    starts at B2 has its first cell called B2, not A1)."""
    width = max((len(row) for row in grid), default=0)
    notes_column = width - 1 if width and str(grid[0][-1] or "").startswith(NOTES_HEADER) else width
    grid = [row[:notes_column] for row in grid]
    form = next((f for f in forms().values() if f.sheet == sheet_name.strip()), None)
    if form is None:
        names = ", ".join(f.sheet for f in forms().values())
        return {
            "form": None,
            "problems": [],
            "rows": {},
            "notes": [],
            "notes_column": notes_column,
            "message": f"แผ่นงาน '{sheet_name}' ไม่ใช่แบบรายงาน (ชื่อที่ใช้ได้: {names})",
        }
    result = read_sheet(form, [[blank_to_none(v) for v in row] for row in grid], unit_code=unit_code)
    by_row: dict[int, list[str]] = {}
    for problem in result.problems:
        row = row_of(problem.cell)
        if row:
            by_row.setdefault(row, []).append(
                f"{SEVERITY_TH[problem.severity]} {_on_sheet(problem.cell, origin)}: {problem.message_th}"
            )
    problems = [
        {"cell": _on_sheet(p.cell, origin), "rule": p.rule, "severity": p.severity, "message_th": p.message_th}
        for p in result.problems
    ]
    errors = sum(1 for p in result.problems if p.severity == "error")
    rows = {str(k): "; ".join(v) for k, v in by_row.items()}
    notes = [[rows.get(str(number), "")] for number in range(1, len(grid) + 1)]
    if notes:
        notes[0] = [f"{NOTES_HEADER}: {notes[0][0]}" if notes[0][0] else NOTES_HEADER]
    message = f"ตรวจ {len(result.rows)} แถว พบข้อผิดพลาด {errors} รายการ"
    return {
        "form": form.code,
        "problems": problems,
        "rows": rows,
        "notes": notes,
        "notes_column": notes_column,
        "message": message,
    }


def _on_sheet(cell: str, origin: tuple[int, int]) -> str:
    """A grid address ("B3") as the sheet names it when the grid starts at ``origin``; "-" stays."""
    if row_of(cell) is None:
        return cell
    letters, row = coordinate_from_string(cell)
    return f"{get_column_letter(column_index_from_string(letters) + origin[1] - 1)}{row + origin[0] - 1}"


def allocation_register(names: Any, weights: Any, total: Any, unit: Any = None) -> list[list[Any]]:
    """The allocation register table: header, one row per name, a total row, the total in words."""
    labels, values = flat(names), flat(weights)
    amounts = allocate(total, values, unit=unit if unit not in (None, "") else 1)
    table: list[list[Any]] = [["ลำดับ", "หน่วยรับจัดสรร", "น้ำหนัก", "จำนวนเงิน (บาท)"]]
    table += [
        [index, label, weight, amount]
        for index, (label, weight, amount) in enumerate(zip(labels, values, amounts, strict=True), start=1)
    ]
    table.append(["", "รวม", sum(to_decimal(v, "น้ำหนัก") for v in values), sum(amounts)])
    table.append(["", "ตัวอักษร", "", baht_text(sum(amounts))])
    return to_cells(table)
