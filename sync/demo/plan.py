"""The demo office's action plan: each group's projects as a group would fill the plan workbook.

Each group proposes three to five projects on the strategies of its own work, each serving one to
three of that strategy's KPIs, with two or three activities paid mostly from OBEC's allocation.
Some groups make the mistakes people make (listed in ``demo-plan-mistakes.csv`` with sheet, cell
and rule); the envelope is set so that OBEC's source is overspent by the plan, as first drafts are.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

from rules import kpis
from rules.forms import column_letter, form_sets, forms
from rules.plan import QUARTERS
from sync.intake.templates import HEADER_ROW, write_template
from sync.office.registry import Unit

#: the strategies each group's work serves (by group code)
GROUP_STRATEGIES = {
    "G01": (4,),
    "G02": (4, 1),
    "G03": (1, 4),
    "G04": (4,),
    "G05": (3,),
    "G06": (3, 2),
    "G07": (2,),
    "G08": (1, 2),
    "G09": (4,),
}
THEMES = {
    1: ["ขยายโอกาสทางการศึกษา", "ดูแลช่วยเหลือนักเรียน", "ลดอัตราการออกกลางคัน", "ทุนการศึกษาผู้เรียนยากจน"],
    2: ["ยกระดับผลสัมฤทธิ์ทางการเรียน", "ส่งเสริมการอ่านการเขียน", "พัฒนาทักษะภาษาอังกฤษ", "ส่งเสริมสะเต็มศึกษา", "นิเทศการจัดการเรียนรู้"],
    3: ["พัฒนาครูด้วยระบบออนไลน์", "ชุมชนการเรียนรู้ทางวิชาชีพ (PLC)", "ประเมินวิทยฐานะครู", "สร้างขวัญกำลังใจบุคลากร"],
    4: [
        "บริหารงบประมาณอย่างมีประสิทธิภาพ",
        "จัดทำแผนปฏิบัติการประจำปี",
        "พัฒนาระบบเทคโนโลยีดิจิทัล",
        "ประกันคุณภาพการศึกษา",
        "เครือข่ายความร่วมมือ",
    ],
}
ACTIVITIES = ["ประชุมเชิงปฏิบัติการ", "อบรมพัฒนา", "นิเทศติดตามในสถานศึกษา", "จัดทำเอกสาร/สื่อ", "ประเมินและสรุปผล"]
PLAN_MISTAKE_COLUMNS = ("unit_code", "mistake", "sheet", "cell", "rule")


def national_links(strategy: int, schools: int) -> dict[str, Any]:
    """What an education project is usually linked to in eMENSCR: the 20-year national strategy's human
    resources side (or public administration, for the office's own management), master plan issue 12
    (learning) or 20 (public services), the 13th plan's milestone 12, SDG 4; its indicator the schools
    it reaches."""
    managing = strategy == 4
    return {
        "national_strategy": "ด้านที่ 6 การปรับสมดุลและพัฒนาระบบการบริหารจัดการภาครัฐ"
        if managing
        else "ด้านที่ 3 การพัฒนาและเสริมสร้างศักยภาพทรัพยากรมนุษย์",
        "master_plan": "ประเด็นที่ 20 การบริการประชาชนและประสิทธิภาพภาครัฐ" if managing else "ประเด็นที่ 12 การพัฒนาการเรียนรู้",
        "master_plan_target": "การพัฒนาระบบบริหารงานภาครัฐ"
        if managing
        else "การปฏิรูปกระบวนการเรียนรู้ที่ตอบสนองต่อการเปลี่ยนแปลงในศตวรรษที่ 21",
        "nesdp_milestone": "หมุดหมายที่ 12 ไทยมีกำลังคนสมรรถนะสูง มุ่งเรียนรู้อย่างต่อเนื่อง",
        "sdg": "เป้าหมายที่ 4 การศึกษาที่มีคุณภาพ",
        "project_kpi": "จำนวนสถานศึกษาที่ได้รับการพัฒนา",
        "project_kpi_target": schools,
        "project_kpi_unit": "แห่ง",
    }


def plan_values(group: Unit, fiscal_year: int, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """One group's plan: its projects and their activities (money in whole thousands of baht)."""
    projects, lines = [], []
    for n in range(1, rng.randint(3, 5) + 1):
        strategy = rng.choice(GROUP_STRATEGIES.get(group.code, (4,)))
        code = f"{group.code}-{n:02d}"
        served = rng.sample(
            [k.code for k in kpis(fiscal_year=fiscal_year) if k.strategy == strategy], rng.randint(1, 3)
        )
        theme = rng.choice(THEMES[strategy])
        schools = rng.randrange(40, 200, 10)
        projects.append(
            {
                "project_code": code,
                "project": f"โครงการ{theme}",
                "strategy": strategy,
                "kpis": served,
                "objective": f"เพื่อ{theme}ของสถานศึกษาในสังกัด",
                "target_quantity": f"สถานศึกษา {schools} แห่ง",
                "target_quality": "ร้อยละ 80 ผ่านเกณฑ์ที่กำหนด",
                "responsible": f"ผู้อำนวยการ{group.name_th}",
                # the group's first projects carry eMENSCR's links; a later one was left for later, as happens
                **(national_links(strategy, schools) if n <= 2 else {}),
            }
        )
        start = rng.choice(QUARTERS[:3])
        for activity in rng.sample(ACTIVITIES, rng.randint(2, 3)):
            quarters = [q for q in QUARTERS if start <= q <= min(4, start + rng.randint(0, 2))]
            lines.append(
                {
                    "project_code": code,
                    "activity": activity,
                    **{f"q{q}": q in quarters for q in QUARTERS},
                    "source": "obec" if rng.random() < 0.8 else "office",
                    "category": rng.choice(["งบดำเนินงาน", "งบดำเนินงาน", "งบรายจ่ายอื่น"]),
                    "amount": rng.randrange(20_000, 250_000, 1000),
                }
            )
    return {"plan_project": projects, "plan_activity": lines}


def progress_values(plan: dict[str, list[dict[str, Any]]], rng: random.Random, as_of: dt.date) -> list[dict[str, Any]]:
    """What a group reports on its plan at a round: each activity's status, spending and result."""
    names = {p["project_code"]: p["project"] for p in plan["plan_project"]}
    rows = []
    for line in plan["plan_activity"]:
        if line["project_code"] not in names or not isinstance(line["amount"], int):
            continue
        used = round(line["amount"] * rng.uniform(0.55, 1.0))
        rows.append(
            {
                "project_code": line["project_code"],
                "project": names[line["project_code"]],
                "activity": line["activity"],
                "budget_allocated": line["amount"],
                "budget_used": used,
                "kpi_target": 100,
                "kpi_result": rng.randint(70, 100),
                "status": "เสร็จสิ้น" if used > line["amount"] * 0.9 else "กำลังดำเนินการ",
                "evidence": "รายงานผลการดำเนินงาน",
                "as_of": as_of,
                **(_obstacle(rng) if used < line["amount"] * 0.7 else {}),
            }
        )
    return rows


OBSTACLES = (
    ("ได้รับจัดสรรงบประมาณล่าช้า ดำเนินกิจกรรมไม่ทันตามไตรมาสที่กำหนด", "ขอให้ปรับแผนการใช้จ่ายเป็นไตรมาสถัดไป"),
    ("ช่วงเวลาดำเนินกิจกรรมตรงกับภารกิจเร่งด่วนของสถานศึกษา", "ควรกำหนดปฏิทินกิจกรรมร่วมกับสถานศึกษาตั้งแต่ต้นปีงบประมาณ"),
    ("ราคาวัสดุสูงกว่าที่ประมาณการไว้", "ทบทวนราคากลางก่อนเสนอโครงการปีถัดไป"),
)


def _obstacle(rng: random.Random) -> dict[str, str]:
    """What a group writes when an activity is behind: the obstacle and what it suggests."""
    problem, suggestion = rng.choice(OBSTACLES)
    return {"problems": problem, "suggestions": suggestion}


def _cell(form_code: str, key: str, row: int) -> str:
    columns = forms()[form_code].columns
    return f"{column_letter(next(i for i, c in enumerate(columns) if c.key == key))}{HEADER_ROW + row}"


def plant_plan_mistakes(plans: dict[str, dict[str, list[dict[str, Any]]]]) -> list[dict[str, str]]:
    """Mistakes groups make in their plan workbook, each where a person would make it."""
    planted = []
    project_sheet, activity_sheet = forms()["plan_project"].sheet, forms()["plan_activity"].sheet

    def note(unit: str, mistake: str, sheet: str, cell: str, rule: str) -> None:
        planted.append({"unit_code": unit, "mistake": mistake, "sheet": sheet, "cell": cell, "rule": rule})

    plans["G03"]["plan_project"][0]["kpis"] = "S1.3, S5.2"
    note("G03", "รหัสตัวชี้วัดที่ไม่มีในแผน", project_sheet, _cell("plan_project", "kpis", 1), "TYPE-KPIS")
    line = plans["G05"]["plan_activity"][1]
    line["project_code"] = line["project_code"].replace("-0", "-")
    note(
        "G05",
        "พิมพ์รหัสโครงการในแผ่นกิจกรรมผิด",
        activity_sheet,
        _cell("plan_activity", "project_code", 2),
        "PLAN-PROJECT-UNKNOWN",
    )
    for q in QUARTERS:
        plans["G06"]["plan_activity"][0][f"q{q}"] = None
    note("G06", "ไม่ได้ระบุไตรมาสของกิจกรรม", activity_sheet, _cell("plan_activity", "q1", 1), "PLAN-NO-QUARTER")
    plans["G07"]["plan_project"][1]["strategy"] = "กลยุทธ์ที่ 6"
    note("G07", "กลยุทธ์ที่ไม่มีในแผน", project_sheet, _cell("plan_project", "strategy", 2), "TYPE-STRATEGY")
    first = plans["G08"]["plan_activity"][0]
    first["amount"] = "".join("๐๑๒๓๔๕๖๗๘๙"[int(c)] if c.isdigit() else c for c in f"{first['amount']:,}")
    note("G08", "จำนวนเงินเป็นตัวเลขไทยมีจุลภาค", activity_sheet, _cell("plan_activity", "amount", 1), "NORMALISED")
    return planted


def write_plan_files(
    home: Path, groups: list[Unit], fiscal_year: int, rng: random.Random
) -> tuple[dict[str, dict[str, list[dict[str, Any]]]], list[dict[str, str]]]:
    """Every group's plan workbook in ``plan/inbox/<code>/``, the envelope, and the planted mistakes."""
    plans = {g.code: plan_values(g, fiscal_year, rng) for g in groups}
    clean = {code: {k: [dict(r) for r in rows] for k, rows in plan.items()} for code, plan in plans.items()}
    planted = plant_plan_mistakes(plans)
    for group in groups:
        write_template(
            form_sets()["plan"],
            home / "plan" / "inbox" / group.code / "แผนปฏิบัติการ.xlsx",
            fiscal_year=fiscal_year,
            round_=0,
            unit=group,
            values=plans[group.code],
        )
    obec = sum(
        Decimal(line["amount"]) for plan in clean.values() for line in plan["plan_activity"] if line["source"] == "obec"
    )
    with (home / "envelope.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ปีงบประมาณ", "แหล่งงบประมาณ", "วงเงิน (บาท)"])
        writer.writerow([fiscal_year, "งบประมาณที่ได้รับจัดสรรจาก สพฐ.", f"{int(obec * Decimal('0.8')) // 1000 * 1000:,}"])
        writer.writerow([fiscal_year, "งบบริหารจัดการของสำนักงานเขตพื้นที่การศึกษา", "3,000,000"])
    with (home / "demo-plan-mistakes.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        mistakes = csv.DictWriter(handle, fieldnames=PLAN_MISTAKE_COLUMNS)
        mistakes.writeheader()
        mistakes.writerows(planted)
    return clean, planted
