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

import datetime as dt
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill

from rules.forms import row_of
from rules.thai import thai_time
from sync.files.atomic import save_workbook
from sync.files.printsetup import fit_to_page_width
from sync.files.xmltext import clean_text
from sync.intake.isolation import Failure, Limits, isolated_map
from sync.intake.keep import stored_name
from sync.ledger.records import GSHEETS
from sync.ledger.status import SEVERITY_COLOUR, SEVERITY_ORDER, SEVERITY_TH
from sync.ledger.store import Ledger
from sync.master.data import MasterData
from sync.office.registry import Unit, load_registry
from sync.office.settings import Settings

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


def write_feedback(
    settings: Settings, ledger: Ledger, *, units: set[str] | None = None, include_clean: bool = False
) -> list[Written]:
    """Write the feedback workbooks of the round for the units' latest files (errors first in the list).

    Only units with something to say are written unless ``include_clean``, and units whose
    earlier feedback of the round is in the folder (a school that has fixed everything gets its
    old "พบข้อผิดพลาด" file replaced); Google Sheets schools are skipped (their sheet already shows
    their problems). Each school's file is opened
    and marked in a reading worker (:mod:`sync.intake.isolation`), under the installation's limits, so a
    file that cannot be opened safely gets the summary sheet alone and the other schools theirs.
    """
    registry = load_registry(settings.registry_path)
    data = MasterData.collect(settings, ledger, registry, [])
    folder = settings.home / "feedback" / f"FY{settings.fiscal_year}-R{settings.round}"
    work = []
    for (code, _), submission in sorted(data.latest.items()):
        unit = registry.get(code)
        if unit is None or submission.source == GSHEETS or (units and code not in units):
            continue
        issues = sorted(data.issues.get(submission.id, []), key=lambda i: SEVERITY_ORDER[i["severity"]])
        target = folder / f"{unit.code}-{_UNSAFE.sub('-', unit.name_th).strip('-')}-ผลการตรวจสอบ.xlsx"
        if not issues and not include_clean and not target.exists():
            continue  # nothing to say, and no earlier feedback of the round to replace with "nothing to fix"
        sent = Sent(submission.original_name, submission.version, submission.submitted_at)
        store = settings.store / stored_name(submission.sha256, submission.source)
        openable = not any(
            issue["rule"].startswith("FILE-") for issue in issues
        )  # refused by its content: never opened
        work.append(
            Marking(settings.fiscal_year, settings.round, unit, sent, issues, store if openable else None, target)
        )
    limits = Limits(settings.read_memory_mb, settings.read_seconds)
    marked = isolated_map(mark_file, work, limits, workers=1, on_failure=_summary_only)
    written = []
    for job, in_file in zip(work, marked, strict=True):
        counts = {severity: sum(1 for i in job.issues if i["severity"] == severity) for severity in SEVERITY_COLOUR}
        written.append(Written(job.unit, job.target, counts["error"], counts["warning"], counts["info"], in_file))
    return sorted(written, key=lambda w: (w.errors == 0, w.unit.code))


@dataclass(frozen=True)
class Sent:
    """What the summary sheet says of the version it is about."""

    original_name: str
    version: int
    submitted_at: dt.datetime


@dataclass(frozen=True)
class Marking:
    """One school's feedback workbook to write: from its file (``source``; None: not to be opened) and its issues."""

    fiscal_year: int
    round: int
    unit: Unit
    sent: Sent
    issues: list[dict[str, Any]]
    source: Path | None
    target: Path


def mark_file(job: Marking) -> bool:
    """Write the school's own workbook with its problem cells marked and the summary sheet first (in a
    reading worker); returns whether its file could be opened (else the summary sheet alone is written)."""
    book, marked = _open(job.source.read_bytes()) if job.source is not None else (_empty(), False)
    if marked:
        _clean_cells(book)
        _mark_cells(book, job.issues)
    _summary_sheet(book, job)
    save_workbook(book, job.target)
    return marked


def _summary_only(job: Marking, failure: Failure) -> bool:
    """A school file whose worker gave no answer (too big to open, a fault): the summary sheet alone."""
    return mark_file(replace(job, source=None))


def _open(content: bytes) -> tuple[Workbook, bool]:
    """The school's workbook, or a new one when it cannot be opened (its problem is then the file itself)."""
    try:
        return load_workbook(io.BytesIO(content)), True
    except Exception:  # not an xlsx, encrypted, damaged: the summary sheet says what is wrong
        return _empty(), False


