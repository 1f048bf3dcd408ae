"""The three macros on the surfaces that run Python: xlwings desktop and xlwings Lite."""

from __future__ import annotations

import asyncio

import pytest

import addin.xlwings_udfs as desktop
from addin.macros import allocation_register, validate_grid
from sync.office.settings import load_settings
from tests.conftest import serve
from tests.fake_xlwings import Book, Sheet, lite_namespace

ENROLMENT = [
    ["ชั้น", "ชาย (คน)", "หญิง (คน)", "รวม (คน)", "ห้องเรียน"],
    ["ป.1", 12, 10, None, 1],
    ["ป.2", "สิบ", 9, None, 1],
    ["ป.3", 50, 45, None, 2],
]


class Alerts(list):
    """Excel's app as the macros use it: the alerts shown, and the status bar's texts in order."""

    def __init__(self) -> None:
        super().__init__()
        self.status_texts: list[object] = []

    def alert(self, message: str, title: str = "") -> None:
        self.append(message)

    status_bar = property(
        lambda self: self.status_texts[-1] if self.status_texts else False,
        lambda self, text: self.status_texts.append(text),
    )


@pytest.fixture
def alerts(monkeypatch):
    shown = Alerts()
    monkeypatch.setattr(desktop.xw, "apps", type("Apps", (), {"active": shown})())
    return shown


def test_validate_grid_keys_messages_by_row():
    result = validate_grid("ข้อมูลนักเรียน", ENROLMENT)
    assert result["form"] == "enrolment" and set(result["rows"]) == {"3", "4"}
    assert result["rows"]["4"].startswith("เตือน E4:")


def test_allocation_register_adds_up_and_writes_the_total_in_words():
    table = allocation_register(["ก", "ข"], [1, 2], "๑,๐๐๐")
    assert table[1:3] == [[1, "ก", 1, 333], [2, "ข", 2, 667]] and table[3][-1] == 1000 and table[4][-1] == "หนึ่งพันบาทถ้วน"


def test_desktop_validate_this_sheet_writes_messages_beside_the_data(monkeypatch, alerts):
    book = Book([Sheet("ข้อมูลนักเรียน", ENROLMENT)])
    monkeypatch.setattr(desktop.xw.Book, "caller", staticmethod(lambda: book))
    desktop.validate_this_sheet()
    column = [book.sheets.active.cells.get((row, 6)) for row in range(1, 5)]
    assert (
        column[0] == "ผลตรวจ esaplan"
        and column[1] == ""
        and column[2].startswith("ผิด B3:")
        and column[3].startswith("เตือน E4:")
    )
    assert alerts == ["ตรวจ 3 แถว พบข้อผิดพลาด 1 รายการ"]
    desktop.validate_this_sheet()  # again: over the same column, and the notes are not read as data
    assert max(c for _, c in book.sheets.active.cells) == 6
    assert [book.sheets.active.cells.get((row, 6)) for row in range(1, 5)] == column and alerts[-1] == alerts[0]


def test_desktop_allocation_register_makes_a_formatted_sheet(monkeypatch):
    book = Book([Sheet("รายชื่อ", [["ก", 10], ["ข", 20], ["ค", 30]])], selection=("A1", "B3"), input_box="1000")
    monkeypatch.setattr(desktop.xw.Book, "caller", staticmethod(lambda: book))
    desktop.allocation_register_sheet()
    register = book.sheets[1]
    assert register.name.startswith("ทะเบียนจัดสรร")
    assert register["A1:D6"].value[1:] == [
        [1, "ก", 10, 167],
        [2, "ข", 20, 333],
        [3, "ค", 30, 500],
        ["", "รวม", 60, 1000],
        ["", "ตัวอักษร", "", "หนึ่งพันบาทถ้วน"],
    ]


def test_desktop_consolidate_now_calls_the_service_and_shows_the_summary(monkeypatch, alerts, demo_copy):
    with serve(load_settings(demo_copy), "tok") as base:
        monkeypatch.setenv("ESAPLAN_URL", base)
        monkeypatch.setenv("ESAPLAN_TOKEN", "tok")
        desktop.consolidate_now()
    assert alerts[0].startswith("ปีงบประมาณ 2569 รอบ 12 เดือน") and "enrolment: ส่งแล้ว" in alerts[0]


def test_desktop_consolidate_now_follows_a_long_run_to_its_summary(monkeypatch, alerts, demo_copy):
    monkeypatch.setattr(
        "sync.service.web.api.WAIT_S", 0.0
    )  # the service answers at once with the job, as after 50 s of a long run
    monkeypatch.setattr(desktop, "POLL_S", 0.1)
    with serve(load_settings(demo_copy), "tok") as base:
        monkeypatch.setenv("ESAPLAN_URL", base)
        monkeypatch.setenv("ESAPLAN_TOKEN", "tok")
        desktop.consolidate_now()
    assert alerts[0].startswith("ปีงบประมาณ 2569 รอบ 12 เดือน") and "enrolment: ส่งแล้ว" in alerts[0]
    assert alerts.status_texts[0].startswith("esaplan: กำลังรวมข้อมูล ") and alerts.status_texts[-1] is False


