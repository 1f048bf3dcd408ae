"""Submission forms as data, and the validation of one filled-in sheet against its form.

Each form (``rules/data/forms/<code>.yaml``) declares its sheet, its columns (key, Thai label,
accepted header aliases, type, range, choices) and cross-field checks in the style of DHIS2
validation rules: a left expression, an operator, a right expression, a severity and a Thai
message. Expressions are tiny arithmetic over column keys plus two rule functions
(``max_per_room(grade)``, ``rooms_needed(pupils, grade)``), evaluated exactly in Decimal.

:func:`read_sheet` takes the sheet as a grid of raw cell values (whatever reader produced it)
and returns normalised rows plus *every* problem found, each with its cell address, rule and
Thai message - not just the first. Thai digits, ``1,234`` and BE dates are read, not refused;
they are reported as ``info`` so staff can see what was interpreted.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

from pythainlp.util import thai_digit_to_arabic_digit

from rules.errors import EsaplanError, ParseError
from rules.vocabulary import ARITH, AST_COMPARE, COMPARE_OPERATORS, compile_expression, expression_names
from rules.grades import all_grades, grade, level_of
from rules.kpi import check_report, kpis, strategies, strategy_label
from rules.kpi import kpi as kpi_entry
from rules.money import format_number, to_decimal
from rules.defaults import default_parameters
from rules.budget_sources import plan_source, plan_sources
from rules.planning import rooms_needed
from rules.thai import fiscal_year as fiscal_year_of
from rules.thai import parse_date
from rules.transfers import category_code, category_th, validate_transfers

FORMULA_PREFIXES = ("=", "+", "-", "@")
HEADER_SCAN_ROWS = 15


@dataclass(frozen=True)
class Column:
    """One column of a form: input columns are typed in; ``formula``/``lookup`` ones are filled by the template."""

    key: str
    th: str
    aliases: tuple[str, ...] = ()
    type: str = "text"
    required: bool = False
    min: Decimal | None = None
    max: Decimal | None = None
    choices: tuple[str, ...] = ()
    formula: str | None = None
    lookup: str | None = None
    unusual: str | None = None  # a parameter (rules/data): above its value, a warning that the figure looks wrong
    impossible: str | None = None  # a parameter: above its value, an error (the row is left out)

    @property
    def is_input(self) -> bool:
        return self.formula is None and self.lookup is None


@dataclass(frozen=True)
class Check:
    """A DHIS2-style validation rule: ``left op right`` (optionally only ``when`` holds)."""

    id: str
    left: str
    op: str
    right: str
    severity: str
    message_th: str
    when: str | None = None
    cell: str | None = None  # column whose cell the problem points at (default: first of ``left``)


@dataclass(frozen=True)
class SharedRooms:
    """How a form with rooms by grade says that several grades share a room (ห้องเรียนคละชั้น), as
    about half of OBEC's schools teach: the room is counted once, at the grade that holds it
    (``rooms``), and each other grade names that grade in its ``with`` column (or types 0 rooms
    right after it, or sits under a rooms cell merged over the grades). The ``checks`` about rooms
    are then made on the room's group (its grades' pupils together), not grade by grade."""

    rooms: str
    with_: str
    checks: tuple[str, ...]


@dataclass(frozen=True)
class Form:
    """One form = one sheet of a submission workbook."""

    code: str
    version: int
    sheet: str
    title_th: str
    description: str
    columns: tuple[Column, ...]
    checks: tuple[Check, ...]
    prefill: Mapping[str, Any] | None = None
    blank_rows: int = 0
    transfer_check: bool = False
    kpi_check: bool = False
    unique: tuple[str, ...] = ()  # the columns that name a row: a grade, a KPI code, a budget line appears once
    shared_rooms: SharedRooms | None = None  # grades that share a room (ห้องเรียนคละชั้น), when the form has rooms by grade

    @property
    def inputs(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.is_input)


@dataclass(frozen=True)
class FormSet:
    """The forms one kind of unit sends each round, in one workbook."""

    code: str
    th: str
    file: str
    submitted_by: str
    forms: tuple[Form, ...]
    deadline_days: int
    yearly: bool = False  # sent once a fiscal year (the action plan), not every round


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth knowing) in a submitted sheet, with the cell to look at."""

    sheet: str
    cell: str
    rule: str
    severity: str
    message_th: str
    value: Any = None
    column: str | None = None


