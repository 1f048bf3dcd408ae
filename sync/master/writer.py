"""Write the master workbook: tidy sheets per form, status, issues, a summary with native charts.

The master is generated whole on every run (its sheets are listed in the hidden ``_esaplan_master``
sheet); the analysts' pivots and charts live in their own workbooks that read it, and a master
someone added sheets to is kept whole in ``master/analysis/`` before it is replaced. Text from
schools is always stored as text: a value starting with ``=`` ``+`` ``-`` ``@`` is written as a
string cell, never as a formula. The file is written to a temporary name, then atomically moved
over the previous master, which is kept in ``master/history/`` (the last N).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import zipfile
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import PatternFill
from openpyxl.writer.excel import ExcelWriter
from python_calamine import CalamineWorkbook

from rules.forms import Form, computed, row_of, shown
from rules.thai import thai_time
from sync.files.atomic import temporary_beside
from sync.files.cachefile import code_salt
from sync.files.zippackage import Deflated, write_zip
from sync.ledger.records import FILE_SHEET
from sync.ledger.status import (
    SEVERITY_COLOUR,
    SEVERITY_ORDER,
    SEVERITY_TH,
    STATUS_TH,
    Notice,
)
from sync.master.data import MasterData, counting_note, round_forms
from sync.master.executive import charts_plan, executive_plan
from sync.master.sheetplan import (
    COUNT_FORMAT,
    DATE_FORMAT,
    DATE_TIME_FORMAT,
    MONEY_FORMAT,
    PrintHeader,
    SheetPlan,
    Style,
    emit,
    number_styles,
    style_attribute,
)
from sync.master.summary import kpi_plan, summary_plan
from sync.master.tablerows import RowCache, Table, UnitRows, splice, widest
from sync.master.unitfacts import split_rows
from sync.office.settings import BANGKOK, Settings

MANAGED_LIST = "_esaplan_master"
ANALYSIS_DIR = "analysis"  # analysts' own workbooks; esaplan only ever adds to it
STATUS, ISSUES = "สถานะการส่ง", "ปัญหาที่พบ"
STATUS_FILL = {
    "on_time": PatternFill("solid", fgColor="C6EFCE"),
    "late": PatternFill("solid", fgColor="FFEB9C"),
    "errors": PatternFill("solid", fgColor="FFC7CE"),
    "missing": PatternFill("solid", fgColor="D9D9D9"),
}
SEVERITY_FILL = [
    PatternFill("solid", fgColor=SEVERITY_COLOUR[severity])
    for severity in sorted(SEVERITY_ORDER, key=SEVERITY_ORDER.__getitem__)
]
UNIT_HEADERS = ["รหัสหน่วย", "ชื่อหน่วย", "อำเภอ", "กลุ่มเครือข่าย", "ขนาด"]
COUNTED_HEADER, COUNTED_YES, COUNTED_NO = "นำไปรวม", "ใช่", "ไม่ (มีข้อผิดพลาด)"


def _row_errors(issue_rows: list[dict[str, Any]], form_code: str) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for issue in issue_rows:
        row = row_of(issue["cell"])
        if issue["form"] == form_code and issue["severity"] == "error" and row:
            counts[row] += 1
    return counts


KIND_FORMATS = {
    "money": MONEY_FORMAT,
    "count": COUNT_FORMAT,
    "date": DATE_FORMAT,
}  # one number format per kind of value; other numbers as typed


def value_kinds(form: Form) -> list[str]:
    """What each of the form's columns holds as the master shows it: its own type, but a column
    worked out from the row's numbers is money in a form with money, else a count (the master's
    number formats and the tidy files' column types both follow this)."""
    has_money = any(c.type == "money" for c in form.columns)
    return [("money" if has_money else "count") if column.formula else column.type for column in form.columns]


