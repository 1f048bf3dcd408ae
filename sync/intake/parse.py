"""Check and validate one submitted file: what reading it finds, with no database and no writes.

This is what a reading worker (:mod:`sync.intake.isolation`) runs, so it imports only the rules, the
reader and the registry. Whatever the file holds, the answer is a version of the round being
consolidated: a file of another round, form set or unit is an error of *this* round, addressed to
the unit that sent it; a file that cannot be read safely is an error of the file
(``FILE-TOO-COMPLEX``, ``FILE-UNREADABLE``, ...), and so is one whose reading failed in its worker
(:func:`failure_problem`: out of memory or time, or a fault of esaplan's own).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from rules import ParseError
from rules.forms import Form, FormSet, Problem, SheetResult, form_sets, form_version, read_sheet
from rules.thai import reporting_round
from sync.intake.gsheets.snapshot import book_from_snapshot
from sync.intake.isolation import Failure
from sync.intake.reader import INSTRUCTIONS_SHEET, UNIT_CELL_NAME, UnreadableWorkbook, Workbook, read_workbook
from sync.intake.safety import check_file
from sync.intake.sheetscan import Reach, SheetTooLarge
from sync.ledger.records import FILE_SHEET, GSHEETS, Incoming, NewVersion
from sync.office.registry import Unit, find_unit, sets_for
from sync.office.settings import Settings

Problems = list[tuple[str | None, Problem]]
CORRUPT_TH = "ไฟล์เสียหาย เปิดไม่ได้: บันทึกใหม่จาก Excel แล้วส่งอีกครั้ง"
UNREADABLE_TH = (
    "ระบบอ่านไฟล์นี้ไม่สำเร็จ ข้อมูลในไฟล์จึงไม่ถูกนำไปรวม: กรอกลงแบบฟอร์มของรอบนี้แล้วส่งอีกครั้ง (ผู้ดูแลระบบดูรายละเอียดใน esaplan-error.log)"
)
MEMORY_TH = (
    "ไฟล์นี้ต้องใช้หน่วยความจำเกิน {mb:,} MB ที่ระบบให้ต่อหนึ่งไฟล์ จึงไม่ได้อ่าน: ลบแผ่นงาน แถว หรือรูปภาพที่ไม่ใช้ออก แล้วบันทึกใหม่และส่งอีกครั้ง"
)
TIME_TH = "อ่านไฟล์นี้นานเกิน {seconds:g} วินาทีที่ระบบให้ต่อหนึ่งไฟล์ จึงหยุดอ่าน: ลบแผ่นงาน แถว หรือรูปภาพที่ไม่ใช้ออก แล้วบันทึกใหม่และส่งอีกครั้ง"
LISTED = 200  # problems of one severity listed for one sheet
MORE_TH = {
    "error": "แผ่นงานนี้มีข้อผิดพลาดอีก {more:,} รายการนอกจาก {shown} รายการที่แสดง จึงไม่นำข้อมูลทั้งแผ่นงานไปรวม: ตรวจว่าวางข้อมูลถูกแผ่นงานและถูกคอลัมน์ แก้ไขแล้วส่งใหม่",
    "warning": "แผ่นงานนี้มีคำเตือนอีก {more:,} รายการนอกจาก {shown} รายการที่แสดง",
    "info": "แผ่นงานนี้มีข้อสังเกตอีก {more:,} รายการนอกจาก {shown} รายการที่แสดง",
}
TOO_FAR_TH = (
    "แผ่นงาน '{sheet}' มีข้อมูลอยู่ที่ช่อง {cell} ซึ่งอยู่นอกขอบเขตที่แบบรายงานใช้ (ไม่เกิน {rows:,} แถว {columns} คอลัมน์) "
    "จึงไม่ได้อ่านไฟล์นี้: กด Ctrl+End ในแผ่นงานนั้นเพื่อไปยังช่องสุดท้าย ลบแถวและคอลัมน์ที่เกินตาราง แล้วบันทึกใหม่และส่งอีกครั้ง"
)


def parse(settings: Settings, registry: dict[str, Unit], item: Incoming) -> NewVersion:
    """Check and validate one file of a unit (in a reading worker)."""
    unit = registry[item.unit_code]
    form_set = sets_for(unit)[0]
    problems: Problems = []
    if item.source == GSHEETS:
        book = book_from_snapshot(item.content)
    else:
        book_or_problem = open_workbook(settings, item.content)
        if isinstance(book_or_problem, Problem):
            return version(settings, item, form_set.code, None, False, {}, [(None, book_or_problem)])
        book = book_or_problem
    form_set, set_ok = _form_set_of(book, unit, problems)
    # A school's Google Sheet is copied once and filled again every round: it is read for the round
    # being consolidated. A file is made for one round, and says which.
    stamp, round_ok = (None, True) if item.source == GSHEETS else _form_round_of(book, settings, problems)
    unit_ok = _unit_of(book, unit, registry, problems, item.source)
    if not book.meta:
        problems.append(
            (
                None,
                Problem(
                    FILE_SHEET,
                    "-",
                    "NOT-TEMPLATE",
                    "warning",
                    "ไฟล์นี้ไม่ได้สร้างจากแบบฟอร์มของ esaplan ตรวจตามชื่อแผ่นงานและหัวตาราง",
                ),
            )
        )
    elif set_ok and book.meta.get("form_version") != form_version(form_set):
        message = "แบบฟอร์มนี้เป็นรุ่นเก่า ระบบตรวจตามหัวตาราง ครั้งต่อไปโปรดใช้แบบฟอร์มรุ่นปัจจุบัน"
        problems.append(
            (None, Problem(FILE_SHEET, "-", "FORM-VERSION", "warning", message, book.meta.get("form_version")))
        )
    forms_by_sheet = {form.sheet: form.code for form in form_set.forms}
    problems.extend((forms_by_sheet.get(p.sheet), p) for p in book.reading_problems())
    on = reporting_round(settings.fiscal_year, settings.round).ends
    data: dict[str, Any] = {}
    for form in form_set.forms:
        grid = book.sheets.get(form.sheet)
        if grid is None:
            problems.append(
                (
                    form.code,
                    Problem(
                        form.sheet,
                        "-",
                        "MISSING-SHEET",
                        "error",
                        f"ไม่พบแผ่นงาน '{form.sheet}' ในไฟล์ (อย่าลบหรือเปลี่ยนชื่อแผ่นงาน)",
                    ),
                )
            )
            continue
        result = read_sheet(
            form,
            grid,
            unit_code=item.unit_code,
            on=on,
            formulas=book.shows_formulas,
            merged=book.merged.get(form.sheet, ()),
        )
        data[form.code], listed = bounded(form, result)
        problems.extend((form.code, p) for p in listed)
        problems.extend((form.code, p) for p in _left_unread(form, book.names, bool(data[form.code])))
    accepted = set_ok and round_ok and unit_ok
    return version(
        settings, item, form_set.code, stamp, accepted, data if accepted else {}, problems, made_at=book.saved_at
    )


#: How programs name a copy of a sheet: Excel "ข้อมูลนักเรียน (2)", LibreOffice "ข้อมูลนักเรียน_2",
#: Google Sheets "สำเนาของ ข้อมูลนักเรียน" (Thai) or "Copy of ข้อมูลนักเรียน".
_COPY = "^(?:สำเนาของ |Copy of ){sheet}$|^{sheet}(?: \\(\\d{{1,2}}\\)|_\\d{{1,2}})$"  # "_2565" is a year, not a copy


def _left_unread(form: Form, names: list[str], has_rows: bool) -> list[Problem]:
    """What a school would not know is left out: a copy of the form's sheet (esaplan reads the sheet of
    the form's own name only) - an error when the form's sheet itself is empty, the data most likely
    typed in the copy - and a form sheet with no rows where the form says it should have some."""
    copy = re.compile(_COPY.format(sheet=re.escape(form.sheet)))
    said = []
    for name in (n for n in names if copy.match(n)):
        if has_rows:
            message = f"แผ่นงาน '{name}' เป็นสำเนาของ '{form.sheet}' ระบบอ่านเฉพาะแผ่นงาน '{form.sheet}': ข้อมูลในสำเนาไม่ถูกนำไปรวม (ลบสำเนาได้)"
            said.append(Problem(name, "-", "COPIED-SHEET", "warning", message))
        else:
            message = (
                f"ข้อมูลอยู่ในแผ่นงาน '{name}' แต่ระบบอ่านเฉพาะแผ่นงาน '{form.sheet}' ซึ่งว่างอยู่ จึงยังไม่ได้นำไปรวม: "
                f"ย้ายข้อมูลไปไว้ที่แผ่นงาน '{form.sheet}' (หรือลบแผ่นงาน '{form.sheet}' แล้วเปลี่ยนชื่อ '{name}' เป็น '{form.sheet}') แล้วส่งใหม่"
            )
            said.append(Problem(name, "-", "COPIED-SHEET", "error", message))
    if not has_rows and form.empty and not said:
        message = f"แผ่นงาน '{form.sheet}' ยังไม่มีข้อมูล ({form.title_th}): กรอกแล้วส่งใหม่"
        said.append(Problem(form.sheet, "-", "EMPTY-SHEET", form.empty, message))
    return said


def bounded(form: Form, result: SheetResult) -> tuple[list[dict[str, Any]], list[Problem]]:
    """A sheet's rows and problems, each severity listed up to :data:`LISTED`: a sheet pasted full
    of something else (thousands of rows, each wrong) is said once, not 100,000 times in the
    master, the ledger and the school's feedback. Past :data:`LISTED` errors the whole sheet is
    left out (an error of the sheet, not of a row) and its rows are not kept."""
    by_severity: dict[str, list[Problem]] = {}
    for problem in result.problems:
        by_severity.setdefault(problem.severity, []).append(problem)
    listed, rows = [], result.rows
    for severity, found in by_severity.items():
        listed += found[:LISTED]
        if len(found) > LISTED:
            listed.append(
                Problem(
                    form.sheet,
                    "-",
                    "TOO-MANY-PROBLEMS",
                    severity,
                    MORE_TH[severity].format(more=len(found) - LISTED, shown=LISTED),
                )
            )
            rows = [] if severity == "error" else rows
    return rows, listed


def open_workbook(settings: Settings, content: bytes) -> Workbook | Problem:
    """A submitted xlsx read safely, or the one problem that stops it being read (refused by its
    content, damaged, or data beyond what a form can need)."""
    rejection = check_file(content, max_bytes=settings.max_file_mb * 1024 * 1024)
    if rejection is not None:
        return Problem(FILE_SHEET, "-", rejection.rule, "error", rejection.message_th)
    try:
        return read_workbook(content, Reach(settings.max_rows, settings.max_columns))
    except UnreadableWorkbook:
        return Problem(FILE_SHEET, "-", "FILE-CORRUPT", "error", CORRUPT_TH)
    except SheetTooLarge as far:
        message = TOO_FAR_TH.format(sheet=far.sheet, cell=far.cell, rows=far.reach.rows, columns=far.reach.columns)
        return Problem(far.sheet, far.cell, "FILE-TOO-COMPLEX", "error", message)


def failure_problem(settings: Settings, failure: Failure) -> Problem:
    """The problem of a file whose reading failed in its worker: out of memory or time, or a fault of esaplan's own."""
    if failure.reason == "memory":
        return Problem(FILE_SHEET, "-", "FILE-TOO-COMPLEX", "error", MEMORY_TH.format(mb=settings.read_memory_mb))
    if failure.reason == "time":
        return Problem(FILE_SHEET, "-", "FILE-TOO-COMPLEX", "error", TIME_TH.format(seconds=settings.read_seconds))
    return Problem(FILE_SHEET, "-", "FILE-UNREADABLE", "error", UNREADABLE_TH)


