"""The checks of a read sheet beyond one cell: the form's cross-field checks, one key one row, merged
cells and multi-grade rooms, figures the template's own formulas show differently, transfers and
KPI rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from rules.errors import EsaplanError
from rules.forms.cells import cell_name, column_letter, fold
from rules.forms.display import computed, shown
from rules.forms.expressions import Missing, evaluate, format_message, max_per_room_of
from rules.forms.model import (
    Check,
    Form,
    Problem,
    SharedRooms,
    SheetResult,
)
from rules.grades import grade, level_of
from rules.kpi import check_report
from rules.kpi import kpi as kpi_entry
from rules.money import format_number
from rules.transfers import validate_transfers
from rules.vocabulary import (
    COMPARE_OPERATORS,
    expression_names,
)


def run_checks(
    form: Form, checks: Sequence[Check], row: dict[str, Any], by_key: Mapping[str, int], r: int, problems: list[Problem]
) -> None:
    for check in checks:
        try:
            if check.when and not evaluate(check.when, row):
                continue
            left, right = evaluate(check.left, row), evaluate(check.right, row)
            if COMPARE_OPERATORS[check.op](left, right):
                continue
            message = format_message(check.message_th, row)
        except (Missing, EsaplanError):
            continue  # a blank or unreadable operand is reported by its own cell already
        target = check.cell or expression_names(check.left)[0]
        address = cell_name(r, by_key.get(target, 0))
        problems.append(Problem(form.sheet, address, check.id, check.severity, message, row.get(target), target))


MERGED_TH = (
    "เซลล์ในแถวนี้ถูกผสาน (merge) กับแถวหรือคอลัมน์อื่น ระบบจึงบอกไม่ได้ว่าค่าเป็นของแถวใด: ยกเลิกการผสานเซลล์ แล้วกรอกค่าของแต่ละแถว"
)
MERGED_SHARED_TH = " (ห้องเรียนคละชั้น: กรอกจำนวนห้องที่ชั้นแรกของห้อง และเลือกชั้นนั้นในช่อง 'เรียนรวมห้องกับชั้น' ของชั้นอื่นในห้องเดียวกัน)"


def merged_rows(
    form: Form, merged: Sequence[tuple[int, int, int, int]], header: int, by_key: Mapping[str, int]
) -> tuple[dict[int, int], dict[int, str]]:
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


def grade_in(grid: Sequence[Sequence[Any]], r: int, by_key: Mapping[str, int]) -> Any:
    """The grade typed on a row (the one whose rooms cell a merged range starts on), as read."""
    column = by_key.get("grade")
    raw = grid[r][column] if column is not None and column < len(grid[r]) else None
    try:
        return grade(str(raw)).code if raw is not None else None
    except EsaplanError:
        return None


def check_shared_rooms(form: Form, shared: SharedRooms, result: SheetResult, by_key: Mapping[str, int]) -> None:
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
        if (
            holder is not None
            and named is None
            and rooms == 0
            and pupils
            and row.get("grade")  # a row whose grade was not read (merged away, refused) joins no room
            and _fits(holder, shared, seated[id(holder)] + pupils)
            and level_of(holder["grade"]) == level_of(row["grade"])
        ):
            row[shared.with_] = named = holder["grade"]
            message = f"ชั้น {grade(row['grade']).th} กรอกห้องเรียน 0 ห้อง: นับว่าเรียนรวมห้องกับชั้น {grade(named).th} (ห้องเรียนคละชั้น) ถ้าไม่ใช่ ให้กรอกจำนวนห้องของชั้นนี้"
            result.problems.append(
                Problem(
                    form.sheet, _at(form, by_key, row, shared.with_), "SHARED-ROOM", "info", message, None, shared.with_
                )
            )
        if named is None:
            if rooms and row.get("grade"):
                holder, seated[id(row)] = row, pupils
            continue
        host = by_grade.get(named)
        where = _at(form, by_key, row, shared.with_)
        if host is None or host is row or host.get(shared.with_) is not None or not host.get(shared.rooms):
            message = (
                f"เรียนรวมห้องกับชั้น {grade(named).th} แต่ชั้น {grade(named).th} ไม่มีห้องเรียนของตนในแบบนี้: ระบุชั้นที่กรอกจำนวนห้องไว้"
            )
            result.problems.append(
                Problem(form.sheet, where, "SHARED-ROOM", "error", message, grade(named).th, shared.with_)
            )
            continue
        if rooms:
            message = f"ชั้นนี้เรียนรวมห้องกับชั้น {grade(named).th} ห้องนับที่ชั้น {grade(named).th} แล้ว: ใส่ 0 หรือเว้นว่างช่องห้องเรียน"
            result.problems.append(
                Problem(
                    form.sheet,
                    _at(form, by_key, row, shared.rooms),
                    "SHARED-ROOM",
                    "error",
                    message,
                    rooms,
                    shared.rooms,
                )
            )
            continue
        row[shared.rooms] = 0
        seated[id(host)] = seated.get(id(host), _pupils(host)) + pupils
        hosts.setdefault(id(host), dict(host))
        group = hosts[id(host)]
        for key in ("male", "female", "planned_pupils"):
            if row.get(key) is not None:
                group[key] = (group.get(key) or 0) + row[key]
        result.problems[:] = [
            p for p in result.problems if not (p.rule == "REQUIRED" and p.cell == _at(form, by_key, row, shared.rooms))
        ]
    deferred = [check for check in form.checks if check.id in shared.checks]
    for row in result.rows:
        if row.get(shared.with_) is None:
            run_checks(form, deferred, hosts.get(id(row), row), by_key, row["_row"] - 1, result.problems)


def _fits(holder: Mapping[str, Any], shared: SharedRooms, pupils: int) -> bool:
    """Whether ``pupils`` fit in the holder's rooms by the class-size rule: a grade that typed 0 rooms
    is taken to share a room only where it could."""
    return bool(pupils <= holder[shared.rooms] * max_per_room_of(holder["grade"]))


def _pupils(row: Mapping[str, Any]) -> int:
    return sum(row.get(key) or 0 for key in ("male", "female", "planned_pupils"))


def _at(form: Form, by_key: Mapping[str, int], row: Mapping[str, Any], key: str) -> str:
    return f"{column_letter(by_key[key])}{row['_row']}" if key in by_key else cell_name(row["_row"] - 1, 0)


def check_shown(
    form: Form,
    row: Mapping[str, Any],
    raw_row: Sequence[Any],
    by_key: Mapping[str, int],
    r: int,
    problems: list[Problem],
) -> None:
    """What the school's own sheet shows must be what esaplan read: a formula column (รวม, คงเหลือ)
    whose value as the workbook last computed it differs from the same formula over the values
    read (a number typed as text that the sheet's formula took as 0) is said, on that cell."""
    expected = computed(form, row)
    for column in form.columns:
        if not column.formula or column.key not in by_key or by_key[column.key] >= len(raw_row):
            continue
        cached, wanted = raw_row[by_key[column.key]], expected.get(column.key)
        if (
            isinstance(cached, (int, float))
            and not isinstance(cached, bool)
            and wanted is not None
            and abs(Decimal(str(cached)) - Decimal(wanted)) >= Decimal("0.005")
        ):
            message = f"ในไฟล์ช่อง '{column.th}' แสดง {format_number(Decimal(str(cached)))} แต่ค่าที่ระบบอ่านได้ในแถวนี้รวมได้ {format_number(Decimal(wanted))}: ตรวจว่าพิมพ์ตัวเลขเป็นข้อความหรือไม่ (ระบบใช้ค่าที่อ่านได้)"
            problems.append(
                Problem(
                    form.sheet,
                    cell_name(r, by_key[column.key]),
                    "FORMULA-DIFFERS",
                    "warning",
                    message,
                    cached,
                    column.key,
                )
            )


def check_unique(form: Form, result: SheetResult, by_key: Mapping[str, int], fiscal_year: int | None) -> None:
    """A row is named by its ``unique`` columns (a grade, a KPI code, a budget line): the same name
    twice is an error on every such row, and all of them stay out of the totals (which one the
    school meant cannot be told)."""
    columns = [c for c in form.columns if c.key in form.unique]
    if any(c.key not in by_key for c in columns):
        return
    rows_of: dict[tuple[Any, ...], list[int]] = {}
    for row in result.rows:
        name = tuple(fold(row.get(c.key)) if isinstance(row.get(c.key), str) else row.get(c.key) for c in columns)
        if None not in name and "" not in name:
            rows_of.setdefault(name, []).append(row["_row"])
    first = columns[0]
    for rows in rows_of.values():
        if len(rows) < 2:
            continue
        row = next(r for r in result.rows if r["_row"] == rows[0])
        label = " / ".join(str(shown(c, row.get(c.key), fiscal_year)) for c in columns)
        for number in rows:
            others = ", ".join(str(n) for n in rows if n != number)
            message = f"{' / '.join(c.th for c in columns)} '{label}' ซ้ำกับแถวที่ {others}: กรอกได้แถวเดียว ทุกแถวที่ซ้ำจึงไม่นำไปรวม ตรวจว่าพิมพ์ผิดหรือไม่ (เช่น ชั้นที่ควรเป็นชั้นถัดไป)"
            result.problems.append(
                Problem(
                    form.sheet,
                    f"{column_letter(by_key[first.key])}{number}",
                    "DUPLICATE-ROW",
                    "error",
                    message,
                    label,
                    first.key,
                )
            )


def check_transfers(
    form: Form, result: SheetResult, by_key: Mapping[str, int], unit_code: str, on: dt.date | None
) -> None:
    requests, rows = [], []
    for row in result.rows:
        if any(
            row.get(key) is None
            for key in (
                "from_plan",
                "from_project",
                "from_category",
                "from_item",
                "to_plan",
                "to_project",
                "to_category",
                "to_item",
                "amount",
            )
        ):
            continue
        requests.append(
            {
                "source": {
                    "unit": unit_code,
                    "plan": row["from_plan"],
                    "project": row["from_project"],
                    "category": row["from_category"],
                    "item": row["from_item"],
                    "balance": row.get("from_balance"),
                    "allocated": row.get("from_allocated"),
                    "leftover": row.get("leftover"),
                    "budget_code": row.get("from_budget_code"),
                },
                "target": {
                    "unit": unit_code,
                    "plan": row["to_plan"],
                    "project": row["to_project"],
                    "category": row["to_category"],
                    "item": row["to_item"],
                    "new_item": row.get("new_item"),
                    "item_class": row.get("to_item_class"),
                    "budget_code": row.get("to_budget_code"),
                    "quantity": row.get("to_quantity"),
                    "unit_price": row.get("to_unit_price"),
                },
                "amount": row["amount"],
            }
        )
        rows.append(row)
    for row, verdict in zip(rows, validate_transfers(requests, context={"date": on} if on else None), strict=True):
        address = cell_name(row["_row"] - 1, by_key["amount"])
        row["approval"] = verdict.authority_th
        row["rule"] = verdict.rule_ids[0]
        if not verdict.allowed:
            result.problems.append(
                Problem(
                    form.sheet,
                    address,
                    ",".join(verdict.rule_ids),
                    "error",
                    f"{'ยังตรวจไม่ได้' if verdict.authority == 'incomplete' else 'โอนไม่ได้'}: {verdict.message_th}",
                    row["amount"],
                    "amount",
                )
            )


def check_kpi_rows(form: Form, result: SheetResult, by_key: Mapping[str, int], fiscal_year: int | None) -> None:
    """Each readable KPI row against how its indicator adds up (:func:`rules.kpi.check_report`)."""
    for row in result.rows:
        if row.get("kpi") is None or row.get("numerator") is None:
            continue  # an unreadable code or a blank numerator is reported by its own cell
        for found in check_report(
            kpi_entry(row["kpi"], fiscal_year=fiscal_year), row["numerator"], row.get("denominator")
        ):
            address = cell_name(row["_row"] - 1, by_key.get(found.column, by_key["numerator"]))
            result.problems.append(
                Problem(
                    form.sheet,
                    address,
                    found.rule,
                    found.severity,
                    found.message_th,
                    row.get(found.column),
                    found.column,
                )
            )
