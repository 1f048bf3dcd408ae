"""The allocation control register (ทะเบียนคุมการจัดสรรงบประมาณ): what each letter gave, and where it went.

Seed part 4, 3.3-3.4: money reaches the office by OBEC's allocation letters, one or more budget lines
each; the office allocates each line on to schools and groups, moves money between lines when a
transfer or change is approved, and schools report what they committed and spent (the budget_use
form). For every letter line:

    received + moved in - moved out - allocated to units = remainder

Every sum is in satang (integers), so nothing is rounded and a transfer can neither create nor lose
money. What is wrong is an issue naming the sheet and the line: more allocated than the line has
(over-allocation), money not yet allocated (a remainder), a unit spending more than it was given.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rules.errors import ParseError
from rules.money import format_number
from rules.thai import fold_name

SATANG_PER_BAHT = 100


def to_satang(amount: Decimal | int) -> int:
    """Baht to whole satang; an amount with a fraction of a satang is refused, never rounded away."""
    satang = Decimal(amount) * SATANG_PER_BAHT
    if satang != satang.to_integral_value():
        raise ParseError(f"จำนวนเงิน {amount} มีเศษต่ำกว่าหนึ่งสตางค์", f"{amount} has a fraction of a satang", value=amount)
    return int(satang)


def baht(satang: int) -> Decimal:
    return Decimal(satang) / SATANG_PER_BAHT


def line_key(letter_no: Any, item: Any) -> str:
    """Which letter line a row names: its letter number and its item."""
    return f"{fold_name(letter_no)}|{fold_name(item)}"


@dataclass(frozen=True)
class Letter:
    """One budget line of an allocation letter received."""

    letter_no: str
    letter_date: Any
    budget_code: str
    plan: str
    project: str
    activity: str
    category: str
    item: str
    amount: int  # satang

    @property
    def key(self) -> str:
        return line_key(self.letter_no, self.item)


@dataclass(frozen=True)
class Allocation:
    """Money of a letter line allocated on to a unit (a school or a group)."""

    letter_no: str
    item: str
    unit: str
    amount: int  # satang
    note: str = ""

    @property
    def key(self) -> str:
        return line_key(self.letter_no, self.item)


@dataclass(frozen=True)
class Transfer:
    """An approved transfer or change: money moved from one letter line to another."""

    approval_no: str
    approval_date: Any
    from_letter: str
    from_item: str
    to_letter: str
    to_item: str
    amount: int  # satang
    reason: str = ""
    to_item_class: str = ""  # a code of budget/categories' item classes, where the target is investment
    to_quantity: Decimal | None = None
    leftover: bool = False  # the money moved is leftover funds (เงินเหลือจ่าย)

    @property
    def source(self) -> str:
        return line_key(self.from_letter, self.from_item)

    @property
    def target(self) -> str:
        return line_key(self.to_letter, self.to_item)


@dataclass(frozen=True)
class Use:
    """What a unit reported for one line it was allocated (budget_use form), in satang."""

    unit: str
    item: str
    allocated: int
    committed: int
    disbursed: int


@dataclass
class LineBalance:
    """One letter line's running account."""

    letter: Letter
    moved_in: int = 0
    moved_out: int = 0
    by_unit: dict[str, int] = field(default_factory=dict)

    @property
    def allocated(self) -> int:
        return sum(self.by_unit.values())

    @property
    def remainder(self) -> int:
        return self.letter.amount + self.moved_in - self.moved_out - self.allocated


@dataclass(frozen=True)
class RegisterIssue:
    """Something wrong with the register: the rule, how bad, the sheet and row key it is about, in Thai."""

    rule: str
    severity: str
    sheet: str
    about: str
    message_th: str


LETTERS, ALLOCATIONS, TRANSFERS, USE = "หนังสือจัดสรร", "จัดสรรให้หน่วยงาน", "โอนเปลี่ยนแปลงที่อนุมัติ", "การใช้งบประมาณ"


