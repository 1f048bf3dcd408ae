"""Project progress laid out for eMENSCR, the national monitoring system (ระบบติดตามและประเมินผลแห่งชาติ).

Each project of the action-plan register is one row with what eMENSCR asks of a project and of its
progress, so staff copy a row into the system instead of retyping it. eMENSCR's entry is in steps:
the Ministry asks units to enter every project's data (M1-M5) and send it for approval (M7)
(moe360.blog, 2 Feb 2023, "นำเข้าแผนงาน/โครงการในระบบ eMENSCR ปี 2566"); which field belongs to which
step below is esaplan's reading and is written in the README field by field, to be checked against the
office's own eMENSCR manual. The columns are data (:data:`FIELDS`), the README table is made from
the same list.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from rules.budget_sources import plan_sources
from rules.kpi import kpi, strategy_label
from rules.plan import ROUND_QUARTERS, Project, Register
from rules.transfers import category_th
from sync.documents.docx import NothingToReport, document_names, documents_dir
from sync.documents.progress import ProjectProgress, project_progress, round_data
from sync.files.atomic import save_workbook, write_atomically
from sync.files.printsetup import fit_to_page_width, format_values, readable_columns
from sync.office.settings import Settings
from sync.registers.plan import load_register

#: eMENSCR's project statuses for esaplan's progress statuses
STATUS_EMENSCR = {
    "ยังไม่เริ่ม": "ยังไม่เริ่มดำเนินการ",
    "กำลังดำเนินการ": "อยู่ระหว่างดำเนินการ",
    "เสร็จสิ้น": "ดำเนินการแล้วเสร็จ",
    "ยกเลิก": "ยกเลิกโครงการ",
    "ยังไม่รายงาน": "ยังไม่รายงานผล",
}


@dataclass(frozen=True)
class Reported:
    """What the groups reported on one project: this round's progress, the money used by the end of each
    round of the year so far, the project indicator's result, and the problems and suggestions written."""

    progress: ProjectProgress
    used_by_round: dict[int, Decimal]
    kpi_result: str
    problems: str
    suggestions: str


@dataclass(frozen=True)
class Field:
    """One column: its Thai heading, the eMENSCR step it is entered in, where the value comes from."""

    th: str
    step: str
    source_en: str
    value: Callable[[Settings, Project, Reported], Any]


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def _source_total(code: str, settings: Settings, project: Project, reported: Reported) -> Decimal:
    """A project's budget lines from one source (a column per source the office plans with)."""
    return _money(sum((a.amount for a in project.activities if a.source == code), Decimal(0)))


def _link(key: str, settings: Settings, project: Project, reported: Reported) -> str | None:
    return project.link(key) or None


def _used_by(months: int, settings: Settings, project: Project, reported: Reported) -> Decimal | None:
    used = reported.used_by_round.get(months)
    return _money(used) if used is not None else None


