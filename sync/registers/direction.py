"""The office's direction (ทิศทางการพัฒนาการศึกษา) and the director's foreword: a small workbook staff edit.

The action plan's ส่วนที่ ๒ states the office's values, vision, missions and goals before its
strategies (seed part 2, ทิศทางการพัฒนาการศึกษา), and every plan opens with a foreword (คำนำ). They
change once in a plan period, are written by people, and so live in
``plan/ทิศทางและคำนำ-FY<year>.xlsx``: one row per paragraph, a topic and its text. ``esaplan report
plan`` writes the empty workbook the first time; the strategies and indicators come from the KPI
catalogue (``rules/data/kpi``), never typed twice. A plan made while a topic is still empty is printed
as a draft (ร่าง) and says which topic to fill.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from rules.thai import fold_name
from sync.files.atomic import save_workbook
from sync.files.printsetup import fit_to_page_width
from sync.office.settings import Settings

SHEET = "ทิศทางและคำนำ"
TOPICS = {
    "คำนำ": "foreword",
    "ค่านิยม": "values",
    "วิสัยทัศน์": "vision",
    "พันธกิจ": "missions",
    "เป้าประสงค์": "goals",
}
REQUIRED = ("foreword", "vision", "missions", "goals")


@dataclass
class Direction:
    """What the workbook says, topic by topic (paragraphs in order), and what could not be read."""

    foreword: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    vision: list[str] = field(default_factory=list)
    missions: list[str] = field(default_factory=list)
    goals: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def missing_th(self) -> list[str]:
        """The topics a plan needs that the workbook leaves empty, in Thai."""
        names = {code: th for th, code in TOPICS.items()}
        return [names[code] for code in REQUIRED if not getattr(self, code)]


def direction_path(settings: Settings, fiscal_year: int) -> Path:
    return settings.home / "plan" / f"ทิศทางและคำนำ-FY{fiscal_year}.xlsx"


def start_direction(settings: Settings, fiscal_year: int, rows: list[tuple[str, str]] | None = None) -> Path:
    """The workbook (only when there is none), with ``rows`` of (topic, text) already in it."""
    path = direction_path(settings, fiscal_year)
    if path.exists():
        return path
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(["หัวข้อ", "ข้อความ (หนึ่งแถวต่อหนึ่งย่อหน้าหรือหนึ่งข้อ)"])
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for topic, text in rows or [(topic, "") for topic in TOPICS]:
        sheet.append([topic, text])
    choices = DataValidation(type="list", formula1='"' + ",".join(TOPICS) + '"', allow_blank=True)
    choices.error = "เลือกหัวข้อจากรายการ: " + " ".join(TOPICS)
    sheet.add_data_validation(choices)
    choices.add("A2:A200")
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 110
    for row in sheet.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    fit_to_page_width(sheet, landscape=True, title_rows="1:1")
    save_workbook(book, path)
    return path


def read_direction(settings: Settings, fiscal_year: int) -> Direction:
    """The workbook's paragraphs by topic (an empty :class:`Direction` when there is no workbook)."""
    path = direction_path(settings, fiscal_year)
    direction = Direction()
    if not path.is_file():
        return direction
    book = load_workbook(path, read_only=True, data_only=True)  # the office's own file: values Excel saved
    sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
    topics = {fold_name(th): code for th, code in TOPICS.items()}
    for number, (topic, text, *_) in enumerate(sheet.iter_rows(min_row=2, max_col=2, values_only=True), start=2):
        if not text or not str(text).strip():
            continue
        code = topics.get(fold_name(str(topic or "")))
        if code is None:
            direction.problems.append(
                f"{path.name} แผ่นงาน {sheet.title} เซลล์ A{number}: ไม่รู้จักหัวข้อ '{topic or ''}' (ใช้ได้: {' '.join(TOPICS)})"
            )
            continue
        getattr(direction, code).append(" ".join(str(text).split()))
    return direction
