"""``esaplan`` command line: parses arguments, calls the library, prints one clean message on error.

Sub-commands are grouped by subject (``esaplan rules ...``); later features add their own.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path
from typing import Any

import click

from rules import EsaplanError
from rules.check import check
from rules.parameters import DATA_DIR, Parameters

from sync.cli.messages import PREFIX, thai_error


class _Commands(click.Group):
    """The root group: any error (a bad year, a broken settings file, a mistyped option) is one Thai
    line, not a traceback nor click's English."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EsaplanError as exc:
            raise click.ClickException(exc.message_th) from None

    def main(self, *args: Any, standalone_mode: bool = True, **extra: Any) -> Any:  # type: ignore[override]
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **extra)
        try:
            return super().main(*args, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as shown:  # a group named without its command: its help, as click shows it
            shown.show()
            sys.exit(shown.exit_code)
        except click.ClickException as error:
            click.echo(thai_error(error), err=True)
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo(f"{PREFIX}ยกเลิกแล้ว (aborted)", err=True)
            sys.exit(1)


class _Round(click.ParamType):
    """``--round``: 6, 9 or 12 (Thai digits too); anything else is refused in Thai."""

    name = "6|9|12"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from pythainlp.util import thai_digit_to_arabic_digit

        months = thai_digit_to_arabic_digit(str(value)).strip()
        if months not in ("6", "9", "12"):
            self.fail(f"'{value}' ไม่ใช่รอบรายงาน: ต้องเป็น 6, 9 หรือ 12 (เดือน)", param, ctx)
        return months


class _FiscalYear(click.ParamType):
    """``--fy``: a Buddhist-Era fiscal year, Thai digits allowed; a CE or two-digit year is refused with the fix."""

    name = "ปี พ.ศ."

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        from rules.thai import reporting_round

        try:
            return reporting_round(value, 12).fiscal_year
        except EsaplanError as exc:
            self.fail(exc.message_th, param, ctx)


@click.group(cls=_Commands, help="esaplan - เครื่องมือกลุ่มนโยบายและแผน สพป. (planning toolkit for a Thai primary service area office)")
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


def _home_option(function):  # type: ignore[no-untyped-def]
    return click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=None, help="โฟลเดอร์ข้อมูลของระบบ (installation folder; default $ESAPLAN_HOME or ./esaplan-data)")(function)


def _round_options(function):  # type: ignore[no-untyped-def]
    function = click.option("--fy", "fiscal_year", type=_FiscalYear(), default=None, help="ปีงบประมาณ พ.ศ. (fiscal year, BE)")(function)
    return click.option("--round", "round_", type=_Round(), default=None, help="รอบรายงาน 6/9/12 เดือน (reporting round)")(function)


@main.command("templates", help="เขียนแบบรายงานสำหรับโรงเรียนและกลุ่มงานลงโฟลเดอร์ workbooks/ (write the submission workbooks)")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("workbooks"), show_default=True, help="โฟลเดอร์ปลายทาง (output folder)")
@click.option("--emis", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None, help="ไฟล์ EMIS จำนวนนักเรียนรายชั้น: เขียนแบบรายงานรายโรงเรียนที่กรอกข้อมูลนักเรียนไว้แล้ว (EMIS export to prefill per school)")
@_home_option
@_round_options
def templates(out: Path, emis: Path | None, home: Path | None, fiscal_year: int | None, round_: str | None) -> None:
    from rules.forms import form_sets
    from sync.office.emis import read_emis_enrolment
    from sync.registers.plan import load_register, progress_rows
    from sync.office.registry import load_registry, office_groups
    from sync.office.settings import load_settings
    from sync.intake.templates import write_template

    settings = load_settings(home, fiscal_year=fiscal_year, round=int(round_) if round_ else None)
    for form_set in form_sets().values():
        path = write_template(form_set, out / form_set.file, fiscal_year=settings.fiscal_year, round_=settings.round)
        click.echo(f"เขียนแล้ว (written): {path}")
    register = load_register(settings, settings.fiscal_year) if settings.home.is_dir() else None
    if register and register.projects:  # each group's progress form, its projects and activities already listed
        for group in office_groups(load_registry(settings.registry_path) if settings.registry_path.is_file() else {}):
            rows = progress_rows(register, group.code)
            if rows:
                path = write_template(form_sets()["group"], out / "groups" / f"{group.code}.xlsx", fiscal_year=settings.fiscal_year, round_=settings.round, unit=group, values={"project_progress": rows})
                click.echo(f"เขียนแล้ว (written): {path}")
    if emis:
        registry = load_registry(settings.registry_path)
        by_id = {u.school_id: u for u in registry.values() if u.school_id}
        imported = read_emis_enrolment(emis)
        school_set = form_sets()["school"]
        matched = [(by_id[school_id], rows) for school_id, rows in imported.by_school.items() if school_id in by_id]
        if not matched:
            raise click.ClickException(
                f"ไม่มีโรงเรียนในไฟล์ EMIS {emis.name} ({len(imported.by_school)} โรงเรียน เช่น school_id {next(iter(imported.by_school), '-')}) ที่ตรงกับทะเบียนหน่วยงาน {settings.registry_path} "
                f"({len(by_id)} โรงเรียนที่มี school_id): ใช้ไฟล์ EMIS ของเขตนี้ (no school of the EMIS file is in the registry)"
            )
        for school_id in sorted(set(imported.by_school) - set(by_id)):
            click.echo(f"ข้าม (skipped) school_id {school_id}: ไม่มีในทะเบียนหน่วย (not in the registry)", err=True)
        for unit, rows in matched:
            path = write_template(school_set, out / "schools" / f"{unit.code}.xlsx", fiscal_year=settings.fiscal_year, round_=settings.round, unit=unit, values={"enrolment": rows})
            click.echo(f"เขียนแล้ว (written): {path}")