def _empty() -> Workbook:
    book = Workbook()
    book.remove(book.active)
    return book


def _clean_cells(book: Workbook) -> None:
    """The school's text without the characters a workbook cannot carry (the reader noted each such
    cell): openpyxl reads Excel's ``_x001B_`` back as an escape character and then cannot save it."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and (clean := clean_text(cell.value)) is not cell.value:
                    cell.value = clean


def _mark_cells(book: Workbook, issues: list[dict[str, Any]]) -> None:
    """Colour each problem cell by its worst severity and comment it with every message about it; a
    cell inside merged cells is marked at the merge's first cell, the one Excel shows and comments."""
    by_cell: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for issue in issues:
        if issue["sheet"] in book.sheetnames and row_of(issue["cell"]):
            sheet = book[issue["sheet"]]
            by_cell.setdefault((issue["sheet"], _shown_cell(sheet, issue["cell"])), []).append(issue)
    for (sheet, address), found in by_cell.items():
        cell = book[sheet][address]
        cell.fill = PatternFill(
            "solid", fgColor=SEVERITY_COLOUR[found[0]["severity"]]
        )  # issues come sorted, the worst first
        text = clean_text("\n".join(f"{SEVERITY_TH[i['severity']]}: {i['message_th']}" for i in found))
        cell.comment = Comment(text, "สพป. (esaplan)", width=320, height=max(80, 40 * len(found)))


def _shown_cell(sheet: Any, address: str) -> str:
    """The cell Excel shows for ``address``: itself, or the first cell of the merged range it is in."""
    for merged in sheet.merged_cells.ranges:
        if address in merged:
            return merged.start_cell.coordinate
    return address


def _summary_sheet(book: Workbook, job: Marking) -> None:
    """The first sheet: who, which round and version, the counts, then one line per problem."""
    if SUMMARY_SHEET in book.sheetnames:
        del book[SUMMARY_SHEET]
    sheet = book.create_sheet(SUMMARY_SHEET, 0)
    unit, submission, issues = job.unit, job.sent, job.issues
    errors = sum(1 for i in issues if i["severity"] == "error")
    sent = thai_time(submission.submitted_at)
    verdict = (
        f"พบข้อผิดพลาด {errors} รายการ: แก้ไขตามรายการด้านล่าง (ช่องสีแดงในแผ่นงาน) แล้วส่งไฟล์อีกครั้ง"
        if errors
        else "ไม่พบข้อผิดพลาด ข้อมูลนำไปรวมแล้ว"
    )
    lines = [
        [f"ผลการตรวจสอบข้อมูล {unit.name_th} (รหัส {unit.code})"],
        [
            f"ปีงบประมาณ {job.fiscal_year} รอบ {job.round} เดือน · ไฟล์ที่ส่ง: {submission.original_name} (ฉบับที่ {submission.version} ส่งเมื่อ {sent})"
        ],
        [verdict],
        [
            "ช่องสีแดง = ข้อผิดพลาด (ข้อมูลแถวนั้นไม่นำไปรวม) · สีเหลือง = คำเตือน · สีฟ้า = ข้อสังเกต (ระบบอ่านให้แล้ว) · ชี้ที่ช่องเพื่ออ่านคำอธิบาย"
        ],
        [],
        ["ระดับ", "แผ่นงาน", "เซลล์", "รายละเอียด", "ค่าที่พบ"],
    ]
    lines += [[SEVERITY_TH[i["severity"]], i["sheet"], i["cell"], i["message_th"], i["value"]] for i in issues]
    for values in lines:
        sheet.append([clean_text(v) if isinstance(v, str) else v for v in values])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                cell.data_type = "s"  # a school's value that looks like a formula stays text
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A3"].font = Font(bold=True, color="9C0006" if errors else "006100")
    for cell in sheet[6]:
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F4E79")
    for row in sheet.iter_rows(min_row=7):
        row[0].fill = PatternFill(
            "solid", fgColor=SEVERITY_COLOUR[next(k for k, v in SEVERITY_TH.items() if v == row[0].value)]
        )
        row[3].alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDE", (12, 20, 8, 80, 20), strict=True):
        sheet.column_dimensions[letter].width = width
    fit_to_page_width(sheet, landscape=True, title_rows="6:6")
    book.active = 0
    for other in book.worksheets[1:]:
        other.sheet_view.tabSelected = False
