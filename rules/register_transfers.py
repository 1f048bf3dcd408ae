"""The register's approved transfers read through the same transfer rules as a request.

A row of the register's โอนเปลี่ยนแปลงที่อนุมัติ sheet names two letter lines; the letters give each
line's budget code, plan, output, expense category and item, and the amount it was allocated. That is
the request form's input model (:class:`rules.transfers.BudgetLine`), so the register is checked by
:func:`rules.transfers.validate_transfer` itself, in approval order, each on the rules in force on its
approval date, with the lines' balances as the earlier transfers left them: a transfer
recorded as approved that the rules do not allow, or cannot decide (an investment item without its class
or quantity), is an issue naming its approval and the rule, and each row's
kind, approver and reference are shown beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rules.allocation_register import TRANSFERS, LineBalance, RegisterIssue, Transfer, baht
from rules.errors import EsaplanError
from rules.parameters import Parameters
from rules.thai import parse_date
from rules.transfers import BudgetLine, TransferResult, validate_transfer

OFFICE_UNIT = "สำนักงานเขตพื้นที่การศึกษา"  # every register line is the office's own: one receiving unit


@dataclass(frozen=True)
class CheckedTransfer:
    """One approved transfer and what the rules say of it (``result`` None when it could not be read)."""

    transfer: Transfer
    result: TransferResult | None
    problem_th: str = ""


def _line(account: LineBalance, **given: Any) -> BudgetLine:
    """A letter line as the transfer rules take it, with what the row or the running account adds."""
    letter = account.letter
    return BudgetLine(
        unit=OFFICE_UNIT,
        plan=letter.plan,
        project=letter.project,
        category=letter.category,
        item=letter.item,
        budget_code=letter.budget_code or None,
        **given,
    )


def _approval_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return parse_date(value) if value not in (None, "") else None
    except EsaplanError:
        return None


def check_transfers(
    lines: Mapping[str, LineBalance], transfers: Iterable[Transfer], params: Parameters | None = None
) -> tuple[list[CheckedTransfer], list[RegisterIssue]]:
    """Each transfer whose two lines the letters hold, checked in approval order (rules in force on its
    approval date); the issues: a transfer the rules do not allow, or cannot decide yet."""
    known = sorted(
        (t for t in transfers if t.source in lines and t.target in lines),
        key=lambda t: (_approval_date(t.approval_date) or dt.date.min, t.approval_no),
    )
    checked: list[CheckedTransfer] = []
    issues: list[RegisterIssue] = []
    held = {key: line.letter.amount for key, line in lines.items()}  # satang, as transfers move it
    for transfer in known:
        source = _line(
            lines[transfer.source],
            balance=baht(held[transfer.source]),
            allocated=baht(lines[transfer.source].letter.amount),
            leftover=transfer.leftover,
        )
        target = _line(lines[transfer.target], item_class=transfer.to_item_class or None, quantity=transfer.to_quantity)
        on = _approval_date(transfer.approval_date)
        try:
            result = validate_transfer(
                source, target, baht(transfer.amount), context={"date": on} if on else None, params=params
            )
        except EsaplanError as exc:
            checked.append(CheckedTransfer(transfer, None, exc.message_th))
            continue
        held[transfer.source] -= transfer.amount  # the register moved it, allowed or not (as balances() does)
        held[transfer.target] += transfer.amount
        checked.append(CheckedTransfer(transfer, result))
        if not result.allowed:
            issues.append(
                RegisterIssue(
                    result.rule_ids[0],
                    "warning",
                    TRANSFERS,
                    f"{transfer.approval_no} {transfer.from_item} → {transfer.to_item}",
                    f"การโอนตามหนังสืออนุมัติ {transfer.approval_no} ไม่เป็นไปตามกฎ: {result.message_th} "
                    f"(อ้างอิง {result.reference}): ตรวจรายการในทะเบียน หรือหนังสืออนุมัติ",
                )
            )
    return checked, issues
