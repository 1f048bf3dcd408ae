"""The add-ins against the running service: the files it serves, the macros' endpoints, a consolidation
started from a spreadsheet and followed to its summary, `esaplan serve` under waitress, and a rate the
office fills in changing the answer on every surface."""

import asyncio
import json
import shutil
import subprocess
import sys

import pytest

import addin.xlwings_udfs
from addin import call
from addin.appsscript import apps_script
from sync.service.web import create_app
from tests.fake_xlwings import lite_namespace
from tests.node_scripts import (
    NODE_APPS_SCRIPT_BAHTTEXT,
    NODE_APPS_SCRIPT_COLUMN,
    NODE_APPS_SCRIPT_CONSOLIDATE,
    NODE_APPS_SCRIPT_PERHEAD,
    NODE_OFFICE,
    NODE_TASKPANE,
    node_json,
)

needs_node = pytest.mark.needs_node


@pytest.fixture
def client(tmp_path):
    from sync.office.settings import load_settings

    return create_app(load_settings(tmp_path / "home"), api_token="t").test_client()


def test_served_files_and_macro_endpoints(client, tmp_path):
    for path in (
        "/addin/functions.json",
        "/addin/functions.js",
        "/addin/manifest.xml",
        "/addin/taskpane.html",
        "/addin/Code.gs",
        "/addin/main.py",
        "/addin/icon-80.png",
    ):
        assert client.get(path).status_code == 200, path
    assert client.get("/addin/icon-99.png").status_code == 404
    grid = [["ชั้น", "ชาย (คน)", "หญิง (คน)", "รวม (คน)", "ห้องเรียน"], ["ป.1", "สิบ", 3, "", 1]]
    checked = client.post(
        "/api/validate", json={"sheet": "ข้อมูลนักเรียน", "grid": grid}, headers={"X-Esaplan-Token": "t"}
    ).json
    assert checked["form"] == "enrolment" and checked["rows"]["2"].startswith("ผิด B2:")
    other = client.post("/api/validate", json={"sheet": "Sheet1", "grid": grid}, headers={"X-Esaplan-Token": "t"}).json
    assert other["form"] is None and "ไม่ใช่แบบรายงาน" in other["message"]
    register = client.post(
        "/api/allocation-register",
        json={"names": ["ก", "ข", "ค"], "weights": [1, 1, 1], "total": "1,000"},
        headers={"X-Esaplan-Token": "t"},
    ).json
    assert register["table"][1:4] == [[1, "ก", 1, 334], [2, "ข", 1, 333], [3, "ค", 1, 333]]
    assert register["table"][-2][-1] == 1000 and register["table"][-1][-1] == "หนึ่งพันบาทถ้วน"


def test_consolidate_now_through_the_api(demo_copy):
    from sync.office.settings import load_settings

    client = create_app(load_settings(demo_copy), api_token="t").test_client()
    response = client.post("/api/consolidate", headers={"X-Esaplan-Token": "t"})
    assert response.status_code == 200
    assert response.json["summary"]["enrolment"]["expected"] == 40 and response.json["master"].endswith(".xlsx")


@needs_node
def test_office_js_taskpane_macros_run_in_node_against_the_live_service(live_server, tmp_path):
    base, token, _ = live_server
    (tmp_path / "run.js").write_text(NODE_TASKPANE, encoding="utf-8")
    answer = node_json(tmp_path / "run.js", base, token)
    assert answer["validated"] == "ตรวจ 2 แถว พบข้อผิดพลาด 1 รายการ"
    first, again = answer["first"], answer["again"]
    assert (first["row"], first["column"]) == (1, 6)  # after the data, counted from where the used range starts (B2)
    assert (
        first["values"][0] == ["ผลตรวจ esaplan"]
        and first["values"][1] == [""]
        and first["values"][2][0].startswith("ผิด C4:")
    )  # the sheet's own address
    assert again == first  # validated twice: the same column, written over
    register = next(v for k, v in answer["written"].items() if k.startswith("ทะเบียนจัดสรร"))
    assert (
        register["values"][1:3] == [[1, "ก", 1, 100], [2, "ข", 3, 300]] and register["values"][-1][-1] == "สี่ร้อยบาทถ้วน"
    )
    assert answer["status"] == "เขียนทะเบียนจัดสรรแล้ว"


