"""The ledger on PostgreSQL as well as SQLite, brought to its version by Alembic migrations.

PostgreSQL is Debian's server, started by the tests on loopback (``postgres_url`` in conftest);
every test gets a database of its own. The oracle for PostgreSQL is the same run on SQLite.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import func, inspect, select

from sync.cli import main
from sync.ledger.database import SCHEMA_HEAD, open_ledger
from sync.ledger.schema import jobs as jobs_table
from sync.ledger.schema import metadata, submissions
from sync.office.settings import load_settings
from sync.rounds.consolidate import consolidate
from sync.service.jobs import STALE_S, Jobs
from sync.service.web import create_app
from tests.conftest import new_database

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
        connection.execute("DROP INDEX jobs_one_active")
        for column in ("attempts", "heartbeat_at", "worker", "area"):
            connection.execute(f"ALTER TABLE jobs DROP COLUMN {column}")
        for _ in range(2):  # a doubled start that version allowed: two jobs of one round left running
            connection.execute(
                "INSERT INTO jobs (fiscal_year, round, started_by, status, done, total, percent, started_at) VALUES (2569, 12, 'x', 'running', 0, 0, 0, '2026-11-01')"
            )
    ledger = open_ledger(f"sqlite:///{path}")
    columns = {c["name"] for c in inspect(ledger.engine).get_columns("jobs")}
    with ledger.engine.connect() as connection:
        after = connection.execute(select(func.count()).select_from(submissions)).scalar_one()
        stamped = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
    assert {"attempts", "heartbeat_at", "worker", "area"} <= columns and after == before > 0 and stamped == SCHEMA_HEAD
    with ledger.engine.connect() as connection:
        doubled = connection.execute(
            select(jobs_table.c.id, jobs_table.c.status, jobs_table.c.error)
            .where(jobs_table.c.started_by == "x")
            .order_by(jobs_table.c.id)
        ).all()
    assert [status for _, status, _ in doubled] == ["failed", "running"] and "ซ้ำ" in doubled[0].error, (
        "the newest stays; the one-active-job rule holds from now on"
    )


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_two_starts_of_one_round_that_both_found_nothing_running_make_one_job(tmp_path, kind, request, monkeypatch):
    """Two services (the web button on one machine, a macro's API call on another) each look for a
    running job of the round before the other has written its own: the database takes one, the
    other joins it. Another area's round, or the round once its job has ended, starts anew."""
    url = (
        request.getfixturevalue("fresh_database") if kind == "postgresql" else f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    )
    settings = load_settings(tmp_path / "home", database_url=url)
    first, second = Jobs(open_ledger(url).engine, settings), Jobs(open_ledger(url).engine, settings)
    looked: list[Jobs] = []
    real = Jobs._running

    def before_the_other_wrote(self, *args):
        if self not in looked:
            looked.append(self)
            return None
        return real(self, *args)

    monkeypatch.setattr(Jobs, "_running", before_the_other_wrote)
    job_id, new = first.start(2570, 6, "web")
    assert new and second.start(2570, 6, "macro") == (job_id, False)
    with first.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(jobs_table)).scalar_one() == 1
    assert second.start(2570, 6, "macro", area="A02")[1], "another area's round is another job"
    first._set(job_id, status="done")
    assert second.start(2570, 6, "macro")[1], "a round whose job has ended starts again"


def test_jobs_on_postgresql_are_claimed_once_and_a_silent_one_is_put_back(tmp_path, fresh_database):
    import datetime as dt

    settings = load_settings(tmp_path / "home", database_url=fresh_database)
    engine = open_ledger(fresh_database).engine
    jobs = Jobs(engine, settings)
    silent = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=STALE_S + 5)
    with engine.begin() as connection:
        job_id = connection.execute(
            jobs_table.insert().values(
                fiscal_year=2570,
                round=6,
                started_by="x",
                status="running",
                attempts=1,
                heartbeat_at=silent,
                done=0,
                total=0,
                started_at=silent,
            )
        ).inserted_primary_key[0]
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
    from sync.service.accounts import Users

    settings = load_settings(tmp_path / "home", database_url=fresh_database)
    app = create_app(settings, api_token="t", worker=False)
    users = Users(app.extensions["esaplan"].ledger.engine)
    users.add("somjai", "สมใจ ใจดี", "ยาวพอแล้ว123")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post(
        "/login", data={"csrf_token": token, "username": "somjai", "password": "ยาวพอแล้ว123", "next": ""}
    )
    assert answer.status_code == 302 and "สมใจ ใจดี" in client.get("/").get_data(as_text=True)


def _rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every ledger table in id order, times in UTC: what a move must carry over."""
    engine = open_ledger(url).engine
    with engine.connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key.columns))]
            for table in metadata.sorted_tables
        }


def _utc_naive(rows: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """Times as SQLite hands them back (UTC, no zone); PostgreSQL's carry their zone."""
    import datetime as dt

    def one(value: object) -> object:
        return (
            value.astimezone(dt.UTC).replace(tzinfo=None) if isinstance(value, dt.datetime) and value.tzinfo else value
        )

    return {name: [tuple(map(one, row)) for row in table] for name, table in rows.items()}


