"""The ESA_* formulas: thin wrappers turning spreadsheet arguments into :mod:`rules` calls.

Names are what users type; the ESA_ prefix keeps them clear of Excel's own functions. Each
example is real: the tests run it directly and through every surface.
"""

from __future__ import annotations

from typing import Any

import rules
from addin.registry import FormulaError, Param, as_int, flat, formula, one_or_many, rows_of
from rules.forms import forms, read_sheet, row_of
from rules.grades import grade
from rules.kpi import kpi as kpi_entry
from rules.money import to_decimal

PER_PUPIL_ITEMS = tuple(
    (i["code"], i["th"]) for i in rules.default_parameters().table("per_head.items")["items"] if i["per"] == "pupil"
)


@formula(
    "ESA_ALLOCATE",
    "แบ่งวงเงินตามน้ำหนัก (เช่น จำนวนนักเรียน) ให้ผลรวมตรงวงเงินทุกบาท มีขั้นต่ำ/เพดานได้ ช่องว่างได้ผลว่าง",
    "Split a total over weights so the parts add up exactly; optional floor and cap; blank weights give blanks",
    [
        Param("total", "number", "วงเงินรวม", "total to split"),
        Param("weights", "range", "น้ำหนัก เช่น จำนวนนักเรียนของแต่ละโรงเรียน", "weights, e.g. pupils per school"),
        Param(
            "floor", "any", "ขั้นต่ำต่อราย (ตัวเลขเดียวหรือช่วงเซลล์)", "floor per row (one number or a range)", optional=True
        ),
        Param("cap", "any", "เพดานต่อราย (ตัวเลขเดียวหรือช่วงเซลล์)", "cap per row (one number or a range)", optional=True),
        Param("unit", "number", "หน่วยการปัด เช่น 1 บาท หรือ 100 บาท", "rounding unit, e.g. 1 or 100 baht", optional=True),
    ],
    "column",
    ((100, [[1], [1], [None], [1]]), [[34], [33], [None], [33]]),
)
def esa_allocate(total: Any, weights: Any, floor: Any, cap: Any, unit: Any) -> list[list[Any]]:
    cells = flat(weights)
    present = [i for i, w in enumerate(cells) if w is not None]
    counts = [cells[i] for i in present]
    # pupil counts, the usual weights, are whole and not negative: checked at C speed (30,000 in ~1 ms)
    if not (all(type(w) is int for w in counts) and (not counts or min(counts) >= 0)):
        for index in present:  # read each weight once here, so errors name the row the user sees (blank rows counted)
            raw = cells[index]
            weight = raw if type(raw) is int else to_decimal(raw, f"น้ำหนักแถวที่ {index + 1}")
            if weight < 0:
                raise rules.AllocationError(
                    f"น้ำหนักแถวที่ {index + 1} ติดลบ ({raw})",
                    f"weight in row {index + 1} is negative",
                    input=f"weights[{index}]",
                    value=raw,
                )
            cells[index] = weight
        counts = [cells[i] for i in present]
    floors, caps = one_or_many(floor), one_or_many(cap)

    def pick(bound: Any) -> Any:
        return [bound[i] for i in present] if isinstance(bound, list) else bound

    amounts = rules.allocate(total, counts, floor=pick(floors), cap=pick(caps), unit=unit if unit is not None else 1)
    if len(present) == len(cells):  # no blank rows
        return [[amount] for amount in amounts]
    result: list[list[Any]] = [[None] for _ in cells]
    for index, amount in zip(present, amounts, strict=True):
        result[index] = [amount]
    return result


@formula(
    "ESA_PERHEAD",
    "เงินอุดหนุนรายหัวของระดับ/ชั้นตามอัตราปีงบประมาณ",
    "Per-head money for a level or grade at the fiscal year's rate",
    [
        Param("level", "text", "ระดับหรือชั้น เช่น ประถม, ป.1", "level or grade, e.g. primary, P1"),
        Param("pupils", "number", "จำนวนนักเรียน", "pupils"),
        Param(
            "item",
            "text",
            "รายการ (ว่าง = tuition ค่าจัดการเรียนการสอน)",
            "item (blank = tuition)",
            optional=True,
            choices=PER_PUPIL_ITEMS,
        ),
        Param(
            "fiscal_year", "number", "ปีงบประมาณ พ.ศ. (ว่าง = ปีนี้)", "fiscal year BE (blank = this year)", optional=True
        ),
    ],
    "value",
    (("ป.1", 30, "tuition", 2570), 61560),
)
def esa_perhead(level: Any, pupils: Any, item: Any, fiscal_year: Any) -> Any:
    return rules.per_head(str(level), pupils, str(item or "tuition"), as_int(fiscal_year, 0) or None)


