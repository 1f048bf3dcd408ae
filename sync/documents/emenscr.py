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
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from rules.budget_sources import plan_sources
from rules.kpi import kpi, strategy_label
from rules.plan import Project
from rules.transfers import category_th
from sync.documents.docx import NothingToReport, document_names, documents_dir
from sync.documents.progress import ProjectProgress, project_progress, round_data
from sync.files.atomic import save_workbook, write_atomically
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
class Field:
    """One column: its Thai heading, the eMENSCR step it is entered in, where the value comes from."""

    th: str
    step: str
    source_en: str
    value: Callable[[Settings, Project, ProjectProgress], Any]


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def _source_total(code: str, settings: Settings, project: Project, progress: ProjectProgress) -> Decimal:
    """A project's budget lines from one source (a column per source the office plans with)."""
    return _money(sum((a.amount for a in project.activities if a.source == code), Decimal(0)))


FIELDS: tuple[Field, ...] = (
    Field("ปีงบประมาณ", "M1", "fiscal year (BE) of the plan", lambda s, p, g: s.fiscal_year),
    Field("รหัสโครงการ (ของหน่วยงาน)", "M1", "the group's project code in the register", lambda s, p, g: p.code),
    Field("ชื่อโครงการ", "M1", "project name", lambda s, p, g: p.name),
    Field(
        "หน่วยงานรับผิดชอบ",
        "M1",
        "office name and the group that runs it",
        lambda s, p, g: f"{s.office_name} {p.group_th}",
    ),
    Field("ผู้รับผิดชอบ", "M1", "the person responsible", lambda s, p, g: p.responsible),
    Field(
        "ความสอดคล้องกับแผนระดับที่ 3 (กลยุทธ์ของแผนพัฒนาการศึกษา)",
        "M2",
        "the strategy of the area's development plan the project serves",
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
        lambda s, p, g: _money(g.used),
    ),
    Field(
        "ร้อยละการใช้จ่าย",
        "M6",
        "spending / budget x 100",
        lambda s, p, g: (g.used * 100 / g.planned).quantize(Decimal("0.01")) if g.planned else None,
    ),
    Field(
        "สถานะโครงการ",
        "M6",
        "the group's reported status, in eMENSCR's words",
        lambda s, p, g: STATUS_EMENSCR.get(g.status, g.status),
    ),
)


def emenscr_rows(settings: Settings) -> list[list[Any]]:
    """One row per register project with its progress at the settings' round."""
    register = load_register(settings, settings.fiscal_year)
    if not register.projects:
        raise NothingToReport(
            f"ยังไม่มีโครงการในทะเบียนแผนปีงบประมาณ {settings.fiscal_year}: eMENSCR รายงานทีละโครงการ สั่ง esaplan plan ก่อน",
            f"no project in the FY {settings.fiscal_year} plan register: eMENSCR reports per project; run esaplan plan first",
            fiscal_year=settings.fiscal_year,
        )
    progress = {(p.group_th, p.code): p for p in project_progress(register, round_data(settings))}
    return [
        [f.value(settings, project, progress[(project.group_th, project.code)]) for f in FIELDS]
        for project in register.projects
    ]


def write_emenscr(settings: Settings) -> list[Path]:
    """The rows as an xlsx (headings with their step) and a UTF-8 CSV Excel opens in Thai."""
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
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
            elif isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 24
    sheet.freeze_panes = "C2"
    xlsx = stem.with_suffix(".xlsx")
    save_workbook(book, xlsx)
    csv_path = stem.with_suffix(".csv")

    def write_csv(name: str) -> None:
        with open(name, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([f.th for f in FIELDS])
            writer.writerows([[str(v) if v is not None else "" for v in row] for row in rows])

    return [xlsx, write_atomically(csv_path, write_csv)]


def fields_markdown() -> str:
    """The README's field table, from :data:`FIELDS` itself."""
    lines = ["| คอลัมน์ (column) | ขั้นตอน eMENSCR | ที่มา (source) |", "|---|---|---|"]
    lines += [f"| {f.th} | {f.step} | {f.source_en} |" for f in FIELDS]
    return "\n".join(lines)
