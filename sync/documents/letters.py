"""Letters to schools (หนังสือแจ้งการจัดสรร) in the government's external-letter form, one page each.

For each allocation letter received from OBEC, each unit it funds gets the office's letter: the Garuda
(3 cm, as the correspondence regulation sets it for external letters), ที่ ศธ with the office's prefix
(the number itself is given by the correspondence system when the letter is signed), the office's name
and address, the date line (month and year; the day is written on signing), เรื่อง, เรียน, อ้างถึง (OBEC's
letter), the body with every line of that letter allocated to the unit and the total in figures and in
Thai words (บาทถ้วน), the closing, the signatory and, at the foot, the owning section with telephone and
e-mail (ระเบียบสำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ พ.ศ. 2526 และที่แก้ไขเพิ่มเติม, แบบหนังสือภายนอก).
Every figure comes from the register's entries in force (:mod:`sync.registers.money`), never typed.

A unit's lines that would not leave the letter on one page go to an attached list (สิ่งที่ส่งมาด้วย) on
a second page with its own heading, numbered "- ๒ -": printing decides (a letter whose PDF runs over is made
again with its lines attached), not an estimate of line heights. Written: one Word file and one PDF per unit (for
e-mail) in a folder named for OBEC's letter, and one PDF of them all (for printing), beside the folder.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from pythainlp.util import thai_strftime

from rules import EsaplanError
from rules.allocation_register import LineBalance, baht, balances
from rules.money import baht_text, format_number
from rules.thai import BANGKOK, fold_name, parse_date, thai_digits
from rules.transfers import category_th
from sync.documents.docx import Written, documents_dir, save_all
from sync.documents.look import centre, indented, new_document
from sync.documents.printing import merge_pdfs
from sync.documents.tables import text_cm, word_table
from sync.ledger.database import open_ledger
from sync.office.identity import Office
from sync.office.registry import Unit, load_registry, office_groups
from sync.office.settings import Settings
from sync.registers.money import entries, live, register_state

GARUDA_CM = 3.0
TOP_MARGIN_CM = 1.5  # the Garuda stands 1.5 cm from the top edge
TABLE_LINES_ON_PAGE = 14  # printed lines of an allocation table that plainly cannot leave the letter one page
HEADER = ["ที่", "รายการ", "รหัสงบประมาณ", "งบรายจ่าย", "จำนวนเงิน (บาท)"]


@dataclass(frozen=True)
class Batch:
    """The letters for one OBEC letter: a PDF to print them all, and a folder of one file per unit."""

    pdf: Path | None
    folder: Path
    units: list[Written]


def letter_stem(fiscal_year: int, letter_no: str) -> str:
    """``หนังสือแจ้งการจัดสรร-FY2570-ศธ04002-ว1234``: the letter's number made safe for a file name."""
    return f"หนังสือแจ้งการจัดสรร-FY{fiscal_year}-" + _safe(letter_no)


def _safe(text: str) -> str:
    return re.sub(r"[^\w\u0e00-\u0e7f]+", "-", text).strip("-")


def _thai_date(value: Any) -> str:
    day = parse_date(value)
    return thai_digits(thai_strftime(dt.datetime.combine(day, dt.time()), "%-d %B %Y"))


def _unit_name(unit: Unit | None, code: str) -> str:
    """The unit as a letter names it: a school as โรงเรียน..., whatever the registry's short name."""
    return f"หน่วยงานรหัส {code}" if unit is None else unit.written_name


def _addressee(unit: Unit | None, code: str) -> str:
    return f"หัวหน้าหน่วยงานรหัส {code}" if unit is None else f"ผู้อำนวยการ{_unit_name(unit, code)}"


def _source(line: LineBalance) -> str:
    """Where a line's money sits beyond its budget code (the code names the plan and the output): its activity."""
    return f"กิจกรรม{line.letter.activity}" if line.letter.activity else ""


def _rows(lines: list[LineBalance], code: str, *, with_source: bool) -> tuple[list[list[Any]], int]:
    """The unit's lines of the letter as table rows, and their total in satang."""
    rows: list[list[Any]] = []
    total = 0
    for line in lines:
        amount = line.by_unit.get(code)
        if amount is None:
            continue
        letter = line.letter
        item = f"{letter.item}\n{_source(line)}" if with_source and _source(line) else letter.item
        rows.append(
            [thai_digits(len(rows) + 1), item, letter.budget_code or "-", category_th(letter.category), baht(amount)]
        )
        total += amount
    rows.append(["", "รวม", "", "", baht(total)])
    return rows, total


