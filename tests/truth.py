"""Schools built from a truth table, workbooks made from it the ways people make them, and a catalogue
of the mistakes people make, each saying what must happen to the truth.

The oracle of tests/test_values.py: the master's totals must equal sums taken here, from the truth
the workbooks were made from, with each mistake's declared outcome applied (a refused row, line or
file counts nothing; a misplaced file counts for nobody; a later refused file leaves the earlier one
counting) - never a recomputation from what esaplan read and stored.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from openpyxl import Workbook, load_workbook

from tests import hostile
from tests.hand_area import HandArea

GRADE_ROWS = {
    grade: 4 + index
    for index, grade in enumerate(["อ.1", "อ.2", "อ.3", "ป.1", "ป.2", "ป.3", "ป.4", "ป.5", "ป.6", "ม.1", "ม.2", "ม.3"])
}
ENROLMENT, BUDGET = "ข้อมูลนักเรียน", "การใช้งบประมาณ"


@dataclass(frozen=True)
class Grade:
    """One grade of a school as it is: its pupils and the rooms it holds; ``shares`` names the grade
    whose room it sits in (a multi-grade room, counted once)."""

    name: str
    boys: int
    girls: int
    rooms: int
    shares: str | None = None


@dataclass(frozen=True)
class Line:
    """One budget line as the school received and spent it."""

    name: str
    category: str
    allocated: int
    committed: int
    disbursed: int


@dataclass(frozen=True)
class School:
    code: str
    district: str
    grades: tuple[Grade, ...]
    lines: tuple[Line, ...] = ()


def type_in(area: HandArea, template: Path, school: School, target: Path, *, code: str | None = None) -> Path:
    """The school opens the template and types its truth, cell by cell, as a person does."""
    book = load_workbook(template)
    book["คำชี้แจง"]["C5"] = code or school.code
    sheet = book[ENROLMENT]
    for grade in school.grades:
        row = GRADE_ROWS[grade.name]
        sheet[f"B{row}"], sheet[f"C{row}"], sheet[f"E{row}"] = grade.boys, grade.girls, grade.rooms
        if grade.shares:
            sheet[f"F{row}"] = grade.shares
    budget = book[BUDGET]
    for offset, line in enumerate(school.lines):
        row = 4 + offset
        for column, value in zip(
            "ABCDE", (line.name, line.category, line.allocated, line.committed, line.disbursed), strict=True
        ):
            budget[f"{column}{row}"] = value
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    return target


def copied(path: Path) -> Path:
    """Every visible sheet's cells copied into a new workbook (select all, copy, paste), as a school
    that started from its own file does: no hidden sheets, so no form stamp."""
    source = load_workbook(path)
    book = Workbook()
    book.remove(book.active)
    for sheet in source.worksheets:
        if sheet.sheet_state != "visible":
            continue
        target = book.create_sheet(sheet.title)
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    target.cell(row=cell.row, column=cell.column, value=cell.value)
    book.save(path)
    return path


# --- the catalogue: what people do, and what esaplan must make of it ------------------------------


@dataclass(frozen=True)
class Mistake:
    """One thing people do to a workbook, and its declared outcome."""

    key: str
    th: str  # what the school or staff did, as the README's catalogue says it
    outcome_th: str  # what esaplan does, as the README's catalogue says it
    rule: str | None  # the rule the school is told of (None: nothing to tell)
    apply: Callable[[School, Path], School]  # changes the file; returns the school as it must count
    needs: Callable[[School], bool] = lambda school: True


def _grade_cell(path: Path, grade: str, column: str, value: object) -> None:
    book = load_workbook(path)
    book[ENROLMENT][f"{column}{GRADE_ROWS[grade]}"] = value
    book.save(path)


def _without_grades(school: School, names: set[str]) -> School:
    return replace(school, grades=tuple(g for g in school.grades if g.name not in names))


def _thai_digits(school: School, path: Path) -> School:
    grade = school.grades[0]
    _grade_cell(path, grade.name, "B", "".join("๐๑๒๓๔๕๖๗๘๙"[int(d)] for d in str(grade.boys)))
    return school


def _separator(school: School, path: Path) -> School:
    line = school.lines[0]
    book = load_workbook(path)
    book[BUDGET]["C4"] = f"{line.allocated:,}"
    book.save(path)
    return school


def _ambiguous_separator(school: School, path: Path) -> School:
    grade = school.grades[0]
    _grade_cell(path, grade.name, "B", f"{grade.boys},5")
    return _without_grades(school, {grade.name})


def _duplicate_grade(school: School, path: Path) -> School:
    first, second = school.grades[0], school.grades[1]
    _grade_cell(path, second.name, "A", first.name)  # the grade of the next row typed over with the one above
    return _without_grades(school, {first.name, second.name})


def _merged_rooms(school: School, path: Path) -> School:
    host, member = school.grades[0], school.grades[1]
    _grade_cell(path, member.name, "E", None)
    _grade_cell(path, member.name, "F", None)
    _grade_cell(path, host.name, "E", 1)
    _merge_over(path, "E", host, member)
    return _shared(school, host, member)


def _typed_zero_rooms(school: School, path: Path) -> School:
    host, member = school.grades[0], school.grades[1]
    _grade_cell(path, host.name, "E", 1)
    _grade_cell(path, member.name, "E", 0)
    return _shared(school, host, member)


def _named_shared_room(school: School, path: Path) -> School:
    host, member = school.grades[0], school.grades[1]
    _grade_cell(path, host.name, "E", 1)
    _grade_cell(path, member.name, "E", None)
    _grade_cell(path, member.name, "F", host.name)
    return _shared(school, host, member)


def _shared(school: School, host: Grade, member: Grade) -> School:
    grades = {g.name: g for g in school.grades}
    grades[host.name] = replace(host, rooms=1)
    grades[member.name] = replace(member, rooms=0, shares=host.name)
    return replace(school, grades=tuple(grades[g.name] for g in school.grades))


def _merge_over(path: Path, column: str, first: Grade, second: Grade) -> None:
    """One cell of ``column`` merged over two grades' rows, as a person does with Merge & Center."""
    book = load_workbook(path)
    book[ENROLMENT].merge_cells(f"{column}{GRADE_ROWS[first.name]}:{column}{GRADE_ROWS[second.name]}")
    book.save(path)