def test_desktop_consolidate_now_says_why_it_failed(monkeypatch, alerts, demo_copy):
    (demo_copy / "registry.csv").unlink()
    with serve(load_settings(demo_copy), "tok") as base:
        monkeypatch.setenv("ESAPLAN_URL", base)
        monkeypatch.setenv("ESAPLAN_TOKEN", "tok")
        desktop.consolidate_now()
    assert alerts[0].startswith("รวมข้อมูลไม่สำเร็จ: ยังไม่มีทะเบียนหน่วยงาน")


def test_lite_consolidate_now_follows_a_long_run_to_its_summary(monkeypatch, demo_copy):
    monkeypatch.setattr("sync.service.web.api.WAIT_S", 0.0)
    with serve(load_settings(demo_copy), "tok") as base:
        book = Book([Sheet("แผ่น1", [[1]])])
        lite = lite_namespace(base, "tok")
        lite["POLL_S"] = 0.1
        asyncio.run(lite["consolidate_now"](book))
    assert book.sheets["esaplan"]["A1"].value == "ปีงบประมาณ 2569 รอบ 12 เดือน"


def test_lite_consolidate_now_writes_the_summary_sheet(demo_copy):
    with serve(load_settings(demo_copy), "tok") as base:
        book = Book([Sheet("แผ่น1", [[1]])])
        asyncio.run(lite_namespace(base, "tok")["consolidate_now"](book))
    summary = book.sheets["esaplan"]
    assert summary["A1"].value == "ปีงบประมาณ 2569 รอบ 12 เดือน"
    assert summary["A2:F2"].value[0] == ["แบบรายงาน", "ต้องส่ง", "ส่งแล้ว", "ส่งช้า", "มีข้อผิดพลาด", "ยังไม่ส่ง"]
    assert summary["A3:B3"].value[0] == ["enrolment", 40]


def test_lite_scripts_validate_and_register_through_the_live_service(live_server):
    base, token, _ = live_server
    lite = lite_namespace(base, token)
    book = Book([Sheet("ข้อมูลนักเรียน", ENROLMENT)])
    asyncio.run(lite["validate_this_sheet"](book))
    asyncio.run(lite["validate_this_sheet"](book))  # twice: one notes column
    assert book.sheets.active.cells[(1, 6)] == "ผลตรวจ esaplan" and book.sheets.active.cells[(3, 6)].startswith(
        "ผิด B3:"
    )
    assert max(c for _, c in book.sheets.active.cells) == 6
    names = Book([Sheet("รายชื่อ", [[None, 900], ["ก", 1], ["ข", 2]])], selection=("A2", "B3"))
    asyncio.run(lite["allocation_register"](names))
    assert names.sheets[1]["A1:D5"].value[1:3] == [[1, "ก", 1, 300], [2, "ข", 2, 600]]


def test_lite_says_in_thai_where_to_set_the_connection_code(live_server):
    base, _, _ = live_server
    with pytest.raises(ValueError, match="^ESA_BAHTTEXT: ยังไม่ได้ตั้งรหัสเชื่อมต่อ: ตั้งตัวแปร ESAPLAN_TOKEN"):
        asyncio.run(lite_namespace(base, "")["ESA_BAHTTEXT"](101))


def test_desktop_formulas_ask_the_service_when_its_address_is_set(monkeypatch, live_server):
    """One source of truth: with ESAPLAN_URL the PC's UDFs answer what the service answers, dates
    sent as Excel serial numbers; a failure is answered led by Excel's error name, the service's kind
    kept (#DIV/0! stays #DIV/0!), which esaplan.xlsm's VBA turns into the error value."""
    import datetime as dt

    base, token, _ = live_server
    monkeypatch.setenv("ESAPLAN_URL", base)
    monkeypatch.setenv("ESAPLAN_TOKEN", token)
    assert desktop.ESA_BAHTTEXT(101) == "หนึ่งร้อยเอ็ดบาทถ้วน"
    assert desktop.ESA_FISCAL_YEAR(dt.datetime(2024, 10, 1)) == 2568
    assert desktop.ESA_ALLOCATE(100, [[1], [-5]]).startswith("#VALUE! ESA_ALLOCATE: น้ำหนักแถวที่ 2 ติดลบ")
    assert desktop.ESA_KPI(3, 0).startswith("#DIV/0! ESA_KPI: ")
    monkeypatch.setenv("ESAPLAN_TOKEN", "wrong")
    assert desktop.ESA_BAHTTEXT(101).startswith("#VALUE! ESA_BAHTTEXT: ต้องใช้รหัสเชื่อมต่อ")


def test_desktop_validate_names_cells_as_the_sheet_does_when_the_data_starts_at_b2(monkeypatch, alerts):
    sheet = Sheet("ข้อมูลนักเรียน")
    sheet.cells = {(r + 2, c + 2): value for r, row in enumerate(ENROLMENT) for c, value in enumerate(row)}
    monkeypatch.setattr(desktop.xw.Book, "caller", staticmethod(lambda: Book([sheet])))
    desktop.validate_this_sheet()
    assert sheet.cells[(2, 7)] == "ผลตรวจ esaplan" and sheet.cells[(4, 7)].startswith("ผิด C4:")  # "สิบ" is in C4
    assert sheet.cells[(4, 3)] == "สิบ"