def _printed_lines(rows: list[list[Any]], width_cm: float = 7.0) -> int:
    """About how many lines the table prints: each row's longest cell wrapped to its column."""
    return 2 + sum(
        max(1, sum(math.ceil(text_cm(part) / width_cm) or 1 for part in str(row[1]).split("\n"))) for row in rows
    )


def _borderless(table: Any) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def _head(document: Any, office: Office, home: Path, letter_date: str) -> None:
    """Garuda, ที่ and the office's address, the date line: the top of an external letter."""
    garuda = office.garuda_path(home)
    if garuda is not None:
        document.add_picture(str(garuda), height=Cm(GARUDA_CM))
        picture = document.paragraphs[-1]
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE  # an exact line would crop it
    else:  # the space the office's Garuda takes, so a stamped or pre-printed one fits
        document.add_paragraph().paragraph_format.space_after = Cm(GARUDA_CM - 0.7)
    prefix = thai_digits(office.book_prefix) if office.book_prefix else "........................"
    table = document.add_table(rows=1, cols=2)
    _borderless(table)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    left, right = table.rows[0].cells
    for column, cell, width in zip(table.columns, (left, right), (Cm(5.5), Cm(10.5)), strict=True):
        column.width = cell.width = width
    left.paragraphs[0].text = f"ที่ {prefix}/"
    right.paragraphs[0].text = office.name
    for line in filter(None, (office.address,)):
        right.add_paragraph(thai_digits(line))
    date = document.add_paragraph(letter_date)
    date.paragraph_format.left_indent = Cm(8.0)  # the date line starts at the middle of the page
    date.paragraph_format.space_before = Pt(2)


def _labelled(document: Any, label: str, text: str) -> None:
    paragraph = document.add_paragraph(f"{label}\t{text}")
    at = Cm(3.25 if label == "สิ่งที่ส่งมาด้วย" else 2.0)
    paragraph.paragraph_format.tab_stops.add_tab_stop(at)
    paragraph.paragraph_format.left_indent = at  # a second line starts under the text, not under the label
    paragraph.paragraph_format.first_line_indent = -at
    paragraph.paragraph_format.space_before = Pt(2)


def _foot(document: Any, office: Office) -> None:
    """Closing, signatory, and the owning section with its contacts at the lower left."""
    closing = centre(document, "ขอแสดงความนับถือ")
    closing.paragraph_format.space_before = Pt(6)
    closing.paragraph_format.left_indent = Cm(4.0)
    for index, text in enumerate(
        (f"({office.director or '......................................................'})", office.signatory_title)
    ):
        line = centre(document, text)
        line.paragraph_format.left_indent = Cm(4.0)
        if index == 0:
            line.paragraph_format.space_before = Cm(1.2)  # room to sign
    phone = thai_digits(office.phone) if office.phone else "...................."
    section = document.add_paragraph(f"{office.section} โทร. {phone}")
    section.paragraph_format.space_before = Pt(4)
    document.add_paragraph(f"ไปรษณีย์อิเล็กทรอนิกส์ {office.email or '....................'}")


