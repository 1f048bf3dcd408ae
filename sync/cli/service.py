"""The service's commands: the web service, the queue worker, and the demo area."""

from __future__ import annotations

from pathlib import Path

import click

from sync.cli.app import home_option, main
from sync.cli.rounds import run_consolidation


@main.command("demo", help="สร้างเขตพื้นที่ตัวอย่าง (โรงเรียนสมมุติ ~200 แห่ง) แล้วรวมข้อมูล (build a demo area and consolidate it)")
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("esaplan-demo"),
    show_default=True,
    help="โฟลเดอร์ของเขตตัวอย่าง (demo folder; replaced if it is a demo)",
)
@click.option(
    "--schools",
    type=click.IntRange(20, 10_000),
    default=200,
    show_default=True,
    help="จำนวนโรงเรียนสมมุติ (number of fictional schools)",
)
def demo(home: Path, schools: int) -> None:
    import secrets
    import shutil

    from sync.demo.area import DEMO_FY, DEMO_ROUND, build_demo
    from sync.demo.office import DEMO_OFFICE
    from sync.ledger.database import open_ledger
    from sync.office.settings import load_settings
    from sync.registers.money_summary import run_register
    from sync.registers.plan import consolidate_plan
    from sync.service.accounts import Users

    if home.exists():
        if not (home / "demo-mistakes.csv").exists():
            raise click.ClickException(
                f"{home} มีอยู่แล้วและไม่ใช่โฟลเดอร์ตัวอย่าง ใช้ --home อื่น ({home} exists and is not a demo folder)"
            )
        shutil.rmtree(home)
    settings = load_settings(home, fiscal_year=DEMO_FY, round=DEMO_ROUND, office=DEMO_OFFICE)
    planted = build_demo(settings, schools=schools)
    click.echo(
        f"สร้างเขตตัวอย่างแล้ว (demo area built): {schools} โรงเรียน, ความผิดพลาดที่ตั้งใจใส่ {len(planted)} รายการ ({home / 'demo-mistakes.csv'})"
    )
    password = secrets.token_urlsafe(9)
    Users(open_ledger(settings.database_url).engine).add("demo", "เจ้าหน้าที่ตัวอย่าง", password)
    (home / "demo-login.txt").write_text(f"username: demo\npassword: {password}\n", encoding="utf-8")
    click.echo(
        f"หน้าเว็บ (web): esaplan serve --home {home} แล้วเปิด http://127.0.0.1:8080/ ผู้ใช้ demo รหัสผ่าน {password} (also in {home / 'demo-login.txt'})"
    )
    run = consolidate_plan(settings, settings.fiscal_year)
    click.echo(
        f"แผนปฏิบัติการ (action plan): โครงการ {len(run.register.projects)} โครงการ, ปัญหา {sum(len(p) for p in run.problems.values()) + len(run.issues)} รายการ: {run.path}"
    )
    money = run_register(settings, settings.fiscal_year, "demo")
    click.echo(
        f"ทะเบียนคุมการจัดสรร (allocation register): รายการ {len(money.added)} รายการ, เรื่องที่ต้องตรวจ {sum(i.severity != 'info' for i in money.issues)} รายการ: {money.summary}"
    )
    run_consolidation(settings)


@main.command(
    "serve",
    help="เปิดบริการเว็บของ esaplan: หน้าเจ้าหน้าที่ ลิงก์ส่งไฟล์ของโรงเรียน และ API ของสูตรและมาโคร (run the sync service with waitress)",
)
@home_option
@click.option("--host", default="127.0.0.1", show_default=True, help="ที่อยู่ที่รับการเชื่อมต่อ (address to listen on)")
@click.option("--port", default=8080, show_default=True, type=int, help="พอร์ต (port)")
@click.option(
    "--behind-proxy",
    is_flag=True,
    help="อยู่หลัง nginx/Caddy บนเครื่องเดียวกันที่ให้บริการ https: เชื่อ X-Forwarded-* จาก 127.0.0.1 และส่งคุกกี้ผ่าน https เท่านั้น (behind an https reverse proxy on this machine)",
)
@click.option(
    "--no-worker",
    is_flag=True,
    help="ไม่รวมข้อมูลในเครื่องนี้: เครื่องอื่นรัน esaplan worker (jobs run on other machines' esaplan worker)",
)
def serve(home: Path | None, host: str, port: int, behind_proxy: bool, no_worker: bool) -> None:
    from waitress import serve as waitress_serve

    from sync.office.settings import load_settings
    from sync.service.web import create_app, settle_heap

    settings = load_settings(home)
    app = create_app(settings, https=behind_proxy, worker=not no_worker)
    settle_heap()
    click.echo(f"esaplan ที่ http://{host}:{port}/")
    click.echo(
        f"  รหัสเชื่อมต่อสูตร: เจ้าหน้าที่สร้างรหัสของตนเองที่ http://{host}:{port}/formula-codes"
        f" (รหัสของผู้ดูแลระบบอยู่ใน {settings.home / 'api-token.txt'}) (formula codes: each person makes their own)"
    )
    # Behind a proxy, links sent to schools must carry the public https address, and the audit
    # log the schools' own IP addresses, not the proxy's.
    proxy = {
        "trusted_proxy": "127.0.0.1",
        "trusted_proxy_headers": "x-forwarded-for x-forwarded-proto x-forwarded-host",
        "clear_untrusted_proxy_headers": True,
    }
    waitress_serve(app, host=host, port=port, threads=8, **(proxy if behind_proxy else {}))


@main.command("worker", help="รับงานรวมข้อมูลจากคิว (Redis) มาทำบนเครื่องนี้ (work the job queue on this machine)")
@home_option
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="จำนวนงานพร้อมกัน (jobs at once)"
)
def worker(home: Path | None, workers: int) -> None:
    from sync.ledger.database import open_ledger
    from sync.office.settings import load_settings
    from sync.service.jobs import Jobs

    settings = load_settings(home)
    jobs = Jobs(open_ledger(settings.database_url).engine, settings)
    jobs.queue.requeue(jobs.stalled())  # what a worker that died left behind starts again now, not in a minute
    where = settings.queue_url or str(settings.home / "queue.sqlite3")
    click.echo(f"esaplan worker: คิว {where} งานพร้อมกัน {workers} (queue, jobs at once)")
    jobs.queue.huey.create_consumer(workers=workers, worker_type="thread", periodic=True).run()
