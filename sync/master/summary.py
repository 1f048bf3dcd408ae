"""The sheets the planning group presents: สรุปผู้บริหาร (one page), สรุป (the tables) and แผนภูมิ (charts).

Every figure comes from the rows that enter totals: a row with an error is in no total, and สรุป
says how many were left out and where. The tables read the area's sums of what each unit adds
(:func:`unit_share`), which a long-lived process keeps and changes by the changed units' difference. Tables follow what the
registry holds: by district always, by school network when the registry has networks (OBEC's
list has none), by size class from the registry or, failing that, from the pupils each school
reported. Budget is by expense category and item as units report it; KPIs by strategy.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from openpyxl.styles import PatternFill

from rules import kpi_value
from rules.forms import Form
from rules.kpi import KpiResult, Status
from rules.thai import thai_time
from sync.master.data import MasterData
from sync.master.sheetplan import (
    BOLD,
    COUNT_FORMAT,
    DECIMAL_FORMAT,
    MONEY_FORMAT,
    SUBTOTAL,
    TITLE,
    TOTAL,
    SheetPlan,
    Style,
)
from sync.master.tally import Vector
from sync.office.settings import BANGKOK

SUMMARY, KPIS = "สรุป", "สรุปตัวชี้วัด"
NOTE_WIDTH = 110  # characters of a note line under a table
LEFT_OUT_LISTED = 30  # units named in the left-out line; the issues sheet lists them all
MET = {Status.ACHIEVED, Status.ON_TRACK}


def _when() -> str:
    return thai_time(dt.datetime.now(BANGKOK))


def heading(data: MasterData, plan: SheetPlan, title: str) -> None:
    settings = data.settings
    plan.add([f"{title} ปีงบประมาณ {settings.fiscal_year} รอบ {settings.round} เดือน"], TITLE)
    plan.add([f"กลุ่มนโยบายและแผน {settings.office.name} · รวมข้อมูลเมื่อ {_when()}"])


def add_row(plan: SheetPlan, values: list[Any], formats: dict[int, str], style: Style | None = None) -> int:
    """Add a row whose cells carry their number formats (and the row's look, for subtotals and totals)."""
    r = plan.add(values, style)
    base = style or Style()
    for column, number_format in formats.items():
        plan.styles[(r, column)] = Style(base.font, base.fill, number_format, base.alignment)
    return r


def percent(part: Any, whole: Any) -> Decimal | None:
    return kpi_value(part, whole) if whole and 0 <= part <= whole else None


# --- what each unit adds up to -------------------------------------------------------------------


# --- money and people, grouped -------------------------------------------------------------------

TOTALS_HEADERS = (
    "โรงเรียน",
    "ส่งข้อมูลนักเรียน",
    "นักเรียน (คน)",
    "ห้องเรียน",
    "ได้รับจัดสรร (บาท)",
    "ก่อหนี้ผูกพัน (บาท)",
    "เบิกจ่ายแล้ว (บาท)",
    "ร้อยละการเบิกจ่าย",
)
NO_TOTALS: Vector = (
    0,
    0,
    0,
    0,
    Decimal(0),
    Decimal(0),
    Decimal(0),
)  # schools, those that sent enrolment, pupils, rooms, allocated, committed, disbursed
TOTALS_FORMATS = {1 + i: f for i, f in enumerate([COUNT_FORMAT] * 4 + [MONEY_FORMAT] * 3 + [DECIMAL_FORMAT])}


def _totals_cells(totals: Vector) -> list[Any]:
    return [*totals, percent(totals[6], totals[4])]


def groups(data: MasterData, *key: Any) -> list[tuple[Any, Vector]]:
    """The schools' totals under keys that start with ``key``, by the next part of the key, in order."""
    return sorted(
        (k[len(key)], totals) for k, totals in data.sums.items() if len(k) == len(key) + 1 and k[: len(key)] == key
    )


def unusual_flag(data: MasterData) -> str:
    """The flag beside the area's money figures when they add up amounts a school reported as
    unusually high, or more than the allocation register gave it (empty when none)."""
    rows, units = data.unusual_amounts()
    over = {n.unit_code for n in data.notices if n.rule == "OVER-REGISTER"}
    parts = [f"รายการที่สูงผิดปกติ {rows:,} รายการจาก {units:,} หน่วย (UNUSUAL-AMOUNT)"] if rows else []
    parts += [f"หน่วยที่รายงานยอดจัดสรรเกินทะเบียนคุมการจัดสรร {len(over):,} หน่วย (OVER-REGISTER)"] if over else []
    return f"⚠ ตัวเลขนี้รวม{' และ'.join(parts)} ซึ่งควรตรวจอีกครั้ง (ดูแผ่นงานปัญหาที่พบ)" if parts else ""


def area_total(data: MasterData) -> Vector:
    return data.sums.get(("area",), NO_TOTALS)


def summary_plan(data: MasterData, forms: list[Form]) -> SheetPlan:
    """สรุป: submission by form, then district, network and size, budget lines, and the rows left out."""
    plan = SheetPlan(SUMMARY)
    heading(data, plan, "สรุปการรวมข้อมูล")

    plan.add([])
    plan.add(["1. การส่งข้อมูลแยกตามแบบรายงาน"], BOLD)
    plan.header(["แบบรายงาน", "ต้องส่ง", "ส่งแล้ว", "ตรงเวลา", "ส่งช้า", "มีข้อผิดพลาด", "ยังไม่ส่ง", "ร้อยละที่ส่ง"])
    counts = data.summary()
    for form in forms:
        c = counts.get(form.code, {})
        values = [c.get(k, 0) for k in ("expected", "submitted", "on_time", "late", "errors", "missing")]
        add_row(plan, [form.sheet, *values, percent(values[1], values[0])], {7: DECIMAL_FORMAT})

    plan.add([])
    plan.add(["2. สรุปรายอำเภอ (นับเฉพาะแถวที่ไม่มีข้อผิดพลาด)"], BOLD)
    plan.header(["อำเภอ", *TOTALS_HEADERS])
    for district, totals in groups(data, "district"):
        add_row(plan, [district, *_totals_cells(totals)], TOTALS_FORMATS)
    add_row(plan, ["รวมทั้งเขต", *_totals_cells(area_total(data))], TOTALS_FORMATS, TOTAL)

    plan.add([])
    if ("has-network",) in data.sums:
        plan.add(["3. สรุปตามกลุ่มเครือข่ายและขนาดโรงเรียน (ขนาดตามทะเบียน หรือตามจำนวนนักเรียนที่รายงาน)"], BOLD)
        plan.header(["กลุ่มเครือข่าย / ขนาด", *TOTALS_HEADERS])
        for network, network_totals in groups(data, "network"):
            plan.add([network], BOLD)
            for size, totals in groups(data, "network", network):
                add_row(plan, [f"    {size}", *_totals_cells(totals)], TOTALS_FORMATS)
            add_row(plan, [f"รวม{network}", *_totals_cells(network_totals)], TOTALS_FORMATS, SUBTOTAL)
    else:
        plan.add(["3. สรุปตามขนาดโรงเรียน (ขนาดตามจำนวนนักเรียนที่รายงาน: ทะเบียนไม่มีกลุ่มเครือข่ายและขนาด)"], BOLD)
        plan.header(["ขนาด", *TOTALS_HEADERS])
        for size, totals in groups(data, "size"):
            add_row(plan, [size, *_totals_cells(totals)], TOTALS_FORMATS)
    add_row(plan, ["รวมทั้งเขต", *_totals_cells(area_total(data))], TOTALS_FORMATS, TOTAL)

    plan.add([])
    plan.add(["4. งบประมาณตามงบรายจ่ายและรายการที่หน่วยรายงาน (แบบการใช้งบประมาณ รวมกลุ่มงานในสำนักงาน)"], BOLD)
    plan.header(
        [
            "งบรายจ่าย / รายการ",
            "หน่วยที่รายงาน",
            "ได้รับจัดสรร (บาท)",
            "ก่อหนี้ผูกพัน (บาท)",
            "เบิกจ่ายแล้ว (บาท)",
            "คงเหลือ (บาท)",
            "ร้อยละการเบิกจ่าย",
        ]
    )
    money = {1: COUNT_FORMAT, 2: MONEY_FORMAT, 3: MONEY_FORMAT, 4: MONEY_FORMAT, 5: MONEY_FORMAT, 6: DECIMAL_FORMAT}
    grand: list[Any] = [0, Decimal(0), Decimal(0), Decimal(0)]
    for category, items in budget_lines(data).items():
        plan.add([category], BOLD)
        subtotal: list[Any] = [0, Decimal(0), Decimal(0), Decimal(0)]
        for item, sums in items.items():
            add_row(plan, [f"    {item}", *_budget_cells(sums)], money)
            subtotal = [a + b for a, b in zip(subtotal, sums, strict=True)]
        add_row(plan, [f"รวม{category}", *_budget_cells(subtotal)], money, SUBTOTAL)
        grand = [a + b for a, b in zip(grand, subtotal, strict=True)]
    add_row(plan, ["รวมทั้งสิ้น", *_budget_cells(grand)], money, TOTAL)

    plan.add([])
    plan.add(["5. ข้อมูลที่ไม่นำมารวม: แถวที่มีข้อผิดพลาด (คอลัมน์ 'นำไปรวม' ในแผ่นงานของแต่ละแบบ และแผ่นงาน ปัญหาที่พบ บอกทุกแถว)"], BOLD)
    plan.header(["แบบรายงาน", "แถวที่ไม่นำมารวม", "จำนวนหน่วย"])
    for form in forms:
        left_out = data.left_out(form.code)
        add_row(
            plan,
            [form.sheet, sum(len(rows) for _, rows in left_out), len(left_out)],
            {1: COUNT_FORMAT, 2: COUNT_FORMAT},
        )
        where = [f"{unit.code} แถว {', '.join(map(str, rows))}" for unit, rows in left_out[:LEFT_OUT_LISTED]]
        if len(left_out) > LEFT_OUT_LISTED:
            where.append(f"และอีก {len(left_out) - LEFT_OUT_LISTED} หน่วย")
        for line in _lines("; ".join(where), NOTE_WIDTH):
            plan.add([f"    {line}"])
    plan.widths |= {0: 42}
    return plan


def kpi_plan(data: MasterData) -> SheetPlan:
    """สรุปตัวชี้วัด: every school-reported indicator by strategy, how it adds up, its result, target and status."""
    plan = SheetPlan(KPIS)
    heading(data, plan, "ผลตามตัวชี้วัดที่สถานศึกษารายงาน แยกตามกลยุทธ์")
    plan.add(
        [
            "นับเฉพาะแถวที่ไม่มีข้อผิดพลาด; ตัวชี้วัดประชากรวัยเรียนใช้ตัวหารจากสำมะโน (population.csv) ตัวชี้วัดที่วัดการเพิ่มขึ้นเทียบผลปีงบประมาณก่อน"
        ]
    )
    plan.add([])
    head = plan.header(
        [
            "รหัส",
            "ตัวชี้วัด",
            "วิธีรวมผล",
            "โรงเรียนที่รายงาน",
            "แถวที่ไม่นำมารวม",
            "ผลรวมตัวตั้ง",
            "ตัวหาร",
            "ผล",
            "ค่าเป้าหมาย",
            "ค่าฐาน (ปีก่อน)",
            "สถานะ",
            "หมายเหตุ",
        ]
    )
    plan.title_rows = f"{head + 1}:{head + 1}"
    plan.freeze = f"C{head + 2}"
    left_out_kpis = kpi_rows_left_out(data)
    for strategy, results in by_strategy(data.kpi_results()).items():
        plan.add([f"กลยุทธ์ที่ {strategy} {results[0].indicator.strategy_th}"], BOLD)
        for result in results:
            indicator = result.indicator
            value_format = COUNT_FORMAT if indicator.aggregate == "sum" else DECIMAL_FORMAT
            r = add_row(
                plan,
                [
                    indicator.code,
                    indicator.name_th,
                    indicator.aggregate_th,
                    result.reporting,
                    left_out_kpis.get(indicator.code, 0),
                    result.numerator,
                    result.denominator if indicator.is_share else None,
                    result.value,
                    indicator.target,
                    data.baseline.get(indicator.code),
                    result.status.th if result.status else "-",
                    kpi_note(result, left_out_kpis.get(indicator.code, 0)),
                ],
                {
                    3: COUNT_FORMAT,
                    4: COUNT_FORMAT,
                    5: COUNT_FORMAT,
                    6: COUNT_FORMAT,
                    7: value_format,
                    8: DECIMAL_FORMAT,
                    9: value_format,
                },
            )
            if result.status is not None:
                plan.styles[(r, 10)] = Style(
                    fill=PatternFill("solid", fgColor="C6EFCE" if result.status in MET else "FFC7CE")
                )
    plan.wrap |= {1, 2, 11}
    plan.widths |= {1: 50, 2: 20, 10: 14, 11: 34}
    return plan


def _lines(text: str, width: int) -> list[str]:
    """Break a long note at "; " into lines of about ``width`` characters (a note row does not wrap)."""
    lines: list[str] = []
    for part in text.split("; ") if text else []:
        if lines and len(lines[-1]) + len(part) + 2 <= width:
            lines[-1] += f"; {part}"
        else:
            lines.append(part)
    return lines


def budget_lines(data: MasterData) -> dict[str, dict[str, list[Any]]]:
    """(units reporting, allocated, committed, disbursed) by Thai category name and item, from counted rows."""
    lines: dict[str, dict[str, list[Any]]] = defaultdict(dict)
    for key, sums in sorted((key, sums) for key, sums in data.sums.items() if key[0] == "budget"):
        lines[key[1]][key[2]] = list(sums)
    return dict(lines)


def _budget_cells(sums: list[Any]) -> list[Any]:
    count, allocated, committed, disbursed = sums
    return [count, allocated, committed, disbursed, allocated - committed - disbursed, percent(disbursed, allocated)]


def by_strategy(results: Iterable[KpiResult]) -> dict[int, list[KpiResult]]:
    grouped: dict[int, list[KpiResult]] = defaultdict(list)
    for result in results:
        grouped[result.indicator.strategy].append(result)
    return dict(sorted(grouped.items()))


def kpi_rows_left_out(data: MasterData) -> dict[str, int]:
    return {code: counts[0] for code, counts in groups(data, "kpi-left-out")}


def kpi_note(result: KpiResult, left_out: int) -> str | None:
    """Why a KPI has no result, as the summary says it: schools that reported only with errors did report."""
    if result.reporting == 0 and left_out:
        return f"รายงานมา {left_out} แถว แต่มีข้อผิดพลาดทุกแถว จึงยังไม่มีผล (ดูแผ่นงาน ปัญหาที่พบ)"
    return result.note_th or None
