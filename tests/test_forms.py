"""Forms as data: reading a sheet grid, every problem with its cell, DHIS2-style checks."""

from __future__ import annotations

from decimal import Decimal

from rules.forms import column_letter, computed, form_sets, forms, read_sheet

ENROLMENT_HEADER = ["ชั้น", "ชาย (คน)", "หญิง (คน)", "รวม (คน)", "ห้องเรียน"]


def _problems(result, rule=None):
    return [(p.cell, p.rule, p.severity) for p in result.problems if rule is None or p.rule == rule]


def test_every_form_set_lists_existing_forms():
    sets = form_sets()
    assert set(sets) == {"school", "group", "plan", "money"}
    assert (
        [f.code for f in sets["plan"].forms] == ["plan_project", "plan_activity"]
        and sets["plan"].yearly
        and not sets["group"].yearly
    )
    assert [f.code for f in sets["money"].forms] == ["money_letter", "money_allocation", "money_transfer"] and sets[
        "money"
    ].yearly
    assert [f.code for f in sets["school"].forms] == [
        "enrolment",
        "class_plan",
        "budget_use",
        "kpi_report",
        "budget_request",
        "transfer_request",
    ]
    assert sets["group"].submitted_by == "group" and forms()["project_progress"] in sets["group"].forms


def test_header_is_found_below_title_rows_and_values_are_normalised():
    grid = [["แบบรายงาน"], [], ENROLMENT_HEADER, ["อ.1", "๑๒", "1,000", None, 1], ["ป.๑", 20.0, 18, None, 1]]
    result = read_sheet(forms()["enrolment"], grid, unit_code="99000001")
    assert [(r["grade"], r["male"], r["female"], r["rooms"], r["_row"]) for r in result.rows] == [
        ("K1", 12, 1000, 1, 4),
        ("P1", 20, 18, 1, 5),
    ]
    assert ("B4", "NORMALISED", "info") in _problems(result) and ("C4", "NORMALISED", "info") in _problems(result)
    assert computed(forms()["enrolment"], result.rows[1]) == {"total": Decimal(38)}


def test_every_problem_is_collected_with_its_cell():
    grid = [
        ENROLMENT_HEADER,
        ["ป.1", "สิบ", 10, None, 1],  # text in a number cell
        ["ป.2", None, 10, None, 1],  # required value missing
        [None, None, None, None, None],  # blank row between data
        ["ป.3", 30, 25, None, 0],  # pupils but no room
        ["ป.4", 50, 45, None, 2],  # 95 pupils in 2 rooms: over 40 per room
        ["ป.9", 1, 1, None, 1],  # unknown grade
        ["ป.5", -1, 1, None, 1],  # below the range
    ]
    result = read_sheet(forms()["enrolment"], grid, unit_code="99000001")
    assert set(_problems(result)) >= {
        ("B2", "TYPE-COUNT", "error"),
        ("B3", "REQUIRED", "error"),
        ("A4", "BLANK-ROW", "info"),
        ("E5", "ENR-ROOM", "error"),
        ("E6", "ENR-CLASS-SIZE", "warning"),
        ("A7", "TYPE-GRADE", "error"),
        ("B8", "RANGE", "error"),
    }
    message = next(p.message_th for p in result.problems if p.rule == "ENR-CLASS-SIZE")
    assert message == "นักเรียน 95 คนใน 2 ห้อง เกินเกณฑ์ 40 คนต่อห้อง"
    assert result.errors == 5


def test_renamed_header_points_at_the_renamed_cell():
    grid = [["ชั้น", "จำนวนชายทั้งหมด", "หญิง (คน)", "รวม (คน)", "ห้องเรียน"], ["ป.1", 1, 1, None, 1]]
    result = read_sheet(forms()["enrolment"], grid, unit_code="99000001")
    (problem,) = [p for p in result.problems if p.rule == "HEADER"]
    assert (problem.cell, problem.value) == ("B1", "จำนวนชายทั้งหมด")
    assert "ชาย (คน)" in problem.message_th


def test_header_aliases_are_accepted():
    grid = [["ระดับชั้น", "นักเรียนชาย", "นักเรียนหญิง", "จำนวนห้องเรียน"], ["ป.1", 1, 2, 1]]
    result = read_sheet(forms()["enrolment"], grid, unit_code="99000001")
    assert not result.problems and result.rows[0]["female"] == 2


def test_no_header_at_all():
    result = read_sheet(forms()["enrolment"], [["อะไรก็ได้"], [1, 2]], unit_code="99000001")
    assert _problems(result) == [("A1", "HEADER", "error")]


