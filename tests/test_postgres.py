"""The ledger on PostgreSQL as well as SQLite, brought to its version by Alembic migrations.

PostgreSQL is Debian's server, started by the tests on loopback (``postgres_url`` in conftest);
every test gets a database of its own. The oracle for PostgreSQL is the same run on SQLite.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, inspect, select

from sync.consolidate import consolidate
from sync.jobs import STALE_S, Jobs
from sync.ledger import open_ledger
from sync.schema import jobs as jobs_table
from sync.schema import submissions
from sync.settings import load_settings
from sync.web import create_app

PER_FORM = ("ข้อมูลนักเรียน", "การใช้งบประมาณ", "ตัวชี้วัด", "สถานะการส่ง")


def _sheets(path: Path) -> dict[str, list[tuple]]:
    book = load_workbook(path, read_only=True)
    sheets = {name: list(book[name].iter_rows(values_only=True)) for name in PER_FORM}
    book.close()
    return sheets


def test_the_demo_consolidates_to_the_same_master_on_postgresql_as_on_sqlite(demo_area, tmp_path, fresh_database):
    """Every submission of the 40-school demo read into an empty ledger of each kind: the two
    masters' per-form sheets are equal cell for cell, and so are the counts in the ledgers."""
    demo, _ = demo_area
    answers = {}
    for kind, url in (("sqlite", None), ("postgresql", fresh_database)):
        home = tmp_path / kind
        shutil.copytree(demo / "inbox", home / "inbox")
        shutil.copy(demo / "registry.csv", home / "registry.csv")
        shutil.copy(demo / "esaplan.toml", home / "esaplan.toml")
        settings = load_settings(home, database_url=url)
        result = consolidate(settings)
        ledger = open_ledger(settings.database_url)
        with ledger.engine.connect() as connection:
            versions = connection.execute(select(func.count()).select_from(submissions)).scalar_one()
        answers[kind] = (result.summary, result.new_versions, versions, _sheets(result.master_path))
    assert answers["postgresql"][2] > 40 and answers["postgresql"] == answers["sqlite"]


def test_a_ledger_made_before_migrations_is_brought_up_in_place(demo_copy):
    """The demo's SQLite ledger as esaplan left it before this version (no alembic_version, the
    jobs table without its heartbeat columns): opened, it gains them, is stamped at the newest
    revision, and keeps every submission."""
    path = demo_copy / "ledger.sqlite"
    with sqlite3.connect(path) as connection:
        before = connection.execute("SELECT count(*) FROM submissions").fetchone()[0]
        connection.execute("DROP TABLE alembic_version")
        for column in ("attempts", "heartbeat_at", "worker", "area"):
            connection.execute(f"ALTER TABLE jobs DROP COLUMN {column}")
    ledger = open_ledger(f"sqlite:///{path}")
    columns = {c["name"] for c in inspect(ledger.engine).get_columns("jobs")}
    with ledger.engine.connect() as connection:
        after = connection.execute(select(func.count()).select_from(submissions)).scalar_one()
        stamped = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
    assert {"attempts", "heartbeat_at", "worker", "area"} <= columns and after == before > 0 and stamped == "0002"


def test_jobs_on_postgresql_are_claimed_once_and_a_silent_one_is_put_back(tmp_path, fresh_database):
    import datetime as dt

    settings = load_settings(tmp_path / "home", database_url=fresh_database)
    engine = open_ledger(fresh_database).engine
    jobs = Jobs(engine, settings)
    silent = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=STALE_S + 5)
    with engine.begin() as connection:
        job_id = connection.execute(jobs_table.insert().values(fiscal_year=2570, round=6, started_by="x", status="running", attempts=1, heartbeat_at=silent, done=0, total=0, started_at=silent)).inserted_primary_key[0]
    assert jobs.stalled() == [job_id] and jobs.get(job_id)["phase_th"].startswith("รอคิว")
    claims: list[object] = []
    racing = [threading.Thread(target=lambda: claims.append(jobs._claim(job_id))) for _ in range(4)]
    for thread in racing:
        thread.start()
    for thread in racing:
        thread.join()
    won = [claim for claim in claims if claim is not None]
    assert len(won) == 1 and won[0]["attempts"] == 2 and won[0]["status"] == "running"


def test_staff_log_in_against_a_postgresql_ledger(tmp_path, fresh_database):
    from sync.accounts import Users

    settings = load_settings(tmp_path / "home", database_url=fresh_database)
    app = create_app(settings, api_token="t", worker=False)
    users = Users(app.extensions["esaplan"].ledger.engine)
    users.add("somjai", "สมใจ ใจดี", "ยาวพอแล้ว123")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post("/login", data={"csrf_token": token, "username": "somjai", "password": "ยาวพอแล้ว123", "next": ""})
    assert answer.status_code == 302 and "สมใจ ใจดี" in client.get("/").get_data(as_text=True)
