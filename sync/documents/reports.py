"""The round's progress report (รายงานผลการดำเนินงาน รอบ ๖ ๙ ๑๒ เดือน) and the annual report, in the
structure Thai area offices publish them (seed part 4, 4.2 steps 7-9):

    ปก, คำนำ, สารบัญ, ส่วนที่ ๑ บทนำ, ส่วนที่ ๒ ผลการดำเนินงานตามตัวชี้วัด, ส่วนที่ ๓ ผลการดำเนินงาน
    โครงการ, ส่วนที่ ๔ การใช้จ่ายงบประมาณของสถานศึกษา, ส่วนที่ ๕ ปัญหา อุปสรรค และข้อเสนอแนะ,
    ภาคผนวก การส่งข้อมูล.

The annual report adds what a year shows and a round does not: every round of the year side by side
(indicators met, projects done, money spent) before the problems. Indicators and projects appear by
name (the indicator's number ๑.๔ cites ส่วนที่ ๒ of the plan); codes stay in the workbooks. Problems
are those the groups wrote in their progress rows, then what the figures themselves show (projects not
reported, spending behind the round's share, indicators not met), each with its suggestion.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from pythainlp.util import thai_strftime

from rules.forms import form_sets
from rules.kpi import Status, strategies
from rules.money import format_number
from rules.plan import QUARTER_MONTHS_TH, ROUND_QUARTERS, Register
from rules.thai import BANGKOK, reporting_round, thai_digits
from sync.documents.action_plan import kpi_number
from sync.documents.basics import basics_tables
from sync.documents.docx import (
    PROGRESS_STATUSES,
    ROUND_TITLE_TH,
    NothingToReport,
    Written,
    chart,
    document_names,
    documents_dir,
    save_with_contents,
    total_sentence,
)
from sync.documents.look import centre, contents, cover, indented, new_document, new_page, numbered
from sync.documents.progress import ProjectProgress, obstacles, project_progress, round_data
from sync.documents.tables import word_table
from sync.ledger.status import STATUS_TH
from sync.master.data import MasterData
from sync.master.summary import budget_lines, by_strategy, unusual_flag
from sync.office.settings import Settings
from sync.registers.plan import load_register

PARTS = (
    "ส่วนที่ ๑ บทนำ",
    "ส่วนที่ ๒ ผลการดำเนินงานตามตัวชี้วัด",
    "ส่วนที่ ๓ ผลการดำเนินงานโครงการตามแผนปฏิบัติการ",
    "ส่วนที่ ๔ การใช้จ่ายงบประมาณของสถานศึกษา",
)
ANNUAL_PART = "ส่วนที่ ๕ สรุปผลการดำเนินงานประจำปี"
APPENDIX = "ภาคผนวก การส่งข้อมูลและคุณภาพข้อมูล"
BEHIND = Decimal("0.8")  # a project spending less than this share of what the round expects is behind


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part * 100 / whole).quantize(Decimal("0.01")) if whole else None


def _parts(annual: bool) -> list[str]:
    last = "ส่วนที่ ๖ ปัญหา อุปสรรค และข้อเสนอแนะ" if annual else "ส่วนที่ ๕ ปัญหา อุปสรรค และข้อเสนอแนะ"
    return [*PARTS, *([ANNUAL_PART] if annual else []), last, APPENDIX]


def progress_document(
    settings: Settings,
    data: MasterData,
    register: Register,
    *,
    annual: bool,
    pages: dict[str, int],
    rounds: dict[int, MasterData],
) -> Any:
    """The round's report, or at 12 months with ``annual`` the year's, with ``rounds`` of the year."""
    year, round_ = thai_digits(settings.fiscal_year), settings.round
    title = (
        f"รายงานผลการดำเนินงานประจำปีงบประมาณ พ.ศ. {year}"
        if annual
        else f"รายงานผลการดำเนินงาน{ROUND_TITLE_TH[round_]} ปีงบประมาณ พ.ศ. {year}"
    )
    parts = _parts(annual)
    office = settings.office.in_thai_digits()
    document = new_document()
    cover(document, title, office.name, office.garuda_path(settings.home), draft=False)
    centre(document, "คำนำ", "Title")
    period = ", ".join(f"ไตรมาสที่ {thai_digits(q)} ({QUARTER_MONTHS_TH[q]})" for q in ROUND_QUARTERS[round_])
    indented(
        document,
        f"{title} ของ{office.name} จัดทำขึ้นเพื่อรายงานผลการดำเนินงานตามกลยุทธ์ ตัวชี้วัด และโครงการตามแผนปฏิบัติการ "
        f"ครอบคลุม{period} จากแบบรายงานที่สถานศึกษาและกลุ่มงานส่ง เพื่อเสนอผู้บริหารใช้ประกอบการตัดสินใจ "
        "และเผยแพร่ต่อสาธารณะ",
    )
    indented(document, "ขอขอบคุณสถานศึกษาและกลุ่มงานทุกแห่งที่ส่งข้อมูล และหวังว่ารายงานฉบับนี้จะเป็นประโยชน์ต่อการพัฒนาการศึกษาต่อไป")
    month = thai_digits(thai_strftime(dt.datetime.now(BANGKOK).replace(tzinfo=None), "%B %Y"))
    for text in ("", office.section, office.name, month):
        centre(document, text).paragraph_format.left_indent = document.sections[0].page_width // 3
    new_page(document)
    contents(document, [(part, pages.get(part)) for part in parts])
    document.add_heading(parts[0], level=1)
    ends = reporting_round(settings.fiscal_year, round_).ends
    indented(
        document,
        f"รายงานนี้ใช้ข้อมูลที่สถานศึกษาและกลุ่มงานส่ง{ROUND_TITLE_TH[round_]} (สิ้นสุดวันที่ "
        f"{thai_digits(thai_strftime(dt.datetime.combine(ends, dt.time()), '%-d %B %Y'))}) ที่ผ่านการตรวจแล้ว",
    )
    basics_tables(document, data, "๑")
    progress = project_progress(register, data)
    _indicators(document, settings, data, parts[1])
    _projects(document, progress, parts[2])
    _school_money(document, data, parts[3])
    if annual:
        _year(document, settings, register, rounds, parts[4])
    _problems(document, settings, register, data, progress, parts[-2])
    _appendix(document, data, parts[-1])
    return document


def _indicators(document: Any, settings: Settings, data: MasterData, part: str) -> None:
    document.add_heading(part, level=1)
    for number, listed in by_strategy(data.kpi_results()).items():
        document.add_heading(
            f"กลยุทธ์ที่ {thai_digits(number)} {thai_digits(strategies(settings.fiscal_year)[number])}", level=2
        )
        met = sum(1 for r in listed if r.status in (Status.ACHIEVED, Status.ON_TRACK))
        with_result = [r for r in listed if r.value is not None]
        indented(
            document,
            f"ตัวชี้วัด {thai_digits(len(listed))} ตัว มีผลการดำเนินงาน {thai_digits(len(with_result))} ตัว "
            f"บรรลุหรือเป็นไปตามแผน {thai_digits(met)} ตัว",
        )
        rows = [
            [
                f"{kpi_number(r.indicator)} {r.indicator.name_th}",
                r.indicator.target,
                r.value,
                r.status.th if r.status else "ยังไม่มีผล",
                r.reporting,
            ]
            for r in listed
        ]
        word_table(
            document,
            ["ตัวชี้วัด", "เป้าหมาย", "ผล", "สถานะ", "รายงาน (แห่ง)"],
            rows,
            numeric=(1, 2, 4),
        )
        chart(
            document,
            f"กลยุทธ์ที่ {number}: ผลเทียบค่าเป้าหมาย",
            [f"ตัวชี้วัด {kpi_number(r.indicator)}" for r in with_result],
            {
                "ค่าเป้าหมาย": [float(r.indicator.target or 0) for r in with_result],
                "ผล": [float(r.value or 0) for r in with_result],
            },
            unit="ร้อยละ",
            width_cm=15,
        )


def _projects(document: Any, progress: list[ProjectProgress], part: str) -> None:
    document.add_heading(part, level=1)
    planned = sum((p.planned for p in progress), Decimal(0))
    used = sum((p.used for p in progress), Decimal(0))
    counts = {s: sum(1 for p in progress if p.status == s) for s in (*PROGRESS_STATUSES, "ยังไม่รายงาน")}
    indented(
        document,
        f"โครงการตามแผน {thai_digits(len(progress))} โครงการ "
        + " ".join(f"{s} {thai_digits(n)} โครงการ" for s, n in counts.items() if n),
    )
    rows: list[list[Any]] = [
        [thai_digits(i), p.name, p.group_th, p.planned, p.used, _percent(p.used, p.planned), p.status]
        for i, p in enumerate(progress, start=1)
    ]
    rows.append(["", "รวม", "", planned, used, _percent(used, planned), ""])
    word_table(
        document,
        ["ที่", "โครงการ", "กลุ่มงาน", "งบตามแผน (บาท)", "ใช้จ่าย (บาท)", "ร้อยละ", "สถานะ"],
        rows,
        totals=(len(rows) - 1,),
        numeric=(3, 4, 5),
        centred=(0,),
    )
    total_sentence(document, "ใช้จ่ายงบประมาณตามแผนปฏิบัติการแล้ว", used)
    by_group: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for p in progress:
        by_group[p.group_th][0] += p.planned
        by_group[p.group_th][1] += p.used
    if used:
        chart(
            document,
            "งบตามแผนและการใช้จ่ายรายกลุ่มงาน",
            list(by_group),
            {
                "ตามแผน": [float(v[0]) / 1e6 for v in by_group.values()],
                "ใช้จ่าย": [float(v[1]) / 1e6 for v in by_group.values()],
            },
            unit="ล้านบาท",
        )
    else:
        document.add_paragraph("ยังไม่มีกลุ่มงานใดรายงานการใช้จ่ายในรอบนี้")


def _school_money(document: Any, data: MasterData, part: str) -> None:
    document.add_heading(part, level=1)
    rows: list[list[Any]] = []
    totals = [Decimal(0), Decimal(0), Decimal(0)]
    for category, items in budget_lines(data).items():
        sums = [sum((Decimal(s[i]) for s in items.values()), Decimal(0)) for i in (1, 2, 3)]
        totals = [a + b for a, b in zip(totals, sums, strict=True)]
        rows.append([category, *sums, _percent(sums[2], sums[0])])
    rows.append(["รวม", *totals, _percent(totals[2], totals[0])])
    word_table(
        document,
        ["งบรายจ่าย", "ได้รับจัดสรร (บาท)", "ก่อหนี้ผูกพัน (บาท)", "เบิกจ่าย (บาท)", "ร้อยละเบิกจ่าย"],
        rows,
        totals=(len(rows) - 1,),
        numeric=(1, 2, 3, 4),
    )
    total_sentence(document, "สถานศึกษาเบิกจ่ายแล้ว", totals[2])
    if flag := unusual_flag(data):
        document.add_paragraph(flag)


def _year(document: Any, settings: Settings, register: Register, rounds: dict[int, MasterData], part: str) -> None:
    """Each round of the year side by side: what a year shows that its last round alone does not."""
    document.add_heading(part, level=1)
    rows: list[list[Any]] = []
    for months, data in sorted(rounds.items()):
        results = data.kpi_results()
        progress = project_progress(register, data)
        done = sum(1 for p in progress if p.status == "เสร็จสิ้น")
        used = sum((p.used for p in progress), Decimal(0))
        money = [sum((Decimal(s[3]) for s in items.values()), Decimal(0)) for items in budget_lines(data).values()]
        rows.append(
            [
                f"รอบ {thai_digits(months)} เดือน",
                sum(1 for r in results if r.value is not None),
                sum(1 for r in results if r.status == Status.ACHIEVED),
                done,
                used,
                sum(money, Decimal(0)),
            ]
        )
    word_table(
        document,
        ["รอบรายงาน", "ตัวชี้วัดที่มีผล", "ตัวชี้วัดที่บรรลุ", "โครงการเสร็จสิ้น", "กลุ่มงานใช้จ่าย (บาท)", "สถานศึกษาเบิกจ่าย (บาท)"],
        rows,
        numeric=(1, 2, 3, 4, 5),
    )
    last = rows[-1] if rows else None
    if last is not None:
        indented(
            document,
            f"ณ สิ้นปีงบประมาณ พ.ศ. {thai_digits(settings.fiscal_year)} ตัวชี้วัดบรรลุค่าเป้าหมาย {thai_digits(last[2])} "
            f"จาก {thai_digits(last[1])} ตัวที่มีผล โครงการเสร็จสิ้น {thai_digits(last[3])} จาก "
            f"{thai_digits(len(register.projects))} โครงการ กลุ่มงานใช้จ่ายงบประมาณตามแผนร้อยละ "
            f"{thai_digits(format_number(_percent(last[4], register.total) or Decimal(0)))}",
        )


def _problems(
    document: Any, settings: Settings, register: Register, data: MasterData, progress: list[ProjectProgress], part: str
) -> None:
    """What groups wrote, then what the figures show, each with what to do about it."""
    document.add_heading(part, level=1)
    written = obstacles(register, data)
    expected = reporting_round(settings.fiscal_year, settings.round).expected_progress
    silent = [p for p in progress if not p.reported]
    behind = [p for p in progress if p.reported and p.planned and p.used < p.planned * expected * BEHIND]
    missed = [r for r in data.kpi_results() if r.status not in (None, Status.ACHIEVED, Status.ON_TRACK)]
    document.add_heading("ปัญหาและอุปสรรค", level=2)
    problems = [f"{o.project} ({o.group_th}): {o.problem}" for o in written if o.problem]
    if silent:
        problems.append(
            f"โครงการที่กลุ่มงานยังไม่รายงานความก้าวหน้า {thai_digits(len(silent))} โครงการ: {', '.join(p.name for p in silent)}"
        )
    if behind:
        problems.append(
            f"โครงการที่ใช้จ่ายต่ำกว่าร้อยละ {thai_digits(int(expected * BEHIND * 100))} ของงบตามแผนในรอบนี้ "
            f"{thai_digits(len(behind))} โครงการ: {', '.join(p.name for p in behind)}"
        )
    if missed:
        problems.append(
            f"ตัวชี้วัดที่ยังไม่บรรลุค่าเป้าหมาย {thai_digits(len(missed))} ตัว: "
            + ", ".join(f"ตัวชี้วัดที่ {kpi_number(r.indicator)}" for r in missed)
        )
    numbered(document, problems or ["ไม่พบปัญหาจากรายงานของกลุ่มงานและข้อมูลในรอบนี้"])
    document.add_heading("ข้อเสนอแนะ", level=2)
    suggestions = [f"{o.project}: {o.suggestion}" for o in written if o.suggestion]
    if silent:
        suggestions.append("ติดตามให้กลุ่มงานรายงานความก้าวหน้าโครงการให้ครบก่อนสิ้นรอบถัดไป")
    if behind:
        suggestions.append("เร่งรัดการดำเนินงานและการใช้จ่ายของโครงการที่ล่าช้า หรือปรับแผนการใช้จ่ายตามขั้นตอนการโอนเปลี่ยนแปลง")
    if missed:
        suggestions.append("ทบทวนกิจกรรมของโครงการที่ตอบตัวชี้วัดที่ยังไม่บรรลุ และกำหนดมาตรการเพิ่มเติมในรอบถัดไป")
    numbered(document, suggestions or ["ดำเนินงานตามแผนต่อไป"])


def _appendix(document: Any, data: MasterData, part: str) -> None:
    document.add_heading(part, level=1)
    titles = {f.code: f.sheet for s in form_sets().values() for f in s.forms}
    rows = [
        [titles.get(code, code), c["expected"], c["submitted"], c["on_time"], c["late"], c["errors"], c["missing"]]
        for code, c in data.summary().items()
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
        numeric=(1, 2, 3, 4, 5, 6),
    )
    document.add_paragraph(
        f"หน่วยที่มีข้อผิดพลาดในรอบนี้ {thai_digits(len(data.units_with_errors()))} หน่วย (รายการทั้งหมดอยู่ในแผ่นงาน ปัญหาที่พบ ของไฟล์รวม)"
    )


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
    rounds = (
        {
            months: data if months == 12 else round_data(settings.with_round(settings.fiscal_year, months))
            for months in sorted(ROUND_QUARTERS)
        }
        if annual
        else {}
    )
    rounds = {months: found for months, found in rounds.items() if found.latest}
    names = document_names(settings.fiscal_year, settings.round)
    path = documents_dir(settings, settings.fiscal_year) / f"{names['annual' if annual else 'progress']}.docx"
    return save_with_contents(
        lambda pages: progress_document(settings, data, register, annual=annual, pages=pages, rounds=rounds), path
    )
