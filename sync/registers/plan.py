"""The year's action-plan register: the groups' plan workbooks read, checked, kept and summed.

Groups drop their plan workbook (แบบเสนอโครงการแผนปฏิบัติการ.xlsx) in ``plan/inbox/<group code>/``.
Each file is read and validated like a school's form and stored as a version in the same ledger
(round 0: the plan is yearly); the register is every group's newest accepted version, so a
broken resubmission never erases a group's plan. The office's envelope per budget source is
``envelope.csv`` in the installation folder. ``esaplan plan`` writes the register workbook
``plan/ทะเบียนแผนปฏิบัติการ-FY<year>.xlsx``: projects and activities, budget summaries against
the envelope, and every problem with group, sheet and cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from rules import EsaplanError, ParseError
from rules.budget_sources import plan_source
from rules.forms import Problem, find_header, form_sets, read_sheet, row_of
from rules.kpi import strategy_label
from rules.money import to_decimal
from rules.plan import Activity, PlanIssue, Project, Register, area_issues, group_plan
from rules.transfers import category_th
from sync.files.atomic import save_workbook
from sync.files.printsetup import office_table
from sync.intake.inbox import inbox_files, readable_items
from sync.intake.isolation import Failure, Limits, isolated_map
from sync.intake.keep import Parsed, recheck_stale, store
from sync.intake.parse import bounded, failure_problem, open_workbook
from sync.intake.reader import INSTRUCTIONS_SHEET, UNIT_CELL_NAME
from sync.ledger.database import open_ledger
from sync.ledger.records import FILE_SHEET, Incoming, NewVersion
from sync.ledger.status import SEVERITY_TH, Notice
from sync.office.errorlog import log_note
from sync.office.registry import Unit, find_unit, load_registry, office_groups
from sync.office.settings import Settings

PLAN_ROUND = 0  # the ledger's round for the yearly plan (reporting rounds are 6, 9 and 12)
PLAN_SET = "plan"


@dataclass
class PlanRun:
    """What ``esaplan plan`` found: the register, the register's own issues, each group's problems."""

    register: Register
    issues: list[PlanIssue]
    problems: dict[str, list[Problem]]
    groups: list[Unit]
    files_seen: int
    new_versions: int
    notices: list[Notice]
    path: Path


def plan_inbox(settings: Settings) -> Path:
    return settings.home / "plan" / "inbox"


def register_path(settings: Settings, fiscal_year: int) -> Path:
    return settings.home / "plan" / f"ทะเบียนแผนปฏิบัติการ-FY{fiscal_year}.xlsx"


def read_envelope(path: Path, fiscal_year: int) -> dict[str, Decimal] | None:
    """The office's envelope per source for one year from ``envelope.csv`` (None when there is no file).

    Columns ``ปีงบประมาณ,แหล่งงบประมาณ,วงเงิน (บาท)`` (or ``fiscal_year,source,amount``); the source by its
    Thai name or code; amounts and years as staff type them (Thai digits, ``1,500,000``, also unquoted in a
    file typed in Notepad, where the commas split the amount into fields).
    """
    if not path.is_file():
        return None
    found: dict[str, Decimal] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            get = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            year, source, amount = (
                get.get(a) or get.get(b, "")
                for a, b in (("ปีงบประมาณ", "fiscal_year"), ("แหล่งงบประมาณ", "source"), ("วงเงิน (บาท)", "amount"))
            )
            extra = [str(x).strip() for x in row.get(None) or []]  # fields past the header (DictReader keys them None)
            if extra and all(re.fullmatch(r"[0-9๐-๙]{3}(\.[0-9๐-๙]*)?", x) for x in extra):
                amount = ",".join([amount, *extra])  # 50,000 typed without quotes in Notepad: split at its commas
            elif extra:
                raise ParseError(
                    f"{path.name} บรรทัด {line}: มีช่องเกินจากหัวตาราง ({', '.join(extra)}): จำนวนเงินที่มีจุลภาคให้อยู่ในเครื่องหมายคำพูด หรือบันทึกไฟล์จาก Excel",
                    f"{path.name} line {line}: more fields than the header",
                    value=row,
                )
            try:
                if int(to_decimal(year, "ปีงบประมาณ")) != fiscal_year:
                    continue
                code = plan_source(source).code
                found[code] = found.get(code, Decimal(0)) + to_decimal(amount, "วงเงิน")
            except EsaplanError as exc:
                raise ParseError(
                    f"{path.name} บรรทัด {line}: {exc.message_th}",
                    f"{path.name} line {line}: {exc.message_en}",
                    value=row,
                ) from None
    return found


def parse_plan(
    settings: Settings, fiscal_year: int, groups: dict[str, Unit], registry: dict[str, Unit], item: Incoming
) -> NewVersion:
    """Read and check one group's plan workbook (in a reading worker: no writes); the projects go into its data."""
    unit = groups[item.unit_code]
    problems: list[tuple[str | None, Problem]] = []

    def refuse(rule: str, message: str, sheet: str = FILE_SHEET, cell: str = "-", value: Any = None) -> None:
        problems.append((None, Problem(sheet, cell, rule, "error", message, value)))

    data: dict[str, Any] = {}
    book = open_workbook(settings, item.content)
    if isinstance(book, Problem):
        problems.append((None, book))
    else:
        forms_by_sheet = {form.sheet: form.code for form in form_sets()[PLAN_SET].forms}
        problems.extend((forms_by_sheet.get(p.sheet), p) for p in book.reading_problems())
        data = _read_plan(book, fiscal_year, unit, registry, problems, refuse)
    return _plan_version(fiscal_year, item, data, problems)


