"""The allocation control register as staff keep it: a workbook in, entries in the ledger, balances out.

The planning group keeps ``money/ทะเบียนคุมการจัดสรรงบประมาณ-FY<year>.xlsx`` (the ``money`` form set:
letters received, allocations to units, approved transfers); amounts may be typed or worked out with
``=ESA_ALLOCATE`` / ``=ESA_SUBSIDY`` in the sheet (the values Excel saved are read). ``esaplan money``
checks the whole workbook and, only when nothing in it is wrong, records what changed since the last
run as ledger entries with who and when: a new row is an entry, a changed row is a reversal of its old
entry and a new one, a removed row a reversal. Nothing is updated or deleted, so every earlier state
of the register can be read back. The balances are then worked out from the ledger's entries (not
from the workbook) with the schools' reported use, and written to
``money/สรุปทะเบียนคุมการจัดสรร-FY<year>.xlsx``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from rules import EsaplanError
from rules.allocation_register import (
    Allocation,
    Letter,
    LineBalance,
    RegisterIssue,
    Transfer,
    Use,
    balances,
    register_issues,
    to_satang,
)
from rules.forms import Problem, form_sets, read_sheet
from rules.register_transfers import CheckedTransfer, check_transfers
from rules.thai import fold_name
from rules.transfers import item_class_code
from sync.intake.parse import open_workbook
from sync.ledger.schema import money_entries
from sync.ledger.store import Ledger
from sync.ledger.versions import dumps, loads
from sync.office.registry import find_unit, load_registry, office_groups
from sync.office.settings import Settings

MONEY_SET = "money"
FORM_OF = {"money_letter": "letter", "money_allocation": "allocation", "money_transfer": "transfer"}


class RegisterRefused(EsaplanError):
    """The register workbook has errors: nothing of it was recorded; ``problems`` says where."""

    problems: list[Problem]


@dataclass(frozen=True)
class Entry:
    """One ledger entry of the register, as recorded."""

    id: int
    form: str
    identity: str
    content: dict[str, Any]
    amount: int  # satang; a reversal's is the negated amount of the entry it reverses
    reverses: int | None
    actor: str
    recorded_at: dt.datetime


@dataclass(frozen=True)
class MoneyRun:
    """What ``esaplan money`` did: entries added, the balances, the issues, and the summary workbook."""

    added: list[Entry]
    lines: dict[str, LineBalance]
    issues: list[RegisterIssue]
    summary: Path


def workbook_path(settings: Settings, fiscal_year: int) -> Path:
    return settings.home / "money" / f"ทะเบียนคุมการจัดสรรงบประมาณ-FY{fiscal_year}.xlsx"


def summary_path(settings: Settings, fiscal_year: int) -> Path:
    return settings.home / "money" / f"สรุปทะเบียนคุมการจัดสรร-FY{fiscal_year}.xlsx"


def start_workbook(settings: Settings, fiscal_year: int) -> Path:
    """The year's empty register workbook, where staff will keep it (only when there is none)."""
    path = workbook_path(settings, fiscal_year)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        from sync.intake.templates import write_template  # openpyxl: only when a workbook is written

        write_template(form_sets()[MONEY_SET], path, fiscal_year=fiscal_year, round_=0, office=settings.office.name)
    return path


# --- reading the workbook ---------------------------------------------------------------------


