"""The spreadsheet hosts' commands: the add-in files, Excel desktop, the Google Sheets schools fill."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rules import EsaplanError
from sync.cli.app import home_option, main


@main.group(help="ไฟล์สำหรับติดตั้งสูตร ESA ใน Excel บนเว็บ/Mac, Google Sheets และ xlwings Lite (add-in files)")
def addin() -> None:
    """Commands about the spreadsheet add-ins."""


@addin.command(
    "build",
    help="เขียนไฟล์ add-in (manifest, Code.gs, main.py) สำหรับที่อยู่ของบริการ (write the add-in files for a service address)",
)
@click.option("--url", required=True, help="ที่อยู่ของบริการ esaplan เช่น https://esaplan.example.go.th (service address)")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("workbooks/addin"),
    show_default=True,
    help="โฟลเดอร์ปลายทาง (output folder)",
)
def addin_build(url: str, out: Path) -> None:
    import json
    from urllib.parse import urlsplit

    if urlsplit(url.strip()).scheme != "https":
        raise click.ClickException(
            f"ที่อยู่ {url} ไม่ใช่ https: Office โหลด add-in จากที่อยู่ https เท่านั้น ตั้งบริการหลัง proxy ที่มีใบรับรอง "
            "(ดู README ส่วน The web pages) แล้วใช้ที่อยู่ https (Office loads add-ins over HTTPS only)"
        )

    from addin.appsscript import apps_script
    from addin.lite import lite_main
    from addin.officejs import functions_metadata, manifest_xml

    out.mkdir(parents=True, exist_ok=True)
    files = {
        "esaplan-manifest.xml": manifest_xml(url),
        "functions.json": json.dumps(functions_metadata(), ensure_ascii=False, indent=1),
        "Code.gs": apps_script(),
        "xlwings-lite-main.py": lite_main(url),
    }
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
        click.echo(f"เขียนแล้ว (written): {out / name}")


@main.group(help="Excel บนเครื่องของเจ้าหน้าที่ (Excel desktop on a staff PC, Windows)")
def excel() -> None:
    """Commands about Excel desktop."""


@excel.command(
    "setup",
    help="เขียน esaplan.xlsm (ปุ่ม แมโคร ตัวอย่างสูตร) และตั้งที่อยู่ระบบกับรหัสเชื่อมต่อของผู้ใช้ (write esaplan.xlsm and set the connection)",
)
@click.option("--url", required=True, help="ที่อยู่ของบริการ esaplan เช่น https://esaplan.example.go.th (service address)")
@click.option(
    "--token",
    prompt="รหัสเชื่อมต่อของท่าน (your connection code)",
    hide_input=True,
    help="รหัสเชื่อมต่อของท่าน สร้างที่หน้าเว็บ esaplan เมนู รหัสเชื่อมต่อสูตร (your own connection code)",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path.home() / "Documents" / "esaplan.xlsm",
    show_default=True,
    help="ไฟล์ที่จะเขียน (workbook to write)",
)
def excel_setup(url: str, token: str, out: Path) -> None:
    import os
    import subprocess

    from sync.files.atomic import write_atomically

    try:
        from addin.excel_workbook import esaplan_xlsm
    except ModuleNotFoundError as missing:  # xlwings and XlsxWriter come with the [excel] extra
        raise click.ClickException(
            f'ยังไม่ได้ติดตั้งส่วนของ Excel ({missing.name}): pip install "esaplan[excel] @ ..." ก่อน (install the excel extra first)'
        ) from None
    content = esaplan_xlsm()
    write_atomically(out, lambda name: Path(name).write_bytes(content))
    click.echo(f"เขียนแล้ว (written): {out}")
    settings = {"ESAPLAN_URL": url.strip().rstrip("/"), "ESAPLAN_TOKEN": token.strip()}
    if os.name == "nt":  # the user's own environment (no administrator needed); Excel sees it once restarted
        for name, value in settings.items():
            subprocess.run(["setx", name, value], check=True, capture_output=True)
        click.echo("ตั้งค่า ESAPLAN_URL และ ESAPLAN_TOKEN ของผู้ใช้แล้ว: ปิด Excel ทุกหน้าต่างแล้วเปิดใหม่ (set; restart Excel)")
    else:
        click.echo(
            "เครื่องนี้ไม่ใช่ Windows: ตั้งค่า ESAPLAN_URL และ ESAPLAN_TOKEN เองบนเครื่องที่ใช้ Excel (not Windows: set them on the Excel PC)"
        )
    click.echo("ต่อไป: เปิดไฟล์ ทำตามขั้นตอนในแผ่นงาน 'เริ่มต้น' (next: open the file and follow its first sheet)")


@main.group(help="Google Sheets ที่โรงเรียนกรอก (the Google Sheets schools fill in)")
def sheets() -> None:
    """Commands about the schools' Google Sheets."""


@sheets.command(
    "provision",
    help="สร้าง Google Sheet ให้ทุกโรงเรียนจากต้นฉบับ แชร์ให้อีเมลโรงเรียน ป้องกันหัวตารางและสูตร บันทึกรหัสแผ่นงานลงทะเบียน สั่งซ้ำได้ไม่เกิดซ้ำ "
    "(copy the template once per school, share it, protect headers and formulas, record it in the registry; safe to re-run)",
)
@home_option
def sheets_provision(home: Path | None) -> None:
    from sync.intake.gsheets.provision import provision
    from sync.office.settings import load_settings

    settings = load_settings(home)
    bar = None

    def progress(done: int, total: int, unit_code: str) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(
                length=total, label="เตรียม Google Sheets (provisioning)", file=sys.stderr, show_pos=True
            )
            bar.__enter__()
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    try:
        report = provision(settings, progress=progress)
    except EsaplanError as exc:
        raise click.ClickException(exc.message_th) from None
    click.echo(
        f"สร้างใหม่ (created) {len(report.created)}  ใช้แผ่นที่สร้างค้างไว้ (found from an interrupted run) {len(report.adopted)}  "
        f"มีอยู่แล้ว (already there) {len(report.existing)}"
    )
    click.echo(f"แชร์ให้หน่วยงาน (shared) {len(report.shared)}  ตั้งการป้องกันและกรอกรหัส (protected) {len(report.protected)}")
    for label, rows in (("ข้าม (skipped)", report.skipped), ("ไม่สำเร็จ (failed)", report.failed)):
        if rows:
            click.echo(f"{label} {len(rows)}:")
            for code, reason in sorted(rows):
                click.echo(f"  {code} {reason}")
    if report.failed:
        raise SystemExit(1)