def failed(settings: Settings, registry: dict[str, Unit], item: Incoming, failure: Failure) -> NewVersion:
    """The version of a unit's file whose reading failed in its worker."""
    return version(
        settings,
        item,
        sets_for(registry[item.unit_code])[0].code,
        None,
        False,
        {},
        [(None, failure_problem(settings, failure))],
    )


def _form_set_of(book: Workbook, unit: Unit, problems: Problems) -> tuple[FormSet, bool]:
    """The unit's form set the file is read as, and whether the file's own form is one of the unit's."""
    own = sets_for(unit)
    named = book.meta.get("form_set", "")
    found = form_sets().get(named)
    if not named or found in own:
        return (found or own[0]), True
    what = found.th if found else f"แบบ '{named}' ที่ระบบไม่รู้จัก"
    message = f"ไฟล์นี้เป็น{what} ไม่ใช่{own[0].th}: ดาวน์โหลด{own[0].th}ของรอบนี้แล้วกรอกใหม่ ข้อมูลในไฟล์นี้ไม่ถูกนำไปรวม"
    problems.append((None, Problem(FILE_SHEET, "-", "WRONG-FORM-SET", "error", message, named)))
    return own[0], False


def _form_round_of(book: Workbook, settings: Settings, problems: Problems) -> tuple[tuple[int, int] | None, bool]:
    """The round the file's form was written for (when it names a valid one) and whether it is this round.

    A form of another round, or with a year that is not a BE fiscal year (2026), is an error of
    this round, addressed to the school: its data is not counted here, and never filed elsewhere.
    """
    if "fiscal_year" not in book.meta and "round" not in book.meta:
        return None, True  # not an esaplan template: read for this round by its headers
    this = f"ปีงบประมาณ {settings.fiscal_year} รอบ {settings.round} เดือน"
    try:
        named = reporting_round(book.meta.get("fiscal_year"), book.meta.get("round"))
    except ParseError as exc:
        message = f"ปีหรือรอบในแบบฟอร์มไม่ถูกต้อง ({exc.message_th}): กรุณาใช้แบบของรอบนี้ ({this}) ข้อมูลในไฟล์นี้ไม่ถูกนำไปรวม"
        problems.append(
            (
                None,
                Problem(
                    FILE_SHEET,
                    "-",
                    "FORM-ROUND",
                    "error",
                    message,
                    f"{book.meta.get('fiscal_year')}/{book.meta.get('round')}",
                ),
            )
        )
        return None, False
    stamp = (named.fiscal_year, named.months)
    if stamp == (settings.fiscal_year, settings.round):
        return stamp, True
    message = f"ส่งแบบของปีงบประมาณ {named.fiscal_year} รอบ {named.months} เดือน: กรุณาใช้แบบของรอบนี้ ({this}) ข้อมูลในไฟล์นี้ไม่ถูกนำไปรวม"
    problems.append(
        (None, Problem(FILE_SHEET, "-", "WRONG-ROUND", "error", message, f"{named.fiscal_year}/{named.months}"))
    )
    return stamp, False