def test_an_office_moves_its_ledger_to_postgresql_and_goes_on_where_it_was(demo_copy, fresh_database):
    """`esaplan ledger move` as the README shows it: every row of every table arrives with its id
    and times; the next consolidation finds nothing changed (the same versions, by id); a school's
    new version gets the next id; the SQLite file is still there; a second move into the now
    filled database is refused and changes nothing."""
    sqlite_url = load_settings(demo_copy).database_url
    before = _utc_naive(_rows(sqlite_url))
    moved = CliRunner().invoke(main, ["ledger", "move", "--to", fresh_database, "--home", str(demo_copy)])
    assert moved.exit_code == 0, moved.output
    assert "ย้ายแล้ว" in moved.output and f"submissions: {len(before['submissions']):,} แถว" in moved.output
    settings = load_settings(demo_copy)
    assert settings.database_url == fresh_database and "fiscal_year" in (demo_copy / "esaplan.toml").read_text(
        encoding="utf-8"
    )
    assert _utc_naive(_rows(fresh_database)) == before and len(before["submissions"]) > 40 and before["users"]

    again = consolidate(settings)
    assert not again.master_written and again.new_versions == 0, (
        "the moved ledger holds the same versions under the same ids"
    )
    sent = next(p for p in sorted((demo_copy / "inbox").rglob("*.xlsx")))
    with zipfile.ZipFile(sent, "a") as archive:
        archive.comment = b"sent again"
    changed = consolidate(settings)
    assert changed.new_versions == 1 and changed.master_written
    with open_ledger(fresh_database).engine.connect() as connection:
        newest = connection.execute(select(func.max(submissions.c.id))).scalar_one()
    assert newest == max(row[0] for row in before["submissions"]) + 1, "PostgreSQL's ids go on after the copied ones"
    assert _utc_naive(_rows(sqlite_url)) == before, "the old ledger is left as it was"

    refused = CliRunner().invoke(main, ["ledger", "move", "--to", fresh_database, "--home", str(demo_copy)])
    assert refused.exit_code != 0 and "ใช้อยู่แล้ว" in refused.output
    (demo_copy / "esaplan.toml").write_text(
        (demo_copy / "esaplan.toml").read_text(encoding="utf-8").replace(fresh_database, sqlite_url), encoding="utf-8"
    )
    refused = CliRunner().invoke(main, ["ledger", "move", "--to", fresh_database, "--home", str(demo_copy)])
    assert refused.exit_code != 0 and "มีข้อมูลอยู่แล้ว" in refused.output and "submissions" in refused.output
    assert load_settings(demo_copy).database_url == sqlite_url, "a refused move leaves the setting as it was"


def test_a_ledger_is_not_moved_while_a_consolidation_runs(demo_copy, tmp_path):
    from filelock import FileLock

    from sync.ledger.lock import ConsolidationBusy
    from sync.ledger.move import move_ledger

    settings = load_settings(demo_copy)
    target = f"sqlite:///{tmp_path / 'new.sqlite'}"
    with (
        FileLock(str(settings.master_dir / ".consolidate.lock")),
        pytest.raises(ConsolidationBusy, match="กำลังรวมข้อมูลอยู่"),
    ):
        move_ledger(settings, target)
    assert (
        all(not rows for rows in _rows(target).values())
        and load_settings(demo_copy).database_url == settings.database_url
    )
    assert move_ledger(settings, target)["submissions"] > 40, "once the run has ended, it moves"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_failed_move_leaves_the_target_empty_and_the_setting_unchanged(
    demo_copy, tmp_path, kind, request, monkeypatch
):
    """A row that cannot be inserted half way (a constraint the target has): the target keeps
    nothing, and esaplan.toml still names the old ledger."""
    import sync.ledger.move as ledger_move

    target = (
        request.getfixturevalue("fresh_database") if kind == "postgresql" else f"sqlite:///{tmp_path / 'new.sqlite'}"
    )
    config = (demo_copy / "esaplan.toml").read_text(encoding="utf-8")
    real_copy = ledger_move._copy_table

    def copy_then_fail(reading, writing, table):
        copied = real_copy(reading, writing, table)
        if table.name == "issues":
            raise OSError("the network went away")
        return copied

    monkeypatch.setattr(ledger_move, "_copy_table", copy_then_fail)
    with pytest.raises(OSError):
        ledger_move.move_ledger(load_settings(demo_copy), target)
    assert all(not rows for rows in _rows(target).values())
    assert (demo_copy / "esaplan.toml").read_text(encoding="utf-8") == config