def _merged_boys(school: School, path: Path) -> School:
    first, second = school.grades[0], school.grades[1]
    _merge_over(path, "B", first, second)
    return _without_grades(school, {first.name, second.name})


def _merged_grades(school: School, path: Path) -> School:
    """A multi-grade class shown the way a form on paper shows it: one grade label over two rows."""
    first, second = school.grades[0], school.grades[1]
    _grade_cell(path, first.name, "E", 1)
    _grade_cell(path, second.name, "E", 0)
    _merge_over(path, "A", first, second)
    return _without_grades(school, {first.name, second.name})


def _blank_shared_rooms(school: School, path: Path) -> School:
    """A multi-grade class with its room typed on the first grade and the second grade's rooms left blank."""
    host, member = school.grades[0], school.grades[1]
    _grade_cell(path, host.name, "E", 1)
    _grade_cell(path, member.name, "E", None)
    _grade_cell(path, member.name, "F", None)
    grades = {g.name: g for g in school.grades}
    grades[host.name] = replace(host, rooms=1)
    return replace(school, grades=tuple(grades[g.name] for g in school.grades if g.name != member.name))


def _copied_sheet(school: School, path: Path) -> School:
    """The pupils typed into Excel's copy of the sheet ("ข้อมูลนักเรียน (2)"), the form's own sheet left empty."""
    book = load_workbook(path)
    copy = book.copy_worksheet(book[ENROLMENT])
    copy.title = f"{ENROLMENT} (2)"
    _clear_pupils(book)
    book.save(path)
    return replace(school, grades=())


def _no_pupils(school: School, path: Path) -> School:
    """A 'correction' sent with every pupil count cleared, the budget kept."""
    book = load_workbook(path)
    _clear_pupils(book)
    book.save(path)
    return replace(school, grades=())


def _clear_pupils(book: Workbook) -> None:
    """Every grade row's counts, rooms and shared-room cell left blank on the form's own sheet."""
    for row in GRADE_ROWS.values():
        for column in "BCEF":
            book[ENROLMENT][f"{column}{row}"] = None


def _huge_amount(school: School, path: Path) -> School:
    book = load_workbook(path)
    book[BUDGET]["C4"] = 1_000_000_000_000
    book.save(path)
    return replace(school, lines=school.lines[1:])


def _unusual_amount(school: School, path: Path) -> School:
    book = load_workbook(path)
    book[BUDGET]["C4"] = 12_000_000
    book.save(path)
    return replace(school, lines=(replace(school.lines[0], allocated=12_000_000), *school.lines[1:]))


def _control_characters(school: School, path: Path) -> School:
    hostile.control_characters(path, school.lines[0].name)
    return school


def _far_cell(school: School, path: Path) -> School:
    hostile.cell_at(path, ENROLMENT, 1_048_576, 3, "1")
    return replace(school, grades=(), lines=())


