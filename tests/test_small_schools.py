"""The seed's small-school helper (part 2, 2.4), reachable: `esaplan report small-schools` on the demo area.

The oracle is the master workbook read back on its own (each school's counted rows of ข้อมูลนักเรียน, boys
plus girls), not the facts the workbook module reads; distances are checked with a haversine written here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from decimal import Decimal
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


def _by_grade_in_master(home: Path) -> dict[str, dict[str, int]]:
    """Each school's counted pupils by grade, read back from the master's ข้อมูลนักเรียน sheet."""
    rows = list(load_workbook(master_path(home), read_only=True)["ข้อมูลนักเรียน"].iter_rows(values_only=True))
    header = rows[0]
    at = {name: header.index(name) for name in ("รหัสหน่วย", "ชั้น", "ชาย (คน)", "หญิง (คน)", "นำไปรวม")}
    found: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows[1:]:
        if row[at["นำไปรวม"]] == "ใช่":
            found[row[at["รหัสหน่วย"]]][row[at["ชั้น"]]] += (row[at["ชาย (คน)"]] or 0) + (row[at["หญิง (คน)"]] or 0)
    return found


def test_the_m1_projection_is_this_rounds_p6_p5_p4_by_the_school_that_receives_them(demo_copy):
    """Seed 2.5 step 5 (line 708): ม.1 three years ahead. Without last year's round every pupil is taken to go
    on; a primary school whose registry line names the school it feeds sends its pupils there."""
    settings = load_settings(demo_copy)
    grades = _by_grade_in_master(demo_copy)
    registry = load_registry(settings.registry_path)
    schools = [code for code, unit in registry.items() if unit.kind == "school"]
    receiver, feeder = schools[0], schools[1]
    units = [
        unit.__class__(**{**unit.__dict__, "feeds": receiver}) if code == feeder else unit
        for code, unit in registry.items()
    ]
    save_registry(units, settings.registry_path)

    result = CliRunner().invoke(main, ["report", "class-plan", "--home", str(demo_copy)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(Path(result.output.strip().split(": ", 1)[1]))["คาดการณ์ ม.1"]
    rows = list(sheet.iter_rows(values_only=True))
    assert "100%" in rows[1][0]  # the demo has no round of the year before
    total = next(row for row in rows if row[1] == "รวมทั้งเขต")
    assert list(total[2:5]) == [sum(g.get(name, 0) for g in grades.values()) for name in ("ป.6", "ป.5", "ป.4")]
    by_code = {row[0]: row for row in rows[3:] if row[0]}
    teaches_m1 = bool(grades[receiver].get("ม.1")) or "มัธยม" in registry[receiver].levels  # then its own ป.6 stay
    expected = grades[feeder].get("ป.6", 0) + (grades[receiver].get("ป.6", 0) if teaches_m1 else 0)
    assert by_code[receiver][2] == expected
    assert feeder not in by_code or grades[feeder].get("ม.1")  # its pupils are counted at the school it feeds


def test_the_go_on_rate_is_this_years_m1_over_last_years_p6_and_scales_the_projection(tmp_path, shared_data):
    """Two rounds 12 of three real schools, consolidated as staff do (one year, then the next): the rate is
    ม.1 now over ป.6 a year before (40 of 50: 80 %), and next year's ม.1 is this year's ป.6 at that rate."""
    import csv
    import shutil

    from rules.forms import form_sets
    from sync.intake.templates import write_template

    home = tmp_path / "area"
    home.mkdir()
    with (shared_data / "khonkaen-area5-schools-2022.csv").open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    with (home / "registry.csv").open("w", encoding="utf-8", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows[:3])  # 40050001 teaches up to ม.ต้น (its levels say so); the others are primary
    registry = load_registry(home / "registry.csv")
    first = next(code for code, unit in registry.items() if "มัธยม" in unit.levels)

    def send(year: int, counts: dict[str, dict[str, tuple[int, int]]]) -> None:
        shutil.rmtree(home / "inbox", ignore_errors=True)
        for code, grades in counts.items():
            enrolment = [{"grade": g, "male": m, "female": f, "rooms": 1} for g, (m, f) in grades.items()]
            write_template(
                form_sets()["school"],
                home / "inbox" / code / f"รายงาน-{year}.xlsx",
                fiscal_year=year,
                round_=12,
                unit=registry[code],
                values={"enrolment": enrolment},
            )
        done = CliRunner().invoke(main, ["consolidate", "--home", str(home), "--fy", str(year), "--round", "12"])
        assert done.exit_code == 0, done.output

    others = [code for code in registry if code != first]
    send(2568, {first: {"ป.6": (10, 10)}, others[0]: {"ป.6": (15, 15)}})  # 50 in ป.6
    send(2569, {first: {"ป.6": (12, 13), "ม.1": (20, 20)}, others[0]: {"ป.6": (5, 5), "ป.5": (6, 6)}})  # 40 in ม.1

    result = CliRunner().invoke(main, ["report", "class-plan", "--home", str(home), "--fy", "2569", "--round", "12"])
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(Path(result.output.strip().split(": ", 1)[1]))["คาดการณ์ ม.1"].iter_rows(values_only=True))
    assert "80.00%" in rows[1][0]
    by_code = {row[1]: row for row in rows[3:]}
    assert by_code[registry[first].name_th][2] == 20  # its own 25 in ป.6 at 80 %
    nowhere = by_code["(โรงเรียนปลายทางไม่อยู่ในทะเบียน)"]
    assert list(nowhere[2:4]) == [8, 10]  # 10 in ป.6 and 12 in ป.5 at 80 %, going to a school the registry lacks
    # the census (seed 2.5 step 1): ages 11, 10, 9 reach ม.1 in one, two, three years; a district's share is
    # the ม.1 its schools will bring over its children of that age, typed as staff type it (Thai digits)
    district = registry[first].district_label
    (home / "population.csv").write_text(
        "ช่วงวัย,อำเภอ,จำนวน\n"
        f"อายุ ๑๑ ปี,{district},๕๐\n"
        f'age_10,{district},"1,000"\n'
        f"อายุ 9 ปี,{district},สิบ\n",  # a count in words: that age has no census, never a partial one
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["report", "class-plan", "--home", str(home), "--fy", "2569", "--round", "12"])
    assert result.exit_code == 0, result.output
    census = list(
        load_workbook(Path(result.output.strip().split(": ", 1)[1]))["เทียบสำมะโนประชากร"].iter_rows(values_only=True)
    )
    assert census[2][1:5] == (
        "ปี 2570: ประชากรอายุ 11 ปี",
        "ปี 2570: นักเรียน ป.6 ในเขต",
        "ปี 2570: คาด ม.1",
        "ปี 2570: ร้อยละของประชากร",
    )
    in_district = sum(1 for code in (first, others[0]) if registry[code].district_label == district)
    row = next(r for r in census if r[0] == district)
    held_p6 = 25 + (10 if registry[others[0]].district_label == district else 0)
    held_p5 = 12 if registry[others[0]].district_label == district else 0
    assert in_district >= 1 and row[1:5] == (50, held_p6, round(held_p6 * 0.8), Decimal(round(held_p6 * 0.8)) * 2)
    assert row[5] == 1000 and row[6] == held_p5 and row[9] is None and row[12] is None
    assert any("population.csv บรรทัด 4" in str(r[0]) for r in census[-2:]), "the line not read is named"