@formula(
    "ESA_SUBSIDY",
    "เงินอุดหนุนรายหัวทุกรายการของหลายโรงเรียน: แถวหัวเป็นชั้น (อ.1 ... ม.3) คอลัมน์แรกเป็นชื่อโรงเรียน",
    "Every per-head item for many schools: header row of grades, first column the school",
    [
        Param(
            "enrolment_table",
            "range",
            "ตารางนักเรียน แถวแรกเป็นชั้น คอลัมน์แรกเป็นโรงเรียน",
            "table: grades across, schools down",
        ),
        Param(
            "fiscal_year", "number", "ปีงบประมาณ พ.ศ. (ว่าง = ปีนี้)", "fiscal year BE (blank = this year)", optional=True
        ),
    ],
    "table",
    (([["โรงเรียน", "ป.1", "ป.2"], ["ก", 10, 12]], 2570), None),
)
def esa_subsidy(table: Any, fiscal_year: Any) -> list[list[Any]]:
    rows = rows_of(table)
    header, body = rows[0], rows[1:]
    grades = [grade(str(h)).code for h in header[1:]]
    items = rules.default_parameters().table("per_head.items")["items"]
    out = [["โรงเรียน", *(i["th"] for i in items), "รวม", "อัตราที่ยังไม่ได้กรอก", "อัตรารอยืนยัน"]]
    names = {i["code"]: i["th"] for i in items}
    for row in body:
        if all(v is None for v in row):
            continue
        enrolment = dict(zip(grades, row[1:], strict=False))
        result = rules.per_head_subsidy(enrolment, as_int(fiscal_year, 0) or None)
        missing = ", ".join(names[item] for item in dict.fromkeys(item for item, _ in result.not_set))
        unconfirmed = ", ".join(names[item] for item in dict.fromkeys(item for item, _ in result.unconfirmed))
        out.append(
            [row[0], *(result.by_item[i["code"]] for i in items), result.total, missing or None, unconfirmed or None]
        )
    return out


_TRANSFER_PARAMS = [
    Param("from_unit", "text", "หน่วยรับงบประมาณต้นทาง", "source unit"),
    Param("from_plan", "text", "แผนงานต้นทาง", "source plan"),
    Param("from_project", "text", "ผลผลิต/โครงการต้นทาง", "source output/project"),
    Param("from_category", "text", "งบรายจ่ายต้นทาง", "source expense category"),
    Param("from_item", "text", "รายการต้นทาง", "source item"),
    Param("from_balance", "number", "ยอดคงเหลือต้นทาง", "source available balance"),
    Param("to_unit", "text", "หน่วยรับงบประมาณปลายทาง", "target unit"),
    Param("to_plan", "text", "แผนงานปลายทาง", "target plan"),
    Param("to_project", "text", "ผลผลิต/โครงการปลายทาง", "target output/project"),
    Param("to_category", "text", "งบรายจ่ายปลายทาง", "target expense category"),
    Param("to_item", "text", "รายการปลายทาง", "target item"),
    Param("amount", "number", "จำนวนเงินที่ขอโอน", "amount to move"),
    Param("leftover", "any", "เป็นเงินเหลือจ่าย (ใช่/ไม่ใช่)", "leftover funds (yes/no)", optional=True),
    Param("new_item", "any", "ปลายทางเป็นรายการใหม่ (ใช่/ไม่ใช่)", "target is a new item (yes/no)", optional=True),
    Param(
        "quantity", "number", "จำนวนหน่วยที่ซื้อ (ใช้ตัดสินราคาต่อหน่วย)", "units bought (to judge the unit price)", optional=True
    ),
    Param("unit_price", "number", "ราคาต่อหน่วย", "price per unit", optional=True),
    Param(
        "item_class",
        "text",
        "ประเภทรายการลงทุนปลายทาง (ค่าครุภัณฑ์ / ค่าที่ดินและสิ่งก่อสร้าง)",
        "target investment class (equipment / land and buildings)",
        optional=True,
    ),
    Param(
        "from_allocated",
        "number",
        "วงเงินที่ได้รับจัดสรรต้นทาง (ใช้ตัดสินเงินเหลือจ่ายที่ต้องส่งคืน)",
        "source allocation (to judge leftovers to return)",
        optional=True,
    ),
    Param("from_budget_code", "text", "รหัสงบประมาณต้นทาง", "source budget code", optional=True),
    Param("to_budget_code", "text", "รหัสงบประมาณปลายทาง", "target budget code", optional=True),
    Param("from_unit_kind", "text", "ประเภทหน่วยต้นทาง เช่น สพป., โรงเรียน สพฐ.", "source unit kind", optional=True),
    Param(
        "to_unit_kind",
        "text",
        "ประเภทหน่วยปลายทาง เช่น โรงเรียน สพฐ., โรงเรียนเทศบาล, เอกชน",
        "target unit kind",
        optional=True,
    ),
]


