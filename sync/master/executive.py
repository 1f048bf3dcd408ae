"""The director's page (สรุปผู้บริหาร) and the charts (แผนภูมิ), one printed page each, drawn from the
same tallies as the summary tables (:mod:`sync.master.summary`), so a figure on the director's page
is always one a summary table shows.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.text import RichText
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties
from openpyxl.worksheet.worksheet import Worksheet

from rules.forms import Form
from sync.ledger.status import STATUS_TH
from sync.master.data import MasterData
from sync.master.sheetplan import (
    BOLD,
    COUNT_FORMAT,
    DECIMAL_FORMAT,
    MONEY_FORMAT,
    TOTAL,
    WARNING_ROW,
    SheetPlan,
)
from sync.master.summary import MET, add_row, area_total, by_strategy, groups, heading, percent, unusual_flag

EXECUTIVE, CHARTS = "สรุปผู้บริหาร", "แผนภูมิ"
MOST_BEHIND = 10
CHART_ROW_CM = 0.53  # a default row (15 pt) on paper


# --- one page for the director ---------------------------------------------------------------


def executive_plan(data: MasterData) -> SheetPlan:
    """สรุปผู้บริหาร: submission rate, disbursement rate, KPIs met or not by strategy, the schools most behind."""
    plan = SheetPlan(EXECUTIVE, portrait=True, one_page=True)
    heading(data, plan, "สรุปผู้บริหาร ผลการรวมข้อมูล")
    schools = {status: counts[0] for status, counts in groups(data, "school")}
    total = sum(schools.values())

    plan.add([])
    plan.add(["การส่งข้อมูลของโรงเรียน"], BOLD)
    plan.header(["รายการ", "จำนวน (แห่ง)", "ร้อยละ"])
    for label, count in (
        ("โรงเรียนทั้งหมด", total),
        ("ส่งข้อมูลแล้ว", total - schools.get("missing", 0)),
        (f"  {STATUS_TH['on_time']}", schools.get("on_time", 0)),
        (f"  {STATUS_TH['late']}", schools.get("late", 0)),
        (f"  {STATUS_TH['errors']} (ต้องแก้ไข)", schools.get("errors", 0)),
        (STATUS_TH["missing"], schools.get("missing", 0)),
    ):
        add_row(plan, [label, count, percent(count, total)], {1: COUNT_FORMAT, 2: DECIMAL_FORMAT})

    plan.add([])
    plan.add(["การเบิกจ่ายงบประมาณที่โรงเรียนรายงาน"], BOLD)
    plan.header(["รายการ", "จำนวนเงิน (บาท)", "ร้อยละของที่ได้รับจัดสรร"])
    area = area_total(data)
    for label, amount in (
        ("ได้รับจัดสรร", area[4]),
        ("ก่อหนี้ผูกพัน", area[5]),
        ("เบิกจ่ายแล้ว", area[6]),
        ("คงเหลือ", area[4] - area[5] - area[6]),
    ):
        add_row(
            plan,
            [label, amount, percent(amount, area[4]) if label != "ได้รับจัดสรร" else None],
            {1: MONEY_FORMAT, 2: DECIMAL_FORMAT},
        )
    if flag := unusual_flag(data):
        plan.add([flag], WARNING_ROW)

    plan.add([])
    plan.add(
        [f"ตัวชี้วัดที่สถานศึกษารายงาน ({'บรรลุเป้าหมาย' if data.settings.round == 12 else 'เป็นไปตามแผน'} / ไม่ / ยังไม่มีผล)"], BOLD
    )
    plan.header(["กลยุทธ์", "บรรลุ / ตามแผน", "ไม่บรรลุ / เสี่ยง", "ยังไม่มีผล"])
    sums = [0, 0, 0]
    for strategy, results in by_strategy(data.kpi_results()).items():
        counts = [
            sum(1 for r in results if r.status in MET),
            sum(1 for r in results if r.status and r.status not in MET),
            sum(1 for r in results if r.status is None),
        ]
        sums = [a + b for a, b in zip(sums, counts, strict=True)]
        add_row(
            plan,
            [f"{strategy}. {results[0].indicator.strategy_th}", *counts],
            {1: COUNT_FORMAT, 2: COUNT_FORMAT, 3: COUNT_FORMAT},
        )
    add_row(plan, ["รวม", *sums], {1: COUNT_FORMAT, 2: COUNT_FORMAT, 3: COUNT_FORMAT}, TOTAL)

    plan.add([])
    plan.add([f"โรงเรียนที่ต้องติดตามมากที่สุด {MOST_BEHIND} แห่ง (ยังไม่ส่งก่อน แล้วเรียงตามจำนวนข้อผิดพลาด)"], BOLD)
    plan.header(["โรงเรียน", "อำเภอ", "สถานะ", "ข้อผิดพลาด"])
    behind = heapq.nsmallest(
        MOST_BEHIND,
        (
            (view.status != "missing", -(view.errors.errors if view.errors else 0), code)
            for code, view in data.views.items()
            if view.status in ("missing", "errors") and data.registry[code].kind == "school"
        ),
    )
    for not_missing, errors, code in behind:
        unit = data.registry[code]
        add_row(
            plan,
            [
                f"{unit.code} {unit.name_th}",
                unit.district_label,
                STATUS_TH["errors" if not_missing else "missing"],
                -errors,
            ],
            {3: COUNT_FORMAT},
        )
    if not behind:
        plan.add(["ทุกโรงเรียนส่งข้อมูลครบและไม่มีข้อผิดพลาด"])
    plan.widths |= {0: 46}
    return plan


# --- charts, one page each ----------------------------------------------------------------------


def charts_plan(data: MasterData, forms: list[Form]) -> SheetPlan:
    """แผนภูมิ: submission by form, then each strategy's percentage KPIs against their targets, each on its own page."""
    plan = SheetPlan(CHARTS, portrait=False, fit_width=False)  # tables and charts fit landscape A4 at 100 %
    heading(data, plan, "แผนภูมิ")
    plan.add([])
    head = plan.header(["แบบรายงาน", "ตรงเวลา", "ส่งช้า", "มีข้อผิดพลาด", "ยังไม่ส่ง"])
    counts = data.summary()
    for form in forms:
        c = counts.get(form.code, {})
        add_row(
            plan,
            [form.sheet, *(c.get(k, 0) for k in ("on_time", "late", "errors", "missing"))],
            {1: COUNT_FORMAT, 2: COUNT_FORMAT, 3: COUNT_FORMAT, 4: COUNT_FORMAT},
        )
    last = len(plan.rows)
    plan.charts.append(
        (
            _bar_chart("สถานะการส่งแยกตามแบบรายงาน", "จำนวนหน่วย", (2, 5), head, last, bars=len(forms), stacked=True),
            f"A{last + 2}",
        )
    )
    _end_page(plan, last + 1 + _rows_for(len(forms)))
    for strategy, results in by_strategy(data.kpi_results()).items():
        charted = [r for r in results if r.indicator.is_share and r.indicator.target is not None]
        if not charted:
            continue
        start = plan.add([f"กลยุทธ์ที่ {strategy} {charted[0].indicator.strategy_th}: ผลเทียบค่าเป้าหมาย (ร้อยละ)"], BOLD)
        head = plan.header(["รหัส", "ผล", "ค่าเป้าหมาย"])
        for result in charted:
            add_row(
                plan,
                [result.indicator.code, result.value, result.indicator.target],
                {1: DECIMAL_FORMAT, 2: DECIMAL_FORMAT},
            )
        last = len(plan.rows)
        plan.charts.append(
            (
                _bar_chart(f"กลยุทธ์ที่ {strategy}", "ร้อยละ", (2, 3), head, last, bars=len(charted), percent=True),
                f"D{start + 2}",
            )
        )
        _end_page(plan, start + _rows_for(len(charted)))
    plan.page_breaks.pop()  # no empty page after the last chart
    return plan


