"""The SQLite files esaplan keeps next to the master to save time (row blocks, versions' facts).

They hold plain data, never code, and only ever cost time when lost: a file that is not a
database, or that holds another layout (an older esaplan), is emptied and made afresh.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

KEYS_A_QUERY = 500  # under SQLite's bound-parameter limit (999 in older builds)


def open_cache(path: Path, schema: int, table: str, columns: str) -> sqlite3.Connection | None:
    """The cache's database with ``table`` (``columns`` its SQL column list) at layout ``schema``
    (PRAGMA user_version), or None when no file can be made there."""
    for attempt in range(2):
        db = None
        try:
            db = sqlite3.connect(path)
            db.execute("PRAGMA journal_mode = WAL")  # a power cut may lose the last run's additions, never corrupt the file
            db.execute("PRAGMA synchronous = NORMAL")
            if db.execute("PRAGMA user_version").fetchone()[0] != schema:
                with db:
                    db.execute(f"DROP TABLE IF EXISTS {table}")
                    db.execute(f"CREATE TABLE {table} ({columns})")
                    db.execute(f"PRAGMA user_version = {schema}")
            return db
        except sqlite3.Error:
            if db is not None:
                db.close()
            if attempt == 0:
                path.unlink(missing_ok=True)
    return None


def rows_by_key(db: sqlite3.Connection, select: str, keys: Sequence[str]) -> Iterator[Any]:
    """The rows of ``select`` (a query ending in ``WHERE key IN``) for ``keys``, a few hundred keys a query."""
    for start in range(0, len(keys), KEYS_A_QUERY):
        chunk = keys[start : start + KEYS_A_QUERY]
        yield from db.execute(f"{select} ({','.join('?' * len(chunk))})", chunk)