def _plan_version(
    fiscal_year: int, item: Incoming, data: dict[str, Any], problems: list[tuple[str | None, Problem]]
) -> NewVersion:
    accepted = not any(p.severity == "error" and form is None for form, p in problems)
    return NewVersion(
        item.unit_code,
        PLAN_SET,
        fiscal_year,
        PLAN_ROUND,
        item.sha256,
        item.source,
        item.name,
        item.submitted_at,
        accepted,
        data if accepted else {},
        problems,
        (fiscal_year, PLAN_ROUND),
    )


def _plan_failed(settings: Settings, fiscal_year: int, item: Incoming, failure: Failure) -> NewVersion:
    """A plan file whose worker gave no answer: the group's issue, and the reason in the error log."""
    log_note(settings, f"reading plan {item.name} of {item.unit_code}: {failure.reason}", failure.detail)
    return _plan_version(fiscal_year, item, {}, [(None, failure_problem(settings, failure))])


def _read_plan(
    book: Any,
    fiscal_year: int,
    unit: Unit,
    registry: dict[str, Unit],
    problems: list[tuple[str | None, Problem]],
    refuse: Any,
) -> dict[str, Any]:
    plan_set = form_sets()[PLAN_SET]
    named = book.meta.get("form_set")
    if named and named != PLAN_SET:
        refuse("WRONG-FORM-SET", f"ไฟล์นี้ไม่ใช่{plan_set.th}: ดาวน์โหลด {plan_set.file} แล้วกรอกใหม่", value=named)
        return {}
    if str(book.meta.get("fiscal_year") or fiscal_year) != str(fiscal_year):
        refuse(
            "WRONG-YEAR",
            f"เป็นแบบของปีงบประมาณ {book.meta.get('fiscal_year')}: กรุณาใช้แบบของปีงบประมาณ {fiscal_year}",
            value=book.meta.get("fiscal_year"),
        )
        return {}
    claimed = book.typed_unit or book.meta.get("unit_code", "")
    if claimed and (find_unit(claimed, registry) or find_unit(claimed, {g.code: g for g in office_groups()})) != unit:
        refuse(
            "WRONG-UNIT",
            f"รหัสในไฟล์ {claimed} ไม่ตรงกับกลุ่มที่ส่ง {unit.code} ({unit.name_th}): แก้รหัสในช่อง {UNIT_CELL_NAME}",
            INSTRUCTIONS_SHEET,
            UNIT_CELL_NAME,
            claimed,
        )
        return {}
    read: dict[str, Any] = {}
    columns: dict[str, dict[str, int]] = {}
    row_errors: dict[str, set[int]] = {}
    for form in plan_set.forms:
        grid = book.sheets.get(form.sheet)
        if grid is None:
            refuse("MISSING-SHEET", f"ไม่พบแผ่นงาน '{form.sheet}' ในไฟล์ (อย่าลบหรือเปลี่ยนชื่อแผ่นงาน)", form.sheet)
            return {}
        result = read_sheet(
            form,
            grid,
            unit_code=unit.code,
            on=dt.date(fiscal_year - 543 - 1, 10, 1),
            formulas=book.shows_formulas,
            merged=book.merged.get(form.sheet, ()),
        )
        read[form.code], listed = bounded(form, result)
        problems.extend((form.code, p) for p in listed)
        _, positions, _ = find_header(form, grid)
        columns[form.sheet] = {key: index for index, key in positions.items()}
        row_errors[form.sheet] = {
            row for p in result.problems if p.severity == "error" and (row := row_of(p.cell)) is not None
        }
    if any(p.severity == "error" and p.cell == "-" for _, p in problems):
        return {}  # a whole sheet unreadable (a renamed header): nothing of it is counted
    projects, found = group_plan(
        unit.code,
        unit.name_th,
        read["plan_project"],
        read["plan_activity"],
        project_sheet=plan_set.forms[0].sheet,
        activity_sheet=plan_set.forms[1].sheet,
        columns=columns,
        row_errors=row_errors,
    )
    problems.extend(("plan_project" if p.sheet == plan_set.forms[0].sheet else "plan_activity", p) for p in found)
    return {"projects": [asdict(p) for p in projects]}