def _linked_count(school: School, path: Path) -> School:
    grade = school.grades[0]
    hostile.external_link(path, ENROLMENT, f"C{GRADE_ROWS[grade.name]}", grade.girls)
    return _without_grades(school, {grade.name})


def _duplicate_line(school: School, path: Path) -> School:
    line = school.lines[0]
    book = load_workbook(path)
    row = 4 + len(school.lines)
    for column, value in zip("ABCDE", (line.name, line.category, 1, 0, 0), strict=True):
        book[BUDGET][f"{column}{row}"] = value
    book.save(path)
    return replace(school, lines=school.lines[1:])


MISTAKES = [
    Mistake(
        "thai_digits", "พิมพ์จำนวนนักเรียนเป็นเลขไทย (๑๒)", "อ่านเป็นตัวเลขและนำไปรวม แจ้งเป็นข้อสังเกต", "NORMALISED", _thai_digits
    ),
    Mistake(
        "separator",
        "พิมพ์จำนวนเงินมีจุลภาคคั่นหลักพัน (100,000)",
        "อ่านเป็นตัวเลขและนำไปรวม แจ้งเป็นข้อสังเกต",
        "NORMALISED",
        _separator,
        lambda s: bool(s.lines) and s.lines[0].allocated >= 1000,
    ),
    Mistake(
        "ambiguous_separator",
        "จุลภาคคั่นไม่ครบสามหลัก (12,5)",
        "ไม่อ่านเดา แถวนั้นไม่นำไปรวม บอกให้พิมพ์ใหม่",
        "TYPE-COUNT",
        _ambiguous_separator,
    ),
    Mistake(
        "duplicate_grade",
        "พิมพ์ชั้นซ้ำ (แก้ช่องชั้นของแถว ป.2 เป็น ป.1)",
        "ทั้งสองแถวไม่นำไปรวม แจ้งแถวที่ซ้ำ",
        "DUPLICATE-ROW",
        _duplicate_grade,
        lambda s: len(s.grades) > 1,
    ),
    Mistake(
        "merged_rooms",
        "ห้องเรียนคละชั้น: ผสานช่องห้องเรียนข้ามสองชั้น",
        "นับเป็นห้องเดียวของทั้งสองชั้น นักเรียนนำไปรวมครบ",
        "SHARED-ROOM",
        _merged_rooms,
        lambda s: _adjacent(s),
    ),
    Mistake(
        "typed_zero_rooms",
        "ห้องเรียนคละชั้น: พิมพ์ 1 ที่ชั้นแรก 0 ที่ชั้นถัดไป",
        "นับเป็นห้องเดียว แจ้งเป็นข้อสังเกตว่าถือเป็นห้องคละชั้น",
        "SHARED-ROOM",
        _typed_zero_rooms,
        lambda s: _adjacent(s),
    ),
    Mistake(
        "named_shared_room",
        "ห้องเรียนคละชั้น: ระบุชั้นในช่อง 'เรียนรวมห้องกับชั้น'",
        "นับเป็นห้องเดียว ไม่มีข้อผิดพลาด",
        None,
        _named_shared_room,
        lambda s: _adjacent(s),
    ),
    Mistake(
        "merged_boys",
        "ผสานช่องจำนวนนักเรียนชายข้ามสองชั้น",
        "ทั้งสองแถวไม่นำไปรวม บอกให้ยกเลิกการผสานและวิธีรายงานห้องคละชั้น",
        "MERGED-CELLS",
        _merged_boys,
        lambda s: len(s.grades) > 1,
    ),
    Mistake(
        "merged_grades",
        "ห้องเรียนคละชั้น: ผสานช่องชื่อชั้นข้ามสองชั้น ห้อง 1 ที่ชั้นแรก 0 ที่ชั้นถัดไป",
        "ทั้งสองแถวไม่นำไปรวม บอกให้ยกเลิกการผสานและวิธีรายงานห้องคละชั้น (ไม่ทำให้อ่านทั้งไฟล์ไม่ได้)",
        "MERGED-CELLS",
        _merged_grades,
        lambda s: _adjacent(s),
    ),
    Mistake(
        "blank_shared_rooms",
        "ห้องเรียนคละชั้น: พิมพ์ 1 ที่ชั้นแรก เว้นว่างช่องห้องเรียนของชั้นถัดไป",
        "แถวที่ว่างไม่นำไปรวม บอกให้พิมพ์ 0 หรือเลือกชั้นในช่อง 'เรียนรวมห้องกับชั้น'",
        "REQUIRED",
        _blank_shared_rooms,
        lambda s: _adjacent(s),
    ),
    Mistake(
        "copied_sheet",
        "กรอกจำนวนนักเรียนในสำเนาแผ่นงาน 'ข้อมูลนักเรียน (2)' แผ่นงานเดิมว่าง",
        "ไม่นับจำนวนนักเรียนของโรงเรียน แจ้งข้อผิดพลาดว่าข้อมูลอยู่ในสำเนาและวิธีแก้ (ไม่เงียบเป็น 0)",
        "COPIED-SHEET",
        _copied_sheet,
    ),
    Mistake(
        "no_pupils",
        "ส่งไฟล์แก้ไขที่ลบจำนวนนักเรียนทุกชั้นออก",
        "ไม่นับจำนวนนักเรียน แจ้งคำเตือนว่าแผ่นงานนักเรียนยังไม่มีข้อมูล (เลือกฉบับก่อนได้ด้วย esaplan versions)",
        "EMPTY-SHEET",
        _no_pupils,
    ),
    Mistake(
        "huge_amount",
        "จำนวนเงินเกินจริง (1,000,000,000,000 บาท)",
        "รายการนั้นไม่นำไปรวม สรุปผู้บริหารไม่เพี้ยน",
        "IMPOSSIBLE-AMOUNT",
        _huge_amount,
        lambda s: bool(s.lines),
    ),
    Mistake(
        "unusual_amount",
        "จำนวนเงินสูงผิดปกติ (12,000,000 บาท)",
        "นำไปรวม แจ้งคำเตือน และมีเครื่องหมายกำกับในสรุปผู้บริหารและรายงาน",
        "UNUSUAL-AMOUNT",
        _unusual_amount,
        lambda s: bool(s.lines),
    ),
    Mistake(
        "duplicate_line",
        "รายการงบประมาณเดียวกันสองแถว",
        "ทั้งสองแถวไม่นำไปรวม แจ้งแถวที่ซ้ำ",
        "DUPLICATE-ROW",
        _duplicate_line,
        lambda s: bool(s.lines),
    ),
    Mistake(
        "control_characters",
        "ชื่อรายการคัดลอกจากเว็บ มีอักขระควบคุมติดมา",
        "ลบอักขระออก นำไปรวม แจ้งเป็นข้อสังเกต",
        "CONTROL-CHARS",
        _control_characters,
        lambda s: bool(s.lines),
    ),
    Mistake(
        "far_cell", "พิมพ์ค่าไว้ไกลสุดแผ่นงาน (แถว 1,048,576)", "ไม่เปิดอ่านไฟล์ บอกช่องที่อยู่นอกตาราง", "FILE-TOO-COMPLEX", _far_cell
    ),
    Mistake(
        "linked_count",
        "ช่องจำนวนนักเรียนเป็นสูตรดึงจากไฟล์อื่น",
        "ไม่ใช้ค่าจากไฟล์อื่น แถวนั้นไม่นำไปรวม แจ้งคำเตือน",
        "EXTERNAL-LINK",
        _linked_count,
    ),
]
BY_KEY = {m.key: m for m in MISTAKES}