def _end_page(plan: SheetPlan, chart_bottom: int) -> None:
    """Pad below a table until its chart ends, then start a new page: a chart prints whole, never over the next."""
    while len(plan.rows) < chart_bottom:
        plan.add([])
    plan.page_breaks.append(len(plan.rows))


def _chart_height_cm(bars: int) -> float:
    """Room for every bar's label (a landscape page holds about 17 cm)."""
    return min(17.0, max(10.0, 3.0 + 0.8 * bars))


def _rows_for(bars: int) -> int:
    return int(_chart_height_cm(bars) / CHART_ROW_CM) + 2


def _bar_chart(
    title: str,
    axis: str,
    data_cols: tuple[int, int],
    header: int,
    last_row: int,
    *,
    bars: int,
    stacked: bool = False,
    percent: bool = False,
) -> Callable[[Worksheet], BarChart]:
    """A horizontal bar chart of this sheet's table (header at 0-based ``header``, data to 1-based
    ``last_row``, series in 1-based ``data_cols``): codes and form names stay readable, sized to its bars."""

    def make(sheet: Worksheet) -> BarChart:
        chart = BarChart()
        chart.type = "bar"
        if stacked:
            chart.grouping, chart.overlap = "stacked", 100
        chart.title, chart.x_axis.title = title, None
        chart.y_axis.title = axis
        chart.add_data(
            Reference(sheet, min_col=data_cols[0], max_col=data_cols[1], min_row=header + 1, max_row=last_row),
            titles_from_data=True,
        )
        chart.set_categories(Reference(sheet, min_col=1, min_row=header + 2, max_row=last_row))
        chart.x_axis.scaling.orientation = "maxMin"  # first row at the top, as in the table
        chart.x_axis.delete = chart.y_axis.delete = False
        if percent:
            chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 100
        chart.legend.position = "b"
        chart.y_axis.number_format = "0"
        chart.x_axis.tickLblSkip = 1  # every form's or indicator's name, not every other one
        small = CharacterProperties(sz=800)  # LibreOffice drops labels it thinks overlap; 8 pt keeps them all
        chart.x_axis.txPr = RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=small), endParaRPr=small)])
        chart.height, chart.width = _chart_height_cm(bars), 14
        return chart

    return make
