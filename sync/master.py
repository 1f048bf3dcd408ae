"""Write the master workbook: tidy sheets per form, status, issues, a summary with native charts.

Sheets written here are *managed* (listed in the hidden ``_esaplan_master`` sheet) and rebuilt on
every run; any other sheet - the analysts' own pivots and notes - is kept. Text from schools is
always stored as text: a value starting with ``=`` ``+`` ``-`` ``@`` is written as a string cell,
never as a formula. The file is written to a temporary name, then atomically moved over the
previous master, which is first copied to ``master/history/`` (the last N are kept).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter
from python_calamine import CalamineWorkbook

from rules import EsaplanError, kpi_value, kpis
from rules.forms import FORMULA_PREFIXES, Form, column_letter, computed, form_sets, row_of
from rules.kpi import KpiResult, aggregate

from .ledger import Ledger, Submission
from .population import Census, read_census
from .registry import Unit
from .settings import BANGKOK, Settings
from .status import SEVERITY_TH, STATUS_TH, Notice, UnitErrors, deadline, form_status, sets_for

MANAGED_LIST = "_esaplan_master"
SUMMARY, STATUS, ISSUES = "สรุป", "สถานะการส่ง", "ปัญหาที่พบ"
STATUS_FILL = {
    "on_time": PatternFill("solid", fgColor="C6EFCE"),
    "late": PatternFill("solid", fgColor="FFEB9C"),
    "errors": PatternFill("solid", fgColor="FFC7CE"),
    "missing": PatternFill("solid", fgColor="D9D9D9"),
}
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
UNIT_HEADERS = ["รหัสหน่วย", "ชื่อหน่วย", "อำเภอ", "กลุ่มเครือข่าย", "ขนาด"]
COUNTED_HEADER, COUNTED_YES, COUNTED_NO = "นำไปรวม", "ใช่", "ไม่ (มีข้อผิดพลาด)"


def split_rows(submission: Submission, issue_rows: list[dict[str, Any]], form_code: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A form's rows as (counted, left out): no row with an error enters any total.

    A row is left out when an error points at it; every row of the form is left out when an
    error points elsewhere in the sheet (a renamed header, a missing column): its values could
    be in the wrong columns.
    """
    rows = submission.data.get(form_code, []) if submission.accepted else []
    bad = {row_of(i["cell"]) for i in issue_rows if i["form"] == form_code and i["severity"] == "error"}
    if not bad:
        return rows, []
    if bad - {row["_row"] for row in rows}:
        return [], rows
    return [r for r in rows if r["_row"] not in bad], [r for r in rows if r["_row"] in bad]


