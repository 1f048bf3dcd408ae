"""The registers' commands: the action plan register and the money register."""

from __future__ import annotations

from pathlib import Path

import click

from rules import EsaplanError
from sync.cli.app import FiscalYear, home_option, main, round_options


@main.command(
    "plan",
    help="รวมแผนปฏิบัติการประจำปีจากแบบเสนอโครงการของกลุ่มงาน (plan/inbox/<รหัสกลุ่ม>/) ตรวจ แล้วเขียนทะเบียนแผน (consolidate the groups' action-plan workbooks into the register)",
)
@home_option
@click.option("--fy", "fiscal_year", type=FiscalYear(), default=None, help="ปีงบประมาณ พ.ศ. (fiscal year, BE)")
def plan_command(home: Path | None, fiscal_year: int | None) -> None:
    from rules.budget_sources import plan_source
    from rules.money import format_number
    from sync.office.settings import load_settings
    from sync.registers.plan import consolidate_plan

    settings = load_settings(home, fiscal_year=fiscal_year)
    try:
        run = consolidate_plan(settings, settings.fiscal_year)
    except EsaplanError as exc:
        raise click.ClickException(exc.message_th) from None
    register = run.register
    sent = {p.group_code for p in register.projects}
    click.echo(
        f"แผนปฏิบัติการปีงบประมาณ {settings.fiscal_year}: ไฟล์ {run.files_seen} ไฟล์, ฉบับใหม่ {run.new_versions}; กลุ่มที่มีโครงการ {len(sent)}/{len(run.groups)}, โครงการ {len(register.projects)}, งบประมาณรวม {format_number(register.total)} บาท"
    )
    for code, amount in register.by_source().items():
        if amount:
            click.echo(f"  {plan_source(code).th}: {format_number(amount)} บาท")
    unserved = [i for i in run.issues if i.rule == "PLAN-KPI-UNSERVED"]
    for issue in run.issues:
        if issue.rule != "PLAN-KPI-UNSERVED":
            click.echo(f"[{issue.rule}] {issue.message_th}")
    if unserved:
        click.echo(
            f"[PLAN-KPI-UNSERVED] ตัวชี้วัดที่ยังไม่มีโครงการใดตอบ {len(unserved)} ตัว (รายการอยู่ในแผ่นงาน ปัญหาที่พบ ของทะเบียน)"
        )
    for code, problems in sorted(run.problems.items()):
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            more = f" (และอีก {len(errors) - 1} รายการ)" if len(errors) > 1 else ""
            click.echo(f"  {code}: {errors[0].sheet} {errors[0].cell}: {errors[0].message_th}{more}")
    for notice in run.notices:
        click.echo(f"{notice.channel} {notice.unit_code or '?'} [{notice.rule}]: {notice.message_th}", err=True)
    click.echo(str(run.path))


@main.command(
    "money",
    help="ทะเบียนคุมการจัดสรรงบประมาณ: ตรวจไฟล์ทะเบียน บันทึกรายการที่เปลี่ยนลงสมุดบัญชี แล้วเขียนยอดคงเหลือ (the allocation control register)",
)
@home_option
@round_options
@click.option(
    "--start", is_flag=True, help="เขียนไฟล์ทะเบียนเปล่าของปีนี้ไว้ใน money/ ให้กรอก (write the year's empty register workbook)"
)
@click.option("--by", "actor", default=None, help="ชื่อผู้บันทึก (who records; default the computer's user name)")
def money_command(
    home: Path | None, fiscal_year: int | None, round_: str | None, start: bool, actor: str | None
) -> None:
    import getpass

    from rules.allocation_register import baht
    from rules.money import format_number
    from sync.ledger.status import SEVERITY_TH as STATUS_SEVERITY_TH
    from sync.office.settings import load_settings
    from sync.registers.money import RegisterRefused, start_workbook
    from sync.registers.money_summary import run_register

    settings = load_settings(home, fiscal_year=fiscal_year, round=int(round_) if round_ else None)
    if start:
        click.echo(
            f"ทะเบียนของปีงบประมาณ {settings.fiscal_year} (register workbook): {start_workbook(settings, settings.fiscal_year)}"
        )
        return
    try:
        run = run_register(settings, settings.fiscal_year, actor or getpass.getuser())
    except RegisterRefused as exc:
        for problem in exc.problems:
            if problem.severity == "error":
                click.echo(f"  {problem.sheet} {problem.cell} [{problem.rule}]: {problem.message_th}", err=True)
        raise click.ClickException(exc.message_th) from None
    lines = run.lines.values()
    received = sum(line.letter.amount + line.moved_in - line.moved_out for line in lines)
    allocated = sum(line.allocated for line in lines)
    click.echo(
        f"ทะเบียนคุมการจัดสรร ปีงบประมาณ {settings.fiscal_year}: บันทึกรายการใหม่ {len(run.added)} รายการ; รายการในหนังสือ {len(run.lines)} รายการ"
    )
    click.echo(
        f"  วงเงิน {format_number(baht(received))} บาท จัดสรรให้หน่วยงาน {format_number(baht(allocated))} บาท คงเหลือ {format_number(baht(received - allocated))} บาท"
    )
    errors = [issue for issue in run.issues if issue.severity == "error"]
    for issue in errors[:20]:
        click.echo(f"  [{issue.rule}] {issue.message_th}")
    if len(errors) > 20:
        click.echo(f"  ... ข้อผิดพลาดอีก {len(errors) - 20} รายการ")
    counts: dict[tuple[str, str], int] = {}
    for issue in run.issues:
        if issue.severity != "error":
            counts[(issue.severity, issue.rule)] = counts.get((issue.severity, issue.rule), 0) + 1
    for (severity, rule), count in sorted(counts.items()):
        click.echo(f"  [{rule}] {STATUS_SEVERITY_TH[severity]} {count} รายการ")
    click.echo(f"รายละเอียดทุกรายการอยู่ในแผ่นงาน ปัญหาที่พบ (every issue is in the summary's ปัญหาที่พบ sheet): {run.summary}")
