"""Look inside a workbook's sheets before calamine reads them: how far their data reaches, and which
cells take their value from another workbook.

calamine makes one dense grid of a sheet, from A1 to its farthest cell with a value: one value
typed at XFD1048576 asks for 17 billion cells (it aborts the process, or raises a ``PanicException``
that is not an ``Exception``), one at row 1,048,576 column 200 costs 8 GB and half a minute. What a
form can need is a few thousand rows of a few dozen columns, so each sheet that will be read is
streamed here first (lxml, with entities never expanded) and a sheet whose data reaches past
:class:`Reach` is refused by name and cell before any grid is made. Cells that only carry a style
are not data: calamine leaves them out, and so does this count.

A formula that refers to another workbook (``[1]Sheet1!A1``, what Excel writes for a link to a
file on someone's computer) shows the value that workbook had when this one was last saved:
nobody here can say what it is now, so such cells are found here and their values not counted.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property
from posixpath import join, normpath

from lxml import etree

from rules.forms import cell_name, column_letter

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_ROW, _CELL, _FORMULA = f"{{{MAIN}}}row", f"{{{MAIN}}}c", f"{{{MAIN}}}f"
_VALUES = (f"{{{MAIN}}}v", f"{{{MAIN}}}is")
_REFERENCE = re.compile(r"^([A-Z]{1,3})([0-9]{1,7})$")
_EXTERNAL = re.compile(r"\[\d+\][^!\[\]]*!")  # [1]Sheet1!A1, '[1]Sheet 1'!A1, [1]!Name
_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s/>]")
_CELL_WITH_REFERENCE = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="')
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3})([0-9]{1,7}):([A-Z]{1,3})([0-9]{1,7})"')


@dataclass(frozen=True)
class Reach:
    """How far a read sheet's data may go: what the forms can need, with room to spare."""

    rows: int = 30_000
    columns: int = 60

    @cached_property
    def suspects(self) -> re.Pattern[bytes]:
        """Cells whose reference has as many letters as the last column's, or as many digits as the
        last row's: the only ones that can lie beyond, found by the pattern in C (a form's cells,
        A1 to R200, match none), then compared one by one. A cell closed at once (``/>``) holds a
        style only, no value."""
        letters, digits = len(column_letter(self.columns - 1)), len(str(self.rows))
        return re.compile(
            rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{%d,3}[0-9]{1,7}|[A-Z]{1,3}[0-9]{%d,7})"[^>]*?(/?)>' % (letters, digits)
        )


FORM_REACH = Reach()  # what the forms can need: every reader's default


class SheetTooLarge(Exception):
    """A sheet's data goes past :class:`Reach`: which sheet, and the first cell found beyond it."""

    def __init__(self, sheet: str, cell: str, reach: Reach) -> None:
        super().__init__(f"{sheet}!{cell}")
        self.sheet, self.cell, self.reach = sheet, cell, reach


