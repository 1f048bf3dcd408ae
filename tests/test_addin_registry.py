"""The formula registry: every formula runs its worked example; bad arguments raise FormulaError with a Thai reason."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from addin import FORMULAS, FormulaError, call


def test_the_registry_has_every_formula_the_planning_group_needs():
    assert {
        "ESA_ALLOCATE",
        "ESA_PERHEAD",
        "ESA_SUBSIDY",
        "ESA_TRANSFER_CHECK",
        "ESA_TRANSFERS",
        "ESA_KPI",
        "ESA_KPI_STATUS",
        "ESA_KPI_TARGET",
        "ESA_KPI_NAME",
        "ESA_ROOMS",
        "ESA_SCHOOL_SIZE",
        "ESA_COHORT",
        "ESA_MTEF",
        "ESA_FISCAL_YEAR",
        "ESA_THAIDIGITS",
        "ESA_BAHTTEXT",
        "ESA_NUMBER",
    } <= set(FORMULAS)
    for entry in FORMULAS.values():
        assert entry.th and entry.en and entry.returns in {"value", "row", "column", "table"}
        assert all(p.th and p.en for p in entry.params)


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_every_worked_example_gives_its_result(name):
    args, expected = FORMULAS[name].example
    result = call(name, list(args))
    if expected is not None:
        assert result == expected


def test_blank_cells_stay_blank_and_amounts_still_add_up():
    result = call("ESA_ALLOCATE", [1000, [[3], [""], [None], [7]]])
    assert result == [[300], [None], [None], [700]]
    assert call("ESA_ALLOCATE", [1000, [[1], [2], [3]], 200]) == [[200], [320], [480]]
    with pytest.raises(FormulaError) as nothing_to_divide_by:
        call("ESA_KPI", [5, 0])
    assert nothing_to_divide_by.value.excel == "#DIV/0!", "as Excel's own =5/0, which IFERROR catches"


def test_subsidy_table_spills_one_row_per_school_and_one_column_per_item():
    table = call("ESA_SUBSIDY", [[["โรงเรียน", "ป.1", "ป.2"], ["ก", 10, 12], [None, None, None], ["ข", 5, ""]], 2570])
    assert [row[0] for row in table] == ["โรงเรียน", "ก", "ข"]
    assert table[1][1] == 22 * 2052 and table[2][1] == 5 * 2052
    assert table[0][-3:] == ["รวม", "อัตราที่ยังไม่ได้กรอก", "อัตรารอยืนยัน"]


@pytest.mark.parametrize(
    ("name", "args", "fragment"),
    [
        ("ESA_ALLOCATE", [100, [[1], [-2]]], "น้ำหนักแถวที่ 2 ติดลบ"),
        ("ESA_ALLOCATE", [100, [[1], [""], [None], ["สาม"]]], "น้ำหนักแถวที่ 4"),
        ("ESA_ALLOCATE", [100, [[0], [0]]], "ศูนย์ทั้งหมด"),
        ("ESA_PERHEAD", ["ป.9", 10], "ไม่รู้จักชั้น"),
        ("ESA_KPI_STATUS", ["S9.9", 10], "S9.9"),
        ("ESA_ROOMS", ["สิบ", "ป.1"], "ไม่ใช่ตัวเลข"),
        ("ESA_FISCAL_YEAR", ["พรุ่งนี้"], "วันที่"),
        ("ESA_KPI", [3], "อาร์กิวเมนต์"),
        ("ESA_BAHTTEXT", [None], "ต้องระบุ amount"),
        ("ESA_NOPE", [], "ไม่มีสูตร"),
    ],
)
def test_bad_arguments_raise_a_short_thai_reason_without_the_formulas_name(name, args, fragment):
    """Each surface names the formula as it is typed there (ESA.ALLOCATE in the Office add-in)."""
    with pytest.raises(FormulaError) as raised:
        call(name, args)
    assert fragment in raised.value.reason and not raised.value.reason.startswith("ESA")
    assert raised.value.unknown == (name == "ESA_NOPE")


pupil_cells = st.one_of(
    st.none(),
    st.just(""),
    st.integers(0, 400),
    st.integers(0, 400).map(lambda n: f"{n:,}".translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))),
)


@given(
    st.lists(st.lists(pupil_cells, min_size=1, max_size=3), min_size=1, max_size=12).filter(
        lambda rows: len({len(r) for r in rows}) == 1
    ),
    st.sampled_from(["ป.1", "อ.2", "ม.1"]),
)
def test_a_one_value_formula_over_a_range_answers_each_cell_as_it_would_alone(rows, level):
    """=ESA_PERHEAD("ป.1", B2:B261) is one call giving what 260 calls give, blank rows left blank
    (a one-cell range is that cell's value, tested below)."""
    assume(len(rows) * len(rows[0]) > 1)
    lifted = call("ESA_PERHEAD", [level, rows, "tuition", 2570])
    assert len(lifted) == len(rows) and all(len(a) == len(r) for a, r in zip(lifted, rows, strict=True))
    for answers, cells in zip(lifted, rows, strict=True):
        for answer, cell in zip(answers, cells, strict=True):
            assert answer == (None if cell in (None, "") else call("ESA_PERHEAD", [level, cell, "tuition", 2570]))


def test_ranges_of_different_shapes_or_a_bad_cell_fail_the_formula_with_where():
    with pytest.raises(FormulaError, match=r"^ช่วงข้อมูลต้องมีขนาดเท่ากัน \(ได้ 2×1 กับ 3×1"):
        call("ESA_KPI", [[[1], [2]], [[3], [4], [5]]])
    with pytest.raises(FormulaError, match=r"^แถวที่ 2 ของช่วง: .*'สิบ'"):
        call("ESA_PERHEAD", ["ป.1", [[30], ["สิบ"], [12]]])
    assert (
        call("ESA_KPI", [[[1, 2]], 10]) == [[10, 20]] and call("ESA_SCHOOL_SIZE", [[[120]]]) == "ขนาดเล็ก"
    )  # a one-cell range is the value


def test_arguments_with_fixed_choices_list_them_and_take_each():
    item = next(p for p in FORMULAS["ESA_PERHEAD"].params if p.name == "item")
    assert [value for value, _ in item.choices] == ["tuition", "textbooks", "supplies", "uniforms", "activities"]
    for value, _ in (next(p for p in FORMULAS["ESA_MTEF"].params if p.name == "method")).choices:
        assert call("ESA_MTEF", [[[2566, 100], [2567, 110], [2568, 120]], 1, value])
    for value, _ in (next(p for p in FORMULAS["ESA_KPI_STATUS"].params if p.name == "round")).choices:
        assert call("ESA_KPI_STATUS", ["S2.4", 50, value])


def test_esa_perhead_takes_the_thai_item_name_staff_type():
    """The formula answers for ค่าจัดการเรียนการสอน as for tuition (30 pupils of ป.1, FY2570)."""
    assert call("ESA_PERHEAD", ["ป.1", 30, "ค่าจัดการเรียนการสอน", 2570]) == call(
        "ESA_PERHEAD", ["ป.1", 30, "tuition", 2570]
    )


def test_esa_subsidy_names_the_rates_still_to_fill_and_to_confirm_in_thai():
    header, row = call("ESA_SUBSIDY", [[["โรงเรียน", "ป.1"], ["ก", 10]], 2570])
    assert header[-2:] == ["อัตราที่ยังไม่ได้กรอก", "อัตรารอยืนยัน"]
    assert row[-2] == "เงินเพิ่มสำหรับโรงเรียนขนาดเล็ก" and "ค่าอุปกรณ์การเรียน" in row[-1]
