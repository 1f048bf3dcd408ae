"""esaplan.xlsm: the workbook a staff member opens in Excel desktop to get the ESA_* formulas and
the three macros, with nothing to type into code and no Trust Center setting to change.

It carries xlwings' own standalone VBA project (taken from the installed xlwings, so the VBA and
the PC's Python side are the same version; it needs no xlwings add-in) less the quickstart's sample
``Module1``, plus esaplan's own module of formula and button wrappers (:mod:`addin.excel_vba`,
written with pyOpenVBA, so the formulas compute on first open and fail with Excel's own error
values); a ``xlwings.conf`` sheet naming the UDF module and this PC's Python; a Thai start sheet
with the steps and buttons; and a sheet of worked examples from the formula registry (each with
the answer it should give).

Written with XlsxWriter, the one library that writes form-control buttons bound to macros and
keeps a VBA project (openpyxl drops buttons); pyOpenVBA then edits the project's modules, which
XlsxWriter only carries as a whole.
"""

from __future__ import annotations

import io
import sys
import tempfile
import zipfile
from importlib.resources import files
from pathlib import Path
from typing import Any

import xlsxwriter
from pyopenvba import ExcelFile
from xlsxwriter.utility import xl_rowcol_to_cell

from addin.excel_vba import MACROS, MODULE, WHY, on_open, vba_module
from addin.registry import FORMULAS

START, EXAMPLES, CONF = "เริ่มต้น", "ตัวอย่างสูตร", "xlwings.conf"
STEP_WIDTH = 72  # characters; Thai marks take no width of their own, so this errs towards room
LINE_HEIGHT = 19
#: (caption, macro): the macros of addin.xlwings_udfs, wrapped in esaplan's VBA module.
BUTTONS = tuple(
    zip(
        ("รวมข้อมูลเดี๋ยวนี้ (Consolidate now)", "ตรวจแผ่นงานนี้ (Validate this sheet)", "ทะเบียนจัดสรร (Allocation register)"),
        MACROS,
        strict=True,
    )
)
LEFTOVER = "Module1"  # xlwings' quickstart sample (SampleCall), not esaplan's
STEPS_TH = (
    "สูตร esaplan ใน Excel (Windows): ใช้ได้ทันทีที่เปิดไฟล์นี้",
    '1. กด "เปิดใช้งานเนื้อหา" (Enable Content) ที่แถบสีเหลืองด้านบน',
    "   ถ้าไม่มีแถบ: ปิดไฟล์ คลิกขวาที่ไฟล์ > Properties > ติ๊ก Unblock แล้วเปิดใหม่ (ไฟล์ที่ดาวน์โหลดมาถูกกันแมโครไว้)",
    '2. ดูแผ่นงาน "ตัวอย่างสูตร": ผลจริงต้องตรงกับผลที่ควรได้ (ถ้ายังว่างหรือขึ้น #N/A waiting... รอสักครู่ หรือกด Ctrl+Alt+F9)',
    "3. สูตรที่คำนวณไม่ได้ขึ้น #VALUE! #N/A #DIV/0! หรือ #NUM! เหมือนสูตรของ Excel (ใช้ IFERROR ได้)"
    f" ดูเหตุผลเป็นภาษาไทยด้วย ={WHY}(ช่องนั้น) เช่น ={WHY}(E5)",
    "4. ทำงานในไฟล์นี้ (บันทึกเป็นชื่ออื่นได้ แต่ต้องเป็น .xlsm) หรือเปิดไฟล์นี้ค้างไว้แล้วพิมพ์ =esaplan.xlsm!ESA_... ในไฟล์อื่น",
    "ที่อยู่ระบบและรหัสเชื่อมต่อตั้งไว้แล้วโดยคำสั่ง esaplan excel setup (ค่า ESAPLAN_URL และ ESAPLAN_TOKEN ของผู้ใช้ Windows)",
    "ใช้ไม่ได้กับ Office ที่ติดตั้งจาก Microsoft Store: ใช้ Office ที่ติดตั้งจาก office.com หรือของหน่วยงาน",
    "Excel 2016/2019 (ไม่มีการแสดงผลหลายเซลล์อัตโนมัติ): ตั้งค่า ESAPLAN_LEGACY_ARRAYS=1 แล้วเปิด Excel ใหม่",
)


def xlwings_vba_project() -> bytes:
    """The VBA project of xlwings' standalone quickstart workbook, from the installed xlwings."""
    template = files("xlwings").joinpath("quickstart_standalone.xlsm").read_bytes()
    with zipfile.ZipFile(io.BytesIO(template)) as archive:
        return archive.read("xl/vbaProject.bin")


def pythonw(executable: str = sys.executable) -> str:
    """The windowless interpreter next to this Python (what xlwings runs UDFs with on Windows)."""
    path = Path(executable)
    return str(path.with_name("pythonw.exe")) if path.name.lower() == "python.exe" else str(path)


