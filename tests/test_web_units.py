"""The round's table of units on the area's real registry (260 schools and the office's groups),
used in Debian's chromium the way staff use it on a desktop and on a phone: sorted, paged,
exported, and the links for every school still missing taken as one list for a chat.

Every page is then checked with axe-core (Deque's own package, fetched with npm like office.js)
at 390 px and 1366 px: no serious or critical finding.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from sync.cli import main
from tests.conftest import npm_package, serve_command
from tests.hand_area import HandArea, enrolment, real_registry

AXE_VERSION = "4.10.3"
PASSWORD = "รหัสผ่านยาวพอ123"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-output" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def area(tmp_path_factory: pytest.TempPathFactory) -> HandArea:
    """The real registry, four schools' workbooks typed by hand (one with a wrong entry, one saved in
    another school's folder, one file nobody can be tied to), consolidated, and a staff login."""
    home = tmp_path_factory.mktemp("units") / "kk5"
    registry = real_registry(home)
    found = HandArea(home, 2570, 6)
    template = found.templates()
    found.fill("40050001", {"ข้อมูลนักเรียน": enrolment([(10, 12, 1), (8, 9, 1)])}, template=template)
    found.fill("40050002", {"ข้อมูลนักเรียน": enrolment([(5, "สิบ", 1)])}, template=template)
    found.fill("40050003", {"ข้อมูลนักเรียน": enrolment([(7, 8, 1)])}, template=template, folder="40050004")
    stray = found.fill("40050005", {"ข้อมูลนักเรียน": enrolment([(3, 4, 1)])}, template=template)
    stray.rename(home / "inbox" / "ไม่รู้ว่าของใคร.xlsx")
    assert found.consolidate().exit_code == 0
    added = CliRunner().invoke(
        main, ["users", "add", "somjai", "--name", "สมใจ ใจดี", "--home", str(home)], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert added.exit_code == 0, added.output
    assert len(registry) == 260
    return found


@pytest.fixture(scope="module")
def base(area: HandArea):
    with serve_command(area.home) as url:
        yield url


@pytest.fixture(scope="module")
def axe() -> Path:
    return npm_package("axe-core", AXE_VERSION) / "axe.min.js"


def _log_in(page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "somjai")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{base}/?fy=2570&round=6")


def _codes(page) -> list[str]:
    return page.eval_on_selector_all("#units tbody tr[data-unit]", "rows => rows.map(r => r.dataset.unit)")


def test_260_schools_are_paged_sorted_and_fit_a_phone(chromium, base):
    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = phone.new_page()
    _log_in(page, base)
    total = int(re.search(r"จาก (\d+) หน่วย", page.inner_text("#units-count")).group(1))
    assert total >= 260 and len(_codes(page)) == 50
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    height = page.evaluate("document.documentElement.scrollHeight")
    first = _codes(page)

    page.click(".pager a[rel=next]")
    assert page.inner_text(".pager [aria-current=page]") == "2"
    second = _codes(page)
    assert len(second) == 50 and not set(first) & set(second) and second == sorted(second) and first[-1] < second[0]

    page.select_option("select[name=sort]", "errors")  # a phone has no table header to tap: the form sorts
    page.select_option("select[name=desc]", "1")
    page.click("#units-panel form.inline button[type=submit]")
    top = page.locator("#units tbody tr").first
    assert top.get_attribute("data-unit") == "40050002" and "มีข้อผิดพลาด" in top.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "20-units-phone.png"), full_page=False)
    phone.close()
    assert height < 30_000, f"a page of 50 units is {height} px tall on a phone"


def test_the_file_no_unit_can_be_tied_to_and_the_wrong_folder_are_said_in_full(chromium, base):
    page = chromium.new_page(viewport=DESKTOP)
    _log_in(page, base)
    notices = page.inner_text("#notices")
    assert "ไม่ทราบหน่วย" in notices and "ไม่รู้ว่าของใคร.xlsx" in notices and "inbox/<รหัสหน่วย>/" in notices
    page.goto(f"{base}/?text=40050004")
    assert "มีข้อผิดพลาด" in page.inner_text("#units tr[data-unit='40050004']")
    page.click("#units tr[data-unit='40050004'] a")
    assert "40050003" in page.inner_text("main")
    page.close()


