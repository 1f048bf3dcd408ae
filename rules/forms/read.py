"""The validation of one filled-in sheet against its form. :func:`read_sheet` takes the sheet as a grid
of raw cell values (whatever reader produced it) and returns normalised rows plus *every* problem
found, each with its cell address, rule and Thai message - not just the first. Thai digits,
``1,234`` and BE dates are read, not refused; they are reported as ``info`` so staff can see what
was interpreted. :func:`shown` and :func:`computed` give a value as the master shows it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from pythainlp.util import thai_digit_to_arabic_digit

from rules.budget_sources import plan_source
from rules.defaults import default_parameters
from rules.errors import EsaplanError, ParseError
from rules.forms.cells import blank, cell_name, column_letter, fold
from rules.forms.checks import (
    MERGED_SHARED_TH,
    MERGED_TH,
    check_kpi_rows,
    check_shared_rooms,
    check_shown,
    check_transfers,
    check_unique,
    grade_in,
    merged_rows,
    run_checks,
)
from rules.forms.model import (
    FORMULA_PREFIXES,
    HEADER_SCAN_ROWS,
    Column,
    Form,
    Problem,
    SheetResult,
    forms,
    header_map,
    header_map_of,
)
from rules.grades import grade
from rules.kpi import kpi as kpi_entry
from rules.kpi import strategies
from rules.money import decimal_places, format_number, to_decimal
from rules.thai import fiscal_year as fiscal_year_of
from rules.thai import parse_date
from rules.transfers import category_code, category_th


def find_header(form: Form, grid: Sequence[Sequence[Any]]) -> tuple[int, dict[int, str], list[tuple[int, str]]]:
    """The header row (0-based), the column index of each recognised key, and unrecognised headers."""
    names = header_map_of(form.code) if forms().get(form.code) == form else header_map(form)
    best_row, best_score = -1, 0
    for r, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        score = sum(1 for value in row if not blank(value) and fold(value) in names)
        if score > best_score:
            best_row, best_score = r, score
    if best_row < 0:
        return -1, {}, []
    positions: dict[int, str] = {}
    unknown: list[tuple[int, str]] = []
    for c, value in enumerate(grid[best_row]):
        if blank(value):
            continue
        key = names.get(fold(value))
        if key is None or key in positions.values():
            unknown.append((c, str(value)))
        else:
            positions[c] = key
    return best_row, positions, unknown


def read_sheet(
    form: Form,
    grid: Sequence[Sequence[Any]],
    *,
    unit_code: str,
    on: dt.date | None = None,
    formulas: bool = False,
    merged: Sequence[tuple[int, int, int, int]] = (),
) -> SheetResult:
    """Normalise and validate one sheet's grid of raw cell values against ``form``.

    ``formulas``: the grid shows formula cells as their text (``=N(B4)+N(C4)``), so a formula
    column typed over with a value is reported. The master recomputes those columns from the
    inputs either way; the warning tells the school its sheet no longer adds up by itself.
    ``merged``: the sheet's merged ranges (0-based, inclusive); a grid holds a merged range's value
    in its first cell only. A rooms cell merged over several grades is their shared room; any
    other range merged over data rows is an error on each of its rows, saying how to report a
    multi-grade class.
    """
    result = SheetResult()
    fiscal_year = fiscal_year_of(on) if on else None  # KPI and strategy codes are those of the plan in force then
    header, positions, unknown = find_header(form, grid)
    if header < 0:
        result.problems.append(
            Problem(
                form.sheet,
                "A1",
                "HEADER",
                "error",
                f"ไม่พบแถวหัวตารางของแบบ '{form.title_th}' (ต้องมีหัวคอลัมน์เช่น '{form.inputs[0].th}')",
            )
        )
        return result
    present = set(positions.values())
    unknown_left = list(unknown)
    for column in form.inputs:
        if column.key in present:
            continue
        if column.required:
            if unknown_left:
                c, text = unknown_left.pop(0)
                message = f"หัวคอลัมน์ '{text}' ไม่ตรงกับแบบฟอร์ม ควรเป็น '{column.th}' (อย่าแก้ไขหัวตาราง)"
                result.problems.append(
                    Problem(form.sheet, cell_name(header, c), "HEADER", "error", message, text, column.key)
                )
            else:
                message = f"ไม่พบคอลัมน์ '{column.th}' ในแถวหัวตาราง"
                result.problems.append(
                    Problem(form.sheet, cell_name(header, 0), "HEADER", "error", message, None, column.key)
                )
    by_key = {key: c for c, key in positions.items()}
    inputs = [c for c in form.inputs if c.key in by_key]
    letters = {c.key: column_letter(by_key[c.key]) for c in inputs}
    typed_over = [c for c in form.columns if c.formula and c.key in by_key] if formulas else []
    prefill_key = (form.prefill or {}).get("column")
    pending_blank: list[int] = []
    sharing, refused = merged_rows(form, merged, header, by_key)
    row_checks = [
        c for c in form.checks if not (form.shared_rooms and c.id in form.shared_rooms.checks)
    ]  # the others: on each room's group
    for r in range(header + 1, len(grid)):
        raw_row = grid[r]
        raws = {c.key: (raw_row[by_key[c.key]] if by_key[c.key] < len(raw_row) else None) for c in inputs}
        if all(blank(v) for k, v in raws.items() if k != prefill_key):
            if prefill_key not in raws or blank(raws[prefill_key]):
                pending_blank.append(
                    r
                )  # a pre-filled line left empty (a grade the school lacks, a KPI not reported) is no gap
            continue
        if result.rows and pending_blank:
            for gap in pending_blank:
                result.problems.append(
                    Problem(form.sheet, cell_name(gap, 0), "BLANK-ROW", "info", "แถวว่างระหว่างข้อมูล ข้ามไป")
                )
        pending_blank = []
        if _own_total(form, inputs, raws, r, letters, result, fiscal_year):
            continue
        row: dict[str, Any] = {"_row": r + 1}
        said = len(result.problems)
        for column in inputs:
            row[column.key] = _cell(
                form, column, raws[column.key], f"{letters[column.key]}{r + 1}", result.problems, fiscal_year
            )
        unreadable = any(p.severity == "error" for p in result.problems[said:])
        for column in typed_over:
            raw = raw_row[by_key[column.key]] if by_key[column.key] < len(raw_row) else None
            if not blank(raw) and not (isinstance(raw, str) and raw.startswith("=")):
                message = f"ช่อง '{column.th}' ต้องเป็นสูตรคำนวณ แต่ถูกพิมพ์ทับเป็น {raw}: คัดลอกสูตรจากแถวอื่นมาวางคืน (ระบบคำนวณค่านี้ใหม่จากข้อมูลในแถว)"
                result.problems.append(
                    Problem(
                        form.sheet,
                        cell_name(r, by_key[column.key]),
                        "FORMULA-OVERWRITTEN",
                        "warning",
                        message,
                        raw,
                        column.key,
                    )
                )
        if not formulas and not unreadable:  # a value esaplan could not read is said already
            check_shown(form, row, raw_row, by_key, r, result.problems)
        if r in refused:
            result.problems.append(
                Problem(
                    form.sheet,
                    refused[r],
                    "MERGED-CELLS",
                    "error",
                    MERGED_TH + (MERGED_SHARED_TH if form.shared_rooms else ""),
                )
            )
        if (
            r in sharing
            and form.shared_rooms
            and row.get(form.shared_rooms.with_) is None
            and (host := grade_in(grid, sharing[r], by_key))
        ):
            row[form.shared_rooms.with_] = host
            message = f"ช่องห้องเรียนผสานข้ามแถวตั้งแต่ชั้น {grade(host).th}: นับว่าเรียนรวมห้องกับชั้น {grade(host).th} (ห้องเรียนคละชั้น)"
            result.problems.append(
                Problem(form.sheet, cell_name(r, by_key[form.shared_rooms.rooms]), "SHARED-ROOM", "info", message)
            )
        run_checks(form, row_checks, row, by_key, r, result.problems)
        result.rows.append(row)
    if form.shared_rooms:
        check_shared_rooms(form, form.shared_rooms, result, by_key)
    if form.unique:
        check_unique(form, result, by_key, fiscal_year)
    if form.transfer_check:
        check_transfers(form, result, by_key, unit_code, on)
    if form.kpi_check:
        check_kpi_rows(form, result, by_key, fiscal_year)
    return result


TOTAL_WORDS = frozenset({"รวม", "รวมทั้งสิ้น", "รวมทั้งหมด", "ยอดรวม", "รวมเงิน", "total"})


def _own_total(
    form: Form,
    inputs: list[Column],
    raws: dict[str, Any],
    r: int,
    letters: dict[str, str],
    result: SheetResult,
    fiscal_year: int | None,
) -> bool:
    """A total row the school typed under its lines (รวม in the first column: no item is called so): not
    a line, so it is left out rather than refused or counted twice, and its figures are compared with the
    lines above it, a total that does not add up being worth a look."""
    first = inputs[0] if inputs else None
    if first is None or first.type != "text" or fold(str(raws.get(first.key) or "")) not in TOTAL_WORDS:
        return False
    figures = [c for c in inputs if c.type in ("money", "number", "count")]
    scratch: list[Problem] = []
    typed = {c.key: _cell(form, c, raws[c.key], f"{letters[c.key]}{r + 1}", scratch, fiscal_year) for c in figures}
    sums = {c.key: sum((Decimal(str(row.get(c.key) or 0)) for row in result.rows), Decimal(0)) for c in figures}
    differ = [
        f"'{c.th}' {format_number(typed[c.key])} แต่แถวข้างบนรวมได้ {format_number(sums[c.key])}"
        for c in figures
        if isinstance(typed[c.key], int | Decimal) and Decimal(str(typed[c.key])) != sums[c.key]
    ]
    where = f"{letters[first.key]}{r + 1}"
    if differ:
        message = f"แถวรวมที่พิมพ์เองไม่ตรงกับผลรวมของรายการ: {'; '.join(differ)} (ระบบรวมจากรายการเอง ไม่ใช้แถวนี้)"
        result.problems.append(Problem(form.sheet, where, "OWN-TOTAL-ROW", "warning", message))
    else:
        message = "แถวรวมที่พิมพ์เอง: ยอดตรงกับผลรวมของรายการ ระบบรวมจากรายการเอง จึงไม่นับแถวนี้ซ้ำ"
        result.problems.append(Problem(form.sheet, where, "OWN-TOTAL-ROW", "info", message))
    return True


def _cell(form: Form, column: Column, raw: Any, address: str, problems: list[Problem], fiscal_year: int | None) -> Any:
    def problem(rule: str, message: str, severity: str = "error") -> None:
        problems.append(Problem(form.sheet, address, rule, severity, message, raw, column.key))

    if blank(raw):
        if column.required:
            problem("REQUIRED", f"ต้องกรอก '{column.th}'" + (f" ({column.hint_th})" if column.hint_th else ""))
        return None
    try:
        value = _convert(column, raw, fiscal_year)
    except EsaplanError as exc:
        problem(f"TYPE-{column.type.upper()}", f"'{column.th}': {exc.message_th}")
        return None
    if isinstance(raw, str) and column.type in {"count", "money", "number"} and str(value) != raw.strip():
        problem("NORMALISED", f"อ่าน '{raw}' เป็น {format_number(Decimal(value))}", "info")
    if isinstance(raw, str) and column.type == "category" and category_th(value) != raw.strip():
        problem("NORMALISED", f"อ่าน '{raw}' เป็น {category_th(value)}", "info")
    if isinstance(raw, str) and column.type == "date":
        problem("NORMALISED", f"อ่าน '{raw}' เป็นวันที่ {value.day}/{value.month}/{value.year + 543} (พ.ศ.)", "info")
    if isinstance(raw, str) and column.type == "text" and raw.lstrip().startswith(FORMULA_PREFIXES):
        problem("TEXT-NOT-FORMULA", f"ข้อความขึ้นต้นด้วย '{raw.lstrip()[0]}' บันทึกเป็นข้อความ ไม่คำนวณเป็นสูตร", "warning")
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        if column.min is not None and value < column.min:
            problem(
                "RANGE", f"'{column.th}' ต้องไม่น้อยกว่า {format_number(column.min)} (ได้ {format_number(Decimal(value))})"
            )
        if column.max is not None and value > column.max:
            problem("RANGE", f"'{column.th}' ต้องไม่เกิน {format_number(column.max)} (ได้ {format_number(Decimal(value))})")
        _check_plausible(column, Decimal(value), fiscal_year, problem)
    return value


def _check_plausible(column: Column, value: Decimal, fiscal_year: int | None, problem: Callable[..., None]) -> None:
    """A figure far beyond what a unit can report is an error, one beyond what is usual a warning:
    the limits are the office's, dated, in rules/data/plausibility."""
    year = fiscal_year or fiscal_year_of(dt.date.today())
    if column.impossible and value > (limit := Decimal(default_parameters()[column.impossible](year))):
        problem(
            "IMPOSSIBLE-AMOUNT",
            f"'{column.th}' {format_number(value)} เกินกว่าที่รายการเดียวจะเป็นได้ ({format_number(limit)}): ตรวจว่าพิมพ์ศูนย์เกินหรือใส่หน่วยผิดหรือไม่ แถวนี้จึงไม่นำไปรวม",
        )
    elif column.unusual and value > (limit := Decimal(default_parameters()[column.unusual](year))):
        problem(
            "UNUSUAL-AMOUNT",
            f"'{column.th}' {format_number(value)} สูงผิดปกติ (เกิน {format_number(limit)}): ตรวจจำนวนอีกครั้ง ถ้าถูกต้องไม่ต้องแก้ไข",
            "warning",
        )


