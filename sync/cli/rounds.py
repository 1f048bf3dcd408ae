"""The round's commands: the templates schools fill, consolidate, feedback, versions."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rules import EsaplanError
from sync.cli.app import home_option, main, round_options

if TYPE_CHECKING:  # annotations only: a command imports what it runs when it runs
    from sync.office.settings import Settings


@main.command(
    "templates", help="เขียนแบบรายงานสำหรับโรงเรียนและกลุ่มงานลงโฟลเดอร์ workbooks/ (write the submission workbooks)"
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("workbooks"),
    show_default=True,
    help="โฟลเดอร์ปลายทาง (output folder)",
)
@click.option(
    "--emis",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="ไฟล์ EMIS จำนวนนักเรียนรายชั้น: เขียนแบบรายงานรายโรงเรียนที่กรอกข้อมูลนักเรียนไว้แล้ว (EMIS export to prefill per school)",
)
@home_option
@round_options
def templates(out: Path, emis: Path | None, home: Path | None, fiscal_year: int | None, round_: str | None) -> None:
    from rules.forms import form_sets
    from sync.intake.templates import write_template
    from sync.office.emis import read_emis_enrolment
    from sync.office.registry import load_registry, office_groups
    from sync.office.settings import load_settings
    from sync.registers.plan import load_register, progress_rows

    settings = load_settings(home, fiscal_year=fiscal_year, round=int(round_) if round_ else None)
    for form_set in form_sets().values():
        path = write_template(
            form_set,
            out / form_set.file,
            fiscal_year=settings.fiscal_year,
            round_=settings.round,
            office=settings.office.name,
        )
        click.echo(f"เขียนแล้ว (written): {path}")
    register = load_register(settings, settings.fiscal_year) if settings.home.is_dir() else None
    if register and register.projects:  # each group's progress form, its projects and activities already listed
        for group in office_groups(load_registry(settings.registry_path) if settings.registry_path.is_file() else {}):
            rows = progress_rows(register, group.code)
            if rows:
                path = write_template(
                    form_sets()["group"],
                    out / "groups" / f"{group.code}.xlsx",
                    fiscal_year=settings.fiscal_year,
                    round_=settings.round,
                    unit=group,
                    values={"project_progress": rows},
                    office=settings.office.name,
                )
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
            path = write_template(
                school_set,
                out / "schools" / f"{unit.code}.xlsx",
                fiscal_year=settings.fiscal_year,
                round_=settings.round,
                unit=unit,
                values={"enrolment": rows},
                office=settings.office.name,
            )
            click.echo(f"เขียนแล้ว (written): {path}")


@main.command("consolidate", help="รวมข้อมูลจากทุกหน่วยเป็นไฟล์รวม (consolidate submissions into the master workbook)")
@home_option
@round_options
@click.option(
    "--full", is_flag=True, help="อ่าน Google Sheets ทุกแผ่นใหม่ แม้ไม่มีการแก้ไข (re-read every Google Sheet, changed or not)"
)
@click.option(
    "--all-areas",
    is_flag=True,
    help="ทุกเขตใน areas.csv: งานละเขตผ่านคิว แล้วเขียนสรุปหลายเขตและข้อมูล Parquet (every area of areas.csv, one job each, then the summary across areas)",
)
@click.option(
    "--no-worker",
    is_flag=True,
    help="กับ --all-areas: ให้ esaplan worker เครื่องอื่นทำงาน (with --all-areas: leave the jobs to other machines' workers)",
)
def consolidate_command(
    home: Path | None, fiscal_year: int | None, round_: str | None, full: bool, all_areas: bool, no_worker: bool
) -> None:
    from sync.office.settings import load_settings

    settings = load_settings(home, fiscal_year=fiscal_year, round=int(round_) if round_ else None)
    if all_areas:
        _consolidate_areas(settings, worker=not no_worker)
    else:
        run_consolidation(settings, full=full)


def _consolidate_areas(settings: Any, *, worker: bool) -> None:
    """One job per area on the queue, followed to the end, then the office's files across areas."""
    import time

    from sync.ledger.database import open_ledger
    from sync.office.areas import load_areas
    from sync.service.jobs import Jobs

    try:
        from sync.master.province import national_store, summary_workbook
    except ModuleNotFoundError as missing:  # DuckDB and pyarrow come with the [areas] extra
        raise click.ClickException(
            f'ยังไม่ได้ติดตั้งส่วนของหลายเขต ({missing.name}): pip install "esaplan[areas]" ก่อน (install the areas extra first)'
        ) from None

    areas = load_areas(settings)
    if not areas:
        raise click.ClickException(
            f"ยังไม่มีรายชื่อเขต {settings.home / 'areas.csv'} (code,name_th,province,home) (no areas.csv)"
        )
    jobs = Jobs(open_ledger(settings.database_url).engine, settings)
    started = {code: jobs.start(settings.fiscal_year, settings.round, "command line", area=code)[0] for code in areas}
    if worker:
        jobs.embedded_worker().start()
    click.echo(f"ส่งงานเข้าคิวแล้ว {len(started)} เขต (queued one job per area)", err=True)
    with click.progressbar(
        length=len(started), label="เขตที่รวมเสร็จ (areas done)", file=sys.stderr, show_pos=True
    ) as bar:
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


