"""The small-school planning workbook (seed part 2, 2.4: จัดตั้ง ยุบรวม เลิกสถานศึกษา): which schools meet
the merger criteria this round, the nearest host school for each where the registry gives coordinates,
and the area's schools by size and district.

Pupils are the round's own: the enrolment each school reported (its counted version), else the
registry's ``pupils`` column; a school with neither is listed apart, never taken as empty. The
criteria (pupils, distance, travel time) are the dated rules data of ``rules/data/merger/``, cited on
the sheet, so the office reads which figure decided and where it comes from. Coordinates come from
the registry's optional ``latitude`` / ``longitude`` columns and stand-alone schools (islands,
mountains, borders) from its ``standalone`` column.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from rules import SIZE_TH, default_parameters, merge_candidates, school_size
from rules.thai import reporting_round
from sync.documents.docx import documents_dir
from sync.documents.progress import round_data
from sync.files.atomic import save_workbook
from sync.files.printsetup import align_numbers, fit_to_page_width
from sync.master.data import MasterData
from sync.office.settings import Settings

YES = {"1", "ใช่", "yes", "true", "y", "x", "✓"}
SIZES = ("small", "medium", "large", "extra-large")


def pupils_of(data: MasterData) -> tuple[list[dict[str, Any]], list[str]]:
    """Each school with the pupils this round says it has, and the schools nothing says it for."""
    schools, unknown = [], []
    for code, unit in data.registry.items():
        if unit.kind != "school":
            continue
        view = data.views.get(code)
        reported = view.facts["enrolment"].pupils if view and "enrolment" in view.facts else None
        pupils = reported if reported else unit.pupils
        if pupils is None:
            unknown.append(code)
            continue
        schools.append(
            {
                "code": code,
                "name": unit.name_th,
                "district": unit.district_label,
                "pupils": pupils,
                "latitude": unit.latitude or None,
                "longitude": unit.longitude or None,
                "exempt": unit.standalone.strip().casefold() in YES,
            }
        )
    return schools, unknown


def small_schools_workbook(settings: Settings) -> Path:
    """Write the round's small-school workbook beside the office's documents; returns its path."""
    data = round_data(settings)
    schools, unknown = pupils_of(data)
    ends = reporting_round(settings.fiscal_year, settings.round).ends  # the criteria in force when the round ends
    candidates = merge_candidates(schools, on=ends)
    params = default_parameters()
    book = Workbook()
    sheet = book.active
    sheet.title = "เข้าข่ายควบรวม"
    sheet.append([f"โรงเรียนที่เข้าข่ายพิจารณาเรียนรวม/ควบรวม ปีงบประมาณ {settings.fiscal_year} รอบ {settings.round} เดือน"])
    sheet["A1"].font = Font(bold=True)
    sheet.append(
        ["รหัส", "โรงเรียน", "อำเภอ", "นักเรียน (คน)", "โรงเรียนหลักที่ใกล้ที่สุด", "ระยะทาง (กม.)", "เวลาเดินทางต้องไม่เกิน (นาที)"]
    )
    districts = {s["code"]: s["district"] for s in schools}
    for c in candidates:
        sheet.append(
            [
                c.code,
                c.name,
                districts[c.code],
                c.pupils,
                c.host_name or "ไม่มีโรงเรียนหลักในระยะ (หรือทะเบียนไม่มีพิกัด)",
                c.distance_km,
                c.max_travel_minutes,
            ]
        )
    if unknown:
        sheet.append([])
        sheet.append([f"ไม่ได้พิจารณา {len(unknown)} โรงเรียน: ไม่มีจำนวนนักเรียนทั้งในรอบนี้และในทะเบียน (แผ่นงาน ไม่มีข้อมูลนักเรียน)"])
        missing = book.create_sheet("ไม่มีข้อมูลนักเรียน")
        missing.append(["รหัส", "โรงเรียน", "อำเภอ"])
        for code in unknown:
            unit = data.registry[code]
            missing.append([code, unit.name_th, unit.district_label])
    by_district = book.create_sheet("ขนาดโรงเรียนรายอำเภอ")
    by_district.append(["อำเภอ", *(SIZE_TH[size] for size in SIZES), "รวม"])
    counts = Counter((s["district"], school_size(s["pupils"], on=ends)) for s in schools)
    for district in sorted({s["district"] for s in schools}):
        row = [counts[(district, size)] for size in SIZES]
        by_district.append([district, *row, sum(row)])
    criteria = book.create_sheet("เกณฑ์")
    criteria.append(["เกณฑ์", "ค่า", "ที่มา"])
    for name in ("merger.max_pupils", "merger.max_distance_km", "merger.max_travel_minutes"):
        parameter = params[name]
        entry = parameter.entry(ends)
        criteria.append(
            [parameter.description, f"{entry.value}{'' if entry.verified else ' (รอยืนยัน)'}", entry.reference]
        )
    criteria.append(
        ["ขนาดโรงเรียน", "ตามจำนวนนักเรียน (school/size_bands.yaml)", params["school.size_bands"].entry(ends).reference]
    )
    widths = {
        "เข้าข่ายควบรวม": (14, 36, 16, 14, 52, 14, 18),
        "ขนาดโรงเรียนรายอำเภอ": (24, 14, 14, 14, 16, 12),
        "เกณฑ์": (62, 24, 100),
        "ไม่มีข้อมูลนักเรียน": (14, 40, 20),
    }
    for ws in book.worksheets:
        for column, width in zip("ABCDEFG", widths[ws.title], strict=False):
            ws.column_dimensions[column].width = width
        fit_to_page_width(ws, landscape=True, title_rows="2:2" if ws is sheet else "1:1")
        align_numbers(ws, 2 if ws is sheet else 1)
    path = (
        documents_dir(settings, settings.fiscal_year)
        / f"โรงเรียนขนาดเล็ก-FY{settings.fiscal_year}-R{settings.round}.xlsx"
    )
    save_workbook(book, path)
    return path
