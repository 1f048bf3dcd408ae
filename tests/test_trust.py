"""Trust in the numbers, case by case: each way a real fresh-clone run lost or distorted data, reproduced
with templates written by ``esaplan templates`` and filled cell by cell on the real registry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from rules import ParseError, kpis, reporting_round
from rules.kpi import Reported, aggregate, check_report, kpi
from sync.cli import main
from sync.ledger.database import open_ledger
from sync.office.registry import find_unit, load_registry, unit_code
from sync.office.settings import load_settings
from sync.service.web import create_app
from tests.conftest import serve
from tests.hand_area import HandArea, enrolment, kpi_row, real_registry

FY, ROUND = 2570, 6
POSITION = {k.code: i for i, k in enumerate(kpis(reported_by="school"), start=1)}


@pytest.fixture
def area(tmp_path: Path) -> HandArea:
    """Eight real schools of Khon Kaen area 5 (the OBEC list as it is), consolidating FY 2570, 6 months."""
    real_registry(tmp_path / "home", schools=8)
    return HandArea(tmp_path / "home", FY, ROUND)


def _sheet(path: Path, name: str) -> list[tuple]:
    return list(load_workbook(path)[name].iter_rows(values_only=True))


def _issues(area: HandArea) -> list[dict]:
    rows = _sheet(area.settings.master_path(), "ปัญหาที่พบ")
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _status(area: HandArea, code: str) -> dict:
    rows = _sheet(area.settings.master_path(), "สถานะการส่ง")
    return next(dict(zip(rows[0], row, strict=True)) for row in rows[1:] if row[0] == code)


def _summary_row(area: HandArea, first: str) -> tuple:
    """The first row starting with ``first`` on สรุป (district table: pupils at 3, rooms 4, allocated 5,
    disbursed 7) or สรุปตัวชี้วัด (reporting 3, left out 4, numerator 5, denominator 6, result 7, note 11)."""
    path = area.settings.master_path()
    return next(row for name in ("สรุป", "สรุปตัวชี้วัด") for row in _sheet(path, name) if row and row[0] == first)


# --- years and rounds, at every door ---------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [(2026, "ใช้ปี พ.ศ. เช่น"), (70, "ใช้ปี พ.ศ. เช่น"), ("๒๐๒๖", "ปี ค.ศ."), (2507, "ไม่มีปฏิทิน"), ("สองพัน", "ไม่ใช่ตัวเลข")],
)
def test_a_year_that_is_not_a_be_fiscal_year_is_refused_with_the_fix(typed, expected):
    with pytest.raises(ParseError) as caught:
        reporting_round(typed, 6)
    assert expected in caught.value.message_th


def test_years_and_rounds_are_read_as_typed():
    assert reporting_round("๒๕๗๐", "๖").ends == dt.date(2027, 3, 31)
    assert reporting_round("พ.ศ. 2569", 12.0).ends == dt.date(2026, 9, 30)
    with pytest.raises(ParseError, match="6, 9, 12"):
        reporting_round(2570, 7)


@pytest.mark.parametrize("command", ["templates", "consolidate", "feedback"])
@pytest.mark.parametrize("year", ["2026", "70"])
def test_the_command_line_refuses_a_ce_or_short_year_in_thai(area, command, year):
    result = CliRunner().invoke(main, [command, "--home", str(area.home), "--fy", year, "--round", "6"])
    assert result.exit_code == 2 and "ใช้ปี พ.ศ. เช่น" in result.output and "Traceback" not in result.output
    assert not (area.home / "workbooks").exists() and not (area.home / "master").exists()


def test_a_settings_file_with_a_ce_year_names_the_file(area):
    (area.home / "esaplan.toml").write_text("fiscal_year = 2026\nround = 6\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["consolidate", "--home", str(area.home)])
    assert result.exit_code == 1 and "esaplan.toml" in result.output and "ใช้ปี พ.ศ." in result.output


def test_the_web_and_the_api_refuse_a_bad_round_and_keep_the_page(area, tmp_path):
    settings = area.settings
    app = create_app(settings, api_token="t")
    client = app.test_client()
    answer = client.post("/api/jobs", json={"fy": 2026, "round": 6}, headers={"X-Esaplan-Token": "t"})
    assert answer.status_code == 400 and "ใช้ปี พ.ศ." in answer.get_json()["error"]
    answer = client.post("/api/jobs?round=7", headers={"X-Esaplan-Token": "t"})
    assert answer.status_code == 400 and "6, 9, 12" in answer.get_json()["error"]
    with client.session_transaction() as session:
        session["user"], session["name"], session["sid"] = (
            "staff",
            "เจ้าหน้าที่",
            app.extensions["esaplan"].sessions.start("staff", None),
        )
    page = client.get("/?fy=2026&round=6").get_data(as_text=True)
    assert "ปี 2026 เป็นปี ค.ศ." in page and f"ปีงบประมาณ {FY} รอบ {ROUND} เดือน" in page


# --- a form of another round -------------------------------------------------------------------


def test_last_years_form_is_an_error_of_this_round_and_counts_in_its_own(area):
    school = "40050001"
    last_year = area.templates(2569, 12)
    area.fill(school, {"ข้อมูลนักเรียน": enrolment([(10, 12, 1)])}, template=last_year)
    result = area.consolidate()
    assert result.exit_code == 0, result.output

    status = _status(area, school)
    assert status["ข้อมูลนักเรียน"] == "มีข้อผิดพลาด", "sent, not missing"
    wrong = [i for i in _issues(area) if i["รหัสหน่วย"] == school and i["กฎ"] == "WRONG-ROUND"]
    assert (
        len(wrong) == 1
        and "ส่งแบบของปีงบประมาณ 2569 รอบ 12 เดือน: กรุณาใช้แบบของรอบนี้ (ปีงบประมาณ 2570 รอบ 6 เดือน)" in wrong[0]["รายละเอียด"]
    )
    assert _summary_row(area, "รวมทั้งเขต")[3] == 0, "last year's pupils are not this round's"
    assert school in result.output and "WRONG-ROUND" not in result.output.split("หน่วยที่มีข้อผิดพลาด")[0]

    again = area.consolidate()
    assert "ฉบับใหม่ 0" in again.output, "the same file is not read twice for this round"

    its_own = HandArea(area.home, 2569, 12).consolidate()
    assert its_own.exit_code == 0 and "ฉบับใหม่ 1" in its_own.output
    own_master = load_settings(area.home, fiscal_year=2569, round=12).master_path()
    total = next(row for row in load_workbook(own_master)["สรุป"].iter_rows(values_only=True) if row[0] == "รวมทั้งเขต")
    assert total[3] == 22, "counted in the round its form was written for"
    later = HandArea(area.home, 2570, 9).consolidate()
    assert "ฉบับใหม่ 0" in later.output, "a file already counted in its own round does not haunt later rounds"


def test_a_form_with_a_ce_year_becomes_an_issue_and_the_others_are_consolidated(area):
    """Older esaplan wrote CE years into the hidden sheet; such a file must not stop the run for everyone."""
    template = area.templates()
    bad = area.fill("40050002", {"ข้อมูลนักเรียน": enrolment([(5, 5, 1)])}, template=template)
    book = load_workbook(bad)
    book["_esaplan"]["B3"] = 2026
    book.save(bad)
    area.fill("40050003", {"ข้อมูลนักเรียน": enrolment([(7, 8, 1)])}, template=template)
    result = area.consolidate()
    assert result.exit_code == 0, result.output
    issue = next(i for i in _issues(area) if i["รหัสหน่วย"] == "40050002" and i["กฎ"] == "FORM-ROUND")
    assert "ปี 2026 เป็นปี ค.ศ.: ใช้ปี พ.ศ. เช่น" in issue["รายละเอียด"]
    assert _summary_row(area, "รวมทั้งเขต")[3] == 15
    assert _status(area, "40050003")["ข้อมูลนักเรียน"] in {"ส่งตรงเวลา", "ส่งช้า"}


def test_a_group_form_sent_by_a_school_is_an_error_not_a_silent_file(area):
    groups = area.templates().with_name("แบบรายงานกลุ่มงาน.xlsx")
    area.fill("40050004", {}, template=groups)
    assert area.consolidate().exit_code == 0
    assert _status(area, "40050004")["ข้อมูลนักเรียน"] == "มีข้อผิดพลาด"
    assert any(i["กฎ"] == "WRONG-FORM-SET" for i in _issues(area) if i["รหัสหน่วย"] == "40050004")


# --- unit codes ------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [" ๔๐๐๕๐๐๐๕ ", "'40050005", 40050005, "40050005\u00a0", "1040050850"])
def test_a_school_code_is_read_like_a_number(area, typed):
    """Thai digits, spaces, Excel's text apostrophe, a number cell, or OBEC's 10-digit school id."""
    registry = load_registry(area.home / "registry.csv")
    assert registry["40050005"].school_id == "1040050850"
    assert find_unit(typed, registry).code == "40050005"
    area.fill(typed, {"ข้อมูลนักเรียน": enrolment([(3, 4, 1)])}, folder="40050005")
    assert area.consolidate().exit_code == 0
    assert not [i for i in _issues(area) if i["กฎ"] in {"WRONG-UNIT", "NO-UNIT"}]
    assert _summary_row(area, "รวมทั้งเขต")[3] == 7


def test_an_inbox_folder_named_in_thai_digits_is_the_school(area):
    area.fill("40050006", {"ข้อมูลนักเรียน": enrolment([(1, 1, 1)])}, folder="๔๐๐๕๐๐๐๖")
    result = area.consolidate()
    assert result.exit_code == 0 and "UNKNOWN-UNIT" not in result.output
    assert _status(area, "40050006")["ข้อมูลนักเรียน"] != "ยังไม่ส่ง"


def test_codes_fold_the_way_people_type_them():
    assert unit_code(" ๔๐๐๕๐๐๐๕ ") == unit_code("'40050005") == unit_code(40050005.0) == "40050005"
    assert unit_code("g01") == "G01" and unit_code(None) == ""


# --- totals only from valid rows, KPIs added up as the catalogue says --------------------------


def test_an_unreadable_numerator_leaves_its_row_out_of_both_sides_of_the_ratio(area):
    template = area.templates()
    area.fill("40050001", {"ตัวชี้วัด": kpi_row(POSITION["S1.3"], 90, 100)}, template=template)
    area.fill("40050002", {"ตัวชี้วัด": kpi_row(POSITION["S1.3"], "85%", 100)}, template=template)
    area.fill("40050003", {"ตัวชี้วัด": kpi_row(POSITION["S1.3"], 90, 0)}, template=template)
    area.fill("40050004", {"ตัวชี้วัด": kpi_row(POSITION["S1.3"], "๔๐", "๕๐")}, template=template)
    assert area.consolidate().exit_code == 0
    row = _summary_row(area, "S1.3")
    assert row[3:8] == (2, 2, 130, 150, Decimal("86.67")) or row[3:8] == (2, 2, 130, 150, 86.67)
    rules = {(i["รหัสหน่วย"], i["กฎ"]) for i in _issues(area)}
    assert ("40050002", "TYPE-NUMBER") in rules and ("40050003", "KPI-DENOMINATOR") in rules
    kpi_sheet = _sheet(area.settings.master_path(), "ตัวชี้วัด")
    counted = {r[0]: r[-1] for r in kpi_sheet[1:] if r[7] == "S1.3"}
    assert counted == {"40050001": "ใช่", "40050002": "ไม่ (มีข้อผิดพลาด)", "40050003": "ไม่ (มีข้อผิดพลาด)", "40050004": "ใช่"}
    rows = _sheet(area.settings.master_path(), "สรุป")
    table = next(i for i, row in enumerate(rows) if str(row[0]).startswith("5. ข้อมูลที่ไม่นำมารวม"))
    at = next(i for i in range(table, len(rows)) if rows[i][0] == "ตัวชี้วัด")
    assert rows[at][1:3] == (2, 2) and "40050002 แถว" in rows[at + 1][0] and "40050003 แถว" in rows[at + 1][0]


def test_scores_are_averaged_counts_summed_and_yes_no_is_a_share(area):
    template = area.templates()
    area.fill(
        "40050001",
        {"ตัวชี้วัด": kpi_row(POSITION["S2.10"], 40) | kpi_row(POSITION["S2.11"], 12) | kpi_row(POSITION["S2.2"], 1)},
        template=template,
    )
    area.fill(
        "40050002",
        {"ตัวชี้วัด": kpi_row(POSITION["S2.10"], 50) | kpi_row(POSITION["S2.11"], 8) | kpi_row(POSITION["S2.2"], 0)},
        template=template,
    )
    area.fill(
        "40050003",
        {"ตัวชี้วัด": kpi_row(POSITION["S2.10"], 190) | kpi_row(POSITION["S2.11"], 2.5) | kpi_row(POSITION["S2.2"], 3)},
        template=template,
    )
    assert area.consolidate().exit_code == 0
    mean, count, share = _summary_row(area, "S2.10"), _summary_row(area, "S2.11"), _summary_row(area, "S2.2")
    assert mean[3] == 2 and mean[5] is None and Decimal(str(mean[7])) == 45, "a total of scores means nothing"
    assert count[3] == 2 and count[7] == 20
    assert share[3] == 2 and Decimal(str(share[7])) == 50
    assert "ค่าฐาน" in mean[11], "an increase indicator needs last year's result"
    rules = {i["กฎ"] for i in _issues(area) if i["รหัสหน่วย"] == "40050003"}
    assert {"KPI-RANGE", "KPI-COUNT", "KPI-YESNO"} <= rules


def test_population_kpis_take_the_census_not_enrolment_or_say_it_is_missing(area):
    template = area.templates()
    area.fill(
        "40050001",
        {"ตัวชี้วัด": kpi_row(POSITION["S1.1"], 95, 100), "ข้อมูลนักเรียน": enrolment([(40, 40, 3)])},
        template=template,
    )
    area.consolidate()
    missing = _summary_row(area, "S1.1")
    assert missing[7] is None and "population.csv" in missing[11]
    (area.home / "population.csv").write_text(
        'ช่วงวัย,อำเภอ,จำนวน,ที่มา\nภาคบังคับ,หนองเรือ,"๑๒๐",สำมะโน 2569\n', encoding="utf-8"
    )
    assert "ฉบับใหม่ 0" in area.consolidate().output
    row = _summary_row(area, "S1.1")
    assert row[6] == 120 and Decimal(str(row[7])) == Decimal("79.17"), (
        "95 of the 120 the census counted, not of 80 pupils"
    )


def test_a_broken_census_line_is_a_notice_and_no_partial_denominator(area):
    area.fill("40050001", {"ตัวชี้วัด": kpi_row(POSITION["S1.1"], 95)})
    (area.home / "population.csv").write_text(
        "band,district,population\ncompulsory,หนองเรือ,100\ncompulsory,ชุมแพ,ไม่ทราบ\n", encoding="utf-8"
    )
    result = area.consolidate()
    assert "population.csv บรรทัด 3" in result.output
    assert _summary_row(area, "S1.1")[7] is None


def test_check_report_follows_how_the_indicator_adds_up():
    d = Decimal
    assert [p.rule for p in check_report(kpi("S1.3"), d(90), d(0))] == ["KPI-DENOMINATOR"]
    assert [p.rule for p in check_report(kpi("S1.3"), d(90), None)] == ["KPI-DENOMINATOR"]
    assert [p.rule for p in check_report(kpi("S1.3"), d(91), d(90))] == ["KPI-RATIO"]
    assert check_report(kpi("S1.1"), d(90), None) == [], "the census is the population KPIs' denominator"
    assert [p.rule for p in check_report(kpi("S2.2"), d(2), None)] == ["KPI-YESNO"]
    assert [p.severity for p in check_report(kpi("S2.11"), d(12), d(40))] == ["warning"]
    assert aggregate(kpi("S1.3"), Reported(), round=6, fiscal_year=2570).note_th == "ยังไม่มีโรงเรียนรายงาน"


def test_rows_with_errors_stay_out_of_pupils_rooms_and_budget(area):
    template = area.templates()
    area.fill("40050001", {"ข้อมูลนักเรียน": enrolment([(10, 10, 1), ("สิบ", 5, 1), (5, 5, 1)])}, template=template)
    area.fill(
        "40050002",
        {
            "การใช้งบประมาณ": {
                "A4": "ค่าสาธารณูปโภค",
                "B4": "งบดำเนินงาน",
                "C4": 1000,
                "D4": 0,
                "E4": 1500,
                "A5": "ค่าวัสดุ",
                "B5": "งบดำเนินงาน",
                "C5": "2,000",
                "D5": 0,
                "E5": 500,
            }
        },
        template=template,
    )
    assert area.consolidate().exit_code == 0
    total = _summary_row(area, "รวมทั้งเขต")
    assert (total[3], total[4]) == (30, 2), "the row with 'สิบ' is out"
    assert (total[5], total[7]) == (2000, 500), "spending above its allocation is out, '2,000' is in"


# --- every school hears about its own file -----------------------------------------------------


def test_feedback_gives_each_school_its_file_marked_and_a_summary(area):
    template = area.templates()
    area.fill("40050001", {"ข้อมูลนักเรียน": enrolment([(10, "สิบสอง", 1), ("๒๕", 3, 1)])}, template=template)
    area.fill("40050002", {"ข้อมูลนักเรียน": enrolment([(1, 1, 1)])}, template=template)
    (area.home / "inbox" / "40050003").mkdir(parents=True)
    (area.home / "inbox" / "40050003" / "รายงาน.xlsx").write_bytes(b"%PDF-1.4 not a workbook")
    area.consolidate()
    result = CliRunner().invoke(main, ["feedback", "--home", str(area.home), "--fy", str(FY), "--round", str(ROUND)])
    assert result.exit_code == 0, result.output
    folder = area.home / "feedback" / f"FY{FY}-R{ROUND}"
    assert result.output.strip().splitlines()[-1] == str(folder)
    marked = load_workbook(next(folder.glob("40050001-*.xlsx")))
    assert marked.sheetnames[0] == "ผลการตรวจสอบ" and marked.active.title == "ผลการตรวจสอบ"
    cell = marked["ข้อมูลนักเรียน"]["C4"]
    assert cell.value == "สิบสอง" and cell.fill.fgColor.rgb.endswith("FFC7CE") and "'หญิง (คน)'" in cell.comment.text
    assert marked["ข้อมูลนักเรียน"]["B5"].comment.text.startswith("ข้อสังเกต: อ่าน '๒๕' เป็น 25")
    lines = list(marked["ผลการตรวจสอบ"].iter_rows(values_only=True))
    assert "พบข้อผิดพลาด 1 รายการ" in lines[2][0] and lines[6][:3] == ("ข้อผิดพลาด", "ข้อมูลนักเรียน", "C4")
    pdf = load_workbook(next(folder.glob("40050003-*.xlsx")))
    assert pdf.sheetnames == ["ผลการตรวจสอบ"] and "เปิดไฟล์ที่ส่งไม่ได้" in result.output
    assert not list(folder.glob("40050002-*.xlsx")), "nothing to fix, nothing to send"
    assert next(line for line in result.output.splitlines() if "40050001" in line).count("ข้อผิดพลาด 1") == 1


def test_the_command_line_and_the_dashboard_name_units_and_unknown_files(area):
    area.fill("40050001", {"ข้อมูลนักเรียน": enrolment([(10, "สิบสอง", 1)])})
    (area.home / "inbox" / "งานของใครไม่รู้.xlsx").write_bytes(area.templates().read_bytes())
    area.fill(
        "40050011", {"ข้อมูลนักเรียน": enrolment([(5, 5, 1)])}
    )  # a code the real registry does not have (it skips 40050011)
    named = area.home / "inbox" / "โรงเรียนบ้านหนองไผ่ดุสิตประชาสรรค์" / "แบบรายงาน.xlsx"  # the school's name for a folder
    named.parent.mkdir()
    named.write_bytes(area.templates().read_bytes())
    result = area.consolidate()
    assert "หน่วยที่มีข้อผิดพลาด 1 หน่วย" in result.output and "40050001 บ้านหนองไผ่ดุสิตประชาสรรค์: ข้อมูลนักเรียน C4" in result.output
    assert "UNKNOWN-UNIT" in result.output and "งานของใครไม่รู้.xlsx" in result.output
    assert "40050011/แบบรายงาน.xlsx: ไม่มีหน่วยรหัส 40050011 ในทะเบียนหน่วยงาน (registry.csv)" in result.output
    assert (
        "โรงเรียนบ้านหนองไผ่ดุสิตประชาสรรค์/แบบรายงาน.xlsx: โฟลเดอร์ตั้งชื่อตามชื่อโรงเรียน ไม่ใช่รหัส ระบบจึงไม่นำไปรวม:"
        " ย้ายไฟล์ไปไว้ที่ inbox/40050001/ (โรงเรียนบ้านหนองไผ่ดุสิตประชาสรรค์, อำเภอ" in result.output
    )
    settings = area.settings
    app = create_app(settings, api_token="t")
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"], session["name"], session["sid"] = (
            "staff",
            "เจ้าหน้าที่",
            app.extensions["esaplan"].sessions.start("staff", None),
        )
    page = client.get(f"/?fy={FY}&round={ROUND}").get_data(as_text=True)
    assert (
        "เรื่องที่ต้องติดตาม (3 รายการ)" in page
        and "งานของใครไม่รู้.xlsx" in page
        and "ไม่ทราบหน่วย" in page
        and "ไม่มีหน่วยรหัส 40050011" in page
    )


def test_a_fault_while_reading_one_file_becomes_its_error_and_the_run_goes_on(area, monkeypatch):
    from sync.intake import keep as module
    from tests.faults import parse_with_a_bug

    template = area.templates()
    area.fill("40050001", {"ข้อมูลนักเรียน": enrolment([(1, 2, 1)])}, template=template)
    area.fill("40050002", {"ข้อมูลนักเรียน": enrolment([(3, 4, 1)])}, template=template)
    monkeypatch.setattr(module, "parse", parse_with_a_bug)  # run by the reading worker, which imports it by name
    result = area.consolidate()
    assert result.exit_code == 0, result.output
    assert _summary_row(area, "รวมทั้งเขต")[3] == 3
    assert any(i["กฎ"] == "FILE-UNREADABLE" for i in _issues(area) if i["รหัสหน่วย"] == "40050002")
    assert "ZeroDivisionError" in (area.home / "esaplan-error.log").read_text(encoding="utf-8")


def test_a_running_service_consolidates_the_round_the_api_names(area):
    area.fill("40050001", {"ข้อมูลนักเรียน": enrolment([(1, 2, 1)])}, template=area.templates(2569, 12))
    with serve(area.settings, token="t") as base:
        import requests

        answer = requests.post(
            f"{base}/api/consolidate", json={"fy": 2569, "round": 12}, headers={"X-Esaplan-Token": "t"}, timeout=60
        )
    assert answer.status_code == 200 and answer.json()["fiscal_year"] == 2569 and answer.json()["round"] == 12
    ledger = open_ledger(area.settings.database_url)
    assert ledger.versions(2569, 12).latest and not ledger.versions(FY, ROUND).latest


def test_what_a_hand_filled_trial_found_in_the_kpi_sheet(area):
    """Found by filling five real schools' workbooks by hand: skipped indicators are no "blank rows",
    an indicator whose every report has an error says so, and numbers read back as Excel shows them."""
    template = area.templates()
    area.fill(
        "40050001",
        {"ตัวชี้วัด": kpi_row(POSITION["S1.3"], 90, 0) | kpi_row(POSITION["S2.2"], 2) | kpi_row(POSITION["S2.10"], 145)},
        template=template,
    )
    area.fill("40050002", {"ข้อมูลนักเรียน": {"B5": 3, "C5": 4, "E5": 1}}, template=template)  # a school with no อ.1
    assert area.consolidate().exit_code == 0
    found = _issues(area)
    assert not [i for i in found if i["กฎ"] == "BLANK-ROW"], "pre-filled lines left empty are not gaps"
    messages = {i["กฎ"]: i["รายละเอียด"] for i in found}
    assert messages["KPI-YESNO"].endswith("ได้ 2") and messages["KPI-RANGE"].endswith("(ได้ 145)")
    assert "มีข้อผิดพลาดทุกแถว" in _summary_row(area, "S1.3")[11]
    assert _summary_row(area, "S1.4")[11] == "ยังไม่มีโรงเรียนรายงาน"


def test_last_years_result_is_the_baseline_and_follows_a_version_sent_late_for_last_year(area):
    """An "increase" indicator is judged against last fiscal year's area result, same round. A
    process keeps that result while last year's round holds the same versions; a school's version
    sent late for last year's round changes it at this year's next run."""
    last_year = HandArea(area.home, FY - 1, ROUND)
    template = last_year.templates()
    last_year.fill("40050001", {"ตัวชี้วัด": kpi_row(POSITION["S2.11"], 10)}, template=template, name="ปีก่อน.xlsx")
    assert last_year.consolidate().exit_code == 0
    area.fill("40050001", {"ตัวชี้วัด": kpi_row(POSITION["S2.11"], 12)})
    assert area.consolidate().exit_code == 0
    assert _summary_row(area, "S2.11")[7:11] == (12, None, 10, "เป็นไปตามแผน")
    last_year.fill("40050002", {"ตัวชี้วัด": kpi_row(POSITION["S2.11"], 5)}, template=template, name="ปีก่อน.xlsx")
    assert last_year.consolidate().exit_code == 0
    assert area.consolidate().exit_code == 0
    assert _summary_row(area, "S2.11")[7:11] == (12, None, 15, "มีความเสี่ยง")
