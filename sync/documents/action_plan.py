"""The annual action plan (แผนปฏิบัติการประจำปี; seed part 4, 2.3 steps 6-8: handed to every school and
published) in the structure Thai area offices print it:

    ปก, การให้ความเห็นชอบ, คำนำ, สารบัญ,
    ส่วนที่ ๑ บทนำ (the area in figures), ส่วนที่ ๒ ทิศทางการพัฒนาการศึกษา (values, vision, missions,
    goals, strategies and their indicators), ส่วนที่ ๓ โครงการและงบประมาณ, ส่วนที่ ๔ การบริหารแผนสู่การ
    ปฏิบัติและการติดตามประเมินผล.

Every figure comes from the office's own data: the registry and the round's master (ส่วนที่ ๑), the
KPI catalogue (strategies and indicators, by name: codes stay in the workbooks), the plan register
(projects and money, so the tables add up to it by construction), the envelope (``envelope.csv``) and
the direction workbook (:mod:`sync.registers.direction`). A plan over its envelope, or still missing
its vision, missions, goals or foreword, prints only as a draft: ร่าง on the cover and on every page.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pythainlp.util import thai_strftime

from rules.budget_sources import plan_source
from rules.kpi import Kpi, kpis, plan_period, strategies
from rules.money import baht_text, format_number
from rules.plan import QUARTER_MONTHS_TH, Register
from rules.thai import BANGKOK, reporting_rounds, thai_digits
from rules.transfers import category_th
from sync.documents.basics import basics_tables
from sync.documents.docx import (
    NothingToReport,
    Written,
    chart,
    document_names,
    documents_dir,
    save_with_contents,
    total_sentence,
)
from sync.documents.look import centre, contents, cover, indented, new_document, new_page, numbered, turn_page
from sync.documents.progress import round_data
from sync.documents.tables import word_table
from sync.master.data import MasterData
from sync.office.settings import Settings
from sync.registers.direction import Direction, direction_path, read_direction, start_direction
from sync.registers.plan import load_register, read_envelope

PARTS = (
    "ส่วนที่ ๑ บทนำ",
    "ส่วนที่ ๒ ทิศทางการพัฒนาการศึกษา",
    "ส่วนที่ ๓ โครงการและงบประมาณ",
    "ส่วนที่ ๔ การบริหารแผนสู่การปฏิบัติและการติดตามประเมินผล",
)


def kpi_number(kpi: Kpi) -> str:
    """``S1.4`` as a Thai plan cites it: ตัวชี้วัดที่ ๑.๔ (strategy 1, its 4th indicator)."""
    return f"{thai_digits(kpi.strategy)}.{thai_digits(kpi.number)}"


def over_envelope(register: Register, envelope: dict[str, Decimal] | None) -> dict[str, Decimal]:
    """Each budget source whose projects cost more than its envelope, by how much (baht)."""
    if not envelope:
        return {}
    return {
        code: amount - envelope.get(code, Decimal(0))
        for code, amount in register.by_source().items()
        if amount > envelope.get(code, Decimal(0))
    }


def draft_reasons(register: Register, envelope: dict[str, Decimal] | None, direction: Direction) -> list[str]:
    """Why the plan can only be a draft, in Thai; empty when it can be signed."""
    reasons = [
        f"{plan_source(code).th} เกินวงเงิน {format_number(amount)} บาท"
        for code, amount in over_envelope(register, envelope).items()
    ]
    if missing := direction.missing_th():
        reasons.append(f"ยังไม่ได้กรอก {' '.join(missing)}")
    return reasons + direction.problems


def plan_document(
    settings: Settings, fiscal_year: int, register: Register, data: MasterData, pages: dict[str, int]
) -> Any:
    envelope = read_envelope(settings.home / "envelope.csv", fiscal_year)
    direction = read_direction(settings, fiscal_year)
    draft = bool(draft_reasons(register, envelope, direction))
    year = thai_digits(fiscal_year)
    office = settings.office.in_thai_digits()
    document = new_document(draft=draft)
    title = f"แผนปฏิบัติการประจำปีงบประมาณ พ.ศ. {year}"
    cover(document, title, office.name, office.garuda_path(settings.home), draft=draft)
    _approval(document, settings, fiscal_year, register)
    centre(document, "คำนำ", "Title")
    for paragraph in direction.foreword or [f"(ยังไม่ได้เขียนคำนำ: กรอกใน {direction_path(settings, fiscal_year).name})"]:
        indented(document, paragraph)
    for text in ("", office.section, office.name, _month_year()):
        centre(document, text).paragraph_format.left_indent = document.sections[0].page_width // 3
    new_page(document)
    contents(document, [(part, pages.get(part)) for part in PARTS])
    _introduction(document, settings, fiscal_year, data, envelope)
    _direction(document, fiscal_year, direction)
    _projects(document, fiscal_year, register, envelope)
    _management(document, settings, fiscal_year)
    return document


def _month_year() -> str:
    return thai_digits(thai_strftime(dt.datetime.now(BANGKOK).replace(tzinfo=None), "%B %Y"))


def _approval(document: Any, settings: Settings, fiscal_year: int, register: Register) -> None:
    office, year = settings.office.in_thai_digits(), thai_digits(fiscal_year)
    centre(document, f"การให้ความเห็นชอบแผนปฏิบัติการประจำปีงบประมาณ พ.ศ. {year}", "Title")
    total = register.total
    indented(
        document,
        f"{office.name} ได้จัดทำแผนปฏิบัติการประจำปีงบประมาณ พ.ศ. {year} เพื่อเป็นกรอบและทิศทางการดำเนินงาน "
        f"ตามกลยุทธ์ของ{plan_period(fiscal_year).th} ประกอบด้วยโครงการ {thai_digits(len(register.projects))} โครงการ "
        f"งบประมาณรวม {thai_digits(format_number(total))} บาท ({baht_text(total)})",
    )
    indented(document, "จึงให้ความเห็นชอบแผนปฏิบัติการฉบับนี้ และให้ทุกกลุ่มงานและสถานศึกษาในสังกัดดำเนินการตามแผนต่อไป")
    for index, text in enumerate(
        (
            "ลงชื่อ ......................................................",
            f"({office.director or '......................................................'})",
            office.signatory_title,
            "วันที่ ........ เดือน .............................. พ.ศ. ..........",
        )
    ):
        line = centre(document, text)
        line.paragraph_format.left_indent = document.sections[0].page_width // 4
        if index == 0:
            line.paragraph_format.space_before = document.sections[0].top_margin
    new_page(document)


def _introduction(
    document: Any, settings: Settings, fiscal_year: int, data: MasterData, envelope: dict[str, Decimal] | None
) -> None:
    document.add_heading(PARTS[0], level=1)
    schools = [u for u in data.registry.values() if u.kind == "school"]
    districts = sorted({u.district for u in schools if u.district})
    unplaced = sum(1 for u in schools if not u.district)
    office = settings.office.in_thai_digits()
    indented(
        document,
        f"{office.name}{' ตั้งอยู่ ' + thai_digits(office.address) if office.address else ''} "
        f"มีสถานศึกษาในสังกัด {thai_digits(len(schools))} แห่ง ใน {thai_digits(len(districts))} อำเภอ "
        f"ได้แก่ {' '.join(districts)}"
        + (f" (ทะเบียนไม่ระบุอำเภอ {thai_digits(unplaced)} แห่ง)" if unplaced else "")
        + " ข้อมูลพื้นฐานในแผนนี้มาจากทะเบียนสถานศึกษาและแบบรายงานที่สถานศึกษาส่ง"
        f"ในรอบ {thai_digits(data.settings.round)} เดือน ปีงบประมาณ พ.ศ. {thai_digits(data.settings.fiscal_year)}",
    )
    basics_tables(document, data, "๑")
    document.add_heading("๑.๓ วงเงินงบประมาณที่ได้รับ", level=2)
    if envelope:
        rows: list[list[Any]] = [[plan_source(code).th, amount] for code, amount in envelope.items()]
        rows.append(["รวม", sum(envelope.values(), Decimal(0))])
        word_table(document, ["แหล่งงบประมาณ", "วงเงิน (บาท)"], rows, totals=(len(rows) - 1,), numeric=(1,))
    else:
        document.add_paragraph("ยังไม่มีวงเงินงบประมาณ (envelope.csv) ของปีนี้")


def _direction(document: Any, fiscal_year: int, direction: Direction) -> None:
    document.add_heading(PARTS[1], level=1)
    period = plan_period(fiscal_year)
    note = f"กลยุทธ์และตัวชี้วัดในส่วนนี้เป็นไปตาม{period.th} ({period.source})"
    if not period.covers(fiscal_year):
        note += (
            f" ซึ่งกำหนดช่วงปี พ.ศ. {thai_digits(period.first_fiscal_year)}-{thai_digits(period.last_fiscal_year)} "
            "และยังใช้อยู่จนกว่าจะมีแผนฉบับใหม่"
        )
    indented(document, thai_digits(note))
    for number, (title, items) in enumerate(
        (
            ("ค่านิยม", direction.values),
            ("วิสัยทัศน์", direction.vision),
            ("พันธกิจ", direction.missions),
            ("เป้าประสงค์", direction.goals),
        ),
        start=1,
    ):
        document.add_heading(f"๒.{thai_digits(number)} {title}", level=2)
        if not items:
            document.add_paragraph("(ยังไม่ได้กรอก)")
        elif title in ("พันธกิจ", "เป้าประสงค์"):
            numbered(document, items)
        else:
            for item in items:
                indented(document, item)
    document.add_heading("๒.๕ กลยุทธ์และตัวชี้วัดความสำเร็จ", level=2)
    by_strategy: dict[int, list[Kpi]] = {}
    for kpi in kpis(fiscal_year=fiscal_year):
        by_strategy.setdefault(kpi.strategy, []).append(kpi)
    for number, name in strategies(fiscal_year).items():
        document.add_heading(f"กลยุทธ์ที่ {thai_digits(number)} {thai_digits(name)}", level=3)
        document.add_paragraph("ตัวชี้วัดความสำเร็จ")
        numbered(
            document,
            [
                thai_digits(
                    f"{k.name_th}" + (f" (ค่าเป้าหมาย {format_number(k.target)})" if k.target is not None else "")
                )
                for k in by_strategy.get(number, [])
            ],
            prefix=f"{thai_digits(number)}.",
        )


def _projects(document: Any, fiscal_year: int, register: Register, envelope: dict[str, Decimal] | None) -> None:
    document.add_heading(PARTS[2], level=1)
    year = thai_digits(fiscal_year)
    catalogue = {k.code: k for k in kpis(fiscal_year=fiscal_year)}
    served = register.served_kpis()
    document.add_heading("๓.๑ งบประมาณจำแนกตามกลยุทธ์", level=2)
    rows: list[list[Any]] = []
    for number, name in strategies(fiscal_year).items():
        codes = [k for k in served if k.startswith(f"S{number}.")]
        rows.append(
            [
                f"กลยุทธ์ที่ {thai_digits(number)} {thai_digits(name)}",
                len(register.projects_of_strategy(number)),
                len(codes),
                register.by_strategy().get(number, Decimal(0)),
            ]
        )
    rows.append(["รวม", len(register.projects), len(served), register.total])
    word_table(
        document,
        ["กลยุทธ์", "โครงการ", "ตัวชี้วัดที่มีโครงการตอบ", "งบประมาณ (บาท)"],
        rows,
        totals=(len(rows) - 1,),
        numeric=(1, 2, 3),
    )
    chart(
        document,
        "งบประมาณตามกลยุทธ์",
        [f"กลยุทธ์ที่ {n}" for n in strategies(fiscal_year)],
        {"งบประมาณ": [float(register.by_strategy().get(n, 0)) / 1e6 for n in strategies(fiscal_year)]},
        unit="ล้านบาท",
    )
    turn_page(document, landscape=True)  # the project table needs the width, as printed plans give it
    document.add_heading("๓.๒ โครงการจำแนกตามกลยุทธ์", level=2)
    for number, name in strategies(fiscal_year).items():
        projects = register.projects_of_strategy(number)
        if not projects:
            continue
        document.add_heading(f"กลยุทธ์ที่ {thai_digits(number)} {thai_digits(name)}", level=3)
        rows = []
        for index, project in enumerate(projects, start=1):
            cited = [kpi_number(catalogue[c]) for c in project.kpis if c in catalogue]
            rows.append(
                [
                    thai_digits(index),
                    f"{project.name}\nกิจกรรม: {', '.join(project.activity_names())}",
                    ", ".join(cited),
                    project.budget,
                    "\n".join(f"ไตรมาส {thai_digits(q)}" for q in sorted(project.quarters)),
                    f"{project.group_th}\n{project.responsible}",
                ]
            )
        rows.append(["", f"รวมกลยุทธ์ที่ {thai_digits(number)}", "", sum((p.budget for p in projects), Decimal(0)), "", ""])
        word_table(
            document,
            ["ที่", "โครงการ/กิจกรรม", "ตัวชี้วัดที่", "งบประมาณ (บาท)", "ระยะเวลา", "ผู้รับผิดชอบ"],
            rows,
            totals=(len(rows) - 1,),
            numeric=(3,),
            centred=(0, 2),
        )
    document.add_paragraph(
        "ตัวชี้วัดที่ อ้างถึงตัวชี้วัดความสำเร็จในส่วนที่ ๒ ข้อ ๒.๕ (กลยุทธ์.ลำดับ); ระยะเวลาเป็นไตรมาสของปีงบประมาณ ("
        + " ".join(f"ไตรมาส {thai_digits(q)} {m}" for q, m in QUARTER_MONTHS_TH.items())
        + ")"
    )
    turn_page(document, landscape=False)
    document.add_heading("๓.๓ สรุปงบประมาณ", level=2)
    envelope = envelope or {}
    rows = [
        [plan_source(code).th, amount, envelope.get(code), (envelope[code] - amount) if code in envelope else None]
        for code, amount in register.by_source().items()
    ]
    rows.append(["รวม", register.total, sum(envelope.values(), Decimal(0)) if envelope else None, None])
    word_table(
        document,
        ["แหล่งงบประมาณ", "โครงการ (บาท)", "วงเงิน (บาท)", "คงเหลือ (บาท)"],
        rows,
        totals=(len(rows) - 1,),
        numeric=(1, 2, 3),
    )
    rows = [[category_th(code), amount] for code, amount in register.by_category().items()]
    rows.append(["รวม", register.total])
    word_table(document, ["งบรายจ่าย", "งบประมาณ (บาท)"], rows, totals=(len(rows) - 1,), numeric=(1,))
    rows = [[group, amount] for group, amount in register.by_group().items()]
    rows.append(["รวม", register.total])
    word_table(document, ["กลุ่มงาน", "งบประมาณ (บาท)"], rows, totals=(len(rows) - 1,), numeric=(1,))
    total_sentence(
        document,
        f"รวมงบประมาณตามแผนปฏิบัติการประจำปีงบประมาณ พ.ศ. {year} ทั้งสิ้น {thai_digits(len(register.projects))} โครงการ เป็นเงิน",
        register.total,
    )


def _management(document: Any, settings: Settings, fiscal_year: int) -> None:
    """ส่วนที่ ๔: how the plan is carried out and followed (seed part 4, 2.3 steps 9-10 and 4.1-4.2)."""
    document.add_heading(PARTS[3], level=1)
    section = settings.office.section
    document.add_heading("๔.๑ การบริหารแผนสู่การปฏิบัติ", level=2)
    numbered(
        document,
        [
            "เผยแพร่แผนปฏิบัติการแก่กลุ่มงานในสำนักงานและสถานศึกษาในสังกัด และชี้แจงโครงการ ตัวชี้วัด และงบประมาณ",
            "กลุ่มงานเจ้าของโครงการดำเนินโครงการตามไตรมาสที่กำหนด และขออนุมัติใช้งบประมาณตามระเบียบ",
            f"การเปลี่ยนแปลงโครงการหรืองบประมาณระหว่างปี เสนอผ่าน{section} เพื่อตรวจสอบกับวงเงินและกลยุทธ์ก่อนขออนุมัติ",
        ],
    )
    document.add_heading("๔.๒ การติดตามและประเมินผล", level=2)
    rounds = reporting_rounds(fiscal_year)
    indented(
        document,
        f"ติดตามผลการดำเนินงาน {thai_digits(len(rounds))} รอบ ได้แก่ "
        + " ".join(
            f"รอบ {thai_digits(r.months)} เดือน (สิ้นสุด {thai_digits(thai_strftime(dt.datetime.combine(r.ends, dt.time()), '%-d %B %Y'))})"
            for r in rounds
        )
        + f" กลุ่มงานรายงานความก้าวหน้าโครงการ และสถานศึกษารายงานผลตัวชี้วัดและการใช้งบประมาณตามแบบรายงาน "
        f"{section}รวบรวม ตรวจสอบ และจัดทำรายงานผลการดำเนินงานรายรอบและรายงานประจำปีเสนอผู้บริหาร "
        "รวมทั้งรายงานในระบบติดตามและประเมินผลแห่งชาติ (eMENSCR)",
    )


def write_plan(settings: Settings, fiscal_year: int) -> Written:
    """The plan's DOCX and PDF; ``Written.draft_th`` says why it is only a draft, if it is."""
    register = load_register(settings, fiscal_year)
    if not register.projects:
        raise NothingToReport(
            f"ยังไม่มีแผนของกลุ่มใดที่ผ่านการตรวจในปีงบประมาณ {fiscal_year}: วางไฟล์แผนของกลุ่มใน plan/inbox/<รหัสกลุ่ม>/ แล้วสั่ง esaplan plan",
            f"no accepted group plan for FY {fiscal_year}: put the groups' plan files in plan/inbox/<group code>/ and run esaplan plan",
            fiscal_year=fiscal_year,
        )
    start_direction(settings, fiscal_year)
    data = round_data(settings)
    name = document_names(fiscal_year, settings.round)["plan"]
    path = documents_dir(settings, fiscal_year) / f"{name}.docx"
    written = save_with_contents(lambda pages: plan_document(settings, fiscal_year, register, data, pages), path)
    reasons = draft_reasons(
        register, read_envelope(settings.home / "envelope.csv", fiscal_year), read_direction(settings, fiscal_year)
    )
    return Written(written.docx, written.pdf, written.note_th, "; ".join(reasons))