@dataclass
class SheetScan:
    """What one sheet holds beside its values: cells linked to another workbook, and merged cells
    (calamine gives a merged range's value in its first cell only)."""

    linked: set[tuple[int, int]] = field(default_factory=set)  # 0-based cells whose formula refers to another workbook
    merged: list[tuple[int, int, int, int]] = field(
        default_factory=list
    )  # 0-based (first row, first column, last row, last column)


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each worksheet's name and the part (path in the zip) that holds it, from the workbook's relationships."""
    targets = {}
    rels = _parse(archive, "xl/_rels/workbook.xml.rels")
    for relation in rels.iter(f"{{{PACKAGE_RELATIONSHIPS}}}Relationship") if rels is not None else ():
        target = relation.get("Target", "")
        targets[relation.get("Id")] = target.lstrip("/") if target.startswith("/") else normpath(join("xl", target))
    book = _parse(archive, "xl/workbook.xml")
    parts = {}
    for sheet in book.iter(f"{{{MAIN}}}sheet") if book is not None else ():
        part = targets.get(sheet.get(f"{{{RELATIONSHIPS}}}id"))
        if part in archive.NameToInfo:
            parts[sheet.get("name", "")] = part
    return parts


def scan(archive: zipfile.ZipFile, sheets: Collection[str], reach: Reach) -> dict[str, SheetScan]:
    """Scan the named sheets that the workbook has; raises :class:`SheetTooLarge`."""
    parts = sheet_parts(archive)
    linked_names = _linked_names(archive) if _has_links(archive) else None
    return {name: _scan_sheet(archive, name, parts[name], reach, linked_names) for name in sheets if name in parts}


def _scan_sheet(
    archive: zipfile.ZipFile, name: str, part: str, reach: Reach, linked_names: re.Pattern[str] | None
) -> SheetScan:
    """One sheet's cells, by a pattern over the XML when every cell says where it is (Excel,
    LibreOffice, openpyxl and Google all write ``r``; 5x faster than parsing), else by parsing."""
    data = archive.read(part)
    if linked_names is None and len(_CELL_WITH_REFERENCE.findall(data)) == len(_CELL_TAG.findall(data)):
        for reference, closed in reach.suspects.findall(data):
            where = _REFERENCE.match(reference.decode())
            assert where is not None  # the pattern found only references
            row, column = int(where.group(2)) - 1, _column_index(where.group(1))
            if not closed and (row >= reach.rows or column >= reach.columns):
                raise SheetTooLarge(name, cell_name(row, column), reach)
        return SheetScan(merged=_merged(data))
    found = _parse_sheet(data, name, reach, linked_names)
    found.merged = _merged(data)
    return found


def _merged(data: bytes) -> list[tuple[int, int, int, int]]:
    """The sheet's merged ranges (``<mergeCell ref="E7:E9"/>``), 0-based and inclusive."""
    return [
        (int(first_row) - 1, _column_index(first.decode()), int(last_row) - 1, _column_index(last.decode()))
        for first, first_row, last, last_row in _MERGE.findall(data)
    ]


def _parse_sheet(data: bytes, name: str, reach: Reach, linked_names: re.Pattern[str] | None) -> SheetScan:
    """Parse one sheet's XML: cells are placed by their ``r`` or, without one, after the cell (row) before."""
    found = SheetScan()
    shared: dict[str, bool] = {}  # a shared formula's index: whether its first cell refers to another workbook
    row = column = -1
    for event, element in etree.iterparse(
        io.BytesIO(data),
        events=("start", "end"),
        tag=(_ROW, _CELL),
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
    ):
        if element.tag == _ROW:
            if event == "start":
                number = element.get("r")
                row = int(number) - 1 if number and number.isdigit() else row + 1
                column = -1
            else:
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
            continue
        if event == "start":
            continue
        reference = _REFERENCE.match(element.get("r") or "")
        if reference:
            column, row = _column_index(reference.group(1)), int(reference.group(2)) - 1
        else:
            column += 1
        has_value = any(child.tag in _VALUES for child in element)
        if has_value and (row >= reach.rows or column >= reach.columns):
            raise SheetTooLarge(name, cell_name(row, column), reach)
        if linked_names is not None:
            formula = element.find(_FORMULA)
            if formula is not None and _refers_out(formula, shared, linked_names):
                found.linked.add((row, column))
        element.clear()
    return found


def _refers_out(formula: etree._Element, shared: dict[str, bool], linked_names: re.Pattern[str]) -> bool:
    """Whether a cell's formula takes a value from another workbook (directly, through a defined
    name that does, or as a copy of a shared formula that does)."""
    text = formula.text or ""
    out = bool(_EXTERNAL.search(text) or linked_names.search(text))
    index = formula.get("si")
    if formula.get("t") == "shared" and index is not None:
        if text:
            shared[index] = out
        else:
            out = shared.get(index, False)
    return out


def _has_links(archive: zipfile.ZipFile) -> bool:
    return any(name.startswith("xl/externalLinks/") for name in archive.NameToInfo)


def _linked_names(archive: zipfile.ZipFile) -> re.Pattern[str]:
    """A pattern matching the workbook's defined names that refer to another workbook (never matches when none do)."""
    book = _parse(archive, "xl/workbook.xml")
    names = [
        d.get("name", "")
        for d in (book.iter(f"{{{MAIN}}}definedName") if book is not None else ())
        if _EXTERNAL.search(d.text or "")
    ]
    if not names:
        return re.compile(r"(?!)")
    return re.compile(r"(?<![\w.])(" + "|".join(re.escape(n) for n in names if n) + r")(?![\w.(])", re.IGNORECASE)


def _parse(archive: zipfile.ZipFile, part: str) -> etree._Element | None:
    if part not in archive.NameToInfo:
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(archive.read(part), parser)


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1