def _convert(column: Column, raw: Any, fiscal_year: int | None) -> Any:
    kind = column.type
    text = str(raw).strip() if isinstance(raw, str) else raw
    if kind == "text":
        return str(raw).strip() if isinstance(raw, str) else as_typed(raw)
    if kind in {"count", "money", "number"}:
        if isinstance(raw, (dt.date, dt.datetime)):
            raise ParseError("เป็นวันที่ ไม่ใช่ตัวเลข", "a date, not a number", value=raw)
        if isinstance(text, str) and text.endswith("%"):  # a KPI's result typed as its percentage
            raise ParseError(
                f"'{text}' เป็นร้อยละ: ช่องนี้กรอกเป็นจำนวน เช่น ผ่าน 34 คนจาก 40 คน กรอก 34 (ระบบคิดร้อยละให้)",
                "a percentage; this cell takes a count",
                value=raw,
            )
        number = to_decimal(raw, "ค่า")
        if kind == "count":
            if number != number.to_integral_value():
                raise ParseError(f"ต้องเป็นจำนวนเต็ม (ได้ {raw})", f"must be a whole number, got {raw!r}", value=raw)
            return int(number)
        if (
            kind == "money" and isinstance(raw, str) and decimal_places(number) > 2
        ):  # typed "1.234": a thousand baht, or one baht 23.4 satang?
            raise ParseError(
                f"จำนวนเงิน '{text}' มีทศนิยมเกินสองตำแหน่ง (สตางค์): ถ้าหมายถึงหนึ่งพันกว่าบาท พิมพ์ {int(number * 1000)} ไม่ต้องใส่จุด",
                f"{text!r} has more than two decimals",
                value=raw,
            )
        return number.quantize(Decimal("0.01")) if kind == "money" and decimal_places(number) > 2 else number
    if kind == "grade":
        return grade(str(text)).code
    if kind == "category":
        try:
            return category_code(text)
        except EsaplanError as exc:
            raise ParseError(exc.message_th, exc.message_en, value=raw) from None
    if kind == "kpi":
        entry = kpi_entry(str(text), fiscal_year=fiscal_year)
        if entry.reported_by not in ("school", "both"):
            raise ParseError(
                f"ตัวชี้วัด {entry.code} สำนักงานเขตเป็นผู้รายงาน", f"{entry.code} is reported by the office", value=raw
            )
        return entry.code
    if kind == "kpis":
        return _kpi_codes(text, fiscal_year)
    if kind == "strategy":
        return _strategy_number(text, fiscal_year)
    if kind == "source":
        return plan_source(text).code
    if kind == "yesno":
        folded = fold(text)
        if folded in {"ใช่", "มี", "y", "yes", "true", "1", "x", "✓"}:
            return True
        if folded in {"ไม่ใช่", "ไม่", "ไม่มี", "n", "no", "false", "0"}:
            return False
        raise ParseError("ต้องเป็น ใช่ หรือ ไม่ใช่", "must be yes or no", value=raw)
    if kind == "choice":
        if text in column.choices:
            return text
        raise ParseError(f"ต้องเลือกจาก: {', '.join(column.choices)}", f"must be one of {column.choices}", value=raw)
    if kind == "date":
        return parse_date(raw)
    raise ParseError(
        f"ชนิดข้อมูล {kind} ไม่รู้จัก", f"unknown type {kind}", value=raw
    )  # pragma: no cover - rules check guards types


