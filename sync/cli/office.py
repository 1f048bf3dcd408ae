"""The installation's commands: the office's identity, the rules data, staff accounts, the ledger's database."""

from __future__ import annotations

from pathlib import Path

import click

from rules import EsaplanError
from sync.cli.app import home_option, main


@main.group(help="ข้อมูลกฎ: อัตรา เกณฑ์ ตัวชี้วัด (rules data: rates, limits, KPIs)")
def rules() -> None:
    """Commands about rules/data."""


@rules.command("check", help="ตรวจไฟล์ข้อมูลกฎทุกไฟล์ บอกไฟล์และบรรทัดที่ผิด (validate every rules data file)")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="โฟลเดอร์ข้อมูลกฎ (rules data folder; default $ESAPLAN_RULES_DATA or the package's rules/data)",
)
@click.option(
    "--verbose", "-v", is_flag=True, help="แสดงรายการค่าที่รอกรอกและยังไม่ยืนยันทั้งหมด (list every value to fill or verify)"
)
def rules_check(data_dir: Path | None, verbose: bool) -> None:
    from rules.check import check
    from rules.parameters import DATA_DIR

    report = check(data_dir or DATA_DIR)
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
    from rules.parameters import DATA_DIR, Parameters

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


@main.command(
    "office",
    help="ข้อมูลสำนักงานบนหน้าเว็บ ไฟล์รวม หนังสือและเอกสาร: ชื่อ ที่อยู่ เลขที่หนังสือ ผู้ลงนาม ส่วนราชการเจ้าของเรื่อง "
    "โทรศัพท์ อีเมล ภาพตราครุฑ (the office's identity; without options it is shown)",
)
@click.option("--name", default=None, help="ชื่อสำนักงาน เช่น สำนักงานเขตพื้นที่การศึกษาประถมศึกษาขอนแก่น เขต 5 (office name)")
@click.option("--address", default=None, help="ที่อยู่สำนักงาน (postal address)")
@click.option("--book-prefix", default=None, help="รหัสหนังสือออก เช่น ศธ 04135 (outgoing letter number prefix)")
@click.option("--section", default=None, help="ส่วนราชการเจ้าของเรื่อง เช่น กลุ่มนโยบายและแผน (owning section)")
@click.option("--phone", default=None, help="โทรศัพท์ของส่วนราชการเจ้าของเรื่อง (telephone)")
@click.option("--email", default=None, help="ไปรษณีย์อิเล็กทรอนิกส์ (e-mail)")
@click.option("--garuda", default=None, help="ไฟล์ภาพตราครุฑของสำนักงาน PNG หรือ JPG ในโฟลเดอร์ติดตั้ง (Garuda image)")
@click.option("--director", default=None, help="ชื่อผู้ลงนาม เช่น นายสมชาย ใจดี (signatory's name)")
@click.option("--director-title", default=None, help="ตำแหน่งผู้ลงนาม (ว่าง = ผู้อำนวยการ + ชื่อสำนักงาน) (signatory title)")
@home_option
def office(home: Path | None, **given: str | None) -> None:
    from sync.office.identity import FIELDS_TH
    from sync.office.settings import load_settings, set_config

    settings = load_settings(home)
    values = {f"office_{key}": value.strip() for key, value in given.items() if value is not None}
    if values:
        set_config(settings.home, **values)
        settings = load_settings(home)
    for key, label in FIELDS_TH.items():
        click.echo(f"{label} ({key}): {getattr(settings.office, key) or '-'}")
    if missing := settings.office.missing(settings.home):
        click.echo(f"ยังไม่ได้ตั้ง (not set): {', '.join(missing)}: หนังสือจะเว้นเส้นประไว้ให้กรอกเอง")
    click.echo(f"ตั้งค่าอยู่ใน (in) {settings.home / 'esaplan.toml'}")


@main.group(help="บัญชีผู้ใช้หน้าเว็บของเจ้าหน้าที่ (staff accounts for the web pages)")
def users() -> None:
    """Commands about staff accounts."""


@users.command("add", help="เพิ่มบัญชีเจ้าหน้าที่ ถามรหัสผ่านสองครั้ง (add a staff account; asks for the password twice)")
@click.argument("username")
@click.option("--name", "display_name", default="", help="ชื่อที่แสดง เช่น นางสาวสมใจ ใจดี (display name)")
@click.option("--reset", is_flag=True, help="ตั้งรหัสผ่านใหม่ให้บัญชีที่มีอยู่แล้ว (set a new password for an existing account)")
@home_option
def users_add(username: str, display_name: str, reset: bool, home: Path | None) -> None:
    from sync.ledger.database import open_ledger
    from sync.office.settings import load_settings
    from sync.service.accounts import Users

    settings = load_settings(home)
    settings.home.mkdir(parents=True, exist_ok=True)
    password = click.prompt("รหัสผ่าน (password)", hide_input=True, confirmation_prompt="ยืนยันรหัสผ่าน (repeat)")
    try:
        Users(open_ledger(settings.database_url).engine).add(username, display_name, password, reset=reset)
    except EsaplanError as exc:
        raise click.ClickException(exc.message_th) from None
    click.echo(f"บันทึกบัญชี {username.strip().casefold()} แล้ว (account saved)")


@users.command("list", help="รายชื่อบัญชีเจ้าหน้าที่ (list staff accounts)")
@home_option
def users_list(home: Path | None) -> None:
    from sync.ledger.database import open_ledger
    from sync.office.settings import load_settings
    from sync.service.accounts import Users

    for user in Users(open_ledger(load_settings(home).database_url).engine).all():
        click.echo(f"{user['username']}\t{user['display_name']}\t{user['created_at']:%Y-%m-%d}")


@main.group(help="สมุดบันทึกของระบบ: ฉบับที่ส่ง ผลการตรวจ บัญชีผู้ใช้ ทะเบียนเงิน (the ledger database)")
def ledger() -> None:
    """Commands about the ledger database."""


@ledger.command(
    "move",
    help="ย้ายสมุดบันทึกไปฐานข้อมูลใหม่ที่ว่าง เช่น PostgreSQL ของหลายเครื่อง แล้วตั้งค่าให้ใช้ฐานข้อมูลนั้น ฐานข้อมูลเดิมไม่ถูกลบ (copy the ledger into a new, empty database and use it)",
)
@click.option(
    "--to",
    "target",
    required=True,
    help="ที่อยู่ฐานข้อมูลใหม่ เช่น postgresql+psycopg://esaplan:รหัสผ่าน@server/esaplan (the new database URL)",
)
@home_option
def ledger_move(target: str, home: Path | None) -> None:
    import os

    from sync.ledger.move import move_ledger
    from sync.office.settings import load_settings

    settings = load_settings(home)
    copied = move_ledger(settings, target)  # a refusal is one Thai line (Commands)
    for table, rows in copied.items():
        click.echo(f"  {table}: {rows:,} แถว (rows)")
    click.echo(
        f"ย้ายแล้ว ตรวจนับครบ {sum(copied.values()):,} แถว {settings.home / 'esaplan.toml'} ใช้ฐานข้อมูลใหม่แล้ว ฐานข้อมูลเดิมยังอยู่ (moved and counted; the old ledger is kept)"
    )
    if os.environ.get("ESAPLAN_DATABASE_URL"):
        click.echo(
            "ESAPLAN_DATABASE_URL ยังตั้งไว้และมาก่อน esaplan.toml: ตั้งให้เป็นที่อยู่ใหม่ หรือลบออก (the environment variable still overrides the file)"
        )