FIELDS: tuple[Field, ...] = (
    Field("ปีงบประมาณ", "M1", "fiscal year (BE) of the plan", lambda s, p, g: s.fiscal_year),
    Field("รหัสโครงการ (ของหน่วยงาน)", "M1", "the group's project code in the register", lambda s, p, g: p.code),
    Field("ชื่อโครงการ", "M1", "project name", lambda s, p, g: p.name),
    Field(
        "หน่วยงานรับผิดชอบ",
        "M1",
        "office name and the group that runs it",
        lambda s, p, g: f"{s.office.name} {p.group_th}",
    ),
    Field("ผู้รับผิดชอบ", "M1", "the person responsible", lambda s, p, g: p.responsible),
    *(
        Field(th, "M2", f"plan_project column '{key}' as the group typed it", partial(_link, key))
        for key, th in (
            ("national_strategy", "ยุทธศาสตร์ชาติ"),
            ("master_plan", "แผนแม่บทภายใต้ยุทธศาสตร์ชาติ"),
            ("master_plan_target", "เป้าหมายแผนแม่บทย่อย"),
            ("nesdp_milestone", "แผนพัฒนาเศรษฐกิจและสังคมแห่งชาติ ฉบับที่ 13 (หมุดหมาย)"),
            ("sdg", "เป้าหมายการพัฒนาที่ยั่งยืน (SDGs)"),
        )
    ),
    Field(
        "ความสอดคล้องกับกลยุทธ์ของสำนักงานเขตพื้นที่การศึกษา",
        "M2",
        "the strategy of the area office's plan the project serves",
        lambda s, p, g: f"กลยุทธ์ที่ {strategy_label(p.strategy, s.fiscal_year)}",
    ),
    Field(
        "ตัวชี้วัดของแผน",
        "M2",
        "the catalogue KPIs the project serves, code and text",
        lambda s, p, g: "; ".join(f"{c} {kpi(c, fiscal_year=s.fiscal_year).name_th}" for c in p.kpis),
    ),
    Field("วัตถุประสงค์", "M3", "objective", lambda s, p, g: p.objective),
    Field("เป้าหมายเชิงปริมาณ", "M3", "quantitative target", lambda s, p, g: p.target_quantity),
    Field("เป้าหมายเชิงคุณภาพ", "M3", "qualitative target", lambda s, p, g: p.target_quality),
    Field("ตัวชี้วัดโครงการ", "M3", "plan_project column 'project_kpi'", partial(_link, "project_kpi")),
    Field(
        "ค่าเป้าหมายตัวชี้วัดโครงการ", "M3", "plan_project column 'project_kpi_target'", partial(_link, "project_kpi_target")
    ),
    Field("หน่วยนับ", "M3", "plan_project column 'project_kpi_unit'", partial(_link, "project_kpi_unit")),
    Field(
        "กิจกรรมและระยะเวลา (ไตรมาส)",
        "M4",
        "each activity with the fiscal quarters it runs in",
        lambda s, p, g: "; ".join(
            f"{a} (ไตรมาส {', '.join(str(q) for q in sorted({q for x in p.activities if x.activity == a for q in x.quarters}))})"
            for a in p.activity_names()
        ),
    ),
    Field("งบประมาณรวม (บาท)", "M5", "sum of the project's budget lines", lambda s, p, g: _money(p.budget)),
    *(
        Field(
            f"งบประมาณ: {source.th} (บาท)",
            "M5",
            f"budget lines from source '{source.code}'",
            partial(_source_total, source.code),
        )
        for source in plan_sources()
    ),
    Field(
        "งบรายจ่าย",
        "M5",
        "expense categories of the budget lines with their amounts",
        lambda s, p, g: "; ".join(
            f"{category_th(c)} {sum(a.amount for a in p.activities if a.category == c):,.2f}"
            for c in dict.fromkeys(a.category for a in p.activities)
        ),
    ),
    Field("รอบรายงาน", "M6", "the reporting round (6, 9 or 12 months)", lambda s, p, g: f"{s.round} เดือน"),
    Field(
        "ผลการใช้จ่ายงบประมาณ (บาท)",
        "M6",
        "spending the group reported on the project's activities this round",
        lambda s, p, g: _money(g.progress.used),
    ),
    *(
        Field(
            f"ใช้จ่ายสะสม ณ สิ้นไตรมาสที่ {quarter} (บาท)",
            "M6",
            f"spending reported at the {months}-month round (the rounds end with quarters 2, 3 and 4; quarter 1 "
            "alone is never reported)",
            partial(_used_by, months),
        )
        for months, quarter in ((6, 2), (9, 3), (12, 4))
    ),
    Field(
        "ร้อยละการใช้จ่าย",
        "M6",
        "spending / budget x 100",
        lambda s, p, g: (
            (g.progress.used * 100 / g.progress.planned).quantize(Decimal("0.01")) if g.progress.planned else None
        ),
    ),
    Field("ผลตามตัวชี้วัดโครงการ", "M6", "project_progress column 'kpi_result' this round", lambda s, p, g: g.kpi_result),
    Field(
        "สถานะโครงการ",
        "M6",
        "the group's reported status, in eMENSCR's words",
        lambda s, p, g: STATUS_EMENSCR.get(g.progress.status, g.progress.status),
    ),
    Field("ปัญหา/อุปสรรค", "M6", "project_progress column 'problems' this round", lambda s, p, g: g.problems),
    Field(
        "ข้อเสนอแนะ/แนวทางแก้ไข", "M6", "project_progress column 'suggestions' this round", lambda s, p, g: g.suggestions
    ),
)
#: Columns eMENSCR asks that the office's files may leave empty: listed per project, never filled in.
MAY_BE_BLANK = frozenset(
    f.th
    for f in FIELDS
    if f.step in ("M2", "M3", "M6")
    and ("column" in f.source_en or "round" in f.source_en)
    and f.th not in ("ปัญหา/อุปสรรค", "ข้อเสนอแนะ/แนวทางแก้ไข")  # none written is an answer, not a gap
)


class Export(NamedTuple):
    """The files written, and how many of eMENSCR's cells the office's data leaves empty (listed in the xlsx)."""

    xlsx: Path
    csv: Path
    blanks: int


