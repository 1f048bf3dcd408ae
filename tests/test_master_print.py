"""The master as an analyst prints and presents it: rendered by LibreOffice, read back from the PDF.

The 200-school demo's presentation sheets and the issues list are printed on their own (the tidy
data sheets are for filtering, not for paper), and a template is printed as schools print it.
PNGs of the pages go to test-output/master/ for a person to look at.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from rules.forms import form_sets
from sync.intake.templates import write_template
from sync.office.settings import load_settings
from tests.libreoffice import page_png, pdf_pages, to_pdf

OUTPUT = Path(__file__).resolve().parents[1] / "test-output" / "master"
PRESENTED = {"สรุปผู้บริหาร": 1, "สรุป": 6, "สรุปตัวชี้วัด": 8, "แผนภูมิ": 6, "ปัญหาที่พบ": 4}  # page bounds at 200 schools
DATA_SHEETS = ("สถานะการส่ง", "ข้อมูลนักเรียน", "การใช้งบประมาณ")  # printed too, for codes and dates; not bounded
INTERNAL = re.compile(
    r"\b(subsidy|operating|investment|personnel|on_time|missing|errors|TRUE|FALSE|True|False|None|[KPM][1-6])\b"
)


@pytest.fixture(scope="module")
def printed(demo200: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Each presentation sheet printed alone (openpyxl copies of the master with the other sheets removed)."""
    folder = tmp_path_factory.mktemp("print")
    master = load_settings(demo200).master_path()
    books = []
    for name in [*PRESENTED, *DATA_SHEETS]:
        book = load_workbook(master)
        for other in [s for s in book.sheetnames if s != name]:
            del book[other]
        path = folder / f"{len(books)}.xlsx"
        book.save(path)
        books.append(path)
    pdfs = to_pdf(books, folder)
    for name, pdf in zip(PRESENTED, pdfs, strict=False):
        page_png(pdf, 1, OUTPUT / f"{name}.png")
    return {name: pdf_pages(pdf) for name, pdf in zip([*PRESENTED, *DATA_SHEETS], pdfs, strict=True)}


def flat(text: str) -> str:
    """Printed Thai compared on its base letters: pdftotext splits some clusters (สำนั กงาน) and
    reorders marks above a letter (ตัวชีว้ัด), so spaces and combining marks are dropped on both sides."""
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Mn")


def test_presentation_sheets_print_in_a_few_pages_each(printed):
    for name, bound in PRESENTED.items():
        assert 1 <= len(printed[name]) <= bound, f"{name}: {len(printed[name])} pages"
    assert sum(len(printed[name]) for name in PRESENTED) <= 25, (
        "a few dozen pages for the summaries and issues, not hundreds"
    )


def test_nothing_prints_as_hashes_or_internal_codes(printed, demo200):
    """A grade code (P4) must print as ป.4; the one place "P4" is right is ปัญหาที่พบ's เซลล์ column, where
    it is a cell address (column P of a school's sheet), so the addresses listed there are let through."""
    book = load_workbook(load_settings(demo200).master_path(), read_only=True)
    rows = list(book["ปัญหาที่พบ"].iter_rows(values_only=True))
    book.close()
    header = next(i for i, row in enumerate(rows) if "เซลล์" in row)
    addresses = {row[rows[header].index("เซลล์")] for row in rows[header + 1 :]}
    for name, pages in printed.items():
        text = "\n".join(pages)
        assert "###" not in text, f"{name}: a value too wide for its column"
        found = [code for code in INTERNAL.findall(text) if not (name == "ปัญหาที่พบ" and code in addresses)]
        assert not found, f"{name}: internal codes {sorted(set(found))[:5]}"


def test_every_page_says_whose_what_round_and_which_page(printed):
    for name in PRESENTED:
        for number, page in enumerate(printed[name], start=1):
            assert (
                flat("สำนักงานเขตพื้นที่การศึกษา") in flat(page)
                and flat("2569 รอบ 12 เดือน") in flat(page)
                and flat(f"หน้า {number} /") in flat(page)
            ), (name, number)


