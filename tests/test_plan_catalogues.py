"""A new strategy plan replaces the seed's by date: from its first fiscal year its strategies and
KPIs are the ones forms accept, templates list and the register checks; earlier years keep theirs.

The later plan here is written for the test (the seed only states พ.ศ. 2561-2564): a copy of the
seed's catalogue beginning in 2566 with a fifth strategy and its indicator, in a copy of the rules
data, so the package's own files are never touched.
"""

from __future__ import annotations

import datetime as dt
import importlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from rules.check import table_problems
from rules.forms import form_sets, forms, read_sheet
from rules.parameters import DATA_DIR, Parameters
from rules.plan import Register, area_issues
from sync.intake.reader import read_workbook
from sync.intake.templates import LISTS_SHEET, write_template

NEW_STRATEGY = "พัฒนาการศึกษาสู่ความยั่งยืน"
kpi_module = importlib.import_module("rules.kpi")  # the package exports a function of the same name


def _clear() -> None:
    for cached in (kpi_module.catalogue_tables, kpi_module._in_force, kpi_module._indicators):
        cached.cache_clear()


def _later_plan(root: Path, first: int = 2566, name: str | None = None) -> Path:
    seed = yaml.safe_load((DATA_DIR / "kpi" / "catalogue.yaml").read_text(encoding="utf-8"))
    seed["effective"] = dt.date(first - 543 - 1, 10, 1)
    seed["plan"] = {
        "th": "แผนพัฒนาการศึกษา สพป.ขอนแก่น เขต 5 (ทดสอบ)",
        "first_fiscal_year": first,
        "last_fiscal_year": first + 4,
        "source": "แผนทดสอบ",
    }
    seed["strategies"][5] = {"th": NEW_STRATEGY, "en": "Sustainability"}
    seed["indicators"].append(
        {**seed["indicators"][0], "code": "S5.1", "name_th": "ร้อยละ ๑๐๐ ของสถานศึกษาจัดการเรียนรู้เพื่อความยั่งยืน"}
    )
    path = root / "kpi" / f"{name or f'catalogue_{first}'}.yaml"
    path.write_text(yaml.safe_dump(seed, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def two_plans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Parameters]:
    """The rules data with the seed's plan and a later one, in force for the test."""
    root = tmp_path / "data"
    shutil.copytree(DATA_DIR, root)
    _later_plan(root)
    params = Parameters(root)
    assert params.problems + table_problems(params) == []
    monkeypatch.setattr(kpi_module, "default_parameters", lambda: params)
    _clear()
    yield params
    monkeypatch.undo()
    _clear()


def test_each_year_reads_the_plan_in_force_then(two_plans):
    assert kpi_module.plan_period(2563).first_fiscal_year == 2561
    assert kpi_module.plan_period(2565).first_fiscal_year == 2561, "between plans the older one stays in force"
    assert kpi_module.plan_period(2570).first_fiscal_year == 2566
    assert kpi_module.plan_period(2555).first_fiscal_year == 2561, "a year before every plan gets the first"
    assert list(kpi_module.strategies(2563)) == [1, 2, 3, 4]
    assert kpi_module.strategies(2570)[5] == NEW_STRATEGY
    assert kpi_module.kpi("s๕.๑", fiscal_year=2570).code == "S5.1"
    with pytest.raises(kpi_module.KpiError):
        kpi_module.kpi("S5.1", fiscal_year=2563)


def test_a_groups_plan_is_read_against_its_own_years_strategies(two_plans, tmp_path):
    """The same typed row: strategy 5 and S5.1 are right in FY 2570 and refused, by cell, in FY 2563."""
    row = {
        "project_code": "นผ-01",
        "project": "โครงการโรงเรียนยั่งยืน",
        "strategy": "5",
        "kpis": "S5.1",
        "objective": "ทดสอบ",
        "target_quantity": "10 โรง",
        "responsible": "ผอ.กลุ่ม",
    }
    form = forms()["plan_project"]
    found = {}
    for fiscal_year in (2570, 2563):
        path = write_template(
            form_sets()["plan"],
            tmp_path / f"plan-{fiscal_year}.xlsx",
            fiscal_year=fiscal_year,
            round_=0,
            values={"plan_project": [row]},
        )
        grid = read_workbook(path.read_bytes()).sheets[form.sheet]
        found[fiscal_year] = read_sheet(form, grid, unit_code="G02", on=dt.date(fiscal_year - 543 - 1, 10, 1))
        lists = [cell.value for cell in load_workbook(path)[LISTS_SHEET]["E"] if cell.value]
        assert any(NEW_STRATEGY in str(item) for item in lists) == (fiscal_year == 2570), (
            "the drop-down lists the year's strategies"
        )
    assert [p for p in found[2570].problems if p.severity == "error"] == []
    assert found[2570].rows[0]["strategy"] == 5 and found[2570].rows[0]["kpis"] == ["S5.1"]
    refused = {(p.cell, p.rule) for p in found[2563].problems if p.severity == "error"}
    assert refused == {("C4", "TYPE-STRATEGY"), ("D4", "TYPE-KPIS")}


def test_the_register_is_outside_a_plan_only_where_no_plan_covers_the_year(two_plans):
    def outside(fiscal_year: int) -> bool:
        return any(i.rule == "PLAN-OUTSIDE-PERIOD" for i in area_issues(Register(fiscal_year, ()), None))

    assert [outside(y) for y in (2563, 2565, 2566, 2570, 2571)] == [False, True, False, False, True]


def test_two_plans_beginning_in_the_same_year_are_refused_by_the_rules_check(tmp_path):
    root = tmp_path / "data"
    shutil.copytree(DATA_DIR, root)
    _later_plan(root, 2566)
    clash = _later_plan(root, 2566, "catalogue_2566_revised")
    problems = table_problems(Parameters(root))
    assert [p.path for p in problems if "แผนนี้เริ่มปีงบประมาณ 2566" in p.message] == [clash], problems
