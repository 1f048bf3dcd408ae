"""The data rows of the master's per-form sheets, as SpreadsheetML, one block per unit, kept between runs.

The per-form sheets are nearly all of the master's cells (185,000 at 200 schools) and every one is
plain: a value and at most its column's number format. openpyxl spends ~8 µs on each; this module
writes them as text (~0.4 µs, a unit's repeated cells written once) into the sheet part openpyxl
has already laid out (widths, filter, frozen header, print setup, style ids), so openpyxl still
writes everything that is not a plain data cell.

Each unit's rows are one block, compressed once and kept in ``master/.rows-FY…-R….sqlite`` under
the hash of what they are made from (the submission, the unit's cells, the code and rules). Rows
and cells carry no ``r`` reference: ECMA-376 makes it optional (CT_Row, CT_Cell), a row without
one follows the row before it and a cell the cell before it (a gap is an empty ``<c/>``), as Excel,
LibreOffice, openpyxl and calamine read it. So a block is the same bytes wherever it lands: a run
where ten schools sent a new version makes and compresses their blocks and copies every other
unit's compressed bytes as kept, even when a unit above them now has more or fewer rows. Blocks
are joined into chunks of about :data:`CHUNK_UNITS` units, cut where the units' own keys say
(:class:`Chunk`), which a long-lived process keeps: such a run joins the few chunks the ten
schools are in and takes the others whole.

Text is written as inline strings (never a formula, whatever it starts with), characters a
workbook cannot carry are dropped (:mod:`sync.files.xmltext`), dates as Excel serial numbers like openpyxl's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import zip_longest
from pathlib import Path
from typing import Any

import orjson
from openpyxl.utils.datetime import to_excel

from sync.files.cachefile import KEYS_A_QUERY, Warm, open_cache, rows_by_key
from sync.files.xmltext import REMOVED
from sync.files.zippackage import Deflated, deflate, joined
from sync.master.widths import shown_width

EMPTY = "<c/>"  # a gap before a later cell of the row: without references, cells are placed by their order
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", **dict.fromkeys(REMOVED)})


def cell_xml(value: Any, style: str) -> str:
    """One cell, placed by its order in the row; ``style`` is `` s="N"`` or empty."""
    if isinstance(value, str):
        text = value.translate(_TEXT)
        if not text:
            return EMPTY  # nothing left to show: an empty cell, as openpyxl writes ""
        space = ' xml:space="preserve"' if text != text.strip() else ""
        return f'<c{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'
    if isinstance(value, bool):
        return f'<c{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f"<c{style}><v>{value}</v></c>"
    if isinstance(value, Decimal):
        return f"<c{style}><v>{value:f}</v></c>"
    if isinstance(value, float):  # 16 significant digits, as openpyxl writes them
        return f"<c{style}><v>{value:.16g}</v></c>"
    if isinstance(value, dt.date):  # dates and date-times: Excel's serial number, as openpyxl works it out
        return f"<c{style}><v>{to_excel(value):.16g}</v></c>"
    return cell_xml(str(value), style)


def block_rows(
    rows: list[list[Any]], styles: list[str], dates: tuple[str, str], by_value: list[dict[Any, str]]
) -> list[str]:
    """Rows as ``<row>`` elements without references; an empty cell is :data:`EMPTY` before a
    later one and left out at the end. A cell takes its value's style in ``by_value`` (a status
    colour), else its column's; a date in a column without a number format gets ``dates``
    (date-time, date): a bare serial number reads as nothing.

    A unit's code, name, district and submission repeat on all its rows as the same objects: a
    cell holding the very object the row above held reuses its XML (values are immutable).
    """
    width = max((len(r) for r in rows), default=0)
    above: list[Any] = [None] * width
    xml = [EMPTY] * width
    result = []
    for row in rows:
        cells = []
        for c, value in enumerate(row):
            if value is None:
                cells.append(EMPTY)
                continue
            if value is not above[c]:
                above[c], xml[c] = (
                    value,
                    cell_xml(value, by_value[c].get(value) or styles[c] or _date_style(value, dates)),
                )
            cells.append(xml[c])
        while cells and cells[-1] == EMPTY:
            cells.pop()
        result.append(f"<row>{''.join(cells)}</row>")
    return result


def _date_style(value: Any, dates: tuple[str, str]) -> str:
    if isinstance(value, dt.datetime):
        return dates[0]
    return dates[1] if isinstance(value, dt.date) else ""


@dataclass(frozen=True)
class Block:
    """One unit's rows, compressed as they go into the sheet part: ``count`` of them, and the
    width each column needs to show them."""

    rows: Deflated
    count: int
    widths: tuple[float, ...]


def block_widths(rows: list[list[Any]], formats: dict[int, str]) -> tuple[float, ...]:
    """The width each column needs to show the rows, -1 where it holds nothing: a value per column,
    so a table's widths are one C-level max over its blocks. Each distinct value is measured once:
    a unit's code, name and district repeat on all its rows."""
    return tuple(
        max((shown_width(value, formats.get(c)) for value in set(column) - {None}), default=-1)
        for c, column in enumerate(zip(*rows, strict=True))
    )


