"""Figures checked against what the office already knows, before they reach the director's page.

A school's pupils are compared with what it reported the round before, and the allocations it says
it received with what the office's allocation register gave it. Such a figure may be right (a school
merged into another, a late letter not yet in the register), so it is a warning: listed in ปัญหาที่พบ
beside the school and on the web page, and the figures that add it up carry a flag on สรุปผู้บริหาร.
Nothing is left out for it; an amount no school can receive is an error of the form itself
(``IMPOSSIBLE-AMOUNT``, rules/data/plausibility).
"""

from __future__ import annotations

from decimal import Decimal

from rules import EsaplanError
from rules.money import format_number
from sync.ledger.status import Notice
from sync.ledger.store import Ledger
from sync.master.data import MasterData
from sync.office.settings import Settings
from sync.registers.money import allocated_by_unit

PUPIL_SWING = 2  # pupils more than this many times, or less than 1/this, of the round before
PUPILS_COMPARED_FROM = 20  # schools smaller than this the round before are not compared (a few pupils swing widely)
OVER_REGISTER = Decimal("1.5")  # reported allocations above this many times what the register gave
CHANNEL = "(ตรวจความสมเหตุสมผล)"


def plausibility_notices(settings: Settings, ledger: Ledger, data: MasterData) -> list[Notice]:
    """Warnings for figures far from the round before or from the allocation register."""
    notices = []
    before = _round_before(settings, ledger, data)
    given = allocated_by_unit(ledger, settings.fiscal_year)
    for code, view in data.views.items():
        unit = view.unit
        pupils = view.facts["enrolment"].pupils if "enrolment" in view.facts else None
        earlier = (
            before.views[code].facts["enrolment"].pupils
            if before and code in before.views and "enrolment" in before.views[code].facts
            else None
        )
        if (
            pupils is not None
            and earlier
            and earlier >= PUPILS_COMPARED_FROM
            and (pupils > earlier * PUPIL_SWING or pupils * PUPIL_SWING < earlier)
        ):
            message = f"รายงานนักเรียน {pupils:,} คน ต่างจากรอบก่อน ({earlier:,} คน) มาก: ตรวจว่ากรอกครบทุกชั้นและไม่ซ้ำ ถ้าถูกต้อง (เช่น รับนักเรียนจากโรงเรียนที่ยุบรวม) ไม่ต้องแก้ไข"
            notices.append(Notice(unit.code, CHANNEL, "UNUSUAL-PUPILS", "warning", message))
        reported = (
            sum((line.allocated for line in view.facts["budget_use"].budget), Decimal(0))
            if "budget_use" in view.facts
            else Decimal(0)
        )
        registered = given.get(code)
        if registered and reported > registered * OVER_REGISTER:
            message = f"รายงานได้รับจัดสรรรวม {format_number(reported)} บาท มากกว่าที่ทะเบียนคุมการจัดสรรจัดสรรให้ ({format_number(registered)} บาท): ตรวจจำนวนเงินกับหนังสือแจ้งการจัดสรร"
            notices.append(Notice(unit.code, CHANNEL, "OVER-REGISTER", "warning", message))
    return notices


def _round_before(settings: Settings, ledger: Ledger, data: MasterData) -> MasterData | None:
    """The round before this one (12 months of last year before round 6), when it holds any version."""
    fiscal_year, round_ = (
        (settings.fiscal_year - 1, 12) if settings.round == 6 else (settings.fiscal_year, settings.round - 3)
    )
    try:
        previous = settings.with_round(fiscal_year, round_)
    except EsaplanError:
        return None
    if not ledger.round_signature(previous.fiscal_year, previous.round)[0]:
        return None
    return MasterData.of_round(previous, ledger, data.registry)