def test_text_starting_with_equals_is_kept_as_text_with_a_warning():
    header = ["งบรายจ่าย", "รายการ", "จำนวนเงิน (บาท)", "ลำดับความสำคัญ", "เหตุผลความจำเป็น"]
    grid = [header, ["งบลงทุน", "โต๊ะ", "12,000", 1, '=HYPERLINK("x")']]
    result = read_sheet(forms()["budget_request"], grid, unit_code="99000001")
    assert result.rows[0]["reason"] == '=HYPERLINK("x")'
    assert result.rows[0]["category"] == "investment" and result.rows[0]["amount"] == Decimal(12000)
    assert ("E2", "TEXT-NOT-FORMULA", "warning") in _problems(result)


def test_budget_use_rule_disbursed_not_above_allocated():
    header = ["รายการที่ได้รับจัดสรร", "งบรายจ่าย", "ได้รับจัดสรร (บาท)", "ก่อหนี้ผูกพัน (บาท)", "เบิกจ่ายแล้ว (บาท)"]
    grid = [header, ["ค่าสาธารณูปโภค", "งบดำเนินงาน", 100_000, 0, 100_000.01], ["ค่าวัสดุ", "งบดำเนินงาน", 100, 60, 50]]
    result = read_sheet(forms()["budget_use"], grid, unit_code="99000001")
    assert ("E2", "USE-DISBURSED", "error") in _problems(result)
    assert ("D3", "USE-COMMITTED", "error") in _problems(result)
    assert computed(forms()["budget_use"], result.rows[1]) == {"remaining": Decimal(-10)}


def test_a_category_written_as_offices_write_it_is_read_and_said():
    """ "งบอุดหนุน" is how a school writes งบเงินอุดหนุน (found typing a workbook by hand): read, with
    a note of how it was read; a name that is no category is still an error naming the five."""
    header = ["รายการที่ได้รับจัดสรร", "งบรายจ่าย", "ได้รับจัดสรร (บาท)", "ก่อหนี้ผูกพัน (บาท)", "เบิกจ่ายแล้ว (บาท)"]
    grid = [
        header,
        ["ค่าจัดการเรียนการสอน", " งบอุดหนุน ", 100, 0, 50],
        ["ค่าวัสดุ", "งบดำเนินงาน", 100, 0, 50],
        ["ค่าไฟ", "งบค่าไฟ", 100, 0, 50],
    ]
    result = read_sheet(forms()["budget_use"], grid, unit_code="99000001")
    assert [r["category"] for r in result.rows[:2]] == ["subsidy", "operating"]
    notes = [p for p in result.problems if p.rule == "NORMALISED"]
    assert [(p.cell, p.message_th) for p in notes] == [("B2", "อ่าน ' งบอุดหนุน ' เป็น งบเงินอุดหนุน")]
    assert ("B4", "TYPE-CATEGORY", "error") in _problems(result)


def test_a_percentage_typed_where_a_count_goes_says_what_to_type():
    grid = [["ตัวชี้วัด", "ชื่อตัวชี้วัด", "ผลงาน (ตัวตั้ง)", "ตัวหาร"], ["S1.3", None, "85%", 100]]
    result = read_sheet(forms()["kpi_report"], grid, unit_code="99000001")
    problem = next(p for p in result.problems if p.cell == "C2")
    assert problem.rule == "TYPE-NUMBER" and "เป็นร้อยละ" in problem.message_th and "กรอก 34" in problem.message_th


def test_kpi_report_accepts_school_kpis_and_checks_the_ratio():
    grid = [
        ["รหัสตัวชี้วัด", "ตัวชี้วัด", "ผลงาน (ตัวตั้ง)", "ฐาน (ตัวหาร)"],
        ["S2.4", "", 12, 10],
        ["S3.3", "", 1, 1],
        ["S1.3", "", 9, 10],
    ]
    result = read_sheet(forms()["kpi_report"], grid, unit_code="99000001")
    assert ("C2", "KPI-RATIO", "error") in _problems(result)
    assert ("A3", "TYPE-KPI", "error") in _problems(result)  # S3.3 is reported by the office
    assert result.rows[2]["kpi"] == "S1.3"


def _transfer_grid(*rows: dict) -> list[list]:
    """A transfer sheet as staff type it: the form's header, then each row by column key."""
    columns = forms()["transfer_request"].columns
    return [[c.th for c in columns], *[[row.get(c.key, "") for c in columns] for row in rows]]


TRANSFER = {
    "from_plan": "พื้นฐาน",
    "from_project": "ผลผลิต 1",
    "from_category": "งบดำเนินงาน",
    "from_item": "ค่าวัสดุ",
    "from_balance": "50,000",
    "to_plan": "พื้นฐาน",
    "to_project": "ผลผลิต 2",
    "to_category": "งบดำเนินงาน",
    "to_item": "ค่าวัสดุ",
    "amount": 30_000,
    "reason": "ซ่อม",
}