@dataclass
class SheetResult:
    """Normalised rows (each with its spreadsheet row number in ``_row``) and the problems found."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")


def _decimal_or_none(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@cache
def forms() -> dict[str, Form]:
    """Every form declared in rules/data/forms, by code."""
    params = default_parameters()
    result = {}
    for name in params.files:
        if not name.startswith("forms.") or name == "forms.sets":
            continue
        data = params.table(name)
        result[data["code"]] = Form(
            code=data["code"],
            version=int(data["version"]),
            sheet=data["sheet"],
            title_th=data["title_th"],
            description=data["description"],
            columns=tuple(
                Column(
                    key=c["key"],
                    th=c["th"],
                    aliases=tuple(c.get("aliases", ())),
                    type=c.get("type", "text"),
                    required=bool(c.get("required", False)),
                    min=_decimal_or_none(c.get("min", 0 if c.get("type") in {"count", "money"} else None)),
                    max=_decimal_or_none(c.get("max")),
                    choices=tuple(c.get("choices", ())),
                    formula=c.get("formula"),
                    lookup=c.get("lookup"),
                    unusual=c.get("unusual"),
                    impossible=c.get("impossible"),
                )
                for c in data["columns"]
            ),
            checks=tuple(Check(**{k: v for k, v in c.items()}) for c in data.get("checks") or ()),
            prefill=data.get("prefill"),
            blank_rows=int(data.get("blank_rows", 0)),
            transfer_check=bool(data.get("transfer_check", False)),
            kpi_check=bool(data.get("kpi_check", False)),
            unique=tuple(data.get("unique") or ()),
            shared_rooms=SharedRooms(data["shared_rooms"]["rooms"], data["shared_rooms"]["with"], tuple(data["shared_rooms"].get("checks") or ())) if data.get("shared_rooms") else None,
        )
    return result


@cache
def form_sets() -> dict[str, FormSet]:
    """The form sets (one workbook each), by code."""
    data = default_parameters().table("forms.sets")
    catalogue = forms()
    return {
        row["code"]: FormSet(
            code=row["code"],
            th=row["th"],
            file=row["file"],
            submitted_by=row["submitted_by"],
            forms=tuple(catalogue[code] for code in row["forms"]),
            deadline_days=int(data["deadline_days_after_round_end"]),
            yearly=row.get("cycle") == "year",
        )
        for row in data["sets"]
    }


def preload() -> None:
    """Load every cached rules table now: worker processes forked afterwards inherit them."""
    form_sets()
    kpis()
    all_grades()
    for form in forms().values():
        _header_map_of(form.code)


def form_version(form_set: FormSet) -> str:
    """The version stamp written into a workbook of this set: each form's code and version."""
    return ".".join(f"{f.code}:{f.version}" for f in form_set.forms)


# --- expressions -------------------------------------------------------------------------


def _max_per_room(grade_code: Any) -> Decimal:
    return default_parameters()["class_size.max_pupils_per_room"](dt.date.today(), level_of(str(grade_code)))


def _rooms_needed(pupils: Any, grade_code: Any) -> Decimal:
    return Decimal(rooms_needed(pupils, str(grade_code)))


FUNCTIONS: dict[str, Callable[..., Any]] = {"max_per_room": _max_per_room, "rooms_needed": _rooms_needed}


class _Missing(Exception):
    """A referenced value is blank: the check does not apply to this row."""


def evaluate(text: str, row: Mapping[str, Any]) -> Any:
    """Evaluate an expression over one row's values (Decimal arithmetic; blanks skip the check)."""
    return _eval(compile_expression(text).body, row)