def widest(widths: Iterable[tuple[float, ...]]) -> tuple[float, ...]:
    """Each column's widest of several blocks' or chunks' :func:`block_widths` (-1: nothing in it),
    one C-level max a column."""
    return tuple(map(max, zip_longest(*widths, fillvalue=-1)))


@dataclass(frozen=True)
class UnitRows:
    """A table's units, not made into rows yet: each one's ``source``, in order (everything its
    rows are made from: its hash is the unit's block's key, and equal sources make the same rows),
    and how a unit's rows are made from its source when no block is kept under that key. A source
    is a tuple of text, whole numbers and dates; a unit's view holds the very same object while the
    unit is unchanged (:class:`~sync.master.data.UnitView`), which is how a process finds last run's key."""

    sources: list[tuple[Any, ...]]
    make: Callable[[tuple[Any, ...]], list[list[Any]]]


@dataclass(frozen=True)
class Table:
    """A sheet's table of unit blocks: the units, the sheet row the first lands on (1-based),
    each column's style attribute, its values' own style attributes, and its number format."""

    units: UnitRows
    first_row: int
    styles: list[str]
    by_value: list[dict[Any, str]]
    formats: dict[int, str]


CHUNK_UNITS = 64  # units in a chunk, on average
_ENDS_CHUNK = frozenset(
    f"{n:02x}" for n in range(256 // CHUNK_UNITS)
)  # the last two hex digits of a key that ends a chunk


@dataclass(frozen=True)
class Chunk:
    """Consecutive units' blocks joined into one piece of the sheet part, with the rows they hold
    and the width each column needs: what a table is written from. A chunk ends after a key whose
    last two hex digits are one of :data:`_ENDS_CHUNK` (one unit in :data:`CHUNK_UNITS`), so where
    chunks end depends on the units' own keys, not on their places: a unit changed, added or removed
    changes its own chunk (and the next, when its key ended or now ends one) and no other. At 5,000
    schools a table is ~80 chunks; a run after ten schools changed joins a few and takes the rest
    as they were, where going over 36,000 blocks (keys, widths, pieces of the zip) cost ~0.2 s."""

    keys: tuple[str, ...]
    blocks: tuple[Block, ...]
    rows: Deflated
    count: int
    widths: tuple[float, ...]


def _chunk(keys: tuple[str, ...], blocks: list[Block]) -> Chunk:
    """The blocks joined; each block's bytes then a view of the chunk's, so a process keeps one copy."""
    rows = joined([block.rows for block in blocks])
    data, start, viewed = memoryview(rows.data), 0, []
    for block in blocks:
        end = start + len(block.rows.data)
        viewed.append(Block(Deflated(data[start:end], block.rows.crc, block.rows.size), block.count, block.widths))
        start = end
    return Chunk(
        keys, tuple(viewed), rows, sum(block.count for block in blocks), widest(block.widths for block in blocks)
    )


def _runs(keys: list[str]) -> list[tuple[int, tuple[str, ...]]]:
    """The keys cut into chunks: where each starts, and its keys."""
    runs, start = [], 0
    for end, key in enumerate(keys, start=1):
        if key[-2:] in _ENDS_CHUNK:
            runs.append((start, tuple(keys[start:end])))
            start = end
    if start < len(keys):
        runs.append((start, tuple(keys[start:])))
    return runs


SCHEMA = 6  # PRAGMA user_version of the cache file: a file of another layout is emptied, not misread


@dataclass(frozen=True)
class _Kept:
    """What a process keeps of a master's last run: its chunks by their keys; each unit source's
    key, by the source object (by table shape): hashing a source took ~4 µs, 0.15 s of a run at
    5,000 schools; and the token that run left in the file with the keys the file then held."""

    chunks: dict[tuple[str, ...], Chunk]
    keys: dict[bytes, dict[int, tuple[tuple[Any, ...], str]]]
    file: tuple[str, frozenset[str]] | None


WARM: Warm[_Kept] = Warm()


class RowCache:
    """Blocks of rows kept by the hash of what they are made from, for one round's master.

    A SQLite file next to the master (plain data, never code, though the folder may be shared):
    a run reads the blocks it needs and writes only those it made; a long-lived process keeps its
    last run's chunks in memory (:class:`~sync.files.cachefile.Warm`) and reads only the others. ``salt``
    stands for the code and rules that shape rows: when it changes, no kept block matches.
    ``dates`` are the styles of a date-time and a date in a column without a number format.
    """

    def __init__(self, path: Path, salt: str, dates: tuple[str, str]) -> None:
        self.path, self.salt, self.dates = path, salt, dates
        self.kept = WARM.get(path) or _Kept({}, {}, None)
        self.chunks: dict[tuple[str, ...], Chunk] = {}
        self.joined: list[Chunk] = []  # this run's new chunks: they hold every block it made
        self.keys: dict[bytes, dict[int, tuple[tuple[Any, ...], str]]] = {}
        self.made: set[str] = set()
        self.db = open_cache(
            path,
            SCHEMA,
            {
                "blocks": "key TEXT PRIMARY KEY, deflated BLOB NOT NULL, crc INTEGER NOT NULL, size INTEGER NOT NULL, count INTEGER NOT NULL, widths TEXT NOT NULL",
                "saved": "token TEXT NOT NULL",
            },
        )

    def chunks_of(self, tables: list[Table]) -> list[list[Chunk]]:
        """Each table's chunks in order: those of this process's last run as they were, the others
        joined from blocks kept (in memory or the file) or made now."""
        runs = [_runs(self._keys(table)) for table in tables]
        wanted = {key for table_runs in runs for _, run in table_runs if run not in self.kept.chunks for key in run}
        blocks = self._kept_blocks(wanted)
        result = []
        for table, table_runs in zip(tables, runs, strict=True):
            chunks = []
            for start, run in table_runs:
                chunk = self.kept.chunks.get(run)
                if chunk is None:
                    chunk = _chunk(
                        run,
                        [
                            blocks.get(key) or self._make(key, table, table.units.sources[start + offset])
                            for offset, key in enumerate(run)
                        ],
                    )
                    self.joined.append(chunk)
                self.chunks[run] = chunk
                chunks.append(chunk)
            result.append(chunks)
        return result

    def _keys(self, table: Table) -> list[str]:
        """Each unit's key: the hash of its source and of all else that shapes its block."""
        shape = repr((self.salt, table.styles, table.by_value, self.dates, sorted(table.formats.items()))).encode()
        known = self.kept.keys.get(shape, {})
        mine = self.keys.setdefault(shape, {})
        keys = []
        for source in table.units.sources:
            entry = known.get(id(source))
            if entry is None or entry[0] is not source:  # the entry holds its source: the id is never another object's
                entry = (source, hashlib.blake2b(shape + repr(source).encode(), digest_size=16).hexdigest())
            mine[id(source)] = entry
            keys.append(entry[1])
        return keys

    def _make(self, key: str, table: Table, source: tuple[Any, ...]) -> Block:
        rows = table.units.make(source)
        xml = block_rows(rows, table.styles, self.dates, table.by_value)
        self.made.add(key)
        return Block(deflate(["".join(xml).encode()]), len(xml), block_widths(rows, table.formats))

    def _kept_blocks(self, keys: set[str]) -> dict[str, Block]:
        """Of ``keys``, the blocks in last run's chunks, and the others the file holds."""
        if not keys:
            return {}
        found = {
            key: block
            for chunk in self.kept.chunks.values()
            for key, block in zip(chunk.keys, chunk.blocks, strict=True)
            if key in keys
        }
        return found | self._read([key for key in keys if key not in found])

    def _read(self, keys: list[str]) -> dict[str, Block]:
        """The kept blocks among ``keys``. The file holds the last master's blocks only (:meth:`save`):
        a run with nothing in memory asks for nearly all of them again, so it reads the file whole in
        one statement (at 5,000 schools in two thirds of the time that asking for 36,000 keys 500 at
        a time took); a run that has the rest in memory asks for its few keys."""
        if not keys:
            return {}
        select = "SELECT key, deflated, crc, size, count, widths FROM blocks"
        wanted = set(keys)
        whole = len(keys) > KEYS_A_QUERY
        found = [
            row
            for row in self._run(
                lambda db: (
                    db.execute(select).fetchall() if whole else list(rows_by_key(db, f"{select} WHERE key IN", keys))
                )
            )
            or ()
            if row[0] in wanted
        ]
        widths = orjson.loads(
            f"[{','.join(row[5] for row in found)}]"
        )  # one parse for all: ~10 µs a call saved 1,500 times
        return {
            key: Block(Deflated(data, crc, size), count, tuple(needs))
            for (key, data, crc, size, count, _), needs in zip(found, widths, strict=True)
        }

    def save(self) -> None:
        """Make the file hold this run's blocks, no others (one master's rows), in one transaction:
        those it made, and any from memory a lost or broken file no longer has; in memory, keep
        this run's chunks and keys in place of the last run's. The file says, by a token, whether
        this process saved it last: then it holds the keys that run left, and a run at 5,000
        schools need not read 36,000 keys back (~0.03 s)."""
        used = frozenset(key for run in self.chunks for key in run)
        saved = None
        if self.db is not None:
            token = secrets.token_hex(8)
            try:
                with self.db:
                    self.db.execute(
                        "BEGIN IMMEDIATE"
                    )  # nothing else writes between reading what the file holds and changing it
                    in_file = self._in_file()
                    missing = used - in_file
                    holding = (
                        self.joined if missing <= self.made else self.chunks.values()
                    )  # the file lost more than this run made
                    blocks = {
                        key: block
                        for chunk in holding
                        for key, block in zip(chunk.keys, chunk.blocks, strict=True)
                        if key in missing
                    }
                    self.db.executemany(
                        "INSERT OR REPLACE INTO blocks VALUES (?, ?, ?, ?, ?, ?)",
                        [_stored(key, blocks[key]) for key in missing],
                    )
                    self.db.executemany("DELETE FROM blocks WHERE key = ?", [(key,) for key in in_file - used])
                    self.db.execute("DELETE FROM saved")
                    self.db.execute("INSERT INTO saved VALUES (?)", (token,))
                saved = (token, used)
            except sqlite3.Error:
                pass  # a cache that cannot be written only costs time next run
            finally:
                self.db.close()
        WARM.keep(self.path, _Kept(self.chunks, self.keys, saved))

    def _in_file(self) -> frozenset[str]:
        """The keys the file holds: those last run left when its token is still there."""
        assert self.db is not None
        if self.kept.file is not None and self.db.execute("SELECT token FROM saved").fetchall() == [
            (self.kept.file[0],)
        ]:
            return self.kept.file[1]
        return frozenset(key for (key,) in self.db.execute("SELECT key FROM blocks"))

    def _run(self, read: Callable[[sqlite3.Connection], list[Any]]) -> list[Any] | None:
        if self.db is None:
            return None
        try:
            return read(self.db)
        except sqlite3.Error:  # a broken cache: every block is made again, and the file afresh next run
            self.db.close()
            self.db = None
            self.path.unlink(missing_ok=True)
            return None


def _stored(key: str, block: Block) -> tuple[str, bytes | memoryview, int, int, int, str]:
    return key, block.rows.data, block.rows.crc, block.rows.size, block.count, orjson.dumps(block.widths).decode()


_LAST_ROW = re.compile(rb'<row r="([0-9]+)"')


def splice(sheet_xml: bytes, first_row: int, rows: Sequence[bytes | Deflated]) -> list[bytes | Deflated]:
    """An openpyxl-written sheet with data rows at the end of its ``<sheetData>``, in pieces
    (nothing copied). The rows carry no numbers, so they follow the last numbered one: where
    openpyxl wrote none as far as ``first_row - 1`` (a blank row), an empty one holds the place."""
    end = sheet_xml.rfind(b"</sheetData>")
    if end < 0:  # an empty sheetData is written as one self-closing tag
        empty = sheet_xml.rfind(b"<sheetData/>")
        head, tail = [sheet_xml[:empty], b"<sheetData>"], [b"</sheetData>", sheet_xml[empty + len(b"<sheetData/>") :]]
        last = 0
    else:
        head, tail = [sheet_xml[:end]], [sheet_xml[end:]]
        numbers = _LAST_ROW.findall(sheet_xml, sheet_xml.rfind(b"<sheetData>"), end)
        last = int(numbers[-1]) if numbers else 0
    if last >= first_row:
        raise ValueError(f"the sheet's own rows reach row {last}, where its data rows start at {first_row}")
    anchor = [f'<row r="{first_row - 1}"/>'.encode()] if last < first_row - 1 else []
    return [*head, *anchor, *rows, *tail]
