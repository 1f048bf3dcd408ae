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
import hashlib
import io
import os
import shutil
import zipfile
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, cached_property, partial
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import PatternFill
from openpyxl.writer.excel import ExcelWriter
from python_calamine import CalamineWorkbook

import rules
import rules.parameters
from rules import SIZE_TH, EsaplanError, kpis, school_size
from rules.forms import Form, computed, form_sets, row_of, shown
from rules.kpi import KpiResult, Reported, aggregate
from rules.thai import thai_time

from .atomic import temporary_beside
from .cachefile import Warm
from .ledger import Ledger, Submission
from .population import Census, read_census
from .records import FILE_SHEET
from .registry import Unit, sets_for
from .settings import BANGKOK, Settings
from .sheetplan import (
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
from .status import (
    SEVERITY_COLOUR,
    SEVERITY_ORDER,
    SEVERITY_TH,
    STATUS_TH,
    Notice,
    UnitErrors,
    deadline,
    form_status,
    unit_status,
)
from .summary import charts_plan, executive_plan, kpi_plan, summary_plan, unit_share
from .tally import ONE, Share, Tally, Vector
from .tablerows import RowCache, Table, UnitRows, splice, widest
from .unitfacts import NO_FACTS, Facts, FactsCache, split_rows
from .zippackage import Deflated, write_zip

MANAGED_LIST = "_esaplan_master"
ANALYSIS_DIR = "analysis"  # analysts' own workbooks; esaplan only ever adds to it
STATUS, ISSUES = "สถานะการส่ง", "ปัญหาที่พบ"
STATUS_FILL = {
    "on_time": PatternFill("solid", fgColor="C6EFCE"),
    "late": PatternFill("solid", fgColor="FFEB9C"),
    "errors": PatternFill("solid", fgColor="FFC7CE"),
    "missing": PatternFill("solid", fgColor="D9D9D9"),
}
SEVERITY_FILL = [PatternFill("solid", fgColor=SEVERITY_COLOUR[severity]) for severity in sorted(SEVERITY_ORDER, key=SEVERITY_ORDER.__getitem__)]
UNIT_HEADERS = ["รหัสหน่วย", "ชื่อหน่วย", "อำเภอ", "กลุ่มเครือข่าย", "ขนาด"]
COUNTED_HEADER, COUNTED_YES, COUNTED_NO = "นำไปรวม", "ใช่", "ไม่ (มีข้อผิดพลาด)"


@dataclass(frozen=True)
class UnitView:
    """One unit in the round as the master shows it, made from nothing but its registry line and
    its latest versions (their rows, issues and facts), so it is kept while they stay its latest
    (:class:`~sync.tally.Tally`)."""

    statuses: tuple[tuple[tuple[str, str], str], ...]  # ((unit, form), status) for each of its forms
    status: str  # over its forms: what the director's page counts
    sources: dict[str, str]  # form code -> the form set whose counted version its rows come from
    cells: tuple[str, ...]  # code, name, district, network, size: the first cells of its rows
    last: tuple[dt.datetime, int] | None  # when its newest version was sent (Bangkok) and its number
    counting: str | int | None  # the version whose data count: its number, or why it is not the newest
    errors: UnitErrors | None
    tables: dict[str, tuple[Any, ...]]  # form code -> what its rows of the form's sheet are made from, when it has any
    unit: Unit = field(repr=False)
    facts: dict[str, Facts] = field(repr=False, compare=False)  # of the versions its rows come from, by form code

    @cached_property
    def share(self) -> Share:
        """What it adds to the summaries (:func:`~sync.summary.unit_share`): worked out when the
        area's sums are, which a run where nothing changed does not need."""
        return unit_share(self.unit, self.status, self.cells[4], self.facts)

    @cached_property
    def form_statuses(self) -> dict[str, str]:
        """Each of its forms' status, once a form: the last when two of its form sets hold the form."""
        return {form_code: status for (_, form_code), status in self.statuses}

    @cached_property
    def status_share(self) -> Share:
        """What it adds to each form's count of units by status (:meth:`MasterData.summary`)."""
        return tuple(((form_code, status), ONE) for form_code, status in self.form_statuses.items())

    @cached_property
    def left_out_share(self) -> Share:
        """The forms it has rows left out of (:meth:`MasterData.left_out`)."""
        return tuple(((form_code, self.unit.code), ONE) for form_code in self.facts if self.left_out(form_code))

    @cached_property
    def status_line(self) -> tuple[Any, ...]:
        """Its line of สถานะการส่ง: its cells, its kind, each round form's status ("-" for a form it
        does not send), and its newest version's time and number; the source of its block there."""
        shown = (STATUS_TH[s] if (s := self.form_statuses.get(f.code)) else "-" for f in round_forms())
        return (*self.cells, "โรงเรียน" if self.unit.kind == "school" else "กลุ่มงาน", *shown, *(self.last or (None, None)), self.counting)

    def left_out(self, form_code: str) -> list[int]:
        """The rows of a form no total counts."""
        return self.facts.get(form_code, NO_FACTS).left_out.get(form_code, [])


#: each round's units and the area's sums as this process's last run left them (:mod:`sync.tally`)
TALLIES: Warm[Tally[UnitView]] = Warm()
#: last year's results by round, with what they were worked out from (:func:`_baseline`)
BASELINES: Warm[tuple[Hashable, dict[str, Decimal]]] = Warm()


@dataclass
class MasterData:
    """Everything the master shows for one round, gathered from the ledger and registry."""

    settings: Settings
    registry: dict[str, Unit]
    latest: dict[tuple[str, str], Submission]  # each (unit, form set)'s newest version: what its status is of
    counted: dict[tuple[str, str], Submission]  # the version whose data count (chosen by staff, else the newest accepted)
    issues: dict[int, list[dict[str, Any]]]
    facts: dict[int, Facts]  # by submission id
    tally: Tally[UnitView] = field(default_factory=Tally.empty)
    views: dict[str, UnitView] = field(default_factory=dict)  # by unit code, in registry order
    notices: list[Notice] = field(default_factory=list)
    census: Census = field(default_factory=Census)
    baseline: dict[str, Decimal] = field(default_factory=dict)  # last fiscal year's area result per KPI, same round
    _kpi_results: list[KpiResult] | None = field(default=None, repr=False)

    @classmethod
    def collect(cls, settings: Settings, ledger: Ledger, registry: dict[str, Unit], notices: list[Notice]) -> MasterData:
        data = cls.of_round(settings, ledger, registry, notices)
        data.baseline = _baseline(settings, ledger, registry)
        return data

    @classmethod
    def of_round(cls, settings: Settings, ledger: Ledger, registry: dict[str, Unit], notices: list[Notice] | None = None) -> MasterData:
        """The round's latest and counted versions, their issues and facts, and each unit's view: those
        of units whose registry line and versions are as in this process's last run are kept."""
        found = ledger.versions(settings.fiscal_year, settings.round)
        latest, counted = found.latest, found.counted
        versions = sorted({s.id: s for s in (*latest.values(), *counted.values())}.values(), key=lambda s: s.id)
        issues = ledger.issues_of(s.id for s in versions)
        kept = FactsCache(settings.master_dir / ".facts.sqlite", code_salt(), (settings.fiscal_year, settings.round)).facts([(s, issues[s.id]) for s in versions])
        facts = {s.id: f for s, f in zip(versions, kept, strict=True)}
        data = cls(settings, registry, latest, counted, issues, facts, notices=[] if notices is None else notices, census=read_census(settings.home, settings.fiscal_year))
        dues = {s.code: deadline(s, settings.fiscal_year, settings.round) for s in form_sets().values() if not s.yearly}
        scope = (settings.database_url, settings.fiscal_year, settings.round, code_salt(), dt.date.today())  # today: size bands are dated
        inputs = {code: (unit, tuple((_version_key(latest.get((code, s.code))), _version_key(counted.get((code, s.code)))) for s in sets_for(unit))) for code, unit in registry.items()}
        tally = (TALLIES.get(scope) or Tally.empty()).updated(inputs, lambda code: _view(registry[code], latest, counted, issues, facts, dues))
        TALLIES.keep(scope, tally)
        data.tally, data.views = tally, tally.views()
        return data

    @cached_property
    def statuses(self) -> dict[tuple[str, str], str]:
        """Each (unit, form)'s status: the web overview's table reads them all."""
        return {(code, form_code): status for code, view in self.views.items() for form_code, status in view.form_statuses.items()}

    @property
    def sums(self) -> dict[Hashable, Vector]:
        """The views' shares added up by key (:mod:`sync.tally`): what the summary sheets read."""
        return self.tally.sums("share")

    def summary(self) -> dict[str, dict[str, int]]:
        """Per form, in the forms' order: units expected, submitted, on time, late, with errors, missing."""
        counts = self.tally.sums("status_share")
        result: dict[str, dict[str, int]] = {}
        for form in round_forms():
            by_status = {status: counts.get((form.code, status), (0,))[0] for status in STATUS_TH}
            if any(by_status.values()):
                submitted = sum(n for status, n in by_status.items() if status != "missing")
                result[form.code] = {"expected": submitted + by_status["missing"], "submitted": submitted, **by_status}
        return result

    def size_of(self, unit: Unit) -> str:
        """A school's size class as its rows show it (see :func:`_size`)."""
        return self.views[unit.code].cells[4]

    def units_with_errors(self) -> list[UnitErrors]:
        """Every unit whose latest version of the round has errors, in registry order."""
        return [view.errors for view in self.views.values() if view.errors]

    def source(self, unit: Unit, form_code: str) -> Submission | None:
        """The unit's counted version that has the form's sheet: where its rows of the form come from."""
        form_set = self.views[unit.code].sources.get(form_code)
        return self.counted[(unit.code, form_set)] if form_set else None

    def sent(self, unit: Unit) -> list[Submission]:
        """The unit's latest version of each of its form sets (accepted or not)."""
        return _sent(unit, self.latest)

    def facts_for(self, unit: Unit, form_code: str) -> Facts:
        """The facts of the version the unit's rows of a form come from (none when it sent none)."""
        return self.views[unit.code].facts.get(form_code, NO_FACTS)

    def rows(self, unit: Unit, form_code: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The unit's rows of a form in its counted version, as (counted, left out): the
        documents' tables read rows; the master's summaries read the views' sums."""
        submission = self.source(unit, form_code)
        return split_rows(submission, self.issues.get(submission.id, []), form_code) if submission else ([], [])

    def counted_rows(self, unit: Unit, form_code: str) -> list[dict[str, Any]]:
        """The rows of a form that enter the totals: valid rows of the unit's counted version."""
        return self.rows(unit, form_code)[0]

    def kpi_results(self) -> list[KpiResult]:
        """Every school-reported indicator added up from the counted rows, as the catalogue says (worked out once)."""
        if self._kpi_results is None:
            self._kpi_results = [
                aggregate(
                    indicator,
                    Reported(*self.sums.get(("kpi", indicator.code), ())),
                    round=self.settings.round,
                    fiscal_year=self.settings.fiscal_year,
                    population=self.census.by_band.get(indicator.population_band or ""),
                    baseline=self.baseline.get(indicator.code),
                )
                for indicator in kpis(reported_by="school", fiscal_year=self.settings.fiscal_year)
            ]
        return self._kpi_results

    def unusual_amounts(self, form_code: str = "budget_use") -> tuple[int, int]:
        """How many counted rows of a form carry an unusual-amount warning, and in how many units:
        the figures that add up with a flag beside them (an impossible one is an error, left out)."""
        found = [
            submission.unit_code
            for (code, form_set), submission in self.counted.items()
            if code in self.registry and form_code in self.views[code].facts
            for issue in self.issues.get(submission.id, [])
            if issue["rule"] == "UNUSUAL-AMOUNT" and issue["form"] == form_code
        ]
        return len(found), len(set(found))

    def left_out(self, form_code: str) -> list[tuple[Unit, list[int]]]:
        """Units whose rows of a form were left out of the totals, with those rows' numbers, in registry order."""
        codes = sorted((code for form, code in self.tally.sums("left_out_share") if form == form_code), key=self._order.__getitem__)
        return [(self.registry[code], self.views[code].left_out(form_code)) for code in codes]

    @cached_property
    def _order(self) -> dict[str, int]:
        return {code: place for place, code in enumerate(self.views)}


def _version_key(submission: Submission | None) -> tuple[Any, ...] | None:
    """What of a version a unit's view depends on, beside its stored rows and issues (which never
    change once stored): the id and, should a ledger be made afresh, what would tell another apart."""
    if submission is None:
        return None
    return (submission.id, submission.sha256, submission.version, submission.submitted_at, submission.accepted, submission.errors, submission.warnings)


def _sent(unit: Unit, latest: dict[tuple[str, str], Submission]) -> list[Submission]:
    return [latest[(unit.code, s.code)] for s in sets_for(unit) if (unit.code, s.code) in latest]


def _view(unit: Unit, latest: dict[tuple[str, str], Submission], counted: dict[tuple[str, str], Submission], issues: dict[int, list[dict[str, Any]]], facts: dict[int, Facts], dues: dict[str, dt.datetime]) -> UnitView:
    """The unit's view: each form's status from its latest version of the form's set, its rows from
    the version that counts (``dues``: each set's deadline)."""
    sources: dict[str, str] = {}
    statuses = []
    notes = []
    for form_set in sets_for(unit):
        submission = latest.get((unit.code, form_set.code))
        rows = issues.get(submission.id, []) if submission else []
        sheets = facts[submission.id].sheets if submission else {}
        for form in form_set.forms:
            statuses.append(((unit.code, form.code), form_status(submission, form.code, rows, dues[form_set.code], sheets)))
        used = counted.get((unit.code, form_set.code))
        if used:
            for form_code in facts[used.id].sheets:
                sources.setdefault(form_code, form_set.code)
            if submission and used.id != submission.id:
                notes.append(counting_note(submission, used))
    versions = {form_code: counted[(unit.code, form_set)] for form_code, form_set in sources.items()}
    form_facts = {form_code: facts[submission.id] for form_code, submission in versions.items()}
    size = _size(unit, form_facts.get("enrolment", NO_FACTS))
    cells = (unit.code, unit.name_th, unit.district_label, unit.network_label, size)
    sent = _sent(unit, latest)
    errors = [i for s in sent for i in issues.get(s.id, []) if i["severity"] == "error"]
    last = max(sent, key=lambda s: s.submitted_at) if sent else None
    tables = {}
    for form_code, submission in versions.items():
        if form_facts[form_code].sheets[form_code]:
            found = tuple((i["cell"], i["severity"]) for i in issues.get(submission.id, []) if i["form"] == form_code)  # what marks rows as errors or left out
            tables[form_code] = (form_code, submission.sha256, found, (*cells, submission.version, _bangkok(submission.submitted_at)))
    status = unit_status([s for _, s in statuses])
    first = f"{errors[0]['sheet']} {errors[0]['cell']}: {errors[0]['message_th']}" if errors else ""
    used_versions = sorted({s.version for s in versions.values()})
    return UnitView(
        statuses=tuple(statuses),
        status=status,
        sources=sources,
        cells=cells,
        last=(_bangkok(last.submitted_at), last.version) if last else None,
        counting="; ".join(notes) or (used_versions[0] if len(used_versions) == 1 else ", ".join(map(str, used_versions)) or None),
        errors=UnitErrors(unit.code, unit.name_th, len(errors), " ".join([first, *(f"({note})" for note in notes)])) if errors else None,
        tables=tables,
        unit=unit,
        facts=form_facts,
    )


def counting_note(latest: Submission, used: Submission) -> str:
    """Why a unit's data come from another version than its newest, in Thai, for every place that says so."""
    if not latest.accepted:
        return f"ฉบับล่าสุด (ฉบับที่ {latest.version}) ถูกปฏิเสธ ใช้ข้อมูลฉบับที่ {used.version}"
    return f"เจ้าหน้าที่เลือกใช้ข้อมูลฉบับที่ {used.version} (ฉบับล่าสุดคือฉบับที่ {latest.version})"


def _size(unit: Unit, enrolment: Facts) -> str:
    """A school's size class: the registry's when it has one (OBEC's list has none), else from the
    pupils it reported this round, by the dated size bands."""
    if unit.kind != "school":
        return "-"
    if unit.size:
        return unit.size_label
    pupils = enrolment.pupils or unit.pupils or 0
    return SIZE_TH[school_size(pupils)] if pupils else unit.size_label


def _baseline(settings: Settings, ledger: Ledger, registry: dict[str, Unit]) -> dict[str, Decimal]:
    """Last fiscal year's area result for each indicator, same round: what "increase" KPIs are judged
    against. Worked out again only when last year's round holds other versions, or the registry,
    last year's census or the code changed: at 5,000 schools it is a whole round's worth of reading."""
    try:
        previous = settings.with_round(settings.fiscal_year - 1, settings.round)
    except EsaplanError:
        return {}  # before the reporting calendar: there is no earlier year
    signature = ledger.round_signature(previous.fiscal_year, previous.round)
    if not signature[0]:
        return {}  # last year's round has no versions: no indicator has a result
    scope = (settings.database_url, previous.fiscal_year, previous.round, code_salt())
    inputs = (signature, read_census(settings.home, previous.fiscal_year).by_band, registry)
    kept = BASELINES.get(scope)
    if kept is not None and kept[0] == inputs:
        return kept[1]
    data = MasterData.of_round(previous, ledger, registry)
    baseline = {result.indicator.code: result.value for result in data.kpi_results() if result.value is not None}
    BASELINES.keep(scope, (inputs, baseline))
    return baseline


def _bangkok(value: dt.datetime) -> dt.datetime:
    return value.astimezone(BANGKOK).replace(tzinfo=None)


def _row_errors(issue_rows: list[dict[str, Any]], form_code: str) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for issue in issue_rows:
        row = row_of(issue["cell"])
        if issue["form"] == form_code and issue["severity"] == "error" and row:
            counts[row] += 1
    return counts


KIND_FORMATS = {"money": MONEY_FORMAT, "count": COUNT_FORMAT, "date": DATE_FORMAT}  # one number format per kind of value; other numbers as typed


def value_kinds(form: Form) -> list[str]:
    """What each of the form's columns holds as the master shows it: its own type, but a column
    worked out from the row's numbers is money in a form with money, else a count (the master's
    number formats and the tidy files' column types both follow this)."""
    has_money = any(c.type == "money" for c in form.columns)
    return [("money" if has_money else "count") if column.formula else column.type for column in form.columns]


def _form_plan(form: Form, data: MasterData) -> SheetPlan:
    sources = [view.tables[form.code] for view in data.views.values() if form.code in view.tables]
    plan = SheetPlan(form.sheet, auto_wrap=False, units=UnitRows(sources, partial(_unit_rows, form, data)))  # data to filter and pivot: one line a row, a block per unit
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
        rows.append([*unit_cells, *cells, errors.get(row["_row"], 0), COUNTED_NO if id(row) in left_out else COUNTED_YES])
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
            cells = [unit.code, unit.name_th, unit.district_label, issue["sheet"], issue["cell"], SEVERITY_TH[issue["severity"]], issue["message_th"], issue["value"], issue["rule"], sent]
            lines.append((SEVERITY_ORDER[issue["severity"]], unit_code, cells))
        used = data.counted.get((unit_code, form_set))
        if used and used.id != submission.id:
            note = f"{counting_note(submission, used)} (ส่งเมื่อ {thai_time(used.submitted_at)}, {used.original_name})"
            lines.append((SEVERITY_ORDER["warning"], unit_code, [unit.code, unit.name_th, unit.district_label, FILE_SHEET, "-", SEVERITY_TH["warning"], note, None, "OLDER-VERSION-COUNTED", sent]))
    for notice in data.notices:
        unit = data.registry.get(notice.unit_code or "")
        who = [unit.code, unit.name_th, unit.district_label] if unit else ["?", "(ไม่ทราบหน่วย)", ""]
        lines.append((SEVERITY_ORDER[notice.severity], notice.unit_code or "", [*who, notice.channel, "-", SEVERITY_TH[notice.severity], notice.message_th, None, notice.rule, None]))
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
            managed = {row[0] for row in book.get_sheet_by_name(MANAGED_LIST).to_python() if row} if MANAGED_LIST in names else set()
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


def round_forms() -> list[Form]:
    """The forms units send each round, each once, in form-set order: one tidy sheet each in the master."""
    return list({f.code: f for s in form_sets().values() if not s.yearly for f in s.forms}.values())


def write_master(settings: Settings, data: MasterData, progress: Callable[[int, int], None] | None = None) -> Path:
    """Build the master for the round and atomically put it in place; returns its path.

    openpyxl lays out every sheet and writes all but the per-form sheets' data rows, which
    :mod:`sync.tablerows` writes into the saved parts, reusing the blocks of units whose rows did
    not change since the last run. ``progress`` hears (steps done, steps) at the start, after each
    sheet and after the save, so the Consolidate button's bar moves.
    """
    target = settings.master_path()
    forms = round_forms()
    plans = [executive_plan(data), summary_plan(data, forms), kpi_plan(data), charts_plan(data, forms), _status_plan(data), _issues_plan(data), *(_form_plan(f, data) for f in forms)]
    page = PrintHeader(settings.office_name, f"ปีงบประมาณ {settings.fiscal_year} รอบ {settings.round} เดือน")
    book = Workbook(write_only=True)
    sheets = [book.create_sheet(plan.name) for plan in plans]
    styles = number_styles(sheets[0])
    cache = RowCache(target.parent / f".rows-{target.stem}.sqlite", code_salt(), (styles[DATE_TIME_FORMAT], styles[DATE_FORMAT]))
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


def _data_rows(plans: list[SheetPlan], sheet: Any, styles: dict[str, str], cache: RowCache) -> dict[str, tuple[int, list[Deflated]]]:
    """The tables' data rows by sheet part (the row they start on, the blocks); into each plan, how many rows there
    are and the widths their columns need (before it is emitted). ``sheet`` registers the looks
    of styled values, before any sheet is emitted: their ids are then the same in every master."""
    parts = {f"xl/worksheets/sheet{index}.xml": plan for index, plan in enumerate(plans, start=1) if plan.units is not None}  # openpyxl names the parts by position
    tables = []
    for plan in parts.values():
        assert plan.units is not None
        columns = range(len(plan.rows[0]))
        by_value = [{value: style_attribute(sheet, style) for value, style in plan.value_styles.get(c, {}).items()} for c in columns]
        tables.append(Table(plan.units, plan.data_from + 1, [styles.get(plan.column_formats.get(c, ""), "") for c in columns], by_value, plan.column_formats))
    result = {}
    for (part, plan), table, chunks in zip(parts.items(), tables, cache.chunks_of(tables), strict=True):
        plan.block_rows += sum(chunk.count for chunk in chunks)
        for c, need in enumerate(widest(chunk.widths for chunk in chunks)):
            if need >= 0:
                plan.data_widths[c] = max(plan.data_widths.get(c, 0), need)
        result[part] = (table.first_row, [chunk.rows for chunk in chunks])
    return result


@cache
def code_salt() -> str:
    """What shapes a unit's rows and facts besides its submission: esaplan's code and rules data
    (rates, forms), so an edited rate or an upgrade reuses nothing kept. The rules data is the
    office's own folder when ``ESAPLAN_RULES_DATA`` names one (outside the package). Read once a
    process, as the code and the rules data themselves are (:func:`rules.default_parameters`): a
    rate edited while the service runs is used, and salts the caches, from its restart on."""
    package = Path(rules.__file__).parent
    data = rules.parameters.DATA_DIR
    digest = hashlib.blake2b(digest_size=16)
    for root in (package, Path(__file__).parent, *([] if data.is_relative_to(package) else [data])):
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".yaml"):
                digest.update(path.read_bytes())
    return digest.hexdigest()


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
        write_zip(path, ((name, splice(content, *tables[name]) if name in tables else [content]) for name, content in contents), now)
