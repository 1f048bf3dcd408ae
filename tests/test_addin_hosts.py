"""The Office add-in and xlwings Lite in their hosts' own engine: Chromium, framed and cross-origin.

Excel on the web shows the task pane in a frame of its own site and loads office.js from
Microsoft's CDN; xlwings Lite runs in Excel from addin.xlwings.org and fetches the service from
there. Both are played here by Debian's chromium: the hosts' pages are served by Playwright at
their real addresses, and office.js is Microsoft's own (npm @microsoft/office-js, fetched once
into the user's cache) served in place of the CDN. Chromium asks before a public site reaches
a local-network address (Local Network Access): a user answers "Allow" once, the tests grant it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from addin import FORMULAS
from sync.service.web import create_app
from tests.conftest import npm_package

OFFICE_JS_VERSION = "1.1.110"
EXCEL_WEB = "https://excel.officeapps.live.com/x/workbook"
LITE = "https://addin.xlwings.org/taskpane"
STRANGER = "https://evil.example/page"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-output" / "screenshots"


@pytest.fixture(scope="session")
def office_js() -> Path:
    """The dist folder of Microsoft's office-js package at a fixed version."""
    return npm_package("@microsoft/office-js", OFFICE_JS_VERSION) / "dist"


def _context(chromium, office_js: Path, pages: dict[str, str]):
    """A browser context where the CDN serves the real office.js and each of ``pages`` (address: HTML) is served as if from its site."""
    context = chromium.new_context(viewport={"width": 400, "height": 760})
    context.grant_permissions(["local-network-access"])

    def cdn(route) -> None:
        path = office_js / route.request.url.split("/lib/1/hosted/", 1)[1].split("?", 1)[0]
        route.fulfill(path=str(path), content_type="application/javascript") if path.is_file() else route.fulfill(
            status=404, body=""
        )

    context.route("https://appsforoffice.microsoft.com/lib/1/hosted/**", cdn)
    for address, html in pages.items():
        context.route(address, _page(html))
    return context


def _page(html: str):
    return lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8")


def _framing(base: str, path: str) -> str:
    return f'<!doctype html><html><body><iframe id="pane" src="{base}{path}" width="380" height="740"></iframe></body></html>'


def _pane(page, base: str):
    page.wait_for_function("() => document.getElementById('pane') !== null")
    for _ in range(100):
        frame = next((f for f in page.frames if f.url.startswith(base)), None)
        if frame is not None:
            return frame
        page.wait_for_timeout(100)
    return None


def test_the_task_pane_runs_framed_by_excel_on_the_web_with_microsofts_office_js(chromium, office_js, live_server):
    base, token, _ = live_server
    context = _context(
        chromium, office_js, {EXCEL_WEB: _framing(base, "/addin/taskpane.html?_host_Info=Excel$Web$16.01$th-TH$$$$0")}
    )
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(EXCEL_WEB)
    pane = _pane(page, base)
    assert pane is not None, console
    pane.wait_for_function("() => typeof CustomFunctions === 'object' && document.readyState === 'complete'")
    registered = pane.evaluate(
        "() => Object.keys(CustomFunctions._association.m_mappings)"
    )  # where office.js keeps associate()'s functions
    assert registered == list(FORMULAS)
    pane.evaluate("token => esaplanSaveToken(token)", token)  # what the pane's Save does
    assert pane.evaluate("() => CustomFunctions._association.m_mappings.ESA_BAHTTEXT([[101]])") == [
        ["หนึ่งร้อยเอ็ดบาทถ้วน"]
    ]  # a one-value formula takes a range (matrix) and Excel shows 1x1 as the value
    column = pane.evaluate(
        "() => CustomFunctions._association.m_mappings.ESA_PERHEAD([['ป.1']], [[30], [''], [12]], 'tuition', [[2570]])"
    )
    assert column == [[61560], [""], [24624]]  # a column of schools in one call, the blank row left blank
    assert pane.evaluate("() => CustomFunctions._association.m_mappings.ESA_ALLOCATE(1000, [[1], [2], [3]], 200)") == [
        [200],
        [320],
        [480],
    ]
    assert pane.evaluate(
        "() => CustomFunctions._association.m_mappings.ESA_ALLOCATE(1000, [[1], [2], [3]], [[200]])"
    ) == [[200], [320], [480]], "Excel passes a floor declared as a range as [[200]]: the same answer"
    assert pane.evaluate(
        "() => CustomFunctions._association.m_mappings.ESA_KPI([[3]], [[0]]).catch((e) => [e.code, e.message])"
    ) == ["#DIV/0!", "ESA.KPI: ตัวหารเป็นศูนย์: ยังคิดร้อยละไม่ได้"], "nothing to divide by is Excel's #DIV/0!"
    refused = pane.evaluate(
        "() => CustomFunctions._association.m_mappings.ESA_ALLOCATE(100, [[1], [-5]]).catch((e) => [e instanceof CustomFunctions.Error, e.code, e.message])"
    )
    assert refused == [
        True,
        "#VALUE!",
        "ESA.ALLOCATE: น้ำหนักแถวที่ 2 ติดลบ (-5)",
    ]  # an Excel error IFERROR catches, named as typed there
    assert not [text for text in console if "Content Security Policy" in text or "Refused" in text], console
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "addin-taskpane-excel-web.png"))
    context.close()


