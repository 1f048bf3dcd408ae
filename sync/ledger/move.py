"""Move an installation's ledger to another database: one office's SQLite file to the PostgreSQL
that several machines share, when the office grows past one PC (``esaplan ledger move``).

Every row of every table is copied with its id, in foreign-key order, in one transaction on the
target, and counted again there; only then does the installation's ``esaplan.toml`` name the new
database. No consolidation runs meanwhile (the consolidation lock is held); the web service,
which takes uploads, is stopped first (README). The old ledger is left as it was (nothing is
deleted), so a move that fails, or is regretted, loses nothing: the setting still names the old
one, or can be put back. Ids are kept because the ledger points at itself by id (issues at their
version, runs' fingerprints) and the web pages and macros at jobs by id; PostgreSQL's id
sequences are then moved past the copied ids.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from rules import EsaplanError
from sync.ledger.database import open_ledger
from sync.ledger.lock import consolidation_lock
from sync.ledger.schema import metadata
from sync.office.settings import Settings, set_config

BATCH = 1_000  # rows read and inserted at a time: a ledger of many rounds never sits in memory whole


class LedgerNotEmpty(EsaplanError):
    """The target database already holds a ledger's rows: moving into it would mix two ledgers."""


def move_ledger(settings: Settings, target_url: str) -> dict[str, int]:
    """Copy the installation's ledger to ``target_url``, check it, and point the installation at it;
    returns the rows copied per table."""
    if target_url == settings.database_url:
        raise EsaplanError("ฐานข้อมูลปลายทางคือฐานข้อมูลที่ใช้อยู่แล้ว", "the target is the ledger already in use")
    settings.master_dir.mkdir(parents=True, exist_ok=True)
    with consolidation_lock(settings, timeout_s=0):  # no run adds versions while they are copied
        return _move(settings, target_url)


def _move(settings: Settings, target_url: str) -> dict[str, int]:
    source = open_ledger(settings.database_url).engine
    try:
        target = open_ledger(target_url).engine  # brought to the newest schema, as the source is
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise EsaplanError(
            f"เชื่อมต่อฐานข้อมูลปลายทางไม่ได้: {reason} (ตรวจที่อยู่ ชื่อผู้ใช้ รหัสผ่าน และว่าสร้างฐานข้อมูลแล้ว) ไม่ได้ย้าย",
            f"cannot connect to the target: {reason}; nothing moved",
        ) from None
    with source.connect() as reading, target.begin() as writing:
        _refuse_rows(writing, target_url)
        copied = {table.name: _copy_table(reading, writing, table) for table in metadata.sorted_tables}
        _advance_sequences(writing)
        found = _counts(writing)
        if found != copied:  # raised inside the transaction: the target is left empty
            raise EsaplanError(
                f"จำนวนแถวในฐานข้อมูลใหม่ไม่ตรงกับที่คัดลอก ({found} / {copied}) ไม่ได้ย้าย",
                f"row counts differ after copying ({found} / {copied}); nothing moved",
            )
    point_at(settings.home, target_url)
    return copied


def _counts(connection: Connection) -> dict[str, int]:
    """Rows in each ledger table."""
    return {
        table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
        for table in metadata.sorted_tables
    }


def _refuse_rows(connection: Connection, url: str) -> None:
    filled = [name for name, rows in _counts(connection).items() if rows]
    if filled:
        raise LedgerNotEmpty(
            f"ฐานข้อมูลปลายทางมีข้อมูลอยู่แล้ว (ตาราง {', '.join(filled)}): ใช้ฐานข้อมูลว่างที่สร้างใหม่ ข้อมูลเดิมไม่ถูกแตะต้อง",
            f"the target database already holds rows ({', '.join(filled)}): use a new, empty database; nothing was changed",
            value=_without_password(url),
        )


def _copy_table(reading: Connection, writing: Connection, table: Any) -> int:
    rows = reading.execute(select(table).order_by(*table.primary_key.columns)).mappings()
    count = 0
    while batch := rows.fetchmany(BATCH):
        writing.execute(table.insert(), [{key: _utc(value) for key, value in row.items()} for row in batch])
        count += len(batch)
    return count


def _utc(value: Any) -> Any:
    """SQLite hands back the ledger's UTC times without their zone; PostgreSQL would read such a
    time in its own session's zone, so the zone is said."""
    return value.replace(tzinfo=dt.UTC) if isinstance(value, dt.datetime) and value.tzinfo is None else value


def _advance_sequences(connection: Connection) -> None:
    """PostgreSQL hands out ids from a sequence the copied rows did not use: start it past them."""
    if connection.dialect.name != "postgresql":
        return
    for table in metadata.sorted_tables:
        if "id" in table.c and isinstance(table.c.id.type, Integer):  # upload links' ids are their tokens
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), coalesce(max(id), 0) + 1, false) FROM {table.name}"
                )
            )


def point_at(home: Path, database_url: str) -> None:
    """Name the ledger's database in the installation's esaplan.toml, leaving every other setting as written."""
    set_config(home, database_url=database_url)


def _without_password(url: str) -> str:
    return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", url)