@main.command(
    "feedback",
    help="เขียนไฟล์ของแต่ละโรงเรียนกลับคืน ทำเครื่องหมายช่องที่ผิดพร้อมคำอธิบาย และแผ่นสรุปผลการตรวจสอบ เพื่อส่งกลับให้โรงเรียน (write each school's workbook back with its problems marked)",
)
@home_option
@round_options
@click.option("--unit", "units", multiple=True, help="เฉพาะหน่วยนี้ ระบุได้หลายครั้ง (only this unit; repeatable)")
@click.option("--all", "include_clean", is_flag=True, help="รวมหน่วยที่ไม่พบปัญหา (also units with nothing to fix)")
def feedback(
    home: Path | None, fiscal_year: int | None, round_: str | None, units: tuple[str, ...], include_clean: bool
) -> None:
    from sync.ledger.database import open_ledger
    from sync.office.registry import unit_code
    from sync.office.settings import load_settings
    from sync.rounds.feedback import write_feedback

    settings = load_settings(home, fiscal_year=fiscal_year, round=int(round_) if round_ else None)
    written = write_feedback(
        settings,
        open_ledger(settings.database_url),
        units={unit_code(u) for u in units} or None,
        include_clean=include_clean,
    )
    for item in written:
        note = "" if item.marked_in_file else " (เปิดไฟล์ที่ส่งไม่ได้: มีเฉพาะแผ่นสรุป)"
        click.echo(
            f"{item.unit.code} {item.unit.name_th}: ข้อผิดพลาด {item.errors} คำเตือน {item.warnings} ข้อสังเกต {item.notes}{note}"
        )
    folder = settings.home / "feedback" / f"FY{settings.fiscal_year}-R{settings.round}"
    with_errors = sum(1 for item in written if item.errors)
    click.echo(
        f"เขียนไฟล์ผลการตรวจสอบ {len(written)} ไฟล์ (มีข้อผิดพลาด {with_errors} หน่วย) ส่งกลับให้โรงเรียนได้จากโฟลเดอร์ (feedback files written to):"
    )
    click.echo(str(folder))


@main.command(
    "versions",
    help="ฉบับที่หน่วยส่งในรอบนี้และฉบับที่นำไปรวม เลือกฉบับอื่นให้นำไปรวมได้ (a unit's versions in the round and which counts)",
)
@click.argument("code")
@click.option(
    "--use",
    "use",
    default=None,
    help="ให้ใช้ข้อมูลฉบับที่ N ของหน่วยนี้ หรือ auto = ฉบับล่าสุดที่รับได้ (count version N, or auto: the latest accepted)",
)
@home_option
@round_options
def versions(code: str, use: str | None, home: Path | None, fiscal_year: int | None, round_: str | None) -> None:
    import getpass

    from rules.thai import thai_time
    from sync.ledger.database import open_ledger
    from sync.office.registry import find_unit, load_registry, sets_for
    from sync.office.settings import load_settings
    from sync.service.accounts import Audit

    settings = load_settings(home, fiscal_year=fiscal_year, round=int(round_) if round_ else None)
    unit = find_unit(code, load_registry(settings.registry_path))
    if unit is None:
        raise click.ClickException(f"ไม่มีหน่วยรหัส {code} ในทะเบียนหน่วยงาน (registry.csv)")
    ledger = open_ledger(settings.database_url)
    form_set = sets_for(unit)[0].code
    if use is not None:
        if not (use == "auto" or use.isdigit()):
            raise click.ClickException(f"--use ต้องเป็นเลขฉบับ เช่น 2 หรือ auto (ได้ '{use}')")
        chosen = ledger.choose(
            unit.code,
            form_set,
            settings.fiscal_year,
            settings.round,
            None if use == "auto" else int(use),
            f"command line ({getpass.getuser()})",
        )
        detail = f"ปีงบประมาณ {settings.fiscal_year} รอบ {settings.round}: " + (
            f"ใช้ข้อมูลฉบับที่ {chosen.version}" if chosen else "ใช้ฉบับล่าสุดที่รับได้"
        )
        Audit(ledger.engine).record(f"command line ({getpass.getuser()})", "version-chosen", unit.code, detail)
        click.echo(f"บันทึกแล้ว (saved): {detail} (มีผลเมื่อรวมข้อมูลครั้งถัดไป: esaplan consolidate)")
    found = ledger.versions(settings.fiscal_year, settings.round)
    counted = found.counted.get((unit.code, form_set))
    latest = found.latest.get((unit.code, form_set))
    click.echo(f"{unit.code} {unit.name_th} ปีงบประมาณ {settings.fiscal_year} รอบ {settings.round} เดือน")
    sent = [
        s
        for s in reversed(ledger.history(unit.code))
        if (s.fiscal_year, s.round, s.form_set) == (settings.fiscal_year, settings.round, form_set)
    ]
    if not sent:
        click.echo("  ยังไม่ได้ส่งข้อมูลในรอบนี้ (nothing sent this round)")
    for s in sent:
        result = "ไม่รับ" if not s.accepted else f"ข้อผิดพลาด {s.errors}" if s.errors else "ผ่าน"
        marks = [
            m for m, on in (("นำไปรวม", counted and counted.id == s.id), ("ล่าสุด", latest and latest.id == s.id)) if on
        ]
        made = f" บันทึกในไฟล์ {thai_time(s.made_at)}" if s.made_at else ""
        click.echo(
            f"  ฉบับที่ {s.version}: ส่งเมื่อ {thai_time(s.submitted_at)}{made} · {s.original_name} · {result}{' · ' + ', '.join(marks) if marks else ''}"
        )