@dataclass
class MasterData:
    """Everything the master shows for one round, gathered from the ledger and registry."""

    settings: Settings
    registry: dict[str, Unit]
    latest: dict[tuple[str, str], Submission]
    issues: dict[int, list[dict[str, Any]]]
    statuses: dict[tuple[str, str], str] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    census: Census = field(default_factory=Census)
    baseline: dict[str, Decimal] = field(default_factory=dict)  # last fiscal year's area result per KPI, same round
    _split: dict[tuple[str, str], tuple[list[dict[str, Any]], list[dict[str, Any]]]] = field(default_factory=dict, repr=False)

    @classmethod
    def collect(cls, settings: Settings, ledger: Ledger, registry: dict[str, Unit], notices: list[Notice]) -> MasterData:
        latest = ledger.latest(settings.fiscal_year, settings.round)
        census = read_census(settings.home, settings.fiscal_year)
        data = cls(settings, registry, latest, ledger.issues_of(s.id for s in latest.values()), notices=notices, census=census)
        data.baseline = _baseline(settings, ledger, registry)
        for unit in registry.values():
            for form_set in sets_for(unit):
                due = deadline(form_set, settings.fiscal_year, settings.round)
                submission = latest.get((unit.code, form_set.code))
                rows = data.issues.get(submission.id, []) if submission else []
                for form in form_set.forms:
                    data.statuses[(unit.code, form.code)] = form_status(submission, form.code, rows, due)
        return data

    def summary(self) -> dict[str, dict[str, int]]:
        """Per form: units expected, submitted, on time, late, with errors, missing."""
        result: dict[str, dict[str, int]] = {}
        for (_, form_code), status in self.statuses.items():
            counts = result.setdefault(form_code, {"expected": 0, "submitted": 0, "on_time": 0, "late": 0, "errors": 0, "missing": 0})
            counts["expected"] += 1
            counts[status] += 1
            counts["submitted"] += status != "missing"
        return result

    def units_with_errors(self) -> list[UnitErrors]:
        """Every unit whose latest version of the round has errors, in registry order."""
        result = []
        for unit in self.registry.values():
            errors = [i for s in sets_for(unit) if (unit.code, s.code) in self.latest for i in self.issues.get(self.latest[(unit.code, s.code)].id, []) if i["severity"] == "error"]
            if errors:
                first = errors[0]
                result.append(UnitErrors(unit.code, unit.name_th, len(errors), f"{first['sheet']} {first['cell']}: {first['message_th']}"))
        return result

    def rows(self, unit: Unit, form_code: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The unit's rows of a form in its latest accepted version, as (counted, left out); worked out once."""
        key = (unit.code, form_code)
        if key not in self._split:
            self._split[key] = [], []
            for form_set in sets_for(unit):
                submission = self.latest.get((unit.code, form_set.code))
                if submission and submission.accepted and form_code in submission.data:
                    self._split[key] = split_rows(submission, self.issues.get(submission.id, []), form_code)
                    break
        return self._split[key]

    def counted(self, unit: Unit, form_code: str) -> list[dict[str, Any]]:
        """The rows of a form that enter the totals: valid rows of the unit's latest accepted version."""
        return self.rows(unit, form_code)[0]

    def kpi_results(self) -> list[KpiResult]:
        """Every school-reported indicator added up from the counted rows, as the catalogue says."""
        reports = self.kpi_reports()
        return [
            aggregate(
                indicator,
                reports.get(indicator.code, []),
                round=self.settings.round,
                fiscal_year=self.settings.fiscal_year,
                population=self.census.by_band.get(indicator.population_band or ""),
                baseline=self.baseline.get(indicator.code),
            )
            for indicator in kpis(reported_by="school")
        ]

    def kpi_reports(self) -> dict[str, list[tuple[Decimal, Decimal | None]]]:
        """(numerator, denominator) of each counted KPI row, by indicator code."""
        reports: dict[str, list[tuple[Decimal, Decimal | None]]] = defaultdict(list)
        for unit in self.registry.values():
            for row in self.counted(unit, "kpi_report"):
                reports[row["kpi"]].append((Decimal(row["numerator"]), None if row.get("denominator") is None else Decimal(row["denominator"])))
        return reports

    def left_out(self, form_code: str) -> list[tuple[Unit, list[int]]]:
        """Units whose rows of a form were left out of the totals, with those rows' numbers."""
        result = []
        for unit in self.registry.values():
            rows = self.rows(unit, form_code)[1]
            if rows:
                result.append((unit, [r["_row"] for r in rows]))
        return result

    def submission_for(self, unit: Unit, form: Form) -> Submission | None:
        for form_set in sets_for(unit):
            if form in form_set.forms:
                found = self.latest.get((unit.code, form_set.code))
                if found and found.accepted:
                    return found
        return None


def _baseline(settings: Settings, ledger: Ledger, registry: dict[str, Unit]) -> dict[str, Decimal]:
    """Last fiscal year's area result for each indicator, same round: what "increase" KPIs are judged against."""
    try:
        previous = settings.with_round(settings.fiscal_year - 1, settings.round)
    except EsaplanError:
        return {}  # before the reporting calendar: there is no earlier year
    latest = ledger.latest(previous.fiscal_year, previous.round)
    if not latest:
        return {}
    data = MasterData(previous, registry, latest, ledger.issues_of(s.id for s in latest.values()), census=read_census(settings.home, previous.fiscal_year))
    return {result.indicator.code: result.value for result in data.kpi_results() if result.value is not None}


def _bangkok(value: dt.datetime) -> dt.datetime:
    return value.astimezone(BANGKOK).replace(tzinfo=None)


@dataclass
class Style:
    """How one cell looks; None leaves the default."""

    font: Font | None = None
    fill: PatternFill | None = None
    number_format: str | None = None
    alignment: Alignment | None = None


HEADER_STYLE = Style(HEADER_FONT, HEADER_FILL, None, Alignment(wrap_text=True, vertical="center"))
BOLD = Style(Font(bold=True))


@dataclass
class SheetPlan:
    """A sheet's content, built once and emitted by either openpyxl mode (write-only is fast)."""

    name: str
    rows: list[list[Any]] = field(default_factory=list)
    styles: dict[tuple[int, int], Style] = field(default_factory=dict)
    row_styles: dict[int, Style] = field(default_factory=dict)
    column_formats: dict[int, str] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    freeze: str | None = None
    filter_header: int | None = None
    charts: list[tuple[Callable[[Worksheet], Any], str]] = field(default_factory=list)
    data_from: int = 1

    def header(self, headers: list[str], widths: dict[int, float] | None = None) -> int:
        """Add a styled header row; returns its 0-based index."""
        self.rows.append(list(headers))
        index = len(self.rows) - 1
        self.row_styles[index] = HEADER_STYLE
        for column, text in enumerate(headers):
            self.widths.setdefault(column, (widths or {}).get(column, max(10, min(45, len(str(text)) * 1.6))))
        return index

    def add(self, values: list[Any], style: Style | None = None) -> int:
        self.rows.append(values)
        if style:
            self.row_styles[len(self.rows) - 1] = style
        return len(self.rows) - 1


def _styled(cell: Any, style: Style | None, number_format: str | None) -> None:
    if style is not None:
        for name in ("font", "fill", "number_format", "alignment"):
            value = getattr(style, name)
            if value is not None:
                setattr(cell, name, value)
    if number_format and (style is None or style.number_format is None):
        cell.number_format = number_format


def _formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def emit(plan: SheetPlan, sheet: Worksheet | Any, *, write_only: bool) -> None:
    """Write a plan into an (empty) worksheet. Text that looks like a formula stays text.

    A cell needs more than a plain value (is *special*) when it is styled, number-formatted or formula-like;
    write-only sheets get a styled ``WriteOnlyCell`` for it, normal sheets are fixed up after
    the row is appended.
    """
    for column, width in plan.widths.items():
        sheet.column_dimensions[column_letter(column)].width = width
    if plan.freeze:
        sheet.freeze_panes = plan.freeze
    for r, values in enumerate(plan.rows):
        row_style = plan.row_styles.get(r)
        formats = plan.column_formats if r >= plan.data_from else {}
        special = [
            c for c, value in enumerate(values) if row_style is not None or (r, c) in plan.styles or _formula_like(value) or (value is not None and c in formats)
        ]
        if write_only:
            cells: list[Any] = list(values)
            for c in special:
                cells[c] = cell = WriteOnlyCell(sheet, value=values[c])
                if _formula_like(values[c]):
                    cell.data_type = "s"
                _styled(cell, plan.styles.get((r, c), row_style), formats.get(c))
            sheet.append(cells)
        else:
            sheet.append([None if _formula_like(v) else v for v in values])
            for c in special:
                cell = sheet.cell(row=sheet.max_row, column=c + 1)
                if _formula_like(values[c]):
                    cell.value = values[c]
                    cell.data_type = "s"
                _styled(cell, plan.styles.get((r, c), row_style), formats.get(c))
    if plan.filter_header is not None and len(plan.rows) > plan.filter_header + 1:
        width = max(len(row) for row in plan.rows[plan.filter_header :])
        sheet.auto_filter.ref = f"A{plan.filter_header + 1}:{column_letter(width - 1)}{len(plan.rows)}"
    for make_chart, anchor in plan.charts:
        sheet.add_chart(make_chart(sheet), anchor)


def _table(plan: SheetPlan, headers: list[str], widths: dict[int, float] | None = None) -> None:
    """A filterable table starting at the top of the sheet."""
    plan.header(headers, widths)
    plan.freeze, plan.filter_header, plan.data_from = "A2", 0, 1


def _unit_cells(unit: Unit) -> list[Any]:
    return [unit.code, unit.name_th, unit.district_label, unit.network_label, unit.size_label]


def _row_errors(issue_rows: list[dict[str, Any]], form_code: str) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for issue in issue_rows:
        row = row_of(issue["cell"])
        if issue["form"] == form_code and issue["severity"] == "error" and row:
            counts[row] += 1
    return counts


LEFT_OUT_LISTED = 30  # units named in the summary's left-out line; the issues sheet lists them all
DATE_FORMAT = "yyyy-mm-dd hh:mm"
DAY_FORMAT = "dd/mm/yyyy"
MONEY_FORMAT = "#,##0.00"


def _form_plan(form: Form, data: MasterData) -> SheetPlan:
    plan = SheetPlan(form.sheet)
    columns = list(form.columns)
    extra = ["ผู้อนุมัติ", "กฎที่ใช้"] if form.transfer_check else []
    _table(plan, [*UNIT_HEADERS, "ฉบับที่", "ส่งเมื่อ", *(c.th for c in columns), *extra, "ข้อผิดพลาดในแถว", COUNTED_HEADER])
    first = len(UNIT_HEADERS) + 2
    plan.column_formats[first - 1] = DATE_FORMAT
    has_money = any(c.type == "money" for c in columns)
    for offset, column in enumerate(columns):
        if column.type == "money" or (column.formula and has_money):
            plan.column_formats[first + offset] = MONEY_FORMAT
        elif column.type == "date":
            plan.column_formats[first + offset] = DAY_FORMAT
    for unit in data.registry.values():
        submission = data.submission_for(unit, form)
        if submission is None or form.code not in submission.data:
            continue
        errors = _row_errors(data.issues.get(submission.id, []), form.code)
        left_out = {id(row) for row in data.rows(unit, form.code)[1]}
        unit_cells = [*_unit_cells(unit), submission.version, _bangkok(submission.submitted_at)]
        for row in submission.data[form.code]:
            values = {**row, **computed(form, row)}
            cells = [values.get(c.key) for c in columns]
            cells += [values.get("approval"), values.get("rule")] if form.transfer_check else []
            plan.add([*unit_cells, *cells, errors.get(row["_row"], 0), COUNTED_NO if id(row) in left_out else COUNTED_YES])
    return plan


def _status_plan(data: MasterData, forms: list[Form]) -> SheetPlan:
    plan = SheetPlan(STATUS)
    _table(plan, [*UNIT_HEADERS, "ประเภท", *(f.sheet for f in forms), "ส่งล่าสุด", "ฉบับที่"])
    plan.column_formats[len(UNIT_HEADERS) + 1 + len(forms)] = DATE_FORMAT
    for unit in data.registry.values():
        statuses = [data.statuses.get((unit.code, f.code)) for f in forms]
        submissions = [data.latest[(unit.code, s.code)] for s in sets_for(unit) if (unit.code, s.code) in data.latest]
        last = max(submissions, key=lambda s: s.submitted_at) if submissions else None
        kind = "โรงเรียน" if unit.kind == "school" else "กลุ่มงาน"
        r = plan.add([*_unit_cells(unit), kind, *(STATUS_TH[s] if s else "-" for s in statuses), _bangkok(last.submitted_at) if last else None, last.version if last else None])
        for offset, status in enumerate(statuses):
            if status:
                plan.styles[(r, len(UNIT_HEADERS) + 1 + offset)] = Style(fill=STATUS_FILL[status])
    return plan


def _issues_plan(data: MasterData) -> SheetPlan:
    plan = SheetPlan(ISSUES)
    _table(plan, [*UNIT_HEADERS, "แบบรายงาน", "แผ่นงาน", "เซลล์", "กฎ", "ระดับ", "ค่าที่พบ", "รายละเอียด", "ฉบับที่", "ไฟล์ที่ส่ง"], {11: 14, 12: 25, 13: 80})
    titles = {f.code: f.title_th for s in form_sets().values() for f in s.forms}
    for (unit_code, _), submission in sorted(data.latest.items()):
        unit = data.registry.get(unit_code)
        if unit is None:
            continue
        for issue in data.issues.get(submission.id, []):
            plan.add(
                [*_unit_cells(unit), titles.get(issue["form"] or "", "-"), issue["sheet"], issue["cell"], issue["rule"], SEVERITY_TH[issue["severity"]], issue["value"], issue["message_th"], submission.version, submission.original_name]
            )
    for notice in data.notices:
        unit = data.registry.get(notice.unit_code or "")
        who = _unit_cells(unit) if unit else ["?", "", "", "", ""]
        plan.add([*who, "-", notice.channel, "-", notice.rule, SEVERITY_TH[notice.severity], None, notice.message_th, None, None])
    return plan


def _bar_chart(title: str, axis: str, data_cols: tuple[int, int], header_row: int, last_row: int, *, stacked: bool = False, width: float = 18) -> Callable[[Worksheet], BarChart]:
    def make(sheet: Worksheet) -> BarChart:
        chart = BarChart()
        if stacked:
            chart.type, chart.grouping, chart.overlap = "bar", "stacked", 100
        else:
            chart.type = "col"
        chart.title, chart.y_axis.title = title, axis
        chart.add_data(Reference(sheet, min_col=data_cols[0], max_col=data_cols[1], min_row=header_row, max_row=last_row), titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=header_row + 1, max_row=last_row))
        chart.height, chart.width = 9, width
        return chart

    return make


