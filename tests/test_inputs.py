"""What comes in: the unit registry, OBEC's EMIS export, file safety, and the templates schools fill."""

from __future__ import annotations

import io
import zipfile

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from rules import ParseError
from rules.forms import form_sets, forms, read_sheet
from sync.cli import main
from sync.intake.reader import read_workbook
from sync.intake.safety import check_file
from sync.intake.templates import write_template
from sync.office.emis import read_emis_enrolment
from sync.office.registry import Unit, load_registry, save_registry
from tests.libreoffice import recalculated_rows

MB = 1024 * 1024


def test_real_obec_school_list_loads_as_it_is(shared_data):
    registry = load_registry(shared_data / "khonkaen-area5-schools-2022.csv")
    assert len(registry) == 260
    blank = [u for u in registry.values() if not u.district]
    assert len(blank) == 6 and blank[0].district_label == "(ไม่ระบุอำเภอ)"
    school = registry["40050001"]
    assert (school.name_th, school.school_id, school.kind) == ("บ้านหนองไผ่ดุสิตประชาสรรค์", "1040050881", "school")


def test_registry_round_trips_through_the_office_csv(tmp_path, shared_data):
    registry = load_registry(shared_data / "khonkaen-area5-schools-2022.csv")
    units = [*registry.values(), Unit("G02", "กลุ่มนโยบายและแผน", kind="group")]
    save_registry(units, tmp_path / "registry.csv")
    again = load_registry(tmp_path / "registry.csv")
    assert list(again.values()) == units


def test_registry_errors_name_the_line(tmp_path):
    path = tmp_path / "registry.csv"
    path.write_text("code,name_th,kind,pupils\n1,ก,school,12\n2,ข,school,สิบ\n", encoding="utf-8")
    with pytest.raises(Exception, match="บรรทัด 3"):
        load_registry(path)


@pytest.mark.parametrize("encoding", ["cp874", "tis-620", "utf-16", "utf-8"])
def test_the_registry_loads_whatever_excel_saved_it_as(tmp_path, shared_data, encoding):
    """Excel on Thai Windows saves "CSV" in Windows-874 (TIS-620), "Unicode Text" in UTF-16 and "CSV
    UTF-8" with a BOM or not: each is the same 260 schools."""
    source = shared_data / "khonkaen-area5-schools-2022.csv"
    path = tmp_path / source.name
    path.write_bytes(source.read_text(encoding="utf-8").encode(encoding))
    assert load_registry(path) == load_registry(source)


def test_a_registry_that_is_no_text_or_has_no_unit_is_refused_in_thai(tmp_path):
    path = tmp_path / "registry.csv"
    path.write_bytes(b"\xff\xfe\x00\xd8 broken")
    with pytest.raises(ParseError, match="ไม่ใช่ UTF-8 หรือ TIS-620"):
        load_registry(path)
    path.write_text("smis_code,school_id,name,levels,district,subdistrict\n", encoding="utf-8")
    with pytest.raises(ParseError, match="ไม่มีรายชื่อหน่วยงานเลย"):
        load_registry(path)
    result = CliRunner().invoke(main, ["consolidate", "--home", str(tmp_path)])
    assert (
        result.exit_code == 1
        and result.output.strip()
        == f"ผิดพลาด: {path.name}: ทะเบียนหน่วยงานไม่มีรายชื่อหน่วยงานเลย (มีแต่หัวตาราง): ใส่รายชื่อโรงเรียนอย่างน้อยหนึ่งแถว"
    )


def test_emis_export_subtotals_are_not_counted_twice(shared_data):
    imported = read_emis_enrolment(shared_data / "obec-emis-pupils-by-grade-sample-2022.csv")
    assert set(imported.by_school) == {"1020080005", "1020080035"}
    for school, rows in imported.by_school.items():
        total = imported.totals[school]
        assert sum(r["male"] for r in rows) == total["male"]
        assert sum(r["female"] for r in rows) == total["female"]
        assert sum(r["rooms"] for r in rows) == total["rooms"]
    assert all(label.split()[1].startswith("ปวช") for label in imported.skipped)


