"""Is this transfer or change of budget allowed, who approves it, and which rule says so?

A budget line is unit > plan > output/project > expense category > item. From the two lines
of a request we compute *features* (same plan? new item? over the balance? ...) and run them
through the rule table in ``rules/data/budget/transfer_rules.yaml``: the first rule whose
conditions all hold decides. The law lives in that table, not here, so a new delegation or
threshold is a data edit. Blocking rules that also match are listed too, so a request that is
both over its balance and across units is told both.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, cast

from pythainlp.util import thai_digit_to_arabic_digit

from rules.defaults import default_parameters
from rules.errors import ParseError, TransferError
from rules.money import to_decimal
from rules.parameters import Parameters
from rules.thai import fold_name, parse_date
from rules.vocabulary import OPERATORS

LINE_FIELDS = ("unit", "plan", "project", "category", "item")


@dataclass(frozen=True)
class BudgetLine:
    """One budget line; ``balance`` (available, not yet committed) matters on the source."""

    unit: str
    plan: str
    project: str
    category: str
    item: str
    balance: Decimal | None = None
    allocated: Decimal | None = None
    unit_price: Decimal | None = None
    quantity: Decimal | None = None
    budget_code: str | None = None
    unit_kind: str | None = None  # a code of budget/unit_kinds.yaml, where the requester states it
    item_class: str | None = None  # under งบลงทุน: equipment or land_buildings (ค่าครุภัณฑ์ / ค่าที่ดินและสิ่งก่อสร้าง)
    new_item: bool = False
    new_plan: bool = False
    new_project: bool = False
    leftover: bool = False

    @property
    def key(self) -> tuple[str, ...]:
        """Identity of the line for running balances: its five levels, spelling-folded."""
        return tuple(fold_name(getattr(self, name)) for name in LINE_FIELDS)

    @property
    def project_key(self) -> str:
        """Which output/project the line is under: its budget code (รหัสงบประมาณ) where given, digits
        only, else its folded name, so "ผลผลิต ผู้จบ..." and "ผลผลิตผู้จบ..." are one output."""
        return (
            "code:" + re.sub(r"\D", "", thai_digit_to_arabic_digit(self.budget_code))
            if self.budget_code
            else fold_name(self.project)
        )


@dataclass(frozen=True)
class TransferResult:
    """The verdict on one request, with the authority and the rule cited in Thai and English."""

    allowed: bool
    authority: str
    authority_th: str
    kind: str
    kind_th: str
    rule_ids: tuple[str, ...]
    message_th: str
    message_en: str
    reference: str
    report_within_days: int | None
    amount: Decimal
    balance_after: Decimal | None


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return fold_name(value) in {"true", "yes", "y", "1", "ใช่", "มี", "ใหม่", "x", "✓"}
    return bool(value)


def budget_line(value: Any, role: str, params: Parameters | None = None) -> BudgetLine:
    """A :class:`BudgetLine` from a mapping or object; ``role`` ("source"/"target") names it in errors."""
    if isinstance(value, BudgetLine):
        return value
    role_th = {"source": "รายการต้นทาง", "target": "รายการปลายทาง"}.get(role, role)

    def get(name: str) -> Any:
        return value.get(name) if isinstance(value, Mapping) else getattr(value, name, None)

    missing = [name for name in LINE_FIELDS if get(name) in (None, "")]
    if missing:
        raise TransferError(
            f"{role_th}: ต้องระบุ {', '.join(missing)}",
            f"{role}: missing {', '.join(missing)}",
            field=f"{role}.{missing[0]}",
            value=value,
        )
    money: dict[str, Any] = {}
    for name in ("balance", "allocated", "unit_price", "quantity"):
        raw = get(name)
        try:
            money[name] = to_decimal(raw, f"{role_th} {name}") if raw not in (None, "") else None
        except ParseError as exc:
            raise TransferError(exc.message_th, exc.message_en, field=f"{role}.{name}", value=raw) from None
    flags: dict[str, Any] = {f.name: _truthy(get(f.name)) for f in fields(BudgetLine) if f.type == "bool"}
    return BudgetLine(
        unit=str(get("unit")).strip(),
        plan=str(get("plan")).strip(),
        project=str(get("project")).strip(),
        category=category_code(get("category"), role, params),
        item=str(get("item")).strip(),
        budget_code=str(get("budget_code")).strip() or None if get("budget_code") not in (None, "") else None,
        unit_kind=unit_kind_code(get("unit_kind"), role, params) if get("unit_kind") not in (None, "") else None,
        item_class=item_class_code(get("item_class"), role, params) if get("item_class") not in (None, "") else None,
        **money,
        **flags,
    )


def category_code(text: Any, role: str = "category", params: Parameters | None = None) -> str:
    """The category code for ``"งบลงทุน"``, ``"investment"`` or ``"Investment"``, or a name the
    rules data lists among the category's ``aliases`` (``"งบอุดหนุน"`` for งบเงินอุดหนุน)."""
    for row in (params or default_parameters()).table("budget.categories")["categories"]:
        if fold_name(text) in {
            fold_name(row["code"]),
            fold_name(row["th"]),
            fold_name(row["en"]),
            *map(fold_name, row.get("aliases", [])),
        }:
            return cast(str, row["code"])
    raise TransferError(
        f"ไม่รู้จักงบรายจ่าย '{text}' (ใช้ได้: งบบุคลากร งบดำเนินงาน งบลงทุน งบเงินอุดหนุน งบรายจ่ายอื่น)",
        f"unknown expense category {text!r} (personnel, operating, investment, subsidy, other)",
        field=f"{role}.category",
        value=text,
    )