def test_no_other_site_may_frame_the_add_in_and_no_site_the_staff_pages(chromium, office_js, live_server):
    base, _, _ = live_server
    context = _context(
        chromium, office_js, {STRANGER: _framing(base, "/addin/taskpane.html"), EXCEL_WEB: _framing(base, "/login")}
    )
    for address in (STRANGER, EXCEL_WEB):
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message, console=console: console.append(message.text))
        page.goto(address)
        page.wait_for_timeout(1500)
        assert not any(f.url.startswith(base) for f in page.frames), address
        assert any("frame-ancestors" in text or "X-Frame-Options" in text for text in console), console
    context.close()


LITE_FETCH = """async ([base, token]) => {
  try {
    const response = await fetch(`${base}/api/formulas/ESA_BAHTTEXT`, {
      method: "POST", headers: { "Content-Type": "application/json", "X-Esaplan-Token": token }, body: JSON.stringify({ args: [101] }),
    });
    return [response.status, (await response.json()).result ?? null, response.headers.get("X-Esaplan-Rules")];
  } catch (error) {
    return ["failed", error.name];
  }
}"""


def test_xlwings_lite_reaches_the_api_from_its_own_site_and_no_other_does(chromium, office_js, live_server):
    """A JSON POST with the token header is not a simple request: Chromium sends the preflight first."""
    from rules import rules_version

    base, token, _ = live_server
    context = _context(
        chromium,
        office_js,
        {LITE: "<!doctype html><title>xlwings Lite</title>", STRANGER: "<!doctype html><title>?</title>"},
    )
    page = context.new_page()
    page.goto(LITE)
    assert page.evaluate(LITE_FETCH, [base, token]) == [200, "หนึ่งร้อยเอ็ดบาทถ้วน", rules_version()]
    assert page.evaluate(LITE_FETCH, [base, "wrong"])[0] == 401  # the preflight passes, the call still needs the token
    page.goto(STRANGER)
    assert page.evaluate(LITE_FETCH, [base, token]) == ["failed", "TypeError"]
    context.close()


def test_the_preflight_needs_no_token_and_names_only_configured_sites(tmp_path):
    from sync.office.settings import load_settings

    client = create_app(load_settings(tmp_path / "home"), api_token="t").test_client()
    asked = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-esaplan-token"}
    lite = client.options("/api/formulas/ESA_BAHTTEXT", headers={"Origin": "https://addin.xlwings.org", **asked})
    assert lite.status_code == 200 and lite.headers["Access-Control-Allow-Origin"] == "https://addin.xlwings.org"
    assert {h.strip().lower() for h in lite.headers["Access-Control-Allow-Headers"].split(",")} >= {
        "content-type",
        "x-esaplan-token",
    }
    stranger = client.options("/api/formulas/ESA_BAHTTEXT", headers={"Origin": STRANGER.rsplit("/", 1)[0], **asked})
    assert "Access-Control-Allow-Origin" not in stranger.headers
    assert (
        "Access-Control-Allow-Origin"
        not in client.get("/login", headers={"Origin": "https://addin.xlwings.org"}).headers
    )
    assert client.get("/login").headers["X-Frame-Options"] == "DENY"
    assert "X-Frame-Options" not in client.get("/addin/taskpane.html").headers


ADDIN_FETCH = """async (base) => {
  try {
    const response = await fetch(`${base}/addin/functions.json`);
    const metadata = await response.json();
    return [response.status, metadata.functions.length, response.headers.get("Cache-Control")];
  } catch (error) {
    return ["failed", error.name];
  }
}"""


def test_excel_on_the_web_reads_the_add_in_files_from_its_own_site_and_no_other_site_does(
    chromium, office_js, live_server
):
    """Excel on the web fetches functions.json from the page of its own site: CORS answers Office's sites
    (*.officeapps.live.com, excel.cloud.microsoft ...) and no other; the file is revalidated each time."""
    base, _, _ = live_server
    excel_new = "https://excel.cloud.microsoft/open"
    context = _context(
        chromium,
        office_js,
        {page: "<!doctype html><title>Excel</title>" for page in (EXCEL_WEB, excel_new, STRANGER)},
    )
    page = context.new_page()
    for site in (EXCEL_WEB, excel_new):
        page.goto(site)
        assert page.evaluate(ADDIN_FETCH, base) == [200, len(FORMULAS), "no-cache"], site
    page.goto(STRANGER)
    assert page.evaluate(ADDIN_FETCH, base) == ["failed", "TypeError"]
    context.close()


def test_the_add_in_files_are_revalidated_and_a_manifest_needs_https(tmp_path):
    from click.testing import CliRunner

    from addin.officejs import files_version
    from sync.cli import main
    from sync.office.settings import load_settings

    client = create_app(load_settings(tmp_path / "home"), api_token="t").test_client()
    first = client.get(f"/addin/functions.json?v={files_version()}")
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-cache" and first.headers["ETag"]
    again = client.get("/addin/functions.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304, "unchanged: Excel keeps its copy without downloading it again"
    refused = CliRunner().invoke(
        main, ["addin", "build", "--url", "http://10.0.0.5:8080", "--out", str(tmp_path / "a")]
    )
    assert refused.exit_code != 0 and "https" in refused.output and not (tmp_path / "a").exists()
    built = CliRunner().invoke(
        main, ["addin", "build", "--url", "https://esaplan.example.go.th", "--out", str(tmp_path / "b")]
    )
    assert (
        built.exit_code == 0
        and f"functions.json?v={files_version()}" in (tmp_path / "b" / "esaplan-manifest.xml").read_text()
    )
