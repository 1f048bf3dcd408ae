"""Rules data: every file loads, values are dated, and broken data is reported by file and line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from rules import ParameterNotSet, Parameters, default_parameters, fiscal_year_start
from rules.check import check
from rules.parameters import DATA_DIR
from sync.cli import main


def test_every_shipped_data_file_loads_and_checks_clean():
    report = check()
    assert report.ok, [str(p) for p in report.problems]
    assert report.files == len(list(DATA_DIR.rglob("*.yaml")))
    params = Parameters()
    assert set(params.files) == {
        ".".join(p.relative_to(DATA_DIR).with_suffix("").parts) for p in DATA_DIR.rglob("*.yaml")
    }


def test_fiscal_year_start_is_1_october_of_the_previous_ce_year():
    assert fiscal_year_start(2568) == dt.date(2024, 10, 1)
    assert fiscal_year_start(2570) == dt.date(2026, 10, 1)


@pytest.mark.parametrize(
    ("fy", "level", "rate"),
    [
        (2565, "primary", Decimal(1900)),  # base rate before the stepwise rise
        (2566, "primary", Decimal(1938)),
        (2567, "primary", Decimal(2052)),
        (2570, "primary", Decimal(2052)),  # a dated value stays in force until replaced
        (2567, "lower_secondary", Decimal(3780)),
        (2566, "kindergarten", Decimal(1734)),
    ],
)
def test_tuition_rate_in_force_for_each_fiscal_year(fy, level, rate):
    assert default_parameters()["per_head.tuition"](fy, level) == rate


def test_each_value_keeps_its_reference_and_verified_flag():
    entry = default_parameters()["per_head.tuition"].entry(2566, "primary")
    assert entry.verified is False
    assert "2566" in entry.reference
    entry = default_parameters()["per_head.tuition"].entry(2567, "primary")
    assert entry.verified is True and entry.start == dt.date(2023, 10, 1)
    later = default_parameters()["per_head.tuition"].entry(
        2570, "primary"
    )  # the stepwise rise's later amounts: not found
    assert later.verified is False and later.value == entry.value and "รอยืนยัน" in later.note


def test_value_to_be_filled_names_parameter_level_and_year():
    with pytest.raises(ParameterNotSet) as info:
        default_parameters()["per_head.textbooks"](2570, "M2")
    error = info.value
    assert (error.parameter, error.key, error.fiscal_year) == ("per_head.textbooks", "M2", 2570)
    assert "per_head.textbooks" in error.message_th and "M2" in error.message_th and "2570" in error.message_th
    assert "รอกรอก" in error.message_th


def test_value_not_yet_in_force_names_the_year():
    with pytest.raises(ParameterNotSet) as info:
        default_parameters()["per_head.textbooks"](2560, "P1")
    assert info.value.fiscal_year == 2560 and "P1" in info.value.message_en


def test_unknown_parameter_is_a_clear_error():
    with pytest.raises(ParameterNotSet, match="no parameter named per_head.lunch"):
        default_parameters()["per_head.lunch"]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "on_line", "fragment"),
    [
        (
            "per_head/tuition.yaml",
            "2022-10-01: {value: 1938",
            "2000-10-01: {value: 1938",
            "2000-10-01",
            "increasing order",
        ),
        ("per_head/tuition.yaml", "{value: 2052,", "{value: สองพัน,", "สองพัน", "must be a number"),
        ("per_head/uniforms.yaml", "  upper_secondary:", "  grade_13:", "grade_13", "unknown level"),
        (
            "class_size/max_pupils_per_room.yaml",
            "  upper_secondary:\n    2017-05-16: {value: 40}\n",
            "",
            "values:",
            "a gap",
        ),
        ("merger/max_distance_km.yaml", "{value: 6, verified: false}", "{value: null}", "value: null", "unverified"),
        ("budget/transfer_rules.yaml", "authority: cabinet", "authority: mayor", "- id: S36-NEW-PLAN", "mayor"),
        (
            "budget/transfer_rules.yaml",
            "authority: {delegated: change}",
            "authority: {delegated: mayor}",
            "- id: CHANGE",
            "mayor",
        ),
        (
            "budget/transfer_rules.yaml",
            "when: {same_plan: false}",
            "when: {same_planet: false}",
            "same_planet",
            "same_planet",
        ),
        ("kpi/catalogue.yaml", "code: S2.5\n", "code: S2.6\n", "- code: S2.6", "S2.5"),
        ("school/size_bands.yaml", "max: 600}", "max: 100}", "2008-10-01", "max"),
        ("calendar/reporting_rounds.yaml", '9: {ends: "06-30"', '9: {ends: "02-30"', "2017-10-01", "out of order"),
        ("per_head/tuition.yaml", "unit: baht_per_pupil_year\n", "unit: [baht\n", "breakdown", "YAML"),
    ],
)
def test_rules_check_reports_file_and_line(data_copy, file, old, new, on_line, fragment):
    path = data_copy / file
    _edit(path, old, new)
    report = check(data_copy)
    assert not report.ok
    hits = [p for p in report.problems if p.path == path and fragment in p.message]
    assert hits, [str(p) for p in report.problems]
    reported = path.read_text(encoding="utf-8").splitlines()[hits[0].line - 1]
    assert on_line in reported, f"{hits[0]} points at {reported!r}"


def test_cli_rules_check_passes_on_shipped_data():
    result = CliRunner().invoke(main, ["rules", "check"])
    assert result.exit_code == 0, result.output
    assert "ข้อผิดพลาด 0" in result.output
    assert "รอกรอกค่า (to be filled):" in result.output


def test_cli_rules_check_fails_with_file_and_line(data_copy):
    _edit(data_copy / "per_head/tuition.yaml", "{value: 2052,", "{value: สองพัน,")
    result = CliRunner().invoke(main, ["rules", "check", "--data", str(data_copy)])
    assert result.exit_code == 1
    path = data_copy / "per_head/tuition.yaml"
    line = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "สองพัน" in text)
    assert f"{path}:{line}:" in result.output


def test_cli_rules_show_lists_dated_values():
    result = CliRunner().invoke(main, ["rules", "show", "per_head.textbooks"])
    assert result.exit_code == 0
    assert "P1  ตั้งแต่ 2022-10-01: 656" in result.output
    assert "M2  ตั้งแต่ 2022-10-01: รอกรอก" in result.output


def test_cli_rules_show_unknown_parameter():
    result = CliRunner().invoke(main, ["rules", "show", "per_head.lunch"])
    assert result.exit_code == 1
    assert "ไม่มีพารามิเตอร์ชื่อ per_head.lunch" in result.output