def test_templates_prefilled_from_emis_read_back_as_valid_enrolment(tmp_path, shared_data):
    home = tmp_path / "home"
    units = [
        Unit("20080005", "โรงเรียน ก", school_id="1020080005"),
        Unit("20080035", "โรงเรียน ข", school_id="1020080035"),
    ]
    save_registry(units, home / "registry.csv")
    out = tmp_path / "workbooks"
    result = CliRunner().invoke(
        main,
        [
            "templates",
            "--out",
            str(out),
            "--home",
            str(home),
            "--emis",
            str(shared_data / "obec-emis-pupils-by-grade-sample-2022.csv"),
            "--fy",
            "2570",
            "--round",
            "6",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "แบบรายงานโรงเรียน.xlsx").exists() and (out / "แบบรายงานกลุ่มงาน.xlsx").exists()
    book = read_workbook((out / "schools" / "20080035.xlsx").read_bytes())
    assert book.typed_unit == "20080035" and book.meta["fiscal_year"] == "2570" and book.meta["round"] == "6"
    sheet = read_sheet(forms()["enrolment"], book.sheets["ข้อมูลนักเรียน"], unit_code="20080035")
    assert sum(r["male"] + r["female"] for r in sheet.rows) == 677
    assert not [p for p in sheet.problems if p.severity == "error"]


def test_template_layout_protection_and_drop_downs(tmp_path):
    path = write_template(form_sets()["school"], tmp_path / "t.xlsx", fiscal_year=2570, round_=6)
    book = load_workbook(path)
    assert book.sheetnames[0] == "คำชี้แจง"
    assert book["_esaplan"].sheet_state == "hidden" and "ESAPLAN_FORM_VERSION" in book.defined_names
    sheet = book["ข้อมูลนักเรียน"]
    assert [c.value for c in sheet[3]] == [c.th for c in forms()["enrolment"].columns]
    assert sheet.protection.sheet and sheet["A3"].protection.locked and not sheet["B4"].protection.locked
    assert sheet["D4"].value == "=N(B4) + N(C4)" and sheet["D4"].protection.locked
    assert [c.value for c in sheet["A"][3:15]] == [
        "อ.1",
        "อ.2",
        "อ.3",
        "ป.1",
        "ป.2",
        "ป.3",
        "ป.4",
        "ป.5",
        "ป.6",
        "ม.1",
        "ม.2",
        "ม.3",
    ]
    validations = {str(dv.sqref): dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert validations["A4:A15"].startswith("_lists!")
    assert not book["คำชี้แจง"]["C5"].protection.locked


def test_template_formulas_recalculate_in_a_spreadsheet_engine(tmp_path):
    values = {
        "budget_use": [
            {"line": "ค่าวัสดุ", "category": "งบดำเนินงาน", "allocated": 1000, "committed": 150.5, "disbursed": 600}
        ]
    }
    path = write_template(form_sets()["school"], tmp_path / "t.xlsx", fiscal_year=2570, round_=6, values=values)
    book = load_workbook(path)
    keep = "การใช้งบประมาณ"
    for name in book.sheetnames:
        if name != keep:
            del book[name]
    book.save(tmp_path / "one.xlsx")
    rows = recalculated_rows(tmp_path / "one.xlsx", tmp_path)
    assert rows[3][:6] == ["ค่าวัสดุ", "งบดำเนินงาน", "1,000.00", "150.50", "600.00", "249.50"]


def _zip(members: dict[str, bytes], level: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=level) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (b"%PDF-1.4 not a workbook", "FILE-NOT-XLSX"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "FILE-ENCRYPTED"),
        (b"PK\x03\x04 broken", "FILE-CORRUPT"),
        (
            _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>", "xl/vbaProject.bin": b"\x00"}),
            "FILE-MACRO",
        ),
        (_zip({"[Content_Types].xml": b"macroEnabled", "xl/workbook.xml": b"<workbook/>"}), "FILE-MACRO"),
        (_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<doc/>"}), "FILE-NOT-XLSX"),
        (
            _zip(
                {
                    "[Content_Types].xml": b"<Types/>",
                    "xl/workbook.xml": b"<workbook/>",
                    "xl/sharedStrings.xml": b"\x00" * (50 * MB),
                }
            ),
            "FILE-ZIP-BOMB",
        ),
        (b"PK\x03\x04" + b"\x00" * (3 * MB), "FILE-TOO-BIG"),
    ],
)
def test_unsafe_files_are_refused_with_a_thai_reason(content, rule):
    rejection = check_file(content, max_bytes=2 * MB)
    assert rejection is not None and rejection.rule == rule
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in rejection.message_th)


def test_a_real_template_passes_the_safety_check(tmp_path):
    path = write_template(form_sets()["group"], tmp_path / "g.xlsx", fiscal_year=2570, round_=6)
    assert check_file(path.read_bytes(), max_bytes=2 * MB) is None
