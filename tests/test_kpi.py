"""KPI catalogue taken from the seed, percentage values and round-by-round status."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from rules import KpiError, Status, kpi_status, kpi_value, kpis
from rules.kpi import kpi

SEED = Path(__file__).resolve().parents[1].parent / "shared" / "seed"


def test_catalogue_has_the_55_indicators_of_the_four_strategies():
    rows = kpis()
    assert len(rows) == 55
    counts = {s: sum(1 for k in rows if k.strategy == s) for s in (1, 2, 3, 4)}
    assert counts == {1: 8, 2: 25, 3: 5, 4: 17}


def test_indicator_texts_are_the_seeds_own(shared_data):
    seed = "".join(p.read_text(encoding="utf-8") for p in SEED.glob("*.txt"))
    flat = re.sub(r"\s+", "", seed)
    for indicator in kpis():
        assert re.sub(r"\s+", "", indicator.name_th).replace("-", "") in flat.replace("-", ""), indicator.code


def test_lookup_and_targets():
    english = kpi("S2.4")
    assert english.target == Decimal(10) and english.direction == "at_least" and english.measure == "pupils"
    assert kpi("s๒.๔") == english
    assert kpi("S2.11").direction == "increase" and kpi("S2.11").target is None
    assert kpi("S3.3").reported_by == "office"
    assert kpi("S4.1").reported_by == "both" and kpi("S4.1").report_as == "yes_no"
    assert kpi("S1.2").target == Decimal(90)
    school = kpis(reported_by="school")
    assert kpi("S4.1") in school and kpi("S3.3") not in school


def test_unknown_code():
    with pytest.raises(KpiError, match="S9.9"):
        kpi("S9.9")


@pytest.mark.parametrize(
    ("num", "den", "value"),
    [
        (3, 7, Decimal("42.86")),
        (1, 8, Decimal("12.50")),
        ("๑๐", "๑๐", Decimal("100.00")),
        (0, 5, Decimal("0.00")),
        (0, 0, None),
    ],
)
def test_kpi_value(num, den, value):
    assert kpi_value(num, den) == value


@pytest.mark.parametrize(("num", "den"), [(5, 3), (-1, 3), ("x", 3)])
def test_kpi_value_refuses_impossible_ratios(num, den):
    with pytest.raises(KpiError):
        kpi_value(num, den)


@pytest.mark.parametrize(
    ("code", "actual", "round_", "status"),
    [
        ("S2.4", 10, 12, Status.ACHIEVED),
        ("S2.4", "9.99", 12, Status.NOT_ACHIEVED),
        ("S2.4", 5, 6, Status.ON_TRACK),  # 50 % of the target expected at 6 months
        ("S2.4", "4.99", 6, Status.AT_RISK),
        ("S2.4", 7.5, 9, Status.ON_TRACK),  # 75 % at 9 months
        ("S2.4", 7.4, 9, Status.AT_RISK),
        ("S1.1", 100, 12, Status.ACHIEVED),
    ],
)
def test_status_by_round(code, actual, round_, status):
    assert kpi_status(code, actual, round_, fiscal_year=2570) == status


def test_increase_indicators_compare_with_the_baseline():
    assert kpi_status("S2.11", 120, 12, baseline=110) == Status.ACHIEVED
    assert kpi_status("S2.11", 110, 12, baseline=110) == Status.NOT_ACHIEVED
    with pytest.raises(KpiError, match="baseline"):
        kpi_status("S2.11", 120, 12)


def test_status_labels_are_thai_and_bad_round_is_refused():
    assert Status.ACHIEVED.th == "บรรลุเป้าหมาย"
    with pytest.raises(KpiError, match="6, 9, 12"):
        kpi_status("S2.4", 5, 3)
