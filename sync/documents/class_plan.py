"""The class plan's ม.1 projection (seed part 2, 2.5, step 5, line 708): the pupils expected to enter ม.1
in each of the next three years and the rate at which pupils go on from ป.6 to ม.1, by the school that
will receive them.

This round's ป.6, ป.5 and ป.4 (the counted rows of each school's enrolment) are next year's, the year
after's and the third year's ม.1 candidates. A school's ป.6 go to the school its registry line names in
``feeds``; a school that teaches ม.1 itself (it reports ม.1, or its ``levels`` reach มัธยม) receives its own;
the rest are listed as going to a school the registry does not name (often a secondary area's). The rate
of going on is the area's ม.1 this round over its ป.6 in the same round of the year before, where the
ledger holds that round; otherwise every pupil is taken to go on, and the sheet says so. Rooms follow
the class-size rule (:func:`rules.rooms_needed`).

Step 1 of the seed's class plan starts from the census of school-age children (สำมะโนประชากรวัยเรียน),
so a second sheet sets each district's children of the ages that reach ม.1 in those years (the ages
of ป.6, ป.5 and ป.4 by OBEC's admission ages, ``grades.yaml``; from ``population.csv`` rows such as
``อายุ 11 ปี``) beside the pupils the district's schools hold in those grades: the share of the
cohort the area's schools will bring to ม.1, the gap the office plans places for with the province.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from rules import grade, rooms_needed
from sync.documents.docx import documents_dir
from sync.documents.progress import round_data
from sync.files.atomic import save_workbook
from sync.files.printsetup import align_numbers, fit_to_page_width
from sync.master.data import MasterData
from sync.master.population import read_census
from sync.office.registry import Unit
from sync.office.settings import Settings

FEEDS_NOWHERE = "(โรงเรียนปลายทางไม่อยู่ในทะเบียน)"
AHEAD = ("P6", "P5", "P4")  # this round's grade that enters ม.1 in 1, 2 and 3 years


def pupils_by_grade(data: MasterData, unit: Unit) -> dict[str, int]:
    """A school's counted pupils of each grade this round (rows left out of the totals are left out here)."""
    found: dict[str, int] = defaultdict(int)
    for row in data.counted_rows(unit, "enrolment"):
        if row.get("grade"):
            found[grade(str(row["grade"])).code] += (row.get("male") or 0) + (row.get("female") or 0)
    return dict(found)


def _receiver(unit: Unit, counts: dict[str, dict[str, int]], registry: dict[str, Unit]) -> str:
    """Which school receives a school's ป.6: the one it ``feeds``, itself when it teaches ม.1, else nobody known."""
    feeds = unit.feeds.strip()
    if feeds:
        return feeds if feeds in registry else FEEDS_NOWHERE
    if counts.get(unit.code, {}).get("M1") or "มัธยม" in unit.levels:
        return unit.code
    return FEEDS_NOWHERE


def go_on_rate(data: MasterData, before: MasterData) -> Decimal | None:
    """The area's ม.1 this round over its ป.6 in the same round a year before; None when that round has no ป.6."""
    schools = [u for u in data.registry.values() if u.kind == "school"]
    p6 = sum(pupils_by_grade(before, u).get("P6", 0) for u in before.registry.values() if u.kind == "school")
    m1 = sum(pupils_by_grade(data, u).get("M1", 0) for u in schools)
    return (Decimal(m1) / p6).quantize(Decimal("0.0001")) if p6 else None


def projection(data: MasterData, rate: Decimal | None) -> dict[str, list[int]]:
    """ม.1 expected at each receiving school in each of the next three years (whole pupils, half up)."""
    registry = data.registry
    counts = {code: pupils_by_grade(data, unit) for code, unit in registry.items() if unit.kind == "school"}
    share = Decimal(1) if rate is None else rate
    ahead: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * len(AHEAD))
    for code, by_grade in counts.items():
        receiver = _receiver(registry[code], counts, registry)
        for year, grade_code in enumerate(AHEAD):
            ahead[receiver][year] += by_grade.get(grade_code, 0) * share
    return {code: [int(n.quantize(Decimal(1), ROUND_HALF_UP)) for n in years] for code, years in ahead.items()}