@main.command("consolidate", help="รวมข้อมูลจากทุกหน่วยเป็นไฟล์รวม (consolidate submissions into the master workbook)")
@_home_option
@_round_options
@click.option("--full", is_flag=True, help="อ่าน Google Sheets ทุกแผ่นใหม่ แม้ไม่มีการแก้ไข (re-read every Google Sheet, changed or not)")
@click.option("--all-areas", is_flag=True, help="ทุกเขตใน areas.csv: งานละเขตผ่านคิว แล้วเขียนสรุปหลายเขตและข้อมูล Parquet (every area of areas.csv, one job each, then the summary across areas)")
@click.option("--no-worker", is_flag=True, help="กับ --all-areas: ให้ esaplan worker เครื่องอื่นทำงาน (with --all-areas: leave the jobs to other machines' workers)")
def consolidate_command(home: Path | None, fiscal_year: int | None, round_: str | None, full: bool, all_areas: bool, no_worker: bool) -> None:
    from sync.office.settings import load_settings

    settings = load_settings(home, fiscal_year=fiscal_year, round=int(round_) if round_ else None)
    if all_areas:
        _consolidate_areas(settings, worker=not no_worker)
    else:
        _run_consolidation(settings, full=full)


def _consolidate_areas(settings: Any, *, worker: bool) -> None:
    """One job per area on the queue, followed to the end, then the office's files across areas."""
    import time

    from sync.office.areas import load_areas
    from sync.service.jobs import Jobs
    from sync.ledger.store import open_ledger

    try:
        from sync.master.province import national_store, summary_workbook
    except ModuleNotFoundError as missing:  # DuckDB and pyarrow come with the [areas] extra
        raise click.ClickException(f'ยังไม่ได้ติดตั้งส่วนของหลายเขต ({missing.name}): pip install "esaplan[areas]" ก่อน (install the areas extra first)') from None

    areas = load_areas(settings)
    if not areas:
        raise click.ClickException(f"ยังไม่มีรายชื่อเขต {settings.home / 'areas.csv'} (code,name_th,province,home) (no areas.csv)")
    jobs = Jobs(open_ledger(settings.database_url).engine, settings)
    started = {code: jobs.start(settings.fiscal_year, settings.round, "command line", area=code)[0] for code in areas}
    if worker:
        jobs.embedded_worker().start()
    click.echo(f"ส่งงานเข้าคิวแล้ว {len(started)} เขต (queued one job per area)", err=True)
    with click.progressbar(length=len(started), label="เขตที่รวมเสร็จ (areas done)", file=sys.stderr, show_pos=True) as bar:
        ended: dict[str, dict[str, Any]] = {}
        while len(ended) < len(started):
            time.sleep(0.5)
            waiting = {job_id: code for code, job_id in started.items() if code not in ended}
            for job_id, job in jobs.ended(waiting).items():
                ended[waiting[job_id]] = job
                bar.update(1)
    failed = {code: job for code, job in ended.items() if job["status"] != "done"}
    for code, job in failed.items():
        click.echo(f"{code} {areas[code].name_th}: {job['error']}", err=True)
    done = [areas[code] for code in started if code not in failed]
    national = national_store(settings, done, settings.fiscal_year, settings.round)
    if not national:
        raise click.ClickException("ไม่มีเขตใดรวมข้อมูลสำเร็จ (no area was consolidated)")
    click.echo(f"ข้อมูลทุกเขต (Parquet): {next(iter(national.values())).parent}")
    click.echo(f"สำเร็จ {len(done)} เขต ไม่สำเร็จ {len(failed)} เขต (areas done, failed)")
    click.echo(str(summary_workbook(settings, national, settings.fiscal_year, settings.round)))


