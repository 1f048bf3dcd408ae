"""Thai calendar, digits, numbers and baht text: the messy input of Thai offices, read exactly.

Thai digits (๐-๙), "1,234 บาท", "(500)" for a negative, Buddhist-Era years and the fiscal year
that starts on 1 October are normal input here, not errors. Digit conversion and Thai month
names come from PyThaiNLP, and so do the words of ``baht_text``, which writes amounts as official
letters do (101 หนึ่งร้อยเอ็ดบาทถ้วน) from a Decimal rounded half up to the satang.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from pythainlp.util import arabic_digit_to_thai_digit, thai_digit_to_arabic_digit, thai_strftime
from pythainlp.util.date import thai_abbr_months, thai_full_months

from rules.defaults import default_parameters
from rules.errors import ParameterNotSet, ParseError
from rules.parameters import _fy_of

BE_OFFSET = 543  # Buddhist Era = Common Era + 543: calendar arithmetic, not a rule figure
BANGKOK = dt.timezone(dt.timedelta(hours=7), "Asia/Bangkok")

_SPACES = re.compile(r"[\s\u00a0\u2009\u202f\u200b]+")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}([, ]\d{3})+(\.\d*)?$")  # 1,234 and 1 234 567.50: separators every three digits


def _normalise(text: str) -> str:
    return _SPACES.sub(" ", thai_digit_to_arabic_digit(text)).strip()


def _strip_currency(text: str) -> str:
    """The number without the unit people type after it: baht (บาท, บ., ฿), persons (คน), rooms (ห้อง)."""
    for suffix in ("บาท", "บ.", "฿", "คน", "ห้อง"):
        text = text.removesuffix(suffix).strip()
    return text.removeprefix("฿").strip()


def parse_number(text: str, what: str = "ค่า") -> Decimal:
    """Read a number as Thai staff type it: ``"๑,๒๓๔.๕๐ บาท"``, ``"(500)"``, ``"-1 234"``, ``"12 คน"``,
    ``"-"`` for nil.

    Raises :class:`ParseError` naming ``what`` and the text when it is not a number, and when its
    separators do not group thousands (``"12,5"``, ``"1,23"``, ``"1.234,5"``): such a text means one
    number to one reader and another to the next, so it is refused with what to type, never guessed.
    """
    cleaned = _strip_currency(_normalise(text))
    if cleaned in (
        "-",
        "\u2013",
        "\u2014",
    ):  # a dash alone is nil, as offices write it (and Excel's accounting format shows zero)
        return Decimal(0)
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    if negative:
        cleaned = _strip_currency(cleaned[1:-1])
    cleaned = cleaned.replace("\u2212", "-")
    if ("," in cleaned or " " in cleaned) and not _GROUPED.match(cleaned):
        if re.fullmatch(r"[+-]?[\d., ]+", cleaned) and re.search(r"\d", cleaned):
            raise ParseError(
                f"{what}: '{text}' ใช้เครื่องหมายคั่นไม่ถูกต้อง (จุลภาคต้องคั่นทุกสามหลัก และใช้จุดเป็นทศนิยม เช่น 1,234.50): พิมพ์ตัวเลขใหม่โดยไม่ต้องใส่จุลภาค เช่น 125 หรือ 12.5",
                f"{what}: {text!r} has separators that do not group thousands (use 1,234.50, or no separator)",
                value=text,
            )
    cleaned = cleaned.replace(",", "").replace(" ", "")
    if not _NUMBER.match(cleaned):
        raise ParseError(
            f"{what}: '{text}' ไม่ใช่ตัวเลข",
            f"{what}: {text!r} is not a number",
            value=text,
        )
    try:
        number = Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        raise ParseError(f"{what}: '{text}' ไม่ใช่ตัวเลข", f"{what}: {text!r} is not a number", value=text) from None
    return -number if negative else number


def thai_digits(value: Any) -> str:
    """Write a number or text with Thai digits (๐-๙), as official letters do."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return arabic_digit_to_thai_digit(str(value))


