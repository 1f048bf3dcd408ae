"""Opening a ledger database: one engine per database a process keeps, SQLite's pragmas (WAL, a busy
timeout), and the Alembic migrations that bring any ledger, new or made before migrations existed,
to the newest schema before anything reads it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy import (
    Column,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    insert,
    inspect,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from rules import EsaplanError
from sync.ledger.schema import metadata
from sync.ledger.store import Ledger


def open_ledger(database_url: str) -> Ledger:
    """The ledger at ``database_url`` (SQLite by default, PostgreSQL for several machines).

    One engine, and so one connection pool, per database a process uses (SQLAlchemy's advice):
    the web service, the consolidation and the jobs in one process share it, and the tables are
    brought to this esaplan's version (:func:`migrate`) the first time only. A worker serving many
    areas opens a ledger for each: the :data:`ENGINES_KEPT` it used last are kept, an older one's
    pooled connections are closed (a ledger still using it opens new ones). Keeping every area's
    engine, its pool and compiled statements, grew a worker by ~3 MiB an area.
    """
    with _opening:
        engine = _engines.get(database_url)
        if engine is not None:
            _engines.move_to_end(database_url)
        else:
            try:
                engine = create_engine(
                    database_url, future=True, pool_pre_ping=True
                )  # a restarted server's dead connections are replaced, not handed out
            except ModuleNotFoundError as missing:
                install = '"esaplan[postgres]"' if database_url.startswith("postgresql") else str(missing.name)
                raise EsaplanError(
                    f"ยังไม่ได้ติดตั้งไดรเวอร์ของฐานข้อมูลที่ตั้งไว้ ({missing.name}): pip install {install} แล้วลองอีกครั้ง",
                    f"the configured database's driver ({missing.name}) is not installed: pip install {install}",
                ) from None
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_pragmas)
            migrate(engine)
            _engines[database_url] = engine
            while len(_engines) > ENGINES_KEPT:
                _engines.popitem(last=False)[1].dispose()
    return Ledger(engine)


def close_ledgers() -> None:
    """Close every pooled connection this process holds (a test's database is about to go)."""
    with _opening:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


SCHEMA_HEAD = "0007"  # the newest revision in sync/ledger/migrations/versions (tests/test_postgres.py holds them equal)
_stamp = MetaData()
Table(
    "alembic_version",
    _stamp,
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)  # as Alembic makes it
ENGINES_KEPT = (
    8  # databases a process keeps an engine for: an installation's ledger and jobs, and a worker's last areas
)
_engines: OrderedDict[str, Engine] = OrderedDict()
_opening = threading.Lock()


def migrate(engine: Engine) -> None:
    """Run the Alembic migrations in ``sync/ledger/migrations`` up to the newest, on any database.

    A new, empty database gets the newest tables at once from :mod:`sync.ledger.schema` and is stamped
    at :data:`SCHEMA_HEAD` (a test holds the migrations' tables equal to those).

    A ledger made before migrations existed has the tables but no ``alembic_version``: the tables
    and (nullable) columns it lacks are added, as that version did itself, which makes it the
    newest schema, and it is stamped so; an office upgrading in place keeps every submission. Several services starting at once on one
    PostgreSQL wait for each other on an advisory lock.
    """
    if _at_head(engine):
        return
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(2570)"))
        tables = set(inspect(connection).get_table_names())
        if not tables:  # a new ledger: made whole from the tables' definitions and stamped, as Alembic's docs advise, without loading it
            metadata.create_all(connection)
            _stamp.create_all(connection)
            connection.execute(insert(_stamp.tables["alembic_version"]).values(version_num=SCHEMA_HEAD))
            return
        from alembic import command  # a tenth of a second to import: only when there is something to do
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", "sync.ledger:migrations")
        config.attributes["connection"] = connection
        if "alembic_version" not in tables and tables & set(metadata.tables):
            _add_missing_columns(connection)
            command.stamp(config, "head")
        command.upgrade(config, "head")


def _at_head(engine: Engine) -> bool:
    """Whether the ledger is stamped at :data:`SCHEMA_HEAD` already, as it is on every open but the
    first after an upgrade: one query instead of loading Alembic (every worker opens every area's)."""
    try:
        with engine.connect() as connection:
            return (
                connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none() == SCHEMA_HEAD
            )
    except SQLAlchemyError:  # no such table yet
        return False


def _add_missing_columns(connection: Connection) -> None:
    """Bring a ledger made before migrations to the newest schema: add the tables, (nullable) columns
    and indexes it lacks."""
    inspector = inspect(connection)
    present_tables = set(inspector.get_table_names())
    for table in metadata.sorted_tables:
        if table.name not in present_tables:
            table.create(connection)  # with its indexes
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            if not column.nullable:
                raise RuntimeError(
                    f"ledger table {table.name} lacks the required column {column.name}: migrate the database"
                )
            kind = column.type.compile(dialect=connection.dialect)
            connection.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))
        indexed = {index["name"] for index in inspector.get_indexes(table.name)}
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            if index.name not in indexed:
                if "before" in index.info:  # what the index needs of the rows first (schema.py)
                    connection.execute(text(index.info["before"]))
                index.create(connection)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL lets the web pages read while a run writes; NORMAL sync keeps the database consistent
    # after a crash and costs one fsync per checkpoint instead of one per submission.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
