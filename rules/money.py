"""Exact numbers for money and counts: one conversion at the edge, one rounding helper.

Floats never take part in a sum. A float that arrives from a spreadsheet cell is converted with
``Decimal(str(x))`` so 0.1 stays 0.1; text goes through :func:`rules.thai.parse_number`, which
knows Thai digits, separators and "บาท". Rounding always names its mode: Thai government
arithmetic rounds half up (ปัดเศษตามหลักคณิตศาสตร์), never Python's default half-to-even.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from pythainlp.util import num_to_thaiword

from rules.errors import ParseError
from rules.thai import parse_number

BAHT = Decimal("1")
SATANG = Decimal("0.01")


def to_decimal(value: Any, what: str = "ค่า") -> Decimal:
    """Convert one input (int, Decimal, float, numeric text) to a finite Decimal.

    ``what`` names the input in the error message, e.g. ``"น้ำหนักลำดับที่ 3"``.
    """
    if isinstance(value, bool):
        raise ParseError(
            f"{what}: ต้องเป็นตัวเลข ไม่ใช่ค่าจริง/เท็จ ({value!r})",
            f"{what}: expected a number, got a boolean ({value!r})",
            value=value,
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        try:
            result = Decimal(str(value))
        except InvalidOperation:  # pragma: no cover - str(float) is always a valid literal
            result = Decimal("NaN")
    elif isinstance(value, str):
        result = parse_number(value, what=what)
    else:
        raise ParseError(
            f"{what}: ต้องเป็นตัวเลข ({value!r})",
            f"{what}: expected a number, got {type(value).__name__} {value!r}",
            value=value,
        )
    if not result.is_finite():
        raise ParseError(
            f"{what}: ต้องเป็นตัวเลขจำกัด ({value!r})",
            f"{what}: expected a finite number, got {value!r}",
            value=value,
        )
    return result


def round_money(amount: Decimal, quantum: Decimal = SATANG) -> Decimal:
    """Round half up to ``quantum`` (satang by default): the one rounding rule for money."""
    return amount.quantize(quantum, rounding=ROUND_HALF_UP)


def round_count(value: Decimal) -> int:
    """Round a projected head count half up to a whole pupil."""
    return int(value.quantize(BAHT, rounding=ROUND_HALF_UP))


def whole_count(value: Any, what: str) -> int:
    """A head count: a whole number >= 0 from int, float or Thai text (``"๑๒"``)."""
    number = to_decimal(value, what)
    if number < 0 or number != number.to_integral_value():
        raise ParseError(
            f"{what} ต้องเป็นจำนวนเต็มไม่ติดลบ ({value})", f"{what} must be a whole number >= 0 ({value!r})", value=value
        )
    return int(number)


def format_number(value: Any) -> str:
    """A number as Thai staff write it in a message: 1,234 or 1,234.50 (more decimals only when there
    are more); a spreadsheet's 2.0 is 2. Anything else as its text."""
    if isinstance(value, float) and value.is_integer():
        value = Decimal(int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    if isinstance(value, Decimal):
        value = value.normalize()
        return f"{value:,}" if decimal_places(value) > 2 else f"{value:,.2f}".removesuffix(".00")
    return str(value)


def baht_text(amount: Any) -> str:
    """Thai words for an amount of baht as official letters write it (บาทถ้วน, สตางค์).

    A final 1 after any higher digit reads เอ็ด: 101 หนึ่งร้อยเอ็ด, 1,001 หนึ่งพันเอ็ด, 1,000,001
    หนึ่งล้านเอ็ด (Royal Institute, อ่านอย่างไร และเขียนอย่างไร, 16th printing 2546, p. 67). The words
    of each whole number come from PyThaiNLP's ``num_to_thaiword``, which follows that rule; PyThaiNLP's
    own ``bahttext`` is not used because it takes a float and formats it, which rounds binary
    fractions (0.125 baht) the wrong way. The amount is rounded half up to the satang first, and an
    amount under one baht is said in satang alone (ห้าสิบสตางค์), as Excel's BAHTTEXT does.
    """
    value = to_decimal(amount, "จำนวนเงิน")
    satang_total = int(abs(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)
    baht, satang = divmod(satang_total, 100)
    text = num_to_thaiword(baht) + "บาท" if baht or not satang else ""
    text += num_to_thaiword(satang) + "สตางค์" if satang else "ถ้วน"
    return ("ลบ" if value < 0 else "") + text


def decimal_places(value: Decimal) -> int:
    """How many digits a finite Decimal carries after the point (``1.230`` -> 3, ``1E+3`` -> 0)."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0