def _adjacent(school: School) -> bool:
    """The school's first two grades are next to each other in one level (a multi-grade room can hold them)."""
    if len(school.grades) < 2:
        return False
    first, second = school.grades[0], school.grades[1]
    return (
        first.name[0] == second.name[0]
        and GRADE_ROWS[second.name] == GRADE_ROWS[first.name] + 1
        and first.boys + first.girls + second.boys + second.girls <= 30
    )


# --- what arrives, and when -----------------------------------------------------------------------


WHEN = dt.datetime(
    2026, 12, 5, 9, tzinfo=dt.UTC
).timestamp()  # in FY2570 round 6, before its deadline: arrival times count up from here


def expected_totals(schools: list[School]) -> dict[str, dict[str, int]]:
    """District by district, from the truth as it must count: pupils, rooms (each shared room once),
    allocated, disbursed."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for school in schools:
        for grade in school.grades:
            totals[school.district]["pupils"] += grade.boys + grade.girls
            totals[school.district]["rooms"] += grade.rooms
        for line in school.lines:
            totals[school.district]["allocated"] += line.allocated
            totals[school.district]["disbursed"] += line.disbursed
    return totals


def stamp(path: Path, moment: float) -> Path:
    os.utime(path, (moment, moment))
    return path


def saved_at(path: Path, moment: dt.datetime) -> Path:
    """Set the time the workbook says it was saved (docProps/core.xml), as the program that saved it would."""
    text = moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return hostile.rewrite(path, "docProps/core.xml", lambda xml: _modified(xml, text))


def _modified(xml: bytes, text: bytes) -> bytes:
    return re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + text + rb"\g<2>", xml)