def _form_plan(form: Form, data: MasterData) -> SheetPlan:
    sources = [view.tables[form.code] for view in data.views.values() if form.code in view.tables]
    plan = SheetPlan(
        form.sheet, auto_wrap=False, units=UnitRows(sources, partial(_unit_rows, form, data))
    )  # data to filter and pivot: one line a row, a block per unit
    columns = list(form.columns)
    extra = ["ผู้อนุมัติ", "กฎที่ใช้"] if form.transfer_check else []
    plan.table([*UNIT_HEADERS, "ฉบับที่", "ส่งเมื่อ", *(c.th for c in columns), *extra, "ข้อผิดพลาดในแถว", COUNTED_HEADER])
    first = len(UNIT_HEADERS) + 2
    plan.column_formats[first - 1] = DATE_TIME_FORMAT
    for offset, kind in enumerate(value_kinds(form)):
        if kind in KIND_FORMATS:
            plan.column_formats[first + offset] = KIND_FORMATS[kind]
    return plan


def _unit_rows(form: Form, data: MasterData, source: tuple[Any, ...]) -> list[list[Any]]:
    """One unit's rows of a per-form sheet, made from nothing but its source (:attr:`UnitView.tables`:
    the submitted content, the issues found in this form, the unit's cells) and the code and rules."""
    unit_cells = source[3]
    submission = data.source(data.registry[unit_cells[0]], form.code)
    assert submission is not None  # a unit has a source for the form only when a version holds its sheet
    issue_rows = data.issues.get(submission.id, [])
    errors = _row_errors(issue_rows, form.code)
    left_out = {id(row) for row in split_rows(submission, issue_rows, form.code)[1]}
    rows = []
    for row in submission.data[form.code]:
        values = {**row, **computed(form, row, submission.fiscal_year)}
        cells = [shown(c, values.get(c.key), submission.fiscal_year) for c in form.columns]
        cells += [values.get("approval"), values.get("rule")] if form.transfer_check else []
        rows.append(
            [*unit_cells, *cells, errors.get(row["_row"], 0), COUNTED_NO if id(row) in left_out else COUNTED_YES]
        )
    return rows


def _status_plan(data: MasterData) -> SheetPlan:
    """A row a unit, a block each (kept between runs like the per-form sheets' rows): each round
    form's status in its colour, in the forms' order its view's line has (:attr:`UnitView.status_line`)."""
    forms = round_forms()
    plan = SheetPlan(STATUS, units=UnitRows([view.status_line for view in data.views.values()], _status_rows))
    plan.table([*UNIT_HEADERS, "ประเภท", *(f.sheet for f in forms), "ส่งล่าสุด", "ฉบับที่", "ใช้ข้อมูลฉบับที่"])
    first = len(UNIT_HEADERS) + 1
    plan.column_formats[first + len(forms)] = DATE_TIME_FORMAT
    colours = {STATUS_TH[s]: Style(fill=fill) for s, fill in STATUS_FILL.items()}
    plan.value_styles = dict.fromkeys(range(first, first + len(forms)), colours)
    return plan


def _status_rows(line: tuple[Any, ...]) -> list[list[Any]]:
    return [list(line)]


ISSUE_HEADERS = ["รหัสหน่วย", "ชื่อหน่วย", "อำเภอ", "แผ่นงาน", "เซลล์", "ระดับ", "รายละเอียด", "ค่าที่พบ", "กฎ", "ไฟล์ที่ส่ง (ฉบับที่)"]


