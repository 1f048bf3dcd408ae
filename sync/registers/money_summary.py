"""``esaplan money``: the register workbook checked (nothing recorded while it has errors), what
changed recorded in the ledger with who and when, and the balances written as the summary workbook
staff and the director read (ยอดตามหนังสือจัดสรร, by unit, the changes, the problems).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from filelock import FileLock
from openpyxl import Workbook

from rules import EsaplanError
from rules.allocation_register import (
    LineBalance,
    RegisterIssue,
    baht,
)
from rules.register_transfers import CheckedTransfer
from rules.thai import fold_name
from rules.transfers import category_th
from sync.files.atomic import save_workbook
from sync.files.printsetup import office_table
from sync.ledger.database import open_ledger
from sync.ledger.schema import as_utc
from sync.ledger.status import SEVERITY_TH
from sync.ledger.store import Ledger
from sync.office.settings import BANGKOK, Settings
from sync.registers.money import (
    Entry,
    MoneyRun,
    RegisterRefused,
    read_register,
    record,
    register_now,
    summary_path,
    workbook_path,
)


def run_register(settings: Settings, fiscal_year: int, actor: str) -> MoneyRun:
    """Check the register workbook, record its changes, work out the balances, write the summary.

    Raises :class:`RegisterRefused` (nothing recorded) when the workbook has errors.
    """
    path = workbook_path(settings, fiscal_year)
    if not path.is_file():
        raise EsaplanError(
            f"ยังไม่มีทะเบียนคุมการจัดสรรของปีงบประมาณ {fiscal_year}: สั่ง esaplan money --fy {fiscal_year} --start แล้วกรอก {path}",
            f"no register workbook at {path}",
            path=path,
        )
    content = path.read_bytes()
    rows, problems = read_register(settings, fiscal_year, content)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        first = errors[0]
        raise RegisterRefused(
            f"ทะเบียนมีข้อผิดพลาด {len(errors)} รายการ จึงยังไม่บันทึก: แผ่นงาน {first.sheet} เซลล์ {first.cell}: {first.message_th}",
            f"the register has {len(errors)} errors; nothing recorded",
            problems=problems,
        )
    ledger = open_ledger(settings.database_url)
    with FileLock(
        path.parent / ".register.lock", timeout=60
    ):  # one recording at a time: each compares with the entries in force
        added = record(ledger, fiscal_year, rows, actor, hashlib.sha256(content).hexdigest())
    return summarise(settings, ledger, fiscal_year, added)


def summarise(settings: Settings, ledger: Ledger, fiscal_year: int, added: list[Entry] | None = None) -> MoneyRun:
    """The register now, written as the summary workbook."""
    now = register_now(settings, ledger, fiscal_year)
    path = summary_path(settings, fiscal_year)
    save_workbook(_summary_book(now.lines, now.issues, now.history, now.names, now.transfers), path)
    return MoneyRun(added or [], now.lines, now.issues, path)


def _bangkok(moment: dt.datetime) -> dt.datetime:
    """A recorded time as the office reads it (Bangkok), without a zone: Excel has none."""
    return as_utc(moment).astimezone(BANGKOK).replace(tzinfo=None)


def _summary_book(
    lines: dict[str, LineBalance],
    issues: list[RegisterIssue],
    history: list[Entry],
    names: dict[str, str],
    transfers: list[CheckedTransfer],
) -> Workbook:
    book = Workbook()
    by_line = book.active
    by_line.title = "ยอดตามหนังสือจัดสรร"
    by_line.append(
        [
            "เลขที่หนังสือ",
            "ลงวันที่",
            "รหัสงบประมาณ",
            "แผนงาน",
            "ผลผลิต/โครงการ",
            "กิจกรรม",
            "งบรายจ่าย",
            "รายการ",
            "ได้รับจัดสรร (บาท)",
            "โอนเข้า (บาท)",
            "โอนออก (บาท)",
            "จัดสรรให้หน่วยงาน (บาท)",
            "คงเหลือยังไม่จัดสรร (บาท)",
        ]
    )
    for line in lines.values():
        letter = line.letter
        by_line.append(
            [
                letter.letter_no,
                letter.letter_date,
                letter.budget_code,
                letter.plan,
                letter.project,
                letter.activity,
                category_th(letter.category),
                letter.item,
                baht(letter.amount),
                baht(line.moved_in),
                baht(line.moved_out),
                baht(line.allocated),
                baht(line.remainder),
            ]
        )
    total = [
        sum(getattr(line, name) for line in lines.values())
        for name in ("moved_in", "moved_out", "allocated", "remainder")
    ]
    by_line.append(
        [
            "รวม",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            baht(sum(line.letter.amount for line in lines.values())),
            *map(baht, total),
        ]
    )
    by_budget = book.create_sheet("รายรายการงบประมาณ")  # a budget line funded by several letters, summed
    by_budget.append(
        [
            "รหัสงบประมาณ",
            "แผนงาน",
            "ผลผลิต/โครงการ",
            "งบรายจ่าย",
            "รายการ",
            "จำนวนหนังสือ",
            "ได้รับจัดสรร (บาท)",
            "โอนเข้า-ออกสุทธิ (บาท)",
            "จัดสรรให้หน่วยงาน (บาท)",
            "คงเหลือ (บาท)",
        ]
    )
    grouped: dict[tuple[str, ...], list[LineBalance]] = {}
    for line in lines.values():
        letter = line.letter
        grouped.setdefault(
            (
                fold_name(letter.budget_code),
                fold_name(letter.plan),
                fold_name(letter.project),
                letter.category,
                fold_name(letter.item),
            ),
            [],
        ).append(line)
    for same in grouped.values():
        first = same[0].letter
        by_budget.append(
            [
                first.budget_code,
                first.plan,
                first.project,
                category_th(first.category),
                first.item,
                len(same),
                baht(sum(x.letter.amount for x in same)),
                baht(sum(x.moved_in - x.moved_out for x in same)),
                baht(sum(x.allocated for x in same)),
                baht(sum(x.remainder for x in same)),
            ]
        )
    by_unit = book.create_sheet("รายหน่วยงาน")
    by_unit.append(["รหัสหน่วยงาน", "ชื่อหน่วยงาน", "เลขที่หนังสือ", "รายการ", "งบรายจ่าย", "จัดสรร (บาท)"])
    for line in lines.values():
        for unit, amount in sorted(line.by_unit.items()):
            by_unit.append(
                [
                    unit,
                    names.get(unit, ""),
                    line.letter.letter_no,
                    line.letter.item,
                    category_th(line.letter.category),
                    baht(amount),
                ]
            )
    moved = book.create_sheet("การโอนเปลี่ยนแปลง")  # each approved transfer through the transfer rules
    moved.append(
        [
            "เลขที่หนังสืออนุมัติ",
            "วันที่อนุมัติ",
            "จาก-รายการ",
            "ไป-รายการ",
            "จำนวนเงิน (บาท)",
            "ประเภท",
            "ผู้มีอำนาจอนุมัติตามกฎ",
            "ผลตรวจตามกฎ",
            "อ้างอิง",
        ]
    )
    for checked in transfers:
        transfer, result = checked.transfer, checked.result
        moved.append(
            [
                transfer.approval_no,
                transfer.approval_date,
                f"{transfer.from_letter} {transfer.from_item}",
                f"{transfer.to_letter} {transfer.to_item}",
                baht(transfer.amount),
                result.kind_th if result else None,
                result.authority_th if result else None,
                ("เป็นไปตามกฎ" if result.allowed else "ไม่เป็นไปตามกฎ: " + result.message_th)
                if result
                else "ตรวจไม่ได้: " + checked.problem_th,
                result.reference if result else None,
            ]
        )
    found = book.create_sheet("ปัญหาที่พบ")
    found.append(["ระดับ", "แผ่นงาน", "รายการ", "ข้อความ", "กฎ"])
    for issue in issues:
        found.append([SEVERITY_TH[issue.severity], issue.sheet, issue.about, issue.message_th, issue.rule])
    log = book.create_sheet("ประวัติรายการ")
    log.append(["ลำดับ", "บันทึกเมื่อ", "ผู้บันทึก", "แผ่นงาน", "รายการ", "จำนวนเงิน (บาท)", "กลับรายการของลำดับ"])
    sheets = {"letter": "หนังสือจัดสรร", "allocation": "จัดสรรให้หน่วยงาน", "transfer": "โอนเปลี่ยนแปลงที่อนุมัติ"}
    for entry in history:
        log.append(
            [
                entry.id,
                _bangkok(entry.recorded_at),
                entry.actor,
                sheets[entry.form],
                " / ".join(
                    str(v)
                    for k, v in entry.content.items()
                    if k in ("letter_no", "approval_no", "item", "from_item", "to_item", "unit")
                ),
                baht(entry.amount),
                entry.reverses,
            ]
        )
    for sheet in book.worksheets:
        office_table(sheet)
    return book
