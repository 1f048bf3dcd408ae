"""The round and annual progress reports (seed part 4, 4.2 steps 7-9: to the directors and the public),
from the plan register and the round's master data (:class:`sync.master.data.MasterData`): each
project's spending and status, the KPIs by strategy, the budget lines reported by schools.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rules.forms import form_sets
from rules.kpi import Status, strategies
from rules.plan import QUARTER_MONTHS_TH, ROUND_QUARTERS, Register
from rules.thai import thai_digits
from sync.documents.docx import (
    PROGRESS_STATUSES,
    ROUND_TITLE_TH,
    NothingToReport,
    Written,
    centre,
    chart,
    document_names,
    documents_dir,
    new_document,
    save,
    shortened,
    total_sentence,
    word_table,
)
from sync.ledger.database import open_ledger
from sync.ledger.status import STATUS_TH
from sync.master.data import MasterData
from sync.master.summary import budget_lines, by_strategy, unusual_flag
from sync.office.registry import load_registry
from sync.office.settings import Settings
from sync.registers.plan import load_register

# --- progress and the annual report ---------------------------------------------------------


@dataclass(frozen=True)
class ProjectProgress:
    """One project of the register at a round: what was planned, what its group reports."""

    code: str
    name: str
    group_th: str
    strategy: int
    planned: Decimal
    used: Decimal
    status: str
    reported: bool


def project_progress(register: Register, data: MasterData) -> list[ProjectProgress]:
    """Each register project with its group's latest counted progress rows summed (by project code)."""
    used: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    statuses: dict[tuple[str, str], list[str]] = defaultdict(list)
    for unit in data.registry.values():
        if unit.kind != "group":
            continue
        for row in data.counted_rows(unit, "project_progress"):
            key = (unit.code, str(row.get("project_code") or ""))
            used[key] += Decimal(row.get("budget_used") or 0)
            statuses[key].append(row.get("status") or "")
    result = []
    for project in register.projects:
        key = (project.group_code, project.code)
        found = statuses.get(key, [])
        status = (
            "ยังไม่รายงาน"
            if not found
            else next(
                (s for s in ("กำลังดำเนินการ", "ยังไม่เริ่ม") if s in found), "เสร็จสิ้น" if "เสร็จสิ้น" in found else found[0]
            )
        )
        result.append(
            ProjectProgress(
                project.code,
                project.name,
                project.group_th,
                project.strategy,
                project.budget,
                used.get(key, Decimal(0)),
                status,
                bool(found),
            )
        )
    return result


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part * 100 / whole).quantize(Decimal("0.01")) if whole else None