def read_register(
    settings: Settings, fiscal_year: int, content: bytes
) -> tuple[dict[str, dict[str, dict[str, Any]]], list[Problem]]:
    """Each form's rows by identity (what names the row: letter and item, and the unit or the
    approval), and every problem with sheet and cell. Rows are only usable when no problem is an error."""
    book = open_workbook(settings, content)
    if isinstance(book, Problem):
        return {}, [book]
    problems = book.reading_problems()
    if book.meta.get("form_set") not in (None, "", MONEY_SET) or str(
        book.meta.get("fiscal_year") or fiscal_year
    ) != str(fiscal_year):
        return {}, [
            Problem(
                "-",
                "-",
                "WRONG-FORM-SET",
                "error",
                f"ไฟล์นี้ไม่ใช่ทะเบียนคุมการจัดสรรของปีงบประมาณ {fiscal_year}",
                book.meta.get("fiscal_year"),
            )
        ]
    registry = load_registry(settings.registry_path) if settings.registry_path.is_file() else {}
    units = {**registry, **{g.code: g for g in office_groups(registry)}}
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    for form in form_sets()[MONEY_SET].forms:
        grid = book.sheets.get(form.sheet)
        if grid is None:
            problems.append(
                Problem(form.sheet, "-", "MISSING-SHEET", "error", f"ไม่พบแผ่นงาน '{form.sheet}' (อย่าลบหรือเปลี่ยนชื่อแผ่นงาน)")
            )
            continue
        result = read_sheet(
            form,
            grid,
            unit_code="register",
            on=dt.date(fiscal_year - 543 - 1, 10, 1),
            formulas=book.shows_formulas,
            merged=book.merged.get(form.sheet, ()),
        )
        problems.extend(result.problems)
        found = rows.setdefault(FORM_OF[form.code], {})
        for row in result.rows:
            values = {key: value for key, value in row.items() if not key.startswith("_")}
            if form.code == "money_allocation" and values.get("unit"):
                unit = find_unit(
                    values["unit"], units
                )  # Thai digits, a leading apostrophe or OBEC's 10-digit id name the unit too
                if unit is None:
                    problems.append(
                        Problem(
                            form.sheet,
                            f"C{row['_row']}",
                            "REG-UNKNOWN-UNIT",
                            "error",
                            f"ไม่มีหน่วยงานรหัส {values['unit']} ในทะเบียนหน่วยงาน",
                            values["unit"],
                            "unit",
                        )
                    )
                else:
                    values["unit"] = unit.code
            identity = _identity(FORM_OF[form.code], values)
            if identity in found:
                problems.append(
                    Problem(
                        form.sheet,
                        f"A{row['_row']}",
                        "REG-DUPLICATE-ROW",
                        "error",
                        "แถวนี้ซ้ำกับแถวก่อนหน้า (หนังสือ รายการ และหน่วยงานเดียวกัน): รวมเป็นแถวเดียว",
                        None,
                    )
                )
            found[identity] = values
    return rows, problems


def _identity(form: str, row: dict[str, Any]) -> str:
    if form == "letter":
        return f"{fold_name(row.get('letter_no'))}|{fold_name(row.get('item'))}"
    if form == "allocation":
        return f"{fold_name(row.get('letter_no'))}|{fold_name(row.get('item'))}|{row.get('unit')}"
    return "|".join(
        fold_name(row.get(key)) for key in ("approval_no", "from_letter", "from_item", "to_letter", "to_item")
    )


# --- the ledger's entries ---------------------------------------------------------------------


def entries(ledger: Ledger, fiscal_year: int) -> list[Entry]:
    """Every entry of the year's register, oldest first."""
    query = select(money_entries).where(money_entries.c.fiscal_year == fiscal_year).order_by(money_entries.c.id)
    with ledger.engine.connect() as connection:
        return [
            Entry(r.id, r.form, r.identity, loads(r.content), r.amount_satang, r.reverses, r.actor, r.recorded_at)
            for r in connection.execute(query)
        ]


def live(history: list[Entry]) -> dict[tuple[str, str], Entry]:
    """The entries in force: every entry not reversed and not itself a reversal, by (form, identity)."""
    reversed_ids = {e.reverses for e in history if e.reverses is not None}
    return {(e.form, e.identity): e for e in history if e.reverses is None and e.id not in reversed_ids}


def record(
    ledger: Ledger, fiscal_year: int, rows: dict[str, dict[str, dict[str, Any]]], actor: str, sha256: str
) -> list[Entry]:
    """Append what differs between the workbook's rows and the entries in force, in one transaction."""
    now = dt.datetime.now(dt.UTC)
    history = entries(ledger, fiscal_year)
    last = max((e.id for e in history), default=0)
    current = live(history)
    wanted = {(form, identity): content for form, found in rows.items() for identity, content in found.items()}
    values: list[dict[str, Any]] = []

    def add(form: str, identity: str, content: dict[str, Any], amount: int, reverses: int | None) -> None:
        values.append(
            {
                "fiscal_year": fiscal_year,
                "form": form,
                "identity": identity,
                "content": dumps(content),
                "amount_satang": amount,
                "reverses": reverses,
                "actor": actor,
                "recorded_at": now,
                "source_sha256": sha256,
            }
        )

    for key, entry in current.items():
        if key not in wanted or _canonical(wanted[key]) != _canonical(entry.content):
            add(entry.form, entry.identity, entry.content, -entry.amount, entry.id)
    for (form, identity), content in wanted.items():
        kept = current.get((form, identity))
        if kept is None or _canonical(content) != _canonical(kept.content):
            add(form, identity, content, to_satang(content["amount"]), None)
    if values:
        with ledger.begin() as connection:
            connection.execute(insert(money_entries), values)
    return [e for e in entries(ledger, fiscal_year) if e.id > last]


