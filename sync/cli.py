"""``esaplan`` command line: parses arguments, calls the library, prints one clean message on error.

Sub-commands are grouped by subject (``esaplan rules ...``); later features add their own.
"""

from __future__ import annotations

from pathlib import Path

import click

from rules import EsaplanError
from rules.check import check
from rules.parameters import DATA_DIR, Parameters


@click.group(help="esaplan - เครื่องมือกลุ่มนโยบายและแผน สพป. (planning toolkit for a Thai primary service area office)")
@click.version_option(package_name="esaplan")
def main() -> None:
    """Root command group."""


@main.group(help="ข้อมูลกฎ: อัตรา เกณฑ์ ตัวชี้วัด (rules data: rates, limits, KPIs)")
def rules() -> None:
    """Commands about rules/data."""


@rules.command("check", help="ตรวจไฟล์ข้อมูลกฎทุกไฟล์ บอกไฟล์และบรรทัดที่ผิด (validate every rules data file)")
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=DATA_DIR, show_default=True, help="โฟลเดอร์ข้อมูลกฎ (rules data folder)")
@click.option("--verbose", "-v", is_flag=True, help="แสดงรายการค่าที่รอกรอกและยังไม่ยืนยันทั้งหมด (list every value to fill or verify)")
def rules_check(data_dir: Path, verbose: bool) -> None:
    report = check(data_dir)
    for problem in report.problems:
        click.echo(f"ผิดพลาด (error) {problem}", err=True)
    click.echo(f"ตรวจแล้ว {report.files} ไฟล์ (checked {report.files} files): ข้อผิดพลาด {len(report.problems)}")
    click.echo(f"รอกรอกค่า (to be filled): {len(report.to_fill)}  ยังไม่ยืนยัน (unverified): {len(report.unverified)}")
    if verbose:
        for label, rows in (("รอกรอก", report.to_fill), ("ยังไม่ยืนยัน", report.unverified)):
            for row in rows:
                click.echo(f"  {label}: {row}")
    if not report.ok:
        raise SystemExit(1)


@rules.command("show", help="แสดงค่าของพารามิเตอร์ตามวันที่ พร้อมที่มา (show a parameter's dated values and sources)")
@click.argument("name")
def rules_show(name: str) -> None:
    try:
        parameter = Parameters(DATA_DIR)[name]
    except EsaplanError as exc:
        raise click.ClickException(exc.message_th) from None
    click.echo(f"{parameter.name}: {parameter.description} [{parameter.unit}]")
    for key, series in parameter.series.items():
        for dated in series:
            value = "รอกรอก (to fill)" if dated.value is None else dated.value
            flag = "" if dated.verified else "  [ยังไม่ยืนยัน unverified]"
            click.echo(f"  {key or '-'}  ตั้งแต่ {dated.start}: {value}{flag}  ({dated.reference})")