def progress_document(settings: Settings, data: MasterData, register: Register, *, annual: bool) -> Any:
    """The round's report (or, at 12 months, the annual report): KPIs, projects, money, submissions."""
    document = new_document()
    year, round_ = thai_digits(settings.fiscal_year), settings.round
    title = (
        f"รายงานผลการดำเนินงานประจำปีงบประมาณ พ.ศ. {year}"
        if annual
        else f"รายงานผลการดำเนินงาน{ROUND_TITLE_TH[round_]} ปีงบประมาณ พ.ศ. {year}"
    )
    centre(document, title, "Title")
    centre(document, settings.office_name, bold=True)
    quarters = ", ".join(f"ไตรมาสที่ {thai_digits(q)} ({QUARTER_MONTHS_TH[q]})" for q in ROUND_QUARTERS[round_])
    document.add_paragraph(
        f"ข้อมูลจากแบบรายงานที่สถานศึกษาและกลุ่มงานส่ง{ROUND_TITLE_TH[round_]} ครอบคลุม{quarters} รวบรวมและตรวจสอบด้วย esaplan"
    )

    document.add_heading("ส่วนที่ ๑ ผลการดำเนินงานตามตัวชี้วัด", level=1)
    results = by_strategy(data.kpi_results())
    for number, listed in results.items():
        document.add_heading(f"กลยุทธ์ที่ {thai_digits(number)} {strategies(settings.fiscal_year)[number]}", level=2)
        met = sum(1 for r in listed if r.status == Status.ACHIEVED or r.status == Status.ON_TRACK)
        with_result = [r for r in listed if r.value is not None]
        document.add_paragraph(
            f"ตัวชี้วัดที่สถานศึกษารายงาน {thai_digits(len(listed))} ตัว มีผล {thai_digits(len(with_result))} ตัว บรรลุหรือเป็นไปตามแผน {thai_digits(met)} ตัว"
        )
        rows = [
            [
                r.indicator.code,
                shortened(r.indicator.name_th),
                r.indicator.target,
                r.value,
                r.status.th if r.status else "ยังไม่มีผล",
                r.reporting,
            ]
            for r in listed
        ]
        word_table(
            document,
            ["รหัส", "ตัวชี้วัด", "เป้าหมาย", "ผล", "สถานะ", "โรงเรียนที่รายงาน"],
            rows,
            widths=(1.4, 7.0, 1.7, 1.7, 2.6, 2.1),
            numeric=(2, 3, 5),
        )
        if with_result:
            chart(
                document,
                f"กลยุทธ์ที่ {number}: ผลเทียบเป้าหมาย (ร้อยละ)",
                [r.indicator.code for r in with_result],
                {
                    "เป้าหมาย": [float(r.indicator.target or 0) for r in with_result],
                    "ผล": [float(r.value or 0) for r in with_result],
                },
                unit="ร้อยละ",
                width_cm=15,
            )

    document.add_heading("ส่วนที่ ๒ ผลการดำเนินงานโครงการตามแผนปฏิบัติการ", level=1)
    progress = project_progress(register, data)
    planned = sum((p.planned for p in progress), Decimal(0))
    used = sum((p.used for p in progress), Decimal(0))
    counts = {s: sum(1 for p in progress if p.status == s) for s in (*PROGRESS_STATUSES, "ยังไม่รายงาน")}
    document.add_paragraph(
        f"โครงการตามแผน {thai_digits(len(progress))} โครงการ: "
        + " ".join(f"{s} {thai_digits(n)}" for s, n in counts.items() if n)
    )
    rows = [
        [p.code, shortened(p.name, 45), p.group_th, p.planned, p.used, _percent(p.used, p.planned), p.status]
        for p in progress
    ]
    rows.append(["", "รวม", "", planned, used, _percent(used, planned), ""])
    word_table(
        document,
        ["รหัส", "โครงการ", "กลุ่มงาน", "งบตามแผน (บาท)", "ใช้จ่าย (บาท)", "ร้อยละ", "สถานะ"],
        rows,
        widths=(1.7, 4.4, 3.2, 2.4, 2.3, 1.3, 2.1),
        totals=(len(rows) - 1,),
        numeric=(3, 4, 5),
    )
    total_sentence(document, "ใช้จ่ายงบประมาณตามแผนปฏิบัติการแล้ว", used)
    by_group: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for p in progress:
        by_group[p.group_th][0] += p.planned
        by_group[p.group_th][1] += p.used
    chart(
        document,
        "งบตามแผนและการใช้จ่ายรายกลุ่มงาน",
        [shortened(g, 28) for g in by_group],
        {
            "ตามแผน": [float(v[0]) / 1e6 for v in by_group.values()],
            "ใช้จ่าย": [float(v[1]) / 1e6 for v in by_group.values()],
        },
        unit="ล้านบาท",
    )

    document.add_heading("ส่วนที่ ๓ การใช้จ่ายงบประมาณของสถานศึกษา", level=1)
    rows, totals = [], [Decimal(0), Decimal(0), Decimal(0)]
    for category, items in budget_lines(data).items():
        sums = [sum((Decimal(s[i]) for s in items.values()), Decimal(0)) for i in (1, 2, 3)]
        totals = [a + b for a, b in zip(totals, sums, strict=True)]
        rows.append([category, *sums, _percent(sums[2], sums[0])])
    rows.append(["รวม", *totals, _percent(totals[2], totals[0])])
    word_table(
        document,
        ["งบรายจ่าย", "ได้รับจัดสรร (บาท)", "ก่อหนี้ผูกพัน (บาท)", "เบิกจ่าย (บาท)", "ร้อยละเบิกจ่าย"],
        rows,
        widths=(4.5, 3.1, 3.1, 3.1, 2.2),
        totals=(len(rows) - 1,),
        numeric=(1, 2, 3, 4),
    )
    total_sentence(document, "สถานศึกษาเบิกจ่ายแล้ว", totals[2])
    if flag := unusual_flag(data):
        document.add_paragraph(flag)

    document.add_heading("ส่วนที่ ๔ การส่งข้อมูลและคุณภาพข้อมูล", level=1)
    summary = data.summary()
    titles = {f.code: f.sheet for s in form_sets().values() for f in s.forms}
    rows = [
        [titles.get(code, code), c["expected"], c["submitted"], c["on_time"], c["late"], c["errors"], c["missing"]]
        for code, c in summary.items()
    ]
    word_table(
        document,
        [
            "แบบรายงาน",
            "ต้องส่ง",
            "ส่งแล้ว",
            STATUS_TH["on_time"],
            STATUS_TH["late"],
            STATUS_TH["errors"],
            STATUS_TH["missing"],
        ],
        rows,
        widths=(4.3, 1.7, 1.7, 2.0, 1.7, 2.3, 2.0),
        numeric=(1, 2, 3, 4, 5, 6),
    )
    errors = data.units_with_errors()
    document.add_paragraph(
        f"หน่วยที่มีข้อผิดพลาดในรอบนี้ {thai_digits(len(errors))} หน่วย (รายการทั้งหมดอยู่ในแผ่นงาน ปัญหาที่พบ ของไฟล์รวม)"
    )
    if annual:
        document.add_heading("ส่วนที่ ๕ สรุปภาพรวมประจำปี", level=1)
        achieved = sum(1 for r in data.kpi_results() if r.status == Status.ACHIEVED)
        document.add_paragraph(
            f"ตัวชี้วัดที่บรรลุเป้าหมาย {thai_digits(achieved)} จาก {thai_digits(len(data.kpi_results()))} ตัว โครงการเสร็จสิ้น {thai_digits(counts['เสร็จสิ้น'])} จาก {thai_digits(len(progress))} โครงการ ใช้จ่ายงบประมาณตามแผนร้อยละ {thai_digits(_percent(used, planned) or 0)}"
        )
    return document


def round_data(settings: Settings) -> MasterData:
    """The round's master data, as the last consolidation saw it (ledger and registry)."""
    registry = load_registry(settings.registry_path)
    return MasterData.collect(settings, open_ledger(settings.database_url), registry, [])


def write_progress(settings: Settings, *, annual: bool = False) -> Written:
    settings = settings.with_round(settings.fiscal_year, 12) if annual else settings
    register = load_register(settings, settings.fiscal_year)
    data = round_data(settings)
    if not register.projects and not data.latest:
        raise NothingToReport(
            f"ยังไม่มีข้อมูลของปีงบประมาณ {settings.fiscal_year} รอบ {settings.round} เดือน: ไม่มีแผนที่ผ่านการตรวจและไม่มีแบบรายงานที่รวมแล้ว",
            f"nothing to report for FY {settings.fiscal_year} round {settings.round}: no accepted plan and no consolidated submission",
            fiscal_year=settings.fiscal_year,
            round=settings.round,
        )
    names = document_names(settings.fiscal_year, settings.round)
    path = documents_dir(settings, settings.fiscal_year) / f"{names['annual' if annual else 'progress']}.docx"
    return save(progress_document(settings, data, register, annual=annual), path)