def load_register(settings: Settings, fiscal_year: int) -> Register:
    """Every group's newest accepted plan of the year, from the ledger."""
    projects: list[Project] = []
    for (_, form_set), accepted in sorted(
        open_ledger(settings.database_url).versions(fiscal_year, PLAN_ROUND).counted.items()
    ):
        if form_set != PLAN_SET:
            continue
        for row in accepted.data.get("projects", []):
            lines = tuple(
                Activity(a["activity"], tuple(a["quarters"]), a["source"], a["category"], Decimal(a["amount"]))
                for a in row["activities"]
            )
            projects.append(Project(**{**row, "kpis": tuple(row["kpis"]), "activities": lines}))
    return Register(fiscal_year, tuple(projects))


def progress_rows(register: Register, group_code: str) -> list[dict[str, Any]]:
    """A group's progress form pre-filled from the register: one row per project activity with its planned money."""
    rows = []
    for project in register.projects:
        if project.group_code != group_code:
            continue
        for name in project.activity_names():
            planned = sum((a.amount for a in project.activities if a.activity == name), Decimal(0))
            rows.append(
                {"project_code": project.code, "project": project.name, "activity": name, "budget_allocated": planned}
            )
    return rows


def consolidate_plan(settings: Settings, fiscal_year: int) -> PlanRun:
    """Read every group's plan files of the year, keep them as versions, and write the register workbook.

    A file made for another year (last year's plan left in a group's folder) is not this year's: it is
    neither stored as a refused version of this year nor counted. With no plan file of the year at
    all there is no register to write, and the error says where the files go.
    """
    registry = load_registry(settings.registry_path) if settings.registry_path.is_file() else {}
    groups = office_groups(registry)
    by_code = {g.code: g for g in groups}
    notices: list[Notice] = []
    items = readable_items(inbox_files(settings, by_code, notices, folder=plan_inbox(settings)), notices)
    ledger = open_ledger(settings.database_url)
    fresh = [i for i in items if ledger.find(i.unit_code, PLAN_SET, fiscal_year, PLAN_ROUND, i.sha256) is None]
    limits = Limits(settings.read_memory_mb, settings.read_seconds)

    def read(files: list[Incoming]) -> Iterator[NewVersion]:
        parse = partial(parse_plan, settings, fiscal_year, by_code, registry)
        return isolated_map(parse, files, limits, workers=1, on_failure=partial(_plan_failed, settings, fiscal_year))

    recheck_stale(settings, ledger, by_code, (fiscal_year, PLAN_ROUND), read)  # an upgrade's checks, on kept plans too
    versions = read(fresh)
    parsed = list(map(Parsed, fresh, versions))
    this_year = []
    for one in parsed:
        other = next((problem for _, problem in one.version.problems if problem.rule == "WRONG-YEAR"), None)
        if other is None:
            this_year.append(one)
        else:
            notices.append(
                Notice(
                    one.item.unit_code,
                    one.item.name,
                    "PLAN-OTHER-YEAR",
                    "warning",
                    f"ไฟล์ {one.item.name} เป็นแผนของปีงบประมาณ {other.value} จึงไม่นับในปีงบประมาณ {fiscal_year}",
                )
            )
    if this_year:
        store(settings, ledger, this_year)
    latest = {
        code: s
        for (code, form_set), s in ledger.versions(fiscal_year, PLAN_ROUND).latest.items()
        if form_set == PLAN_SET
    }
    if not latest:
        raise EsaplanError(
            f"ยังไม่มีไฟล์แผนของปีงบประมาณ {fiscal_year} ในกล่องรับ plan/inbox/<รหัสกลุ่ม>/ (พบไฟล์ของปีอื่น {len(parsed) - len(this_year)} ไฟล์ ซึ่งไม่นับ): ทำแบบของปีนี้ด้วย esaplan templates --fy {fiscal_year} แล้วให้กลุ่มกรอก",
            f"no FY {fiscal_year} plan file in plan/inbox/<group code>/ ({len(parsed) - len(this_year)} files of other years are not counted)",
            fiscal_year=fiscal_year,
        )
    register = load_register(settings, fiscal_year)
    envelope = read_envelope(settings.home / "envelope.csv", fiscal_year)
    issues = area_issues(register, envelope)
    found = ledger.issues_of(s.id for s in latest.values())
    problems = {
        code: [
            Problem(i["sheet"], i["cell"], i["rule"], i["severity"], i["message_th"], i["value"]) for i in found[s.id]
        ]
        for code, s in latest.items()
    }
    path = register_path(settings, fiscal_year)
    save_workbook(_register_book(register, envelope, issues, problems, by_code, notices), path)
    return PlanRun(register, issues, problems, groups, len(items), len(this_year), notices, path)


