"""School size, rooms from the class-size rule, cohort projection, merger candidates, MTEF."""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal

import pytest

from rules import ParseError, merge_candidates, project_cohort, rooms_needed, school_size
from rules.mtef import mtef


@pytest.mark.parametrize(
    ("pupils", "size"),
    [
        (0, "small"),
        (15, "small"),
        (120, "small"),
        (121, "medium"),
        (600, "medium"),
        (601, "large"),
        (1500, "large"),
        (1501, "extra-large"),
        ("1,234", "large"),
    ],
)
def test_school_size_bands(pupils, size):
    assert school_size(pupils) == size


@pytest.mark.parametrize(
    ("pupils", "where", "rooms"),
    [
        (0, "ป.1", 0),
        (1, "ป.1", 1),
        (40, "ป.1", 1),
        (41, "P1", 2),
        (80, "primary", 2),
        (30, "อ.1", 1),
        (31, "อนุบาล", 2),
        (121, "ม.1", 4),
    ],
)
def test_rooms_needed_from_class_size_limit(pupils, where, rooms):
    assert rooms_needed(pupils, where) == rooms


HISTORY = {
    2565: {"ป.5": 50, "ป.6": 48, "ม.1": 40},
    2566: {"ป.5": 55, "ป.6": 50, "ม.1": 42},
    2567: {"ป.5": 60, "ป.6": 54, "ม.1": 45},
}


def test_cohort_survival_projects_m1_three_years_ahead():
    result = project_cohort(HISTORY, years=3)
    assert list(result) == [2568, 2569, 2570]
    # GPR P5->P6 = (50+54)/(50+55) ; P6->M1 = (42+45)/(48+50); P5 intake trend +5 a year.
    gpr_p6 = Decimal(104) / Decimal(105)
    gpr_m1 = Decimal(87) / Decimal(98)
    assert result[2568]["P5"] == 65
    assert result[2568]["P6"] == _half_up(60 * gpr_p6)
    assert result[2568]["M1"] == _half_up(54 * gpr_m1)
    assert result[2570]["M1"] == _half_up(65 * gpr_p6 * gpr_m1)


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_cohort_intake_never_goes_below_zero():
    shrinking = {2565: {"P1": 10}, 2566: {"P1": 4}, 2567: {"P1": 1}}
    assert project_cohort(shrinking, 3)[2570]["P1"] == 0


@pytest.mark.parametrize(
    ("history", "fragment"),
    [
        ({2567: {"P1": 10}}, "two years"),
        ({2565: {"P1": 1}, 2567: {"P1": 2}}, "consecutive"),
        ({2566: {"ป.9": 1}, 2567: {"P1": 1}}, "unknown grade"),
    ],
)
def test_cohort_bad_history(history, fragment):
    with pytest.raises(ParseError, match=fragment):
        project_cohort(history)


def test_mtef_methods():
    history = {2565: 100_000, 2566: 110_000, 2567: 121_000}
    assert mtef(history, 3, "growth") == {2568: Decimal(133_100), 2569: Decimal(146_410), 2570: Decimal(161_051)}
    assert mtef(history, 2, "linear") == {2568: Decimal(131_333), 2569: Decimal(141_833)}
    assert mtef(history, 1, "average") == {2568: Decimal(110_333)}
    assert mtef({2563: "1,000", 2564: 800, 2565: 600, 2566: 400, 2567: 200}, 3) == {2568: 0, 2569: 0, 2570: 0}


@pytest.mark.parametrize(
    ("history", "method", "fragment"),
    [
        ({2566: 1, 2567: 2}, "linear", "3 to 5"),
        ({2560 + i: 1 for i in range(6)}, "linear", "3 to 5"),
        ({2565: 1, 2566: 2, 2568: 3}, "linear", "consecutive"),
        ({2565: 1, 2566: 2, 2567: 3}, "guess", "unknown method"),
        ({2565: 0, 2566: 2, 2567: 3}, "growth", "non-zero"),
    ],
)
def test_mtef_bad_input(history, method, fragment):
    with pytest.raises(ParseError, match=fragment):
        mtef(history, 3, method)


def _registry(shared_data):
    with (shared_data / "khonkaen-area5-schools-2022.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_merge_candidates_on_real_registry_codes(shared_data):
    # The registry has no coordinates or pupils: place its first schools on a line 2 km apart.
    schools = _registry(shared_data)[:6]
    pupils = [35, 300, 20, 500, 38, 25]
    rows = [
        {
            "code": s["smis_code"],
            "name": s["name"],
            "pupils": p,
            "lat": 16.70,
            "lon": 102.00 + i * 0.0187,
            "exempt": i == 5,
        }
        for i, (s, p) in enumerate(zip(schools, pupils, strict=True))
    ]
    result = merge_candidates(rows)
    by_code = {c.code: c for c in result}
    assert [c.pupils for c in result] == [20, 35, 38]  # smallest first; the exempt school is left out
    assert by_code[rows[0]["code"]].host_code == rows[1]["code"]  # nearest non-candidate
    assert by_code[rows[2]["code"]].host_code in {rows[1]["code"], rows[3]["code"]}
    assert by_code[rows[4]["code"]].host_code == rows[3]["code"]
    assert Decimal("1.9") < by_code[rows[0]["code"]].distance_km < Decimal("2.1")
    assert all(c.max_travel_minutes == 30 for c in result)


def test_merge_candidate_without_host_in_reach():
    rows = [
        {"code": "A", "name": "ก", "pupils": 20, "lat": 16.0, "lon": 102.0},
        {"code": "B", "name": "ข", "pupils": 400, "lat": 16.2, "lon": 102.0},
    ]
    (only,) = merge_candidates(rows)
    assert only.host_code is None and only.distance_km is None
