"""Split a sum of money over weights so the parts add up exactly, to the baht (or any unit).

The committee's envelope must be distributed with nothing lost or invented: every amount is a
whole multiple of ``unit`` and the amounts sum to ``total`` exactly. Without floor/cap each
school's amount is its exact quota ``total * w / sum(w)`` rounded down or up by one unit
(Hamilton's largest-remainder method; equal remainders favour the earlier row, so the result
never depends on anything but the input order).

With ``floor``/``cap`` the quotas are "water-filled": every school gets ``clamp(λ·w, floor,
cap)`` for the one level λ at which the clamped quotas sum to ``total``, and the same largest-
remainder rounding follows. λ is found exactly by sweeping the points where schools leave
their floor or reach their cap.

All arithmetic is on integers (weights scaled to whole numbers, amounts counted in units), so
30,000 weights take a few milliseconds and no float ever enters a sum.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any, cast

from rules.errors import AllocationError, ParseError
from rules.money import decimal_places, to_decimal

Amount = int | Decimal


def allocate(
    total: Any,
    weights: Iterable[Any],
    *,
    floor: Any | Sequence[Any] | None = None,
    cap: Any | Sequence[Any] | None = None,
    unit: Any = 1,
) -> list[Amount]:
    """Amounts, one per weight, that sum exactly to ``total``; each a multiple of ``unit``.

    ``weights`` may be ints, Decimals, floats or numeric text (Thai digits and commas too).
    ``floor``/``cap`` are one number for all or a list with one per weight. Returns ints when
    ``total`` and ``unit`` are ints, Decimals otherwise. Raises :class:`AllocationError` naming
    the input at fault.
    """
    unit_d = _number(unit, "unit (หน่วยการปัด)")
    if unit_d <= 0:
        raise AllocationError("unit ต้องมากกว่า 0", "unit must be greater than 0", input="unit", value=unit)
    total_d = _number(total, "total (วงเงินรวม)")
    if total_d < 0:
        raise AllocationError("วงเงินรวมติดลบไม่ได้", "total must not be negative", input="total", value=total)
    units_total = total_d / unit_d
    if units_total != units_total.to_integral_value():
        raise AllocationError(
            f"วงเงินรวม {total_d} ไม่ใช่พหุคูณของหน่วยการปัด {unit_d}",
            f"total {total_d} is not a multiple of unit {unit_d}",
            input="total",
            value=total,
        )
    n_units = int(units_total)
    scaled = _scaled_weights(weights)
    count = len(scaled)
    floors = _bounds(floor, count, "floor", unit_d, up=True)
    caps = _bounds(cap, count, "cap", unit_d, up=False)
    if floor is None and cap is None:  # nothing can be infeasible without bounds
        units = _largest_remainder(n_units, scaled)
    else:
        _check_feasible(n_units, scaled, floors, caps)
        units = _water_fill(n_units, scaled, [f or 0 for f in floors], caps)
    if isinstance(total, int) and not isinstance(total, bool) and isinstance(unit, int):
        return cast(list[Amount], units) if unit == 1 else [u * unit for u in units]  # whole baht: as they are
    return [u * unit_d for u in units]


def _number(value: Any, what: str) -> Decimal:
    try:
        return to_decimal(value, what)
    except ParseError as exc:
        raise AllocationError(exc.message_th, exc.message_en, input=what, value=value) from None


def _scaled_weights(weights: Iterable[Any]) -> list[int]:
    """Weights as integers with the same ratios (scaled by a power of ten), checked one by one."""
    if isinstance(weights, (str, bytes)):
        weights = [weights]
    weights = list(weights)
    if not weights:
        raise AllocationError("ไม่มีน้ำหนักให้จัดสรร", "no weights to allocate over", input="weights", value=weights)
    if all(type(w) is int for w in weights):  # pupil counts: already exact, skip Decimal
        if min(weights) < 0:  # found at C speed; the loop only names the first
            index = next(i for i, w in enumerate(weights, start=1) if w < 0)
            raise _negative(index, weights[index - 1])
        if not any(weights):
            raise AllocationError("น้ำหนักเป็นศูนย์ทั้งหมด จัดสรรไม่ได้", "all weights are zero", input="weights", value=weights)
        return weights
    decimals = []
    for index, weight in enumerate(weights, start=1):
        kind = type(weight)
        if kind is Decimal and weight.is_finite():
            value = weight
        elif kind is int:
            value = Decimal(weight)
        else:
            value = _number(weight, f"น้ำหนักลำดับที่ {index} (weight {index})")
        if value < 0:
            raise _negative(index, weight)
        decimals.append(value)
    if not any(decimals):
        raise AllocationError(
            "น้ำหนักเป็นศูนย์ทั้งหมด จัดสรรไม่ได้", "all weights are zero", input="weights", value=list(weights)
        )
    places = max(decimal_places(d) for d in decimals)
    scale = Decimal(10**places)
    return [int(d * scale) for d in decimals]


def _negative(index: int, weight: Any) -> AllocationError:
    return AllocationError(
        f"น้ำหนักลำดับที่ {index} ติดลบ ({weight})",
        f"weight {index} is negative ({weight!r})",
        input=f"weights[{index - 1}]",
        value=weight,
    )


def _bounds(bound: Any, count: int, name: str, unit: Decimal, *, up: bool) -> list[int | None]:
    """Floors (rounded up) or caps (rounded down) in whole units, one per weight.

    Rounding inward is the only way a bound that is not a multiple of ``unit`` can be honoured.
    """
    if bound is None or isinstance(bound, (str, bytes)) or not isinstance(bound, Sequence):
        return [_bound_units(bound, unit, up)] * count
    if len(bound) != count:
        raise AllocationError(
            f"{name} มี {len(bound)} ค่า แต่มีน้ำหนัก {count} ค่า",
            f"{name} has {len(bound)} values for {count} weights",
            input=name,
            value=list(bound),
        )
    return [_bound_units(b, unit, up) for b in bound]


def _bound_units(bound: Any, unit: Decimal, up: bool) -> int | None:
    if bound is None or bound == "":
        return None
    value = _number(bound, "floor/cap (ขั้นต่ำ/เพดาน)")
    if value < 0:
        raise AllocationError("ขั้นต่ำ/เพดานติดลบไม่ได้", "floor/cap must not be negative", input="floor/cap", value=bound)
    (a, b), (c, d) = value.as_integer_ratio(), unit.as_integer_ratio()
    numerator, denominator = a * d, b * c  # value / unit, exactly
    return -(-numerator // denominator) if up else numerator // denominator


def _check_feasible(n_units: int, weights: list[int], floors: list[int | None], caps: list[int | None]) -> None:
    for index, (low, high) in enumerate(zip(floors, caps, strict=True), start=1):
        if low is not None and high is not None and low > high:
            raise AllocationError(
                f"ลำดับที่ {index}: ขั้นต่ำมากกว่าเพดาน",
                f"row {index}: floor is above cap",
                input=f"floor[{index - 1}]",
                value=(low, high),
            )
    least = sum(low or 0 for low in floors)
    if least > n_units:
        raise AllocationError(
            "ผลรวมขั้นต่ำเกินวงเงินรวม",
            "the floors add up to more than the total",
            input="floor",
            value=least,
        )
    if all(high is not None for w, high in zip(weights, caps, strict=True) if w):
        most = sum((high if w else low or 0) or 0 for w, low, high in zip(weights, floors, caps, strict=True))
        if most < n_units:
            raise AllocationError(
                "ผลรวมเพดานต่ำกว่าวงเงินรวม จัดสรรให้ครบไม่ได้",
                "the caps add up to less than the total",
                input="cap",
                value=most,
            )


def _largest_remainder(n_units: int, weights: list[int]) -> list[int]:
    weight_sum = sum(weights)
    base, remainders = zip(*[divmod(n_units * w, weight_sum) for w in weights], strict=True)
    return _round_up_largest(n_units, list(base), list(remainders))


def _round_up_largest(n_units: int, base: list[int], remainders: list[int]) -> list[int]:
    """Give the units still missing to the largest remainders; ties go to the earlier row."""
    missing = n_units - sum(base)
    if missing:
        # a stable sort keeps row order among equal remainders, also with reverse=True
        order = sorted(range(len(base)), key=remainders.__getitem__, reverse=True)
        for index in order[:missing]:
            base[index] += 1
    return base


def _water_fill(n_units: int, weights: list[int], floors: list[int], caps: list[int | None]) -> list[int]:
    level = _fill_level(n_units, weights, floors, caps)
    num, den = level.numerator, level.denominator
    base, remainders = [], []
    for w, low, high in zip(weights, floors, caps, strict=True):
        exact = num * w
        if not w or exact <= low * den:
            base.append(low)
            remainders.append(0)
        elif high is not None and exact >= high * den:
            base.append(high)
            remainders.append(0)
        else:
            q, r = divmod(exact, den)
            base.append(q)
            remainders.append(r)
    return _round_up_largest(n_units, base, remainders)


def _fill_level(n_units: int, weights: list[int], floors: list[int], caps: list[int | None]) -> Fraction:
    """The λ at which Σ clamp(λ·w, floor, cap) equals the total, found on the exact breakpoints.

    Breakpoints λ = bound / w are sorted by Decimal keys precise enough that distinct ratios
    never share a key (equal ratios do, exactly), which is far faster than sorting Fractions;
    the sweep itself compares in integers.
    """
    biggest = max(max(floors), max((c for c in caps if c is not None), default=0), 1)
    digits = len(str(biggest)) + 2 * len(str(max(weights))) + 4
    events: list[tuple[Decimal, int, int, int]] = []  # (λ key, bound, index, +1 leaves floor / -1 reaches cap)
    with localcontext() as ctx:
        ctx.prec = digits
        for index, (w, low, high) in enumerate(zip(weights, floors, caps, strict=True)):
            if w:
                events.append((Decimal(low) / w, low, index, 1))
                if high is not None:
                    events.append((Decimal(high) / w, high, index, -1))
    events.sort()
    constant = sum(floors)  # every row sits on its floor at λ = 0
    free_weight = 0
    level = (0, 1)
    for _, bound, index, change in events:
        w = weights[index]
        if constant * w + bound * free_weight >= n_units * w:  # Σ at this breakpoint reaches the total
            break
        level = (bound, w)
        if change > 0:
            constant -= floors[index]
            free_weight += w
        else:
            constant += bound
            free_weight -= w
    if free_weight == 0:
        return Fraction(*level)
    return Fraction(n_units - constant, free_weight)