def test_thai_labels_and_buddhist_era_dates_are_what_is_printed(printed):
    summary = flat("\n".join(printed["สรุป"]))
    for label in (
        "สรุปรายอำเภอ",
        "สรุปตามกลุ่มเครือข่ายและขนาดโรงเรียน",
        "งบเงินอุดหนุน",
        "งบดำเนินงาน",
        "รวมทั้งเขต",
        "ขนาดเล็ก",
        "ข้อมูลที่ไม่นำมารวม",
    ):
        assert flat(label) in summary, label
    executive = flat(printed["สรุปผู้บริหาร"][0])
    assert all(flat(text) in executive for text in ("โรงเรียนที่ต้องติดตามมากที่สุด", "ยังไม่ส่ง", "เบิกจ่ายแล้ว"))
    kpis = flat("\n".join(printed["สรุปตัวชี้วัด"]))
    assert all(flat(f"กลยุทธ์ที่ {n}") in kpis for n in (1, 2, 3, 4))
    assert re.search(r"\d{1,2}(ต\.ค\.|ก\.ย\.)2569\d\d:\d\d", flat("\n".join(printed["สถานะการส่ง"]))), (
        "submission times in the Buddhist Era"
    )
    enrolment = flat("\n".join(printed["ข้อมูลนักเรียน"]))
    assert flat("ป.1") in enrolment and flat("อ.1") in enrolment
    assert flat("งบเงินอุดหนุน") in flat("\n".join(printed["การใช้งบประมาณ"]))


def test_issues_list_errors_first_then_warnings_then_notes(demo200):
    rows = list(load_workbook(load_settings(demo200).master_path())["ปัญหาที่พบ"].iter_rows(values_only=True))
    order = {"ข้อผิดพลาด": 0, "คำเตือน": 1, "ข้อสังเกต": 2}
    levels = [order[row[rows[0].index("ระดับ")]] for row in rows[1:]]
    assert levels == sorted(levels) and levels[0] == 0 and levels[-1] == 2


def test_district_and_category_tables_add_up_to_the_tidy_sheets(demo200):
    """Independent sums: straight from the tidy sheets' counted rows, not through the summary's code."""
    book = load_workbook(load_settings(demo200).master_path())

    def counted(sheet: str) -> tuple[tuple, list[tuple]]:
        rows = list(book[sheet].iter_rows(values_only=True))
        header = rows[0]
        return header, [r for r in rows[1:] if r[header.index("นำไปรวม")] == "ใช่"]

    header, enrolment = counted("ข้อมูลนักเรียน")
    pupils: dict[str, int] = defaultdict(int)
    for row in enrolment:
        pupils[row[header.index("อำเภอ")]] += row[header.index("ชาย (คน)")] + row[header.index("หญิง (คน)")]
    header, use = counted("การใช้งบประมาณ")
    allocated: dict[str, Decimal] = defaultdict(Decimal)
    for row in use:
        allocated[row[header.index("งบรายจ่าย")]] += Decimal(str(row[header.index("ได้รับจัดสรร (บาท)")]))

    summary = list(book["สรุป"].iter_rows(values_only=True))
    start = next(i for i, r in enumerate(summary) if r and str(r[0]).startswith("2. สรุปรายอำเภอ"))
    districts = {}
    for row in summary[start + 2 :]:
        if row[0] == "รวมทั้งเขต":
            break
        districts[row[0]] = row[3]
    assert districts == {d: n for d, n in pupils.items() if d in districts} and sum(districts.values()) == sum(
        pupils.values()
    )
    category_totals = {
        str(r[0]).removeprefix("รวม"): Decimal(str(r[2])) for r in summary if r and str(r[0]).startswith("รวมงบ")
    }
    assert category_totals == dict(allocated)


def test_a_template_prints_with_thai_grades_and_no_hashes(tmp_path):
    book = write_template(
        form_sets()["school"],
        tmp_path / "school.xlsx",
        fiscal_year=2570,
        round_=6,
        values={
            "enrolment": [
                {"grade": "K1", "male": 3, "female": 4, "rooms": 1},
                {"grade": "P1", "male": 10, "female": 9, "rooms": 1},
            ]
        },
    )
    assert load_workbook(book)["ข้อมูลนักเรียน"]["A4"].value == "อ.1", (
        "pre-filled (EMIS) grades in Thai, as schools write them"
    )
    pages = pdf_pages(to_pdf([book], tmp_path)[0])
    text = "\n".join(pages)
    page_png(tmp_path / "school.pdf", 1, OUTPUT / "แบบรายงานโรงเรียน.png")
    assert "###" not in text and flat("ป.1") in flat(text) and flat("รหัสโรงเรียน") in flat(text)
    assert not re.search(r"\b[KPM][1-6]\b", text)
    assert len(pages) <= 15
