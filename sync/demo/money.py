"""The demo office's allocation control register, as the planning group would keep it.

Two OBEC letters fund what the demo schools report in their การใช้งบประมาณ form: the per-head
tuition line (the letter's amount is exactly what the schools were given) and the utilities line
and building repairs. An approved transfer moves 30,000 baht of the utilities line to repairs, which
leaves 50,000 of utilities not yet allocated, and one school is allocated 55,000 for repairs: 5,000
more than the 20,000 received and 30,000 moved in, the over-allocation the register must show. Letter numbers are typed in two spellings and some
amounts in Thai digits, as staff type them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from rules.forms import form_sets
from rules.thai import thai_digits
from sync.intake.templates import write_template
from sync.office.settings import Settings
from sync.registers.money import workbook_path

TUITION = "ค่าจัดการเรียนการสอน (เงินอุดหนุนรายหัว)"
UTILITIES = "ค่าสาธารณูปโภค"
REPAIRS = "ค่าซ่อมแซมอาคารเรียน"
PLAN = "แผนงานพื้นฐานด้านการพัฒนาและเสริมสร้างศักยภาพทรัพยากรมนุษย์"
OUTPUT = "ผลผลิตผู้จบการศึกษาภาคบังคับ"


def register_values(fiscal_year: int, reported: Iterable[tuple[str, str, Decimal]]) -> dict[str, list[dict[str, Any]]]:
    """The register's rows from what each school reports it was allocated: (unit, line, amount)."""
    given = [(unit, line, amount) for unit, line, amount in reported if line in (TUITION, UTILITIES)]
    total = {line: sum((a for _, item, a in given if item == line), Decimal(0)) for line in (TUITION, UTILITIES)}
    year = fiscal_year - 543
    letters = [
        {
            "letter_no": "ศธ 04002/ว1021",
            "letter_date": dt.date(year - 1, 10, 20),
            "budget_code": "20004 35002700",
            "plan": PLAN,
            "project": OUTPUT,
            "activity": "สนับสนุนค่าใช้จ่ายในการจัดการศึกษาขั้นพื้นฐาน",
            "category": "subsidy",
            "item": TUITION,
            "amount": total[TUITION],
        },
        {
            "letter_no": "ศธ 04002/ว1187",
            "letter_date": dt.date(year - 1, 11, 5),
            "budget_code": "20004 35002800",
            "plan": PLAN,
            "project": OUTPUT,
            "activity": "",
            "category": "subsidy",
            "item": UTILITIES,
            "amount": total[UTILITIES] + 80_000,
        },
        {
            "letter_no": "ศธ 04002/ว1187",
            "letter_date": dt.date(year - 1, 11, 5),
            "budget_code": "20004 35002800",
            "plan": PLAN,
            "project": OUTPUT,
            "activity": "",
            "category": "subsidy",
            "item": REPAIRS,
            "amount": Decimal(20_000),
        },
    ]
    allocations = []
    for index, (unit, line, amount) in enumerate(given):
        number = (
            "ศธ04002/ว๑๐๒๑"
            if line == TUITION and index % 3 == 0
            else ("ศธ 04002/ว1021" if line == TUITION else "ศธ 04002/ว1187")
        )
        allocations.append(
            {
                "letter_no": number,
                "item": line,
                "unit": unit,
                "amount": thai_digits(f"{amount:,.2f}") if index % 5 == 0 else amount,
                "note": "",
            }
        )
    repaired = given[0][0]
    allocations.append(
        {
            "letter_no": "ศธ 04002/ว1187",
            "item": REPAIRS,
            "unit": repaired,
            "amount": Decimal(55_000),
            "note": "ซ่อมหลังคาอาคารเรียน",
        }
    )
    transfers = [
        {
            "approval_no": "ขก 0137/2569",
            "approval_date": dt.date(year, 3, 2),
            "from_letter": "ศธ 04002/ว1187",
            "from_item": UTILITIES,
            "to_letter": "ศธ 04002/ว1187",
            "to_item": REPAIRS,
            "amount": Decimal(30_000),
            "reason": "ซ่อมหลังคาที่ชำรุดจากพายุ",
        }
    ]
    return {"money_letter": letters, "money_allocation": allocations, "money_transfer": transfers}


def write_register(settings: Settings, reported: Iterable[tuple[str, str, Decimal]]) -> None:
    """The demo's register workbook where staff keep it (``money/``)."""
    path = workbook_path(settings, settings.fiscal_year)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_template(
        form_sets()["money"],
        path,
        fiscal_year=settings.fiscal_year,
        round_=0,
        values=register_values(settings.fiscal_year, reported),
    )