def category_th(code: str) -> str:
    """The Thai name of a category code (``"investment"`` -> ``"งบลงทุน"``), as every sheet shows it."""
    for row in default_parameters().table("budget.categories")["categories"]:
        if row["code"] == code:
            return str(row["th"])
    return code


def item_class_code(text: Any, role: str = "item_class", params: Parameters | None = None) -> str:
    """The class of an investment item as the expense structure names it (``ค่าครุภัณฑ์``, ``ครุภัณฑ์``,
    ``ค่าที่ดินและสิ่งก่อสร้าง``, ``equipment``), compared whole; anything else is refused with the classes."""
    categories = (params or default_parameters()).table("budget.categories")["categories"]
    classes = [item for row in categories if row["code"] == "investment" for item in row["items"]]
    return _code_named(text, classes, "ประเภทรายการลงทุน", "investment item class", role)


def unit_kind_code(text: Any, role: str = "unit_kind", params: Parameters | None = None) -> str:
    """The kind a requester states for a unit (``สพป.``, ``โรงเรียนเทศบาล``, ``esa_office``): a code, Thai or
    English name or alias of ``budget/unit_kinds.yaml``, compared whole; anything else is refused with the kinds."""
    kinds = (params or default_parameters()).table("budget.unit_kinds")["kinds"]
    return _code_named(text, kinds, "ประเภทหน่วย", "unit kind", role)


def _code_named(text: Any, rows: list[dict[str, Any]], what_th: str, what_en: str, role: str) -> str:
    """The code of the row that ``text`` names whole: its code, Thai or English name or an alias, spaces
    and case aside. Whole names only: a word inside a longer name decides nothing."""
    wanted = fold_name(text)
    for row in rows:
        if wanted in {
            fold_name(row["code"]),
            fold_name(row["th"]),
            fold_name(row.get("en", "")),
            *map(fold_name, row.get("aliases", [])),
        }:
            return str(row["code"])
    raise TransferError(
        f"ไม่รู้จัก{what_th} '{text}': ใช้ได้ {', '.join(row['th'] for row in rows)}",
        f"unknown {what_en} {text!r}",
        field=role,
        value=text,
    )


def unit_kind(line: BudgetLine, units: Mapping[str, str] | None = None, params: Parameters | None = None) -> str | None:
    """What kind of unit a line's unit is: as the requester states it, else as the office's registry says
    (``units``: unit code or name -> kind, given by the caller), else as ``known_units`` of the data says;
    None when nothing says. Never guessed from words inside the name: a โรงเรียนเทศบาล is not an OBEC school."""
    if line.unit_kind:
        return line.unit_kind
    name = fold_name(line.unit)
    for key, kind in (units or {}).items():
        if fold_name(key) == name:
            return kind
    for row in (params or default_parameters()).table("budget.unit_kinds").get("known_units", []):
        if fold_name(row["name"]) == name:
            return cast(str, row["kind"])
    return None


def receiving_unit(unit: str, kind: str, params: Parameters | None = None) -> str:
    """The budget-receiving unit (หน่วยรับงบประมาณ) a unit's money belongs to, by its kind: OBEC for its
    offices, schools and special education centres; the unit itself for a kind that is its own."""
    rows = (params or default_parameters()).table("budget.unit_kinds")["kinds"]
    belongs = next(str(row["receiving_unit"]) for row in rows if row["code"] == kind)
    return fold_name(unit) if belongs == "own" else belongs


