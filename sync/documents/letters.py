"""Letters to schools (หนังสือแจ้งการจัดสรร): one Word document per allocation letter received, one page per unit.

Each page is the office's letter to one school or group: the OBEC letter it refers to (number and
date) and, for every line of that letter allocated to the unit, the budget code, plan, output/project,
activity, expense category, item and amount, with the total in figures and in Thai words (บาทถ้วน, as
official letters write it). Every figure comes from the register's entries in force
(:mod:`sync.registers.money`), never typed. The office's own outgoing number and date are left to the
correspondence system (สารบรรณ), where they are given when the letter is signed.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from pythainlp.util import thai_strftime

from rules import EsaplanError
from rules.allocation_register import LineBalance, baht, balances
from rules.thai import fold_name, parse_date, thai_digits
from rules.transfers import category_th
from sync.documents.docx import Written, centre, documents_dir, new_document, save, total_sentence, word_table
from sync.ledger.database import open_ledger
from sync.office.registry import Unit, load_registry, office_groups
from sync.office.settings import Settings
from sync.registers.money import entries, live, register_state


def letter_stem(fiscal_year: int, letter_no: str) -> str:
    """``หนังสือแจ้งการจัดสรร-FY2570-ศธ04002-ว1234``: the letter's number made safe for a file name."""
    return f"หนังสือแจ้งการจัดสรร-FY{fiscal_year}-" + re.sub(r"[^\w\u0e00-\u0e7f]+", "-", letter_no).strip("-")


def _midnight(day: dt.date) -> dt.datetime:
    """PyThaiNLP's thai_strftime is typed for datetimes; a date is its midnight."""
    return dt.datetime.combine(day, dt.time())


def _thai_date(value: Any) -> str:
    return thai_digits(thai_strftime(_midnight(parse_date(value)), "%-d %B %Y"))


def _addressee(unit: Unit | None, code: str) -> str:
    if unit is None:
        return f"หัวหน้าหน่วยงานรหัส {code}"
    if unit.kind == "school":
        return f"ผู้อำนวยการ{unit.name_th}" if unit.name_th.startswith("โรงเรียน") else f"ผู้อำนวยการโรงเรียน{unit.name_th}"
    return f"ผู้อำนวยการ{unit.name_th}"


def letters_document(
    settings: Settings, fiscal_year: int, letter_no: str, lines: list[LineBalance], units: dict[str, Unit]
) -> Any:
    """The letters for one OBEC letter: a page per unit that was allocated any of its lines."""
    document = new_document()
    first = lines[0].letter
    codes = sorted({code for line in lines for code in line.by_unit})
    for index, code in enumerate(codes):
        if index:
            document.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
        document.add_paragraph("ที่ ศธ ........................")
        document.add_paragraph(settings.office_name).alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if settings.office_address:
            document.add_paragraph(thai_digits(settings.office_address)).alignment = WD_ALIGN_PARAGRAPH.RIGHT
        date = document.add_paragraph(
            f"วันที่ ........ {thai_strftime(_midnight(parse_date(first.letter_date)), '%B')} พ.ศ. ........"
        )
        date.alignment = WD_ALIGN_PARAGRAPH.CENTER
        document.add_paragraph(f"เรื่อง\tแจ้งการจัดสรรงบประมาณรายจ่ายประจำปีงบประมาณ พ.ศ. {thai_digits(fiscal_year)}")
        document.add_paragraph(f"เรียน\t{_addressee(units.get(code), code)}")
        document.add_paragraph(
            f"อ้างถึง\tหนังสือสำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน ที่ {thai_digits(letter_no)} ลงวันที่ {_thai_date(first.letter_date)}"
        )
        body = document.add_paragraph(
            f"ตามหนังสือที่อ้างถึง สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐานได้จัดสรรงบประมาณรายจ่ายประจำปีงบประมาณ พ.ศ. {thai_digits(fiscal_year)} "
            f"ให้{settings.office_name} นั้น {settings.office_name}ได้จัดสรรงบประมาณให้หน่วยงานของท่าน ตามรายการต่อไปนี้"
        )
        body.paragraph_format.first_line_indent = document.sections[0].left_margin // 2
        rows: list[list[Any]] = []
        total = 0
        for line in lines:
            amount = line.by_unit.get(code)
            if amount is None:
                continue
            letter = line.letter
            source = " ".join(
                part
                for part in (
                    letter.plan,
                    letter.project,
                    f"กิจกรรม{letter.activity}" if letter.activity else "",
                    f"รหัสงบประมาณ {letter.budget_code}" if letter.budget_code else "",
                )
                if part
            )
            rows.append(
                [thai_digits(len(rows) + 1), f"{letter.item}\n({source})", category_th(letter.category), baht(amount)]
            )
            total += amount
        rows.append(["", "รวม", "", baht(total)])
        word_table(
            document,
            ["ที่", "รายการ (แผนงาน ผลผลิต/โครงการ กิจกรรม รหัสงบประมาณ)", "งบรายจ่าย", "จำนวนเงิน (บาท)"],
            rows,
            widths=(0.9, 10.0, 2.4, 3.2),
            totals=(len(rows) - 1,),
            numeric=(3,),
        )
        total_sentence(document, "รวมเป็นเงินทั้งสิ้น", baht(total))
        document.add_paragraph(
            "ขอให้ดำเนินการใช้จ่ายงบประมาณตามวัตถุประสงค์ของรายการ ตามระเบียบที่เกี่ยวข้อง และรายงานผลการใช้จ่ายในแบบรายงานการใช้งบประมาณทุกรอบรายงาน"
        )
        document.add_paragraph("จึงเรียนมาเพื่อทราบและดำเนินการ")
        for text in (
            "ขอแสดงความนับถือ",
            "",
            "",
            "(......................................................)",
            f"ผู้อำนวยการ{settings.office_name}",
        ):
            centre(document, text)
        document.add_paragraph("กลุ่มนโยบายและแผน")
    return document


def write_letters(settings: Settings, fiscal_year: int, letter_no: str | None = None) -> list[Written]:
    """The letters for every OBEC letter of the year's register (or only ``letter_no``), DOCX and PDF."""
    ledger = open_ledger(settings.database_url)
    lines, _ = balances(*register_state(live(entries(ledger, fiscal_year))))
    by_letter: dict[str, list[LineBalance]] = {}
    for line in lines.values():
        if line.by_unit:
            by_letter.setdefault(line.letter.letter_no, []).append(line)
    if letter_no is not None:
        by_letter = {number: found for number, found in by_letter.items() if fold_name(number) == fold_name(letter_no)}
    if not by_letter:
        what = f"หนังสือ {letter_no}" if letter_no else f"ปีงบประมาณ {fiscal_year}"
        raise EsaplanError(
            f"ยังไม่มีการจัดสรรให้หน่วยงานใดจาก{what} ในทะเบียนคุมการจัดสรร: กรอกแผ่นงาน จัดสรรให้หน่วยงาน แล้วสั่ง esaplan money",
            f"nothing allocated to units from {letter_no or fiscal_year} in the register",
            fiscal_year=fiscal_year,
        )
    registry = load_registry(settings.registry_path) if settings.registry_path.is_file() else {}
    units = {**registry, **{g.code: g for g in office_groups(registry)}}
    folder = documents_dir(settings, fiscal_year)
    return [
        save(
            letters_document(settings, fiscal_year, number, found, units),
            folder / f"{letter_stem(fiscal_year, number)}.docx",
        )
        for number, found in by_letter.items()
    ]
