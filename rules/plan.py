"""The annual action plan as data: projects, activities and money, and the checks a plan must pass.

Seed part 4, 2.3: the action plan sets, for one fiscal year, the projects, activities, KPIs,
budget, period and who is responsible. Each group of the office hands in its projects (sheet
โครงการ) and their activities with quarters and money by source and expense category (sheet
กิจกรรมและงบประมาณ). :func:`group_plan` turns one group's two read sheets into projects and
the problems of that group, cell by cell; :func:`area_issues` checks the whole register against
the office's envelope and the KPI catalogue. Money is Decimal throughout; every summary is a sum
of activity amounts, so the tables of the documents add up to the register by construction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rules.budget_sources import plan_source, plan_sources
from rules.forms import Problem, cell_name
from rules.kpi import kpis, plan_period, strategies
from rules.money import format_number

QUARTERS = (1, 2, 3, 4)
QUARTER_MONTHS_TH = {1: "ต.ค.-ธ.ค.", 2: "ม.ค.-มี.ค.", 3: "เม.ย.-มิ.ย.", 4: "ก.ค.-ก.ย."}
#: the fiscal quarters a 6, 9 or 12-month progress round covers
ROUND_QUARTERS = {6: (1, 2), 9: (1, 2, 3), 12: (1, 2, 3, 4)}
# What a project is linked to in the national plans and measured by, as eMENSCR asks it (optional columns
# of the plan_project form); kept as given, for the eMENSCR export.
LINKS = (
    "national_strategy",
    "master_plan",
    "master_plan_target",
    "nesdp_milestone",
    "sdg",
    "project_kpi",
    "project_kpi_target",
    "project_kpi_unit",
)


@dataclass(frozen=True)
class Activity:
    """One budget line of a project: an activity, the quarters it runs in, and its money."""

    activity: str
    quarters: tuple[int, ...]
    source: str
    category: str
    amount: Decimal


@dataclass(frozen=True)
class Project:
    """One project of the plan, as the group that runs it handed it in."""

    group_code: str
    group_th: str
    code: str
    name: str
    strategy: int
    kpis: tuple[str, ...]
    objective: str
    target_quantity: str
    target_quality: str
    responsible: str
    activities: tuple[Activity, ...]
    links: tuple[tuple[str, str], ...] = ()  # (a key of LINKS, its text), only those the group filled

    def link(self, key: str) -> str:
        return dict(self.links).get(key, "")

    @property
    def budget(self) -> Decimal:
        return sum((a.amount for a in self.activities), Decimal(0))

    @property
    def quarters(self) -> set[int]:
        return {q for a in self.activities for q in a.quarters}

    def activity_names(self) -> list[str]:
        """Each activity once, in the order handed in (an activity paid from two sources is two lines)."""
        return list(dict.fromkeys(a.activity for a in self.activities))


@dataclass(frozen=True)
class PlanIssue:
    """A problem of the register as a whole (not of one cell): over the envelope, a KPI no project serves."""

    rule: str
    severity: str
    message_th: str
    group_code: str | None = None


@dataclass(frozen=True)
class Register:
    """The year's action plan: every group's accepted projects."""

    fiscal_year: int
    projects: tuple[Project, ...]

    @property
    def total(self) -> Decimal:
        return sum((p.budget for p in self.projects), Decimal(0))

    def by_source(self) -> dict[str, Decimal]:
        return _sum_lines(self.projects, lambda p, a: a.source, order=[s.code for s in plan_sources()])

    def by_category(self) -> dict[str, Decimal]:
        return _sum_lines(self.projects, lambda p, a: a.category)

    def by_strategy(self) -> dict[int, Decimal]:
        return _sum_lines(self.projects, lambda p, a: p.strategy, order=list(strategies(self.fiscal_year)))

    def by_group(self) -> dict[str, Decimal]:
        return _sum_lines(self.projects, lambda p, a: p.group_th)

    def projects_of_strategy(self, strategy: int) -> list[Project]:
        return [p for p in self.projects if p.strategy == strategy]

    def served_kpis(self) -> dict[str, list[Project]]:
        served: dict[str, list[Project]] = defaultdict(list)
        for project in self.projects:
            for code in project.kpis:
                served[code].append(project)
        return dict(served)


def _sum_lines(projects: Iterable[Project], key: Any, order: Sequence[Any] = ()) -> dict[Any, Decimal]:
    """Activity amounts summed by ``key(project, line)``; keys in ``order`` come first, even at zero."""
    totals: dict[Any, Decimal] = {k: Decimal(0) for k in order}
    for project in projects:
        for line in project.activities:
            k = key(project, line)
            totals[k] = totals.get(k, Decimal(0)) + line.amount
    return totals


def _text(value: Any) -> str:
    """A cell as text, a number without the ``.0`` a spreadsheet adds (160, not 160.0)."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return f"{Decimal(str(value)).normalize():f}"
    return str(value).strip()


