"""The office's documents as printed: the government's form, read back from the PDFs LibreOffice prints.

Each test prints through the real LibreOffice and reads the PDF with poppler (pdftotext, pdffonts), the
way a person checks a document before signing: which fonts are embedded, whether every figure of the
Word file's tables is printed whole on one line, the page numbers, the parts in order, one page per
letter. Expected figures come from what the demo wrote (its registry, its plan files), not from the
documents' own code.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document

from rules.budget_sources import plan_source
from rules.thai import thai_digits
from sync.documents.action_plan import PARTS as PLAN_PARTS
from sync.documents.action_plan import write_plan
from sync.documents.docx import _letters, chart
from sync.documents.emenscr import write_emenscr
from sync.documents.letters import write_letters
from sync.documents.look import new_document
from sync.documents.printing import PrintingFailed, print_pdfs
from sync.documents.reports import ANNUAL_PART, write_progress
from sync.documents.reports import PARTS as REPORT_PARTS
from sync.documents.tables import CELL_PADDING_CM, pieces, text_cm, widths_for
from sync.office.registry import load_registry
from sync.office.settings import load_settings
from sync.registers.plan import load_register
from tests.libreoffice import page_png, pdf_pages, soffice

OUT = Path(__file__).resolve().parent.parent / "test-output" / "documents"
FONTS = ("Laksaman", "THSarabunNew", "TH Sarabun New")
FIGURE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d{2})?")


def _fonts(pdf: Path) -> set[str]:
    lines = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout.splitlines()[2:]
    return {line.split()[0].split("+", 1)[-1].split("-")[0] for line in lines}  # Laksaman-Bold is Laksaman


def _squashed(pages: list[str]) -> list[str]:
    """Pages without spaces or Thai marks above and below the line, which pdftotext may give in either order."""
    return [_letters(page) for page in pages]


def _figures(docx: Path) -> set[str]:
    """Every amount with thousands separators in the Word file's tables."""
    document = Document(str(docx))
    return {
        figure
        for table in document.tables
        for row in table.rows
        for cell in row.cells
        for figure in FIGURE.findall(cell.text)
    }


def _printed_whole(pdf: Path, figures: set[str]) -> list[str]:
    """The figures that no printed line holds whole (a number broken over two lines)."""
    lines = {line for page in pdf_pages(pdf) for line in page.splitlines()}
    text = "\n".join(lines)
    return sorted(f for f in figures if not re.search(rf"(?<![\d,]){re.escape(f)}(?![\d])", text))


def _marked(page: str) -> bool:
    """The draft mark (ร่าง) in a page's header, on its own or beside the page number, above the body."""
    head = [line.strip() for line in page.splitlines() if line.strip()][:2]
    return any(re.fullmatch(r"(-\s*[๐-๙]+\s*-)?\s*ร่าง", line) for line in head)


def _check_print(pdf: Path, docx: Path) -> list[str]:
    """Fonts, page numbers from page 2, figures whole: what every document must pass; its pages returned."""
    soffice()
    assert _fonts(pdf) <= set(FONTS), f"only TH Sarabun New or its twin Laksaman: {_fonts(pdf)}"
    pages = _squashed(pdf_pages(pdf))
    assert _letters("-๑-") not in pages[0][:40], "the cover or first page carries no number"
    for number, page in enumerate(pages[1:], start=2):
        assert f"-{thai_digits(number)}-" in page, f"page {number} is numbered in Thai digits"
    assert _printed_whole(pdf, _figures(docx)) == [], "no figure is broken across lines"
    return pages


def test_the_action_plan_has_the_parts_offices_print_and_is_a_draft_while_over_its_envelope(demo_copy):
    settings = load_settings(demo_copy)
    written = write_plan(settings, settings.fiscal_year)
    assert "เกินวงเงิน 900,000 บาท" in written.draft_th, "the demo plants a source 900,000 over its envelope"
    pages = _check_print(written.pdf, written.docx)
    assert _letters("(ร่าง)") in pages[0] and all(_marked(page) for page in pdf_pages(written.pdf)[1:]), (
        "a draft says so on its cover and at the top of every page"
    )
    toc = next(index for index, page in enumerate(pages) if _letters("สารบัญ") in page)
    starts = [next(i for i in range(toc + 1, len(pages)) if _letters(part) in pages[i]) for part in PLAN_PARTS]
    assert starts == sorted(starts), "the parts in their order"
    for part, index in zip(PLAN_PARTS, starts, strict=True):
        assert f"{_letters(part)}{thai_digits(index + 1)}" in pages[toc].replace(".", ""), (
            f"สารบัญ gives {part} the page it is printed on"
        )
    for heading in ("การให้ความเห็นชอบ", "คำนำ", "วิสัยทัศน์", "พันธกิจ", "เป้าประสงค์", "ตัวชี้วัดความสำเร็จ"):
        assert any(_letters(heading) in page for page in pages), heading
    assert not any(re.search(r"[GS]\d{1,2}[-.]\d", page) for page in pages), "codes stay in the workbooks"
    for number in (1, toc + 1, starts[2] + 1):
        page_png(written.pdf, number, OUT / "plan" / f"page-{number}.png")

    envelope = demo_copy / "envelope.csv"  # the office raises the envelope to what the plan costs: it can be signed
    planned = load_register(settings, settings.fiscal_year).by_source()
    with envelope.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    for row in rows[1:]:
        needed = planned.get(plan_source(row[1]).code, Decimal(0))
        row[2] = str(max(Decimal(row[2].replace(",", "")), needed))
    with envelope.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    signed = write_plan(settings, settings.fiscal_year)
    assert signed.draft_th == "" and not any(_marked(page) for page in pdf_pages(signed.pdf))


