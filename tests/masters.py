"""What the consolidation tests share: the master's managed sheets, a sheet's rows, a school resubmitting."""

from __future__ import annotations

from pathlib import Path

from rules.forms import form_sets
from sync.intake.templates import write_template
from sync.office.registry import load_registry
from sync.office.settings import load_settings

MANAGED = [
    "สรุปผู้บริหาร",
    "สรุป",
    "สรุปตัวชี้วัด",
    "แผนภูมิ",
    "สถานะการส่ง",
    "ปัญหาที่พบ",
    "ข้อมูลนักเรียน",
    "แผนชั้นเรียน",
    "การใช้งบประมาณ",
    "ตัวชี้วัด",
    "คำของบประมาณ",
    "คำขอโอนงบประมาณ",
    "ความก้าวหน้าโครงการ",
]


def master_path(home: Path) -> Path:
    return load_settings(home).master_path()


def sheet_rows(sheet):
    return list(sheet.iter_rows(values_only=True))


def resubmit(home: Path, male: int, code: str = "99000001") -> None:
    """The school drops a corrected workbook in its inbox folder (a new version)."""
    settings = load_settings(home)
    unit = load_registry(settings.registry_path)[code]
    values = {"enrolment": [{"grade": "ป.1", "male": male, "female": 12, "rooms": 1}]}
    write_template(
        form_sets()["school"],
        settings.inbox / code / f"แก้ไข-{male}.xlsx",
        fiscal_year=settings.fiscal_year,
        round_=settings.round,
        unit=unit,
        values=values,
    )