def thai_time(moment: dt.datetime | None) -> str:
    """A moment as staff read it: ``24 พ.ย. 2569 10:15 น.`` (Bangkok time, Buddhist Era); "-" for none.
    A naive moment is UTC, as the ledger stores it."""
    if moment is None:
        return "-"
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return thai_strftime(aware.astimezone(BANGKOK), "%-d %b %Y %H:%M น.")


def _month_names() -> dict[str, int]:
    names: dict[str, int] = {}
    for number, (full, abbr) in enumerate(zip(thai_full_months, thai_abbr_months, strict=True), start=1):
        names[full] = number
        names[abbr] = number
        names[abbr.replace(".", "")] = number
        names[abbr.rstrip(".")] = number
    return names


_MONTHS = _month_names()
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})$")
_NAMED = re.compile(r"^(\d{1,2})\s*([^\d\s]+)\s*(\d{2}|\d{4})$")


def parse_date(value: Any) -> dt.date:
    """Read a date in the forms Thai offices write: ``"24 พ.ย. 2569"``, ``"๒๔/๑๑/๖๙"``, ISO.

    A 4-digit year from 2400 on is Buddhist Era; a 2-digit year is BE 25xx (the Thai habit)
    unless "ค.ศ." says otherwise. Day comes before month in the numeric form.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ParseError(f"'{value}' ไม่ใช่วันที่", f"{value!r} is not a date", value=value)
    if moment := _instant(value.strip()):  # a date cell as Apps Script sends it: the UTC instant of its midnight
        return moment.astimezone(BANGKOK).date() if moment.tzinfo else moment.date()
    text = _normalise(value).removeprefix("วันที่").strip()
    era = None
    for marker, name in (("พ.ศ.", "BE"), ("พศ", "BE"), ("ค.ศ.", "CE"), ("คศ", "CE")):
        if marker in text:
            era = name
            text = " ".join(text.replace(marker, " ").split())
    if match := _ISO.match(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _NUMERIC.match(text):
        day, month = int(match.group(1)), int(match.group(2))
        year = _year(match.group(3), era)
    elif (match := _NAMED.match(text)) and match.group(2) in _MONTHS:
        day, month = int(match.group(1)), _MONTHS[match.group(2)]
        year = _year(match.group(3), era)
    else:
        raise ParseError(
            f"'{value}' ไม่ใช่วันที่ที่อ่านได้ (ตัวอย่าง: 24 พ.ย. 2569, 24/11/2569, 2026-11-24)",
            f"{value!r} is not a date this reads (e.g. 24 พ.ย. 2569, 24/11/2569, 2026-11-24)",
            value=value,
        )
    if era == "BE" or (era is None and year >= 2400):
        year -= BE_OFFSET
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ParseError(f"'{value}' ไม่มีวันที่นี้ในปฏิทิน", f"{value!r} is not a calendar date", value=value) from None


def _instant(text: str) -> dt.datetime | None:
    """An ISO 8601 date and time (``2025-09-30T17:00:00.000Z``, or ``2024-10-01 00:00:00`` as Python writes a
    datetime, which xlwings Lite's JSON sends); None for anything else. A time with a zone is the zone's
    instant: read in Bangkok, that one is 1 October 2025, the day the sheet in Thailand showed."""
    if ("T" not in text and " " not in text) or not text[:4].isdigit():
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _year(digits: str, era: str | None) -> int:
    year = int(digits)
    if len(digits) == 2:
        return (2000 if era == "CE" else 2500) + year
    return year


def fiscal_year(date: Any) -> int:
    """The BE fiscal year a date falls in: 1 Oct 2024 CE (1 ต.ค. 2567) is in FY 2568."""
    return _fy_of(parse_date(date))


@dataclass(frozen=True)
class ReportingRound:
    """A 6/9/12-month reporting round of a fiscal year and the day it ends."""

    fiscal_year: int
    months: int
    ends: dt.date
    expected_progress: Decimal


def reporting_rounds(fiscal_year_be: int) -> list[ReportingRound]:
    """The rounds of one fiscal year, in order, from the dated calendar data."""
    rounds = default_parameters()["calendar.reporting_rounds"](fiscal_year_be)
    result = []
    for months, spec in sorted(rounds.items()):
        month, day = (int(part) for part in str(spec["ends"]).split("-"))
        year_ce = fiscal_year_be - BE_OFFSET - (1 if month >= 10 else 0)
        result.append(
            ReportingRound(
                fiscal_year_be, int(months), dt.date(year_ce, month, day), Decimal(str(spec["expected_progress"]))
            )
        )
    return result


def reporting_round(fiscal_year_be: Any, months: Any) -> ReportingRound:
    """The round ``months`` (6/9/12) of a BE fiscal year, checked: the one gate for every year and round
    that comes from outside (command line, settings file, a workbook's hidden sheet, the web, the API).

    Thai digits and "พ.ศ." are read. A Common-Era year (2026), a two-digit year (70), a year
    before the calendar data or more than a year ahead, and a round that is not one of the
    year's rounds raise :class:`ParseError` with the Thai fix ("ใช้ปี พ.ศ. เช่น 2570").
    """
    year = _whole(fiscal_year_be, "ปีงบประมาณ")
    current = fiscal_year(dt.date.today())
    example = f"ใช้ปี พ.ศ. เช่น {current}"
    if 1900 <= year < 2400:
        raise ParseError(
            f"ปี {year} เป็นปี ค.ศ.: {example}",
            f"{year} is a Common-Era year: use the Buddhist Era, e.g. {current}",
            value=fiscal_year_be,
        )
    if year < 100:
        raise ParseError(
            f"ปี {year}: {example} (เขียนปี พ.ศ. ให้ครบ 4 หลัก)",
            f"year {year}: write the four-digit Buddhist-Era year, e.g. {current}",
            value=fiscal_year_be,
        )
    if year > current + 1:
        raise ParseError(
            f"ปีงบประมาณ {year} ยังมาไม่ถึง (ปีงบประมาณปัจจุบันคือ {current}): {example}",
            f"fiscal year {year} is in the future (this is {current})",
            value=fiscal_year_be,
        )
    try:
        rounds = {r.months: r for r in reporting_rounds(year)}
    except ParameterNotSet:
        raise ParseError(
            f"ปีงบประมาณ {year}: ระบบไม่มีปฏิทินรอบรายงานของปีนี้ {example}",
            f"fiscal year {year} is before the reporting calendar",
            value=fiscal_year_be,
        ) from None
    number = _whole(months, "รอบรายงาน")
    if number not in rounds:
        choices = ", ".join(str(m) for m in rounds)
        raise ParseError(
            f"รอบรายงานต้องเป็น {choices} เดือน (ได้ {months})",
            f"the round must be one of {choices} months, got {months!r}",
            value=months,
        )
    return rounds[number]


def _whole(value: Any, what: str) -> int:
    """A whole number from a cell, an option or a form field: 2570, 2570.0, "๒๕๗๐", "พ.ศ. 2570"."""
    if isinstance(value, bool) or value is None:
        raise ParseError(f"{what}: ไม่ได้ระบุ", f"{what}: missing", value=value)
    if isinstance(value, str):
        value = _normalise(value).removeprefix("พ.ศ.").strip()
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ParseError(f"{what} '{value}' ไม่ใช่ตัวเลข", f"{what} {value!r} is not a number", value=value) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ParseError(f"{what} '{value}' ต้องเป็นจำนวนเต็ม", f"{what} {value!r} must be a whole number", value=value)
    return int(number)


def round_of(date: Any) -> ReportingRound:
    """The reporting round a date falls in: 24 Nov 2026 is in the 6-month round of FY 2570."""
    day = parse_date(date)
    rounds = reporting_rounds(fiscal_year(day))
    return next(r for r in rounds if day <= r.ends)


def fold_name(text: Any) -> str:
    """A name as compared (a letter number, a plan, a project, an item, a per-head item): Thai digits read,
    every space dropped and case folded. Thai writes no spaces between words, so "ผลผลิต ผู้จบ" and
    "ผลผลิตผู้จบ" are one name, and "ศธ ๐๔๐๐๒/ว๑๒๓" is "ศธ04002/ว123"."""
    return _folded_name(str(text or ""))


@lru_cache(maxsize=4096)
def _folded_name(text: str) -> str:
    """Names repeat on every row: each spelling is folded once."""
    return re.sub(r"\s+", "", thai_digit_to_arabic_digit(text)).casefold()