def test_the_head_esaplan_checks_on_opening_is_alembic_s_newest_migration():
    """Opening a ledger compares its stamp with SCHEMA_HEAD instead of loading Alembic: a migration
    added without moving SCHEMA_HEAD would never run."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", "sync.ledger:migrations")
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_HEAD


def test_a_database_esaplan_cannot_reach_or_drive_is_one_thai_line(demo_copy, postgres):
    """No driver installed for the URL's kind, or a database that is not there: `esaplan ledger
    move` says so in Thai, without a traceback, and the installation still uses its own ledger."""
    runner = CliRunner()
    no_driver = runner.invoke(
        main, ["ledger", "move", "--to", "mysql+pymysql://esaplan@127.0.0.1/esaplan", "--home", str(demo_copy)]
    )
    assert (
        no_driver.exit_code == 1
        and "ยังไม่ได้ติดตั้งไดรเวอร์" in no_driver.output
        and "pymysql" in no_driver.output
        and "Traceback" not in no_driver.output
    )
    absent = postgres.url.rsplit("/", 1)[0] + "/no_such_database"
    unreachable = runner.invoke(main, ["ledger", "move", "--to", absent, "--home", str(demo_copy)])
    assert (
        unreachable.exit_code == 1
        and "เชื่อมต่อฐานข้อมูลปลายทางไม่ได้" in unreachable.output
        and "no_such_database" in unreachable.output
    )
    assert load_settings(demo_copy).database_url.startswith("sqlite")


def test_the_new_database_is_named_in_esaplan_toml_and_nothing_else_there_changes(tmp_path):
    import tomllib

    from sync.ledger.move import point_at

    config = '# esaplan settings\nfiscal_year = 2570  # ปีงบประมาณ\nqueue_url = "redis://10.0.0.5:6379/0"\n\n[google]\nfolder_id = "abc"\n'
    (tmp_path / "esaplan.toml").write_text(config, encoding="utf-8")
    odd = 'postgresql+psycopg://esaplan:pa"ss\\word@db/esaplan'
    point_at(tmp_path, odd)
    first = tomllib.loads((tmp_path / "esaplan.toml").read_text(encoding="utf-8"))
    assert first["database_url"] == odd and first["fiscal_year"] == 2570 and first["google"] == {"folder_id": "abc"}
    point_at(tmp_path, "postgresql+psycopg://esaplan@db2/esaplan")
    text = (tmp_path / "esaplan.toml").read_text(encoding="utf-8")
    assert (
        text.count("database_url") == 1
        and tomllib.loads(text)["database_url"] == "postgresql+psycopg://esaplan@db2/esaplan"
    )
    assert text.endswith(config), "every other line as it was written"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_new_ledger_made_from_the_tables_is_the_one_the_migrations_make(kind, tmp_path, request):
    """A new, empty database gets the newest tables at once from sync.ledger.schema and the stamp, without
    loading Alembic (a tenth of a second of every new installation's first run, and of each test's):
    the same tables, columns, keys, indexes (partial ones included) and stamp as running every
    migration from nothing, on both kinds of database."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    if kind == "sqlite":
        urls = [f"sqlite:///{tmp_path / 'made.sqlite'}", f"sqlite:///{tmp_path / 'migrated.sqlite'}"]
    else:
        urls = [request.getfixturevalue("fresh_database"), new_database(request.getfixturevalue("postgres").url)]
    open_ledger(urls[0])
    migrated = create_engine(urls[1])
    config = Config()
    config.set_main_option("script_location", "sync.ledger:migrations")
    with migrated.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    made = create_engine(urls[0])
    assert _schema(made) == _schema(migrated)
    with made.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one() == SCHEMA_HEAD
    assert set(inspect(made).get_table_names()) == {*metadata.tables, "alembic_version"}
    made.dispose()
    migrated.dispose()


def _schema(engine) -> dict[str, object]:
    """Each table's columns (name, type, nullable, default), keys, indexes and unique constraints;
    on SQLite, whose reflection skips indexes on expressions, the indexes' own SQL as well."""
    import warnings

    from sqlalchemy.exc import SAWarning

    inspector = inspect(engine)
    ddl = []
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            ddl = sorted(
                (name, " ".join(sql.split()))
                for name, sql in connection.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                )
            )

    def index(entry: dict) -> tuple:
        where = {k: str(v) for k, v in entry.get("dialect_options", {}).items() if k.endswith("_where")}
        return (
            entry["name"],
            tuple(entry["column_names"]),
            bool(entry["unique"]),
            tuple(entry.get("expressions") or ()),
            tuple(sorted(where.items())),
        )

    def table(name: str) -> tuple:
        return (
            [(c["name"], str(c["type"]), c["nullable"], str(c.get("default"))) for c in inspector.get_columns(name)],
            inspector.get_pk_constraint(name),
            sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
                for fk in inspector.get_foreign_keys(name)
            ),
            sorted(index(i) for i in inspector.get_indexes(name)),
            sorted((u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(name)),
        )

    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", SAWarning
        )  # the expression index SQLite's reflection skips is compared by its SQL above
        return {"(index SQL)": ddl, **{name: table(name) for name in sorted(inspector.get_table_names())}}
