"""The area in figures (ข้อมูลพื้นฐาน) that opens the plan and the reports: schools, pupils and rooms by
district and by size, from the round's counted rows (:class:`sync.master.data.MasterData`), so the
figures are the master's. Teachers are not in the forms schools send esaplan, and the text says so
rather than printing a number from elsewhere.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rules.thai import thai_digits
from sync.documents.tables import word_table
from sync.master.data import MasterData

SIZE_ORDER = ("ขนาดเล็ก", "ขนาดกลาง", "ขนาดใหญ่", "ขนาดใหญ่พิเศษ")


def school_counts(data: MasterData) -> dict[str, tuple[int, int]]:
    """Each school's pupils and rooms this round (counted enrolment rows; (0, 0) when it sent none)."""
    counts = {}
    for unit in data.registry.values():
        if unit.kind != "school":
            continue
        rows = data.counted_rows(unit, "enrolment")
        pupils = sum((row.get("male") or 0) + (row.get("female") or 0) for row in rows)
        counts[unit.code] = (pupils, sum(row.get("rooms") or 0 for row in rows))
    return counts


def basics_tables(document: Any, data: MasterData, number: str) -> None:
    """Numbered sub-sections ``number``.1 and .2: the area by district and schools by size."""
    counts = school_counts(data)
    schools = [u for u in data.registry.values() if u.kind == "school"]
    reported = sum(1 for code in counts if counts[code][0])
    by_district: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    by_size: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for unit in schools:
        pupils, rooms = counts[unit.code]
        size = data.size_of(unit)
        row = by_district[unit.district_label]
        row[0] += 1
        row[1] += pupils
        row[2] += rooms
        row[3] += size == SIZE_ORDER[0]
        by_size[size][0] += 1
        by_size[size][1] += pupils
    document.add_heading(f"{number}.๑ สถานศึกษา นักเรียน และห้องเรียน จำแนกตามอำเภอ", level=2)
    document.add_paragraph(
        f"สถานศึกษาในสังกัด {thai_digits(len(schools))} แห่ง รายงานจำนวนนักเรียนในรอบนี้ {thai_digits(reported)} แห่ง "
        "(จำนวนนักเรียนและห้องเรียนนับจากแบบรายงานที่ผ่านการตรวจ; จำนวนครูไม่อยู่ในแบบรายงานชุดนี้)"
    )
    rows: list[list[Any]] = [[district, *values] for district, values in sorted(by_district.items())]
    rows.append(["รวม", *(sum(r[i] for r in rows) for i in range(1, 5))])
    word_table(
        document,
        ["อำเภอ", "สถานศึกษา (แห่ง)", "นักเรียน (คน)", "ห้องเรียน (ห้อง)", "ขนาดเล็ก (แห่ง)"],
        rows,
        totals=(len(rows) - 1,),
        numeric=(1, 2, 3, 4),
    )
    document.add_heading(f"{number}.๒ สถานศึกษาจำแนกตามขนาด", level=2)
    sizes = [s for s in (*SIZE_ORDER, *sorted(set(by_size) - set(SIZE_ORDER))) if s in by_size]
    rows = [[size, *by_size[size]] for size in sizes]
    rows.append(["รวม", sum(r[1] for r in rows), sum(r[2] for r in rows)])
    word_table(
        document, ["ขนาดสถานศึกษา", "สถานศึกษา (แห่ง)", "นักเรียน (คน)"], rows, totals=(len(rows) - 1,), numeric=(1, 2)
    )
