"""The annual action plan document (seed part 4, 2.3 steps 6-8: handed to every school and published),
from the plan register (:mod:`sync.registers.plan`): strategies and KPIs, projects and the budget by
source, every figure from the register, never typed, so the tables add up to it by construction.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rules.budget_sources import plan_source
from rules.kpi import plan_period, strategies
from rules.plan import Register
from rules.thai import thai_digits
from rules.transfers import category_th
from sync.documents.docx import (
    NothingToReport,
    Written,
    centre,
    chart,
    document_names,
    documents_dir,
    new_document,
    save,
    total_sentence,
    word_table,
)
from sync.office.settings import Settings
from sync.registers.plan import load_register, read_envelope

# --- the action plan -----------------------------------------------------------------------


def plan_document(settings: Settings, fiscal_year: int, register: Register) -> Any:
    """The annual action plan: strategies, projects grouped by strategy, budget by source and category."""
    document = new_document(landscape=True)  # the project table needs the width, as printed plans use
    year = thai_digits(fiscal_year)
    centre(document, f"แผนปฏิบัติการประจำปีงบประมาณ พ.ศ. {year}", "Title")
    centre(document, settings.office_name, bold=True)
    period = plan_period(fiscal_year)
    document.add_heading("ส่วนที่ ๑ กลยุทธ์และตัวชี้วัด", level=1)
    note = f"แผนปฏิบัติการนี้ขับเคลื่อนกลยุทธ์ตาม{period.th} ({period.source})"
    if not period.covers(fiscal_year):
        note += f" ซึ่งกำหนดช่วงปี พ.ศ. {thai_digits(period.first_fiscal_year)}-{thai_digits(period.last_fiscal_year)} และยังใช้อยู่จนกว่าจะมีแผนฉบับใหม่"
    document.add_paragraph(note)
    served = register.served_kpis()
    rows = []
    for number, th in strategies(fiscal_year).items():
        codes = [k for k in served if k.startswith(f"S{number}.")]
        rows.append(
            [
                f"กลยุทธ์ที่ {number} {th}",
                len(register.projects_of_strategy(number)),
                len(codes),
                register.by_strategy().get(number, Decimal(0)),
            ]
        )
    rows.append(["รวม", len(register.projects), len(served), register.total])
    word_table(
        document,
        ["กลยุทธ์", "โครงการ", "ตัวชี้วัดที่มีโครงการตอบ", "งบประมาณ (บาท)"],
        rows,
        widths=(13.0, 3.0, 4.0, 5.0),
        totals=(len(rows) - 1,),
        numeric=(1, 2, 3),
    )
    chart(
        document,
        "งบประมาณตามกลยุทธ์",
        [f"กลยุทธ์ที่ {n}" for n in strategies(fiscal_year)],
        {"งบประมาณ": [float(register.by_strategy().get(n, 0)) / 1e6 for n in strategies(fiscal_year)]},
        unit="ล้านบาท",
    )

    document.add_heading("ส่วนที่ ๒ โครงการตามกลยุทธ์", level=1)
    for number in strategies(fiscal_year):
        projects = register.projects_of_strategy(number)
        if not projects:
            continue
        document.add_heading(f"กลยุทธ์ที่ {thai_digits(number)} {strategies(fiscal_year)[number]}", level=2)
        rows = []
        for index, project in enumerate(projects, start=1):
            quarters = sorted(project.quarters)
            rows.append(
                [
                    index,
                    project.code,
                    f"{project.name}\nกิจกรรม: {', '.join(project.activity_names())}",
                    ", ".join(project.kpis),
                    project.budget,
                    "ไตรมาส " + ", ".join(map(str, quarters)),
                    f"{project.group_th}\n{project.responsible}",
                ]
            )
        subtotal = sum((p.budget for p in projects), Decimal(0))
        rows.append(["", "", f"รวมกลยุทธ์ที่ {number}", "", subtotal, "", ""])
        word_table(
            document,
            ["ที่", "รหัส", "โครงการ/กิจกรรม", "ตัวชี้วัด", "งบประมาณ (บาท)", "ระยะเวลา", "ผู้รับผิดชอบ"],
            rows,
            widths=(1.0, 2.0, 9.4, 2.4, 3.0, 2.6, 4.8),
            totals=(len(rows) - 1,),
            numeric=(0, 4),
        )

    document.add_heading("ส่วนที่ ๓ สรุปงบประมาณ", level=1)
    envelope = read_envelope(settings.home / "envelope.csv", fiscal_year) or {}
    rows = [
        [plan_source(code).th, amount, envelope.get(code), (envelope[code] - amount) if code in envelope else None]
        for code, amount in register.by_source().items()
    ]
    rows.append(["รวม", register.total, sum(envelope.values(), Decimal(0)) if envelope else None, None])
    word_table(
        document,
        ["แหล่งงบประมาณ", "โครงการ (บาท)", "วงเงิน (บาท)", "คงเหลือ (บาท)"],
        rows,
        widths=(6.9, 3.2, 3.2, 3.2),
        totals=(len(rows) - 1,),
        numeric=(1, 2, 3),
    )
    rows = [[category_th(code), amount] for code, amount in register.by_category().items()]
    rows.append(["รวม", register.total])
    word_table(document, ["งบรายจ่าย", "งบประมาณ (บาท)"], rows, widths=(10, 4), totals=(len(rows) - 1,), numeric=(1,))
    rows = [[group, amount] for group, amount in register.by_group().items()]
    rows.append(["รวม", register.total])
    word_table(document, ["กลุ่มงาน", "งบประมาณ (บาท)"], rows, widths=(10, 4), totals=(len(rows) - 1,), numeric=(1,))
    total_sentence(
        document,
        f"รวมงบประมาณตามแผนปฏิบัติการประจำปีงบประมาณ พ.ศ. {year} ทั้งสิ้น {thai_digits(len(register.projects))} โครงการ เป็นเงิน",
        register.total,
    )
    return document


def write_plan(settings: Settings, fiscal_year: int) -> Written:
    register = load_register(settings, fiscal_year)
    if not register.projects:
        raise NothingToReport(
            f"ยังไม่มีแผนของกลุ่มใดที่ผ่านการตรวจในปีงบประมาณ {fiscal_year}: วางไฟล์แผนของกลุ่มใน plan/inbox/<รหัสกลุ่ม>/ แล้วสั่ง esaplan plan",
            f"no accepted group plan for FY {fiscal_year}: put the groups' plan files in plan/inbox/<group code>/ and run esaplan plan",
            fiscal_year=fiscal_year,
        )
    name = document_names(fiscal_year, settings.round)["plan"]
    return save(plan_document(settings, fiscal_year, register), documents_dir(settings, fiscal_year) / f"{name}.docx")