def test_every_letter_is_one_page_in_the_government_form_with_the_offices_identity(demo_copy):
    settings = load_settings(demo_copy)
    registry = load_registry(settings.registry_path)
    for batch in write_letters(settings, settings.fiscal_year):
        assert batch.pdf is not None
        files = sorted(batch.folder.glob("*.docx"))
        assert len(files) == len(batch.units) and all(w.pdf and len(pdf_pages(w.pdf)) == 1 for w in batch.units)
        for written in batch.units[:3]:
            _check_print(written.pdf, written.docx)
        assert _fonts(batch.pdf) <= set(FONTS)
        assert _printed_whole(batch.pdf, set().union(*(_figures(f) for f in files))) == []
        pages = _squashed(pdf_pages(batch.pdf))
        assert len(pages) == len(files), "one page per school letter, every letter in the PDF to print"
        for page in pages:
            assert _letters("ที่ศธ๐๔๙๙๙/") in page and _letters("๙๙ถนนสาธิต") in page, (
                "ที่ ศธ and the address under the Garuda"
            )
            assert _letters("ขอแสดงความนับถือ") in page and _letters("(นายสมมุติตัวอย่างดี)") in page
            assert _letters("กลุ่มนโยบายและแผนโทร.๐๔๓๙๙๙๙๙๙ต่อ๒๐๕") in page and "plan@example.go.th" in page
        first = Document(str(files[0]))
        assert len(first.inline_shapes) == 1, "the office's Garuda image"
        code = files[0].name.split("-")[0]
        assert f"เรียน\tผู้อำนวยการโรงเรียน{registry[code].name_th}" in [p.text for p in first.paragraphs]
    page_png(batch.pdf, 1, OUT / "letters" / "page-1.png")


def _register(home: Path, letters: list[list], allocations: list[list]) -> None:
    """The FY2570 register typed by hand, then recorded (``esaplan money``)."""
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from sync.cli import main
    from sync.registers.money import workbook_path

    assert CliRunner().invoke(main, ["money", "--home", str(home), "--fy", "2570", "--start"]).exit_code == 0
    path = workbook_path(load_settings(home), 2570)
    book = load_workbook(path)
    for sheet, rows in (("หนังสือจัดสรร", letters), ("จัดสรรให้หน่วยงาน", allocations)):
        for r, row in enumerate(rows, start=4):
            for c, value in enumerate(row, start=1):
                book[sheet].cell(r, c, value)
    book.save(path)
    recorded = CliRunner().invoke(main, ["money", "--home", str(home), "--fy", "2570"])
    assert recorded.exit_code == 0, recorded.output


def test_a_letter_whose_lines_do_not_fit_attaches_them_on_a_proper_second_page(demo_copy):
    """Printing tells: a letter whose table runs onto a second page is made again with its lines attached,
    so page 1 is the whole letter (closing and signature) and page 2 the list, numbered - ๒ -."""
    plan, output = "แผนงานพื้นฐาน", "ผลผลิตผู้จบการศึกษาภาคบังคับ"
    items = [f"ค่าใช้จ่ายรายการที่ {n} ตามหนังสือสั่งการ" for n in range(1, 11)]
    _register(
        demo_copy,
        [
            ["ศธ 04002/ว9", "5 พ.ย. 2569", "20004 3500", plan, output, "สนับสนุนค่าใช้จ่าย", "งบเงินอุดหนุน", item, 100000]
            for item in items
        ],
        [["ศธ 04002/ว9", item, "99000001", 5000 + n] for n, item in enumerate(items)]
        + [["ศธ 04002/ว9", items[0], "99000002", 20000]],
    )
    (batch,) = write_letters(load_settings(demo_copy), 2570)
    long, short = batch.units
    pages = _check_print(long.pdf, long.docx)
    assert len(pages) == 2 and len(pdf_pages(short.pdf)) == 1
    assert _letters("สิ่งที่ส่งมาด้วย") in pages[0] and _letters("ขอแสดงความนับถือ") in pages[0]
    assert _letters("บัญชีรายการงบประมาณที่จัดสรร") in pages[1] and _letters("รายการที่ 10") in pages[1]
    # 10 x 5,000 and 0+1+...+9 baht: 50,045, in figures and in words on the letter itself
    assert _letters("๕๐,๐๔๕ บาท (ห้าหมื่นสี่สิบห้าบาทถ้วน)") in pages[0]
    assert len(pdf_pages(batch.pdf)) == 3, "both letters in the PDF to print"