def test_transfer_requests_are_checked_by_the_rules_engine_with_running_balance():
    form = forms()["transfer_request"]
    result = read_sheet(
        form, _transfer_grid(TRANSFER, TRANSFER), unit_code="99000001"
    )  # the second row finds only 20,000 left
    assert [r["approval"] for r in result.rows][0].startswith("สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน")
    amount = column_letter([c.key for c in form.columns].index("amount"))
    assert _problems(result, "BALANCE") == [(f"{amount}3", "BALANCE", "error")]


def test_a_transfer_sheet_judges_the_unit_price_and_matches_lines_by_budget_code():
    """Three computers for 1.2 million are three units of 400,000 (no Budget Bureau); a project typed two
    ways but with one budget code is one project (a change of items, the governor's by the seed)."""
    equipment = {
        **TRANSFER,
        "from_category": "งบลงทุน",
        "from_item": "ครุภัณฑ์",
        "from_balance": "5,000,000",
        "to_category": "งบลงทุน",
        "to_item": "ครุภัณฑ์คอมพิวเตอร์",
        "to_item_class": "ค่าครุภัณฑ์",
        "new_item": "ใช่",
        "amount": "1,200,000",
    }
    one_code = {
        **TRANSFER,
        "from_project": "ผลผลิต ผู้จบการศึกษา",
        "from_budget_code": "20004 3500 2700",
        "to_project": "ผลผลิตผู้จบการศึกษา",
        "to_budget_code": "2000435002700",
        "to_item": "ค่าใช้สอย",
        "amount": 1_000,
    }
    rows = read_sheet(
        forms()["transfer_request"],
        _transfer_grid({**equipment, "to_quantity": 3}, {**equipment, "to_quantity": 1}, one_code),
        unit_code="99000001",
    ).rows
    assert [r["rule"] for r in rows] == ["TRANSFER-PROJECT", "EQUIPMENT-1M", "CHANGE"]
    assert rows[2]["approval"] == "ผู้ว่าราชการจังหวัด"


def test_project_progress_choices():
    header = [c.th for c in forms()["project_progress"].columns]
    grid = [header, ["P-01", "โครงการ ก", "", 1000, 900, 100, 90, "เสร็จ", ""]]
    result = read_sheet(forms()["project_progress"], grid, unit_code="G01")
    assert ("H2", "TYPE-CHOICE", "error") in _problems(result)


def test_dates_are_read_from_excel_dates_and_thai_be_text():
    import datetime as dt

    header = [c.th for c in forms()["project_progress"].columns]
    grid = [
        header,
        ["P-01", "โครงการ ก", "", 1000, 900, 100, 90, "เสร็จสิ้น", "", dt.datetime(2026, 9, 30)],
        ["P-02", "โครงการ ข", "", 1000, 900, 100, 90, "เสร็จสิ้น", "", "๓๐ ก.ย. ๒๕๖๙"],
        ["P-03", "โครงการ ค", "", 1000, 900, 100, 90, "เสร็จสิ้น", "", "31/09/2569"],
    ]
    result = read_sheet(forms()["project_progress"], grid, unit_code="G01")
    assert [r["as_of"] for r in result.rows[:2]] == [dt.date(2026, 9, 30), dt.date(2026, 9, 30)]
    assert ("J3", "NORMALISED", "info") in _problems(result)
    assert next(p.message_th for p in result.problems if p.cell == "J3").endswith("30/9/2569 (พ.ศ.)")
    assert ("J4", "TYPE-DATE", "error") in _problems(result)


def test_a_new_investment_item_without_its_quantity_is_asked_for_it_not_refused():
    """Typed as schools type it (no ครุภัณฑ์ in the name, จำนวนหน่วย left blank): the row is left out with a
    message that asks for the quantity; the same row with ๔๐ units is within the agency's authority."""
    computers = {
        **TRANSFER,
        "to_category": "งบลงทุน",
        "to_plan": TRANSFER["from_plan"],
        "to_project": TRANSFER["from_project"],
        "to_item": "คอมพิวเตอร์สำหรับห้องเรียน",
        "to_item_class": "ค่าครุภัณฑ์",
        "new_item": "ใช่",
        "from_balance": "1,500,000",
        "amount": "1,200,000",
    }
    result = read_sheet(
        forms()["transfer_request"], _transfer_grid(computers, {**computers, "to_quantity": "๔๐"}), unit_code="99000001"
    )
    asked = [p for p in result.problems if p.rule == "QUANTITY-NEEDED"]
    assert [p.cell[1:] for p in asked] == ["2"] and asked[0].message_th.startswith("ยังตรวจไม่ได้: ")
    assert [r["rule"] for r in result.rows] == ["QUANTITY-NEEDED", "TRANSFER-CATEGORY"]
