"""Give each school its own workbook back, marked: the inbox channel's way of telling a school what is wrong.

Schools on the web page see their problems on upload, schools on Google Sheets in their sheet;
a school that e-mailed or LINE-d a file to the office gets, from ``esaplan feedback``, a copy of
that very file with every problem cell coloured (red error, yellow warning, blue note) and a Thai
comment on it, and a first sheet **ผลการตรวจสอบ** that lists every problem with its sheet and
cell, ready for staff to send back. A file that could not be opened (a PDF, a macro workbook) gets
a workbook with that sheet alone. The copies go to ``feedback/FY<year>-R<round>/``; the file the
school sent stays untouched in the store.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from pythainlp.util import thai_strftime

from rules.forms import row_of

from .atomic import save_workbook
from .consolidate import GSHEETS, stored_name
from .ledger import Ledger, Submission
from .master import MasterData
from .registry import Unit, load_registry
from .settings import BANGKOK, Settings
from .status import SEVERITY_COLOUR, SEVERITY_ORDER, SEVERITY_TH

SUMMARY_SHEET = "ผลการตรวจสอบ"
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


@dataclass(frozen=True)
class Written:
    """One feedback workbook: whose, where, and how many problems of each kind it marks."""

    unit: Unit
    path: Path
    errors: int
    warnings: int
    notes: int
    marked_in_file: bool  # False when the sent file could not be opened and only the summary was written


def write_feedback(settings: Settings, ledger: Ledger, *, units: set[str] | None = None, include_clean: bool = False) -> list[Written]:
    """Write the feedback workbooks of the round for the units' latest files (errors first in the list).

    Only units with something to say are written unless ``include_clean``; Google Sheets
    schools are skipped (their sheet already shows their problems).
    """
    registry = load_registry(settings.registry_path)
    data = MasterData.collect(settings, ledger, registry, [])
    folder = settings.home / "feedback" / f"FY{settings.fiscal_year}-R{settings.round}"
    written = []
    for (code, _), submission in sorted(data.latest.items()):
        unit = registry.get(code)
        issues = sorted(data.issues.get(submission.id, []), key=lambda i: SEVERITY_ORDER[i["severity"]])
        if unit is None or submission.source == GSHEETS or (units and code not in units) or (not issues and not include_clean):
            continue
        content = (settings.store / stored_name(submission.sha256, submission.source)).read_bytes()
        book, marked = _open(content)
        if marked:
            _mark_cells(book, issues)
        _summary_sheet(book, settings, unit, submission, issues)
        path = folder / f"{unit.code}-{_UNSAFE.sub('-', unit.name_th).strip('-')}-ผลการตรวจสอบ.xlsx"
        save_workbook(book, path)
        counts = {severity: sum(1 for i in issues if i["severity"] == severity) for severity in SEVERITY_COLOUR}
        written.append(Written(unit, path, counts["error"], counts["warning"], counts["info"], marked))
    return sorted(written, key=lambda w: (w.errors == 0, w.unit.code))


def _open(content: bytes) -> tuple[Workbook, bool]:
    """The school's workbook, or a new one when it cannot be opened (its problem is then the file itself)."""
    try:
        return load_workbook(io.BytesIO(content)), True
    except Exception:  # not an xlsx, encrypted, damaged: the summary sheet says what is wrong
        book = Workbook()
        book.remove(book.active)
        return book, False


def _mark_cells(book: Workbook, issues: list[dict[str, Any]]) -> None:
    """Colour each problem cell by its worst severity and comment it with every message about it."""
    by_cell: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for issue in issues:
        if issue["sheet"] in book.sheetnames and row_of(issue["cell"]):
            by_cell.setdefault((issue["sheet"], issue["cell"]), []).append(issue)
    for (sheet, address), found in by_cell.items():
        cell = book[sheet][address]
        cell.fill = PatternFill("solid", fgColor=SEVERITY_COLOUR[found[0]["severity"]])  # issues come sorted, the worst first
        text = "\n".join(f"{SEVERITY_TH[i['severity']]}: {i['message_th']}" for i in found)
        cell.comment = Comment(text, "สพป. (esaplan)", width=320, height=max(80, 40 * len(found)))


def _summary_sheet(book: Workbook, settings: Settings, unit: Unit, submission: Submission, issues: list[dict[str, Any]]) -> None:
    """The first sheet: who, which round and version, the counts, then one line per problem."""
    if SUMMARY_SHEET in book.sheetnames:
        del book[SUMMARY_SHEET]
    sheet = book.create_sheet(SUMMARY_SHEET, 0)
    errors = sum(1 for i in issues if i["severity"] == "error")
    sent = thai_strftime(submission.submitted_at.astimezone(BANGKOK), "%-d %b %Y %H:%M น.")
    verdict = f"พบข้อผิดพลาด {errors} รายการ: แก้ไขตามรายการด้านล่าง (ช่องสีแดงในแผ่นงาน) แล้วส่งไฟล์อีกครั้ง" if errors else "ไม่พบข้อผิดพลาด ข้อมูลนำไปรวมแล้ว"
    lines = [
        [f"ผลการตรวจสอบข้อมูล {unit.name_th} (รหัส {unit.code})"],
        [f"ปีงบประมาณ {settings.fiscal_year} รอบ {settings.round} เดือน · ไฟล์ที่ส่ง: {submission.original_name} (ฉบับที่ {submission.version} ส่งเมื่อ {sent})"],
        [verdict],
        ["ช่องสีแดง = ข้อผิดพลาด (ข้อมูลแถวนั้นไม่นำไปรวม) · สีเหลือง = คำเตือน · สีฟ้า = ข้อสังเกต (ระบบอ่านให้แล้ว) · ชี้ที่ช่องเพื่ออ่านคำอธิบาย"],
        [],
        ["ระดับ", "แผ่นงาน", "เซลล์", "รายละเอียด", "ค่าที่พบ"],
    ]
    lines += [[SEVERITY_TH[i["severity"]], i["sheet"], i["cell"], i["message_th"], i["value"]] for i in issues]
    for values in lines:
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                cell.data_type = "s"  # a school's value that looks like a formula stays text
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A3"].font = Font(bold=True, color="9C0006" if errors else "006100")
    for cell in sheet[6]:
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F4E79")
    for row in sheet.iter_rows(min_row=7):
        row[0].fill = PatternFill("solid", fgColor=SEVERITY_COLOUR[next(k for k, v in SEVERITY_TH.items() if v == row[0].value)])
        row[3].alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDE", (12, 20, 8, 80, 20), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.print_title_rows = "6:6"
    book.active = 0
    for other in book.worksheets[1:]:
        other.sheet_view.tabSelected = False