def _summary_plan(data: MasterData, forms: list[Form]) -> SheetPlan:
    settings = data.settings
    plan = SheetPlan(SUMMARY, freeze="A4")
    plan.add([f"สรุปการรวมข้อมูล ปีงบประมาณ {settings.fiscal_year} รอบ {settings.round} เดือน"], Style(Font(bold=True, size=14)))
    plan.add([f"รวมข้อมูลเมื่อ {dt.datetime.now(BANGKOK):%Y-%m-%d %H:%M} น."])
    plan.add([])
    counts = data.summary()
    head = plan.header(["แบบรายงาน", "ต้องส่ง", "ส่งแล้ว", "ตรงเวลา", "ส่งช้า", "มีข้อผิดพลาด", "ยังไม่ส่ง"], {0: 34})
    for form in forms:
        c = counts.get(form.code, {})
        plan.add([form.sheet, *(c.get(k, 0) for k in ("expected", "submitted", "on_time", "late", "errors", "missing"))])
    plan.charts.append((_bar_chart("สถานะการส่งแยกตามแบบรายงาน", "จำนวนหน่วย", (4, 7), head + 1, len(plan.rows), stacked=True), "J3"))

    plan.add([])
    plan.add(["สรุปตามกลุ่มเครือข่ายและขนาดโรงเรียน (นับเฉพาะแถวที่ไม่มีข้อผิดพลาด)"], BOLD)
    plan.header(["กลุ่มเครือข่าย", "ขนาด", "จำนวนโรงเรียน", "ส่งข้อมูลนักเรียนแล้ว", "นักเรียน (คน)", "ห้องเรียน", "งบที่ได้รับจัดสรร (บาท)", "เบิกจ่ายแล้ว (บาท)", "ร้อยละการเบิกจ่าย"])
    groups: dict[tuple[str, str], list[Any]] = {}
    for unit in data.registry.values():
        if unit.kind != "school":
            continue
        row = groups.setdefault((unit.network_label, unit.size_label), [0, 0, 0, 0, Decimal(0), Decimal(0)])
        enrolment = data.counted(unit, "enrolment")
        use = data.counted(unit, "budget_use")
        row[0] += 1
        row[1] += bool(enrolment)
        row[2] += sum((r.get("male") or 0) + (r.get("female") or 0) for r in enrolment)
        row[3] += sum(r.get("rooms") or 0 for r in enrolment)
        row[4] += sum((r.get("allocated") or 0 for r in use), Decimal(0))
        row[5] += sum((r.get("disbursed") or 0 for r in use), Decimal(0))
    money = Style(number_format=MONEY_FORMAT)
    for (network, size), row in sorted(groups.items()):
        r = plan.add([network, size, *row, kpi_value(row[5], row[4]) if row[4] and row[5] <= row[4] else None])
        plan.styles[(r, 6)] = plan.styles[(r, 7)] = money
    totals = [sum(row[i] for row in groups.values()) for i in range(6)]
    r = plan.add(["รวมทั้งเขต", "", *totals, kpi_value(totals[5], totals[4]) if totals[4] and totals[5] <= totals[4] else None], BOLD)
    plan.styles[(r, 6)] = plan.styles[(r, 7)] = Style(Font(bold=True), number_format=MONEY_FORMAT)

    plan.add([])
    plan.add(["ข้อมูลที่ไม่นำมารวม: แถวที่มีข้อผิดพลาด (ดูคอลัมน์ 'นำไปรวม' ในแผ่นงานของแต่ละแบบ และแผ่นงาน ปัญหาที่พบ)"], BOLD)
    plan.header(["แบบรายงาน", "แถวที่ไม่นำมารวม", "จำนวนหน่วย", "หน่วยและแถว"], {3: 80})
    for form in forms:
        left_out = data.left_out(form.code)
        where = "; ".join(f"{unit.code} แถว {', '.join(map(str, rows))}" for unit, rows in left_out[:LEFT_OUT_LISTED])
        if len(left_out) > LEFT_OUT_LISTED:
            where += f"; และอีก {len(left_out) - LEFT_OUT_LISTED} หน่วย"
        plan.add([form.sheet, sum(len(rows) for _, rows in left_out), len(left_out), where or "-"])

    plan.add([])
    plan.add(["ผลตามตัวชี้วัดที่สถานศึกษารายงาน เทียบค่าเป้าหมาย (นับเฉพาะแถวที่ไม่มีข้อผิดพลาด)"], BOLD)
    kpi_head = plan.header(
        ["รหัส", "ตัวชี้วัด", "วิธีรวมผล", "โรงเรียนที่รายงาน", "แถวที่ไม่นำมารวม", "ผลรวมตัวตั้ง", "ตัวหาร", "ผล", "ค่าเป้าหมาย", "ค่าฐาน (ปีก่อน)", "สถานะ", "หมายเหตุ"],
        {1: 50, 11: 40},
    )
    left_out_kpis: dict[str, int] = defaultdict(int)
    for unit in data.registry.values():
        for line in data.rows(unit, "kpi_report")[1]:
            left_out_kpis[line.get("kpi") or ""] += 1
    for result in data.kpi_results():
        indicator = result.indicator
        plan.add(
            [
                indicator.code,
                indicator.name_th,
                indicator.aggregate_th,
                result.reporting,
                left_out_kpis.get(indicator.code, 0),
                result.numerator,
                result.denominator if indicator.aggregate in ("ratio", "population", "share") else None,
                result.value,
                indicator.target,
                data.baseline.get(indicator.code),
                result.status.th if result.status else "-",
                _kpi_note(result, left_out_kpis.get(indicator.code, 0)),
            ]
        )
    plan.charts.append((_bar_chart("ผลตัวชี้วัดเทียบค่าเป้าหมาย (ร้อยละ)", "ร้อยละ", (8, 9), kpi_head + 1, len(plan.rows), width=30), "N24"))
    return plan