def group_plan(
    group_code: str,
    group_th: str,
    project_rows: Sequence[Mapping[str, Any]],
    activity_rows: Sequence[Mapping[str, Any]],
    *,
    project_sheet: str,
    activity_sheet: str,
    columns: Mapping[str, Mapping[str, int]],
    row_errors: Mapping[str, set[int]],
) -> tuple[list[Project], list[Problem]]:
    """One group's projects from its two read sheets, and what is wrong between them.

    ``columns`` gives each sheet's column index by key (to name cells), ``row_errors`` the sheet
    rows that already have an error of their own: such rows are left out, as in every form.
    A project whose row has an error is left out with its activities (its row says why).
    Problems: a project code twice, an activity of a project not on the projects sheet, an
    activity in no quarter, a project with no activity (errors) and a project with no activity
    in some quarter (a warning: the planners decide whether that is intended).
    """
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    kept_rows: list[Mapping[str, Any]] = []
    left_out: set[Any] = set()  # projects whose own row has an error: their activities go with them, unflagged
    for row in project_rows:
        code = row.get("project_code")
        if row["_row"] in row_errors.get(project_sheet, set()) or not code:
            left_out.add(code)
            continue
        if code in seen:
            where = cell_name(row["_row"] - 1, columns[project_sheet]["project_code"])
            problems.append(
                Problem(
                    project_sheet,
                    where,
                    "PLAN-DUPLICATE",
                    "error",
                    f"รหัสโครงการ {code} ซ้ำกับแถว {seen[code]}: โครงการละหนึ่งแถว",
                    code,
                    "project_code",
                )
            )
            continue
        seen[code] = row["_row"]
        kept_rows.append(row)
    lines: dict[str, list[Activity]] = defaultdict(list)
    for row in activity_rows:
        code = row.get("project_code")
        if row["_row"] in row_errors.get(activity_sheet, set()) or not code or code in left_out:
            continue
        where = cell_name(row["_row"] - 1, columns[activity_sheet]["project_code"])
        if code not in seen:
            problems.append(
                Problem(
                    activity_sheet,
                    where,
                    "PLAN-PROJECT-UNKNOWN",
                    "error",
                    f"ไม่มีโครงการรหัส {code} ในแผ่นงาน '{project_sheet}': แก้รหัสให้ตรง หรือเพิ่มโครงการ",
                    code,
                    "project_code",
                )
            )
            continue
        quarters = tuple(q for q in QUARTERS if row.get(f"q{q}"))
        if not quarters:
            where_q = cell_name(row["_row"] - 1, columns[activity_sheet]["q1"])
            problems.append(
                Problem(
                    activity_sheet,
                    where_q,
                    "PLAN-NO-QUARTER",
                    "error",
                    f"กิจกรรม '{row.get('activity')}' ไม่ได้ระบุไตรมาสที่ดำเนินการ: ใส่ ใช่ ในไตรมาสที่ทำ",
                    None,
                    "q1",
                )
            )
            continue
        lines[code].append(
            Activity(str(row["activity"]), quarters, str(row["source"]), str(row["category"]), Decimal(row["amount"]))
        )
    projects = []
    for row in kept_rows:
        code = row["project_code"]
        where = cell_name(row["_row"] - 1, columns[project_sheet]["project_code"])
        if not lines.get(code):
            problems.append(
                Problem(
                    project_sheet,
                    where,
                    "PLAN-NO-ACTIVITY",
                    "error",
                    f"โครงการ {code} ไม่มีกิจกรรมในแผ่นงาน '{activity_sheet}': กรอกกิจกรรม ไตรมาส และงบประมาณ",
                    code,
                    "project_code",
                )
            )
            continue
        project = Project(
            group_code,
            group_th,
            code,
            str(row["project"]),
            int(row["strategy"]),
            tuple(row["kpis"]),
            str(row.get("objective") or ""),
            str(row.get("target_quantity") or ""),
            str(row.get("target_quality") or ""),
            str(row.get("responsible") or ""),
            tuple(lines[code]),
            tuple((key, _text(row[key])) for key in LINKS if row.get(key) not in (None, "")),
        )
        empty = [q for q in QUARTERS if q not in project.quarters]
        if empty:
            listed = ", ".join(f"{q} ({QUARTER_MONTHS_TH[q]})" for q in empty)
            problems.append(
                Problem(
                    project_sheet,
                    where,
                    "PLAN-QUARTER-EMPTY",
                    "warning",
                    f"โครงการ {code} ไม่มีกิจกรรมในไตรมาส {listed}: ตรวจว่าตั้งใจเช่นนั้น",
                    code,
                    "project_code",
                )
            )
        projects.append(project)
    return projects, problems


