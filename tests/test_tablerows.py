"""The master's data rows written as text read back as openpyxl and python-calamine see them."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
import zipfile
import zlib
from contextlib import closing, contextmanager
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook

from sync.master import tablerows
from sync.master.sheetplan import (
    COUNT_FORMAT,
    DATE_FORMAT,
    DATE_TIME_FORMAT,
    MONEY_FORMAT,
    SheetPlan,
    emit,
    number_styles,
)
from sync.master.tablerows import block_rows, block_widths, splice

WIDTH = 4
CONTROL = {
    chr(c) for c in [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0), 0xFFFE, 0xFFFF]
}  # dropped: C0 but tab/LF/CR, DEL, C1, non-characters
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30).filter(lambda t: "\r" not in t)
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False),
    dates := st.datetimes(dt.datetime(1950, 1, 1), dt.datetime(2100, 1, 1)).map(lambda d: d.replace(microsecond=0)),
    text,
    st.sampled_from(
        ["=SUM(1,2)", "+66 81", "-", "@home", "  นำ หน้า ", "ป.1 & ป.2 <ห้อง>", '<row r="7"><c r="B12">', "#NUM!"]
    ),
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
                block = "".join(
                    block_rows(rows, column_styles, (styles[DATE_TIME_FORMAT], styles[DATE_FORMAT]), [{}] * WIDTH)
                ).encode()
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
            typed = "s" if b.data_type == "e" else b.data_type  # openpyxl makes the text "#NUM!" Excel's error
            assert (a.value, a.data_type, a.number_format) == (b.value, typed, b.number_format), a.coordinate
            if isinstance(a.value, str):
                assert a.data_type == "s"  # text that looks like a formula or an error value is never one
    with CalamineWorkbook.from_path(str(path)) as book:
        calamine = book.get_sheet_by_name("ข้อมูล").to_python(skip_empty_area=False)
    assert calamine[0] == [f"หัว {c}" for c in range(WIDTH)]
    for r, row in enumerate(rows, start=first_row - 1):
        for c, value in enumerate(row):
            if isinstance(value, str) and (shown := "".join(ch for ch in value if ch not in CONTROL)):
                assert calamine[r][c] == shown


UNITS = st.lists(st.tuples(st.integers(0, 300), st.integers(0, 3)), max_size=160, unique_by=lambda unit: unit[0])
STYLES = ["", ' s="1"', ""]


class _Area:
    """One table's units as a process sees them run after run: a unit's view keeps its source
    object while the unit is unchanged, and the rows a run made are noted."""

    def __init__(self, path: Path) -> None:
        self.path, self.sources, self.made = path, dict[tuple[int, int], tuple](), list[tuple]()

    def make(self, source: tuple) -> list[list]:
        self.made.append(source)
        return _rows_of(source)

    def run(self, units: list[tuple[int, int]]) -> list[tablerows.Chunk]:
        self.made.clear()
        cache = tablerows.RowCache(self.path, "salt", ("", ""))
        [chunks] = cache.chunks_of(
            [
                tablerows.Table(
                    tablerows.UnitRows([self.sources.setdefault(u, ("ข้อมูล", *u)) for u in units], self.make),
                    2,
                    STYLES,
                    [{}] * 3,
                    {1: COUNT_FORMAT},
                )
            ]
        )
        cache.save()
        return chunks


def _rows_of(source: tuple) -> list[list]:
    _, code, version = source
    return [[f"4005{code:04d}", version, "ก" * (version + line)] for line in range(1 + version % 3)]


@settings(max_examples=30, deadline=None)
@given(runs=st.lists(st.tuples(UNITS, st.booleans()), min_size=1, max_size=5))
def test_chunks_kept_from_run_to_run_hold_the_rows_made_afresh(tmp_path_factory, runs):
    """Runs of one table whose units come, go, change (a new version) or stay, in a process that
    keeps its last run, some with a one-shot command saving the same file in between: each run's
    chunks inflate to exactly the rows of all its units made afresh, with their count and widths;
    only new units' rows are made; after each run the file holds that run's blocks, no others."""
    path = tmp_path_factory.mktemp("chunks") / ".rows.sqlite"
    area, mine, seen = _Area(path), tablerows.Warm(), set()
    for units, one_shot_between in runs:
        if one_shot_between:  # nothing in memory, its own save of the file
            with _warm(tablerows.Warm()):
                _Area(path).run(units[::2])
        with _warm(mine):
            chunks = area.run(units)
        assert set(area.made) <= {area.sources[u] for u in units if u not in seen}
        if not one_shot_between:
            assert set(area.made) == {area.sources[u] for u in units if u not in seen}
        seen = set(units)
        rows = [row for unit in units for row in _rows_of(area.sources[unit])]
        expected = "".join(block_rows(rows, STYLES, ("", ""), [{}] * 3)).encode()
        assert zlib.decompressobj(-15).decompress(b"".join(c.rows.data for c in chunks) + b"\x03\x00") == expected
        assert sum(c.count for c in chunks) == len(rows)
        if rows:
            assert tuple(map(max, zip(*(c.widths for c in chunks), strict=True))) == block_widths(
                rows, {1: COUNT_FORMAT}
            )
        with closing(sqlite3.connect(path)) as db:
            assert {key for (key,) in db.execute("SELECT key FROM blocks")} == {key for c in chunks for key in c.keys}


def test_a_unit_changed_added_or_removed_changes_only_its_own_chunk(tmp_path):
    """600 units, about nine chunks: a unit's new version, a unit added and one removed each join at
    most two chunks anew (the one it was in, and the next when it ended one) and keep the others,
    the very objects, and make no other unit's rows."""
    area = _Area(tmp_path / ".rows.sqlite")
    units = [(code, 0) for code in range(600)]
    with _warm(tablerows.Warm()):
        before = area.run(units)
        assert 5 <= len(before) <= 20
        for edit in ("changed", "added", "removed"):
            if edit == "changed":
                units[300] = (300, 1)
            elif edit == "added":
                units.insert(100, (1000, 0))
            else:
                del units[450]
            after = area.run(units)
            kept = [c for c in after if any(c is old for old in before)]
            assert len(after) - len(kept) <= 2 and len(before) - len(kept) <= 2, edit
            assert area.made == (
                [area.sources[units[300]]]
                if edit == "changed"
                else [area.sources[(1000, 0)]]
                if edit == "added"
                else []
            )
            before = after


@contextmanager
def _warm(warm):
    """This process's memory of its last runs, as ``warm`` for a while."""
    kept, tablerows.WARM = tablerows.WARM, warm
    try:
        yield
    finally:
        tablerows.WARM = kept