@main.command("feedback", help="เขียนไฟล์ของแต่ละโรงเรียนกลับคืน ทำเครื่องหมายช่องที่ผิดพร้อมคำอธิบาย และแผ่นสรุปผลการตรวจสอบ เพื่อส่งกลับให้โรงเรียน (write each school's workbook back with its problems marked)")
@_home_option
@_round_options
@click.option("--unit", "units", multiple=True, help="เฉพาะหน่วยนี้ ระบุได้หลายครั้ง (only this unit; repeatable)")
@click.option("--all", "include_clean", is_flag=True, help="รวมหน่วยที่ไม่พบปัญหา (also units with nothing to fix)")
def feedback(home: Path | None, fiscal_year: int | None, round_: str | None, units: tuple[str, ...], include_clean: bool) -> None:
    from sync.rounds.feedback import write_feedback
    from sync.ledger.store import open_ledger
    from sync.office.registry import unit_code
    from sync.office.settings import load_settings

    settings = load_settings(home, fiscal_year=fiscal_year, round=int(round_) if round_ else None)
    written = write_feedback(settings, open_ledger(settings.database_url), units={unit_code(u) for u in units} or None, include_clean=include_clean)
    for item in written:
        note = "" if item.marked_in_file else " (เปิดไฟล์ที่ส่งไม่ได้: มีเฉพาะแผ่นสรุป)"
        click.echo(f"{item.unit.code} {item.unit.name_th}: ข้อผิดพลาด {item.errors} คำเตือน {item.warnings} ข้อสังเกต {item.notes}{note}")
    folder = settings.home / "feedback" / f"FY{settings.fiscal_year}-R{settings.round}"
    with_errors = sum(1 for item in written if item.errors)
    click.echo(f"เขียนไฟล์ผลการตรวจสอบ {len(written)} ไฟล์ (มีข้อผิดพลาด {with_errors} หน่วย) ส่งกลับให้โรงเรียนได้จากโฟลเดอร์ (feedback files written to):")
    click.echo(str(folder))


@main.command("office", help="ตั้งชื่อและที่อยู่ของสำนักงานเขต ที่แสดงบนหน้าเว็บ ไฟล์รวม และเอกสาร (set the office's name and address)")
@click.option("--name", "name", default=None, help="ชื่อสำนักงาน เช่น สำนักงานเขตพื้นที่การศึกษาประถมศึกษาขอนแก่น เขต 5 (office name)")
@click.option("--address", default=None, help="ที่อยู่สำนักงาน (postal address)")
@_home_option
def office(name: str | None, address: str | None, home: Path | None) -> None:
    from sync.office.settings import load_settings, set_config

    settings = load_settings(home)
    values = {key: value.strip() for key, value in (("office_name", name), ("office_address", address)) if value is not None}
    if values:
        set_config(settings.home, **values)
        settings = load_settings(home)
    click.echo(f"ชื่อสำนักงาน (name): {settings.office_name}")
    click.echo(f"ที่อยู่ (address): {settings.office_address or '-'}")
    click.echo(f"ตั้งค่าอยู่ใน (in) {settings.home / 'esaplan.toml'}")


@main.command("versions", help="ฉบับที่หน่วยส่งในรอบนี้และฉบับที่นำไปรวม เลือกฉบับอื่นให้นำไปรวมได้ (a unit's versions in the round and which counts)")
@click.argument("code")
@click.option("--use", "use", default=None, help="ให้ใช้ข้อมูลฉบับที่ N ของหน่วยนี้ หรือ auto = ฉบับล่าสุดที่รับได้ (count version N, or auto: the latest accepted)")
@_home_option
@_round_options
def versions(code: str, use: str | None, home: Path | None, fiscal_year: int | None, round_: str | None) -> None:
    import getpass

    from rules.thai import thai_time
    from sync.service.accounts import Audit
    from sync.ledger.store import open_ledger
    from sync.office.registry import find_unit, load_registry, sets_for
    from sync.office.settings import load_settings

    settings = load_settings(home, fiscal_year=fiscal_year, round=int(round_) if round_ else None)
    unit = find_unit(code, load_registry(settings.registry_path))
    if unit is None:
        raise click.ClickException(f"ไม่มีหน่วยรหัส {code} ในทะเบียนหน่วยงาน (registry.csv)")
    ledger = open_ledger(settings.database_url)
    form_set = sets_for(unit)[0].code
    if use is not None:
        if not (use == "auto" or use.isdigit()):
            raise click.ClickException(f"--use ต้องเป็นเลขฉบับ เช่น 2 หรือ auto (ได้ '{use}')")
        chosen = ledger.choose(unit.code, form_set, settings.fiscal_year, settings.round, None if use == "auto" else int(use), f"command line ({getpass.getuser()})")
        detail = f"ปีงบประมาณ {settings.fiscal_year} รอบ {settings.round}: " + (f"ใช้ข้อมูลฉบับที่ {chosen.version}" if chosen else "ใช้ฉบับล่าสุดที่รับได้")
        Audit(ledger.engine).record(f"command line ({getpass.getuser()})", "version-chosen", unit.code, detail)
        click.echo(f"บันทึกแล้ว (saved): {detail} (มีผลเมื่อรวมข้อมูลครั้งถัดไป: esaplan consolidate)")
    found = ledger.versions(settings.fiscal_year, settings.round)
    counted = found.counted.get((unit.code, form_set))
    latest = found.latest.get((unit.code, form_set))
    click.echo(f"{unit.code} {unit.name_th} ปีงบประมาณ {settings.fiscal_year} รอบ {settings.round} เดือน")
    sent = [s for s in reversed(ledger.history(unit.code)) if (s.fiscal_year, s.round, s.form_set) == (settings.fiscal_year, settings.round, form_set)]
    if not sent:
        click.echo("  ยังไม่ได้ส่งข้อมูลในรอบนี้ (nothing sent this round)")
    for s in sent:
        result = "ไม่รับ" if not s.accepted else f"ข้อผิดพลาด {s.errors}" if s.errors else "ผ่าน"
        marks = [m for m, on in (("นำไปรวม", counted and counted.id == s.id), ("ล่าสุด", latest and latest.id == s.id)) if on]
        made = f" บันทึกในไฟล์ {thai_time(s.made_at)}" if s.made_at else ""
        click.echo(f"  ฉบับที่ {s.version}: ส่งเมื่อ {thai_time(s.submitted_at)}{made} · {s.original_name} · {result}{' · ' + ', '.join(marks) if marks else ''}")


