"""The office's documents of one year and round, as the dashboard lists and remakes them.

Four publications, each made by one writer that the ``esaplan report`` commands call too:
the action plan (with the plan register workbook it is made from), the round's progress report,
the annual report and the eMENSCR export. The dashboard lists the files that exist for the
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

from .documents import document_names, documents_dir, write_plan, write_progress
from .emenscr import write_emenscr
from .plan import consolidate_plan, register_path
from .settings import BANGKOK, Settings


@dataclass(frozen=True)
class Kind:
    """One publication: its Thai title, what the remake button does, and whether it is per round."""

    code: str
    title_th: str
    made_from_th: str
    per_round: bool


KINDS = (
    Kind("plan", "แผนปฏิบัติการประจำปี", "รวมแผนของกลุ่มจากกล่องรับ (plan/inbox) แล้วเขียนทะเบียนแผนและเอกสารแผนใหม่", per_round=False),
    Kind("progress", "รายงานผลการดำเนินงานรายรอบ", "จากไฟล์รวมของรอบนี้และทะเบียนแผน (รวมข้อมูลก่อนถ้ามีไฟล์ใหม่)", per_round=True),
    Kind("annual", "รายงานผลการดำเนินงานประจำปี", "จากไฟล์รวมรอบ 12 เดือนและทะเบียนแผน", per_round=False),
    Kind("emenscr", "ความก้าวหน้าโครงการสำหรับ eMENSCR", "หนึ่งแถวต่อโครงการ ตามช่องที่ระบบ eMENSCR ถาม (xlsx และ CSV)", per_round=True),
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


def _paths(settings: Settings, kind: Kind) -> list[Path]:
    """Every file the kind's writer makes for the settings' year and round, whether it exists yet or not."""
    stem = documents_dir(settings, settings.fiscal_year) / document_names(settings.fiscal_year, settings.round)[kind.code]
    paths = [stem.with_suffix(suffix) for suffix in SUFFIXES]
    if kind.code == "plan":
        paths.append(register_path(settings, settings.fiscal_year))
    return paths


def publications(settings: Settings) -> list[Publication]:
    """The four publications of the settings' year and round, in the order the office makes them."""
    return [Publication(kind, tuple(p for p in _paths(settings, kind) if p.is_file())) for kind in KINDS]


def find_file(settings: Settings, name: str) -> Path | None:
    """A publication's file of the year and round by its name; a name is looked up, never joined onto a path."""
    return next((path for found in publications(settings) for path in found.files if path.name == name), None)


def _make_plan(settings: Settings) -> None:
    consolidate_plan(settings, settings.fiscal_year)
    write_plan(settings, settings.fiscal_year)


MAKERS: dict[str, Callable[[Settings], object]] = {
    "plan": _make_plan,
    "progress": write_progress,
    "annual": lambda settings: write_progress(settings, annual=True),
    "emenscr": write_emenscr,
}


def remake(settings: Settings, code: str) -> Publication:
    """Make one publication again for the settings' year and round; a document nothing can be made from
    raises :class:`~sync.documents.NothingToReport` with the Thai reason, and the old files stay."""
    kind = KIND_BY_CODE[code]
    with _one_at_a_time:
        MAKERS[code](settings)
    return next(p for p in publications(settings) if p.kind == kind)