def _verdict_th(result: rules.TransferResult) -> str:
    """โอนได้, โอนไม่ได้, or ยังตรวจไม่ได้ when the request lacks what the rules need (a unit's kind, a quantity)."""
    return "โอนได้" if result.allowed else "ยังตรวจไม่ได้" if result.authority == "incomplete" else "โอนไม่ได้"


@formula(
    "ESA_TRANSFER_CHECK",
    "ตรวจคำขอโอน/เปลี่ยนแปลงงบประมาณ: โอนได้หรือไม่ ใครอนุมัติ กฎข้อใด",
    "Check one transfer/change request: allowed or not, who approves, which rule",
    _TRANSFER_PARAMS,
    "row",
    (
        (
            "สพป.ขก.5",
            "พื้นฐาน",
            "ผลผลิต 1",
            "งบดำเนินงาน",
            "ค่าวัสดุ",
            50000,
            "สพป.ขก.5",
            "พื้นฐาน",
            "ผลผลิต 2",
            "งบดำเนินงาน",
            "ค่าวัสดุ",
            10000,
        ),
        None,
    ),
    takes_context=True,
)
def esa_transfer_check(*args: Any, context: dict[str, Any]) -> list[list[Any]]:
    names = [p.name for p in _TRANSFER_PARAMS]
    values = dict(zip(names, args, strict=True))
    source = {k[5:]: values[k] for k in names if k.startswith("from_")}
    target = {k[3:]: values[k] for k in names if k.startswith("to_")}
    for name in ("new_item", "quantity", "unit_price", "item_class"):  # what only the target line has
        target[name] = values[name]
    source["leftover"] = values["leftover"]
    result = rules.validate_transfer(source, target, values["amount"], context={"units": context.get("units") or {}})
    return [[_verdict_th(result), result.authority_th, ", ".join(result.rule_ids), result.message_th]]


@formula(
    "ESA_TRANSFERS",
    "ตรวจตารางคำขอโอนทั้งตาราง (หัวตารางตามแบบคำขอโอน) คิดยอดคงเหลือสะสม ได้คอลัมน์ผลตรวจ",
    "Check a whole table of transfer requests (headers as in the request form) with running balances",
    [Param("table", "range", "ตารางคำขอโอน รวมแถวหัวตาราง", "request table with its header row")],
    "column",
    (
        (
            [
                [
                    "จาก-แผนงาน",
                    "จาก-ผลผลิต/โครงการ",
                    "จาก-งบรายจ่าย",
                    "จาก-รายการ",
                    "ยอดคงเหลือต้นทาง (บาท)",
                    "ไป-แผนงาน",
                    "ไป-ผลผลิต/โครงการ",
                    "ไป-งบรายจ่าย",
                    "ไป-รายการ",
                    "จำนวนเงินที่ขอโอน (บาท)",
                    "เหตุผล",
                ],
                [
                    "พื้นฐาน",
                    "ผลผลิต 1",
                    "งบดำเนินงาน",
                    "ค่าวัสดุ",
                    50000,
                    "พื้นฐาน",
                    "ผลผลิต 1",
                    "งบดำเนินงาน",
                    "ค่าใช้สอย",
                    30000,
                    "ซ่อม",
                ],
                [
                    "พื้นฐาน",
                    "ผลผลิต 1",
                    "งบดำเนินงาน",
                    "ค่าวัสดุ",
                    50000,
                    "พื้นฐาน",
                    "ผลผลิต 1",
                    "งบดำเนินงาน",
                    "ค่าใช้สอย",
                    30000,
                    "ซ่อม",
                ],
            ],
        ),
        [
            ["ผลตรวจ"],
            ["โอนได้ ผู้อนุมัติ: ผู้ว่าราชการจังหวัด (CHANGE)"],
            ["โอนไม่ได้/ข้อมูลผิด: โอนไม่ได้: ขอโอน 30,000.00 บาท เกินยอดคงเหลือ 20,000.00 บาท ของรายการต้นทาง"],
        ],
    ),
)
def esa_transfers(table: Any) -> list[list[Any]]:
    grid = rows_of(table)
    form = forms()["transfer_request"]
    sheet = read_sheet(form, grid, unit_code="-")
    by_row: dict[int, list[str]] = {}
    for problem in sheet.problems:
        row = row_of(problem.cell)
        if problem.severity == "error" and row:
            by_row.setdefault(row, []).append(problem.message_th)
    status: list[list[Any]] = [["ผลตรวจ"]]
    rows = {r["_row"]: r for r in sheet.rows}
    for number in range(2, len(grid) + 1):
        if number in by_row:
            status.append(
                ["โอนไม่ได้/ข้อมูลผิด: " + "; ".join(by_row[number])]
            )  # each message says ยังตรวจไม่ได้ where it is so
        elif number in rows and rows[number].get("approval"):
            status.append([f"โอนได้ ผู้อนุมัติ: {rows[number]['approval']} ({rows[number]['rule']})"])
        else:
            status.append([None])
    return status