def _issues_plan(data: MasterData) -> SheetPlan:
    """Every problem and notice in reading order (who, where, how bad, what to do), errors first, then
    warnings, then notes; the severity coloured; filterable by school or district."""
    plan = SheetPlan(ISSUES)
    plan.table(ISSUE_HEADERS)
    lines: list[tuple[int, str, list[Any]]] = []
    for (unit_code, form_set), submission in sorted(data.latest.items()):
        unit = data.registry.get(unit_code)
        if unit is None:
            continue
        sent = f"{submission.original_name} (ฉบับที่ {submission.version})"
        for issue in data.issues.get(submission.id, []):
            cells = [
                unit.code,
                unit.name_th,
                unit.district_label,
                issue["sheet"],
                issue["cell"],
                SEVERITY_TH[issue["severity"]],
                issue["message_th"],
                issue["value"],
                issue["rule"],
                sent,
            ]
            lines.append((SEVERITY_ORDER[issue["severity"]], unit_code, cells))
        used = data.counted.get((unit_code, form_set))
        if used and used.id != submission.id:
            note = f"{counting_note(submission, used)} (ส่งเมื่อ {thai_time(used.submitted_at)}, {used.original_name})"
            lines.append(
                (
                    SEVERITY_ORDER["warning"],
                    unit_code,
                    [
                        unit.code,
                        unit.name_th,
                        unit.district_label,
                        FILE_SHEET,
                        "-",
                        SEVERITY_TH["warning"],
                        note,
                        None,
                        "OLDER-VERSION-COUNTED",
                        sent,
                    ],
                )
            )
    for notice in data.notices:
        unit = data.registry.get(notice.unit_code or "")
        who = [unit.code, unit.name_th, unit.district_label] if unit else ["?", "(ไม่ทราบหน่วย)", ""]
        lines.append(
            (
                SEVERITY_ORDER[notice.severity],
                notice.unit_code or "",
                [*who, notice.channel, "-", SEVERITY_TH[notice.severity], notice.message_th, None, notice.rule, None],
            )
        )
    severity = ISSUE_HEADERS.index("ระดับ")
    for order, _, cells in sorted(lines, key=lambda line: (line[0], line[1])):
        r = plan.add(cells)
        plan.styles[(r, severity)] = Style(fill=SEVERITY_FILL[order])
    plan.wrap |= {1, 6, 7, 9}
    plan.widths |= {1: 24, 6: 56, 7: 18, 9: 24}
    return plan


def added_sheets(path: Path) -> list[str]:
    """Sheets of the current master that esaplan did not write (read cheaply with calamine)."""
    if not path.exists():
        return []
    try:
        with CalamineWorkbook.from_path(str(path)) as book:
            names = book.sheet_names
            managed = (
                {row[0] for row in book.get_sheet_by_name(MANAGED_LIST).to_python() if row}
                if MANAGED_LIST in names
                else set()
            )
    except Exception:  # an unreadable old master is still kept in history/
        return []
    return [name for name in names if name not in managed and name != MANAGED_LIST]


def keep_added_sheets(settings: Settings) -> Notice | None:
    """Before the master is rewritten: a master someone added sheets to is kept whole, byte for byte
    (charts, pivot tables and images included), in ``master/analysis/``, and staff are told where.

    The master is generated afresh on every run, so work kept inside it cannot survive; work kept
    in its own workbook that reads the master does (README, "งานวิเคราะห์").
    """
    target = settings.master_path()
    added = added_sheets(target)
    if not added:
        return None
    folder = settings.master_dir / ANALYSIS_DIR
    folder.mkdir(exist_ok=True)
    kept = folder / f"{target.stem}-{_stamp()}.xlsx"
    shutil.copy2(target, kept)
    message = (
        f"แผ่นงานที่เพิ่มเองในไฟล์รวม ({', '.join(added)}) ถูกเก็บไว้ทั้งไฟล์ที่ {kept.relative_to(settings.home)} "
        "เพราะไฟล์รวมสร้างใหม่ทุกครั้ง: ทำงานวิเคราะห์ในไฟล์ของตนเองที่อ้างอิงไฟล์รวม (ดู README หัวข้อ งานวิเคราะห์)"
    )
    return Notice(None, "(ไฟล์รวม)", "ANALYST-SHEETS-MOVED", "warning", message)


def _stamp() -> str:
    return dt.datetime.now(BANGKOK).strftime("%Y%m%d-%H%M%S-%f")


