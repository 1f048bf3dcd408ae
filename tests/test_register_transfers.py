"""The register's approved transfers go through the request form's transfer rules: one input model.

Each case states its rows as staff would type them into the register and the rule that decides it,
with the seed line or the criterion cited (the same sources as tests/test_transfer_cases.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from rules.allocation_register import Letter, Transfer, balances, to_satang
from rules.register_transfers import check_transfers

PLAN = "แผนงานพื้นฐานด้านการพัฒนาและเสริมสร้างศักยภาพทรัพยากรมนุษย์"
OTHER_PLAN = "แผนงานยุทธศาสตร์พัฒนาคุณภาพการศึกษาและการเรียนรู้"
OUTPUT = "ผลผลิตผู้จบการศึกษาภาคบังคับ"


def _letter(no: str, item: str, baht: int, category: str = "subsidy", plan: str = PLAN, code: str = "") -> Letter:
    return Letter(no, dt.date(2025, 10, 15), code, plan, OUTPUT, "", category, item, to_satang(baht))


LETTERS = [
    _letter("ว1", "ค่าสาธารณูปโภค", 300_000),
    _letter("ว1", "ค่าซ่อมแซมอาคาร", 200_000),
    _letter("ว1", "ค่าวัสดุ", 100_000, category="operating"),
    _letter("ว2", "ครุภัณฑ์ห้องปฏิบัติการ", 3_000_000, category="investment"),
    _letter("ว2", "ครุภัณฑ์คอมพิวเตอร์", 1_500_000, category="investment"),
    _letter("ว2", "อาคารเรียน สปช.105/29", 1_000_000, category="investment"),
    _letter("ว3", "ค่าพัฒนาครู", 50_000, category="operating", plan=OTHER_PLAN),
]


def _transfer(src: str, dst: str, baht: int, no: str = "ขก 1/2569", **extra) -> Transfer:
    letter = {line.item: line.letter_no for line in LETTERS}
    return Transfer(no, dt.date(2026, 3, 2), letter[src], src, letter[dst], dst, to_satang(baht), "", **extra)


def _check(*transfers: Transfer):
    lines, issues = balances(LETTERS, [], transfers)
    assert issues == []
    return check_transfers(lines, transfers)


@pytest.mark.parametrize(
    ("transfer", "rule", "authority", "allowed"),
    [
        # seed 3.4 (line 856): a change of items within one category and output goes to the committee,
        # then the governor (the seed office's delegation)
        (_transfer("ค่าสาธารณูปโภค", "ค่าซ่อมแซมอาคาร", 30_000), "CHANGE", "governor", True),
        # seed 3.4 definition of โอน: between categories of one output is the agency's own transfer
        (_transfer("ค่าสาธารณูปโภค", "ค่าวัสดุ", 30_000), "TRANSFER-CATEGORY", "obec", True),
        # Budget Procedure Act 2561 s.36: across plans only the Budget Bureau
        (_transfer("ค่าวัสดุ", "ค่าพัฒนาครู", 10_000), "S36-PLAN", "budget_bureau", True),
        # OBEC practice 2559: leftovers of an investment item allocated above 2 M go back to OBEC
        (
            _transfer("ครุภัณฑ์ห้องปฏิบัติการ", "ครุภัณฑ์คอมพิวเตอร์", 400_000, leftover=True),
            "LEFTOVER-RETURN",
            "obec",
            False,
        ),
        # Budget Bureau criteria 2562, leftovers: equipment at 1 M or more per unit is a special case
        (
            _transfer(
                "ครุภัณฑ์คอมพิวเตอร์",
                "ครุภัณฑ์ห้องปฏิบัติการ",
                1_200_000,
                leftover=True,
                to_item_class="equipment",
                to_quantity=1,
            ),
            "LEFTOVER-EQUIPMENT-1M",
            "budget_bureau",
            True,
        ),
        # the same money for forty computers: 30,000 a unit, the governor (delegated leftover)
        (
            _transfer(
                "ครุภัณฑ์คอมพิวเตอร์",
                "ครุภัณฑ์ห้องปฏิบัติการ",
                1_200_000,
                leftover=True,
                to_item_class="equipment",
                to_quantity=40,
            ),
            "LEFTOVER",
            "governor",
            True,
        ),
        # leftovers to an investment line with no class stated: cannot be decided (expense classification)
        (
            _transfer("ครุภัณฑ์คอมพิวเตอร์", "อาคารเรียน สปช.105/29", 500_000, leftover=True),
            "LEFTOVER-ITEM-CLASS-NEEDED",
            "incomplete",
            False,
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_each_register_transfer_gets_the_request_forms_verdict(transfer, rule, authority, allowed):
    (checked,), issues = _check(transfer)
    assert checked.result is not None
    assert (checked.result.rule_ids[0], checked.result.authority, checked.result.allowed) == (rule, authority, allowed)
    if allowed:
        assert issues == []
    else:
        (issue,) = issues
        assert issue.rule == rule and transfer.approval_no in issue.message_th and "อ้างอิง" in issue.message_th


def test_a_line_emptied_by_an_earlier_approval_cannot_give_again():
    """Approval order, not row order: the second approval (by date) takes more than the first left."""
    later = _transfer("ค่าซ่อมแซมอาคาร", "ค่าสาธารณูปโภค", 150_000, no="ขก 9/2569")
    earlier = replace(
        _transfer("ค่าซ่อมแซมอาคาร", "ค่าสาธารณูปโภค", 100_000, no="ขก 2/2569"), approval_date=dt.date(2026, 1, 10)
    )
    checked, issues = _check(later, earlier)
    assert [c.transfer.approval_no for c in checked] == ["ขก 2/2569", "ขก 9/2569"]
    assert [c.result.allowed for c in checked] == [True, False]  # 200,000 - 100,000 leaves 100,000 < 150,000
    assert [i.rule for i in issues] == ["BALANCE"] and "ขก 9/2569" in issues[0].message_th


@hsettings(max_examples=60, deadline=None)
@given(st.sampled_from(range(len(LETTERS))), st.sampled_from(range(len(LETTERS))), st.text(min_size=1, max_size=12))
def test_the_register_and_the_request_form_agree_whatever_the_lines_are_called(a, b, suffix):
    """Renaming both letter lines (same rows otherwise) never changes a register transfer's verdict."""
    if a == b:
        return
    src, dst = LETTERS[a], LETTERS[b]
    transfer = Transfer("ขก 1/2569", dt.date(2026, 3, 2), src.letter_no, src.item, dst.letter_no, dst.item, 10_000_00)
    renamed = {src.item: "ก" + suffix, dst.item: "ข" + suffix}
    letters = [replace(x, item=renamed.get(x.item, x.item)) for x in LETTERS]
    moved = replace(transfer, from_item=renamed[src.item], to_item=renamed[dst.item])
    first = check_transfers(balances(LETTERS, [], [transfer])[0], [transfer])[0][0].result
    second = check_transfers(balances(letters, [], [moved])[0], [moved])[0][0].result
    assert first is not None and second is not None
    assert (first.rule_ids, first.authority) == (second.rule_ids, second.authority)