def _unit_price(target: BudgetLine, amount: Decimal) -> Decimal:
    """The price of one unit of what the money buys: stated, or the amount over the quantity, or
    (neither given) the whole amount as one unit."""
    if target.unit_price is not None:
        return target.unit_price
    if target.quantity:
        return amount / target.quantity
    return amount


def _features(
    source: BudgetLine,
    target: BudgetLine,
    amount: Decimal,
    context: Mapping[str, Any],
    params: Parameters,
    table: Mapping[str, Any],
) -> dict[str, Any]:
    same_unit = fold_name(source.unit) == fold_name(target.unit)
    same_receiving, unknown = _same_receiving_unit(source, target, context.get("units"), params)
    features: dict[str, Any] = {
        "same_unit": same_unit,
        "unit_kind_known": not unknown,
        "unknown_unit": unknown,
        "unit_kinds_th": ", ".join(row["th"] for row in params.table("budget.unit_kinds")["kinds"]),
        "same_receiving_unit": same_receiving,
        "same_plan": fold_name(source.plan) == fold_name(target.plan),
        "same_project": _same_project(source, target),
        "same_category": source.category == target.category,
        "same_item": fold_name(source.item) == fold_name(target.item),
        "new_plan_or_project": target.new_plan or target.new_project,
        "target_new_item": target.new_item,
        "leftover": source.leftover or _truthy(context.get("leftover")),
        "over_balance": source.balance is not None and amount > source.balance,
        "source_category": source.category,
        "target_category": target.category,
        "target_item_class": target.item_class,
        "item_class_known": target.category != "investment" or target.item_class is not None,
        "amount": amount,
        "unit_price": _unit_price(target, amount),
        "unit_price_known": target.unit_price is not None or bool(target.quantity),
        "allocated": source.allocated,
        "balance": source.balance if source.balance is not None else Decimal(0),
    }
    features["kind"] = next(
        row["kind"] for row in table["kinds"] if _matches(row.get("when") or {}, features, params, context)[0]
    )
    return features


def _same_receiving_unit(
    source: BudgetLine, target: BudgetLine, units: Mapping[str, str] | None, params: Parameters
) -> tuple[bool | None, str]:
    """Whether the two lines' units are one budget-receiving unit, and the first unit whose kind nothing
    states ("" when known): None for the answer then, as no rule may take an unknown unit for OBEC's."""
    if fold_name(source.unit) == fold_name(target.unit):
        return True, ""
    receiving = []
    for line in (source, target):
        kind = unit_kind(line, units, params)
        if kind is None:
            return None, line.unit
        receiving.append(receiving_unit(line.unit, kind, params))
    return receiving[0] == receiving[1], ""


def _same_project(source: BudgetLine, target: BudgetLine) -> bool:
    """One output/project: by budget code where both lines give one, else by name (a code typed on one
    side only does not make the other side another output)."""
    if source.budget_code and target.budget_code:
        return source.project_key == target.project_key
    return fold_name(source.project) == fold_name(target.project)


def _operand(value: Any, params: Parameters, on: dt.date) -> Any:
    if isinstance(value, Mapping) and "param" in value:
        return params[value["param"]](on)
    return value


def _matches(
    when: Mapping[str, Any], features: Mapping[str, Any], params: Parameters, context: Mapping[str, Any]
) -> tuple[bool, Any]:
    """Whether every condition holds, and the first threshold compared (for the message)."""
    on = context.get("date") or dt.date.today()
    threshold = None
    for name, condition in when.items():
        actual = features.get(name)
        if isinstance(condition, Mapping):
            for op, operand in condition.items():
                limit = _operand(operand, params, on)
                threshold = limit if threshold is None else threshold
                if actual is None or not OPERATORS[op](actual, limit):
                    return False, threshold
        elif actual != condition:
            return False, threshold
    return True, threshold


