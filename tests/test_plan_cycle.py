"""The planning cycle end to end on the demo: the groups' plans, the register, progress pre-filled
from it, the documents (DOCX re-opened, PDF printed and rendered) and the eMENSCR export.

Every total in a document is compared with a sum taken independently: from the register workbook's
own lines (openpyxl) or from the master's tidy progress sheet, never from the code that wrote it.
"""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from openpyxl import load_workbook

from rules import ParseError
from rules.budget_sources import plan_sources
from rules.forms import forms
from rules.money import baht_text, format_number
from rules.plan import group_plan
from rules.thai import thai_digits
from sync.cli import main
from sync.documents.action_plan import PARTS as PLAN_PARTS
from sync.documents.action_plan import write_plan
from sync.documents.emenscr import FIELDS, write_emenscr
from sync.documents.reports import write_progress
from sync.office.settings import load_settings
from sync.registers.plan import consolidate_plan, load_register, register_path
from tests.libreoffice import page_png, pdf_pages, soffice

OUT = Path(__file__).resolve().parent.parent / "test-output" / "documents"


def _register_lines(home: Path) -> list[dict]:
    settings = load_settings(home)
    sheet = load_workbook(register_path(settings, settings.fiscal_year))["ทะเบียนโครงการ"]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def _money(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def test_every_planted_plan_mistake_is_in_the_register_with_its_cell(demo_area):
    home, _ = demo_area
    settings = load_settings(home)
    problems = list(load_workbook(register_path(settings, settings.fiscal_year))["ปัญหาที่พบ"].iter_rows(values_only=True))
    with (home / "demo-plan-mistakes.csv").open(encoding="utf-8-sig") as handle:
        planted = list(csv.DictReader(handle))
    assert len(planted) == 5
    for mistake in planted:
        assert any(
            r[1].startswith(mistake["unit_code"])
            and r[2] == mistake["sheet"]
            and r[3] == mistake["cell"]
            and r[6] == mistake["rule"]
            for r in problems
        ), mistake
    rules = {r[6] for r in problems}
    assert {"PLAN-OVER-ENVELOPE", "PLAN-KPI-UNSERVED", "PLAN-QUARTER-EMPTY"} <= rules


def test_register_sums_are_the_lines_sums(demo_area):
    home, _ = demo_area
    settings = load_settings(home)
    register = load_register(settings, settings.fiscal_year)
    lines = _register_lines(home)
    by_source: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        by_source[line["แหล่งงบประมาณ"]] += Decimal(str(line["งบประมาณ (บาท)"]))
    assert {
        s.th: v
        for s, v in ((next(x for x in plan_sources() if x.code == c), v) for c, v in register.by_source().items())
        if v
    } == dict(by_source)
    assert register.total == sum(by_source.values())
    assert len({(line["กลุ่ม"], line["รหัสโครงการ"]) for line in lines}) == len(register.projects)
    # the Thai-digit amount a group typed (๑๒๐,๐๐๐) is in the register as a number
    assert all(isinstance(line["งบประมาณ (บาท)"], (int, float)) for line in lines)


def test_plan_document_tables_and_totals(demo_copy):
    settings = load_settings(demo_copy)
    written = write_plan(settings, settings.fiscal_year)
    document = Document(written.docx)
    parts = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert parts == list(PLAN_PARTS), "the parts Thai area offices' plans have, in their order"
    lines = _register_lines(demo_copy)
    total = sum(Decimal(str(line["งบประมาณ (บาท)"])) for line in lines)
    by_strategy: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        by_strategy[thai_digits(line["กลยุทธ์"].split()[0])] += Decimal(str(line["งบประมาณ (บาท)"]))
    subtotals = {}
    for table in document.tables:
        head = [c.text for c in table.rows[0].cells]
        last = [c.text for c in table.rows[-1].cells]
        if head[:2] == ["ที่", "โครงการ/กิจกรรม"]:
            subtotals[last[1].removeprefix("รวมกลยุทธ์ที่ ")] = _money(last[3])
            assert sum(_money(r.cells[3].text) for r in table.rows[1:-1]) == _money(last[3])
        elif head[0] in ("แหล่งงบประมาณ", "งบรายจ่าย", "กลุ่มงาน") and head[1] != "วงเงิน (บาท)":
            assert last[0] == "รวม" and _money(last[1]) == total
            assert sum(_money(r.cells[1].text) for r in table.rows[1:-1]) == total
    assert subtotals == {k: v for k, v in by_strategy.items()}
    assert any(
        p.text.endswith(f"{thai_digits(format_number(total.quantize(Decimal('0.01'))))} บาท ({baht_text(total)})")
        for p in document.paragraphs
    )
    assert len(document.inline_shapes) >= 1  # the chart
    _printed(written.pdf, "plan", expect="แผนปฏิบัติการประจำปีงบประมาณ")


def test_annual_report_totals_against_the_masters_progress_sheet(demo_copy):
    settings = load_settings(demo_copy)
    written = write_progress(settings, annual=True)
    document = Document(written.docx)
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "ส่วนที่ ๓ ผลการดำเนินงานโครงการตามแผนปฏิบัติการ" in headings and "ส่วนที่ ๕ สรุปผลการดำเนินงานประจำปี" in headings
    register = load_register(settings, settings.fiscal_year)
    codes = {(p.group_code, p.code) for p in register.projects}
    book = load_workbook(settings.master_path(), read_only=True)
    rows = list(book["ความก้าวหน้าโครงการ"].iter_rows(values_only=True))
    book.close()
    header = rows[0]
    at = {name: header.index(name) for name in ("รหัสหน่วย", "รหัสโครงการ", "ใช้ไปแล้ว (บาท)", "นำไปรวม")}
    used = sum(
        Decimal(str(r[at["ใช้ไปแล้ว (บาท)"]] or 0))
        for r in rows[1:]
        if r[at["นำไปรวม"]] == "ใช่" and (r[at["รหัสหน่วย"]], r[at["รหัสโครงการ"]]) in codes
    )
    table = next(t for t in document.tables if [c.text for c in t.rows[0].cells][:2] == ["ที่", "โครงการ"])
    last = [c.text for c in table.rows[-1].cells]
    assert _money(last[3]) == register.total and _money(last[4]) == used and used > 0
    assert len(table.rows) - 2 == len(register.projects)
    _printed(written.pdf, "annual", expect="รายงานผลการดำเนินงานประจำปีงบประมาณ")


def test_progress_forms_are_prefilled_from_the_register(demo_copy, tmp_path):
    result = CliRunner().invoke(main, ["templates", "--out", str(tmp_path), "--home", str(demo_copy)])
    assert result.exit_code == 0, result.output
    settings = load_settings(demo_copy)
    register = load_register(settings, settings.fiscal_year)
    mine = [p for p in register.projects if p.group_code == "G02"]
    sheet = load_workbook(tmp_path / "groups" / "G02.xlsx")[forms()["project_progress"].sheet]
    rows = [r for r in sheet.iter_rows(min_row=4, values_only=True) if r[0]]
    assert {r[0] for r in rows} == {p.code for p in mine}
    assert sum(Decimal(str(r[3])) for r in rows) == sum(p.budget for p in mine)
    assert all(r[4] is None and r[8] is None for r in rows)  # spending and status are the group's to fill


def test_emenscr_export_one_row_a_project_with_the_registers_money(demo_copy):
    settings = load_settings(demo_copy)
    xlsx, csv_path, _ = write_emenscr(settings)
    register = load_register(settings, settings.fiscal_year)
    rows = list(load_workbook(xlsx).active.iter_rows(values_only=True))
    assert len(rows) - 1 == len(register.projects) and len(rows[0]) == len(FIELDS)
    total = rows[0].index("M5 งบประมาณรวม (บาท)")
    assert sum(Decimal(str(r[total])) for r in rows[1:]) == register.total
    with csv_path.open(encoding="utf-8-sig") as handle:
        assert sum(1 for _ in csv.reader(handle)) == len(rows)


def _printed(pdf: Path | None, name: str, *, expect: str) -> None:
    """The PDF LibreOffice printed: Thai text on its first page, and PNGs of the pages kept to look at."""
    soffice()
    assert pdf is not None and pdf.is_file()
    pages = pdf_pages(pdf)
    assert expect in "".join(pages[0].split())  # pdftotext splits Thai words with spaces
    target = OUT / name
    shutil.rmtree(target, ignore_errors=True)
    for page in range(1, min(len(pages), 4) + 1):
        page_png(pdf, page, target / f"page-{page}.png")


# --- the rules of one group's plan, for any plan ----------------------------------------------

_QUARTERS = st.fixed_dictionaries({f"q{q}": st.booleans() for q in (1, 2, 3, 4)})


@hsettings(max_examples=60, deadline=None)
@given(
    projects=st.lists(st.sampled_from(["P1", "P2", "P3", "P4"]), min_size=1, max_size=5),
    lines=st.lists(st.tuples(st.sampled_from(["P1", "P2", "P3", "P5"]), _QUARTERS, st.integers(0, 10**9)), max_size=12),
)
def test_group_plan_counts_each_line_once_or_says_why(projects, lines):
    """Every activity line is in exactly one project's budget, or a problem names its cell;
    the projects' budgets add up to the lines kept, to the satang."""
    project_rows = [
        {"_row": 4 + i, "project_code": code, "project": code, "strategy": 1, "kpis": ["S1.1"]}
        for i, code in enumerate(projects)
    ]
    activity_rows = [
        {
            "_row": 4 + i,
            "project_code": code,
            "activity": f"a{i}",
            **quarters,
            "source": "obec",
            "category": "operating",
            "amount": Decimal(amount) / 100,
        }
        for i, (code, quarters, amount) in enumerate(lines)
    ]
    columns = {"โครงการ": {"project_code": 0}, "กิจกรรม": {"project_code": 0, "q1": 2}}
    kept, problems = group_plan(
        "G01",
        "กลุ่ม",
        project_rows,
        activity_rows,
        project_sheet="โครงการ",
        activity_sheet="กิจกรรม",
        columns=columns,
        row_errors={},
    )
    flagged = {p.cell for p in problems if p.sheet == "กิจกรรม"}
    first = {}
    for row in project_rows:
        first.setdefault(row["project_code"], row)
    counted = [r for r in activity_rows if r["project_code"] in first and any(r[f"q{q}"] for q in (1, 2, 3, 4))]
    for row in activity_rows:
        assert (row in counted) != ({f"A{row['_row']}", f"C{row['_row']}"} & flagged != set())
    with_lines = {r["project_code"] for r in counted}
    assert {p.code for p in kept} == with_lines
    assert sum((p.budget for p in kept), Decimal(0)) == sum((r["amount"] for r in counted), Decimal(0))
    assert {p.cell for p in problems if p.rule == "PLAN-DUPLICATE"} == {
        f"A{r['_row']}" for r in project_rows if first[r["project_code"]] is not r
    }


def test_a_broken_resubmission_keeps_the_groups_accepted_plan(demo_copy):
    settings = load_settings(demo_copy)
    before = [p for p in load_register(settings, settings.fiscal_year).projects if p.group_code == "G02"]
    (demo_copy / "plan" / "inbox" / "G02" / "แผนแก้ไข.xlsx").write_bytes(b"%PDF-1.4 not a workbook")
    (demo_copy / "plan" / "inbox" / "แผน.xlsx").write_bytes(b"")  # dropped beside the groups' folders
    run = consolidate_plan(settings, settings.fiscal_year)
    assert run.new_versions == 1 and [p.rule for p in run.problems["G02"]] == ["FILE-NOT-XLSX"]
    assert [n.message_th for n in run.notices if n.rule == "UNKNOWN-UNIT"] == [
        "แผน.xlsx: ไม่ทราบว่าเป็นไฟล์ของหน่วยใด (วางไฟล์ในโฟลเดอร์ plan/inbox/<รหัสหน่วย>/)"
    ]
    assert [p for p in run.register.projects if p.group_code == "G02"] == before != []


def test_an_envelope_typed_in_notepad_reads_its_amounts_whole(tmp_path):
    """50,000 typed without quotes splits into fields at its commas: read back whole, Thai digits too;
    a row with other extra fields is refused with its line, never read short."""
    from sync.registers.plan import read_envelope

    path = tmp_path / "envelope.csv"
    path.write_text(
        "ปีงบประมาณ,แหล่งงบประมาณ,วงเงิน (บาท)\n"
        "2570,งบประมาณที่ได้รับจัดสรรจาก สพฐ.,1,250,000\n"
        "๒๕๗๐,งบบริหารจัดการของสำนักงานเขตพื้นที่การศึกษา,๕๐,๐๐๐.๕๐\n",
        encoding="utf-8",
    )
    assert read_envelope(path, 2570) == {"obec": Decimal("1250000"), "office": Decimal("50000.50")}
    path.write_text("ปีงบประมาณ,แหล่งงบประมาณ,วงเงิน (บาท)\n2570,งบประมาณที่ได้รับจัดสรรจาก สพฐ.,50000,หมายเหตุ\n")
    with pytest.raises(ParseError, match="บรรทัด 2"):
        read_envelope(path, 2570)


def test_after_an_upgrade_the_groups_kept_plans_are_checked_again(demo_copy):
    """A plan kept by an older esaplan, without a check the new one makes: `esaplan plan` reads it again
    from its kept file, the group is told, and the version keeps its number."""
    from sqlalchemy import delete, select, update

    from sync.ledger.database import open_ledger
    from sync.ledger.schema import issues, submissions
    from sync.registers.plan import PLAN_ROUND

    settings = load_settings(demo_copy)
    ledger = open_ledger(settings.database_url)
    plans = (submissions.c.round == PLAN_ROUND) & (submissions.c.fiscal_year == settings.fiscal_year)
    with ledger.begin() as connection:
        kept = {r.id: (r.unit_code, r.version) for r in connection.execute(select(submissions).where(plans))}
        ids = select(submissions.c.id).where(plans)
        connection.execute(delete(issues).where(issues.c.rule == "TYPE-STRATEGY", issues.c.submission_id.in_(ids)))
        connection.execute(update(submissions).where(plans).values(checked_with="an older esaplan"))
    run = consolidate_plan(settings, settings.fiscal_year)
    assert run.new_versions == 0
    assert any(p.rule == "TYPE-STRATEGY" for problems in run.problems.values() for p in problems)
    with ledger.begin() as connection:
        after = {r.id: (r.unit_code, r.version) for r in connection.execute(select(submissions).where(plans))}
        marks = {r.checked_with for r in connection.execute(select(submissions).where(plans))}
    assert after == kept and "an older esaplan" not in marks