def test_the_reports_have_problems_and_suggestions_and_the_annual_one_the_year(demo_copy):
    settings = load_settings(demo_copy)
    progress = write_progress(settings)
    annual = write_progress(settings, annual=True)
    for written, parts in ((progress, [*REPORT_PARTS]), (annual, [*REPORT_PARTS, ANNUAL_PART])):
        headings = [p.text for p in Document(str(written.docx)).paragraphs if p.style.name == "Heading 1"]
        assert headings[: len(parts)] == parts and headings[-2].endswith("ปัญหา อุปสรรค และข้อเสนอแนะ")
        pages = _check_print(written.pdf, written.docx)
        text = "".join(pages)
        assert _letters("ปัญหาและอุปสรรค") in text and _letters("ข้อเสนอแนะ") in text
        # the demo's groups wrote an obstacle for each activity spending under 70 % (sync/demo/plan.py)
        assert (
            _letters("ได้รับจัดสรรงบประมาณล่าช้า") in text
            or _letters("ราคาวัสดุสูงกว่า") in text
            or _letters("ช่วงเวลาดำเนินกิจกรรม") in text
        )
    assert _letters(ANNUAL_PART) not in "".join(_squashed(pdf_pages(progress.pdf)))
    page_png(annual.pdf, 1, OUT / "annual" / "page-1.png")


def test_a_chart_of_nothing_is_not_drawn():
    document = new_document()
    chart(document, "งบ", ["ก", "ข"], {"ใช้จ่าย": [0.0, 0.0]}, unit="บาท")
    assert len(document.inline_shapes) == 0, "no -0.04..0.04 axis when nothing was spent"
    chart(document, "งบ", ["ก", "ข"], {"ใช้จ่าย": [0.0, 2.0]}, unit="บาท")
    assert len(document.inline_shapes) == 1