@main.command("demo", help="สร้างเขตพื้นที่ตัวอย่าง (โรงเรียนสมมุติ ~200 แห่ง) แล้วรวมข้อมูล (build a demo area and consolidate it)")
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=Path("esaplan-demo"), show_default=True, help="โฟลเดอร์ของเขตตัวอย่าง (demo folder; replaced if it is a demo)")
@click.option("--schools", type=click.IntRange(20, 10_000), default=200, show_default=True, help="จำนวนโรงเรียนสมมุติ (number of fictional schools)")
def demo(home: Path, schools: int) -> None:
    import secrets
    import shutil

    from sync.service.accounts import Users
    from sync.demo.area import DEMO_FY, DEMO_ROUND, build_demo
    from sync.ledger.store import open_ledger
    from sync.registers.money import run_register
    from sync.registers.plan import consolidate_plan
    from sync.office.settings import load_settings

    if home.exists():
        if not (home / "demo-mistakes.csv").exists():
            raise click.ClickException(f"{home} มีอยู่แล้วและไม่ใช่โฟลเดอร์ตัวอย่าง ใช้ --home อื่น ({home} exists and is not a demo folder)")
        shutil.rmtree(home)
    settings = load_settings(home, fiscal_year=DEMO_FY, round=DEMO_ROUND)
    planted = build_demo(settings, schools=schools)
    click.echo(f"สร้างเขตตัวอย่างแล้ว (demo area built): {schools} โรงเรียน, ความผิดพลาดที่ตั้งใจใส่ {len(planted)} รายการ ({home / 'demo-mistakes.csv'})")
    password = secrets.token_urlsafe(9)
    Users(open_ledger(settings.database_url).engine).add("demo", "เจ้าหน้าที่ตัวอย่าง", password)
    (home / "demo-login.txt").write_text(f"username: demo\npassword: {password}\n", encoding="utf-8")
    click.echo(f"หน้าเว็บ (web): esaplan serve --home {home} แล้วเปิด http://127.0.0.1:8080/ ผู้ใช้ demo รหัสผ่าน {password} (also in {home / 'demo-login.txt'})")
    run = consolidate_plan(settings, settings.fiscal_year)
    click.echo(f"แผนปฏิบัติการ (action plan): โครงการ {len(run.register.projects)} โครงการ, ปัญหา {sum(len(p) for p in run.problems.values()) + len(run.issues)} รายการ: {run.path}")
    money = run_register(settings, settings.fiscal_year, "demo")
    click.echo(f"ทะเบียนคุมการจัดสรร (allocation register): รายการ {len(money.added)} รายการ, เรื่องที่ต้องตรวจ {sum(i.severity != 'info' for i in money.issues)} รายการ: {money.summary}")
    _run_consolidation(settings)


@main.command("serve", help="เปิดบริการเว็บของ esaplan: หน้าเจ้าหน้าที่ ลิงก์ส่งไฟล์ของโรงเรียน และ API ของสูตรและมาโคร (run the sync service with waitress)")
@_home_option
@click.option("--host", default="127.0.0.1", show_default=True, help="ที่อยู่ที่รับการเชื่อมต่อ (address to listen on)")
@click.option("--port", default=8080, show_default=True, type=int, help="พอร์ต (port)")
@click.option(
    "--behind-proxy",
    is_flag=True,
    help="อยู่หลัง nginx/Caddy บนเครื่องเดียวกันที่ให้บริการ https: เชื่อ X-Forwarded-* จาก 127.0.0.1 และส่งคุกกี้ผ่าน https เท่านั้น (behind an https reverse proxy on this machine)",
)
@click.option("--no-worker", is_flag=True, help="ไม่รวมข้อมูลในเครื่องนี้: เครื่องอื่นรัน esaplan worker (jobs run on other machines' esaplan worker)")
def serve(home: Path | None, host: str, port: int, behind_proxy: bool, no_worker: bool) -> None:
    from waitress import serve as waitress_serve

    from sync.office.settings import load_settings
    from sync.service.web import create_app, settle_heap

    settings = load_settings(home)
    app = create_app(settings, https=behind_proxy, worker=not no_worker)
    settle_heap()
    click.echo(f"esaplan ที่ http://{host}:{port}/  รหัสเชื่อมต่ออยู่ใน {settings.home / 'api-token.txt'} (connection code file)")
    # Behind a proxy, links sent to schools must carry the public https address, and the audit
    # log the schools' own IP addresses, not the proxy's.
    proxy = {"trusted_proxy": "127.0.0.1", "trusted_proxy_headers": "x-forwarded-for x-forwarded-proto x-forwarded-host", "clear_untrusted_proxy_headers": True}
    waitress_serve(app, host=host, port=port, threads=8, **(proxy if behind_proxy else {}))


