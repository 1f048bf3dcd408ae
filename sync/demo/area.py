"""A demo service area: ~200 clearly fictional schools, their submissions, and realistic mistakes.

``esaplan demo`` builds it in a folder and consolidates it, so a new user sees the whole job
without a Google account or a server. Schools are named "บ้าน... (สมมุติ)" with codes 99xxxxxx
(no real area has code 99); districts and networks are invented; the office groups are the nine
groups of an area office. Values are realistic (15 to 1,500 pupils, per-head money from the
rates in rules/data) and a few schools make the mistakes real schools make. Every planted
mistake is listed in ``demo-mistakes.csv`` with the sheet, cell and rule that should catch it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import random
import shutil
import zipfile
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from rules import kpis, per_head, school_size
from rules.forms import column_letter, form_sets, forms
from rules.grades import all_grades
from sync.demo.census import write_census
from sync.demo.money import write_register
from sync.demo.office import direction_rows, write_garuda_stand_in
from sync.demo.plan import progress_values, write_plan_files
from sync.intake.reader import INSTRUCTIONS_SHEET, UNIT_CELL_NAME
from sync.intake.templates import HEADER_ROW, write_template
from sync.office.registry import Unit, office_groups, save_registry
from sync.office.settings import BANGKOK, Settings, write_config
from sync.registers.direction import start_direction

DEMO_FY, DEMO_ROUND = 2569, 12
DISTRICTS = {
    "เมืองสมมุติ": ["เครือข่ายเมืองสมมุติ 1", "เครือข่ายเมืองสมมุติ 2", "เครือข่ายเมืองสมมุติ 3"],
    "นาทดลอง": ["เครือข่ายนาทดลอง 1", "เครือข่ายนาทดลอง 2"],
    "ภูตัวอย่าง": ["เครือข่ายภูตัวอย่าง 1", "เครือข่ายภูตัวอย่าง 2"],
    "โคกจำลอง": ["เครือข่ายโคกจำลอง 1", "เครือข่ายโคกจำลอง 2"],
    "หนองสาธิต": ["เครือข่ายหนองสาธิต 1", "เครือข่ายหนองสาธิต 2", "เครือข่ายหนองสาธิต 3"],
}
PLACES = ["นา", "โคก", "หนอง", "ดอน", "โนน", "ห้วย", "ป่า", "คำ", "ท่า", "วัง", "สระ", "บึง"]
QUALITIES = [
    "ดี",
    "ใหญ่",
    "น้อย",
    "งาม",
    "แสง",
    "ทอง",
    "สว่าง",
    "เจริญ",
    "สามัคคี",
    "พัฒนา",
    "ศรี",
    "มิตรภาพ",
    "หว้า",
    "แก",
    "เรือ",
    "ไผ่",
    "บัว",
]
MISTAKE_COLUMNS = ("unit_code", "mistake", "sheet", "cell", "rule")


@dataclass(frozen=True)
class DemoFile:
    """One workbook (or broken file) the demo drops in the inbox."""

    unit: Unit
    typed_unit: Unit
    values: dict[str, list[dict[str, Any]]]
    submitted_at: dt.datetime
    form_set: str
    rename_header: tuple[str, str, str] | None = None  # (sheet, cell, new text)
    drop_sheet: str | None = None
    raw: bytes | None = None
    file_name: str = "แบบรายงาน.xlsx"


def build_registry(schools: int, rng: random.Random) -> list[Unit]:
    """Fictional schools spread over districts and networks, plus the office's groups."""
    units: list[Unit] = []
    names: set[str] = set()
    networks = [(district, network) for district, nets in DISTRICTS.items() for network in nets]
    for index in range(schools):
        district, network = networks[index % len(networks)]
        pupils = int(min(1500, max(15, math.exp(rng.gauss(4.75, 0.95)))))
        base = name = f"บ้าน{rng.choice(PLACES)}{rng.choice(QUALITIES)}"
        copies = 1
        while name in names:  # villages share names; number them as real registries do
            copies += 1
            name = f"{base} {copies}"
        names.add(name)
        levels = "อนุบาล-มัธยมศึกษาตอนต้น" if pupils > 250 or rng.random() < 0.2 else "อนุบาล-ประถมศึกษา"
        units.append(
            Unit(
                code=f"99{index + 1:06d}",
                name_th=f"{name} (สมมุติ)",
                kind="school",
                district=district,
                network=network,
                size=school_size(pupils),
                pupils=pupils,
                contact=f"school{index + 1:03d}@demo.invalid",
                source="esaplan demo",
                levels=levels,
            )
        )
    for group in office_groups()[:9]:  # the nine groups; the audit unit puts no projects in the demo
        units.append(
            Unit(
                code=group.code,
                name_th=group.name_th,
                kind="group",
                source="esaplan demo",
                contact=f"{group.code.lower()}@demo.invalid",
            )
        )
    return units


