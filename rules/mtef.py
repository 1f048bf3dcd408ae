"""Medium-term expenditure framework: forward estimates from 3-5 years of actual budgets.

The Budget Procedure Act (s.24(3)) asks for estimates at least three years ahead, and the
seed's section 3.1 works from the last 3-5 years. Three documented methods, all exact and
rounded half up to the baht at the end only:

- ``linear``  - ordinary least-squares trend line through the history, read at each future year.
- ``growth``  - compound average growth rate from the first to the last year, applied forward.
- ``average`` - the mean of the history, flat (for items with no trend, e.g. fixed allowances).

Estimates never go below zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any

from rules.errors import ParseError
from rules.money import BAHT, to_decimal
from rules.trend import linear_trend

METHODS = ("linear", "growth", "average")


def mtef(history: Mapping[Any, Any], years: int = 3, method: str = "linear") -> dict[int, Decimal]:
    """Estimates {fiscal year: baht} for the ``years`` after the last year of ``history``."""
    if method not in METHODS:
        raise ParseError(
            f"ไม่รู้จักวิธี '{method}' (ใช้ได้: {', '.join(METHODS)})",
            f"unknown method {method!r}; use one of {METHODS}",
            value=method,
        )
    if years < 1:
        raise ParseError("years ต้องอย่างน้อย 1", "years must be at least 1", value=years)
    points = {
        int(to_decimal(year, "ปีงบประมาณ")): to_decimal(amount, f"งบประมาณปี {year}")
        for year, amount in history.items()
        if amount not in (None, "")
    }
    xs = sorted(points)
    if not 3 <= len(xs) <= 5:
        raise ParseError(
            f"ต้องมีข้อมูลย้อนหลัง 3-5 ปี (มี {len(xs)} ปี)",
            f"MTEF needs 3 to 5 years of history, got {len(xs)}",
            value=xs,
        )
    if xs != list(range(xs[0], xs[-1] + 1)):
        raise ParseError("ปีงบประมาณย้อนหลังต้องต่อเนื่องกัน", "history years must be consecutive", value=xs)
    if any(points[x] < 0 for x in xs):
        raise ParseError("งบประมาณย้อนหลังติดลบไม่ได้", "history amounts must not be negative", value=points)
    future = range(xs[-1] + 1, xs[-1] + years + 1)
    if method == "linear":
        ys = [Fraction(points[x]) for x in xs]
        raw = {year: _decimal(linear_trend(xs, ys, year)) for year in future}
    elif method == "average":
        mean = sum((points[x] for x in xs), Decimal(0)) / len(xs)
        raw = dict.fromkeys(future, mean)
    else:
        first, last = points[xs[0]], points[xs[-1]]
        if first == 0:
            raise ParseError("วิธี growth ใช้ไม่ได้เมื่อปีแรกเป็นศูนย์", "growth needs a non-zero first year", value=first)
        with localcontext() as ctx:
            ctx.prec = 34
            rate = (last / first) ** (Decimal(1) / (len(xs) - 1))
            raw = {year: last * rate ** (year - xs[-1]) for year in future}
    return {year: max(Decimal(0), value).quantize(BAHT, rounding=ROUND_HALF_UP) for year, value in raw.items()}


def _decimal(value: Fraction) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 34
        return Decimal(value.numerator) / Decimal(value.denominator)