def esaplan_xlsm(interpreter: str | None = None) -> bytes:
    """The workbook's bytes; ``interpreter`` is the Python the PC runs esaplan with."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    book.add_vba_project(io.BytesIO(xlwings_vba_project()), is_stream=True)
    book.set_vba_name("ThisWorkbook")
    title = book.add_format({"bold": True, "font_size": 16, "font_color": "#1F4E79"})
    header = book.add_format(
        {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E79", "text_wrap": True, "valign": "vcenter"}
    )
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    code = book.add_format({"font_name": "Consolas", "valign": "top", "text_wrap": True})

    start = book.add_worksheet(START)
    start.set_vba_name("Sheet1")
    start.set_column("A:A", STEP_WIDTH)
    start.write("A1", STEPS_TH[0], title)
    for row, line in enumerate(STEPS_TH[1:], start=2):
        start.write(row, 0, line, wrap)
        start.set_row(
            row, LINE_HEIGHT * -(-len(line) // STEP_WIDTH)
        )  # wrapped lines need their height set (LibreOffice does not fit it)
    for index, (caption, macro) in enumerate(BUTTONS):
        start.insert_button(1 + index * 3, 2, {"macro": macro, "caption": caption, "width": 300, "height": 44})
    start.set_column("C:C", 44)
    start.set_landscape()
    start.fit_to_pages(1, 0)
    start.activate()

    examples = book.add_worksheet(EXAMPLES)
    examples.set_vba_name("Sheet2")
    _examples(examples, header, wrap, code)

    conf = book.add_worksheet(CONF)  # read by xlwings' VBA in place of %USERPROFILE%\.xlwings\xlwings.conf
    for row, (key, value) in enumerate(
        (
            ("UDF Modules", "addin.xlwings_udfs"),
            ("Interpreter_Win", interpreter or pythonw()),
            ("Use UDF Server", "True"),
        )
    ):
        conf.write_string(row, 0, key)
        conf.write_string(row, 1, value)
    conf.set_column("A:B", 40)
    book.close()
    return _with_esaplan_module(out.getvalue())


def _with_esaplan_module(content: bytes) -> bytes:
    """The workbook with xlwings' sample module out and esaplan's formula module in (pyOpenVBA edits files)."""
    with tempfile.TemporaryDirectory(prefix="esaplan-xlsm-") as folder:
        written, edited = Path(folder) / "written.xlsm", Path(folder) / "edited.xlsm"
        written.write_bytes(content)
        with ExcelFile(written) as workbook:
            project = workbook.vba_project()
            project.delete_module(LEFTOVER)
            project.add_module(MODULE, vba_module())
            workbook.set_module("ThisWorkbook", on_open(workbook.get_module("ThisWorkbook")))
            workbook.save(edited)
        return edited.read_bytes()


def _examples(sheet: Any, header: Any, wrap: Any, code: Any) -> None:
    """One line per formula: what it does, the example as typed, the answer it should give, and the
    live formula; a range argument's cells are written to the right (from column H) and referenced."""
    sheet.write_row(0, 0, ["สูตร", "ใช้ทำอะไร", "ตัวอย่าง (พิมพ์แบบนี้)", "ผลที่ควรได้", "ผลจริง"], header)
    sheet.set_column("A:A", 20)
    sheet.set_column("B:B", 46)
    sheet.set_column("C:C", 46)
    sheet.set_column("D:E", 22)
    row, data_row = 1, 1
    for entry in FORMULAS.values():
        args, expected = entry.example
        texts = []
        for value in args:
            if isinstance(value, list):
                cells = value if isinstance(value[0], list) else [[v] for v in value]
                for r, line in enumerate(cells):
                    sheet.write_row(data_row + r, 7, ["" if v is None else v for v in line])
                texts.append(
                    f"{xl_rowcol_to_cell(data_row, 7)}:{xl_rowcol_to_cell(data_row + len(cells) - 1, 7 + max(map(len, cells)) - 1)}"
                )
                data_row += len(cells) + 1
            else:
                texts.append(_literal(value))
        formula = f"={entry.name}({', '.join(texts)})"
        sheet.set_row(row, LINE_HEIGHT * max(-(-len(entry.th) // 46), -(-len(formula) // 46)))
        sheet.write(row, 0, entry.name, code)
        sheet.write(row, 1, entry.th, wrap)
        sheet.write_string(row, 2, formula, code)
        sheet.write(row, 3, _shown(expected), wrap)
        if entry.spills:
            sheet.write_dynamic_array_formula(row, 4, row, 4, formula)
        else:
            sheet.write_formula(row, 4, formula)
        row += len(expected) if isinstance(expected, list) else 4 if entry.spills else 1  # room for the spill
    sheet.freeze_panes(1, 0)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)


def _literal(value: Any) -> str:
    """A scalar as typed in a formula: text quoted (quotes doubled), numbers as they are, blank empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    return str(value)


def _shown(expected: Any) -> str:
    """The example's answer as a person reads it (a spilled range: its first rows)."""
    if expected is None:
        return "(ตาราง: ดูผลจริง)"
    if isinstance(expected, list):
        rows = [r if isinstance(r, list) else [r] for r in expected]
        return "; ".join(", ".join("" if v is None else str(v) for v in r) for r in rows[:4])
    return str(expected)