def balances(
    letters: Iterable[Letter], allocations: Iterable[Allocation], transfers: Iterable[Transfer]
) -> tuple[dict[str, LineBalance], list[RegisterIssue]]:
    """Every letter line's account, and the rows that name a line no letter has (or a line twice)."""
    lines: dict[str, LineBalance] = {}
    issues: list[RegisterIssue] = []
    for letter in letters:
        if letter.key in lines:
            issues.append(
                RegisterIssue(
                    "REG-DUPLICATE-LINE",
                    "error",
                    LETTERS,
                    f"{letter.letter_no} {letter.item}",
                    f"หนังสือ {letter.letter_no} รายการ '{letter.item}' กรอกซ้ำ: รายการหนึ่งของหนังสือกรอกแถวเดียว",
                )
            )
            continue
        lines[letter.key] = LineBalance(letter)

    def unknown(sheet: str, letter_no: str, item: str) -> None:
        issues.append(
            RegisterIssue(
                "REG-UNKNOWN-LINE",
                "error",
                sheet,
                f"{letter_no} {item}",
                f"ไม่มีรายการ '{item}' ในหนังสือ {letter_no} ในแผ่นงาน {LETTERS}: ตรวจเลขที่หนังสือและชื่อรายการ",
            )
        )

    for transfer in transfers:
        missing = [
            (letter, item)
            for letter, item, key in (
                (transfer.from_letter, transfer.from_item, transfer.source),
                (transfer.to_letter, transfer.to_item, transfer.target),
            )
            if key not in lines
        ]
        for letter_no, item in missing:
            unknown(TRANSFERS, letter_no, item)
        if not missing:
            lines[transfer.source].moved_out += transfer.amount
            lines[transfer.target].moved_in += transfer.amount
    for allocation in allocations:
        if allocation.key not in lines:
            unknown(ALLOCATIONS, allocation.letter_no, allocation.item)
            continue
        by_unit = lines[allocation.key].by_unit
        by_unit[allocation.unit] = by_unit.get(allocation.unit, 0) + allocation.amount
    return lines, issues


def allocated_to_units(lines: Mapping[str, LineBalance]) -> dict[tuple[str, str], int]:
    """What each unit was allocated per item (folded), across every letter that funds the item."""
    result: dict[tuple[str, str], int] = defaultdict(int)
    for line in lines.values():
        for unit, amount in line.by_unit.items():
            result[(unit, fold_name(line.letter.item))] += amount
    return dict(result)


def register_issues(
    lines: Mapping[str, LineBalance], uses: Iterable[Use], unit_names: Mapping[str, str]
) -> list[RegisterIssue]:
    """Lines over-allocated or not fully allocated, and units' reported use against their allocation."""
    issues = []
    for line in lines.values():
        what = f"หนังสือ {line.letter.letter_no} รายการ '{line.letter.item}'"
        if line.remainder < 0:
            issues.append(
                RegisterIssue(
                    "REG-OVER-ALLOCATED",
                    "error",
                    ALLOCATIONS,
                    f"{line.letter.letter_no} {line.letter.item}",
                    f"{what} จัดสรรเกินวงเงิน {format_number(baht(-line.remainder))} บาท (วงเงิน {format_number(baht(line.letter.amount + line.moved_in - line.moved_out))} บาท จัดสรรแล้ว {format_number(baht(line.allocated))} บาท)",
                )
            )
        elif line.remainder > 0:
            issues.append(
                RegisterIssue(
                    "REG-UNALLOCATED",
                    "info",
                    ALLOCATIONS,
                    f"{line.letter.letter_no} {line.letter.item}",
                    f"{what} ยังไม่ได้จัดสรร {format_number(baht(line.remainder))} บาท",
                )
            )
    given = allocated_to_units(lines)
    items = {fold_name(line.letter.item) for line in lines.values()}
    for use in uses:
        name = f"{use.unit} {unit_names.get(use.unit, '')}".strip()
        allocated = given.get((use.unit, fold_name(use.item)))
        if allocated is None:
            if fold_name(use.item) in items:  # the register has the line, but gave this unit none of it
                issues.append(
                    RegisterIssue(
                        "REG-USE-UNKNOWN",
                        "warning",
                        USE,
                        f"{use.unit} {use.item}",
                        f"{name} รายงานการใช้รายการ '{use.item}' แต่ทะเบียนไม่ได้จัดสรรรายการนี้ให้: ตรวจแผ่นงาน {ALLOCATIONS}",
                    )
                )
            else:  # money the register does not hold yet (a letter not recorded, or the item named otherwise)
                issues.append(
                    RegisterIssue(
                        "REG-USE-NOT-IN-REGISTER",
                        "info",
                        USE,
                        f"{use.unit} {use.item}",
                        f"{name} รายงานการใช้รายการ '{use.item}' ซึ่งยังไม่มีในทะเบียน: บันทึกหนังสือจัดสรรของรายการนี้ หรือตรวจชื่อรายการให้ตรงกับหนังสือ",
                    )
                )
            continue
        if use.committed + use.disbursed > allocated:
            issues.append(
                RegisterIssue(
                    "REG-USE-OVER",
                    "error",
                    USE,
                    f"{use.unit} {use.item}",
                    f"{name} ก่อหนี้และเบิกจ่ายรายการ '{use.item}' รวม {format_number(baht(use.committed + use.disbursed))} บาท เกินยอดที่จัดสรรให้ {format_number(baht(allocated))} บาท",
                )
            )
        if use.allocated != allocated:
            issues.append(
                RegisterIssue(
                    "REG-USE-MISMATCH",
                    "warning",
                    USE,
                    f"{use.unit} {use.item}",
                    f"{name} รายงานว่าได้รับจัดสรรรายการ '{use.item}' {format_number(baht(use.allocated))} บาท แต่ทะเบียนจัดสรรให้ {format_number(baht(allocated))} บาท",
                )
            )
    return issues
