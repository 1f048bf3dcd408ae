"""Class planning, small schools and forward estimates as formulas: rooms, size band, merger candidates
(seed part 2, 2.4-2.5), cohort projection and MTEF, each a thin wrapper over :mod:`rules`."""

from __future__ import annotations

from typing import Any

import rules
from addin.registry import FormulaError, Param, as_int, formula, rows_of
from rules.grades import grade
from rules.mtef import mtef


@formula(
    "ESA_ROOMS",
    "จำนวนห้องเรียนที่ต้องใช้ตามเกณฑ์นักเรียนต่อห้อง",
    "Rooms needed under the class-size limit",
    [
        Param("pupils", "number", "จำนวนนักเรียน", "pupils"),
        Param("level", "text", "ชั้นหรือระดับ เช่น ป.1, อนุบาล", "grade or level"),
    ],
    "value",
    ((41, "ป.1"), 2),
)
def esa_rooms(pupils: Any, level: Any) -> int:
    return rules.rooms_needed(pupils, str(level))


@formula(
    "ESA_SCHOOL_SIZE",
    "ขนาดโรงเรียนตามจำนวนนักเรียน",
    "School size band by pupils",
    [Param("pupils", "number", "จำนวนนักเรียน", "pupils")],
    "value",
    ((120,), "ขนาดเล็ก"),
)
def esa_school_size(pupils: Any) -> str:
    return rules.SIZE_TH[rules.school_size(pupils)]


_MERGE_HEADERS = {
    "code": ("รหัส", "code", "smis_code"),
    "name": ("โรงเรียน", "ชื่อโรงเรียน", "name"),
    "pupils": ("นักเรียน", "จำนวนนักเรียน", "pupils"),
    "latitude": ("ละติจูด", "latitude", "lat"),
    "longitude": ("ลองจิจูด", "longitude", "lon"),
    "exempt": ("โรงเรียนโดดเดี่ยว", "standalone", "exempt"),
}


@formula(
    "ESA_MERGE",
    "โรงเรียนที่เข้าข่ายเรียนรวม/ควบรวม และโรงเรียนหลักที่ใกล้ที่สุด (หัวตาราง: รหัส โรงเรียน นักเรียน ละติจูด ลองจิจูด)",
    "Merger candidates and their nearest host (headers: code, name, pupils, latitude, longitude)",
    [
        Param("schools_table", "range", "ตารางโรงเรียน รวมแถวหัวตาราง", "schools table with its header row"),
        Param(
            "fiscal_year",
            "number",
            "ปีงบประมาณ พ.ศ. ของเกณฑ์ (ว่าง = ปีนี้)",
            "fiscal year BE of the criteria",
            optional=True,
        ),
    ],
    "table",
    (
        (
            [
                ["รหัส", "โรงเรียน", "นักเรียน", "ละติจูด", "ลองจิจูด"],
                ["A", "บ้านเล็ก", 25, 16.5, 102.1],
                ["B", "บ้านใหญ่", 300, 16.52, 102.1],
            ],
            2570,
        ),
        [
            ["รหัส", "โรงเรียน", "นักเรียน", "โรงเรียนหลัก", "ระยะทาง (กม.)", "เวลาเดินทางไม่เกิน (นาที)"],
            ["A", "บ้านเล็ก", 25, "บ้านใหญ่", 2.22, 30],
        ],
    ),
)
def esa_merge(table: Any, fiscal_year: Any) -> list[list[Any]]:
    rows = rows_of(table)
    header = [str(h or "").strip().casefold() for h in rows[0]]
    where = {key: next((i for i, h in enumerate(header) if h in names), None) for key, names in _MERGE_HEADERS.items()}
    if where["code"] is None or where["pupils"] is None:
        raise FormulaError("ตารางต้องมีหัวคอลัมน์ รหัส และ นักเรียน")
    schools = [
        {key: (row[i] if i is not None and i < len(row) else None) for key, i in where.items()}
        for row in rows[1:]
        if any(v is not None for v in row)
    ]
    fy = as_int(fiscal_year, 0) or None
    on = rules.reporting_round(fy, 12).ends if fy else None
    out: list[list[Any]] = [["รหัส", "โรงเรียน", "นักเรียน", "โรงเรียนหลัก", "ระยะทาง (กม.)", "เวลาเดินทางไม่เกิน (นาที)"]]
    for c in rules.merge_candidates(schools, on=on):
        out.append([c.code, c.name, c.pupils, c.host_name, c.distance_km, c.max_travel_minutes])
    return out


@formula(
    "ESA_COHORT",
    "คาดการณ์นักเรียนรายชั้นล่วงหน้า (อัตราการเลื่อนชั้น): แถวหัวเป็นชั้น คอลัมน์แรกเป็นปี",
    "Cohort-survival projection: header row of grades, first column years",
    [
        Param("history_table", "range", "ตารางนักเรียนย้อนหลัง", "history table"),
        Param("years", "number", "จำนวนปีที่คาดการณ์ (ว่าง = 3)", "years ahead (blank = 3)", optional=True),
    ],
    "table",
    (([["ปี", "ป.6", "ม.1"], [2565, 50, 40], [2566, 55, 42], [2567, 60, 45]], 1), [["ปี", "ป.6", "ม.1"], [2568, 65, 50]]),
)
def esa_cohort(table: Any, years: Any) -> list[list[Any]]:
    rows = rows_of(table)
    header = rows[0]
    history = {row[0]: dict(zip(header[1:], row[1:], strict=False)) for row in rows[1:] if row[0] is not None}
    projected = rules.project_cohort(history, as_int(years, 3))
    codes = [grade(str(h)) for h in header[1:]]
    return [
        [header[0], *(g.th for g in codes)],
        *([year, *(counts.get(g.code) for g in codes)] for year, counts in projected.items()),
    ]


@formula(
    "ESA_MTEF",
    "ประมาณการรายจ่ายล่วงหน้า (MTEF) จากข้อมูลย้อนหลัง 3-5 ปี: 2 คอลัมน์ ปีงบประมาณ และจำนวนเงิน",
    "Forward estimates from 3-5 years of history: two columns, fiscal year and amount",
    [
        Param("history", "range", "ปีงบประมาณและจำนวนเงินย้อนหลัง", "fiscal years and amounts"),
        Param("years", "number", "จำนวนปีที่ประมาณการ (ว่าง = 3)", "years ahead (blank = 3)", optional=True),
        Param(
            "method",
            "text",
            "วิธี linear / growth / average (ว่าง = linear)",
            "method linear / growth / average",
            optional=True,
            choices=(("linear", "แนวโน้มเส้นตรง"), ("growth", "อัตราเพิ่มเฉลี่ย"), ("average", "ค่าเฉลี่ย")),
        ),
    ],
    "table",
    (([[2565, 100000], [2566, 110000], [2567, 121000]], 2, "growth"), [[2568, 133100], [2569, 146410]]),
)
def esa_mtef(history: Any, years: Any, method: Any) -> list[list[Any]]:
    points = {}
    for row in rows_of(history):
        if len(row) < 2 or row[0] is None:
            continue
        try:
            points[as_int(row[0], 0)] = row[1]
        except rules.EsaplanError:
            continue  # a header row such as "ปีงบประมาณ | จำนวนเงิน"
    return [[year, amount] for year, amount in mtef(points, as_int(years, 3), str(method or "linear")).items()]