def run_consolidation(settings: Settings, *, full: bool = False) -> None:
    """The same job the web button and the macros queue, run in this process (with a bar per
    phase) unless a worker already has it, in which case it is followed to its end."""
    import time

    from sync.intake.isolation import warm_up

    warm_up()  # the reading workers' fork server imports what they need while this process imports the rest
    from rules.forms import form_sets
    from sync.ledger.database import open_ledger
    from sync.ledger.status import STATUS_TH
    from sync.rounds.consolidate import PHASES_TH, require_registry
    from sync.service.jobs import Jobs

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
    job_id, _ = jobs.start(settings.fiscal_year, settings.round, "command line", enqueue=bool(settings.queue_url))
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
    click.echo(
        f"ปีงบประมาณ {result['fiscal_year']} รอบ {result['round']} เดือน: ไฟล์ {result['files_seen']} ไฟล์, ฉบับใหม่ {result['new_versions']}"
        + (
            f", ตรวจฉบับที่รับไว้แล้วใหม่ด้วยเกณฑ์ของ esaplan รุ่นนี้ {result['rechecked']} ฉบับ (kept versions checked again)"
            if result.get("rechecked")
            else ""
        )
    )
    click.echo(_pad("แบบรายงาน", 22) + "".join(_pad(h, 14, right=True) for h in heads))
    for code, counts in result["summary"].items():
        click.echo(_pad(titles.get(code, code), 22) + "".join(_pad(str(counts[c]), 14, right=True) for c in columns))
    if result["units_with_errors"]:
        click.echo(
            f"หน่วยที่มีข้อผิดพลาด {len(result['units_with_errors'])} หน่วย (units with errors; ทุกรายการอยู่ในแผ่นงาน ปัญหาที่พบ, ส่งกลับให้โรงเรียนด้วย esaplan feedback):"
        )
        for unit in result["units_with_errors"]:
            more = f" (และอีก {unit['errors'] - 1} รายการ)" if unit["errors"] > 1 else ""
            click.echo(f"  {unit['unit_code']} {unit['name_th']}: {unit['first']}{more}")
    for notice in result["notices"]:
        click.echo(
            f"{notice['channel']} {notice['unit_code'] or '?'} [{notice['rule']}]: {notice['message_th']}", err=True
        )
    if not result["master_written"]:
        click.echo("ไม่มีข้อมูลใหม่ ไฟล์รวมเดิมเป็นปัจจุบันแล้ว (nothing changed; the master is up to date)")
    click.echo(str(settings.with_round(result["fiscal_year"], result["round"]).master_path()))


def _pad(text: str, width: int, *, right: bool = False) -> str:
    """Pad to a terminal width: Thai vowels and tone marks above/below a letter take no column."""
    shown = sum(1 for ch in text if unicodedata.category(ch) not in ("Mn", "Me"))
    space = " " * max(0, width - shown)
    return space + text if right else text + space