def _unit_of(book: Workbook, unit: Unit, registry: dict[str, Unit], problems: Problems, source: str) -> bool:
    """Whether the code typed in the file (or written in its form) names the unit that sent it. A
    file in the inbox naming another registered unit may be that unit's, dropped in the wrong
    folder: the message says where it goes (it is never counted for either until it is there)."""
    claimed = book.typed_unit or book.meta.get("unit_code", "")
    if not claimed:
        problems.append(
            (
                None,
                Problem(
                    INSTRUCTIONS_SHEET, UNIT_CELL_NAME, "NO-UNIT", "warning", "ไม่ได้กรอกรหัสหน่วยงาน ใช้รหัสจากช่องทางที่ส่งแทน"
                ),
            )
        )
        return True
    named = find_unit(claimed, registry)
    if named is not None and named.code == unit.code:
        return True
    who = f"{named.code} ({named.name_th})" if named else claimed
    message = f"รหัสในไฟล์ {who} ไม่ตรงกับผู้ส่ง {unit.code} ({unit.name_th}): แก้รหัสในช่อง {UNIT_CELL_NAME} ให้ถูกต้อง"
    if named is not None and source == "inbox":
        message += f" หรือถ้าเป็นไฟล์ของ {named.code} ที่วางผิดโฟลเดอร์ ให้ย้ายไปไว้ที่ inbox/{named.code}/ (ข้อมูลที่ {unit.code} ส่งไว้ก่อนยังนำไปรวมตามเดิม)"
    problems.append((None, Problem(INSTRUCTIONS_SHEET, UNIT_CELL_NAME, "WRONG-UNIT", "error", message, claimed)))
    return False


def version(
    settings: Settings,
    item: Incoming,
    form_set: str,
    stamp: tuple[int, int] | None,
    accepted: bool,
    data: dict[str, Any],
    problems: Problems,
    made_at: dt.datetime | None = None,
) -> NewVersion:
    """Every version is recorded in the round being consolidated; ``stamp`` is the round its form
    names, ``made_at`` when the school saved the file (the workbook's own time)."""
    return NewVersion(
        item.unit_code,
        form_set,
        settings.fiscal_year,
        settings.round,
        item.sha256,
        item.source,
        item.name,
        item.submitted_at,
        accepted,
        data,
        problems,
        stamp,
        made_at,
    )