def area_issues(register: Register, envelope: Mapping[str, Decimal] | None) -> list[PlanIssue]:
    """The register against the office's envelope per source and against the KPI catalogue."""
    issues: list[PlanIssue] = []
    period = plan_period(register.fiscal_year)
    if not period.covers(register.fiscal_year):
        issues.append(
            PlanIssue(
                "PLAN-OUTSIDE-PERIOD",
                "warning",
                f"ปีงบประมาณ {register.fiscal_year} อยู่นอกช่วงของแผนที่กลยุทธ์และตัวชี้วัดสังกัด ({period.th} พ.ศ. {period.first_fiscal_year}-{period.last_fiscal_year}): ยังใช้กลยุทธ์ชุดนี้จนกว่าจะเพิ่มแผนใหม่เป็นไฟล์ rules/data/kpi/catalogue_<ปีงบประมาณแรกของแผน>.yaml",
            )
        )
    by_source = register.by_source()
    for code, planned in by_source.items():
        if not planned:
            continue
        th = plan_source(code).th
        if envelope is None or code not in envelope:
            issues.append(
                PlanIssue(
                    "PLAN-NO-ENVELOPE",
                    "warning",
                    f"{th}: ยังไม่ได้บันทึกวงเงินของปี {register.fiscal_year} ใน envelope.csv จึงตรวจยอดรวม {format_number(planned)} บาท ไม่ได้",
                )
            )
            continue
        if planned > envelope[code]:
            groups: defaultdict[str, Decimal] = defaultdict(Decimal)
            for project in register.projects:
                for line in project.activities:
                    if line.source == code:
                        groups[project.group_th] += line.amount
            shares = ", ".join(f"{g} {format_number(v)}" for g, v in sorted(groups.items(), key=lambda kv: -kv[1]))
            issues.append(
                PlanIssue(
                    "PLAN-OVER-ENVELOPE",
                    "error",
                    f"{th}: โครงการรวม {format_number(planned)} บาท เกินวงเงิน {format_number(envelope[code])} บาท อยู่ {format_number(planned - envelope[code])} บาท (แยกตามกลุ่ม: {shares})",
                )
            )
    served = register.served_kpis()
    for entry in kpis(fiscal_year=register.fiscal_year):
        if entry.code not in served:
            issues.append(
                PlanIssue("PLAN-KPI-UNSERVED", "warning", f"ตัวชี้วัด {entry.code} ({entry.name_th}) ไม่มีโครงการใดตอบ")
            )
    return issues