def _kpi_note(result: KpiResult, left_out: int) -> str | None:
    """Why a KPI has no result, as the summary says it: schools that reported only with errors did report."""
    if result.reporting == 0 and left_out:
        return f"รายงานมา {left_out} แถว แต่มีข้อผิดพลาดทุกแถว จึงยังไม่มีผล (ดูแผ่นงาน ปัญหาที่พบ)"
    return result.note_th or None


def _analyst_sheets(path: Path) -> bool:
    """Whether the current master has sheets the analysts added (read cheaply with calamine)."""
    if not path.exists():
        return False
    try:
        book = CalamineWorkbook.from_path(str(path))
        names = book.sheet_names
        managed = {row[0] for row in book.get_sheet_by_name(MANAGED_LIST).to_python() if row} if MANAGED_LIST in names else set()
    except Exception:  # an unreadable old master is replaced, not preserved
        return False
    return any(name not in managed and name != MANAGED_LIST for name in names)


def write_master(settings: Settings, data: MasterData, progress: Callable[[int, int], None] | None = None) -> Path:
    """Build the master for the round and atomically put it in place; returns its path.

    ``progress`` hears (steps done, steps) at the start, after each sheet and after the save:
    writing is the longest part of a large run, and the Consolidate button's bar should move.
    """
    target = settings.master_path()
    forms = list({f.code: f for s in form_sets().values() for f in s.forms}.values())
    plans = [_summary_plan(data, forms), _status_plan(data, forms), _issues_plan(data), *(_form_plan(f, data) for f in forms)]
    keep_analyst_sheets = _analyst_sheets(target)
    if keep_analyst_sheets:  # slower: openpyxl must load the old master to keep the analysts' sheets
        book = load_workbook(target)
        ours = {p.name for p in plans} | _managed_names(book) | {MANAGED_LIST}
        for name in [n for n in book.sheetnames if n in ours]:
            del book[name]
    else:
        book = Workbook(write_only=True)
    steps = len(plans) + 1  # each sheet, then compressing and saving the file
    if progress:
        progress(0, steps)
    for index, plan in enumerate(plans):
        sheet = book.create_sheet(plan.name, index) if keep_analyst_sheets else book.create_sheet(plan.name)
        emit(plan, sheet, write_only=not keep_analyst_sheets)
        if progress:
            progress(index + 1, steps)
    listing = book.create_sheet(MANAGED_LIST)
    for plan in plans:
        listing.append([plan.name])
    listing.sheet_state = "hidden"
    if keep_analyst_sheets:
        book.active = 0
    _replace_atomically(book, target, settings.keep_masters)
    if progress:
        progress(steps, steps)
    return target


def _managed_names(book: Workbook) -> set[str]:
    if MANAGED_LIST not in book.sheetnames:
        return set()
    return {row[0].value for row in book[MANAGED_LIST].iter_rows() if row and row[0].value}


def _replace_atomically(book: Workbook, target: Path, keep: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=".master-", suffix=".xlsx.tmp")
    os.close(descriptor)
    temp = Path(name)
    try:
        _save(book, temp)
        with temp.open("rb") as written:
            os.fsync(written.fileno())
        if target.exists():
            history = target.parent / "history"
            history.mkdir(exist_ok=True)
            stamp = dt.datetime.now(BANGKOK).strftime("%Y%m%d-%H%M%S-%f")
            shutil.copy2(target, history / f"{target.stem}-{stamp}.xlsx")
            for old in sorted(history.glob(f"{target.stem}-*.xlsx"))[:-keep] if keep > 0 else []:
                old.unlink()
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def _save(book: Workbook, path: Path) -> None:
    """``Workbook.save`` with fast zlib compression (level 1): ~3x faster to compress, a few % larger."""
    if book.write_only and not book.worksheets:  # pragma: no cover - the master always has sheets
        book.create_sheet()
    book.properties.modified = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=1) as archive:
        ExcelWriter(book, archive).save()