def test_without_libreoffice_writer_the_plan_is_made_and_one_thai_line_says_what_to_install(demo_copy):
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": str(bin_dir)}  # no soffice on the path, as on a machine without LibreOffice
    result = subprocess.run(
        [str(bin_dir / "esaplan"), "report", "plan", "--home", str(demo_copy)], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr
    said = [line for line in result.stderr.splitlines() if "PDF" in line]
    assert len(said) == 1 and "libreoffice-writer-nogui" in said[0]
    assert (demo_copy / "documents" / "FY2569" / "แผนปฏิบัติการ-FY2569.docx").is_file()


def _stand_in_soffice(folder: Path, fail_times: int) -> Path:
    """A soffice on the PATH that fails its first ``fail_times`` runs, then runs the real one."""
    real = shutil.which("soffice")
    assert real is not None
    folder.mkdir()
    script = folder / "soffice"
    script.write_text(
        "#!/bin/sh\n"
        f'count=$(cat "{folder}/runs" 2>/dev/null || echo 0); count=$((count+1)); echo $count > "{folder}/runs"\n'
        f'if [ $count -le {fail_times} ]; then echo "soffice: busy" >&2; exit 1; fi\n'
        f'exec "{real}" "$@"\n'
    )
    script.chmod(0o755)
    return script


def test_printing_tries_once_more_and_then_says_in_thai_what_failed(tmp_path, monkeypatch):
    soffice()
    document = new_document()
    document.add_paragraph("ทดสอบการพิมพ์")
    docx = tmp_path / "doc.docx"
    document.save(str(docx))
    stand_in = _stand_in_soffice(tmp_path / "bin", fail_times=1)
    monkeypatch.setenv("PATH", f"{stand_in.parent}{os.pathsep}{os.environ['PATH']}")
    assert print_pdfs([docx])[0].is_file() and (stand_in.parent / "runs").read_text().strip() == "2"
    (stand_in.parent / "runs").write_text("0")
    stand_in.write_text(stand_in.read_text().replace("-le 1", "-le 5"))
    with pytest.raises(PrintingFailed) as failed:
        print_pdfs([docx])
    assert "ลองสองครั้ง" in failed.value.message_th and "soffice: busy" in failed.value.message_th


def test_the_emenscr_export_lists_every_link_a_project_lacks(demo_copy):
    settings = load_settings(demo_copy)
    export = write_emenscr(settings)
    from openpyxl import load_workbook

    book = load_workbook(export.xlsx)
    blank = list(book["ช่องที่ยังว่าง"].iter_rows(min_row=2, values_only=True))
    # the demo fills eMENSCR's links for each group's first two projects only (sync/demo/plan.py)
    unlinked = {p.code for p in load_register(settings, settings.fiscal_year).projects if int(p.code[-2:]) > 2}
    assert {row[0] for row in blank if row[2] == "ยุทธศาสตร์ชาติ"} == unlinked
    assert export.blanks == len(blank)
    for sheet in book.worksheets:
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.print_title_rows == "$1:$1"


def test_one_obec_letter_typed_two_ways_is_one_batch_of_letters(demo_copy, tmp_path):
    """The same OBEC letter number typed with Thai digits on one line of the register is the same letter:
    its school's letter holds both lines, in one batch."""
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from sync.cli import main
    from sync.registers.money import workbook_path

    settings = load_settings(demo_copy)
    assert CliRunner().invoke(main, ["money", "--home", str(demo_copy), "--fy", "2570", "--start"]).exit_code == 0
    path = workbook_path(settings, 2570)
    book = load_workbook(path)
    plan, output = "แผนงานพื้นฐาน", "ผลผลิตผู้จบการศึกษาภาคบังคับ"
    for r, row in enumerate(
        [
            [
                "ศธ 04002/ว1500",
                "15 ต.ค. 2569",
                "20004 35002700",
                plan,
                output,
                "",
                "งบเงินอุดหนุน",
                "ค่าซ่อมแซมอาคาร",
                300000,
            ],
            [
                "ศธ๐๔๐๐๒/ว๑๕๐๐",
                "๑๕ ต.ค. ๒๕๖๙",
                "20004 35002700",
                plan,
                output,
                "",
                "งบลงทุน",
                "ครุภัณฑ์คอมพิวเตอร์",
                "๒,๕๐๐,๐๐๐",
            ],
        ],
        start=4,
    ):
        for c, value in enumerate(row, start=1):
            book["หนังสือจัดสรร"].cell(r, c, value)
    for r, row in enumerate(
        [
            ["ศธ 04002/ว1500", "ค่าซ่อมแซมอาคาร", "99000001", 100000],
            ["ศธ 04002/ว1500", "ครุภัณฑ์คอมพิวเตอร์", "99000001", "1,200,000"],
        ],
        start=4,
    ):
        for c, value in enumerate(row, start=1):
            book["จัดสรรให้หน่วยงาน"].cell(r, c, value)
    book.save(path)
    assert CliRunner().invoke(main, ["money", "--home", str(demo_copy), "--fy", "2570"]).exit_code == 0
    (batch,) = write_letters(settings, 2570)
    (letter,) = batch.units
    table = Document(str(letter.docx)).tables[-1]
    assert [row.cells[1].text for row in table.rows[1:-1]] == ["ค่าซ่อมแซมอาคาร", "ครุภัณฑ์คอมพิวเตอร์"]
    assert table.rows[-1].cells[-1].text == "1,300,000" and "หนึ่งล้านสามแสนบาทถ้วน" in table.rows[-1].cells[1].text


def test_a_crowded_table_breaks_its_longest_compound_not_its_short_words():
    """The 6-month report's project table (columns as sync/documents/reports.py writes them) on a
    16 cm page: the words do not all fit, so the group's long compound gives way and every other
    word keeps its whole width (before, every text column shrank alike and รายงาน broke)."""
    header = ["ที่", "โครงการ", "กลุ่มงาน", "งบตามแผน (บาท)", "ใช้จ่าย (บาท)", "ร้อยละ", "สถานะ"]
    row = ["๑", "โครงการส่งเสริมโอกาสทางการศึกษา", "กลุ่มส่งเสริมการศึกษาทางไกล เทคโนโลยีสารสนเทศและการสื่อสาร"]
    rows = [[*row, "100,000", "0", "0", "ยังไม่รายงาน"], ["", "รวม", "", "150,000", "0", "0", ""]]
    widths = widths_for(header, rows, 16.0, [1], [3, 4, 5])
    assert sum(widths) == pytest.approx(16.0)
    longest = {
        i: max(text_cm(p) for cell in column for p in pieces(cell))
        for i, column in enumerate(zip(header, *rows, strict=True))
    }
    assert widths[2] < longest[2] + CELL_PADDING_CM, "the compound เทคโนโลยีสารสนเทศ is what gives way"
    assert all(widths[i] >= longest[i] + CELL_PADDING_CM for i in (0, 1, 6)), "short words are never broken"