def test_the_table_is_exported_whole_as_csv_and_xlsx_with_its_filter(chromium, base, area):
    page = chromium.new_page(viewport=DESKTOP, accept_downloads=True)
    _log_in(page, base)
    with page.expect_download() as caught:
        page.click("#export-csv")
    raw = Path(caught.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel on a Thai PC needs the BOM to read UTF-8"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    with (area.home / "registry.csv").open(encoding="utf-8-sig") as handle:
        registered = {row["smis_code"] for row in csv.DictReader(handle)}
    assert rows[0][:2] == ["รหัส", "ชื่อหน่วย"] and registered <= {r[0] for r in rows[1:]}
    assert next(r for r in rows if r[0] == "40050002")[4] == "มีข้อผิดพลาด"

    page.click("#units th a.sort:has-text('สถานะ')")  # on a desktop the header sorts, again reverses
    page.click("#units th a.sort:has-text('สถานะ')")
    assert page.get_attribute("#units th[aria-sort]", "aria-sort") == "descending"
    assert page.inner_text("#units tbody tr >> nth=0").count("ส่งตรงเวลา") == 1
    page.select_option("select[name=status]", "missing")
    page.click("#units-panel form.inline button[type=submit]")
    with page.expect_download() as caught:
        page.click("#export-xlsx")
    assert caught.value.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(caught.value.path()).read_bytes())).active
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    shown = int(re.search(r"จาก (\d+) หน่วย", page.inner_text("#units-count")).group(1))
    assert len(values) == shown > 50 and {v[4] for v in values} == {"ยังไม่ส่ง"}
    page.close()


def test_links_for_every_missing_school_come_as_one_list_and_each_opens_its_school(chromium, base):
    context = chromium.new_context(viewport=DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    _log_in(page, base)
    page.goto(f"{base}/?fy=2570&round=6&district=หนองเรือ&status=missing")
    missing = int(re.search(r"\((\d+) หน่วย\)", page.inner_text("#links-for-missing")).group(1))
    page.click("#links-for-missing")
    lines = page.input_value("#links-text").strip().splitlines()
    assert len(lines) == missing > 0 and all(
        re.fullmatch(r".+ \(\d{8}\): http://127\.0\.0\.1:\d+/s/\S+", line) for line in lines
    )
    page.click("button[data-copy-from=links-text]")
    assert page.evaluate("navigator.clipboard.readText()").strip().splitlines() == lines
    page.screenshot(path=str(SCREENSHOTS / "21-links-for-missing.png"), full_page=False)

    page.go_back()
    page.click("#links-for-missing")
    assert page.input_value("#links-text").strip().splitlines() == lines, "pressing again hands out the same links"
    name, code = re.fullmatch(r"(.+) \((\d{8})\): .+", lines[0]).groups()
    school = context.new_page()
    school.goto(lines[0].rsplit(": ", 1)[1])
    assert code in school.inner_text("h1") or name in school.inner_text("h1")
    context.close()


PAGES = (
    "/?fy=2570&round=6",
    "/?fy=2570&round=6&page=3&sort=status",
    "/units/40050002",
    "/units/40050004",
    "/money",
    "/audit",
)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1366px"])
def test_no_page_has_a_serious_accessibility_finding(chromium, base, area, axe, viewport):
    anonymous = chromium.new_context(viewport=viewport, bypass_csp=True)  # axe is put into each page
    page = anonymous.new_page()
    page.goto(f"{base}/login")
    found = {"/login": _serious(page, axe)}
    anonymous.close()

    context = chromium.new_context(viewport=viewport, bypass_csp=True)
    page = context.new_page()
    _log_in(page, base)
    for path in PAGES:
        page.goto(base + path)
        found[path] = _serious(page, axe)
    page.goto(f"{base}/?fy=2570&round=6&status=missing")
    page.click("#links-for-missing")
    found["/links/missing"] = _serious(page, axe)
    page.goto(page.input_value("#links-text").splitlines()[0].rsplit(": ", 1)[1])
    found["school: upload"] = _serious(page, axe)
    page.set_input_files("input[type=file]", str(area.home / "inbox" / "40050002" / "แบบรายงาน.xlsx"))
    page.click("#send")
    assert page.locator("#result").count() == 1
    found["school: result"] = _serious(page, axe)
    context.close()
    assert found == {path: [] for path in found}


def _serious(page, axe: Path) -> list[str]:
    """axe-core's serious and critical findings on the page as it is: rule id and the first element."""
    page.add_script_tag(path=str(axe))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['nodes'][0]['target']}" for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]