@main.command("worker", help="รับงานรวมข้อมูลจากคิว (Redis) มาทำบนเครื่องนี้ (work the job queue on this machine)")
@_home_option
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="จำนวนงานพร้อมกัน (jobs at once)")
def worker(home: Path | None, workers: int) -> None:
    from sync.service.jobs import Jobs
    from sync.ledger.store import open_ledger
    from sync.office.settings import load_settings

    settings = load_settings(home)
    jobs = Jobs(open_ledger(settings.database_url).engine, settings)
    jobs.queue.requeue(jobs.stalled())  # what a worker that died left behind starts again now, not in a minute
    where = settings.queue_url or str(settings.home / "queue.sqlite3")
    click.echo(f"esaplan worker: คิว {where} งานพร้อมกัน {workers} (queue, jobs at once)")
    jobs.queue.huey.create_consumer(workers=workers, worker_type="thread", periodic=True).run()


@main.group(help="บัญชีผู้ใช้หน้าเว็บของเจ้าหน้าที่ (staff accounts for the web pages)")
def users() -> None:
    """Commands about staff accounts."""


@users.command("add", help="เพิ่มบัญชีเจ้าหน้าที่ ถามรหัสผ่านสองครั้ง (add a staff account; asks for the password twice)")
@click.argument("username")
@click.option("--name", "display_name", default="", help="ชื่อที่แสดง เช่น นางสาวสมใจ ใจดี (display name)")
@click.option("--reset", is_flag=True, help="ตั้งรหัสผ่านใหม่ให้บัญชีที่มีอยู่แล้ว (set a new password for an existing account)")
@_home_option
def users_add(username: str, display_name: str, reset: bool, home: Path | None) -> None:
    from sync.service.accounts import Users
    from sync.ledger.store import open_ledger
    from sync.office.settings import load_settings

    settings = load_settings(home)
    settings.home.mkdir(parents=True, exist_ok=True)
    password = click.prompt("รหัสผ่าน (password)", hide_input=True, confirmation_prompt="ยืนยันรหัสผ่าน (repeat)")
    try:
        Users(open_ledger(settings.database_url).engine).add(username, display_name, password, reset=reset)
    except EsaplanError as exc:
        raise click.ClickException(exc.message_th) from None
    click.echo(f"บันทึกบัญชี {username.strip().casefold()} แล้ว (account saved)")


@users.command("list", help="รายชื่อบัญชีเจ้าหน้าที่ (list staff accounts)")
@_home_option
def users_list(home: Path | None) -> None:
    from sync.service.accounts import Users
    from sync.ledger.store import open_ledger
    from sync.office.settings import load_settings

    for user in Users(open_ledger(load_settings(home).database_url).engine).all():
        click.echo(f"{user['username']}\t{user['display_name']}\t{user['created_at']:%Y-%m-%d}")


@main.group(help="สมุดบันทึกของระบบ: ฉบับที่ส่ง ผลการตรวจ บัญชีผู้ใช้ ทะเบียนเงิน (the ledger database)")
def ledger() -> None:
    """Commands about the ledger database."""


@ledger.command("move", help="ย้ายสมุดบันทึกไปฐานข้อมูลใหม่ที่ว่าง เช่น PostgreSQL ของหลายเครื่อง แล้วตั้งค่าให้ใช้ฐานข้อมูลนั้น ฐานข้อมูลเดิมไม่ถูกลบ (copy the ledger into a new, empty database and use it)")
@click.option("--to", "target", required=True, help="ที่อยู่ฐานข้อมูลใหม่ เช่น postgresql+psycopg://esaplan:รหัสผ่าน@server/esaplan (the new database URL)")
@_home_option
def ledger_move(target: str, home: Path | None) -> None:
    import os

    from sync.ledger.move import move_ledger
    from sync.office.settings import load_settings

    settings = load_settings(home)
    copied = move_ledger(settings, target)  # a refusal is one Thai line (_Commands)
    for table, rows in copied.items():
        click.echo(f"  {table}: {rows:,} แถว (rows)")
    click.echo(f"ย้ายแล้ว ตรวจนับครบ {sum(copied.values()):,} แถว {settings.home / 'esaplan.toml'} ใช้ฐานข้อมูลใหม่แล้ว ฐานข้อมูลเดิมยังอยู่ (moved and counted; the old ledger is kept)")
    if os.environ.get("ESAPLAN_DATABASE_URL"):
        click.echo("ESAPLAN_DATABASE_URL ยังตั้งไว้และมาก่อน esaplan.toml: ตั้งให้เป็นที่อยู่ใหม่ หรือลบออก (the environment variable still overrides the file)")


@main.group(help="ไฟล์สำหรับติดตั้งสูตร ESA ใน Excel บนเว็บ/Mac, Google Sheets และ xlwings Lite (add-in files)")
def addin() -> None:
    """Commands about the spreadsheet add-ins."""


