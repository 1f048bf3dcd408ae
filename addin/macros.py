"""What the three macros do, independent of the spreadsheet they run in.

Each surface (xlwings, the Office.js taskpane, Apps Script) only reads the sheet, calls one of
these (directly or through the JSON API) and writes the answer back:

- *Validate this sheet* (ตรวจแผ่นงานนี้): find the form by the sheet's name, check it as the
  consolidation would, and return one Thai message per row, to write next to the data.
- *Allocation register* (ทะเบียนจัดสรร): names and weights plus a total -> a table with the
  exact amounts, a total row and the total in Thai words.
- *Consolidate now* (รวมข้อมูลเดี๋ยวนี้) is the API's ``/api/consolidate``, followed through
  ``/api/jobs/<id>/summary`` when the run outlasts the API's 50-second answer.
"""

from __future__ import annotations

from typing import Any

from rules import allocate, baht_text
from rules.forms import forms, read_sheet, row_of
from rules.money import to_decimal

from .registry import blank_to_none, flat, to_cells

SEVERITY_TH = {"error": "ผิด", "warning": "เตือน", "info": "หมายเหตุ"}


def validate_grid(sheet_name: str, grid: list[list[Any]], unit_code: str = "-") -> dict[str, Any]:
    """Check a sheet's values against the form of the same name; messages keyed by row number."""
    form = next((f for f in forms().values() if f.sheet == sheet_name.strip()), None)
    if form is None:
        names = ", ".join(f.sheet for f in forms().values())
        return {"form": None, "problems": [], "rows": {}, "message": f"แผ่นงาน '{sheet_name}' ไม่ใช่แบบรายงาน (ชื่อที่ใช้ได้: {names})"}
    result = read_sheet(form, [[blank_to_none(v) for v in row] for row in grid], unit_code=unit_code)
    by_row: dict[int, list[str]] = {}
    for problem in result.problems:
        row = row_of(problem.cell)
        if row:
            by_row.setdefault(row, []).append(f"{SEVERITY_TH[problem.severity]} {problem.cell}: {problem.message_th}")
    problems = [{"cell": p.cell, "rule": p.rule, "severity": p.severity, "message_th": p.message_th} for p in result.problems]
    errors = sum(1 for p in result.problems if p.severity == "error")
    return {"form": form.code, "problems": problems, "rows": {str(k): "; ".join(v) for k, v in by_row.items()}, "message": f"ตรวจ {len(result.rows)} แถว พบข้อผิดพลาด {errors} รายการ"}


def allocation_register(names: Any, weights: Any, total: Any, unit: Any = None) -> list[list[Any]]:
    """The allocation register table: header, one row per name, a total row, the total in words."""
    labels, values = flat(names), flat(weights)
    amounts = allocate(total, values, unit=unit if unit not in (None, "") else 1)
    table: list[list[Any]] = [["ลำดับ", "หน่วยรับจัดสรร", "น้ำหนัก", "จำนวนเงิน (บาท)"]]
    table += [[index, label, weight, amount] for index, (label, weight, amount) in enumerate(zip(labels, values, amounts, strict=True), start=1)]
    table.append(["", "รวม", sum(to_decimal(v, "น้ำหนัก") for v in values), sum(amounts)])
    table.append(["", "ตัวอักษร", "", baht_text(sum(amounts))])
    return to_cells(table)
