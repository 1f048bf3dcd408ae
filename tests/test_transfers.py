"""Transfer validation: each rule of the table, the authority and the citation, and batch balances."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules import TransferError, validate_transfer, validate_transfers
from rules.transfers import BudgetLine

SOURCE = {"unit": "สพป.ขอนแก่น เขต 5", "plan": "แผนงานพื้นฐาน", "project": "ผลผลิต 1", "category": "งบดำเนินงาน", "item": "ค่าวัสดุ", "balance": 500_000}


def line(**changes):
    return {**SOURCE, **changes}


@pytest.mark.parametrize(
    ("target", "amount", "context", "allowed", "authority", "kind", "rule"),
    [
        (line(project="ผลผลิต 2", balance=None), 10_000, {}, True, "obec", "transfer", "TRANSFER-PROJECT"),
        (line(category="งบลงทุน", item="ครุภัณฑ์สำนักงาน", balance=None), 10_000, {}, True, "obec", "transfer", "TRANSFER-CATEGORY"),
        (line(item="ค่าใช้สอย", balance=None), 10_000, {}, True, "area_director", "change", "CHANGE"),
        (line(project="ผลผลิต 2", category="investment", item="ครุภัณฑ์", balance=None), 10_000, {}, True, "budget_bureau", "transfer", "S36-ITEM"),
        (line(plan="แผนงานยุทธศาสตร์", balance=None), 10_000, {}, True, "budget_bureau", "transfer", "S36-PLAN"),
        (line(plan="แผนงานใหม่", new_plan=True), 10_000, {}, True, "cabinet", "transfer", "S36-NEW-PLAN"),
        (line(project="โครงการใหม่", new_project="ใช่"), 10_000, {}, True, "cabinet", "transfer", "S36-NEW-PLAN"),
        (line(unit="สพป.ขอนแก่น เขต 1"), 10_000, {}, False, "prohibited", "transfer", "S35-UNIT"),
        (line(project="ผลผลิต 2"), 600_000, {}, False, "prohibited", "transfer", "BALANCE"),
        (line(project="ผลผลิต 2"), 10_000, {"leftover": True}, True, "governor", "leftover", "LEFTOVER"),
    ],
)
def test_each_rule_decides_with_its_authority(target, amount, context, allowed, authority, kind, rule):
    result = validate_transfer(SOURCE, target, amount, context=context)
    assert (result.allowed, result.authority, result.kind, result.rule_ids[0]) == (allowed, authority, kind, rule)
    assert result.message_th and result.message_en and result.reference


def test_transfer_within_authority_is_reported_within_15_days():
    result = validate_transfer(SOURCE, line(project="ผลผลิต 2"), 10_000)
    assert result.report_within_days == 15
    assert "15 วัน" in result.message_th
    assert result.authority_th.startswith("สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน")
    assert result.balance_after == Decimal(490_000)


def test_cross_unit_cites_section_35():
    result = validate_transfer(SOURCE, line(unit="สพป.ขอนแก่น เขต 1"), 1)
    assert "มาตรา 35" in result.message_th and "s.35" in result.message_en
    assert result.balance_after == Decimal(500_000)


def test_a_request_breaking_two_rules_names_both():
    result = validate_transfer(SOURCE, line(unit="สพป.ขอนแก่น เขต 1"), 900_000)
    assert result.rule_ids == ("BALANCE", "S35-UNIT")
    assert "900,000.00" in result.message_th and "500,000.00" in result.message_th


@pytest.mark.parametrize(("unit_price", "rule"), [(999_999, "TRANSFER-CATEGORY"), (1_000_000, "EQUIPMENT-1M")])
def test_new_equipment_at_one_million_needs_budget_bureau(unit_price, rule):
    target = line(category="งบลงทุน", item="ครุภัณฑ์ห้องปฏิบัติการ", new_item=True, unit_price=unit_price, balance=None)
    assert validate_transfer(line(balance=5_000_000), target, 2_000_000).rule_ids[0] == rule


@pytest.mark.parametrize(("amount", "rule"), [(9_999_999, "TRANSFER-CATEGORY"), (10_000_000, "BUILDING-10M")])
def test_new_building_at_ten_million_needs_budget_bureau(amount, rule):
    target = line(category="งบลงทุน", item="ค่าที่ดินและสิ่งก่อสร้าง อาคารเรียน", new_item=True, balance=None)
    assert validate_transfer(line(balance=20_000_000), target, amount).rule_ids[0] == rule


@pytest.mark.parametrize(("allocated", "rule", "allowed"), [(2_000_000, "LEFTOVER", True), (2_000_001, "LEFTOVER-RETURN", False)])
def test_investment_leftover_above_two_million_goes_back_to_obec(allocated, rule, allowed):
    source = line(category="งบลงทุน", item="ครุภัณฑ์", allocated=allocated)
    result = validate_transfer(source, line(category="งบลงทุน", item="ครุภัณฑ์อื่น"), 50_000, context={"leftover": True})
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