def _reported(settings: Settings, register: Register) -> dict[tuple[str, str], Reported]:
    """Each project's reports: this round's progress, the money used at each round so far, and the
    project indicator's result, problems and suggestions its group wrote this round."""
    data = round_data(settings)
    used: dict[tuple[str, str], dict[int, Decimal]] = defaultdict(dict)
    for months in (m for m in ROUND_QUARTERS if m <= settings.round):
        at = data if months == settings.round else round_data(settings.with_round(settings.fiscal_year, months))
        if at.latest:
            for row in project_progress(register, at):
                if row.reported:
                    used[(row.group_th, row.code)][months] = row.used
    written: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for unit in data.registry.values():
        if unit.kind == "group":
            for line in data.counted_rows(unit, "project_progress"):
                said = written[(unit.name_th, str(line.get("project_code") or ""))]
                for key in ("kpi_result", "problems", "suggestions"):
                    value = line.get(key)
                    text = (
                        ""
                        if value in (None, "")
                        else (f"{Decimal(str(value)).normalize():f}" if key == "kpi_result" else str(value).strip())
                    )
                    if text and text not in said[key]:
                        said[key].append(text)
    return {
        (g.group_th, g.code): Reported(
            g,
            used.get((g.group_th, g.code), {}),
            "; ".join(written[(g.group_th, g.code)]["kpi_result"]),
            "; ".join(written[(g.group_th, g.code)]["problems"]),
            "; ".join(written[(g.group_th, g.code)]["suggestions"]),
        )
        for g in project_progress(register, data)
    }


def emenscr_rows(settings: Settings) -> list[list[Any]]:
    """One row per register project with its progress at the settings' round."""
    register = load_register(settings, settings.fiscal_year)
    if not register.projects:
        raise NothingToReport(
            f"ยังไม่มีโครงการในทะเบียนแผนปีงบประมาณ {settings.fiscal_year}: eMENSCR รายงานทีละโครงการ สั่ง esaplan plan ก่อน",
            f"no project in the FY {settings.fiscal_year} plan register: eMENSCR reports per project; run esaplan plan first",
            fiscal_year=settings.fiscal_year,
        )
    reported = _reported(settings, register)
    return [
        [f.value(settings, project, reported[(project.group_th, project.code)]) for f in FIELDS]
        for project in register.projects
    ]


def write_emenscr(settings: Settings) -> Export:
    """The rows as an xlsx (headings with their step, and a sheet listing every empty cell eMENSCR asks
    for) and a UTF-8 CSV Excel opens in Thai."""
    rows = emenscr_rows(settings)
    stem = (
        documents_dir(settings, settings.fiscal_year) / document_names(settings.fiscal_year, settings.round)["emenscr"]
    )
    book = Workbook()
    sheet = book.active
    sheet.title = "eMENSCR"
    sheet.append([f"{f.step} {f.th}" for f in FIELDS])
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font, cell.alignment = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    format_values(sheet)
    sheet.freeze_panes = "C2"
    blank = book.create_sheet("ช่องที่ยังว่าง")
    blank.append(["รหัสโครงการ", "ชื่อโครงการ", "ช่องที่ eMENSCR ถาม", "กรอกที่"])
    code, name = (
        FIELDS.index(next(f for f in FIELDS if f.th == th)) for th in ("รหัสโครงการ (ของหน่วยงาน)", "ชื่อโครงการ")
    )
    for row in rows:
        for field, value in zip(FIELDS, row, strict=True):
            if field.th in MAY_BE_BLANK and value in (None, ""):
                where = "แผ่นงานโครงการ ของไฟล์แผน" if field.step != "M6" else "แบบรายงานความก้าวหน้าโครงการ"
                blank.append([row[code], row[name], field.th, where])
    for each in (sheet, blank):
        readable_columns(each, widest=28)
        fit_to_page_width(each, landscape=True, title_rows="1:1")
    xlsx = stem.with_suffix(".xlsx")
    save_workbook(book, xlsx)
    csv_path = stem.with_suffix(".csv")

    def write_csv(name: str) -> None:
        with open(name, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([f.th for f in FIELDS])
            writer.writerows([[str(v) if v is not None else "" for v in row] for row in rows])

    return Export(xlsx, write_atomically(csv_path, write_csv), blank.max_row - 1)


def fields_markdown() -> str:
    """The README's field table, from :data:`FIELDS` itself."""
    lines = ["| คอลัมน์ (column) | ขั้นตอน eMENSCR | ที่มา (source) |", "|---|---|---|"]
    lines += [f"| {f.th} | {f.step} | {f.source_en} |" for f in FIELDS]
    return "\n".join(lines)
