"""The seed's small-school helper (part 2, 2.4), reachable: `esaplan report small-schools` on the demo area.

The oracle is the master workbook read back on its own (each school's counted rows of ข้อมูลนักเรียน, boys
plus girls), not the facts the workbook module reads; distances are checked with a haversine written here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from rules.defaults import default_parameters
from rules.thai import reporting_round
from sync.cli import main
from sync.office.registry import load_registry, save_registry
from sync.office.settings import load_settings
from tests.masters import master_path, resubmit


def _pupils_in_master(home: Path) -> dict[str, int]:
    rows = list(load_workbook(master_path(home), read_only=True)["ข้อมูลนักเรียน"].iter_rows(values_only=True))
    header = rows[0]
    at = {name: header.index(name) for name in ("รหัสหน่วย", "ชาย (คน)", "หญิง (คน)", "นำไปรวม")}
    pupils: dict[str, int] = defaultdict(int)
    for row in rows[1:]:
        if row[at["นำไปรวม"]] == "ใช่":
            pupils[row[at["รหัสหน่วย"]]] += (row[at["ชาย (คน)"]] or 0) + (row[at["หญิง (คน)"]] or 0)
    return dict(pupils)


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    a = (
        math.sin(math.radians(lat2 - lat1) / 2) ** 2
        + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def test_small_schools_are_the_ones_the_master_counts_under_the_threshold_with_their_nearest_host(demo_copy):
    settings = load_settings(demo_copy)
    resubmit(demo_copy, 8, "99000003")  # a school that now reports 20 pupils (ป.1 only): under the threshold
    assert CliRunner().invoke(main, ["consolidate", "--home", str(demo_copy)]).exit_code == 0
    registry = load_registry(settings.registry_path)
    reported = _pupils_in_master(demo_copy)
    # what the round reports, else the registry's own count (a school that sent nothing usable this round)
    pupils = {
        code: reported.get(code) or unit.pupils
        for code, unit in registry.items()
        if unit.kind == "school" and (reported.get(code) or unit.pupils) is not None
    }
    limit = default_parameters()["merger.max_pupils"](reporting_round(settings.fiscal_year, settings.round).ends)
    small = sorted((n, code) for code, n in pupils.items() if n <= limit)
    big = max(pupils, key=pupils.get)
    assert small, "the demo has schools under the merger threshold"
    candidate = "99000003"
    assert (20, candidate) in small
    placed = {candidate: ("16.4000", "102.1000"), big: ("16.4300", "102.1000")}  # 3.3 km apart, north-south
    units = [
        unit.__class__(**{**unit.__dict__, "latitude": placed[code][0], "longitude": placed[code][1]})
        if code in placed
        else unit
        for code, unit in registry.items()
    ]
    save_registry(units, settings.registry_path)

    result = CliRunner().invoke(main, ["report", "small-schools", "--home", str(demo_copy)])
    assert result.exit_code == 0, result.output
    written = Path(result.output.strip().split(": ", 1)[1])
    book = load_workbook(written)
    rows = list(book["เข้าข่ายควบรวม"].iter_rows(min_row=3, values_only=True))
    listed = {row[0]: row for row in rows if row[0] in pupils}
    assert sorted(listed) == sorted(code for _, code in small)
    assert all(listed[code][3] == pupils[code] for code in listed)
    host = listed[candidate]
    assert host[4] == registry[big].name_th
    assert abs(float(host[5]) - _km(16.4, 102.1, 16.43, 102.1)) < 0.01
    sizes = {row[0]: row[-1] for row in book["ขนาดโรงเรียนรายอำเภอ"].iter_rows(min_row=2, values_only=True)}
    assert sum(sizes.values()) == len(pupils)  # every school that reported is in exactly one size band
    criteria = [row[0] for row in book["เกณฑ์"].iter_rows(min_row=2, values_only=True)]
    assert any("ไม่เกินจำนวนนี้" in str(c) for c in criteria)
