"""Transfer and change requests as offices write them, each decided by the rule its source names.

Every case cites where its verdict comes from: the seed (the group's manual, ../shared/seed, part 4
section 3.4, lines 834-866: definitions at 846-850, the procedure at 854-861), the Budget Procedure Act
2561 (ss.4, 35, 36), or the Budget Bureau's criteria 2562 on transfers and changes of allocations
(cited in rules/data/budget/transfer_rules.yaml). Unit kinds and investment classes are fields, never
words found in a name: the properties at the end rename units and items and see no verdict change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules import TransferError, validate_transfer

OFFICE = {
    "unit": "สพป.ขอนแก่น เขต 5",
    "unit_kind": "สพป.",
    "plan": "แผนงานพื้นฐานด้านการพัฒนาและเสริมสร้างศักยภาพทรัพยากรมนุษย์",
    "project": "ผลผลิตผู้จบการศึกษาภาคบังคับ",
    "category": "งบดำเนินงาน",
    "item": "ค่าวัสดุ",
    "balance": 5_000_000,
}
REGISTRY = {"40050134": "obec_school", "บ้านสารจอดร่องกลอง": "obec_school"}  # as sync passes the registry

DEF_TRANSFER = (
    "seed line 848 (definition of a transfer: another output in one category, or another category in one output)"
)
DEF_CHANGE = "seed line 850 (definition of a change: items within one category and output)"
DEF_LEFTOVER = "seed line 846 (definition of leftover funds: money left after procurement)"
STEPS = "seed lines 856-859 (step 3 committee, step 5 proposal to the governor, step 6 approval)"
S4_35 = "Budget Procedure Act 2561 ss.4 and 35 (receiving units; no transfer to another receiving unit)"
S36 = "Budget Procedure Act 2561 s.36 (another plan: Budget Bureau; a new plan or project: Cabinet)"
BB2562 = "Budget Bureau criteria 2562 (equipment 1 M per unit, buildings 10 M; leftovers' special cases; 15-day report)"
OBEC2559 = "OBEC practice 2559 on investment leftovers above 2 M (rules/data/budget/transfer_rules.yaml)"
KINDS = (
    "budget/unit_kinds.yaml: special education centres belong to OBEC's Special Education Bureau (special.obec.go.th)"
)


@dataclass(frozen=True)
class Case:
    name: str
    target: dict[str, Any]
    amount: Any
    rule: str
    allowed: bool
    authority: str
    cites: str
    source: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)


def to(**changes: Any) -> dict[str, Any]:
    return {**OFFICE, "balance": None, **changes}


CASES = [
    # what kind of request it is (seed 846-850)
    Case(
        "another output, one category",
        to(project="ผลผลิตเด็กปฐมวัย"),
        10_000,
        "TRANSFER-PROJECT",
        True,
        "obec",
        DEF_TRANSFER,
    ),
    Case(
        "another category, one output",
        to(category="งบลงทุน", item="โต๊ะ"),
        10_000,
        "TRANSFER-CATEGORY",
        True,
        "obec",
        DEF_TRANSFER,
    ),
    Case(
        "an item within one category and output",
        to(item="ค่าใช้สอย"),
        10_000,
        "CHANGE",
        True,
        "governor",
        f"{DEF_CHANGE}; {STEPS}",
    ),
    Case(
        "one output by its budget code though typed twice",
        to(project="ผลผลิต ผู้จบการศึกษา ภาคบังคับ", item="ค่าใช้สอย", budget_code="20004 35002700"),
        10_000,
        "CHANGE",
        True,
        "governor",
        DEF_CHANGE,
        source={"budget_code": "2000435002700"},
    ),
    Case(
        "a budget code on one side only is no other output",
        to(item="ค่าใช้สอย", budget_code="2000435002700"),
        10_000,
        "CHANGE",
        True,
        "governor",
        DEF_CHANGE,
    ),
    Case(
        "leftover funds to another item",
        to(item="ค่าใช้สอย"),
        10_000,
        "LEFTOVER",
        True,
        "governor",
        f"{DEF_LEFTOVER}; {STEPS}",
        context={"leftover": True},
    ),
    Case(
        "above the balance",
        to(project="ผลผลิตเด็กปฐมวัย"),
        6_000_000,
        "BALANCE",
        False,
        "prohibited",
        "seed line 854 (the finance group's balance statement)",
    ),
    # plans and projects (s.36)
    Case("another plan", to(plan="แผนงานยุทธศาสตร์"), 10_000, "S36-PLAN", True, "budget_bureau", S36),
    Case("a new project", to(project="โครงการใหม่", new_project="ใช่"), 10_000, "S36-NEW-PLAN", True, "cabinet", S36),
    Case("a new plan", to(plan="แผนงานใหม่", new_plan=True), 10_000, "S36-NEW-PLAN", True, "cabinet", S36),
    Case(
        "both output and category",
        to(project="ผลผลิตเด็กปฐมวัย", category="งบลงทุน", item="โต๊ะ"),
        10_000,
        "S36-ITEM",
        True,
        "budget_bureau",
        f"{DEF_TRANSFER}; {S36}",
    ),
    # personnel money
    Case(
        "out of salaries",
        to(item="ค่าใช้สอย"),
        10_000,
        "PERSONNEL",
        True,
        "obec",
        S4_35,
        source={"category": "งบบุคลากร", "item": "เงินเดือน"},
    ),
    Case(
        "into salaries",
        to(project="ผลผลิตเด็กปฐมวัย", category="งบบุคลากร", item="ค่าจ้างชั่วคราว"),
        10_000,
        "PERSONNEL-IN",
        True,
        "obec",
        S4_35,
    ),
    # receiving units, from data (s.4, s.35)
    Case(
        "another area office, stated",
        to(unit="สพป.ขอนแก่น เขต 1", unit_kind="สพป."),
        10_000,
        "OBEC-REALLOCATE",
        True,
        "obec",
        S4_35,
    ),
    Case(
        "a school of the registry by its code",
        to(unit="40050134", unit_kind=None),
        10_000,
        "OBEC-REALLOCATE",
        True,
        "obec",
        S4_35,
        context={"units": REGISTRY},
    ),
    Case(
        "a school of the registry by its name",
        to(unit="บ้านสารจอดร่องกลอง", unit_kind=None),
        10_000,
        "OBEC-REALLOCATE",
        True,
        "obec",
        S4_35,
        context={"units": REGISTRY},
    ),
    Case(
        "an OBEC special education centre",
        to(unit="ศูนย์การศึกษาพิเศษ ประจำจังหวัดขอนแก่น", unit_kind="ศูนย์การศึกษาพิเศษ"),
        10_000,
        "OBEC-REALLOCATE",
        True,
        "obec",
        f"{S4_35}; {KINDS}",
    ),
    Case(
        "a municipal school, stated",
        to(unit="โรงเรียนเทศบาลบ้านโนนทัน", unit_kind="โรงเรียนเทศบาล"),
        10_000,
        "S35-UNIT",
        False,
        "prohibited",
        S4_35,
    ),
    Case(
        "a private school, stated",
        to(unit="โรงเรียนอนุบาลสมมุติวิทยา", unit_kind="เอกชน"),
        10_000,
        "S35-UNIT",
        False,
        "prohibited",
        S4_35,
    ),
    Case(
        "a department the data knows",
        to(unit="กรมส่งเสริมการปกครองท้องถิ่น", unit_kind=None),
        10_000,
        "S35-UNIT",
        False,
        "prohibited",
        S4_35,
    ),
    Case("OBEC itself, known by name", to(unit="สพฐ.", unit_kind=None), 10_000, "OBEC-REALLOCATE", True, "obec", S4_35),
    Case(
        "a municipal school, not stated: never taken for OBEC's",
        to(unit="โรงเรียนเทศบาลบ้านโนนทัน", unit_kind=None),
        10_000,
        "UNIT-KIND-UNKNOWN",
        False,
        "incomplete",
        S4_35,
    ),
    Case(
        "a special education centre, not stated: never taken for another unit",
        to(unit="ศูนย์การศึกษาพิเศษ ประจำจังหวัดขอนแก่น", unit_kind=None),
        10_000,
        "UNIT-KIND-UNKNOWN",
        False,
        "incomplete",
        S4_35,
    ),
    Case(
        "the source's own kind unknown",
        to(unit="โรงเรียนบ้านหนองไผ่", unit_kind="โรงเรียน สพฐ."),
        10_000,
        "UNIT-KIND-UNKNOWN",
        False,
        "incomplete",
        S4_35,
        source={"unit_kind": None},
    ),
    # investment: class and unit price are fields (criteria 2562)
    Case(
        "1.5 M equipment, one unit, named without ครุภัณฑ์",
        to(category="งบลงทุน", item="เครื่องฉายภาพสามมิติ", item_class="ค่าครุภัณฑ์", new_item=True, quantity=1),
        1_500_000,
        "EQUIPMENT-1M",
        True,
        "budget_bureau",
        BB2562,
    ),
    Case(
        "forty computers at 30,000 each",
        to(category="งบลงทุน", item="คอมพิวเตอร์", item_class="ค่าครุภัณฑ์", new_item=True, quantity=40),
        1_200_000,
        "TRANSFER-CATEGORY",
        True,
        "obec",
        BB2562,
    ),
    Case(
        "forty computers, quantity left blank",
        to(category="งบลงทุน", item="คอมพิวเตอร์", item_class="ค่าครุภัณฑ์", new_item=True),
        1_200_000,
        "QUANTITY-NEEDED",
        False,
        "incomplete",
        BB2562,
    ),
    Case(
        "a price per unit stated instead",
        to(category="งบลงทุน", item="คอมพิวเตอร์", item_class="ครุภัณฑ์", new_item=True, unit_price=30_000),
        1_200_000,
        "TRANSFER-CATEGORY",
        True,
        "obec",
        BB2562,
    ),
    Case(
        "a 12 M teachers' house named without อาคาร",
        to(category="งบลงทุน", item="บ้านพักครู", item_class="ค่าที่ดินและสิ่งก่อสร้าง", new_item=True, quantity=1),
        12_000_000,
        "BUILDING-10M",
        True,
        "budget_bureau",
        BB2562,
        source={"balance": 20_000_000},
    ),
    Case(
        "a 9 M building",
        to(category="งบลงทุน", item="บ้านพักครู", item_class="ค่าที่ดินและสิ่งก่อสร้าง", new_item=True, quantity=1),
        9_000_000,
        "TRANSFER-CATEGORY",
        True,
        "obec",
        BB2562,
        source={"balance": 20_000_000},
    ),
    Case(
        "a new investment item of no stated class",
        to(category="งบลงทุน", item="เครื่องฉายภาพ", new_item=True, quantity=1),
        1_500_000,
        "ITEM-CLASS-NEEDED",
        False,
        "incomplete",
        BB2562,
    ),
    # leftovers of investment money
    Case(
        "investment leftover of an item allocated above 2 M",
        to(category="งบลงทุน", item="ครุภัณฑ์อื่น", item_class="ค่าครุภัณฑ์", quantity=1),
        50_000,
        "LEFTOVER-RETURN",
        False,
        "obec",
        OBEC2559,
        source={"category": "งบลงทุน", "item": "อาคารเรียน", "allocated": 2_500_000},
        context={"leftover": True},
    ),
    Case(
        "investment leftover of an item allocated 2 M",
        to(category="งบลงทุน", item="ครุภัณฑ์อื่น", item_class="ค่าครุภัณฑ์", quantity=1),
        50_000,
        "LEFTOVER",
        True,
        "governor",
        f"{OBEC2559}; {STEPS}",
        source={"category": "งบลงทุน", "item": "อาคารเรียน", "allocated": 2_000_000},
        context={"leftover": True},
    ),
    Case(
        "leftover for a 1.2 M server",
        to(category="งบลงทุน", item="เครื่องแม่ข่าย", item_class="ค่าครุภัณฑ์", quantity=1),
        1_200_000,
        "LEFTOVER-EQUIPMENT-1M",
        True,
        "budget_bureau",
        BB2562,
        context={"leftover": True},
    ),
    Case(
        "leftover for three units of 400,000",
        to(category="งบลงทุน", item="คอมพิวเตอร์", item_class="ค่าครุภัณฑ์", quantity=3),
        1_200_000,
        "LEFTOVER",
        True,
        "governor",
        BB2562,
        context={"leftover": True},
    ),
    Case(
        "leftover for a 10 M building",
        to(category="งบลงทุน", item="อาคารเรียน", item_class="ค่าที่ดินและสิ่งก่อสร้าง", quantity=1),
        10_000_000,
        "LEFTOVER-BUILDING-10M",
        True,
        "budget_bureau",
        BB2562,
        source={"balance": 20_000_000},
        context={"leftover": True},
    ),
    Case(
        "leftover for an investment item of no class",
        to(category="งบลงทุน", item="อาคารเรียน", quantity=1),
        100_000,
        "LEFTOVER-ITEM-CLASS-NEEDED",
        False,
        "incomplete",
        BB2562,
        context={"leftover": True},
    ),
    Case(
        "leftover for equipment, quantity left blank",
        to(category="งบลงทุน", item="คอมพิวเตอร์", item_class="ค่าครุภัณฑ์"),
        100_000,
        "LEFTOVER-QUANTITY-NEEDED",
        False,
        "incomplete",
        BB2562,
        context={"leftover": True},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_request_is_decided_by_the_rule_its_source_names(case):
    result = validate_transfer({**OFFICE, **case.source}, case.target, case.amount, context=case.context)
    assert (result.rule_ids[0], result.allowed, result.authority) == (case.rule, case.allowed, case.authority)
    assert result.reference and result.message_th and result.message_en


def test_there_are_at_least_35_cases_each_citing_its_source():
    assert len(CASES) >= 35 and all(case.cites for case in CASES)


def test_a_change_names_the_committee_then_the_governor_with_the_seed_steps():
    result = validate_transfer(OFFICE, to(item="ค่าใช้สอย"), 10_000)
    assert result.message_th.index("คณะกรรมการ") < result.message_th.index("ผู้ว่าราชการจังหวัด")
    assert "ขั้นตอนที่ 3" in result.reference and "ขั้นตอนที่ 5-6" in result.reference


def test_a_kind_or_class_nobody_knows_is_refused_naming_the_field():
    with pytest.raises(TransferError) as kind:
        validate_transfer(OFFICE, to(unit="หน่วยใหม่", unit_kind="หน่วยลับ"), 1)
    assert kind.value.field == "target" and "ประเภทหน่วย" in kind.value.message_th
    with pytest.raises(TransferError) as item_class:
        validate_transfer(OFFICE, to(category="งบลงทุน", item="โต๊ะ", item_class="ของใช้"), 1)
    assert "ค่าครุภัณฑ์" in item_class.value.message_th


THAI_NAME = st.text(alphabet="กขคงจฉชซดตถทนบปผพฟมยรลวสหอะาิีุูเแโใไ่้ 0123456789", min_size=1, max_size=30).filter(
    lambda text: text.strip()
)
OTHER_UNIT_CASES = [c for c in CASES if c.target["unit"] != OFFICE["unit"] and c.target.get("unit_kind")]


def _verdict(result):
    return result.rule_ids, result.allowed, result.authority


def _folded(text: Any) -> str:
    return "".join(str(text).split())


@settings(max_examples=60, deadline=None)
@given(case=st.sampled_from(CASES), item=THAI_NAME)
def test_renaming_the_target_item_never_changes_a_verdict(case, item):
    """An item's class is a field: what the item is called decides nothing."""
    source = {**OFFICE, **case.source}
    if _folded(item) == _folded(source["item"]):
        return  # renamed onto the source's own item: that is another request
    before = validate_transfer(source, case.target, case.amount, context=case.context)
    after = validate_transfer(source, {**case.target, "item": item}, case.amount, context=case.context)
    assert _verdict(after) == _verdict(before)


@settings(max_examples=60, deadline=None)
@given(case=st.sampled_from(OTHER_UNIT_CASES), unit=THAI_NAME)
def test_renaming_a_unit_whose_kind_is_stated_never_changes_a_verdict(case, unit):
    """A unit called โรงเรียน... or ศูนย์... is what its stated kind says, whatever its name."""
    source = {**OFFICE, **case.source}
    if _folded(unit) == _folded(source["unit"]):
        return  # renamed onto the source's own unit: a request within the office
    before = validate_transfer(source, case.target, case.amount, context=case.context)
    after = validate_transfer(source, {**case.target, "unit": unit}, case.amount, context=case.context)
    assert _verdict(after) == _verdict(before)