def _canonical(content: dict[str, Any]) -> str:
    return json.dumps(json.loads(dumps(content)), sort_keys=True, ensure_ascii=False)


# --- the balances --------------------------------------------------------------------------------


def register_state(in_force: dict[tuple[str, str], Entry]) -> tuple[list[Letter], list[Allocation], list[Transfer]]:
    """The register's rows in force, as the engine takes them."""
    letters, allocations, transfers = [], [], []
    for (form, _), entry in sorted(in_force.items(), key=lambda pair: pair[1].id):
        row = entry.content
        if form == "letter":
            letters.append(
                Letter(
                    row["letter_no"],
                    row["letter_date"],
                    row.get("budget_code") or "",
                    row["plan"],
                    row["project"],
                    row.get("activity") or "",
                    row["category"],
                    row["item"],
                    entry.amount,
                )
            )
        elif form == "allocation":
            allocations.append(
                Allocation(row["letter_no"], row["item"], row["unit"], entry.amount, row.get("note") or "")
            )
        else:
            transfers.append(
                Transfer(
                    row["approval_no"],
                    row["approval_date"],
                    row["from_letter"],
                    row["from_item"],
                    row["to_letter"],
                    row["to_item"],
                    entry.amount,
                    row.get("reason") or "",
                    item_class_code(row["to_item_class"]) if row.get("to_item_class") else "",
                    Decimal(str(row["to_quantity"])) if row.get("to_quantity") not in (None, "") else None,
                    bool(row.get("leftover")),
                )
            )
    return letters, allocations, transfers


def reported_use(settings: Settings, ledger: Ledger, fiscal_year: int) -> list[Use]:
    """What units reported in the budget_use form of their latest accepted version of the round."""
    uses = []
    for submission in ledger.versions(fiscal_year, settings.round).counted.values():
        for row in submission.data.get("budget_use", []):
            if row.get("line") and row.get("allocated") is not None:
                uses.append(
                    Use(
                        submission.unit_code,
                        str(row["line"]),
                        to_satang(row["allocated"]),
                        to_satang(row.get("committed") or 0),
                        to_satang(row.get("disbursed") or 0),
                    )
                )
    return uses


@dataclass(frozen=True)
class RegisterState:
    """The register as the ledger holds it now: every entry, the balances, the issues, the units' names."""

    history: list[Entry]
    lines: dict[str, LineBalance]
    issues: list[RegisterIssue]
    names: dict[str, str]
    transfers: list[CheckedTransfer]


def allocated_by_unit(ledger: Ledger, fiscal_year: int) -> dict[str, Decimal]:
    """What the register's entries in force allocate to each unit in the fiscal year, in baht."""
    _, allocations, _ = register_state(live(entries(ledger, fiscal_year)))
    given: dict[str, int] = {}
    for allocation in allocations:
        given[allocation.unit] = given.get(allocation.unit, 0) + allocation.amount
    return {unit: Decimal(satang) / 100 for unit, satang in given.items()}


def register_now(settings: Settings, ledger: Ledger, fiscal_year: int) -> RegisterState:
    """The balances and issues from the ledger's entries in force and the units' reported use."""
    history = entries(ledger, fiscal_year)
    letters, allocations, transfers = register_state(live(history))
    lines, issues = balances(letters, allocations, transfers)
    checked, transfer_issues = check_transfers(lines, transfers)
    issues += transfer_issues
    registry = load_registry(settings.registry_path) if settings.registry_path.is_file() else {}
    names = {code: unit.name_th for code, unit in {**registry, **{g.code: g for g in office_groups(registry)}}.items()}
    issues += register_issues(lines, reported_use(settings, ledger, fiscal_year), names)
    return RegisterState(history, lines, issues, names, checked)
