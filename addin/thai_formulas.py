"""Thai calendar and numbers as formulas: the fiscal year of a date, Thai digits, baht in words, a number
as staff type it; thin wrappers over :mod:`rules.thai` and :mod:`rules.money`."""

from __future__ import annotations

from typing import Any

import rules
from addin.registry import Param, as_date, formula
from rules.money import to_decimal


@formula(
    "ESA_FISCAL_YEAR",
    "ปีงบประมาณ (พ.ศ.) ของวันที่",
    "Thai fiscal year (BE) of a date",
    [Param("date", "date", "วันที่", "date")],
    "value",
    (("1 ต.ค. 2567",), 2568),
)
def esa_fiscal_year(date: Any) -> int:
    return rules.fiscal_year(as_date(date))


@formula(
    "ESA_THAIDIGITS",
    "เขียนเป็นเลขไทย",
    "Write with Thai digits",
    [Param("value", "any", "ตัวเลขหรือข้อความ", "number or text")],
    "value",
    ((2570,), "๒๕๗๐"),
)
def esa_thaidigits(value: Any) -> str:
    return rules.thai_digits(value)


@formula(
    "ESA_BAHTTEXT",
    "จำนวนเงินเป็นตัวอักษรแบบหนังสือราชการ (101 หนึ่งร้อยเอ็ดบาทถ้วน)",
    "Amount in Thai words as official letters write it",
    [Param("amount", "number", "จำนวนเงิน", "amount")],
    "value",
    ((101,), "หนึ่งร้อยเอ็ดบาทถ้วน"),
)
def esa_bahttext(amount: Any) -> str:
    return rules.baht_text(amount)


@formula(
    "ESA_NUMBER",
    "อ่านข้อความเป็นตัวเลข (เลขไทย จุลภาค บาท วงเล็บ)",
    "Read text as a number (Thai digits, commas, baht, brackets)",
    [Param("text", "any", "ข้อความ", "text")],
    "value",
    (("(๑,๒๓๔.๕๐ บาท)",), -1234.5),
)
def esa_number(text: Any) -> Any:
    return to_decimal(text, "ข้อความ")
