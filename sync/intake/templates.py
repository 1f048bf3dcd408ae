"""Write the submission workbooks schools fill in, from the form definitions in rules/data/forms.

One workbook per form set: an instructions sheet (คำชี้แจง) where the school types its code,
then one sheet per form with a Thai title, a locked header row, drop-downs for grades,
categories, KPI codes and choices, locked formula columns, and a hidden ``_esaplan`` sheet (plus
the defined name ``ESAPLAN_FORM_VERSION``) recording the form set, version and round. Sheets are
protected without a password: it stops accidental edits of headers and formulas, not people.

The same writer fills a workbook with values (EMIS enrolment for a school, the demo's data), so
every workbook esaplan produces has one layout.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from rules import kpis
from rules.budget_sources import plan_sources
from rules.forms import Form, FormSet, column_letter, form_version, shown
from rules.grades import all_grades
from rules.kpi import kpi, strategies, strategy_label
from sync.files.printsetup import fit_to_page_width
from sync.intake.reader import INSTRUCTIONS_SHEET, META_SHEET, UNIT_CELL_NAME
from sync.office.identity import DEFAULT_NAME
from sync.office.registry import Unit

HEADER_ROW = 3
TITLE_FONT = Font(name="TH Sarabun New", size=16, bold=True)
HEADER_FONT = Font(name="TH Sarabun New", size=14, bold=True, color="FFFFFF")
BODY_FONT = Font(name="TH Sarabun New", size=14)
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
INPUT_FILL = PatternFill("solid", fgColor="FFF9E5")
LOCKED_FILL = PatternFill("solid", fgColor="EDEDED")
THIN = Side(style="thin", color="A6A6A6")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
UNLOCKED = Protection(locked=False)
LISTS_SHEET = "_lists"
ROUND_TH = {6: "รอบ 6 เดือน", 9: "รอบ 9 เดือน", 12: "รอบ 12 เดือน"}


def write_template(
    form_set: FormSet,
    path: Path,
    *,
    fiscal_year: int,
    round_: int,
    unit: Unit | None = None,
    values: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    office: str = DEFAULT_NAME,
) -> Path:
    """Write ``form_set`` as a workbook at ``path``; ``values`` fills forms by code with rows; ``office``
    is the office's name as its settings give it (``settings.office.name``), under the title."""
    book = Workbook()
    _instructions(book.active, form_set, fiscal_year, round_, unit, office)
    lists = _lists_sheet(book, fiscal_year)
    for form in form_set.forms:
        _form_sheet(book.create_sheet(form.sheet), form, fiscal_year, round_, lists, (values or {}).get(form.code))
    for sheet in book.worksheets:
        fit_to_page_width(sheet)
    meta = book.create_sheet(META_SHEET)
    for row in (
        ("form_set", form_set.code),
        ("form_version", form_version(form_set)),
        ("fiscal_year", fiscal_year),
        ("round", round_),
        ("unit_code", unit.code if unit else ""),
    ):
        meta.append(row)
    meta.sheet_state = "hidden"
    meta.protection.sheet = True
    book.defined_names["ESAPLAN_FORM_VERSION"] = DefinedName("ESAPLAN_FORM_VERSION", attr_text=f"{META_SHEET}!$B$2")
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _instructions(sheet: Any, form_set: FormSet, fiscal_year: int, round_: int, unit: Unit | None, office: str) -> None:
    sheet.title = INSTRUCTIONS_SHEET
    sheet.column_dimensions["A"].width = 4
    sheet.column_dimensions["B"].width = 34
    sheet.column_dimensions["C"].width = 60
    title = f"{form_set.th} ปีงบประมาณ {fiscal_year}"
    if not form_set.yearly:  # a yearly set (the plan, the register) has no round
        title += f" {ROUND_TH.get(round_, f'รอบ {round_} เดือน')}"
    sheet["B2"] = title
    sheet["B2"].font = TITLE_FONT
    sheet["B3"] = f"กลุ่มนโยบายและแผน {office}"
    sheet["B3"].font = BODY_FONT
    label = "รหัสโรงเรียน (SMIS 8 หลัก)" if form_set.submitted_by == "school" else "รหัสกลุ่มงาน"
    for cell, text in (("B5", label), ("B6", "ชื่อหน่วยงาน")):
        sheet[cell] = text
        sheet[cell].font = Font(name="TH Sarabun New", size=14, bold=True)
    code_cell = sheet[UNIT_CELL_NAME]
    code_cell.value = unit.code if unit else None
    code_cell.number_format = "@"
    sheet["C6"] = unit.name_th if unit else None
    for cell in (code_cell, sheet["C6"]):
        cell.fill, cell.border, cell.protection, cell.font = INPUT_FILL, BORDER, UNLOCKED, BODY_FONT
    steps = [
        "วิธีกรอก",
        f"1. กรอกรหัสในช่อง {UNIT_CELL_NAME} (ช่องสีเหลือง) และกรอกข้อมูลเฉพาะช่องสีเหลืองในแต่ละแผ่นงาน",
        "2. อย่าเปลี่ยนชื่อแผ่นงานและหัวตาราง ช่องสีเทาคำนวณให้อัตโนมัติ",
        "3. พิมพ์ตัวเลขไทย (๑๒๓) หรือมีจุลภาค (1,234) ได้ ระบบอ่านให้",
        "4. บันทึกเป็น .xlsx (Excel Workbook) ห้ามตั้งรหัสผ่าน แล้วส่งตามช่องทางที่สำนักงานเขตกำหนด",
        "",
        "แผ่นงานในไฟล์นี้",
        *(f"- {form.sheet}: {form.description}" for form in form_set.forms),
    ]
    for offset, text in enumerate(steps):
        row = 8 + offset
        cell = sheet.cell(row=row, column=2, value=text)
        cell.font = Font(name="TH Sarabun New", size=14, bold=offset in (0, 6))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.merge_cells(start_row=row, start_column=2, end_row=row, end_column=3)
        sheet.row_dimensions[row].height = 21 * max(1, -(-len(text) // 80))  # ~80 Thai characters fit B:C
    sheet["B2"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge_cells("B2:C2")
    sheet.row_dimensions[2].height = 42
    sheet.protection.sheet = True


def _lists_sheet(book: Workbook, fiscal_year: int) -> dict[str, str]:
    """A hidden sheet of drop-down lists (KPIs and strategies of the plan in force that year); returns list name -> range formula."""
    sheet = book.create_sheet(LISTS_SHEET)
    columns = {
        "grade": [g.th for g in all_grades()],
        "category": ["งบบุคลากร", "งบดำเนินงาน", "งบลงทุน", "งบเงินอุดหนุน", "งบรายจ่ายอื่น"],
        "kpi": [k.code for k in kpis(reported_by="school", fiscal_year=fiscal_year)],
        "yesno": ["ใช่", "ไม่ใช่"],
        "strategy": [strategy_label(n, fiscal_year) for n in strategies(fiscal_year)],
        "source": [s.th for s in plan_sources()],
    }
    ranges = {}
    for index, (name, items) in enumerate(columns.items()):
        letter = column_letter(index)
        for row, item in enumerate(items, start=1):
            sheet.cell(row=row, column=index + 1, value=item)
        ranges[name] = f"{LISTS_SHEET}!${letter}$1:${letter}${len(items)}"  # OOXML stores list sources without "="
    sheet.sheet_state = "hidden"
    return ranges


def _prefill_rows(form: Form, fiscal_year: int) -> list[dict[str, Any]]:
    spec = form.prefill or {}
    if "grades" in spec:
        labels = {g.code: g.th for g in all_grades()}
        return [{spec["column"]: labels[code]} for code in spec["grades"]]
    if spec.get("kpis"):
        return [{spec["column"]: k.code} for k in kpis(reported_by=spec["kpis"], fiscal_year=fiscal_year)]
    return []


def _form_sheet(
    sheet: Any,
    form: Form,
    fiscal_year: int,
    round_: int,
    lists: Mapping[str, str],
    values: Sequence[Mapping[str, Any]] | None,
) -> None:
    columns = form.columns
    sheet["A1"] = f"{form.title_th}"
    sheet["A1"].font = TITLE_FONT
    sheet["A2"] = f"ปีงบประมาณ {fiscal_year} {ROUND_TH.get(round_, '')}  (กรอกเฉพาะช่องสีเหลือง)"
    sheet["A2"].font = BODY_FONT
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=index, value=column.th)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[column_letter(index - 1)].width = (
            60 if column.lookup else max(14, min(40, len(column.th) + 6))
        )
    rows = list(values) if values is not None else _prefill_rows(form, fiscal_year)
    count = max(len(rows), form.blank_rows, 1) + (5 if form.blank_rows else 0)
    first = HEADER_ROW + 1
    letters = {column.key: column_letter(i) for i, column in enumerate(columns)}
    for offset in range(count):
        r = first + offset
        data = rows[offset] if offset < len(rows) else {}
        for index, column in enumerate(columns, start=1):
            cell = sheet.cell(row=r, column=index)
            cell.border, cell.font = BORDER, BODY_FONT
            if column.formula:
                cell.value = "=" + _excel_formula(column.formula, letters, r)
                cell.fill = LOCKED_FILL
                cell.number_format = "#,##0.00" if any(c.type == "money" for c in columns) else "#,##0"
            elif column.lookup == "kpi_name":
                code = data.get("kpi")
                cell.value = _kpi_name(code, fiscal_year)
                cell.fill = LOCKED_FILL
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            else:
                cell.value = shown(
                    column, data.get(column.key), fiscal_year
                )  # pre-filled values in Thai, as a school would type them
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # data is never a formula
                cell.fill, cell.protection = INPUT_FILL, UNLOCKED
                if column.type == "money":
                    cell.number_format = "#,##0.00"
    last = first + count - 1
    for column in columns:
        if not column.is_input:
            continue
        source = (
            lists.get(column.type)
            if column.type in lists
            else (f'"{",".join(column.choices)}"' if column.type == "choice" else None)
        )
        if source:
            rule = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=False)
            rule.add(f"{letters[column.key]}{first}:{letters[column.key]}{last}")
            sheet.add_data_validation(rule)
    sheet.freeze_panes = sheet.cell(row=first, column=1)
    sheet.protection.sheet = True
    sheet.protection.insertRows = False
    sheet.protection.formatColumns = False


def _excel_formula(expression: str, letters: Mapping[str, str], row: int) -> str:
    """Translate a form expression over column keys to an Excel formula for one row."""
    return re.sub(
        r"[A-Za-z_][A-Za-z0-9_]*",
        lambda m: f"N({letters[m.group(0)]}{row})" if m.group(0) in letters else m.group(0),
        expression,
    )


def _kpi_name(code: Any, fiscal_year: int) -> str | None:
    if not code:
        return None
    return kpi(str(code), fiscal_year=fiscal_year).name_th