def _grades(unit: Unit) -> list[str]:
    codes = ["K1", "K2", "K3", "P1", "P2", "P3", "P4", "P5", "P6"]
    return codes + (["M1", "M2", "M3"] if "มัธยม" in unit.levels else [])


def school_values(unit: Unit, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """Plausible values for every form of the school set."""
    grades = _grades(unit)
    weights = [0.6 if g.startswith("K") else 1.0 for g in grades]
    total = unit.pupils or 60
    per_grade = [max(0, round(total * w / sum(weights) * rng.uniform(0.85, 1.15))) for w in weights]
    labels = {g.code: g.th for g in all_grades()}
    enrolment, plan = [], []
    for code, pupils in zip(grades, per_grade, strict=True):
        limit = 30 if code.startswith("K") else 40
        male = round(pupils * rng.uniform(0.45, 0.55))
        rooms = max(1, math.ceil(pupils / limit)) if pupils else 0
        enrolment.append({"grade": labels[code], "male": male, "female": pupils - male, "rooms": rooms})
        planned = max(0, round(pupils * rng.uniform(0.9, 1.05)))
        plan.append(
            {
                "grade": labels[code],
                "planned_pupils": planned,
                "planned_rooms": max(1, math.ceil(planned / limit)) if planned else 0,
            }
        )
    tuition = sum(per_head(code, n, "tuition", DEMO_FY) for code, n in zip(grades, per_grade, strict=True))
    utilities = Decimal(rng.randrange(30_000, 180_000, 500))
    use = []
    for line, category, allocated in (
        ("ค่าจัดการเรียนการสอน (เงินอุดหนุนรายหัว)", "งบเงินอุดหนุน", tuition),
        ("ค่าสาธารณูปโภค", "งบดำเนินงาน", utilities),
    ):
        disbursed = (allocated * Decimal(str(round(rng.uniform(0.7, 0.97), 2)))).quantize(Decimal("0.01"))
        committed = min(allocated - disbursed, (allocated * Decimal("0.02")).quantize(Decimal("0.01")))
        use.append(
            {"line": line, "category": category, "allocated": allocated, "committed": committed, "disbursed": disbursed}
        )
    reports = []
    for indicator in kpis(reported_by="school", fiscal_year=DEMO_FY):
        if indicator.aggregate == "population":  # children of the age in the school's service area, and those it serves
            surveyed = round(total * rng.uniform(0.9, 1.1))
            reports.append(
                {
                    "kpi": indicator.code,
                    "numerator": round(surveyed * rng.uniform(0.93, 1.0)),
                    "denominator": surveyed,
                    "note": "สำมะโนเขตบริการ",
                }
            )
        elif indicator.aggregate == "ratio":
            base = total if indicator.measure != "teachers" else max(3, total // 20)
            share = rng.uniform(0.78, 1.0) if (indicator.target or 100) > 50 else rng.uniform(0.05, 0.2)
            reports.append({"kpi": indicator.code, "numerator": round(base * share), "denominator": base})
        elif indicator.aggregate == "share":
            reports.append({"kpi": indicator.code, "numerator": 1 if rng.random() < 0.85 else 0, "denominator": 1})
        elif indicator.aggregate == "mean":
            reports.append({"kpi": indicator.code, "numerator": round(rng.uniform(35, 60), 2), "note": "คะแนนเฉลี่ย"})
        else:
            reports.append(
                {"kpi": indicator.code, "numerator": round(total * rng.uniform(0.03, 0.12)), "note": "จำนวนนักเรียน"}
            )
    requests = [
        {
            "category": "งบลงทุน",
            "item": rng.choice(["ครุภัณฑ์คอมพิวเตอร์", "ซ่อมแซมอาคารเรียน", "โต๊ะเก้าอี้นักเรียน"]),
            "amount": rng.randrange(50_000, 900_000, 1000),
            "priority": p,
            "reason": "ทดแทนของเดิมที่ชำรุด",
        }
        for p in range(1, rng.randint(2, 3) + 1)
    ]
    transfers = [_transfer(requested_on=dt.date(2026, 9, rng.randint(1, 25)))] if rng.random() < 0.3 else []
    return {
        "enrolment": enrolment,
        "class_plan": plan,
        "budget_use": use,
        "kpi_report": reports,
        "budget_request": requests,
        "transfer_request": transfers,
    }


def _transfer(**changes: Any) -> dict[str, Any]:
    """A school's ordinary transfer request (materials to services, same output), with ``changes``."""
    request = {
        "from_plan": "แผนงานพื้นฐาน",
        "from_project": "ผลผลิตผู้จบการศึกษาภาคบังคับ",
        "from_category": "งบดำเนินงาน",
        "from_item": "ค่าวัสดุ",
        "from_balance": 80_000,
        "to_plan": "แผนงานพื้นฐาน",
        "to_project": "ผลผลิตผู้จบการศึกษาภาคบังคับ",
        "to_category": "งบดำเนินงาน",
        "to_item": "ค่าใช้สอย",
        "amount": 20_000,
        "reason": "ซ่อมแซมห้องเรียน",
    }
    return {**request, **changes}


def group_values(plan: dict[str, list[dict[str, Any]]], rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """Project progress on the group's own plan, and its budget use."""
    projects = progress_values(plan, rng, dt.date(2026, 9, 30))
    allocated = sum(p["budget_allocated"] for p in projects)
    use = [
        {
            "line": "ค่าใช้จ่ายตามแผนปฏิบัติการ",
            "category": "งบดำเนินงาน",
            "allocated": allocated,
            "committed": 0,
            "disbursed": sum(p["budget_used"] for p in projects),
        }
    ]
    return {"project_progress": projects, "budget_use": use}


def _column_of(form_code: str, key: str) -> str:
    columns = forms()[form_code].columns
    return column_letter(next(i for i, c in enumerate(columns) if c.key == key))


def plan_files(
    units: list[Unit], rng: random.Random, plans: dict[str, dict[str, list[dict[str, Any]]]], *, mistakes: bool = True
) -> tuple[list[DemoFile], list[dict[str, str]]]:
    """What each unit hands in (some nothing, some late), and the planted mistakes."""
    deadline_day = dt.date(2026, 10, 15)
    files: list[DemoFile] = []
    planted: list[dict[str, str]] = []
    schools = [u for u in units if u.kind == "school"]
    missing = set(u.code for u in schools[-6:]) if mistakes else set()
    for index, unit in enumerate(units):
        if unit.code in missing:
            continue
        late = mistakes and index % 13 == 5
        day = (
            deadline_day + dt.timedelta(days=rng.randint(1, 12))
            if late
            else deadline_day - dt.timedelta(days=rng.randint(0, 14))
        )
        when = dt.datetime.combine(day, dt.time(rng.randint(8, 16), rng.randint(0, 59)), BANGKOK)
        values = school_values(unit, rng) if unit.kind == "school" else group_values(plans[unit.code], rng)
        files.append(DemoFile(unit, unit, values, when, "school" if unit.kind == "school" else "group"))
    if not mistakes:
        return files, planted

    def plant(position: int, mistake: str, sheet: str, cell: str, rule: str, **changes: Any) -> None:
        file = files[position]
        files[position] = replace(file, **changes)
        planted.append({"unit_code": file.unit.code, "mistake": mistake, "sheet": sheet, "cell": cell, "rule": rule})

    enr, use, req, trf = (
        forms()["enrolment"],
        forms()["budget_use"],
        forms()["budget_request"],
        forms()["transfer_request"],
    )
    v = files[2].values
    v["enrolment"][3]["male"] = "๒๕"
    plant(2, "ตัวเลขไทย", enr.sheet, f"{_column_of('enrolment', 'male')}{HEADER_ROW + 4}", "NORMALISED", values=v)
    v = files[3].values
    v["budget_use"][0]["allocated"] = f"{v['budget_use'][0]['allocated']:,}"
    plant(
        3,
        "ตัวเลขมีจุลภาค 1,234",
        use.sheet,
        f"{_column_of('budget_use', 'allocated')}{HEADER_ROW + 1}",
        "NORMALISED",
        values=v,
    )
    v = files[4].values
    v["budget_use"].insert(1, {})
    plant(4, "แถวว่างระหว่างข้อมูล", use.sheet, f"A{HEADER_ROW + 2}", "BLANK-ROW", values=v)
    plant(
        5,
        "เปลี่ยนชื่อหัวตาราง",
        enr.sheet,
        f"{_column_of('enrolment', 'male')}{HEADER_ROW}",
        "HEADER",
        rename_header=(enr.sheet, f"{_column_of('enrolment', 'male')}{HEADER_ROW}", "จำนวนชายทั้งหมด"),
    )
    plant(6, "ลบแผ่นงาน", forms()["class_plan"].sheet, "-", "MISSING-SHEET", drop_sheet=forms()["class_plan"].sheet)
    plant(7, "กรอกรหัสโรงเรียนผิด", INSTRUCTIONS_SHEET, UNIT_CELL_NAME, "WRONG-UNIT", typed_unit=files[8].unit)
    v = files[9].values
    v["enrolment"][4]["female"] = "สิบสอง"
    plant(
        9, "ข้อความในช่องตัวเลข", enr.sheet, f"{_column_of('enrolment', 'female')}{HEADER_ROW + 5}", "TYPE-COUNT", values=v
    )
    v = files[10].values
    v["budget_request"][0]["reason"] = '=HYPERLINK("http://example.invalid","คลิก")'
    plant(
        10,
        "ข้อความขึ้นต้นด้วย =",
        req.sheet,
        f"{_column_of('budget_request', 'reason')}{HEADER_ROW + 1}",
        "TEXT-NOT-FORMULA",
        values=v,
    )
    v = files[11].values
    v["budget_use"][1]["disbursed"] = v["budget_use"][1]["allocated"] + 5000
    plant(
        11,
        "เบิกจ่ายเกินงบที่ได้รับ",
        use.sheet,
        f"{_column_of('budget_use', 'disbursed')}{HEADER_ROW + 2}",
        "USE-DISBURSED",
        values=v,
    )
    v = files[12].values
    v["transfer_request"] = [
        _transfer(
            from_balance=30_000, to_project="โครงการพัฒนาคุณภาพ", to_item="ค่าวัสดุ", amount=45_000, reason="จัดซื้อวัสดุการเรียน"
        )
    ]
    plant(
        12,
        "ขอโอนเกินยอดคงเหลือ",
        trf.sheet,
        f"{_column_of('transfer_request', 'amount')}{HEADER_ROW + 1}",
        "BALANCE",
        values=v,
    )
    v = files[15].values
    v["transfer_request"] = [_transfer(requested_on="๒๐ ก.ย. ๒๕๖๙")]
    plant(
        15,
        "วันที่แบบไทย พ.ศ. เป็นข้อความ",
        trf.sheet,
        f"{_column_of('transfer_request', 'requested_on')}{HEADER_ROW + 1}",
        "NORMALISED",
        values=v,
    )
    plant(
        13,
        "ส่งไฟล์ที่ไม่ใช่ Excel",
        "(ไฟล์)",
        "-",
        "FILE-NOT-XLSX",
        raw=b"%PDF-1.4\n% not a workbook\n",
        file_name="รายงาน.xlsx",
    )
    plant(14, "ส่งไฟล์มีแมโคร (.xlsm)", "(ไฟล์)", "-", "FILE-MACRO", raw=_macro_workbook(), file_name="รายงาน.xlsm")
    return files, planted


def _macro_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types><Override ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>',
        )
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/vbaProject.bin", b"\x00" * 64)
    return buffer.getvalue()


def _write_file(job: tuple[DemoFile, Path, int, int]) -> None:
    file, folder, fiscal_year, round_ = job
    target = folder / file.unit.code / file.file_name
    target.parent.mkdir(parents=True, exist_ok=True)
    if file.raw is not None:
        target.write_bytes(file.raw)
    else:
        write_template(
            form_sets()[file.form_set],
            target,
            fiscal_year=fiscal_year,
            round_=round_,
            unit=file.typed_unit,
            values=file.values,
        )
        if file.rename_header or file.drop_sheet:
            book = load_workbook(target)
            if file.rename_header:
                sheet, cell, text = file.rename_header
                book[sheet][cell] = text
            if file.drop_sheet:
                del book[file.drop_sheet]
            book.save(target)
    stamp = file.submitted_at.timestamp()
    os.utime(target, (stamp, stamp))


def write_files(
    files: Iterable[DemoFile], inbox: Path, fiscal_year: int, round_: int, *, workers: int | None = None
) -> None:
    """Write the demo workbooks into the inbox (in parallel: openpyxl writing is the slow part)."""
    jobs = [(f, inbox, fiscal_year, round_) for f in files]
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    if workers > 1 and len(jobs) > 20:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            list(pool.map(_write_file, jobs, chunksize=8))
    else:
        for job in jobs:
            _write_file(job)


def build_demo(
    settings: Settings, *, schools: int = 200, seed: int = 2570, mistakes: bool = True
) -> list[dict[str, str]]:
    """Create the demo area in ``settings.home``: registry, config, inbox files; returns the planted mistakes."""
    rng = random.Random(seed)
    settings.ensure_folders()
    write_config(settings)
    write_garuda_stand_in(settings.home)
    start_direction(settings, settings.fiscal_year, direction_rows(settings.office.name))
    units = build_registry(schools, rng)
    save_registry(units, settings.registry_path)
    plans, _ = write_plan_files(
        settings.home, [u for u in units if u.kind == "group"], settings.fiscal_year, random.Random(seed + 1)
    )
    files, planted = plan_files(units, rng, plans, mistakes=mistakes)
    write_files(files, settings.inbox, settings.fiscal_year, settings.round)
    if mistakes:
        shutil.copy(settings.inbox / files[0].unit.code / files[0].file_name, settings.inbox / "ไฟล์ไม่ทราบที่มา.xlsx")
        planted.append(
            {
                "unit_code": "?",
                "mistake": "ไฟล์ไม่ทราบว่ามาจากหน่วยใด",
                "sheet": "(inbox)",
                "cell": "-",
                "rule": "UNKNOWN-UNIT",
            }
        )
    write_census(settings.home / "population.csv", files, units, rng)
    reported = {  # what each school's files say it was given (a second version says it again; a planted mistake says nothing usable)
        (f.unit.code, row["line"], row["allocated"])
        for f in files
        if f.unit.kind == "school" and f.raw is None and f.typed_unit == f.unit
        for row in f.values.get("budget_use", [])
        if isinstance(row.get("allocated"), (int, Decimal)) and isinstance(row.get("line"), str)
    }
    write_register(settings, sorted(reported))
    with (settings.home / "demo-mistakes.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=MISTAKE_COLUMNS)
        writer.writeheader()
        writer.writerows(planted)
    return planted