def _register_book(
    register: Register,
    envelope: dict[str, Decimal] | None,
    issues: list[PlanIssue],
    problems: dict[str, list[Problem]],
    groups: dict[str, Unit],
    notices: list[Notice],
) -> Workbook:
    """The register as staff read it: one line per budget line, then the sums, then what is wrong."""
    book = Workbook()
    lines = book.active
    lines.title = "ทะเบียนโครงการ"
    header = [
        "กลุ่ม",
        "รหัสโครงการ",
        "โครงการ",
        "กลยุทธ์",
        "ตัวชี้วัด",
        "วัตถุประสงค์",
        "เป้าหมายเชิงปริมาณ",
        "เป้าหมายเชิงคุณภาพ",
        "ผู้รับผิดชอบ",
        "กิจกรรม",
        "ไตรมาส",
        "แหล่งงบประมาณ",
        "งบรายจ่าย",
        "งบประมาณ (บาท)",
    ]
    lines.append(header)
    for project in register.projects:
        for line in project.activities:
            lines.append(
                [
                    project.group_th,
                    project.code,
                    project.name,
                    strategy_label(project.strategy, register.fiscal_year),
                    ", ".join(project.kpis),
                    project.objective,
                    project.target_quantity,
                    project.target_quality,
                    project.responsible,
                    line.activity,
                    ", ".join(map(str, line.quarters)),
                    plan_source(line.source).th,
                    category_th(line.category),
                    line.amount,
                ]
            )
    sums = book.create_sheet("สรุปงบประมาณ")
    sums.append(["แหล่งงบประมาณ", "โครงการรวม (บาท)", "วงเงิน (บาท)", "คงเหลือ (บาท)"])
    for code, planned in register.by_source().items():
        cap = (envelope or {}).get(code)
        sums.append([plan_source(code).th, planned, cap, cap - planned if cap is not None else None])
    sums.append([])
    sums.append(["งบรายจ่าย", "งบประมาณ (บาท)"])
    for code, amount in register.by_category().items():
        sums.append([category_th(code), amount])
    sums.append([])
    sums.append(["กลยุทธ์", "งบประมาณ (บาท)", "จำนวนโครงการ"])
    for number, amount in register.by_strategy().items():
        sums.append([strategy_label(number, register.fiscal_year), amount, len(register.projects_of_strategy(number))])
    sums.append(["รวมทั้งสิ้น", register.total, len(register.projects)])
    found = book.create_sheet("ปัญหาที่พบ")
    found.append(["ระดับ", "กลุ่ม", "แผ่นงาน", "เซลล์", "รายการ", "ค่าที่กรอก", "กฎ"])
    for issue in issues:
        found.append([SEVERITY_TH[issue.severity], "(ทั้งแผน)", "-", "-", issue.message_th, None, issue.rule])
    for code, listed in sorted(problems.items()):
        for problem in listed:
            found.append(
                [
                    SEVERITY_TH[problem.severity],
                    f"{code} {groups[code].name_th if code in groups else ''}",
                    problem.sheet,
                    problem.cell,
                    problem.message_th,
                    None if problem.value is None else str(problem.value),
                    problem.rule,
                ]
            )
    for notice in notices:
        found.append(
            [
                SEVERITY_TH[notice.severity],
                notice.unit_code or "(inbox)",
                notice.channel,
                "-",
                notice.message_th,
                None,
                notice.rule,
            ]
        )
    for sheet in book.worksheets:
        office_table(sheet)
    return book