@addin.command("build", help="เขียนไฟล์ add-in (manifest, Code.gs, main.py) สำหรับที่อยู่ของบริการ (write the add-in files for a service address)")
@click.option("--url", required=True, help="ที่อยู่ของบริการ esaplan เช่น https://esaplan.example.go.th (service address)")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("workbooks/addin"), show_default=True, help="โฟลเดอร์ปลายทาง (output folder)")
def addin_build(url: str, out: Path) -> None:
    import json

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


@excel.command("setup", help="เขียน esaplan.xlsm (ปุ่ม แมโคร ตัวอย่างสูตร) และตั้งที่อยู่ระบบกับรหัสเชื่อมต่อของผู้ใช้ (write esaplan.xlsm and set the connection)")
@click.option("--url", required=True, help="ที่อยู่ของบริการ esaplan เช่น https://esaplan.example.go.th (service address)")
@click.option("--token", prompt="รหัสเชื่อมต่อ (connection code)", hide_input=True, help="รหัสเชื่อมต่อจากผู้ดูแลระบบ (connection code)")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path.home() / "Documents" / "esaplan.xlsm", show_default=True, help="ไฟล์ที่จะเขียน (workbook to write)")
def excel_setup(url: str, token: str, out: Path) -> None:
    import os
    import subprocess

    from sync.files.atomic import write_atomically

    try:
        from addin.excel_workbook import esaplan_xlsm
    except ModuleNotFoundError as missing:  # xlwings and XlsxWriter come with the [excel] extra
        raise click.ClickException(f'ยังไม่ได้ติดตั้งส่วนของ Excel ({missing.name}): pip install "esaplan[excel] @ ..." ก่อน (install the excel extra first)') from None
    content = esaplan_xlsm()
    write_atomically(out, lambda name: Path(name).write_bytes(content))
    click.echo(f"เขียนแล้ว (written): {out}")
    settings = {"ESAPLAN_URL": url.strip().rstrip("/"), "ESAPLAN_TOKEN": token.strip()}
    if os.name == "nt":  # the user's own environment (no administrator needed); Excel sees it once restarted
        for name, value in settings.items():
            subprocess.run(["setx", name, value], check=True, capture_output=True)
        click.echo("ตั้งค่า ESAPLAN_URL และ ESAPLAN_TOKEN ของผู้ใช้แล้ว: ปิด Excel ทุกหน้าต่างแล้วเปิดใหม่ (set; restart Excel)")
    else:
        click.echo("เครื่องนี้ไม่ใช่ Windows: ตั้งค่า ESAPLAN_URL และ ESAPLAN_TOKEN เองบนเครื่องที่ใช้ Excel (not Windows: set them on the Excel PC)")
    click.echo("ต่อไป: เปิดไฟล์ ทำตามขั้นตอนในแผ่นงาน 'เริ่มต้น' (next: open the file and follow its first sheet)")


@main.group(help="Google Sheets ที่โรงเรียนกรอก (the Google Sheets schools fill in)")
def sheets() -> None:
    """Commands about the schools' Google Sheets."""


@sheets.command(
    "provision",
    help="สร้าง Google Sheet ให้ทุกโรงเรียนจากต้นฉบับ แชร์ให้อีเมลโรงเรียน ป้องกันหัวตารางและสูตร บันทึกรหัสแผ่นงานลงทะเบียน สั่งซ้ำได้ไม่เกิดซ้ำ "
    "(copy the template once per school, share it, protect headers and formulas, record it in the registry; safe to re-run)",
)
@_home_option
def sheets_provision(home: Path | None) -> None:
    from sync.intake.gsheets.provision import provision
    from sync.office.settings import load_settings

    settings = load_settings(home)
    bar = None

    def progress(done: int, total: int, unit_code: str) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="เตรียม Google Sheets (provisioning)", file=sys.stderr, show_pos=True)
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


@main.command("plan", help="รวมแผนปฏิบัติการประจำปีจากแบบเสนอโครงการของกลุ่มงาน (plan/inbox/<รหัสกลุ่ม>/) ตรวจ แล้วเขียนทะเบียนแผน (consolidate the groups' action-plan workbooks into the register)")
@_home_option
@click.option("--fy", "fiscal_year", type=_FiscalYear(), default=None, help="ปีงบประมาณ พ.ศ. (fiscal year, BE)")
def plan_command(home: Path | None, fiscal_year: int | None) -> None:
    from rules.budget_sources import plan_source
    from rules.money import format_number
    from sync.registers.plan import consolidate_plan
    from sync.office.settings import load_settings

    settings = load_settings(home, fiscal_year=fiscal_year)
    try:
        run = consolidate_plan(settings, settings.fiscal_year)
    except EsaplanError as exc:
        raise click.ClickException(exc.message_th) from None
    register = run.register
    sent = {p.group_code for p in register.projects}
    click.echo(f"แผนปฏิบัติการปีงบประมาณ {settings.fiscal_year}: ไฟล์ {run.files_seen} ไฟล์, ฉบับใหม่ {run.new_versions}; กลุ่มที่มีโครงการ {len(sent)}/{len(run.groups)}, โครงการ {len(register.projects)}, งบประมาณรวม {format_number(register.total)} บาท")
    for code, amount in register.by_source().items():
        if amount:
            click.echo(f"  {plan_source(code).th}: {format_number(amount)} บาท")
    unserved = [i for i in run.issues if i.rule == "PLAN-KPI-UNSERVED"]
    for issue in run.issues:
        if issue.rule != "PLAN-KPI-UNSERVED":
            click.echo(f"[{issue.rule}] {issue.message_th}")
    if unserved:
        click.echo(f"[PLAN-KPI-UNSERVED] ตัวชี้วัดที่ยังไม่มีโครงการใดตอบ {len(unserved)} ตัว (รายการอยู่ในแผ่นงาน ปัญหาที่พบ ของทะเบียน)")
    for code, problems in sorted(run.problems.items()):
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            more = f" (และอีก {len(errors) - 1} รายการ)" if len(errors) > 1 else ""
            click.echo(f"  {code}: {errors[0].sheet} {errors[0].cell}: {errors[0].message_th}{more}")
    for notice in run.notices:
        click.echo(f"{notice.channel} {notice.unit_code or '?'} [{notice.rule}]: {notice.message_th}", err=True)
    click.echo(str(run.path))