def _eval(node: ast.AST, row: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        value = row.get(node.id)
        if value is None:
            raise _Missing(node.id)
        return Decimal(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if isinstance(node, ast.UnaryOp):
        return -_eval(node.operand, row)
    if isinstance(node, ast.BinOp):
        return ARITH[type(node.op)](_eval(node.left, row), _eval(node.right, row))
    if isinstance(node, ast.Compare):
        left = _eval(node.left, row)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _eval(right_node, row)
            if not COMPARE_OPERATORS[AST_COMPARE[type(op)]](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.Call):
        return FUNCTIONS[node.func.id](*(_eval(arg, row) for arg in node.args))  # type: ignore[union-attr]
    raise ParseError("นิพจน์ไม่ถูกต้อง", "invalid expression", value=ast.dump(node))  # pragma: no cover - compile_expression guards


def format_message(template: str, row: Mapping[str, Any]) -> str:
    """Fill ``{expression}`` placeholders of a Thai message with the row's values."""
    return re.sub(r"\{([^{}]+)\}", lambda m: format_number(evaluate(m.group(1), row)), template)


# --- reading a sheet ---------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _fold_text(text: str) -> str:
    return re.sub(r"[\s.()/\-]+", "", thai_digit_to_arabic_digit(text)).casefold()


def _fold(text: Any) -> str:
    """Header spelling folded: Thai digits, spaces, dots, brackets, slashes and case do not matter."""
    return _fold_text(str(text))


def column_letter(index: int) -> str:
    """Spreadsheet column letters for a 0-based index: 0 -> A, 27 -> AB."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_name(row: int, col: int) -> str:
    """A1-style address for 0-based row and column."""
    return f"{column_letter(col)}{row + 1}"


def row_of(cell: str) -> int | None:
    """The row number of an A1-style address ("E12" -> 12); None for "-" (a whole file or sheet)."""
    digits = cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return int(digits) if digits.isdigit() else None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@cache
def _header_map_of(code: str) -> dict[str, str]:
    return _header_map(forms()[code])


def _header_map(form: Form) -> dict[str, str]:
    names: dict[str, str] = {}
    for column in form.columns:
        for spelling in (column.key, column.th, *column.aliases):
            names.setdefault(_fold(spelling), column.key)
    return names


def find_header(form: Form, grid: Sequence[Sequence[Any]]) -> tuple[int, dict[int, str], list[tuple[int, str]]]:
    """The header row (0-based), the column index of each recognised key, and unrecognised headers."""
    names = _header_map_of(form.code) if forms().get(form.code) == form else _header_map(form)
    best_row, best_score = -1, 0
    for r, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        score = sum(1 for value in row if not _blank(value) and _fold(value) in names)
        if score > best_score:
            best_row, best_score = r, score
    if best_row < 0:
        return -1, {}, []
    positions: dict[int, str] = {}
    unknown: list[tuple[int, str]] = []
    for c, value in enumerate(grid[best_row]):
        if _blank(value):
            continue
        key = names.get(_fold(value))
        if key is None or key in positions.values():
            unknown.append((c, str(value)))
        else:
            positions[c] = key
    return best_row, positions, unknown


def read_sheet(form: Form, grid: Sequence[Sequence[Any]], *, unit_code: str, on: dt.date | None = None, formulas: bool = False, merged: Sequence[tuple[int, int, int, int]] = ()) -> SheetResult:
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
        result.problems.append(Problem(form.sheet, "A1", "HEADER", "error", f"ไม่พบแถวหัวตารางของแบบ '{form.title_th}' (ต้องมีหัวคอลัมน์เช่น '{form.inputs[0].th}')"))
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
                result.problems.append(Problem(form.sheet, cell_name(header, c), "HEADER", "error", message, text, column.key))
            else:
                message = f"ไม่พบคอลัมน์ '{column.th}' ในแถวหัวตาราง"
                result.problems.append(Problem(form.sheet, cell_name(header, 0), "HEADER", "error", message, None, column.key))
    by_key = {key: c for c, key in positions.items()}
    inputs = [c for c in form.inputs if c.key in by_key]
    letters = {c.key: column_letter(by_key[c.key]) for c in inputs}
    typed_over = [c for c in form.columns if c.formula and c.key in by_key] if formulas else []
    prefill_key = (form.prefill or {}).get("column")
    pending_blank: list[int] = []
    sharing, refused = _merged_rows(form, merged, header, by_key)
    row_checks = [c for c in form.checks if not (form.shared_rooms and c.id in form.shared_rooms.checks)]  # the others: on each room's group
    for r in range(header + 1, len(grid)):
        raw_row = grid[r]
        raws = {c.key: (raw_row[by_key[c.key]] if by_key[c.key] < len(raw_row) else None) for c in inputs}
        if all(_blank(v) for k, v in raws.items() if k != prefill_key):
            if prefill_key not in raws or _blank(raws[prefill_key]):
                pending_blank.append(r)  # a pre-filled line left empty (a grade the school lacks, a KPI not reported) is no gap
            continue
        if result.rows and pending_blank:
            for blank in pending_blank:
                result.problems.append(Problem(form.sheet, cell_name(blank, 0), "BLANK-ROW", "info", "แถวว่างระหว่างข้อมูล ข้ามไป"))
        pending_blank = []
        row: dict[str, Any] = {"_row": r + 1}
        said = len(result.problems)
        for column in inputs:
            row[column.key] = _cell(form, column, raws[column.key], f"{letters[column.key]}{r + 1}", result.problems, fiscal_year)
        unreadable = any(p.severity == "error" for p in result.problems[said:])
        for column in typed_over:
            raw = raw_row[by_key[column.key]] if by_key[column.key] < len(raw_row) else None
            if not _blank(raw) and not (isinstance(raw, str) and raw.startswith("=")):
                message = f"ช่อง '{column.th}' ต้องเป็นสูตรคำนวณ แต่ถูกพิมพ์ทับเป็น {raw}: คัดลอกสูตรจากแถวอื่นมาวางคืน (ระบบคำนวณค่านี้ใหม่จากข้อมูลในแถว)"
                result.problems.append(Problem(form.sheet, cell_name(r, by_key[column.key]), "FORMULA-OVERWRITTEN", "warning", message, raw, column.key))
        if not formulas and not unreadable:  # a value esaplan could not read is said already
            _check_shown(form, row, raw_row, by_key, r, result.problems)
        if r in refused:
            result.problems.append(Problem(form.sheet, refused[r], "MERGED-CELLS", "error", MERGED_TH + (MERGED_SHARED_TH if form.shared_rooms else "")))
        if r in sharing and form.shared_rooms and row.get(form.shared_rooms.with_) is None and (host := _grade_in(grid, sharing[r], by_key)):
            row[form.shared_rooms.with_] = host
            message = f"ช่องห้องเรียนผสานข้ามแถวตั้งแต่ชั้น {grade(host).th}: นับว่าเรียนรวมห้องกับชั้น {grade(host).th} (ห้องเรียนคละชั้น)"
            result.problems.append(Problem(form.sheet, cell_name(r, by_key[form.shared_rooms.rooms]), "SHARED-ROOM", "info", message))
        _run_checks(form, row_checks, row, by_key, r, result.problems)
        result.rows.append(row)
    if form.shared_rooms:
        _check_shared_rooms(form, form.shared_rooms, result, by_key)
    if form.unique:
        _check_unique(form, result, by_key, fiscal_year)
    if form.transfer_check:
        _check_transfers(form, result, by_key, unit_code, on)
    if form.kpi_check:
        _check_kpi_rows(form, result, by_key, fiscal_year)
    return result


def _cell(form: Form, column: Column, raw: Any, address: str, problems: list[Problem], fiscal_year: int | None) -> Any:
    def problem(rule: str, message: str, severity: str = "error") -> None:
        problems.append(Problem(form.sheet, address, rule, severity, message, raw, column.key))

    if _blank(raw):
        if column.required:
            problem("REQUIRED", f"ต้องกรอก '{column.th}'")
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
            problem("RANGE", f"'{column.th}' ต้องไม่น้อยกว่า {format_number(column.min)} (ได้ {format_number(Decimal(value))})")
        if column.max is not None and value > column.max:
            problem("RANGE", f"'{column.th}' ต้องไม่เกิน {format_number(column.max)} (ได้ {format_number(Decimal(value))})")
        _check_plausible(column, Decimal(value), fiscal_year, problem)
    return value


def _check_plausible(column: Column, value: Decimal, fiscal_year: int | None, problem: Callable[..., None]) -> None:
    """A figure far beyond what a unit can report is an error, one beyond what is usual a warning:
    the limits are the office's, dated, in rules/data/plausibility."""
    year = fiscal_year or fiscal_year_of(dt.date.today())
    if column.impossible and value > (limit := Decimal(default_parameters()[column.impossible](year))):
        problem("IMPOSSIBLE-AMOUNT", f"'{column.th}' {format_number(value)} เกินกว่าที่รายการเดียวจะเป็นได้ ({format_number(limit)}): ตรวจว่าพิมพ์ศูนย์เกินหรือใส่หน่วยผิดหรือไม่ แถวนี้จึงไม่นำไปรวม")
    elif column.unusual and value > (limit := Decimal(default_parameters()[column.unusual](year))):
        problem("UNUSUAL-AMOUNT", f"'{column.th}' {format_number(value)} สูงผิดปกติ (เกิน {format_number(limit)}): ตรวจจำนวนอีกครั้ง ถ้าถูกต้องไม่ต้องแก้ไข", "warning")


def _convert(column: Column, raw: Any, fiscal_year: int | None) -> Any:
    kind = column.type
    text = str(raw).strip() if isinstance(raw, str) else raw
    if kind == "text":
        return str(raw).strip() if isinstance(raw, str) else as_typed(raw)
    if kind in {"count", "money", "number"}:
        if isinstance(raw, (dt.date, dt.datetime)):
            raise ParseError("เป็นวันที่ ไม่ใช่ตัวเลข", "a date, not a number", value=raw)
        if isinstance(text, str) and text.endswith("%"):  # a KPI's result typed as its percentage
            raise ParseError(f"'{text}' เป็นร้อยละ: ช่องนี้กรอกเป็นจำนวน เช่น ผ่าน 34 คนจาก 40 คน กรอก 34 (ระบบคิดร้อยละให้)", "a percentage; this cell takes a count", value=raw)
        number = to_decimal(raw, "ค่า")
        if kind == "count":
            if number != number.to_integral_value():
                raise ParseError(f"ต้องเป็นจำนวนเต็ม (ได้ {raw})", f"must be a whole number, got {raw!r}", value=raw)
            return int(number)
        if kind == "money" and isinstance(raw, str) and number.as_tuple().exponent < -2:  # typed "1.234": a thousand baht, or one baht 23.4 satang?
            raise ParseError(f"จำนวนเงิน '{text}' มีทศนิยมเกินสองตำแหน่ง (สตางค์): ถ้าหมายถึงหนึ่งพันกว่าบาท พิมพ์ {int(number * 1000)} ไม่ต้องใส่จุด", f"{text!r} has more than two decimals", value=raw)
        return number.quantize(Decimal("0.01")) if kind == "money" and number.as_tuple().exponent < -2 else number
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
            raise ParseError(f"ตัวชี้วัด {entry.code} สำนักงานเขตเป็นผู้รายงาน", f"{entry.code} is reported by the office", value=raw)
        return entry.code
    if kind == "kpis":
        return _kpi_codes(text, fiscal_year)
    if kind == "strategy":
        return _strategy_number(text, fiscal_year)
    if kind == "source":
        return plan_source(text).code
    if kind == "yesno":
        folded = _fold(text)
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
    raise ParseError(f"ชนิดข้อมูล {kind} ไม่รู้จัก", f"unknown type {kind}", value=raw)  # pragma: no cover - rules check guards types


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
        raise ParseError(f"ไม่มีกลยุทธ์ '{text}' ในแผน (มีกลยุทธ์ที่ {listed})", f"no strategy {text!r} in the plan (there are {listed})", value=text)
    return int(found.group(0))


def as_typed(value: Any) -> str:
    """A cell's value as a person typed it: workbook readers give every number as a float (and the
    engine as a Decimal), and 25000 must not come back to a school as "25000.0"."""
    whole = value.is_integer() if isinstance(value, float) else value.is_finite() and value == value.to_integral_value() if isinstance(value, Decimal) else False
    return str(int(value)) if whole else str(value)


def _run_checks(form: Form, checks: Sequence[Check], row: dict[str, Any], by_key: Mapping[str, int], r: int, problems: list[Problem]) -> None:
    for check in checks:
        try:
            if check.when and not evaluate(check.when, row):
                continue
            left, right = evaluate(check.left, row), evaluate(check.right, row)
            if COMPARE_OPERATORS[check.op](left, right):
                continue
            message = format_message(check.message_th, row)
        except (_Missing, EsaplanError):
            continue  # a blank or unreadable operand is reported by its own cell already
        target = check.cell or expression_names(check.left)[0]
        address = cell_name(r, by_key.get(target, 0))
        problems.append(Problem(form.sheet, address, check.id, check.severity, message, row.get(target), target))


MERGED_TH = "เซลล์ในแถวนี้ถูกผสาน (merge) กับแถวหรือคอลัมน์อื่น ระบบจึงบอกไม่ได้ว่าค่าเป็นของแถวใด: ยกเลิกการผสานเซลล์ แล้วกรอกค่าของแต่ละแถว"
MERGED_SHARED_TH = " (ห้องเรียนคละชั้น: กรอกจำนวนห้องที่ชั้นแรกของห้อง และเลือกชั้นนั้นในช่อง 'เรียนรวมห้องกับชั้น' ของชั้นอื่นในห้องเดียวกัน)"


def _merged_rows(form: Form, merged: Sequence[tuple[int, int, int, int]], header: int, by_key: Mapping[str, int]) -> tuple[dict[int, int], dict[int, str]]:
    """The data rows under a merged rooms cell (by row: the row that holds the room), and the data
    rows another merged range covers (by row: the range's first cell), refused."""
    rooms_column = by_key.get(form.shared_rooms.rooms) if form.shared_rooms else None
    sharing: dict[int, int] = {}
    refused: dict[int, str] = {}
    for first_row, first_column, last_row, last_column in merged:
        if last_row <= header or (first_row == last_row and first_column == last_column):
            continue  # a title or header merged over columns, or a "range" of one cell
        if first_column == last_column == rooms_column and first_row > header:
            sharing.update(dict.fromkeys(range(first_row + 1, last_row + 1), first_row))
            continue
        for r in range(max(first_row, header + 1), last_row + 1):
            refused[r] = cell_name(r, first_column)
    return sharing, refused


def _grade_in(grid: Sequence[Sequence[Any]], r: int, by_key: Mapping[str, int]) -> Any:
    """The grade typed on a row (the one whose rooms cell a merged range starts on), as read."""
    column = by_key.get("grade")
    raw = grid[r][column] if column is not None and column < len(grid[r]) else None
    try:
        return grade(str(raw)).code if raw is not None else None
    except EsaplanError:
        return None


def _check_shared_rooms(form: Form, shared: SharedRooms, result: SheetResult, by_key: Mapping[str, int]) -> None:
    """Group grades that share a room and make the form's room checks on each group.

    A grade shares the room of the grade it names in ``with``; one that typed 0 rooms for its
    pupils right after a grade that has rooms shares that room (said as a note, so a school that
    meant otherwise sees it). A grade that names a grade without rooms of its own, or counts rooms
    while sharing, is an error. Rooms are counted once: only at the grade that holds them."""
    by_grade = {row.get("grade"): row for row in result.rows if row.get("grade")}
    hosts: dict[int, dict[str, Any]] = {}
    holder: dict[str, Any] | None = None
    seated: dict[int, int] = {}  # pupils in each holder's rooms so far
    for row in result.rows:
        pupils = _pupils(row)
        named = row.get(shared.with_)
        rooms = row.get(shared.rooms)
        if holder is not None and named is None and rooms == 0 and pupils and _fits(holder, shared, seated[id(holder)] + pupils) and level_of(holder["grade"]) == level_of(row.get("grade") or ""):
            row[shared.with_] = named = holder["grade"]
            message = f"ชั้น {grade(row['grade']).th} กรอกห้องเรียน 0 ห้อง: นับว่าเรียนรวมห้องกับชั้น {grade(named).th} (ห้องเรียนคละชั้น) ถ้าไม่ใช่ ให้กรอกจำนวนห้องของชั้นนี้"
            result.problems.append(Problem(form.sheet, _at(form, by_key, row, shared.with_), "SHARED-ROOM", "info", message, None, shared.with_))
        if named is None:
            if rooms and row.get("grade"):
                holder, seated[id(row)] = row, pupils
            continue
        host = by_grade.get(named)
        where = _at(form, by_key, row, shared.with_)
        if host is None or host is row or host.get(shared.with_) is not None or not host.get(shared.rooms):
            message = f"เรียนรวมห้องกับชั้น {grade(named).th} แต่ชั้น {grade(named).th} ไม่มีห้องเรียนของตนในแบบนี้: ระบุชั้นที่กรอกจำนวนห้องไว้"
            result.problems.append(Problem(form.sheet, where, "SHARED-ROOM", "error", message, grade(named).th, shared.with_))
            continue
        if rooms:
            message = f"ชั้นนี้เรียนรวมห้องกับชั้น {grade(named).th} ห้องนับที่ชั้น {grade(named).th} แล้ว: ใส่ 0 หรือเว้นว่างช่องห้องเรียน"
            result.problems.append(Problem(form.sheet, _at(form, by_key, row, shared.rooms), "SHARED-ROOM", "error", message, rooms, shared.rooms))
            continue
        row[shared.rooms] = 0
        seated[id(host)] = seated.get(id(host), _pupils(host)) + pupils
        hosts.setdefault(id(host), dict(host))
        group = hosts[id(host)]
        for key in ("male", "female", "planned_pupils"):
            if row.get(key) is not None:
                group[key] = (group.get(key) or 0) + row[key]
        result.problems[:] = [p for p in result.problems if not (p.rule == "REQUIRED" and p.cell == _at(form, by_key, row, shared.rooms))]
    deferred = [check for check in form.checks if check.id in shared.checks]
    for row in result.rows:
        if row.get(shared.with_) is None:
            _run_checks(form, deferred, hosts.get(id(row), row), by_key, row["_row"] - 1, result.problems)


def _fits(holder: Mapping[str, Any], shared: SharedRooms, pupils: int) -> bool:
    """Whether ``pupils`` fit in the holder's rooms by the class-size rule: a grade that typed 0 rooms
    is taken to share a room only where it could."""
    return pupils <= holder[shared.rooms] * _max_per_room(holder["grade"])


def _pupils(row: Mapping[str, Any]) -> int:
    return sum(row.get(key) or 0 for key in ("male", "female", "planned_pupils"))


def _at(form: Form, by_key: Mapping[str, int], row: Mapping[str, Any], key: str) -> str:
    return f"{column_letter(by_key[key])}{row['_row']}" if key in by_key else cell_name(row["_row"] - 1, 0)


def _check_shown(form: Form, row: Mapping[str, Any], raw_row: Sequence[Any], by_key: Mapping[str, int], r: int, problems: list[Problem]) -> None:
    """What the school's own sheet shows must be what esaplan read: a formula column (รวม, คงเหลือ)
    whose value as the workbook last computed it differs from the same formula over the values
    read (a number typed as text that the sheet's formula took as 0) is said, on that cell."""
    expected = computed(form, row)
    for column in form.columns:
        if not column.formula or column.key not in by_key or by_key[column.key] >= len(raw_row):
            continue
        cached, wanted = raw_row[by_key[column.key]], expected.get(column.key)
        if isinstance(cached, (int, float)) and not isinstance(cached, bool) and wanted is not None and abs(Decimal(str(cached)) - Decimal(wanted)) >= Decimal("0.005"):
            message = f"ในไฟล์ช่อง '{column.th}' แสดง {format_number(Decimal(str(cached)))} แต่ค่าที่ระบบอ่านได้ในแถวนี้รวมได้ {format_number(Decimal(wanted))}: ตรวจว่าพิมพ์ตัวเลขเป็นข้อความหรือไม่ (ระบบใช้ค่าที่อ่านได้)"
            problems.append(Problem(form.sheet, cell_name(r, by_key[column.key]), "FORMULA-DIFFERS", "warning", message, cached, column.key))


def _check_unique(form: Form, result: SheetResult, by_key: Mapping[str, int], fiscal_year: int | None) -> None:
    """A row is named by its ``unique`` columns (a grade, a KPI code, a budget line): the same name
    twice is an error on every such row, and all of them stay out of the totals (which one the
    school meant cannot be told)."""
    columns = [c for c in form.columns if c.key in form.unique]
    if any(c.key not in by_key for c in columns):
        return
    rows_of: dict[tuple[Any, ...], list[int]] = {}
    for row in result.rows:
        name = tuple(_fold(row.get(c.key)) if isinstance(row.get(c.key), str) else row.get(c.key) for c in columns)
        if None not in name and "" not in name:
            rows_of.setdefault(name, []).append(row["_row"])
    first = columns[0]
    for name, rows in rows_of.items():
        if len(rows) < 2:
            continue
        row = next(r for r in result.rows if r["_row"] == rows[0])
        label = " / ".join(str(shown(c, row.get(c.key), fiscal_year)) for c in columns)
        for number in rows:
            others = ", ".join(str(n) for n in rows if n != number)
            message = f"{' / '.join(c.th for c in columns)} '{label}' ซ้ำกับแถวที่ {others}: กรอกได้แถวเดียว ทุกแถวที่ซ้ำจึงไม่นำไปรวม ตรวจว่าพิมพ์ผิดหรือไม่ (เช่น ชั้นที่ควรเป็นชั้นถัดไป)"
            result.problems.append(Problem(form.sheet, f"{column_letter(by_key[first.key])}{number}", "DUPLICATE-ROW", "error", message, label, first.key))


def _check_transfers(form: Form, result: SheetResult, by_key: Mapping[str, int], unit_code: str, on: dt.date | None) -> None:
    requests, rows = [], []
    for row in result.rows:
        if any(row.get(key) is None for key in ("from_plan", "from_project", "from_category", "from_item", "to_plan", "to_project", "to_category", "to_item", "amount")):
            continue
        requests.append(
            {
                "source": {"unit": unit_code, "plan": row["from_plan"], "project": row["from_project"], "category": row["from_category"], "item": row["from_item"], "balance": row.get("from_balance"), "leftover": row.get("leftover"), "budget_code": row.get("from_budget_code")},
                "target": {"unit": unit_code, "plan": row["to_plan"], "project": row["to_project"], "category": row["to_category"], "item": row["to_item"], "new_item": row.get("new_item"), "budget_code": row.get("to_budget_code"), "quantity": row.get("to_quantity"), "unit_price": row.get("to_unit_price")},
                "amount": row["amount"],
            }
        )
        rows.append(row)
    for row, verdict in zip(rows, validate_transfers(requests, context={"date": on} if on else None), strict=True):
        address = cell_name(row["_row"] - 1, by_key["amount"])
        row["approval"] = verdict.authority_th
        row["rule"] = verdict.rule_ids[0]
        if not verdict.allowed:
            result.problems.append(Problem(form.sheet, address, ",".join(verdict.rule_ids), "error", f"โอนไม่ได้: {verdict.message_th}", row["amount"], "amount"))


def _check_kpi_rows(form: Form, result: SheetResult, by_key: Mapping[str, int], fiscal_year: int | None) -> None:
    """Each readable KPI row against how its indicator adds up (:func:`rules.kpi.check_report`)."""
    for row in result.rows:
        if row.get("kpi") is None or row.get("numerator") is None:
            continue  # an unreadable code or a blank numerator is reported by its own cell
        for found in check_report(kpi_entry(row["kpi"], fiscal_year=fiscal_year), row["numerator"], row.get("denominator")):
            address = cell_name(row["_row"] - 1, by_key.get(found.column, by_key["numerator"]))
            result.problems.append(Problem(form.sheet, address, found.rule, found.severity, found.message_th, row.get(found.column), found.column))


YES_NO_TH = {True: "ใช่", False: "ไม่ใช่"}


def shown(column: Column, value: Any, fiscal_year: int | None = None) -> Any:
    """A read value as staff read it on a sheet: grade and category codes as their Thai names
    (``P1`` -> ``ป.1``, ``subsidy`` -> ``งบเงินอุดหนุน``), yes/no as ใช่/ไม่ใช่; anything else as it is."""
    if value is None:
        return None
    if column.type == "grade":
        return grade(str(value)).th
    if column.type == "category":
        return category_th(str(value))
    if column.type == "yesno" and isinstance(value, bool):
        return YES_NO_TH[value]
    if column.type == "kpis" and isinstance(value, list):
        return ", ".join(value)
    if column.type == "strategy" and isinstance(value, int):
        return strategy_label(value, fiscal_year)
    if column.type == "source" and value in {s.code for s in plan_sources()}:
        return plan_source(value).th
    return value


def computed(form: Form, row: Mapping[str, Any], fiscal_year: int | None = None) -> dict[str, Any]:
    """Values of the form's formula and lookup columns for one normalised row (for the master)."""
    values: dict[str, Any] = {}
    for column in form.columns:
        if column.formula:
            try:
                values[column.key] = evaluate(column.formula, {k: (v if v is not None else 0) for k, v in row.items()})
            except (_Missing, EsaplanError, ArithmeticError):
                values[column.key] = None
        elif column.lookup == "kpi_name" and row.get("kpi"):
            values[column.key] = kpi_entry(row["kpi"], fiscal_year=fiscal_year).name_th
    return values