def letter_document(
    settings: Settings,
    fiscal_year: int,
    letter_no: str,
    lines: list[LineBalance],
    unit: Unit | None,
    code: str,
    letter_date: str,
    attach: bool | None = None,
) -> tuple[Any, bool]:
    """One unit's letter as a document of its own, its lines in a table on the letter or, with ``attach``
    (by default: when they plainly cannot fit), in a list attached on a second page; and which it is."""
    document = new_document(top_cm=TOP_MARGIN_CM, bottom_cm=1.3)
    office, year = settings.office.in_thai_digits(), thai_digits(fiscal_year)
    first = lines[0].letter
    mine = [line for line in lines if code in line.by_unit]
    sources = {_source(line) for line in mine}
    rows, total = _rows(mine, code, with_source=len(sources) > 1)
    attached = _printed_lines(rows) > TABLE_LINES_ON_PAGE if attach is None else attach
    _head(document, office, settings.home, letter_date)
    _labelled(document, "เรื่อง", f"แจ้งการจัดสรรงบประมาณ ประจำปีงบประมาณ พ.ศ. {year}")
    _labelled(document, "เรียน", _addressee(unit, code))
    _labelled(
        document,
        "อ้างถึง",
        f"หนังสือสำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน ที่ {thai_digits(letter_no)} ลงวันที่ {_thai_date(first.letter_date)}",
    )
    if attached:
        _labelled(document, "สิ่งที่ส่งมาด้วย", "บัญชีรายการงบประมาณที่จัดสรร จำนวน ๑ ฉบับ")
    name = _unit_name(unit, code)
    under = f" {next(iter(sources))}" if len(sources) == 1 and next(iter(sources)) else ""
    amount = thai_digits(format_number(baht(total)))
    words = f"{amount} บาท ({baht_text(baht(total))})"
    opening = (
        f"ตามหนังสือที่อ้างถึง สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐานได้จัดสรรงบประมาณรายจ่ายประจำปีงบประมาณ พ.ศ. {year}{under} "
        f"ให้{office.name} นั้น ในการนี้ ได้จัดสรรงบประมาณให้{name}"
    )
    if attached:
        indented(
            document, f"{opening} จำนวน {thai_digits(len(rows) - 1)} รายการ เป็นเงินทั้งสิ้น {words} รายละเอียดตามสิ่งที่ส่งมาด้วย"
        )
    else:
        indented(document, f"{opening} ดังนี้").paragraph_format.space_before = Pt(4)
        rows[-1][1] = f"รวมเป็นเงินทั้งสิ้น ({baht_text(baht(total))})"  # the total in figures and in words, one row
        word_table(
            document,
            HEADER,
            rows,
            totals=(len(rows) - 1,),
            numeric=(4,),
            centred=(0, 2),
            spaced=False,
            total_label_spans=True,
        )
    indented(
        document,
        "จึงเรียนมาเพื่อทราบ และขอให้ใช้จ่ายตามวัตถุประสงค์และระเบียบที่เกี่ยวข้อง พร้อมรายงานผลทุกรอบรายงาน",
    )
    _foot(document, office)
    if attached:
        document.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
        centre(document, "บัญชีรายการงบประมาณที่จัดสรร", bold=True)
        centre(document, f"แนบหนังสือแจ้งการจัดสรรงบประมาณถึง{_addressee(unit, code)}")
        centre(document, f"ตามหนังสือสำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน ที่ {thai_digits(letter_no)}")
        word_table(document, HEADER, rows, totals=(len(rows) - 1,), numeric=(4,), centred=(0, 2))
        indented(document, f"รวมเป็นเงินทั้งสิ้น {words}")

    return document, attached


def write_letters(settings: Settings, fiscal_year: int, letter_no: str | None = None) -> list[Batch]:
    """The letters for every OBEC letter of the year's register (or only ``letter_no``)."""
    ledger = open_ledger(settings.database_url)
    lines, _ = balances(*register_state(live(entries(ledger, fiscal_year))))
    by_letter: dict[str, list[LineBalance]] = {}
    spelled: dict[str, str] = {}  # one OBEC letter however its number was typed: the first spelling prints
    for line in lines.values():
        if line.by_unit:
            key = fold_name(line.letter.letter_no)
            spelled.setdefault(key, line.letter.letter_no)
            by_letter.setdefault(key, []).append(line)
    by_letter = {spelled[key]: found for key, found in by_letter.items()}
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
    today = dt.datetime.now(BANGKOK)
    letter_date = thai_digits(thai_strftime(today.replace(tzinfo=None), "%B %Y"))  # the day is written on signing
    batches = []
    for number, found in by_letter.items():
        folder = documents_dir(settings, fiscal_year) / letter_stem(fiscal_year, number)
        codes = sorted({code for line in found for code in line.by_unit})
        paths = [
            folder / f"{_safe(code + ' ' + (units[code].name_th if code in units else ''))[:80]}.docx" for code in codes
        ]
        made = [
            letter_document(settings, fiscal_year, number, found, units.get(code), code, letter_date, None)
            for code in codes
        ]
        written = save_all([(document, path) for (document, _), path in zip(made, paths, strict=True)])
        # a letter whose table ran onto a second page is made again with its lines attached: the letter
        # itself stays one page and the list is a page of its own (printing tells, not an estimate)
        over = [i for i, w in enumerate(written) if not made[i][1] and w.pdf is not None and _pages(w.pdf) > 1]
        if over:
            redo = [
                letter_document(settings, fiscal_year, number, found, units.get(codes[i]), codes[i], letter_date, True)
                for i in over
            ]
            again = save_all([(document, paths[i]) for (document, _), i in zip(redo, over, strict=True)])
            for i, redone in zip(over, again, strict=True):
                written[i] = redone
        printed = [w.pdf for w in written if w.pdf is not None]
        pdf = merge_pdfs(printed, folder.with_suffix(".pdf")) if printed and len(printed) == len(written) else None
        batches.append(Batch(pdf, folder, written))
    return batches


def _pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)