def _kpi_codes(text: Any, fiscal_year: int | None) -> list[str]:
    """``"S1.1, S๒.๔ s3.2"`` -> ``["S1.1", "S2.4", "S3.2"]``: any indicator of the catalogue, each once."""
    codes: list[str] = []
    for part in re.split(r"[,;/\s]+", str(text)):
        if part:
            try:
                code = kpi_entry(part, fiscal_year=fiscal_year).code
            except EsaplanError as exc:
                raise ParseError(exc.message_th, exc.message_en, value=text) from None
            if code not in codes:
                codes.append(code)
    if not codes:
        raise ParseError("ต้องมีรหัสตัวชี้วัดอย่างน้อยหนึ่งรหัส เช่น S2.4", "at least one KPI code, e.g. S2.4", value=text)
    return codes


def _strategy_number(text: Any, fiscal_year: int | None) -> int:
    """``3``, ``"๓"``, ``"กลยุทธ์ที่ 3"`` or the drop-down's ``"3 เพิ่มศักยภาพครู..."`` -> 3, if the catalogue has it."""
    found = re.search(r"\d+", thai_digit_to_arabic_digit(as_typed(text)))
    numbers = strategies(fiscal_year)
    if found is None or int(found.group(0)) not in numbers:
        listed = ", ".join(str(n) for n in numbers)
        raise ParseError(
            f"ไม่มีกลยุทธ์ '{text}' ในแผน (มีกลยุทธ์ที่ {listed})",
            f"no strategy {text!r} in the plan (there are {listed})",
            value=text,
        )
    return int(found.group(0))


def as_typed(value: Any) -> str:
    """A cell's value as a person typed it: workbook readers give every number as a float (and the
    engine as a Decimal), and 25000 must not come back to a school as "25000.0"."""
    whole = (
        value.is_integer()
        if isinstance(value, float)
        else value.is_finite() and value == value.to_integral_value()
        if isinstance(value, Decimal)
        else False
    )
    return str(int(value)) if whole else str(value)
