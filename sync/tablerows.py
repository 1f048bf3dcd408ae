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
unit's compressed bytes as kept, even when a unit above them now has more or fewer rows.

Text is written as inline strings (never a formula, whatever it starts with), characters XML
forbids are dropped, dates as Excel serial numbers like openpyxl's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from openpyxl.utils.datetime import to_excel

from .cachefile import KEYS_A_QUERY, Warm, open_cache, rows_by_key
from .sheetplan import shown_width
from .zippackage import Deflated, deflate

EMPTY = "<c/>"  # a gap before a later cell of the row: without references, cells are placed by their order
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", **{c: None for c in [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]}})


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


def block_rows(rows: list[list[Any]], styles: list[str], dates: tuple[str, str], by_value: list[dict[Any, str]]) -> list[str]:
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
                above[c], xml[c] = value, cell_xml(value, by_value[c].get(value) or styles[c] or _date_style(value, dates))
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
    return tuple(max((shown_width(value, formats.get(c)) for value in set(column) - {None}), default=-1) for c, column in enumerate(zip(*rows, strict=True)))


@dataclass(frozen=True)
class UnitRows:
    """One unit's rows of a table, not made yet: ``source`` is everything they are made from (its
    hash is the block's key), ``make`` makes them when no block is kept under that key. A source
    is a tuple of text, whole numbers and dates: equal sources make the same rows (a process
    finds last run's key by the source itself, where 1 and 1.0 would be equal)."""

    source: tuple[Any, ...]
    make: Callable[[], list[list[Any]]]


@dataclass(frozen=True)
class Table:
    """A sheet's table of unit blocks: the units, the sheet row the first lands on (1-based),
    each column's style attribute, its values' own style attributes, and its number format."""

    units: list[UnitRows]
    first_row: int
    styles: list[str]
    by_value: list[dict[Any, str]]
    formats: dict[int, str]


SCHEMA = 5  # PRAGMA user_version of the cache file: a file of another layout is emptied, not misread


@dataclass(frozen=True)
class _Kept:
    """A master's blocks by key, and the key of each table's unit sources: hashing a source took
    ~4 µs, 0.15 s of a run at 5,000 schools where looking it up takes a hundredth of that."""

    blocks: dict[str, Block]
    keys: dict[tuple[bytes, tuple[Any, ...]], str]


WARM: Warm[_Kept] = Warm()


class RowCache:
    """Blocks of rows kept by the hash of what they are made from, for one round's master.

    A SQLite file next to the master (plain data, never code, though the folder may be shared):
    a run reads the blocks it needs and writes only those it made; a long-lived process keeps its
    last run's blocks in memory (:class:`~sync.cachefile.Warm`) and reads only the others. ``salt``
    stands for the code and rules that shape rows: when it changes, no kept block matches.
    ``dates`` are the styles of a date-time and a date in a column without a number format.
    """

    def __init__(self, path: Path, salt: str, dates: tuple[str, str]) -> None:
        self.path, self.salt, self.dates = path, salt, dates
        self.used: dict[str, Block] = {}
        self.keys: dict[tuple[bytes, tuple[Any, ...]], str] = {}
        self.db = open_cache(path, SCHEMA, "blocks", "key TEXT PRIMARY KEY, deflated BLOB NOT NULL, crc INTEGER NOT NULL, size INTEGER NOT NULL, count INTEGER NOT NULL, widths TEXT NOT NULL")

    def blocks(self, tables: list[Table]) -> list[list[Block]]:
        """Each table's blocks in order: the kept ones, the others made now."""
        kept_here = WARM.get(self.path) or _Kept({}, {})
        keys = [self._keys(table, kept_here.keys) for table in tables]
        warm = kept_here.blocks
        kept = self._read([key for table_keys in keys for key in table_keys if key not in warm])
        result = []
        for table, table_keys in zip(tables, keys, strict=True):
            blocks = []
            for key, unit in zip(table_keys, table.units, strict=True):
                block = warm.get(key) or kept.get(key)
                if block is None:
                    block = _made(unit, table, self.dates)
                self.used[key] = block
                blocks.append(block)
            result.append(blocks)
        return result

    def _keys(self, table: Table, known: dict[tuple[bytes, tuple[Any, ...]], str]) -> list[str]:
        """Each unit's key: the hash of its source and of all else that shapes its block (``known``:
        those this process worked out last run)."""
        shape = repr((self.salt, table.styles, table.by_value, self.dates, sorted(table.formats.items()))).encode()
        keys = []
        for unit in table.units:
            key = known.get((shape, unit.source))
            if key is None:
                key = hashlib.blake2b(shape + repr(unit.source).encode(), digest_size=16).hexdigest()
            self.keys[(shape, unit.source)] = key
            keys.append(key)
        return keys

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
        found = [row for row in self._run(lambda db: db.execute(select).fetchall() if whole else list(rows_by_key(db, f"{select} WHERE key IN", keys))) or () if row[0] in wanted]
        widths = orjson.loads(f"[{','.join(row[5] for row in found)}]")  # one parse for all: ~10 µs a call saved 1,500 times
        return {key: Block(Deflated(data, crc, size), count, tuple(needs)) for (key, data, crc, size, count, _), needs in zip(found, widths, strict=True)}

    def save(self) -> None:
        """Make the file hold this run's blocks, no others (one master's rows), in one transaction:
        those it made, and any from memory a lost or broken file no longer has; in memory, keep
        this run's blocks in place of the last run's."""
        WARM.keep(self.path, _Kept(self.used, self.keys))
        in_file = {key for (key,) in self._run(lambda db: db.execute("SELECT key FROM blocks").fetchall()) or ()}
        if self.db is None:
            return
        rows = [(key, block.rows.data, block.rows.crc, block.rows.size, block.count, orjson.dumps(block.widths).decode()) for key, block in self.used.items() if key not in in_file]
        stale = [(key,) for key in in_file if key not in self.used]
        try:
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO blocks VALUES (?, ?, ?, ?, ?, ?)", rows)
                self.db.executemany("DELETE FROM blocks WHERE key = ?", stale)
        except sqlite3.Error:
            pass  # a cache that cannot be written only costs time next run
        finally:
            self.db.close()

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


def _made(unit: UnitRows, table: Table, dates: tuple[str, str]) -> Block:
    rows = unit.make()
    xml = block_rows(rows, table.styles, dates, table.by_value)
    return Block(deflate(["".join(xml).encode()]), len(xml), block_widths(rows, table.formats))


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