@main.command("money", help="ทะเบียนคุมการจัดสรรงบประมาณ: ตรวจไฟล์ทะเบียน บันทึกรายการที่เปลี่ยนลงสมุดบัญชี แล้วเขียนยอดคงเหลือ (the allocation control register)")
@_home_option
@_round_options
@click.option("--start", is_flag=True, help="เขียนไฟล์ทะเบียนเปล่าของปีนี้ไว้ใน money/ ให้กรอก (write the year's empty register workbook)")
@click.option("--by", "actor", default=None, help="ชื่อผู้บันทึก (who records; default the computer's user name)")
def money_command(home: Path | None, fiscal_year: int | None, round_: str | None, start: bool, actor: str | None) -> None:
    import getpass

    from rules.allocation_register import baht
    from rules.money import format_number
    from sync.registers.money import RegisterRefused, run_register, start_workbook
    from sync.office.settings import load_settings
    from sync.ledger.status import SEVERITY_TH as STATUS_SEVERITY_TH

    settings = load_settings(home, fiscal_year=fiscal_year, round=int(round_) if round_ else None)
    if start:
        click.echo(f"ทะเบียนของปีงบประมาณ {settings.fiscal_year} (register workbook): {start_workbook(settings, settings.fiscal_year)}")
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
    click.echo(f"ทะเบียนคุมการจัดสรร ปีงบประมาณ {settings.fiscal_year}: บันทึกรายการใหม่ {len(run.added)} รายการ; รายการในหนังสือ {len(run.lines)} รายการ")
    click.echo(f"  วงเงิน {format_number(baht(received))} บาท จัดสรรให้หน่วยงาน {format_number(baht(allocated))} บาท คงเหลือ {format_number(baht(received - allocated))} บาท")
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


@main.group(help="เอกสารที่สำนักงานเผยแพร่: แผนปฏิบัติการ รายงานผลรายรอบและประจำปี (DOCX และ PDF) และไฟล์สำหรับ eMENSCR (the office's documents)")
def report() -> None:
    pass


def _report_settings(home: Path | None, fiscal_year: int | None, round_: str | None):  # type: ignore[no-untyped-def]
    from sync.office.settings import load_settings

    return load_settings(home, fiscal_year=fiscal_year, round=int(round_) if round_ else None)


def _echo_written(written) -> None:  # type: ignore[no-untyped-def]
    click.echo(f"เขียนแล้ว (written): {written.docx}")
    if written.pdf is None:
        click.echo("ไม่ได้พิมพ์ PDF: ไม่พบ LibreOffice (soffice) บนเครื่องนี้ (no LibreOffice: PDF not printed)", err=True)
    else:
        click.echo(str(written.pdf))


@report.command("plan", help="แผนปฏิบัติการประจำปี จากทะเบียนแผน (esaplan plan) (the annual action plan document)")
@_home_option
@_round_options
def report_plan(home: Path | None, fiscal_year: int | None, round_: str | None) -> None:
    from sync.documents.reports import write_plan

    settings = _report_settings(home, fiscal_year, round_)
    _echo_written(write_plan(settings, settings.fiscal_year))


@report.command("progress", help="รายงานผลการดำเนินงานรายรอบ 6/9/12 เดือน จากไฟล์รวมและทะเบียนแผน (the round's progress report)")
@_home_option
@_round_options
def report_progress(home: Path | None, fiscal_year: int | None, round_: str | None) -> None:
    from sync.documents.reports import write_progress

    _echo_written(write_progress(_report_settings(home, fiscal_year, round_)))


@report.command("annual", help="รายงานผลการดำเนินงานประจำปี (รอบ 12 เดือน) (the annual report)")
@_home_option
@click.option("--fy", "fiscal_year", type=_FiscalYear(), default=None, help="ปีงบประมาณ พ.ศ. (fiscal year, BE)")
def report_annual(home: Path | None, fiscal_year: int | None) -> None:
    from sync.documents.reports import write_progress

    _echo_written(write_progress(_report_settings(home, fiscal_year, None), annual=True))


