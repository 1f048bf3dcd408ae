"""The web pages as staff and schools use them: the real `esaplan serve` (waitress) on loopback,
driven by Debian's chromium through Playwright.

Screenshots land in test-output/screenshots/ for a person to look at; the assertions check what
the pages say, not how they look.
"""

from __future__ import annotations

import hashlib
import shutil
import time
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import urljoin

import openpyxl
import pytest

from tests.conftest import serve_command

SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-output" / "screenshots"
PHONE = {"width": 390, "height": 844}
ENROLMENT = "ข้อมูลนักเรียน"
HISTORY = "section:has(h2:has-text('ประวัติการส่ง')) summary"


@pytest.fixture
def server(demo_copy: Path) -> Iterator[str]:
    with serve_command(demo_copy) as base:
        yield base


@pytest.fixture(scope="module")
def whole_area(demo200: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the 200-school demo (the area's real size), so a consolidation lasts long enough to watch."""
    home = tmp_path_factory.mktemp("area200") / "area"
    shutil.copytree(demo200, home)
    return home


def _shot(page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def _password(home: Path) -> str:
    return (home / "demo-login.txt").read_text(encoding="utf-8").split("password: ")[1].strip()


def _log_in(page, base: str, home: Path) -> None:
    page.goto(f"{base}/")
    page.fill("input[name=username]", "demo")
    page.fill("input[name=password]", _password(home))
    page.click("button[type=submit]")
    page.wait_for_selector("#consolidate-button")


def _new_link(page, base: str, code: str) -> str:
    page.goto(f"{base}/units/{code}")
    page.click("#create-link")
    return page.inner_text("#new-link").strip()


def _re_version(inbox: Path) -> tuple[int, int]:
    """Give every inbox file new bytes (a zip comment) so the next run checks each of them again;
    returns (files, versions): a file outside a school's folder is only reported, and the demo's
    copies of one file stay one version."""
    files = sorted(inbox.rglob("*.xlsx"))
    for path in files:
        with zipfile.ZipFile(path, "a") as archive:
            archive.comment = b"sent again"
    return len(files), len(
        {(p.parent.name, hashlib.sha256(p.read_bytes()).digest()) for p in files if p.parent != inbox}
    )


def _follow_job(page, timeout_s: float = 120) -> tuple[list[str], list[int]]:
    """The percentages the page shows while the job runs, until it shows the finished job, and
    those the job's progress URL (the one the page polls every 0.7 s) gave when asked every 50 ms:
    a run of 200 schools takes a second or two, so the page itself may catch no step between."""
    seen: list[str] = []
    reported: list[int] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            url = page.get_attribute("#job", "data-url", timeout=1000)
            if url:
                percent_now = page.request.get(urljoin(page.url, url)).json()["percent"]
                if not reported or reported[-1] != percent_now:
                    reported.append(percent_now)
            percent = page.inner_text("#job-percent", timeout=1000)
            if not seen or seen[-1] != percent:
                seen.append(percent)
            if 0 < int(percent.rstrip("%")) < 100 and not (SCREENSHOTS / "02-consolidating.png").exists():
                _shot(page, "02-consolidating", full_page=False)
            if page.get_attribute("#job", "data-status", timeout=1000) == "done" and page.is_visible("#job-summary"):
                return seen, reported
        except Exception as exc:  # the page reloads itself when the job ends
            if (
                "Timeout" not in type(exc).__name__
                and "context was destroyed" not in str(exc)
                and "navigat" not in str(exc)
            ):
                raise
        time.sleep(0.05)
    pytest.fail(f"the job did not finish; the page showed {seen}")


def test_staff_log_in_consolidate_with_live_progress_and_download_the_master(chromium, whole_area, tmp_path):
    home = tmp_path / "area"
    shutil.copytree(whole_area, home)
    with serve_command(home) as server:
        _staff_session(chromium, server, home, tmp_path)


def _staff_session(chromium, server: str, home: Path, tmp_path: Path) -> None:
    page = chromium.new_page(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page.goto(f"{server}/")
    assert "/login" in page.url
    page.fill("input[name=username]", "demo")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert page.inner_text("[role=alert]") == "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง"
    _shot(page, "01-login-refused")
    page.fill("input[name=password]", _password(home))
    page.click("button[type=submit]")
    assert "ภาพรวมการส่งข้อมูล ปีงบประมาณ 2569 รอบ 12 เดือน" in page.inner_text("h1")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "02-consolidating.png").unlink(missing_ok=True)
    files, contents = _re_version(home / "inbox")
    page.click("#consolidate-button")
    seen, reported = _follow_job(page)
    assert seen[-1] == "100%" and int(seen[0].rstrip("%")) < 100, seen  # the page showed the job before it ended
    assert reported[-1] == 100 and any(0 < p < 100 for p in reported), (
        reported
    )  # what the page polls moved step by step
    assert f"ไฟล์ที่พบ {files} · ฉบับใหม่ {contents} ·" in page.inner_text("#job-summary")
    assert page.inner_text("#job-phase") == "เสร็จสิ้น" and page.is_enabled("#consolidate-button")
    _shot(page, "03-consolidated", full_page=False)

    with page.expect_download() as started:
        page.click("#download-master")
    master = tmp_path / started.value.suggested_filename
    started.value.save_as(master)
    assert master.name == "esaplan-master-FY2569-R12.xlsx"
    assert _versions_in(master) == {2}, "the new master holds the versions this run stored"

    page.click("summary:has-text('ไฟล์รวมรุ่นก่อน')")
    with page.expect_download() as earlier:
        page.click("details a")
    previous = tmp_path / "previous.xlsx"
    earlier.value.save_as(previous)
    assert (
        earlier.value.suggested_filename.startswith("esaplan-master-FY2569-R12")
        and earlier.value.suggested_filename != master.name
    )
    assert _versions_in(previous) == {1}, "the earlier master is the one the demo wrote"

    page.select_option("select[name=status]", "errors")
    page.click("button:has-text('กรอง')")
    flagged = page.locator("#units tbody tr[data-unit]")
    assert flagged.count() > 0 and all(
        "ข้อผิดพลาด" in t for t in flagged.locator("td[data-label=สถานะ]").all_inner_texts()
    )
    page.locator("#units").scroll_into_view_if_needed()
    _shot(page, "04-filtered-errors", full_page=False)

    page.click(f"#units a:has-text('{flagged.first.get_attribute('data-unit')}')")
    assert page.locator("h1").inner_text().strip() != "" and page.locator("#links").is_visible()
    page.click("#create-link")
    assert "/s/" in page.inner_text("#new-link")
    assert "demo · สร้างลิงก์ส่งข้อมูล" in page.inner_text("body") and "ขนาด" in page.inner_text("table")
    _shot(page, "05-unit-page")
    page.close()


def _versions_in(master: Path) -> set[int]:
    """The submission versions (column ฉบับที่) behind the master's enrolment rows, re-read with openpyxl."""
    book = openpyxl.load_workbook(master, read_only=True)
    rows = book[ENROLMENT].iter_rows(values_only=True)
    column = next(rows).index("ฉบับที่")
    versions = {int(row[column]) for row in rows}
    book.close()
    return versions


def _cells(page, rows: str) -> list[list[str]]:
    """The text of each cell of the rows, whatever layout the phone's narrow screen gives them."""
    return page.eval_on_selector_all(rows, "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))")


def _bad_copy(source: Path, target: Path) -> Path:
    """The school's own workbook with a number written in words and one in Thai digits."""
    book = openpyxl.load_workbook(source)
    book[ENROLMENT]["C8"] = "สิบสอง"
    book[ENROLMENT]["B5"] = "๒๕"
    book.save(target)
    return target


def test_a_school_on_a_phone_uploads_a_bad_file_and_reads_the_thai_messages(chromium, server, demo_copy, tmp_path):
    staff = chromium.new_page()
    _log_in(staff, server, demo_copy)
    link = _new_link(staff, server, "99000001")
    staff.close()

    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = phone.new_page()
    page.goto(link)
    assert page.inner_text("h1").startswith("ส่งแบบรายงาน:") and page.locator("nav").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (
        "the school page must fit a phone screen"
    )
    _shot(page, "06-school-phone")

    own = next((demo_copy / "inbox" / "99000001").iterdir())
    page.set_input_files("input[type=file]", str(_bad_copy(own, tmp_path / "แบบรายงาน 99000001.xlsx")))
    page.click("#send")
    result = page.inner_text("#result")
    assert "พบข้อผิดพลาด 1 รายการ" in result and "แก้ไขตามรายการด้านล่างแล้วส่งใหม่" in result
    rows = _cells(page, "#issues tbody tr")
    error = next(r for r in rows if r[2] == "C8")
    assert error[:2] == ["ข้อผิดพลาด", ENROLMENT] and "'หญิง (คน)'" in error[3] and "สิบสอง" in error[3]
    assert any(r[2] == "B5" and "อ่าน '๒๕' เป็น 25" in r[3] for r in rows)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert _cells(page, "#history tbody tr")[0][3] == "แบบรายงาน 99000001.xlsx"
    _shot(page, "07-school-phone-errors")

    page.set_input_files("input[type=file]", str(own))
    page.click("#send")
    assert "รับไฟล์แล้ว ข้อมูลผ่านการตรวจสอบ" in page.inner_text("#result")
    assert page.locator("#history tbody tr").count() >= 2
    phone.close()


def test_a_school_link_cannot_submit_for_another_school(chromium, server, demo_copy):
    staff = chromium.new_page()
    _log_in(staff, server, demo_copy)
    link = _new_link(staff, server, "99000003")
    staff.goto(f"{server}/units/99000004")
    before = staff.locator(HISTORY).all_inner_texts()
    staff.close()

    page = chromium.new_page(viewport=PHONE)
    page.goto(link)
    page.set_input_files("input[type=file]", str(next((demo_copy / "inbox" / "99000004").iterdir())))
    page.click("#send")
    result = page.inner_text("#result")
    assert "ไม่รับไฟล์นี้" in result
    assert any("ไม่ตรงกับผู้ส่ง 99000003" in row for row in page.locator("#issues tbody tr").all_inner_texts())
    _shot(page, "08-wrong-school")
    page.close()

    staff = chromium.new_page()
    _log_in(staff, server, demo_copy)
    staff.goto(f"{server}/units/99000004")
    assert staff.locator(HISTORY).all_inner_texts() == before, "nothing was recorded for the other school"
    staff.goto(f"{server}/units/99000003")
    assert "ไม่รับ" in staff.locator(HISTORY).first.inner_text(), "the refused file is kept in the sender's own history"
    staff.close()


def test_staff_make_the_years_documents_from_the_dashboard_and_download_them(chromium, server, demo_copy, tmp_path):
    """The documents panel of the selected year: each document made by its button, listed with its files,
    downloaded whole; a year with no plan says why in Thai and makes nothing."""
    import docx

    from sync.office.settings import load_settings
    from sync.registers.plan import load_register

    page = chromium.new_page(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    _log_in(page, server, demo_copy)
    plan_row = "#document-list tr[data-kind=plan]"
    assert page.locator(f"{plan_row} a.file").all_inner_texts() == ["ทะเบียนแผนปฏิบัติการ-FY2569.xlsx"], (
        "the demo wrote the register, not the document"
    )

    page.click(f"{plan_row} button")
    page.wait_for_selector("#documents .alert.ok")
    assert "สร้างแผนปฏิบัติการประจำปีใหม่แล้ว" in page.inner_text("#documents .alert.ok")
    listed = page.locator(f"{plan_row} a.file").all_inner_texts()
    assert listed == ["แผนปฏิบัติการ-FY2569.pdf", "แผนปฏิบัติการ-FY2569.docx", "ทะเบียนแผนปฏิบัติการ-FY2569.xlsx"]
    with page.expect_download() as started:
        page.click(f"{plan_row} a.file:has-text('.docx')")
    saved = tmp_path / started.value.suggested_filename
    started.value.save_as(saved)
    register = load_register(load_settings(demo_copy), 2569)
    strategies_table = next(t for t in docx.Document(str(saved)).tables if t.rows[0].cells[0].text == "กลยุทธ์")
    total_row = [cell.text for cell in strategies_table.rows[-1].cells]
    assert register.projects and total_row[0] == "รวม" and Decimal(total_row[-1].replace(",", "")) == register.total, (
        "the downloaded plan states the register's total"
    )
    with page.expect_download() as printed:
        page.click(f"{plan_row} a.file:has-text('.pdf')")
    assert Path(printed.value.path()).read_bytes()[:5] == b"%PDF-"

    emenscr_row = "#document-list tr[data-kind=emenscr]"
    page.click(f"{emenscr_row} button")
    page.wait_for_selector("#documents .alert.ok")
    assert page.locator(f"{emenscr_row} a.file").all_inner_texts() == [
        "eMENSCR-FY2569-R12.xlsx",
        "eMENSCR-FY2569-R12.csv",
    ]
    assert page.inner_text(f"{plan_row} td:nth-child(3)") != "-"
    page.locator("#documents").scroll_into_view_if_needed()
    _shot(page, "09-documents", full_page=False)

    page.goto(f"{server}/?fy=2570&round=6")
    page.click(f"{plan_row} button")
    page.wait_for_selector("#documents .alert.err")
    refused = page.inner_text("#documents .alert.err")
    plan_files = len(list((demo_copy / "plan" / "inbox").rglob("*.xlsx")))
    assert "ยังไม่มีไฟล์แผนของปีงบประมาณ 2570" in refused and f"พบไฟล์ของปีอื่น {plan_files} ไฟล์" in refused, (
        "the 2569 plans are not taken for 2570"
    )
    assert "ยังไม่ได้สร้าง" in page.inner_text(plan_row) and "2570" in page.inner_text("#documents-title")
    assert (
        not (demo_copy / "documents" / "FY2570").exists()
        and not (demo_copy / "plan" / "ทะเบียนแผนปฏิบัติการ-FY2570.xlsx").exists()
    )
    _shot(page, "10-documents-no-plan", full_page=False)

    page.goto(f"{server}/audit")
    log = page.inner_text("main")
    assert "สร้างเอกสารใหม่" in log and "ดาวน์โหลดเอกสาร" in log and "สร้างเอกสารไม่ได้" in log
    page.close()


def test_staff_record_the_allocation_register_and_make_the_letters_from_the_dashboard(
    chromium, server, demo_copy, tmp_path
):
    """The register workbook as staff filled it, recorded by the button (who pressed is in the ledger),
    its balances on the register page, and the letters made and downloaded."""
    from sync.ledger.database import open_ledger
    from sync.office.settings import load_settings
    from sync.registers.money import entries, start_workbook
    from tests.test_allocation_register import ALLOCATIONS, LETTERS, _fill

    settings = load_settings(demo_copy)
    _fill(
        start_workbook(settings, 2569), LETTERS, [*ALLOCATIONS, ["ศธ 04002/ว1234", "ค่าสาธารณูปโภค", "99000003", 90000]]
    )  # 10,000 over
    page = chromium.new_page(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    _log_in(page, server, demo_copy)
    page.click("#document-list tr[data-kind=money] button")
    page.wait_for_selector("#documents .alert")
    assert "สร้างทะเบียนคุมการจัดสรรงบประมาณใหม่แล้ว" in page.inner_text("#documents .alert.ok")
    assert {e.actor for e in entries(open_ledger(settings.database_url), 2569)} == {"demo"}

    page.click("nav a:has-text('ทะเบียนคุมการจัดสรร')")
    rows = _cells(page, "#register-lines tbody tr")
    assert [
        "ศธ 04002/ว1234",
        "ค่าสาธารณูปโภค",
        "งบเงินอุดหนุน",
        "300,000.00",
        "0.00",
        "0.00",
        "310,101.00",
        "-10,101.00",
        "3",
    ] in rows
    assert "จัดสรรเกินวงเงิน 10,101 บาท" in page.inner_text("#register-issues")
    _shot(page, "11-register", full_page=False)

    page.goto(f"{server}/")
    page.click("#document-list tr[data-kind=letters] button")
    page.wait_for_selector("#documents .alert.ok")
    with page.expect_download() as started:
        page.click("#document-list tr[data-kind=letters] a.file:has-text('.pdf')")
    assert Path(started.value.path()).read_bytes()[:5] == b"%PDF-"
    page.close()


def _apps_script_says(base: str, code: str, tmp_path: Path) -> str:
    """ESA_BAHTTEXT(101) as the generated Code.gs answers it in Node with ``code`` in the person's user properties."""
    from addin.appsscript import apps_script
    from tests.conftest import NODE
    from tests.node_scripts import NODE_APPS_SCRIPT_BAHTTEXT, node_json

    if NODE is None:
        pytest.skip("node not installed")
    (tmp_path / "Code.js").write_text(apps_script(), encoding="utf-8")
    (tmp_path / "sheets.js").write_text(NODE_APPS_SCRIPT_BAHTTEXT, encoding="utf-8")
    return node_json(tmp_path / "sheets.js", tmp_path / "Code.js", base, code)


def test_staff_make_their_own_formula_code_see_it_once_and_revoke_it(chromium, server, demo_copy, tmp_path):
    """A person's own code, made on the web page, works in Google Sheets' generated script; it may not
    consolidate (formulas only); it is shown once; revoked, the sheet says so at its next call."""
    import requests

    page = chromium.new_page()
    _log_in(page, server, demo_copy)
    page.click("text=รหัสเชื่อมต่อสูตร")
    page.fill("#label", "Google Sheets งบประมาณ")
    page.click("#make-code")
    code = page.inner_text("#new-code").strip()
    _shot(page, "formula-code-made")
    assert code.startswith("esaf_") and "แสดงครั้งนี้ครั้งเดียว" in page.inner_text("#new-code-panel")

    assert _apps_script_says(server, code, tmp_path) == "หนึ่งร้อยเอ็ดบาทถ้วน"
    consolidate = requests.post(f"{server}/api/consolidate", json={}, headers={"X-Esaplan-Token": code}, timeout=30)
    assert consolidate.status_code == 403 and "ใช้ได้กับสูตรเท่านั้น" in consolidate.json()["error"]

    page.goto(f"{server}/formula-codes")
    assert code not in page.content()  # shown once: the page never shows it again
    row = page.locator("#codes tbody tr").first
    assert "Google Sheets งบประมาณ" in row.inner_text() and "ยังไม่เคยใช้" not in row.inner_text()  # its use is noted
    row.locator("button:has-text('ยกเลิกรหัส')").click()
    page.wait_for_selector("text=ยกเลิกรหัส Google Sheets งบประมาณ แล้ว")
    _shot(page, "formula-code-revoked")
    said = _apps_script_says(server, code, tmp_path)
    assert "รหัสเชื่อมต่อของท่านไม่ถูกต้องหรือถูกยกเลิกแล้ว" in said and "รหัสเชื่อมต่อสูตร" in said

    page.goto(f"{server}/audit")
    log = page.inner_text("main")
    assert "สร้างรหัสเชื่อมต่อสูตรของตนเอง" in log and "ยกเลิกรหัสเชื่อมต่อสูตรของตนเอง" in log
    with_scope = requests.Session()
    assert with_scope.get(f"{server}/api/formulas", headers={"X-Esaplan-Token": code}, timeout=30).status_code == 401
