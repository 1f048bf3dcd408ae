"""The demo office's identity: a made-up office with every ``office_*`` setting filled, so the demo's
letters and documents show the whole government form. Its Garuda is a drawn stand-in saying where the
office's own image goes (esaplan ships no Garuda: see :mod:`sync.office.identity`).
"""

from __future__ import annotations

from pathlib import Path

from sync.office.identity import Office

GARUDA_FILE = "ตราครุฑ-ตัวอย่าง.png"

DEMO_OFFICE = Office(
    name="สำนักงานเขตพื้นที่การศึกษาประถมศึกษาตัวอย่าง เขต 1",
    address="99 ถนนสาธิต ตำบลในเมือง อำเภอเมืองสมมุติ จังหวัดตัวอย่าง 40000",
    book_prefix="ศธ 04999",
    section="กลุ่มนโยบายและแผน",
    phone="0 4399 9999 ต่อ 205",
    email="plan@example.go.th",
    garuda=GARUDA_FILE,
    director="นายสมมุติ ตัวอย่างดี",
)


def write_garuda_stand_in(home: Path) -> Path:
    """A grey ring with the words ตราครุฑ (ตัวอย่าง): 3 cm square at 300 dpi, where the real image goes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.patches import Circle

    from sync.documents.docx import chart_font

    figure = plt.figure(figsize=(1.18, 1.18), dpi=300)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_axis_off()
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.add_patch(Circle((0.5, 0.5), 0.46, fill=False, linewidth=1.5, edgecolor="#777777"))
    axes.text(0.5, 0.56, "ตราครุฑ", ha="center", va="center", fontsize=11, color="#555555", family=chart_font())
    axes.text(0.5, 0.36, "(ตัวอย่าง)", ha="center", va="center", fontsize=7, color="#777777", family=chart_font())
    path = home / GARUDA_FILE
    figure.savefig(path, transparent=True)
    plt.close(figure)
    return path


def direction_rows(office: str) -> list[tuple[str, str]]:
    """The demo office's direction and foreword: the seed office's (part 2, ทิศทางการพัฒนาการศึกษา), under
    the demo office's name."""
    return [
        (
            "คำนำ",
            f"แผนปฏิบัติการประจำปีฉบับนี้ {office} จัดทำขึ้นเพื่อเป็นกรอบและทิศทางการดำเนินงานของสำนักงานและสถานศึกษา"
            "ในสังกัด ให้สอดคล้องกับกลยุทธ์และตัวชี้วัดความสำเร็จของสำนักงาน โดยรวบรวมโครงการที่กลุ่มงานเสนอ"
            "และผ่านการพิจารณาตามวงเงินงบประมาณที่ได้รับ",
        ),
        (
            "คำนำ",
            "ขอขอบคุณผู้บริหาร กลุ่มงาน และสถานศึกษาทุกแห่งที่ร่วมจัดทำแผน และหวังว่าแผนฉบับนี้จะเป็นประโยชน์ต่อการพัฒนาคุณภาพการศึกษาต่อไป",
        ),
        ("ค่านิยม", "นำสมัย ใส่ใจบริการ ทำงานเป็นทีม"),
        ("วิสัยทัศน์", "เป็นองค์กรชั้นนำระดับภูมิภาค ด้านการบริหารจัดการที่มุ่งสู่มาตรฐาน บริการเหนือความคาดหมาย ภายใต้แนวทางศาสตร์พระราชา"),
        ("พันธกิจ", "ส่งเสริมสนับสนุนให้สถานศึกษามุ่งเน้นการจัดการเรียนการสอน เพื่อให้ผู้เรียนมีทักษะในศตวรรษที่ 21"),
        ("พันธกิจ", "เพิ่มโอกาสและความเสมอภาคให้แก่ประชากรวัยเรียนในการเข้าถึงการศึกษาและการเรียนรู้ที่มีคุณภาพ"),
        ("พันธกิจ", "พัฒนาครูและบุคลากรทางการศึกษาให้มีคุณภาพในรูปแบบที่หลากหลายสู่การเป็นมืออาชีพ"),
        ("พันธกิจ", "เพิ่มประสิทธิภาพการบริหารจัดการของสำนักงานเขตพื้นที่และสถานศึกษาสู่ความเป็นเลิศ"),
        ("เป้าประสงค์", "ประชากรวัยเรียนทุกคนได้รับโอกาสในการเข้าถึงการศึกษาและการเรียนรู้ที่มีคุณภาพอย่างทั่วถึง"),
        ("เป้าประสงค์", "ผู้เรียนทุกคนได้รับการพัฒนาให้มีทักษะในศตวรรษที่ 21"),
        ("เป้าประสงค์", "ครูและบุคลากรทางการศึกษาได้รับการพัฒนาสมรรถนะอย่างมีคุณภาพ"),
        ("เป้าประสงค์", f"{office} และสถานศึกษาในสังกัดมีคุณภาพตามมาตรฐาน"),
    ]