@formula(
    "ESA_KPI",
    "ค่าร้อยละของตัวชี้วัด ตัวตั้ง/ตัวหาร x 100 (ตัวหารเป็นศูนย์ได้ #DIV/0! เหมือนการหารใน Excel)",
    "KPI percentage numerator/denominator x 100 (#DIV/0! when the denominator is 0, as Excel divides)",
    [Param("numerator", "number", "ตัวตั้ง", "numerator"), Param("denominator", "number", "ตัวหาร", "denominator")],
    "value",
    ((3, 7), 42.86),
)
def esa_kpi(numerator: Any, denominator: Any) -> Any:
    value = rules.kpi_value(numerator, denominator)
    if value is None:  # the master says "no result"; a cell says what Excel's own division says
        raise FormulaError("ตัวหารเป็นศูนย์: ยังคิดร้อยละไม่ได้", kind="div0")
    return value


@formula(
    "ESA_KPI_STATUS",
    "สถานะตัวชี้วัดในรอบ 6/9/12 เดือน เทียบค่าเป้าหมาย",
    "KPI status at the 6/9/12-month round against its target",
    [
        Param("kpi_code", "text", "รหัสตัวชี้วัด เช่น S2.4", "KPI code, e.g. S2.4"),
        Param("actual", "number", "ผลที่ได้", "actual value"),
        Param(
            "round",
            "number",
            "รอบ 6 9 หรือ 12 (ว่าง = 12)",
            "round 6, 9 or 12 (blank = 12)",
            optional=True,
            choices=((6, "รอบ 6 เดือน"), (9, "รอบ 9 เดือน"), (12, "รอบ 12 เดือน (ทั้งปี)")),
        ),
    ],
    "value",
    (("S2.4", 10, 12), "บรรลุเป้าหมาย"),
)
def esa_kpi_status(code: Any, actual: Any, round_: Any) -> str:
    return rules.kpi_status(str(code), actual, as_int(round_, 12)).th


@formula(
    "ESA_KPI_TARGET",
    "ค่าเป้าหมายของตัวชี้วัด",
    "A KPI's target",
    [Param("kpi_code", "text", "รหัสตัวชี้วัด", "KPI code")],
    "value",
    (("S2.4",), 10),
)
def esa_kpi_target(code: Any) -> Any:
    entry = kpi_entry(str(code))
    return entry.target if entry.target is not None else "เพิ่มขึ้นจากปีก่อน"


@formula(
    "ESA_KPI_NAME",
    "ชื่อตัวชี้วัดตามแผนกลยุทธ์",
    "A KPI's wording in the strategy plan",
    [Param("kpi_code", "text", "รหัสตัวชี้วัด", "KPI code")],
    "value",
    (("S2.9",), "ร้อยละ ๑๐๐ ของสถานศึกษาจัดกิจกรรมส่งเสริมรักการอ่าน"),
)
def esa_kpi_name(code: Any) -> str:
    return kpi_entry(str(code)).name_th
