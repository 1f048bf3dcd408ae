"""The master's data rows written as text read back as openpyxl and python-calamine see them."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook

from sync.sheetplan import (
    COUNT_FORMAT,
    DATE_FORMAT,
    DATE_TIME_FORMAT,
    MONEY_FORMAT,
    SheetPlan,
    emit,
    number_styles,
)
from sync.tablerows import block_rows, splice

WIDTH = 4
CONTROL = {chr(c) for c in [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]}
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30).filter(lambda t: "\r" not in t)
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False),
    dates := st.datetimes(dt.datetime(1950, 1, 1), dt.datetime(2100, 1, 1)).map(lambda d: d.replace(microsecond=0)),
    text,
    st.sampled_from(["=SUM(1,2)", "+66 81", "-", "@home", "  นำ หน้า ", "ป.1 & ป.2 <ห้อง>", '<row r="7"><c r="B12">']),
)


def _plan(rows: list[list] | None = None) -> SheetPlan:
    plan = SheetPlan("ข้อมูล", column_formats={1: COUNT_FORMAT, 2: MONEY_FORMAT, 3: DATE_TIME_FORMAT})
    plan.table([f"หัว {c}" for c in range(WIDTH)])
    plan.rows += rows or []
    return plan


def _written(rows: list[list], path: Path, first_row: int = 2) -> Path:
    """A sheet laid out by openpyxl (header only), the rows put in as :func:`write_master` does,
    from ``first_row`` on (below blank rows when it is past 2)."""
    plan = _plan()
    book = Workbook(write_only=True)
    sheet = book.create_sheet(plan.name)
    styles = number_styles(sheet)
    column_styles = [styles[plan.column_formats[c]] if c in plan.column_formats else "" for c in range(WIDTH)]
    plan.block_rows = len(rows)
    emit(plan, sheet, write_only=True)
    package = io.BytesIO()
    book.save(package)
    with zipfile.ZipFile(package) as parts, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in parts.infolist():
            content = parts.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                block = "".join(block_rows(rows, column_styles, (styles[DATE_TIME_FORMAT], styles[DATE_FORMAT]), [{}] * WIDTH)).encode()
                content = b"".join(splice(content, first_row, [block]))
            out.writestr(info, content)
    return path


def _by_openpyxl(rows: list[list], path: Path) -> Path:
    """The same rows with openpyxl writing every cell (the earlier path; it refuses control characters)."""
    clean = [["".join(ch for ch in v if ch not in CONTROL) if isinstance(v, str) else v for v in row] for row in rows]
    book = Workbook(write_only=True)
    emit(_plan(clean), book.create_sheet("ข้อมูล"), write_only=True)
    book.save(path)
    return path


def _repeating(rows: list[list], shared: list[list[bool]]) -> list[list]:
    """A unit's cells repeat on all its rows as the same objects: where ``shared``, a cell holds the
    very object the row above holds (the writer reuses that cell's XML)."""
    for r in range(1, len(rows)):
        for c in range(WIDTH):
            if shared[r][c]:
                rows[r][c] = rows[r - 1][c]
    return rows


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(values, values, values, st.one_of(st.none(), text, dates)).map(list), min_size=1, max_size=8),
    st.lists(st.lists(st.booleans(), min_size=WIDTH, max_size=WIDTH), min_size=8, max_size=8),
    st.integers(2, 5),
)
def test_any_row_reads_back_as_openpyxl_wrote_it(tmp_path_factory, rows, shared, first_row):
    """Rows and cells carry no reference: each lands after the one before it, gaps included."""
    folder = tmp_path_factory.mktemp("rows")
    rows = _repeating(rows, shared)
    path = _written(rows, folder / "rows.xlsx", first_row)
    new, old = load_workbook(path)["ข้อมูล"], load_workbook(_by_openpyxl(rows, folder / "old.xlsx"))["ข้อมูล"]
    assert [c.value for c in new[1]] == [c.value for c in old[1]]
    assert all(c.value is None for r in range(2, first_row) for c in new[r])
    for r in range(2, len(rows) + 2):
        for a, b in ((new.cell(r - 2 + first_row, c), old.cell(r, c)) for c in range(1, WIDTH + 1)):
            if b.value is None:  # openpyxl writes "" as an empty styled cell, this module writes no cell
                assert a.value is None
                continue
            if a.column == 1 and isinstance(b.value, dt.datetime):  # openpyxl's ISO default; ours the Thai BE one
                assert (a.value, a.number_format) == (b.value, DATE_TIME_FORMAT)
                continue
            assert (a.value, a.data_type, a.number_format) == (b.value, b.data_type, b.number_format), a.coordinate
            if isinstance(a.value, str):
                assert a.data_type == "s"  # text that looks like a formula is never one
    with CalamineWorkbook.from_path(str(path)) as book:
        calamine = book.get_sheet_by_name("ข้อมูล").to_python(skip_empty_area=False)
    assert calamine[0] == [f"หัว {c}" for c in range(WIDTH)]
    for r, row in enumerate(rows, start=first_row - 1):
        for c, value in enumerate(row):
            if isinstance(value, str) and (shown := "".join(ch for ch in value if ch not in CONTROL)):
                assert calamine[r][c] == shown