@report.command("letters", help="หนังสือแจ้งการจัดสรรถึงโรงเรียนและหน่วยงาน จากทะเบียนคุมการจัดสรร (DOCX และ PDF) (allocation letters to schools)")
@_home_option
@click.option("--fy", "fiscal_year", type=_FiscalYear(), default=None, help="ปีงบประมาณ พ.ศ. (fiscal year, BE)")
@click.option("--letter", "letter_no", default=None, help="เฉพาะหนังสือ สพฐ. ฉบับนี้ (only for this OBEC letter number)")
def report_letters(home: Path | None, fiscal_year: int | None, letter_no: str | None) -> None:
    from sync.documents.letters import write_letters

    settings = _report_settings(home, fiscal_year, None)
    for written in write_letters(settings, settings.fiscal_year, letter_no):
        _echo_written(written)


@report.command("emenscr", help="ความก้าวหน้าโครงการในรูปแบบที่ระบบ eMENSCR ถาม (xlsx และ CSV) (project progress for eMENSCR)")
@_home_option
@_round_options
def report_emenscr(home: Path | None, fiscal_year: int | None, round_: str | None) -> None:
    from sync.documents.emenscr import write_emenscr

    for path in write_emenscr(_report_settings(home, fiscal_year, round_)):
        click.echo(str(path))


def _run_consolidation(settings, *, full: bool = False) -> None:  # type: ignore[no-untyped-def]
    """The same job the web button and the macros queue, run in this process (with a bar per
    phase) unless a worker already has it, in which case it is followed to its end."""
    import time

    from sync.intake.isolation import warm_up

    warm_up()  # the reading workers' fork server imports what they need while this process imports the rest
    from rules.forms import form_sets
    from sync.rounds.consolidate import PHASES_TH, require_registry
    from sync.service.jobs import Jobs
    from sync.ledger.store import open_ledger
    from sync.ledger.status import STATUS_TH

    bars: dict[str, Any] = {}

    def progress(phase: str, done: int, total: int, unit_code: str) -> None:
        bar = bars.get(phase)
        if bar is None:
            bar = bars[phase] = click.progressbar(length=total, label=PHASES_TH[phase], file=sys.stderr, show_pos=True)
            bar.__enter__()
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    try:
        require_registry(settings)
    except EsaplanError as exc:
        raise click.ClickException(exc.message_th) from None
    jobs = Jobs(open_ledger(settings.database_url).engine, settings)
    job_id, _ = jobs.start(settings.fiscal_year, settings.round, "command line")
    if not jobs.run(job_id, progress=progress, full=full):
        click.echo("มีงานรวมข้อมูลรอบนี้กำลังทำอยู่ จะแสดงผลเมื่อเสร็จ (a run of this round is under way: following it)", err=True)
    job = jobs.get(job_id)
    while job is not None and job["status"] == "running":  # followed; taken over here if its worker is gone
        time.sleep(0.5)
        jobs.take_over(job_id, progress=progress, full=full)
        job = jobs.get(job_id)
    if job is None or job["status"] != "done":
        raise click.ClickException(job["error"] if job else "รวมข้อมูลไม่สำเร็จ")
    result = job["result"]
    titles = {f.code: f.sheet for s in form_sets().values() for f in s.forms}
    columns = ("expected", "submitted", "on_time", "late", "errors", "missing")
    heads = ("ต้องส่ง", "ส่งแล้ว", STATUS_TH["on_time"], STATUS_TH["late"], STATUS_TH["errors"], STATUS_TH["missing"])
    click.echo(f"ปีงบประมาณ {result['fiscal_year']} รอบ {result['round']} เดือน: ไฟล์ {result['files_seen']} ไฟล์, ฉบับใหม่ {result['new_versions']}")
    click.echo(_pad("แบบรายงาน", 22) + "".join(_pad(h, 14, right=True) for h in heads))
    for code, counts in result["summary"].items():
        click.echo(_pad(titles.get(code, code), 22) + "".join(_pad(str(counts[c]), 14, right=True) for c in columns))
    if result["units_with_errors"]:
        click.echo(f"หน่วยที่มีข้อผิดพลาด {len(result['units_with_errors'])} หน่วย (units with errors; ทุกรายการอยู่ในแผ่นงาน ปัญหาที่พบ, ส่งกลับให้โรงเรียนด้วย esaplan feedback):")
        for unit in result["units_with_errors"]:
            more = f" (และอีก {unit['errors'] - 1} รายการ)" if unit["errors"] > 1 else ""
            click.echo(f"  {unit['unit_code']} {unit['name_th']}: {unit['first']}{more}")
    for notice in result["notices"]:
        click.echo(f"{notice['channel']} {notice['unit_code'] or '?'} [{notice['rule']}]: {notice['message_th']}", err=True)
    if not result["master_written"]:
        click.echo("ไม่มีข้อมูลใหม่ ไฟล์รวมเดิมเป็นปัจจุบันแล้ว (nothing changed; the master is up to date)")
    click.echo(str(settings.with_round(result["fiscal_year"], result["round"]).master_path()))


def _pad(text: str, width: int, *, right: bool = False) -> str:
    """Pad to a terminal width: Thai vowels and tone marks above/below a letter take no column."""
    shown = sum(1 for ch in text if unicodedata.category(ch) not in ("Mn", "Me"))
    space = " " * max(0, width - shown)
    return space + text if right else text + space
