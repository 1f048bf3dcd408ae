"""allocate: exact sums, quota bounds, floor/cap water-filling, and clear errors."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from rules import AllocationError, allocate

weights_st = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=40).filter(any)
totals_st = st.integers(min_value=0, max_value=10_000_000)


def test_three_equal_schools_share_100_baht_with_the_extra_baht_to_the_first():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]


def test_per_head_envelope_follows_pupils_exactly():
    assert allocate(1_000_000, [120, 45, 835]) == [120_000, 45_000, 835_000]


def test_decimal_total_with_satang_unit_returns_decimals_summing_exactly():
    result = allocate(Decimal("1000.00"), ["1,000", "๒,๐๐๐", 3.5], unit=Decimal("0.01"))
    assert result == [Decimal("332.94"), Decimal("665.89"), Decimal("1.17")]
    assert sum(result) == Decimal("1000.00")


def test_float_weights_are_read_as_their_decimal_text():
    assert allocate(10, [0.1, 0.2, 0.7]) == [1, 2, 7]


def test_unit_of_hundred_baht_rounds_every_amount_to_hundreds():
    result = allocate(10_000, [1, 1, 1], unit=100)
    assert result == [3400, 3300, 3300]


def test_zero_weight_gets_nothing_or_its_floor():
    assert allocate(900, [1, 0, 2]) == [300, 0, 600]
    assert allocate(1000, [1, 2, 3, 0], floor=100) == [150, 300, 450, 100]


def test_floor_lifts_small_schools_and_the_rest_stays_proportional():
    # 10 pupils would get 10 baht; the floor gives 100 and the others share the rest by weight.
    assert allocate(1000, [10, 495, 495], floor=100) == [100, 450, 450]


def test_cap_limits_large_schools_and_redistributes_to_others():
    assert allocate(1000, [1, 2, 30], cap=400) == [200, 400, 400]


def test_per_weight_floor_and_cap_lists():
    result = allocate(1000, [1, 1, 1], floor=[0, 500, 0], cap=[100, None, None])
    assert result == [100, 500, 400]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"total": 100, "weights": [1, -2]}, "น้ำหนักลำดับที่ 2 ติดลบ"),
        ({"total": 100, "weights": [0, 0]}, "น้ำหนักเป็นศูนย์ทั้งหมด"),
        ({"total": 100, "weights": []}, "ไม่มีน้ำหนัก"),
        ({"total": 100, "weights": [1, "สิบ"]}, "น้ำหนักลำดับที่ 2"),
        ({"total": 150, "weights": [1, 1], "unit": 100}, "ไม่ใช่พหุคูณ"),
        ({"total": 100, "weights": [1, 1], "floor": 60}, "ผลรวมขั้นต่ำเกินวงเงินรวม"),
        ({"total": 100, "weights": [1, 1], "cap": 40}, "ผลรวมเพดานต่ำกว่าวงเงินรวม"),
        ({"total": 100, "weights": [1, 1], "floor": [10, 50], "cap": [20, 40]}, "ลำดับที่ 2: ขั้นต่ำมากกว่าเพดาน"),
        ({"total": 100, "weights": [1, 1], "floor": [10]}, "floor มี 1 ค่า"),
        ({"total": -1, "weights": [1]}, "ติดลบ"),
        ({"total": 100, "weights": [1], "unit": 0}, "unit ต้องมากกว่า 0"),
        ({"total": float("nan"), "weights": [1]}, "ตัวเลขจำกัด"),
    ],
)
def test_bad_input_says_which_input_and_why(kwargs, fragment):
    with pytest.raises(AllocationError) as info:
        allocate(**kwargs)
    assert fragment in info.value.message_th


@given(totals_st, weights_st)
def test_amounts_sum_exactly_and_each_is_within_one_unit_of_its_quota(total, weights):
    result = allocate(total, weights)
    assert sum(result) == total
    weight_sum = sum(weights)
    for amount, weight in zip(result, weights, strict=True):
        quota = Fraction(total * weight, weight_sum)
        assert abs(amount - quota) < 1


@given(st.integers(min_value=0, max_value=100_000), weights_st, st.sampled_from([1, 5, 100]))
def test_amounts_are_multiples_of_unit(total_units, weights, unit):
    result = allocate(total_units * unit, weights, unit=unit)
    assert all(amount % unit == 0 for amount in result)
    assert sum(result) == total_units * unit


@given(totals_st, weights_st)
def test_larger_weight_never_gets_less(total, weights):
    result = allocate(total, weights)
    for i, wi in enumerate(weights):
        for j, wj in enumerate(weights):
            if wi > wj:
                assert result[i] >= result[j]


@given(totals_st, weights_st, st.randoms(use_true_random=False))
def test_order_does_not_matter_up_to_ties(total, weights, rnd):
    order = list(range(len(weights)))
    rnd.shuffle(order)
    shuffled = allocate(total, [weights[i] for i in order])
    original = allocate(total, weights)
    weight_sum = sum(weights)
    for position, index in enumerate(order):
        if (total * weights[index]) % weight_sum == 0:  # exact quota: no tie to break
            assert shuffled[position] == original[index]
        else:
            assert abs(shuffled[position] - original[index]) <= 1


@given(
    st.integers(min_value=0, max_value=1_000_000),
    weights_st,
    st.integers(min_value=0, max_value=5_000),
    st.one_of(st.none(), st.integers(min_value=0, max_value=200_000)),
)
def test_floor_and_cap_are_honoured_and_the_sum_is_exact(total, weights, floor, cap):
    n = len(weights)
    assume(cap is None or cap >= floor)
    assume(n * floor <= total)
    positive = sum(1 for w in weights if w)
    assume(cap is None or positive * cap + (n - positive) * floor >= total)
    result = allocate(total, weights, floor=floor, cap=cap)
    assert sum(result) == total
    assert all(amount >= floor for amount in result)
    if cap is not None:
        assert all(amount <= cap for amount in result)
    for i, wi in enumerate(weights):
        for j, wj in enumerate(weights):
            if wi > wj:
                assert result[i] >= result[j]


@given(totals_st, weights_st)
def test_a_floor_of_zero_changes_nothing(total, weights):
    assert allocate(total, weights, floor=0) == allocate(total, weights)
