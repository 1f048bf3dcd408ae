"""Transfer validation: each rule of the table, the authority and the citation, and batch balances."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules import TransferError, validate_transfer, validate_transfers
from rules.transfers import BudgetLine

SOURCE = {
    "unit": "สพป.ขอนแก่น เขต 5",
    "unit_kind": "สพป.",  # stated, as the request form's ประเภทหน่วย (budget/unit_kinds.yaml)
    "plan": "แผนงานพื้นฐาน",
    "project": "ผลผลิต 1",
    "category": "งบดำเนินงาน",
    "item": "ค่าวัสดุ",
    "balance": 500_000,
}


REGISTRY = {"โรงเรียนบ้านหนองไผ่": "obec_school", "40050001": "obec_school"}  # as sync passes the office's registry


def line(**changes):
    return {**SOURCE, **changes}


SEED = "seed part 4, 3.4 (definitions; steps 5-6: change and leftover requests go to the provincial governor)"
S35 = "Budget Procedure Act 2561 s.35 (no transfer to another budget-receiving unit)"
S36 = "Budget Procedure Act 2561 s.36 (other plan: Budget Bureau; new plan or project: Cabinet)"
BB2562 = "Budget Bureau criteria 2562 on transfers and changes of allocations (leftover special cases; 15-day report)"
RECEIVING = "Budget Procedure Act 2561 s.4 and the annual Budget Act: basic education's receiving unit is OBEC"


@pytest.mark.parametrize(
    ("target", "amount", "context", "allowed", "authority", "kind", "rule", "source"),
    [
        (line(project="ผลผลิต 2", balance=None), 10_000, {}, True, "obec", "transfer", "TRANSFER-PROJECT", SEED),
        (
            line(category="งบลงทุน", item="ครุภัณฑ์สำนักงาน", balance=None),
            10_000,
            {},
            True,
            "obec",
            "transfer",
            "TRANSFER-CATEGORY",
            SEED,
        ),
        (line(item="ค่าใช้สอย", balance=None), 10_000, {}, True, "governor", "change", "CHANGE", SEED),
        (
            line(project="ผลผลิต 2", category="investment", item="ครุภัณฑ์", balance=None),
            10_000,
            {},
            True,
            "budget_bureau",
            "transfer",
            "S36-ITEM",
            S36,
        ),
        (line(plan="แผนงานยุทธศาสตร์", balance=None), 10_000, {}, True, "budget_bureau", "transfer", "S36-PLAN", S36),
        (line(plan="แผนงานใหม่", new_plan=True), 10_000, {}, True, "cabinet", "transfer", "S36-NEW-PLAN", S36),
        (line(project="โครงการใหม่", new_project="ใช่"), 10_000, {}, True, "cabinet", "transfer", "S36-NEW-PLAN", S36),
        (
            line(unit="กรมส่งเสริมการปกครองท้องถิ่น", unit_kind=None),
            10_000,
            {},
            False,
            "prohibited",
            "reallocation",
            "S35-UNIT",
            S35,
        ),
        (line(unit="สพป.ขอนแก่น เขต 1"), 10_000, {}, True, "obec", "reallocation", "OBEC-REALLOCATE", RECEIVING),
        (
            line(unit="โรงเรียนบ้านหนองไผ่", unit_kind=None),
            10_000,
            {"units": REGISTRY},
            True,
            "obec",
            "reallocation",
            "OBEC-REALLOCATE",
            RECEIVING + " (a school of the office's registry)",
        ),
        (
            line(unit="40050001", unit_kind=None),
            10_000,
            {"units": REGISTRY},
            True,
            "obec",
            "reallocation",
            "OBEC-REALLOCATE",
            RECEIVING + " (a school's registry code)",
        ),
        (line(project="ผลผลิต 2"), 600_000, {}, False, "prohibited", "transfer", "BALANCE", "balance rule"),
        (line(project="ผลผลิต 2"), 10_000, {"leftover": True}, True, "governor", "leftover", "LEFTOVER", SEED),
        (
            line(project="ผลผลิต 2", category="งบบุคลากร", item="เงินเดือนข้าราชการ", balance=None),
            10_000,
            {},
            True,
            "obec",
            "transfer",
            "PERSONNEL-IN",
            RECEIVING,
        ),
    ],
)
def test_each_rule_decides_with_its_authority(target, amount, context, allowed, authority, kind, rule, source):
    result = validate_transfer(SOURCE, target, amount, context=context)
    assert (result.allowed, result.authority, result.kind, result.rule_ids[0]) == (allowed, authority, kind, rule), (
        source
    )
    assert result.message_th and result.message_en and result.reference


def test_a_change_goes_to_the_governor_by_the_seeds_delegation_and_is_reported_in_15_days():
    """Seed 3.4 step 5: requests to change the budget go to the provincial governor; the citation says so."""
    result = validate_transfer(SOURCE, line(item="ค่าใช้สอย", balance=None), 10_000)
    assert result.authority_th == "ผู้ว่าราชการจังหวัด" and "ขั้นตอนที่ 5-6" in result.reference
    assert result.report_within_days == 15 and "ผู้ว่าราชการจังหวัด" in result.message_th and "15 วัน" in result.message_th


def test_salary_money_is_not_the_area_offices_to_move():
    source = line(category="งบบุคลากร", item="เงินเดือนข้าราชการ")
    result = validate_transfer(source, line(category="งบดำเนินงาน", item="ค่าวัสดุ", balance=None), 10_000)
    assert (result.rule_ids[0], result.authority) == ("PERSONNEL", "obec")
    assert "ไม่ใช่เงินที่ สพป. โอนหรือเปลี่ยนแปลงได้เอง" in result.message_th


def test_money_for_a_school_or_another_area_office_is_an_obec_reallocation_not_section_35():
    result = validate_transfer(SOURCE, line(unit="สพป.ขอนแก่น เขต 1"), 1)
    assert "มาตรา 35" not in result.message_th.split("จึง")[0] and "สพฐ. โอนเปลี่ยนแปลงการจัดสรร" in result.message_th
    outside = validate_transfer(SOURCE, line(unit="กรมส่งเสริมการปกครองท้องถิ่น", unit_kind=None), 1)
    assert "มาตรา 35" in outside.message_th and "s.35" in outside.message_en and not outside.allowed


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            {"item_class": "ค่าครุภัณฑ์", "item": "ครุภัณฑ์คอมพิวเตอร์ เครื่องแม่ข่าย", "unit_price": 1_200_000},
            "LEFTOVER-EQUIPMENT-1M",
        ),
        ({"item_class": "ค่าครุภัณฑ์", "item": "ครุภัณฑ์คอมพิวเตอร์ เครื่องแม่ข่าย", "quantity": 1}, "LEFTOVER-EQUIPMENT-1M"),
        (
            {"item_class": "ค่าครุภัณฑ์", "item": "ครุภัณฑ์คอมพิวเตอร์", "quantity": 3},
            "LEFTOVER",
        ),  # 3 x 400,000: each unit is under 1 million
        (
            {"item_class": "ค่าที่ดินและสิ่งก่อสร้าง", "item": "ค่าที่ดินและสิ่งก่อสร้าง อาคารเรียน", "unit_price": 10_000_000},
            "LEFTOVER-BUILDING-10M",
        ),
    ],
)
def test_leftovers_for_costly_equipment_or_buildings_are_the_2562_special_cases(target, expected):
    """Budget Bureau criteria 2562, "กรณีมีเงินจัดสรรเหลือจ่าย": equipment of 1 million or more per unit and
    buildings of 10 million or more are special cases; before, the plain leftover rule answered first."""
    source = line(category="งบลงทุน", item="ครุภัณฑ์", balance=20_000_000, allocated=1_500_000)
    result = validate_transfer(
        source,
        line(category="งบลงทุน", balance=None, **target),
        1_200_000 if "อาคาร" not in target["item"] else 10_000_000,
        context={"leftover": True},
    )
    assert result.rule_ids[0] == expected, BB2562
    assert (result.authority == "budget_bureau") == (expected != "LEFTOVER")


def test_a_unit_price_is_judged_from_quantity_not_from_the_whole_amount():
    """Three machines at 400,000 each are not one machine of 1.2 million."""
    target = line(
        category="งบลงทุน", item="ครุภัณฑ์คอมพิวเตอร์", new_item=True, item_class="ค่าครุภัณฑ์", quantity=3, balance=None
    )
    assert validate_transfer(line(balance=5_000_000), target, 1_200_000).rule_ids[0] == "TRANSFER-CATEGORY"
    single = line(
        category="งบลงทุน", item="ครุภัณฑ์คอมพิวเตอร์", new_item=True, item_class="ค่าครุภัณฑ์", quantity="๑", balance=None
    )
    assert validate_transfer(line(balance=5_000_000), single, 1_200_000).rule_ids[0] == "EQUIPMENT-1M"


@pytest.mark.parametrize(
    ("source_changes", "target_changes", "same"),
    [
        ({"project": "ผลผลิต ผู้จบการศึกษาภาคบังคับ"}, {"project": "ผลผลิตผู้จบการศึกษาภาคบังคับ"}, True),
        ({"project": "ผลผลิตที่ ๑"}, {"project": "ผลผลิตที่ 1"}, True),
        (
            {"project": "ผลผลิต ก", "budget_code": "20004 3500 2700"},
            {"project": "ชื่อที่พิมพ์ต่างไป", "budget_code": "2000435002700"},
            True,
        ),
        (
            {"project": "ผลผลิต ก", "budget_code": "2000435002700"},
            {"project": "ผลผลิต ก", "budget_code": "2000435002800"},
            False,
        ),
    ],
)
def test_lines_are_matched_by_budget_code_or_by_names_without_spaces(source_changes, target_changes, same):
    """Same output/project and category: a change of items (CHANGE); another output: a transfer."""
    result = validate_transfer(line(**source_changes), line(item="ค่าใช้สอย", balance=None, **target_changes), 10_000)
    assert (result.rule_ids[0] == "CHANGE") == same


def test_transfer_within_authority_is_reported_within_15_days():
    result = validate_transfer(SOURCE, line(project="ผลผลิต 2"), 10_000)
    assert result.report_within_days == 15
    assert "15 วัน" in result.message_th
    assert result.authority_th.startswith("สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน")
    assert result.balance_after == Decimal(490_000)


def test_a_request_breaking_two_rules_names_both():
    result = validate_transfer(SOURCE, line(unit="กรมส่งเสริมการปกครองท้องถิ่น", unit_kind=None), 900_000)
    assert result.rule_ids == ("BALANCE", "S35-UNIT")
    assert "900,000.00" in result.message_th and "500,000.00" in result.message_th


@pytest.mark.parametrize(("unit_price", "rule"), [(999_999, "TRANSFER-CATEGORY"), (1_000_000, "EQUIPMENT-1M")])
def test_new_equipment_at_one_million_needs_budget_bureau(unit_price, rule):
    target = line(
        category="งบลงทุน",
        item="ครุภัณฑ์ห้องปฏิบัติการ",
        new_item=True,
        item_class="ค่าครุภัณฑ์",
        unit_price=unit_price,
        balance=None,
    )
    assert validate_transfer(line(balance=5_000_000), target, 2_000_000).rule_ids[0] == rule


@pytest.mark.parametrize(("amount", "rule"), [(9_999_999, "TRANSFER-CATEGORY"), (10_000_000, "BUILDING-10M")])
def test_new_building_at_ten_million_needs_budget_bureau(amount, rule):
    target = line(
        category="งบลงทุน",
        item="ค่าที่ดินและสิ่งก่อสร้าง อาคารเรียน",
        new_item=True,
        item_class="ค่าที่ดินและสิ่งก่อสร้าง",
        quantity=1,
        balance=None,
    )
    assert validate_transfer(line(balance=20_000_000), target, amount).rule_ids[0] == rule


@pytest.mark.parametrize(
    ("allocated", "rule", "allowed"), [(2_000_000, "LEFTOVER", True), (2_000_001, "LEFTOVER-RETURN", False)]
)
def test_investment_leftover_above_two_million_goes_back_to_obec(allocated, rule, allowed):
    source = line(category="งบลงทุน", item="ครุภัณฑ์", allocated=allocated)
    result = validate_transfer(
        source,
        line(category="งบลงทุน", item="ครุภัณฑ์อื่น", item_class="ครุภัณฑ์", quantity=1),
        50_000,
        context={"leftover": True},
    )
    assert (result.rule_ids[0], result.allowed) == (rule, allowed)


@pytest.mark.parametrize(
    ("target", "amount", "field"),
    [
        (line(plan=""), 10, "target.plan"),
        (line(category="งบกลาง"), 10, "target.category"),
        (line(), 0, "amount"),
        (line(), "หนึ่งพัน", "amount"),
    ],
)
def test_malformed_requests_name_the_field(target, amount, field):
    with pytest.raises(TransferError) as info:
        validate_transfer(SOURCE, target, amount)
    assert info.value.field == field


def test_dataclass_lines_and_thai_amount_text_are_accepted():
    source = BudgetLine(**{**SOURCE, "category": "operating", "balance": Decimal(500_000)})
    result = validate_transfer(source, line(project="ผลผลิต 2"), "๑๐,๐๐๐ บาท")
    assert result.allowed and result.amount == Decimal(10_000)


def test_batch_carries_the_running_balance():
    other = line(project="ผลผลิต 2", balance=None)
    results = validate_transfers(
        [
            {"source": SOURCE, "target": other, "amount": 300_000},
            {"source": SOURCE, "target": other, "amount": 150_000},
            {"source": SOURCE, "target": other, "amount": 100_000},  # only 50,000 left
            {"source": line(project="ผลผลิต 2", balance=0), "target": SOURCE, "amount": 400_000},  # received 450,000
        ]
    )
    assert [r.allowed for r in results] == [True, True, False, True]
    assert [r.balance_after for r in results] == [Decimal(200_000), Decimal(50_000), Decimal(50_000), Decimal(50_000)]
    assert results[2].rule_ids == ("BALANCE",)


@given(st.lists(st.integers(min_value=1, max_value=200_000), min_size=1, max_size=15))
def test_batch_never_lets_allowed_transfers_exceed_the_balance(amounts):
    target = line(project="ผลผลิต 2", balance=None)
    results = validate_transfers([{"source": SOURCE, "target": target, "amount": a} for a in amounts])
    assert sum(r.amount for r in results if r.allowed) <= SOURCE["balance"]
    for result in results:
        assert result.allowed == (result.rule_ids == ("TRANSFER-PROJECT",))


def test_a_change_goes_to_the_committee_before_the_governor():
    """Seed 3.4 step 3 (line 856): a committee considers requests to change the budget before the office
    proposes them to the governor (steps 5-6, lines 858-859); the message names both steps in order."""
    result = validate_transfer(SOURCE, line(item="ค่าใช้สอย", balance=None), 10_000)
    committee, governor = result.message_th.find("คณะกรรมการ"), result.message_th.find("ผู้ว่าราชการจังหวัด")
    assert 0 <= committee < governor
    assert "ขั้นตอนที่ 3" in result.reference and "committee" in result.message_en


@pytest.mark.parametrize(
    ("quantity", "rule", "allowed"),
    [(None, "QUANTITY-NEEDED", False), (40, "TRANSFER-CATEGORY", True), ("๔๐", "TRANSFER-CATEGORY", True)],
)
def test_forty_computers_without_their_quantity_are_asked_for_it(quantity, rule, allowed):
    """Budget Bureau criteria 2562: the 1-million threshold is per unit of equipment. Forty computers at
    30,000 baht (1.2 million) are forty units under it; with the quantity left blank nobody can tell, so
    the verdict asks for it rather than taking 1.2 million as one unit."""
    target = line(
        category="งบลงทุน", item="ครุภัณฑ์คอมพิวเตอร์", new_item=True, item_class="ค่าครุภัณฑ์", quantity=quantity, balance=None
    )
    result = validate_transfer(line(balance=5_000_000), target, 1_200_000)
    assert (result.rule_ids[0], result.allowed) == (rule, allowed)
    if not allowed:
        assert result.authority == "incomplete" and "จำนวน" in result.message_th