def write_master(settings: Settings, data: MasterData, progress: Callable[[int, int], None] | None = None) -> Path:
    """Build the master for the round and atomically put it in place; returns its path.

    openpyxl lays out every sheet and writes all but the per-form sheets' data rows, which
    :mod:`sync.master.tablerows` writes into the saved parts, reusing the blocks of units whose rows did
    not change since the last run. ``progress`` hears (steps done, steps) at the start, after each
    sheet and after the save, so the Consolidate button's bar moves.
    """
    target = settings.master_path()
    forms = round_forms()
    plans = [
        executive_plan(data),
        summary_plan(data, forms),
        kpi_plan(data),
        charts_plan(data, forms),
        _status_plan(data),
        _issues_plan(data),
        *(_form_plan(f, data) for f in forms),
    ]
    page = PrintHeader(settings.office.name, f"ปีงบประมาณ {settings.fiscal_year} รอบ {settings.round} เดือน")
    book = Workbook(write_only=True)
    sheets = [book.create_sheet(plan.name) for plan in plans]
    styles = number_styles(sheets[0])
    cache = RowCache(
        target.parent / f".rows-{target.stem}.sqlite", code_salt(), (styles[DATE_TIME_FORMAT], styles[DATE_FORMAT])
    )
    steps = len(plans) + 1  # each sheet (the data rows made before the first), then compressing and saving the file
    if progress:
        progress(0, steps)
    try:
        tables = _data_rows(plans, sheets[0], styles, cache)
        for index, (plan, sheet) in enumerate(zip(plans, sheets, strict=True), start=1):
            emit(plan, sheet, write_only=True, page=page)
            if progress:
                progress(index, steps)
        listing = book.create_sheet(MANAGED_LIST)
        for plan in plans:
            listing.append([plan.name])
        listing.sheet_state = "hidden"
        _replace_atomically(book, tables, target, settings.keep_masters)
    finally:
        cache.save()  # blocks made are right for their keys even when the run failed after making them
    if progress:
        progress(steps, steps)
    return target


def _data_rows(
    plans: list[SheetPlan], sheet: Any, styles: dict[str, str], cache: RowCache
) -> dict[str, tuple[int, list[Deflated]]]:
    """The tables' data rows by sheet part (the row they start on, the blocks); into each plan, how many rows there
    are and the widths their columns need (before it is emitted). ``sheet`` registers the looks
    of styled values, before any sheet is emitted: their ids are then the same in every master."""
    parts = {
        f"xl/worksheets/sheet{index}.xml": plan for index, plan in enumerate(plans, start=1) if plan.units is not None
    }  # openpyxl names the parts by position
    tables = []
    for plan in parts.values():
        assert plan.units is not None
        columns = range(len(plan.rows[0]))
        by_value = [
            {value: style_attribute(sheet, style) for value, style in plan.value_styles.get(c, {}).items()}
            for c in columns
        ]
        tables.append(
            Table(
                plan.units,
                plan.data_from + 1,
                [styles.get(plan.column_formats.get(c, ""), "") for c in columns],
                by_value,
                plan.column_formats,
            )
        )
    result = {}
    for (part, plan), table, chunks in zip(parts.items(), tables, cache.chunks_of(tables), strict=True):
        plan.block_rows += sum(chunk.count for chunk in chunks)
        for c, need in enumerate(widest(chunk.widths for chunk in chunks)):
            if need >= 0:
                plan.data_widths[c] = max(plan.data_widths.get(c, 0), need)
        result[part] = (table.first_row, [chunk.rows for chunk in chunks])
    return result


def _replace_atomically(book: Workbook, tables: dict[str, tuple[int, list[Deflated]]], target: Path, keep: int) -> None:
    """Save, put the data rows in their sheets, sync, keep the previous master in history/, swap."""
    temp = temporary_beside(target, ".master-")
    try:
        _save(book, tables, temp)
        with temp.open("rb") as written:
            os.fsync(written.fileno())
        if target.exists():
            history = target.parent / "history"
            history.mkdir(exist_ok=True)
            kept = history / f"{target.stem}-{_stamp()}.xlsx"
            try:
                os.link(target, kept)  # the old master's own bytes, no copy: the swap below only renames
            except OSError:
                shutil.copy2(target, kept)
            for old in sorted(history.glob(f"{target.stem}-*.xlsx"))[:-keep] if keep > 0 else []:
                old.unlink()
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def _save(book: Workbook, tables: dict[str, tuple[int, list[Deflated]]], path: Path) -> None:
    """openpyxl's package, stored uncompressed in memory, then each part compressed once by
    :func:`write_zip` with the data rows (compressed already) in their sheets."""
    now = dt.datetime.now()
    book.properties.modified = now.astimezone(dt.UTC).replace(tzinfo=None)
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        ExcelWriter(book, archive).save()
    with zipfile.ZipFile(package) as parts:
        contents = ((info.filename, parts.read(info)) for info in parts.infolist())
        write_zip(
            path,
            ((name, splice(content, *tables[name]) if name in tables else [content]) for name, content in contents),
            now,
        )