def test_esaplan_serve_runs_the_service_under_waitress(tmp_path):
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    home = tmp_path / "home"
    process = subprocess.Popen(
        [sys.executable, "-c", "from sync.cli import main; main()", "serve", "--home", str(home), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(100):
            if (home / "api-token.txt").exists():
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/addin/functions.json", timeout=1).close()
                    break
                except OSError:
                    pass
            time.sleep(0.1)
        token = (home / "api-token.txt").read_text().strip()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/formulas/ESA_BAHTTEXT",
            data=b'{"args": [1234.5]}',
            headers={"Content-Type": "application/json", "X-Esaplan-Token": token},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.load(response) == {"result": "หนึ่งพันสองร้อยสามสิบสี่บาทห้าสิบสตางค์"}
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert "api-token.txt" in output


@needs_node
def test_consolidate_now_follows_a_long_run_to_its_summary_in_office_js_and_apps_script(
    monkeypatch, demo_copy, tmp_path
):
    """A run longer than the service's 50-second answer: made so here by a wait of 0 s."""
    from sync.office.settings import load_settings
    from tests.conftest import serve

    monkeypatch.setattr("sync.service.web.api.WAIT_S", 0.0)
    (tmp_path / "Code.js").write_text(apps_script(), encoding="utf-8")
    (tmp_path / "gas.js").write_text(NODE_APPS_SCRIPT_CONSOLIDATE, encoding="utf-8")
    (tmp_path / "pane.js").write_text(NODE_TASKPANE, encoding="utf-8")
    with serve(load_settings(demo_copy), "tok") as base:
        shown = node_json(tmp_path / "pane.js", base, "tok", "consolidate")
        gas = node_json(tmp_path / "gas.js", tmp_path / "Code.js", base, "tok")
    assert any(s.startswith("กำลังรวมข้อมูล ") and "%" in s for s in shown[1:-1]), shown
    assert (
        shown[-1].startswith("ปีงบประมาณ 2569 รอบ 12 เดือน\nenrolment: ส่งแล้ว")
        and "ไฟล์รวม: esaplan-master-FY2569-R12.xlsx" in shown[-1]
    )
    (alert,) = gas
    assert alert.startswith("ปีงบประมาณ 2569 รอบ 12 เดือน\nenrolment: ส่งแล้ว")


@needs_node
def test_a_rate_the_office_fills_in_changes_the_answer_on_every_surface(data_copy, tmp_path, monkeypatch):
    """One source of truth: the service answers from the office's rules folder (ESAPLAN_RULES_DATA);
    the office gives ป.1 tuition a new dated rate for FY 2570 and restarts the service, and the
    Office add-in, Google Sheets, xlwings Lite and Excel desktop (ESAPLAN_URL set) all answer the
    new figure. Google Sheets' kept answers are filed under the rules version, which it asks for
    again after 5 minutes: until then the old answer, after that the new one."""
    from tests.conftest import serve_command

    question = ["ป.1", 30, "tuition", 2570]
    env = {"ESAPLAN_RULES_DATA": str(data_copy), "ESAPLAN_API_TOKEN": "t"}
    (tmp_path / "calls.json").write_text(json.dumps([["ESA_PERHEAD", question]], ensure_ascii=False), encoding="utf-8")
    (tmp_path / "office.js").write_text(NODE_OFFICE, encoding="utf-8")
    (tmp_path / "Code.js").write_text(apps_script(), encoding="utf-8")
    (tmp_path / "sheets.js").write_text(NODE_APPS_SCRIPT_PERHEAD, encoding="utf-8")
    sheets_cache = tmp_path / "script-cache.json"

    def every_surface(base: str, minutes_later: int) -> dict[str, object]:
        office = node_json(tmp_path / "office.js", tmp_path / "calls.json", "t", base)
        sheets_env = {"ESAPLAN_CACHE_FILE": str(sheets_cache), "ESAPLAN_LATER_S": str(60 * minutes_later)}
        sheets = node_json(tmp_path / "sheets.js", tmp_path / "Code.js", base, "t", env=sheets_env)
        monkeypatch.setenv("ESAPLAN_URL", base)  # the desktop's connection, set as its README says
        monkeypatch.setenv("ESAPLAN_TOKEN", "t")
        lite = lite_namespace(base, "t")
        return {
            "office": office["results"]["ESA_PERHEAD"][0][0],
            "sheets": sheets,
            "lite": asyncio.run(lite["ESA_PERHEAD"](*question)),
            "desktop": addin.xlwings_udfs.ESA_PERHEAD(*question),
        }

    with serve_command(tmp_path / "home", env=env) as base:
        before = every_surface(base, 0)
    assert before == dict.fromkeys(before, 30 * 2052)

    tuition = data_copy / "per_head" / "tuition.yaml"
    tuition.write_text(
        tuition.read_text(encoding="utf-8").replace(
            "\n  lower_secondary:",
            "\n    2026-10-01: {value: 2100, reference: หนังสือ สพฐ. (ทดสอบ)}\n  lower_secondary:",
        ),
        encoding="utf-8",
    )
    with serve_command(tmp_path / "home", env=env) as base:
        soon = every_surface(base, 1)
        later = every_surface(base, 6)
    assert soon == {"office": 63000, "sheets": 61560, "lite": 63000, "desktop": 63000}
    assert later == dict.fromkeys(later, 30 * 2100)


def test_the_service_knows_the_registry_s_schools_for_a_transfer_check(tmp_path, shared_data):
    """Through the service, ESA_TRANSFER_CHECK knows what the office's registry says: moving money to
    one of its schools (typed as people write it, โรงเรียน + the registry's name) is OBEC's reallocation
    (Budget Procedure Act s.4 and 35); a municipal school the registry does not hold is not guessed."""
    from sync.office.settings import load_settings

    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(shared_data / "khonkaen-area5-schools-2022.csv", home / "registry.csv")
    settings = load_settings(home)
    app = create_app(settings, api_token="t").test_client()
    line = [settings.office.name, "พื้นฐาน", "ผลผลิต 1", "งบดำเนินงาน", "ค่าวัสดุ", 50_000]

    def check(unit: str) -> list:
        args = [*line, unit, "พื้นฐาน", "ผลผลิต 1", "งบดำเนินงาน", "ค่าวัสดุ", 10_000]
        answer = app.post("/api/formulas/ESA_TRANSFER_CHECK", json={"args": args}, headers={"X-Esaplan-Token": "t"})
        assert answer.status_code == 200, answer.json
        return answer.json["result"][0]

    school = check("โรงเรียนบ้านหนองไผ่ดุสิตประชาสรรค์")  # 40050001 in the registry
    assert school[0] == "โอนได้" and school[2] == "OBEC-REALLOCATE"
    assert check("40050001")[2] == "OBEC-REALLOCATE"
    municipal = check("โรงเรียนเทศบาล ๑ (บ้านโนนทัน)")
    assert municipal[0] == "ยังตรวจไม่ได้" and municipal[2] == "UNIT-KIND-UNKNOWN"
    assert call("ESA_TRANSFER_CHECK", [*line, "40050001", "พื้นฐาน", "ผลผลิต 1", "งบดำเนินงาน", "ค่าวัสดุ", 10_000])[0][2] == (
        "UNIT-KIND-UNKNOWN"  # on a PC, without the service, nothing says what 40050001 is
    )


def _stand_in(replies: list[tuple[int, str, str]]):
    """A service on loopback answering each request with the next (status, content type, body), the last
    one for ever: a proxy in front of a busy or stopped esaplan."""
    import http.server
    import threading

    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            status, kind, body = replies[min(len(asked), len(replies) - 1)]
            asked.append(self.path)
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, asked


@needs_node
@pytest.mark.parametrize(
    ("replies", "said", "asked"),
    [
        # busy twice (429 from the proxy), then the answers: asked again after 0.5 and 1 s, and answered
        (
            [(429, "text/html", "<h1>429 Too Many Requests</h1>"), (429, "text/html", "<h1>429</h1>")]
            + [
                (200, "application/json", '{"version": "v1"}'),
                (200, "application/json", '{"result": "หนึ่งร้อยเอ็ดบาทถ้วน"}'),
            ],
            "หนึ่งร้อยเอ็ดบาทถ้วน",
            4,
        ),
        # the proxy says the service is down (502 page): four tries, then that, not "check ESAPLAN_URL"
        ([(502, "text/html", "<html>Bad Gateway</html>")], "เครื่องบริการ esaplan ไม่ตอบ (HTTP 502", 4),
        # a page that is not the service at all (200 HTML): the address is what to check
        ([(200, "text/html", "<html>router login</html>")], "ไม่ใช่ระบบ esaplan", 1),
        # the service's own refusal with its Excel error kind: the error Sheets shows leads with it
        (
            [
                (200, "application/json", '{"version": "v1"}'),
                (422, "application/json", '{"error": "ตัวหารเป็นศูนย์", "excel": "#DIV/0!"}'),
            ],
            "ESA_BAHTTEXT: #DIV/0! ตัวหารเป็นศูนย์",
            2,
        ),
    ],
    ids=["429-then-answer", "502-proxy", "not-esaplan", "excel-error-kind"],
)
def test_apps_script_asks_a_busy_service_again_and_says_what_went_wrong(tmp_path, replies, said, asked):
    out, seen = _apps_script_against(replies, NODE_APPS_SCRIPT_BAHTTEXT, tmp_path)
    assert said in out and len(seen) == asked


def _apps_script_against(replies, script: str, tmp_path):
    """(what the generated Code.gs printed, the paths the stand-in service was asked) for ``script``."""
    server, seen = _stand_in(replies)
    try:
        (tmp_path / "Code.js").write_text(apps_script(), encoding="utf-8")
        (tmp_path / "sheets.js").write_text(script, encoding="utf-8")
        base = f"http://127.0.0.1:{server.server_address[1]}"
        out = node_json(tmp_path / "sheets.js", tmp_path / "Code.js", base, "t")
    finally:
        server.shutdown()
        server.server_close()
    return out, seen


@needs_node
@pytest.mark.parametrize(
    ("replies", "said", "asked"),
    [
        # the service down behind its proxy: the first cell tries four times, the other 19 are told at once
        ([(502, "text/html", "<html>Bad Gateway</html>")], "เครื่องบริการ esaplan ไม่ตอบ (HTTP 502", 4),
        # a question the service refuses is asked once: the same refusal holds for every cell asking it
        (
            [
                (200, "application/json", '{"version": "v1"}'),
                (422, "application/json", '{"error": "ตัวหารเป็นศูนย์", "excel": "#DIV/0!"}'),
            ],
            "ESA_BAHTTEXT: #DIV/0! ตัวหารเป็นศูนย์",
            2,
        ),
        # a wrong or revoked code is the person's, not the question's: each cell asks (and is told what to do)
        (
            [(200, "application/json", '{"version": "v1"}'), (401, "application/json", '{"error": "x"}')],
            "รหัสเชื่อมต่อของท่านไม่ถูกต้องหรือถูกยกเลิกแล้ว",
            1 + 20,
        ),
    ],
    ids=["down", "refused", "revoked"],
)
def test_apps_script_keeps_a_failure_briefly_so_a_column_does_not_ask_again_and_again(tmp_path, replies, said, asked):
    column, seen = _apps_script_against(replies, NODE_APPS_SCRIPT_COLUMN, tmp_path)
    assert len(column) == 20 and all(said in cell for cell in column), column
    assert len(seen) == asked, seen


def test_the_api_says_which_excel_error_a_refusal_is(client):
    """One table for every host: bad input is #VALUE!, nothing to divide by #DIV/0!."""
    headers = {"X-Esaplan-Token": "t"}
    divide = client.post("/api/formulas/ESA_KPI", json={"args": [3, 0]}, headers=headers)
    assert divide.status_code == 422 and divide.json["excel"] == "#DIV/0!" and "ตัวหารเป็นศูนย์" in divide.json["error"]
    bad = client.post("/api/formulas/ESA_ALLOCATE", json={"args": [100, [[1], [-5]]]}, headers=headers)
    assert bad.status_code == 422 and bad.json["excel"] == "#VALUE!"


def test_a_service_fault_reaches_the_sheet_in_thai_not_werkzeugs_english(tmp_path):
    """An unexpected failure inside the service answers the API in Thai (and its log has the trace)."""
    from flask import abort

    from sync.office.settings import load_settings

    app = create_app(load_settings(tmp_path / "home"), api_token="t")

    @app.get("/api/fail-for-test")
    def fail() -> None:
        abort(500)

    answer = app.test_client().get("/api/fail-for-test", headers={"X-Esaplan-Token": "t"})
    assert (
        answer.status_code == 500
        and "ขัดข้อง" in answer.json["error"]
        and "Internal Server Error" not in answer.json["error"]
    )


def test_a_desktop_formula_waits_seconds_not_minutes_for_a_service_that_never_answers(monkeypatch):
    """A service that takes the call and never answers: the cell gets #N/A and a Thai reason after the
    timeout (ESAPLAN_TIMEOUT_S, 15 s by default), while xlwings' async mode keeps Excel calculating
    meanwhile; answered, not raised, as xlwings' async thread would only log an exception."""
    import socket
    import time

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # the connection is taken (backlog) and never answered
    try:
        monkeypatch.setenv("ESAPLAN_URL", f"http://127.0.0.1:{silent.getsockname()[1]}")
        monkeypatch.setenv("ESAPLAN_TOKEN", "t")
        monkeypatch.setenv("ESAPLAN_TIMEOUT_S", "1")
        started = time.monotonic()
        answer = addin.xlwings_udfs.ESA_BAHTTEXT(101)
        assert answer.startswith("#N/A ESA_BAHTTEXT: ระบบ esaplan ไม่ตอบภายใน 1 วินาที"), answer
        assert time.monotonic() - started < 5
    finally:
        silent.close()
    assert addin.xlwings_udfs.FORMULA_TIMEOUT_S == 15.0
