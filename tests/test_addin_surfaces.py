"""Every surface is generated from, or dispatches through, the one formula registry.

Results through the HTTP endpoint equal the direct call; the Office.js forwarder and the Apps
Script run in Node against the live Flask app on loopback; the xlwings Lite main.py runs with
its Pyodide fetch replaced by a real HTTP client; a new registry entry shows up everywhere.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

import addin.xlwings_udfs
from addin import FORMULAS, Formula, Param, call
from addin.appsscript import apps_script
from addin.lite import lite_main
from addin.officejs import functions_js, functions_metadata, manifest_xml
from sync.service.web import create_app
from tests.fake_xlwings import lite_namespace

NODE = shutil.which("node")


@pytest.fixture(autouse=True)
def _node_when_required(request):
    """Node runs the JavaScript surfaces; CI (ESAPLAN_REQUIRE_NODE=1) fails instead of skipping without it."""
    if "needs_node" in request.keywords and NODE is None:
        if os.environ.get("ESAPLAN_REQUIRE_NODE"):
            pytest.fail("Node.js is required here but not installed")
        pytest.skip("Node.js not installed")


needs_node = pytest.mark.needs_node


@pytest.fixture
def client(tmp_path):
    from sync.office.settings import load_settings

    return create_app(load_settings(tmp_path / "home"), api_token="t").test_client()


def _examples():
    return [(name, list(entry.example[0])) for name, entry in FORMULAS.items()]


@pytest.mark.parametrize(("name", "args"), _examples())
def test_http_endpoint_gives_the_same_result_as_the_direct_call(client, name, args):
    response = client.post(f"/api/formulas/{name}", json={"args": args}, headers={"X-Esaplan-Token": "t"})
    assert response.status_code == 200
    assert response.json["result"] == json.loads(json.dumps(call(name, args)))


def test_bad_arguments_are_a_422_with_the_thai_reason_and_every_answer_names_its_rules_version(client):
    from rules import rules_version

    response = client.post("/api/formulas/ESA_ALLOCATE", json={"args": [100, [[1], [-5]]]}, headers={"X-Esaplan-Token": "t"})
    assert response.status_code == 422 and response.json == {"error": "น้ำหนักแถวที่ 2 ติดลบ (-5)"}
    assert response.headers["X-Esaplan-Rules"] == rules_version()
    assert client.post("/api/formulas/ESA_NOPE", json={"args": []}, headers={"X-Esaplan-Token": "t"}).status_code == 404
    assert client.get("/api/rules-version", headers={"X-Esaplan-Token": "t"}).json == {"version": rules_version()}


@pytest.mark.parametrize(("headers", "body", "status"), [({}, {"args": []}, 401), ({"X-Esaplan-Token": "wrong"}, {"args": []}, 401), ({"X-Esaplan-Token": "t"}, {"nope": 1}, 400)])
def test_api_requires_the_token_and_a_json_body(client, headers, body, status):
    assert client.post("/api/formulas/ESA_KPI", json=body, headers=headers).status_code == status


def test_office_metadata_manifest_and_forwarder_cover_every_formula():
    metadata = functions_metadata()
    assert [f["id"] for f in metadata["functions"]] == list(FORMULAS)
    allocate = next(f for f in metadata["functions"] if f["id"] == "ESA_ALLOCATE")
    assert allocate["name"] == "ALLOCATE" and allocate["result"]["dimensionality"] == "matrix"
    assert [p["dimensionality"] for p in allocate["parameters"]] == ["scalar", "matrix", "matrix", "matrix", "scalar"]
    root = ET.fromstring(manifest_xml("https://esaplan.example.go.th").encode())
    urls = {e.get("id"): e.get("DefaultValue") for e in root.iter("{http://schemas.microsoft.com/office/officeappbasictypes/1.0}Url")}
    assert urls == {
        "Functions.Script.Url": "https://esaplan.example.go.th/addin/functions.js",
        "Functions.Metadata.Url": "https://esaplan.example.go.th/addin/functions.json",
        "Taskpane.Url": "https://esaplan.example.go.th/addin/taskpane.html",
    }
    script = functions_js("https://esaplan.example.go.th")
    assert all(f'"{name}"' in script for name in FORMULAS)


def test_apps_script_and_lite_have_one_function_per_formula_and_parse():
    code = apps_script()
    lite = lite_main("http://127.0.0.1:8080")
    for entry in FORMULAS.values():
        assert f"function {entry.name}(" in code and "@customfunction" in code
        assert f"async def {entry.name}(" in lite
    compile(lite, "main.py", "exec")
    assert "function onOpen()" in code and "esaplanValidateThisSheet" in code and "esaplanAllocationRegister" in code


def test_xlwings_module_exposes_every_formula_with_its_real_parameters():
    import inspect

    for entry in FORMULAS.values():
        udf = getattr(addin.xlwings_udfs, entry.name)
        assert list(inspect.signature(udf).parameters) == [p.name for p in entry.params]
        args, _ = entry.example
        assert udf(*args) == call(entry.name, list(args))


def test_a_new_registry_entry_appears_everywhere_with_no_other_edit(monkeypatch):
    extra = Formula("ESA_DOUBLE", "คูณสอง", "Times two", (Param("x", "number", "ค่า", "value"),), "value", lambda x: x * 2, ((21,), 42))
    monkeypatch.setitem(FORMULAS, "ESA_DOUBLE", extra)
    assert call("ESA_DOUBLE", [21]) == 42
    assert "ESA_DOUBLE" in [f["id"] for f in functions_metadata()["functions"]]
    assert '"ESA_DOUBLE"' in functions_js("http://x")
    assert "function ESA_DOUBLE(x)" in apps_script()
    assert "async def ESA_DOUBLE(x):" in lite_main("http://x")
    module = importlib.reload(addin.xlwings_udfs)
    assert module.ESA_DOUBLE(21) == 42
    monkeypatch.delitem(FORMULAS, "ESA_DOUBLE")
    importlib.reload(addin.xlwings_udfs)


NODE_OFFICE = """
const fs = require("fs");
const calls = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const registered = {};
class FunctionError extends Error { constructor(code, message) { super(message); this.code = code; } }
globalThis.CustomFunctions = { associate: (name, fn) => { registered[name] = fn; }, Error: FunctionError, ErrorCode: { invalidValue: "#VALUE!", notAvailable: "#N/A" } };
globalThis.ESAPLAN_TOKEN = process.argv[3];
(async () => {
  const source = await (await fetch(process.argv[4] + "/addin/functions.js")).text();
  new Function(source)();
  const results = {};
  for (const [name, args] of calls) results[name] = await registered[name](...args);
  const refused = await registered.ESA_ALLOCATE(100, [[1], [-5]]).catch((e) => [e.code, e.message]);
  console.log(JSON.stringify({ registered: Object.keys(registered), results, refused }));
})();
"""


def _office_cell(value):
    if value is None:
        return ""
    if isinstance(value, list):
        return [_office_cell(v) for v in value]
    return value


@needs_node
def test_office_js_forwarder_runs_in_node_against_the_live_service(live_server, tmp_path):
    base, token, _ = live_server
    calls = _examples()
    (tmp_path / "calls.json").write_text(json.dumps(calls, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "office.js").write_text(NODE_OFFICE, encoding="utf-8")
    output = subprocess.run([NODE, str(tmp_path / "office.js"), str(tmp_path / "calls.json"), token, base], check=True, capture_output=True, text=True, timeout=120).stdout
    answer = json.loads(output)
    assert answer["registered"] == list(FORMULAS)
    for name, args in calls:
        expected = _office_cell(json.loads(json.dumps(call(name, args))))
        if (FORMULAS[name].spills or FORMULAS[name].lifts) and not isinstance(expected, list):  # declared matrix: one value comes as 1x1
            expected = [[expected]]
        assert answer["results"][name] == expected, name
    assert answer["refused"] == ["#VALUE!", "ESA.ALLOCATE: น้ำหนักแถวที่ 2 ติดลบ (-5)"]  # an Excel error, named as typed in Excel on the web


APPS_SCRIPT_RUNTIME = """
const { execFileSync } = require("child_process");
const fs = require("fs");
const [, , codeFile, base, token] = process.argv;
globalThis.PropertiesService = { getScriptProperties: () => ({ getProperty: (k) => ({ ESAPLAN_URL: base, ESAPLAN_TOKEN: token })[k] }) };
globalThis.UrlFetchApp = {
  // Apps Script's fetch is synchronous: do the real HTTP call in a child node process.
  fetch: (url, options) => {
    const script = `fetch(${JSON.stringify(url)}, {method: ${JSON.stringify(options.method.toUpperCase())}, headers: Object.assign({"Content-Type": "application/json"}, ${JSON.stringify(options.headers)}), body: ${JSON.stringify(options.payload)}})
      .then(async (r) => process.stdout.write(JSON.stringify({code: r.status, text: await r.text()})))`;
    globalThis.fetches += 1;
    const out = JSON.parse(execFileSync(process.execPath, ["-e", script]).toString());
    return { getResponseCode: () => out.code, getContentText: () => out.text };
  },
};
const crypto = require("crypto");
globalThis.Utilities = {
  sleep: (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms),
  DigestAlgorithm: { SHA_256: "sha256" }, Charset: { UTF_8: "utf8" },
  computeDigest: (algorithm, text) => [...crypto.createHash(algorithm).update(text, "utf8").digest()],
  base64EncodeWebSafe: (bytes) => Buffer.from(bytes).toString("base64url"),
};
// Apps Script's script cache with its expiry (kept in a file between runs when ESAPLAN_CACHE_FILE is
// set, the clock moved on by ESAPLAN_LATER_S), and how many times the service was asked
const cacheFile = process.env.ESAPLAN_CACHE_FILE;
const cached = cacheFile && fs.existsSync(cacheFile) ? JSON.parse(fs.readFileSync(cacheFile, "utf8")) : {};
const now = () => Date.now() + 1000 * Number(process.env.ESAPLAN_LATER_S || 0);
globalThis.fetches = 0;
globalThis.CacheService = { getScriptCache: () => ({
  get: (k) => (k in cached && cached[k].until > now() ? cached[k].value : null),
  put: (k, v, seconds) => { cached[k] = { value: v, until: now() + 1000 * (seconds || 600) }; if (cacheFile) fs.writeFileSync(cacheFile, JSON.stringify(cached)); },
}) };
const alerts = [];
globalThis.SpreadsheetApp = { getUi: () => ({ alert: (text) => alerts.push(text) }) };
const code = fs.readFileSync(codeFile, "utf8");
"""
NODE_APPS_SCRIPT = APPS_SCRIPT_RUNTIME + """
new Function(code + "; globalThis.ESA_BAHTTEXT = ESA_BAHTTEXT; globalThis.ESA_ALLOCATE = ESA_ALLOCATE; globalThis.ESA_KPI = ESA_KPI; globalThis.ESA_PERHEAD = ESA_PERHEAD;")();
const refused = (f) => { try { return ["no error", f()]; } catch (error) { return error.message; } };
const answers = [ESA_BAHTTEXT(101), ESA_ALLOCATE(100, [[1], [1], [""], [1]]), refused(() => ESA_KPI(3)), ESA_KPI(3, 7)];
const asked = globalThis.fetches;
for (let i = 0; i < 20; i++) ESA_BAHTTEXT(101); // a column of the same formula: answered from the cache
const again = globalThis.fetches;
// =ESA_PERHEAD("ป.1"; B2:B261; "tuition"; 2570): Google Sheets hands the range over as rows
const pupils = Array.from({ length: 260 }, (_, i) => [i % 9 === 0 ? "" : 10 + (i % 30)]);
const column = ESA_PERHEAD("ป.1", pupils, "tuition", 2570);
console.log(JSON.stringify([...answers, asked, again, pupils, column, globalThis.fetches - again]));
"""
NODE_APPS_SCRIPT_CONSOLIDATE = APPS_SCRIPT_RUNTIME + """
new Function(code + "; globalThis.esaplanConsolidateNow = esaplanConsolidateNow;")();
esaplanConsolidateNow();
console.log(JSON.stringify(alerts));
"""


@needs_node
def test_apps_script_custom_functions_run_in_node_against_the_live_service(live_server, tmp_path):
    base, token, _ = live_server
    (tmp_path / "Code.js").write_text(apps_script(), encoding="utf-8")
    subprocess.run([NODE, "--check", str(tmp_path / "Code.js")], check=True, timeout=60)
    (tmp_path / "run.js").write_text(NODE_APPS_SCRIPT, encoding="utf-8")
    output = subprocess.run([NODE, str(tmp_path / "run.js"), str(tmp_path / "Code.js"), base, token], check=True, capture_output=True, text=True, timeout=120).stdout
    bahttext, allocated, kpi_missing, kpi, asked, fetches, pupils, column, column_fetches = json.loads(output)
    assert bahttext == "หนึ่งร้อยเอ็ดบาทถ้วน"  # official writing (Royal Institute), as rules.baht_text
    assert allocated == [[34], [33], [""], [33]]
    assert kpi_missing.startswith("ESA_KPI: ต้องมีอาร์กิวเมนต์") and kpi == 42.86  # thrown: the cell shows #ERROR! with the reason
    assert fetches == asked  # 20 more recalculations of a kept answer asked the service nothing
    assert column == [[call("ESA_PERHEAD", ["ป.1", n, "tuition", 2570]) if n != "" else ""] for [n] in pupils]
    assert column_fetches == 1  # 260 schools in one execution and one request against Google's daily quota


def test_xlwings_lite_main_runs_against_the_live_service(live_server):
    base, token, _ = live_server
    lite = lite_namespace(base, token)

    async def run():
        return [await lite["ESA_ALLOCATE"](100, [[1], [1], [None], [1]]), await lite["ESA_FISCAL_YEAR"]("1 ต.ค. 2567")]

    allocated, fiscal_year = asyncio.run(run())
    assert allocated == [[34], [33], [""], [33]] and fiscal_year == 2568
    with pytest.raises(ValueError, match="^ESA_ROOMS: "):  # the cell shows #VALUE!, Lite's pane the reason
        asyncio.run(lite["ESA_ROOMS"]("สิบ", "ป.1"))


def test_served_files_and_macro_endpoints(client, tmp_path):
    for path in ("/addin/functions.json", "/addin/functions.js", "/addin/manifest.xml", "/addin/taskpane.html", "/addin/Code.gs", "/addin/main.py", "/addin/icon-80.png"):
        assert client.get(path).status_code == 200, path
    assert client.get("/addin/icon-99.png").status_code == 404
    grid = [["ชั้น", "ชาย (คน)", "หญิง (คน)", "รวม (คน)", "ห้องเรียน"], ["ป.1", "สิบ", 3, "", 1]]
    checked = client.post("/api/validate", json={"sheet": "ข้อมูลนักเรียน", "grid": grid}, headers={"X-Esaplan-Token": "t"}).json
    assert checked["form"] == "enrolment" and checked["rows"]["2"].startswith("ผิด B2:")
    other = client.post("/api/validate", json={"sheet": "Sheet1", "grid": grid}, headers={"X-Esaplan-Token": "t"}).json
    assert other["form"] is None and "ไม่ใช่แบบรายงาน" in other["message"]
    register = client.post("/api/allocation-register", json={"names": ["ก", "ข", "ค"], "weights": [1, 1, 1], "total": "1,000"}, headers={"X-Esaplan-Token": "t"}).json
    assert register["table"][1:4] == [[1, "ก", 1, 334], [2, "ข", 1, 333], [3, "ค", 1, 333]]
    assert register["table"][-2][-1] == 1000 and register["table"][-1][-1] == "หนึ่งพันบาทถ้วน"


def test_consolidate_now_through_the_api(demo_copy):
    from sync.office.settings import load_settings

    client = create_app(load_settings(demo_copy), api_token="t").test_client()
    response = client.post("/api/consolidate", headers={"X-Esaplan-Token": "t"})
    assert response.status_code == 200
    assert response.json["summary"]["enrolment"]["expected"] == 40 and response.json["master"].endswith(".xlsx")


NODE_TASKPANE = r"""
const [, , base, token, mode] = process.argv;
const elements = {};
globalThis.document = { getElementById: (id) => (elements[id] = elements[id] || { value: "", textContent: "", onclick: null, onsubmit: null }) };
const storage = {};
globalThis.OfficeRuntime = { storage: { getItem: async (k) => storage[k], setItem: async (k, v) => { storage[k] = v; } } };
globalThis.Office = { onReady: (callback) => callback() };
globalThis.CustomFunctions = { associate: () => {}, Error: Error, ErrorCode: {} };
// A sheet whose used range starts at B2 (a title row and a margin column left empty), as many do.
const written = {};
const cells = { ข้อมูลนักเรียน: [["ชั้น", "ชาย (คน)", "หญิง (คน)", "รวม (คน)", "ห้องเรียน"], ["ป.1", 12, 10, "", 1], ["ป.2", "สิบ", 9, "", 1]] };
function usedRange(name) {
  return { values: cells[name], rowIndex: 1, columnIndex: 1, load() {}, format: { font: {} } };
}
function sheetApi(name) {
  return {
    name, load() {}, activate() {},
    getUsedRange: () => usedRange(name),
    getRange: () => ({ format: { font: {} } }),
    getRangeByIndexes: (row, column, rows, columns) => {
      const target = { format: { font: {} } };
      Object.defineProperty(target, "values", { set(v) {
        written[name] = { row, column, values: v };
        if (cells[name]) cells[name].forEach((r, i) => { r[column - 1] = v[i][0]; }); // the notes become part of the used range
      } });
      Object.defineProperty(target, "numberFormat", { set(v) {} });
      return target;
    },
  };
}
globalThis.Excel = {
  run: async (fn) => fn({
    sync: async () => {},
    workbook: {
      worksheets: { getActiveWorksheet: () => sheetApi("ข้อมูลนักเรียน"), add: (name) => sheetApi(name) },
      getSelectedRange: () => ({ values: [["ก", 1], ["ข", 3]], load() {} }),
    },
  }),
};
(async () => {
  for (const file of ["functions.js", "taskpane.js"]) {
    require("vm").runInThisContext(await (await fetch(`${base}/addin/${file}`)).text());  // as <script> tags: one global scope
  }
  document.getElementById("token").value = token;
  await elements.connection.onsubmit({ preventDefault() {} });
  if (mode === "consolidate") {
    const shown = [];
    Object.defineProperty(elements.status, "textContent", { set(v) { shown.push(v); }, get() { return shown[shown.length - 1]; } });
    await elements.consolidate.onclick();
    console.log(JSON.stringify(shown));
    return;
  }
  await elements.validate.onclick();
  const validated = elements.status.textContent, first = written["ข้อมูลนักเรียน"];
  await elements.validate.onclick();  // run again: the same notes column, not a second one
  const again = written["ข้อมูลนักเรียน"];
  document.getElementById("total").value = "400";
  await elements.register.onclick();
  console.log(JSON.stringify({ validated, first, again, written, status: elements.status.textContent }));
})();
"""


@needs_node
def test_office_js_taskpane_macros_run_in_node_against_the_live_service(live_server, tmp_path):
    base, token, _ = live_server
    (tmp_path / "run.js").write_text(NODE_TASKPANE, encoding="utf-8")
    output = subprocess.run([NODE, str(tmp_path / "run.js"), base, token], check=True, capture_output=True, text=True, timeout=120).stdout
    answer = json.loads(output)
    assert answer["validated"] == "ตรวจ 2 แถว พบข้อผิดพลาด 1 รายการ"
    first, again = answer["first"], answer["again"]
    assert (first["row"], first["column"]) == (1, 6)  # after the data, counted from where the used range starts (B2)
    assert first["values"][0] == ["ผลตรวจ esaplan"] and first["values"][1] == [""] and first["values"][2][0].startswith("ผิด C4:")  # the sheet's own address
    assert again == first  # validated twice: the same column, written over
    register = next(v for k, v in answer["written"].items() if k.startswith("ทะเบียนจัดสรร"))
    assert register["values"][1:3] == [[1, "ก", 1, 100], [2, "ข", 3, 300]] and register["values"][-1][-1] == "สี่ร้อยบาทถ้วน"
    assert answer["status"] == "เขียนทะเบียนจัดสรรแล้ว"


def test_esaplan_serve_runs_the_service_under_waitress(tmp_path):
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    home = tmp_path / "home"
    process = subprocess.Popen([sys.executable, "-c", "from sync.cli import main; main()", "serve", "--home", str(home), "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/formulas/ESA_BAHTTEXT", data=b'{"args": [1234.5]}', headers={"Content-Type": "application/json", "X-Esaplan-Token": token}, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.load(response) == {"result": "หนึ่งพันสองร้อยสามสิบสี่บาทห้าสิบสตางค์"}
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert "api-token.txt" in output


@needs_node
def test_consolidate_now_follows_a_long_run_to_its_summary_in_office_js_and_apps_script(monkeypatch, demo_copy, tmp_path):
    """A run longer than the service's 50-second answer: made so here by a wait of 0 s."""
    from sync.office.settings import load_settings
    from tests.conftest import serve

    monkeypatch.setattr("sync.service.web.api.WAIT_S", 0.0)
    (tmp_path / "Code.js").write_text(apps_script(), encoding="utf-8")
    (tmp_path / "gas.js").write_text(NODE_APPS_SCRIPT_CONSOLIDATE, encoding="utf-8")
    (tmp_path / "pane.js").write_text(NODE_TASKPANE, encoding="utf-8")
    with serve(load_settings(demo_copy), "tok") as base:
        pane = subprocess.run([NODE, str(tmp_path / "pane.js"), base, "tok", "consolidate"], check=True, capture_output=True, text=True, timeout=120).stdout
        gas = subprocess.run([NODE, str(tmp_path / "gas.js"), str(tmp_path / "Code.js"), base, "tok"], check=True, capture_output=True, text=True, timeout=120).stdout
    shown = json.loads(pane)
    assert any(s.startswith("กำลังรวมข้อมูล ") and "%" in s for s in shown[1:-1]), shown
    assert shown[-1].startswith("ปีงบประมาณ 2569 รอบ 12 เดือน\nenrolment: ส่งแล้ว") and "ไฟล์รวม: esaplan-master-FY2569-R12.xlsx" in shown[-1]
    (alert,) = json.loads(gas)
    assert alert.startswith("ปีงบประมาณ 2569 รอบ 12 เดือน\nenrolment: ส่งแล้ว")


NODE_APPS_SCRIPT_PERHEAD = APPS_SCRIPT_RUNTIME + """
new Function(code + "; globalThis.ESA_PERHEAD = ESA_PERHEAD;")();
console.log(JSON.stringify(ESA_PERHEAD("ป.1", 30, "tuition", 2570)));
"""


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
        office = json.loads(subprocess.run([NODE, str(tmp_path / "office.js"), str(tmp_path / "calls.json"), "t", base], check=True, capture_output=True, text=True, timeout=120).stdout)
        sheets_env = {**os.environ, "ESAPLAN_CACHE_FILE": str(sheets_cache), "ESAPLAN_LATER_S": str(60 * minutes_later)}
        sheets = subprocess.run([NODE, str(tmp_path / "sheets.js"), str(tmp_path / "Code.js"), base, "t"], check=True, capture_output=True, text=True, timeout=120, env=sheets_env).stdout
        monkeypatch.setenv("ESAPLAN_URL", base)  # the desktop's connection, set as its README says
        monkeypatch.setenv("ESAPLAN_TOKEN", "t")
        lite = lite_namespace(base, "t")
        return {
            "office": office["results"]["ESA_PERHEAD"][0][0],
            "sheets": json.loads(sheets),
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