def validate_transfer(
    source: Any, target: Any, amount: Any, *, context: Mapping[str, Any] | None = None, params: Parameters | None = None
) -> TransferResult:
    """Check one request: ``source`` and ``target`` are budget lines, ``amount`` in baht.

    ``context`` may give ``date`` (which rules are in force; today by default) and
    ``leftover: True`` when the money is leftover funds (เงินเหลือจ่าย).
    """
    params = params or default_parameters()
    context = dict(context or {})
    if isinstance(context.get("date"), str):
        context["date"] = parse_date(context["date"])
    src, dst = budget_line(source, "source", params), budget_line(target, "target", params)
    try:
        money = to_decimal(amount, "จำนวนเงินที่ขอโอน")
    except ParseError as exc:
        raise TransferError(exc.message_th, exc.message_en, field="amount", value=amount) from None
    if money <= 0:
        raise TransferError(
            "จำนวนเงินที่ขอโอนต้องมากกว่า 0", "the amount must be greater than 0", field="amount", value=amount
        )
    table = params.table("budget.transfer_rules")
    features = _features(src, dst, money, context, params, table)
    matched = [
        (rule, threshold)
        for rule in table["rules"]
        for ok, threshold in [_matches(rule.get("when") or {}, features, params, context)]
        if ok
    ]
    if not matched:  # pragma: no cover - the shipped table ends with catch-all rules; `rules check` guards edits
        raise TransferError("ไม่มีกฎที่ใช้กับคำขอนี้", "no rule applies to this request", field="rules", value=features)
    rule, threshold = matched[0]
    blocking = [r["id"] for r, _ in matched[1:] if not r["allowed"]]
    on = context.get("date") or dt.date.today()
    days = _operand(rule.get("report_within_days"), params, on)
    words = {**features, "threshold": threshold or 0, "report_days": days}
    authority, reference = _authority(rule, params)
    kinds = {row["kind"]: row["th"] for row in table["kinds"]}
    allowed = bool(rule["allowed"])
    return TransferResult(
        allowed=allowed,
        authority=authority["code"],
        authority_th=authority["th"],
        kind=features["kind"],
        kind_th=kinds[features["kind"]],
        rule_ids=(rule["id"], *blocking) if not allowed else (rule["id"],),
        message_th=rule["message_th"].format(**words, authority_th=authority["th"]),
        message_en=rule["message_en"].format(**words, authority_en=authority["en"]),
        reference=reference,
        report_within_days=int(days) if days is not None else None,
        amount=money,
        balance_after=(src.balance - money) if allowed and src.balance is not None else src.balance,
    )


def _authority(rule: Mapping[str, Any], params: Parameters) -> tuple[dict[str, Any], str]:
    """Who approves under a rule, and the reference to cite. A rule may name the authority, or a
    delegation (``{delegated: change}``) that ``budget/authorities.yaml`` assigns: who approves a change
    of items or the use of leftovers is the office's delegation, the seed's by default."""
    table = params.table("budget.authorities")
    authorities = {row["code"]: row for row in table["authorities"]}
    named = rule["authority"]
    if isinstance(named, Mapping):
        delegation = next(row for row in table["delegations"] if row["code"] == named["delegated"])
        return authorities[delegation["authority"]], f"{rule['reference']}; ผู้อนุมัติ: {delegation['reference']}"
    return authorities[named], rule["reference"]


def validate_transfers(
    requests: Iterable[Any], *, context: Mapping[str, Any] | None = None, params: Parameters | None = None
) -> list[TransferResult]:
    """Check a whole table of requests in order, carrying each line's running balance.

    Each request is a mapping (or object) with ``source``, ``target`` and ``amount``. A line's
    balance is the one stated where it first appears as a source, less what earlier allowed
    rows took from it and plus what they moved into it.
    """
    params = params or default_parameters()
    running: dict[tuple[str, ...], Decimal] = {}
    received: dict[tuple[str, ...], Decimal] = {}
    results = []
    for request in requests:
        get = request.get if isinstance(request, Mapping) else lambda name, r=request: getattr(r, name, None)
        src = budget_line(get("source"), "source", params)
        dst = budget_line(get("target"), "target", params)
        if src.key in running:
            src = BudgetLine(**{**src.__dict__, "balance": running[src.key]})
        elif src.balance is not None and src.key in received:
            src = BudgetLine(**{**src.__dict__, "balance": src.balance + received[src.key]})
        result = validate_transfer(src, dst, get("amount"), context=context, params=params)
        if result.allowed and result.balance_after is not None:
            running[src.key] = result.balance_after
        elif src.balance is not None:
            running[src.key] = src.balance
        if result.allowed:
            if dst.key in running:
                running[dst.key] += result.amount
            else:
                received[dst.key] = received.get(dst.key, Decimal(0)) + result.amount
        results.append(result)
    return results
