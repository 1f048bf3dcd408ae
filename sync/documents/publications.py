"""The office's documents of one year and round, as the dashboard lists and remakes them.

Each publication is made by the one writer its command calls too: the action plan (with the plan
register workbook it is made from), the round's progress report, the annual report, the eMENSCR
export (``esaplan report ...``), the allocation control register (``esaplan money``) and the
allocation letters to units (``esaplan report letters``). The dashboard lists the files that exist for the
year and round being looked at, with when they were made, and a button remakes one.

Remaking the plan first reads the groups' plan inbox (as ``esaplan plan`` does), so a group's new
file is in the document the press of the button gives. One document is made at a time:
LibreOffice printing two PDFs at once on a two-core server only makes both slower.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sync.documents.action_plan import write_plan
from sync.documents.docx import document_names, documents_dir
from sync.documents.emenscr import write_emenscr
from sync.documents.letters import letter_stem, write_letters
from sync.documents.reports import write_progress
from sync.office.settings import BANGKOK, Settings
from sync.registers.money import summary_path, workbook_path
from sync.registers.money_summary import run_register
from sync.registers.plan import consolidate_plan, register_path


@dataclass(frozen=True)
class Kind:
    """One publication: its Thai title, what the remake button does, and whether it is per round."""

    code: str
    title_th: str
    made_from_th: str
    per_round: bool


KINDS = (
    Kind(
        "plan",
        "แผนปฏิบัติการประจำปี",
        "รวมแผนของกลุ่มจากกล่องรับ (plan/inbox) แล้วเขียนทะเบียนแผนและเอกสารแผนใหม่",
        per_round=False,
    ),
    Kind("progress", "รายงานผลการดำเนินงานรายรอบ", "จากไฟล์รวมของรอบนี้และทะเบียนแผน (รวมข้อมูลก่อนถ้ามีไฟล์ใหม่)", per_round=True),
    Kind("annual", "รายงานผลการดำเนินงานประจำปี", "จากไฟล์รวมรอบ 12 เดือนและทะเบียนแผน", per_round=False),
    Kind(
        "emenscr",
        "ความก้าวหน้าโครงการสำหรับ eMENSCR",
        "หนึ่งแถวต่อโครงการ ตามช่องที่ระบบ eMENSCR ถาม (xlsx และ CSV)",
        per_round=True,
    ),
    Kind(
        "money",
        "ทะเบียนคุมการจัดสรรงบประมาณ",
        "ตรวจไฟล์ทะเบียนใน money/ บันทึกรายการที่เปลี่ยน แล้วเขียนยอดคงเหลือตามหนังสือและรายหน่วยงาน",
        per_round=False,
    ),
    Kind(
        "letters",
        "หนังสือแจ้งการจัดสรรถึงหน่วยงาน",
        "หนึ่งไฟล์ต่อหนังสือ สพฐ. หนึ่งหน้าต่อหน่วยงาน จากทะเบียนคุมการจัดสรรที่บันทึกแล้ว",
        per_round=False,
    ),
)
KIND_BY_CODE = {kind.code: kind for kind in KINDS}
SUFFIXES = (".pdf", ".docx", ".xlsx", ".csv")
_one_at_a_time = threading.Lock()


@dataclass(frozen=True)
class Publication:
    """A publication of the year and round, with the files of it that exist and when they were made."""

    kind: Kind
    files: tuple[Path, ...]

    @property
    def made_at(self) -> dt.datetime | None:
        """When its newest file was written (Bangkok time); None when it was never made."""
        if not self.files:
            return None
        return dt.datetime.fromtimestamp(max(path.stat().st_mtime for path in self.files), BANGKOK)


def _files(settings: Settings, kind: Kind) -> list[Path]:
    """The files of the kind that exist for the settings' year and round."""
    fiscal_year = settings.fiscal_year
    if kind.code == "letters":
        folder = documents_dir(settings, fiscal_year)
        return (
            sorted(folder.glob(f"{letter_stem(fiscal_year, '')}*.pdf"))
            + sorted(folder.glob(f"{letter_stem(fiscal_year, '')}*.docx"))
            if folder.is_dir()
            else []
        )
    if kind.code == "money":
        paths = [summary_path(settings, fiscal_year), workbook_path(settings, fiscal_year)]
    else:
        stem = documents_dir(settings, fiscal_year) / document_names(fiscal_year, settings.round)[kind.code]
        paths = [stem.with_suffix(suffix) for suffix in SUFFIXES]
        if kind.code == "plan":
            paths.append(register_path(settings, fiscal_year))
    return [path for path in paths if path.is_file()]


def publications(settings: Settings) -> list[Publication]:
    """The publications of the settings' year and round, in the order the office makes them."""
    return [Publication(kind, tuple(_files(settings, kind))) for kind in KINDS]


def find_file(settings: Settings, name: str) -> Path | None:
    """A publication's file of the year and round by its name; a name is looked up, never joined onto a path."""
    return next((path for found in publications(settings) for path in found.files if path.name == name), None)


def _make_plan(settings: Settings, actor: str) -> None:
    consolidate_plan(settings, settings.fiscal_year)
    write_plan(settings, settings.fiscal_year)


MAKERS: dict[str, Callable[[Settings, str], object]] = {
    "plan": _make_plan,
    "progress": lambda settings, actor: write_progress(settings),
    "annual": lambda settings, actor: write_progress(settings, annual=True),
    "emenscr": lambda settings, actor: write_emenscr(settings),
    "money": lambda settings, actor: run_register(settings, settings.fiscal_year, actor),
    "letters": lambda settings, actor: write_letters(settings, settings.fiscal_year),
}


def remake(settings: Settings, code: str, actor: str) -> Publication:
    """Make one publication again for the settings' year and round (``actor`` is who pressed, which
    the register's entries record); what stops it (no plan yet, an error in the register) raises an
    :class:`~rules.EsaplanError` with the Thai reason, and the old files stay."""
    kind = KIND_BY_CODE[code]
    with _one_at_a_time:
        MAKERS[code](settings, actor)
    return next(p for p in publications(settings) if p.kind == kind)
