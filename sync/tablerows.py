"""The data rows of the master's per-form sheets, as SpreadsheetML, one block per unit, kept between runs.

The per-form sheets are nearly all of the master's cells (185,000 at 200 schools) and every one is
plain: a value and at most its column's number format. openpyxl spends ~8 µs on each; this module
writes them as text (~1 µs) into the sheet part openpyxl has already laid out (widths, filter,
frozen header, print setup, style ids), so openpyxl still writes everything that is not a plain
data cell. Each unit's rows are one block, kept (in ``master/.rows-FY…-R….json``: plain data, never
code, though the folder may be shared) under the hash
of its cells: a run where ten schools sent a new version writes ten blocks and reuses the rest.

Text is written as inline strings (never a formula, whatever it starts with), characters XML
forbids are dropped, dates as Excel serial numbers like openpyxl's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl.utils.datetime import to_excel

from rules.forms import column_letter

from .sheetplan import shown_width

ROW = "\x00"  # stands for the row number inside a kept block: a block does not know where it will land
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", **{c: None for c in [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]}})


def cell_xml(column: str, value: Any, style: str) -> str:
    """One cell; ``column`` is its letter followed by :data:`ROW`, ``style`` `` s="N"`` or empty."""
    if isinstance(value, str):
        text = value.translate(_TEXT)
        if not text:
            return ""  # nothing left to show: an empty cell, as openpyxl writes ""
        space = ' xml:space="preserve"' if text != text.strip() else ""
        return f'<c r="{column}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{column}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{column}"{style}><v>{value}</v></c>'
    if isinstance(value, Decimal):
        return f'<c r="{column}"{style}><v>{value:f}</v></c>'
    if isinstance(value, float):  # 16 significant digits, as openpyxl writes them
        return f'<c r="{column}"{style}><v>{value:.16g}</v></c>'
    if isinstance(value, dt.date):  # dates and date-times: Excel's serial number, as openpyxl works it out
        return f'<c r="{column}"{style}><v>{to_excel(value):.16g}</v></c>'
    return cell_xml(column, str(value), style)


def block_rows(rows: list[list[Any]], styles: list[str], dates: tuple[str, str]) -> list[str]:
    """Rows as cell XML with :data:`ROW` for the row number; empty cells are left out. A date in a
    column without a number format gets ``dates`` (date-time, date): a bare serial number reads as nothing."""
    columns = [f"{column_letter(c)}{ROW}" for c in range(max((len(r) for r in rows), default=0))]
    return [
        "".join(cell_xml(columns[c], value, styles[c] or (_date_style(value, dates))) for c, value in enumerate(row) if value is not None)
        for row in rows
    ]


def _date_style(value: Any, dates: tuple[str, str]) -> str:
    if isinstance(value, dt.datetime):
        return dates[0]
    return dates[1] if isinstance(value, dt.date) else ""


@dataclass(frozen=True)
class Block:
    """One unit's rows as cell XML, and the width each column needs to show them."""

    rows: list[str]
    widths: dict[int, float]


def block_widths(rows: list[list[Any]], formats: dict[int, str]) -> dict[int, float]:
    """Each distinct value measured once: a unit's code, name and district repeat on all its rows."""
    widths: dict[int, float] = {}
    for c, column in enumerate(zip(*rows, strict=True)):
        values = set(column) - {None}
        if values:
            widths[c] = max(shown_width(value, formats.get(c)) for value in values)
    return widths


class RowCache:
    """Blocks of rows by the hash of their cells and styles, for one round's master."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.kept: dict[str, Block] = {}
        self.used: dict[str, Block] = {}
        try:
            with path.open(encoding="utf-8") as handle:
                self.kept = {key: Block(rows, {int(c): w for c, w in widths.items()}) for key, (rows, widths) in json.load(handle).items()}
        except (OSError, ValueError, TypeError, AttributeError):
            self.kept = {}  # no cache, or a broken one: every block is written again

    def block(self, rows: list[list[Any]], styles: list[str], dates: tuple[str, str], formats: dict[int, str]) -> Block:
        key = hashlib.blake2b(repr((styles, dates, formats, rows)).encode(), digest_size=16).hexdigest()
        block = self.kept.get(key)
        if block is None:
            block = Block(block_rows(rows, styles, dates), block_widths(rows, formats))
        self.used[key] = block
        return block

    def save(self) -> None:
        """Keep this run's blocks only (so the file never grows beyond one master's rows), atomically."""
        descriptor, name = tempfile.mkstemp(dir=self.path.parent, prefix=".rows-", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump({key: [block.rows, block.widths] for key, block in self.used.items()}, handle, ensure_ascii=False)
            os.replace(name, self.path)
        finally:
            Path(name).unlink(missing_ok=True)


def sheet_data(blocks: list[Block], first_row: int) -> str:
    """The rows of all blocks, numbered from ``first_row`` (1-based)."""
    parts = []
    number = first_row
    for block in blocks:
        for cells in block.rows:
            text = str(number)
            parts.append(f'<row r="{text}">{cells.replace(ROW, text)}</row>')
            number += 1
    return "".join(parts)


def splice(sheet_xml: bytes, rows_xml: str) -> bytes:
    """Put data rows at the end of an openpyxl-written sheet's ``<sheetData>``."""
    end = sheet_xml.rfind(b"</sheetData>")
    if end < 0:  # an empty sheetData is written as one self-closing tag
        empty = sheet_xml.rfind(b"<sheetData/>")
        return sheet_xml[:empty] + b"<sheetData>" + rows_xml.encode() + b"</sheetData>" + sheet_xml[empty + len(b"<sheetData/>") :]
    return sheet_xml[:end] + rows_xml.encode() + sheet_xml[end:]
