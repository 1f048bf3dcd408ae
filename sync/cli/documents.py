"""The documents' commands: ``esaplan report ...`` (plan, progress, annual, letters, eMENSCR)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from sync.cli.app import FiscalYear, home_option, main, round_options

if TYPE_CHECKING:  # annotations only: a command imports what it runs when it runs
    from sync.documents.docx import Written
    from sync.office.settings import Settings


@main.group(
    help="เอกสารที่สำนักงานเผยแพร่: แผนปฏิบัติการ รายงานผลรายรอบและประจำปี (DOCX และ PDF) และไฟล์สำหรับ eMENSCR (the office's documents)"
)
def report() -> None:
    pass


def _report_settings(home: Path | None, fiscal_year: int | None, round_: str | None) -> Settings:
    from sync.office.settings import load_settings

    return load_settings(home, fiscal_year=fiscal_year, round=int(round_) if round_ else None)


def _echo_written(written: Written) -> None:
    click.echo(f"เขียนแล้ว (written): {written.docx}")
    if written.draft_th:
        click.echo(f"พิมพ์เป็นร่าง (draft): {written.draft_th}", err=True)
    if written.pdf is None:
        click.echo(written.note_th, err=True)
    else:
        click.echo(str(written.pdf))


@report.command("plan", help="แผนปฏิบัติการประจำปี จากทะเบียนแผน (esaplan plan) (the annual action plan document)")
@home_option
@round_options
def report_plan(home: Path | None, fiscal_year: int | None, round_: str | None) -> None:
    from sync.documents.action_plan import write_plan

    settings = _report_settings(home, fiscal_year, round_)
    _echo_written(write_plan(settings, settings.fiscal_year))


@report.command(
    "progress", help="รายงานผลการดำเนินงานรายรอบ 6/9/12 เดือน จากไฟล์รวมและทะเบียนแผน (the round's progress report)"
)
@home_option
@round_options
def report_progress(home: Path | None, fiscal_year: int | None, round_: str | None) -> None:
    from sync.documents.reports import write_progress

    _echo_written(write_progress(_report_settings(home, fiscal_year, round_)))


@report.command("annual", help="รายงานผลการดำเนินงานประจำปี (รอบ 12 เดือน) (the annual report)")
@home_option
@click.option("--fy", "fiscal_year", type=FiscalYear(), default=None, help="ปีงบประมาณ พ.ศ. (fiscal year, BE)")
def report_annual(home: Path | None, fiscal_year: int | None) -> None:
    from sync.documents.reports import write_progress

    _echo_written(write_progress(_report_settings(home, fiscal_year, None), annual=True))


@report.command(
    "letters",
    help="หนังสือแจ้งการจัดสรรถึงโรงเรียนและหน่วยงาน จากทะเบียนคุมการจัดสรร (DOCX และ PDF) (allocation letters to schools)",
)
@home_option
@click.option("--fy", "fiscal_year", type=FiscalYear(), default=None, help="ปีงบประมาณ พ.ศ. (fiscal year, BE)")
@click.option("--letter", "letter_no", default=None, help="เฉพาะหนังสือ สพฐ. ฉบับนี้ (only for this OBEC letter number)")
def report_letters(home: Path | None, fiscal_year: int | None, letter_no: str | None) -> None:
    from sync.documents.letters import write_letters

    settings = _report_settings(home, fiscal_year, None)
    if missing := settings.office.missing(settings.home):
        click.echo(f"ยังไม่ได้ตั้งข้อมูลสำนักงาน: {', '.join(missing)} (esaplan office --help): หนังสือเว้นไว้ให้กรอกเอง", err=True)
    for batch in write_letters(settings, settings.fiscal_year, letter_no):
        click.echo(f"หนังสือรายหน่วยงาน {len(batch.units)} ฉบับ (one file per unit, for e-mail): {batch.folder}")
        if batch.pdf is not None:
            click.echo(f"ไฟล์รวมสำหรับพิมพ์ (all, for printing): {batch.pdf}")
        else:
            click.echo(next((w.note_th for w in batch.units if w.note_th), ""), err=True)


@report.command(
    "emenscr", help="ความก้าวหน้าโครงการในรูปแบบที่ระบบ eMENSCR ถาม (xlsx และ CSV) (project progress for eMENSCR)"
)
@home_option
@round_options
def report_emenscr(home: Path | None, fiscal_year: int | None, round_: str | None) -> None:
    from sync.documents.emenscr import write_emenscr

    export = write_emenscr(_report_settings(home, fiscal_year, round_))
    click.echo(str(export.xlsx))
    click.echo(str(export.csv))
    if export.blanks:
        click.echo(f"ช่องที่ eMENSCR ถามแต่ข้อมูลยังว่าง {export.blanks} ช่อง: ดูแผ่นงาน ช่องที่ยังว่าง (left blank, listed)", err=True)


@report.command(
    "small-schools",
    help="โรงเรียนที่เข้าข่ายเรียนรวม/ควบรวม พร้อมโรงเรียนหลักที่ใกล้ที่สุด และขนาดโรงเรียนรายอำเภอ จากข้อมูลนักเรียนของรอบนี้ (small schools and merger candidates)",
)
@home_option
@round_options
def report_small_schools(home: Path | None, fiscal_year: int | None, round_: str | None) -> None:
    from sync.documents.small_schools import small_schools_workbook

    click.echo(f"เขียนแล้ว (written): {small_schools_workbook(_report_settings(home, fiscal_year, round_))}")


@report.command(
    "class-plan",
    help="คาดการณ์นักเรียนเข้า ม.1 ล่วงหน้า 3 ปี รายโรงเรียนที่รับ และอัตราการเรียนต่อ จากข้อมูลนักเรียนของรอบนี้ (grade 7 intake, three years ahead)",
)
@home_option
@round_options
def report_class_plan(home: Path | None, fiscal_year: int | None, round_: str | None) -> None:
    from sync.documents.class_plan import class_plan_workbook

    click.echo(f"เขียนแล้ว (written): {class_plan_workbook(_report_settings(home, fiscal_year, round_))}")