def class_plan_workbook(settings: Settings) -> Path:
    """Write the round's ม.1 projection beside the office's documents; returns its path."""
    data = round_data(settings)
    rate = go_on_rate(data, round_data(settings.with_round(settings.fiscal_year - 1, settings.round)))
    ahead = projection(data, rate)
    years = [settings.fiscal_year + n for n in (1, 2, 3)]
    book = Workbook()
    sheet = book.active
    sheet.title = "คาดการณ์ ม.1"
    sheet.append(
        [
            f"คาดการณ์นักเรียนเข้าเรียนชั้น ม.1 ล่วงหน้า 3 ปี จากข้อมูลนักเรียนปีงบประมาณ {settings.fiscal_year} รอบ {settings.round} เดือน"
        ]
    )
    sheet["A1"].font = Font(bold=True)
    said = (
        f"อัตราการเรียนต่อ ม.1 ของเขต {rate * 100:.2f}% (ม.1 ปีนี้ ÷ ป.6 ปีก่อน)"
        if rate is not None
        else "ยังไม่มีข้อมูลรอบเดียวกันของปีก่อน จึงคิดว่านักเรียนเรียนต่อทุกคน (อัตรา 100%)"
    )
    sheet.append([said])
    sheet.append(["รหัส", "โรงเรียนที่รับ ม.1", *(f"ม.1 ปี {y} (คน)" for y in years), *(f"ห้องเรียน ปี {y}" for y in years)])
    totals = [0, 0, 0]
    for code in sorted(ahead, key=lambda c: (c == FEEDS_NOWHERE, c)):
        counts = ahead[code]
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        name = data.registry[code].name_th if code in data.registry else code
        rooms = [int(rooms_needed(n, "M1")) if code != FEEDS_NOWHERE else None for n in counts]
        sheet.append([code if code != FEEDS_NOWHERE else "", name, *counts, *rooms])
    sheet.append(["", "รวมทั้งเขต", *totals])
    for row in sheet.iter_rows(min_row=sheet.max_row):
        for cell in row:
            cell.font = Font(bold=True)
    for column, width in zip("ABCDEFGH", (12, 40, 16, 16, 16, 14, 14, 14), strict=True):
        sheet.column_dimensions[column].width = width
    fit_to_page_width(sheet, landscape=True, title_rows="3:3")
    align_numbers(sheet, 3)
    census_sheet(book.create_sheet("เทียบสำมะโนประชากร"), settings, data, rate, years)
    path = (
        documents_dir(settings, settings.fiscal_year)
        / f"คาดการณ์นักเรียน-ม1-FY{settings.fiscal_year}-R{settings.round}.xlsx"
    )
    save_workbook(book, path)
    return path


def by_district(data: MasterData) -> dict[str, list[int]]:
    """Pupils of ป.6, ป.5 and ป.4 in each district's schools this round (next three years' ม.1 candidates)."""
    found: dict[str, list[int]] = defaultdict(lambda: [0] * len(AHEAD))
    for unit in data.registry.values():
        if unit.kind == "school":
            counts = pupils_by_grade(data, unit)
            for year, grade_code in enumerate(AHEAD):
                found[unit.district_label][year] += counts.get(grade_code, 0)
    return dict(found)


def census_sheet(sheet: Any, settings: Settings, data: MasterData, rate: Decimal | None, years: list[int]) -> None:
    """Each district's children of ม.1 age in each of the next three years (census) beside its schools' pupils
    of those grades and the ม.1 expected from them: the share the area's schools serve."""
    census = read_census(settings.home, settings.fiscal_year)
    ages = [grade(code).age for code in AHEAD]
    sheet.append([f"เทียบเป้าหมาย ม.1 กับสำมะโนประชากรวัยเรียน ปีงบประมาณ {settings.fiscal_year} (คู่มือฯ 2.5 ขั้นตอนที่ 1 และ 5)"])
    sheet["A1"].font = Font(bold=True)
    known = {age for age, _ in census.by_age}
    missing = [age for age in ages if age not in known]
    sheet.append(
        [
            "เด็กอายุ 11 ปีวันนี้เข้า ม.1 ในปีหน้า อายุ 10 ปีในอีกสองปี อายุ 9 ปีในปีที่สาม (อายุบริบูรณ์ตามเกณฑ์รับนักเรียนของ สพฐ.)"
            + (
                f"; population.csv ยังไม่มีแถวอายุ {', '.join(map(str, missing))} ปี: เพิ่มแถวเช่น อายุ 11 ปี,<อำเภอ>,<จำนวน>"
                if missing
                else ""
            )
        ]
    )
    header = ["อำเภอ"]
    for year, age, grade_code in zip(years, ages, AHEAD, strict=True):
        header += [
            f"ปี {year}: ประชากรอายุ {age} ปี",
            f"ปี {year}: นักเรียน {grade(grade_code).th} ในเขต",
            f"ปี {year}: คาด ม.1",
            f"ปี {year}: ร้อยละของประชากร",
        ]
    sheet.append(header)
    share = Decimal(1) if rate is None else rate
    pupils = by_district(data)
    districts = sorted(set(pupils) | {d or "(ทั้งเขต)" for _, d in census.by_age})
    totals: list[Any] = [0] * (4 * len(AHEAD))
    for district in districts:
        row: list[Any] = [district]
        for year, age in enumerate(ages):
            people = census.by_age.get((age, "" if district == "(ทั้งเขต)" else district))
            held = pupils.get(district, [0] * len(AHEAD))[year]
            expected = int((held * share).quantize(Decimal(1), ROUND_HALF_UP))
            row += [people, held, expected, _percent(expected, people)]
            totals[4 * year] += people or 0
            totals[4 * year + 1] += held
            totals[4 * year + 2] += expected
        sheet.append(row)
    for year in range(len(AHEAD)):
        totals[4 * year + 3] = _percent(totals[4 * year + 2], totals[4 * year] or None)
    sheet.append(["รวมทั้งเขต", *totals])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for notice in census.notices:  # a census line not read: its age stays blank above, and staff are told why
        sheet.append([f"⚠ {notice.message_th}"])
    sheet.column_dimensions["A"].width = 22
    for column in range(2, len(header) + 1):
        sheet.column_dimensions[sheet.cell(3, column).column_letter].width = 15
    for cell in sheet[3]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    fit_to_page_width(sheet, landscape=True, title_rows="3:3")
    align_numbers(sheet, 3)


def _percent(part: int, whole: int | None) -> Decimal | None:
    """``part`` as a percentage of ``whole`` to two places; None when there is no census count to divide by."""
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.01"), ROUND_HALF_UP) if whole else None
