"""The SQLite files esaplan keeps next to the master to save time (row blocks, versions' facts),
and what a long-lived process keeps of them in memory between runs.

They hold plain data, never code, and only ever cost time when lost: a file that is not a
database, or that holds another layout (an older esaplan), is emptied and made afresh.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Generic, TypeVar

import rules
import rules.parameters

KEYS_A_QUERY = 500  # under SQLite's bound-parameter limit (999 in older builds)
WARM_ROUNDS = 4  # rounds' masters whose last run a process keeps in memory (an area's current round, last year's, and room for a few areas)

V = TypeVar("V")


class Warm(Generic[V]):
    """What this process made for its last runs, by scope (a cache file and round), in memory.

    The service and ``esaplan worker`` live for days and consolidate the same round again and
    again; a run after ten schools changed asks for nearly every unit's facts and blocks again,
    and reading them back from the file cost ~0.75 s of such a run's 2.77 s at 5,000 schools,
    where the ten schools' own facts and rows take a few hundredths. What is kept is keyed by
    what it was made from (the hash of a version, a unit's inputs: :mod:`sync.master.tally`), as in the
    files, so it is never stale: only the last run's is kept for each scope, for the last
    :data:`WARM_ROUNDS` scopes, so memory follows the area (a one-shot command gains nothing and
    loses nothing). The Consolidate button's worker thread and the service share it: a lock.
    """

    def __init__(self) -> None:
        self._rounds: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, scope: Hashable) -> V | None:
        """What the last run of ``scope`` kept (None when this process has not run it lately)."""
        with self._lock:
            if scope not in self._rounds:
                return None
            self._rounds.move_to_end(scope)
            return self._rounds[scope]

    def keep(self, scope: Hashable, value: V) -> None:
        """Keep this run's ``value`` for ``scope`` in place of the last run's."""
        with self._lock:
            self._rounds[scope] = value
            self._rounds.move_to_end(scope)
            while len(self._rounds) > WARM_ROUNDS:
                self._rounds.popitem(last=False)


def open_cache(path: Path, schema: int, tables: dict[str, str]) -> sqlite3.Connection | None:
    """The cache's database with ``tables`` (name: SQL column list) at layout ``schema`` (PRAGMA
    user_version), or None when no file can be made there."""
    for attempt in range(2):
        db = None
        try:
            db = sqlite3.connect(path)
            db.execute(
                "PRAGMA journal_mode = WAL"
            )  # a power cut may lose the last run's additions, never corrupt the file
            db.execute("PRAGMA synchronous = NORMAL")
            if db.execute("PRAGMA user_version").fetchone()[0] != schema:
                with db:
                    for table, columns in tables.items():
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


@cache
def code_salt() -> str:
    """What shapes a unit's rows and facts besides its submission: esaplan's code and rules data
    (rates, forms), so an edited rate or an upgrade reuses nothing kept. The rules data is the
    office's own folder when ``ESAPLAN_RULES_DATA`` names one (outside the package). Read once a
    process, as the code and the rules data themselves are (:func:`rules.default_parameters`): a
    rate edited while the service runs is used, and salts the caches, from its restart on. Each kept
    version of a school's file records the salt it was checked with, so an upgrade checks the round's
    kept files again (:func:`sync.intake.keep.recheck_stale`)."""
    package = Path(rules.__file__).parent
    data = rules.parameters.DATA_DIR
    digest = hashlib.blake2b(digest_size=16)
    for root in (package, Path(__file__).parents[1], *([] if data.is_relative_to(package) else [data])):
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".yaml"):
                digest.update(path.read_bytes())
    return digest.hexdigest()
