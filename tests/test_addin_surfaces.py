"""Every surface is generated from, or dispatches through, the one formula registry.

Results through the HTTP endpoint equal the direct call; the Office.js forwarder and the Apps
Script run in Node against the live Flask app on loopback; the xlwings Lite main.py runs with
its Pyodide fetch replaced by a real HTTP client; a new registry entry shows up everywhere.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import subprocess
import xml.etree.ElementTree as ET

import pytest

import addin.xlwings_udfs
from addin import FORMULAS, Formula, Param, call
from addin.appsscript import apps_script
from addin.lite import lite_main
from addin.officejs import files_version, functions_js, functions_metadata, manifest_xml
from sync.service.web import create_app
from tests.conftest import NODE
from tests.fake_xlwings import lite_namespace
from tests.node_scripts import (
    NODE_APPS_SCRIPT,
    NODE_APPS_SCRIPT_PLANNING,
    NODE_OFFICE,
    NODE_OFFICE_BATCH,
    node_json,
)

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

    response = client.post(
        "/api/formulas/ESA_ALLOCATE", json={"args": [100, [[1], [-5]]]}, headers={"X-Esaplan-Token": "t"}
    )
    assert response.status_code == 422 and response.json == {"error": "น้ำหนักแถวที่ 2 ติดลบ (-5)", "excel": "#VALUE!"}
    assert response.headers["X-Esaplan-Rules"] == rules_version()
    assert client.post("/api/formulas/ESA_NOPE", json={"args": []}, headers={"X-Esaplan-Token": "t"}).status_code == 404
    assert client.get("/api/rules-version", headers={"X-Esaplan-Token": "t"}).json == {"version": rules_version()}


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, {"args": []}, 401),
        ({"X-Esaplan-Token": "wrong"}, {"args": []}, 401),
        ({"X-Esaplan-Token": "t"}, {"nope": 1}, 400),
    ],
)
def test_api_requires_the_token_and_a_json_body(client, headers, body, status):
    assert client.post("/api/formulas/ESA_KPI", json=body, headers=headers).status_code == status


def test_office_metadata_manifest_and_forwarder_cover_every_formula():
    metadata = functions_metadata()
    assert [f["id"] for f in metadata["functions"]] == list(FORMULAS)
    allocate = next(f for f in metadata["functions"] if f["id"] == "ESA_ALLOCATE")
    assert allocate["name"] == "ALLOCATE" and allocate["result"]["dimensionality"] == "matrix"
    assert [p["dimensionality"] for p in allocate["parameters"]] == ["scalar", "matrix", "matrix", "matrix", "scalar"]
    root = ET.fromstring(manifest_xml("https://esaplan.example.go.th").encode())
    urls = {
        e.get("id"): e.get("DefaultValue")
        for e in root.iter("{http://schemas.microsoft.com/office/officeappbasictypes/1.0}Url")
    }
    version = files_version()  # a new formula gives a new address, past Excel's day-long cache
    assert urls == {
        "Functions.Script.Url": f"https://esaplan.example.go.th/addin/functions.js?v={version}",
        "Functions.Metadata.Url": f"https://esaplan.example.go.th/addin/functions.json?v={version}",
        "Taskpane.Url": f"https://esaplan.example.go.th/addin/taskpane.html?v={version}",
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
    extra = Formula(
        "ESA_DOUBLE",
        "คูณสอง",
        "Times two",
        (Param("x", "number", "ค่า", "value"),),
        "value",
        lambda x: x * 2,
        ((21,), 42),
    )
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
    answer = node_json(tmp_path / "office.js", tmp_path / "calls.json", token, base)
    assert answer["registered"] == list(FORMULAS)
    for name, args in calls:
        expected = _office_cell(json.loads(json.dumps(call(name, args))))
        if (FORMULAS[name].spills or FORMULAS[name].lifts) and not isinstance(
            expected, list
        ):  # declared matrix: one value comes as 1x1
            expected = [[expected]]
        assert answer["results"][name] == expected, name
    assert answer["refused"] == [
        "#VALUE!",
        "ESA.ALLOCATE: น้ำหนักแถวที่ 2 ติดลบ (-5)",
    ]  # an Excel error, named as typed in Excel on the web


@needs_node
def test_office_js_batches_a_recalculation_into_few_requests_each_cell_its_own_answer(live_server, tmp_path):
    """600 cells recalculating together are two requests (500 a batch, Microsoft's batching pattern), not 600;
    a failing cell among them is its own Excel error and leaves its neighbours' answers alone."""
    base, token, _ = live_server
    (tmp_path / "batch.js").write_text(NODE_OFFICE_BATCH, encoding="utf-8")
    answer = node_json(tmp_path / "batch.js", base, token)
    assert answer["requests"] == [f"{base}/api/formulas"] * 2
    shown = answer["shown"]
    assert shown[7][0] == "#DIV/0!" and shown[7][1].startswith("ESA.KPI: ตัวหารเป็นศูนย์")
    assert shown[8] == ["#VALUE!", "ESA.BAHTTEXT: จำนวนเงิน: 'abc' ไม่ใช่ตัวเลข"]
    # a formula that takes ranges answers a 1x1 range for one cell (its result is declared a matrix)
    assert shown[0] == [["หนึ่งบาทถ้วน"]] and shown[599] == [["หกร้อยบาทถ้วน"]] and shown[100] == [["หนึ่งร้อยเอ็ดบาทถ้วน"]]
    assert all(shown[i] == [[call("ESA_BAHTTEXT", [i + 1])]] for i in range(600) if i not in (7, 8))


@needs_node
def test_apps_script_custom_functions_run_in_node_against_the_live_service(live_server, tmp_path):
    base, token, _ = live_server
    (tmp_path / "Code.js").write_text(apps_script(), encoding="utf-8")
    subprocess.run([NODE, "--check", str(tmp_path / "Code.js")], check=True, timeout=60)
    (tmp_path / "run.js").write_text(NODE_APPS_SCRIPT, encoding="utf-8")
    bahttext, allocated, kpi_missing, kpi, asked, fetches, pupils, column, column_fetches = node_json(
        tmp_path / "run.js", tmp_path / "Code.js", base, token
    )
    assert bahttext == "หนึ่งร้อยเอ็ดบาทถ้วน"  # official writing (Royal Institute), as rules.baht_text
    assert allocated == [[34], [33], [""], [33]]
    assert (
        kpi_missing.startswith("ESA_KPI: ต้องมีอาร์กิวเมนต์") and kpi == 42.86
    )  # thrown: the cell shows #ERROR! with the reason
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


@needs_node
def test_merger_candidates_and_a_transfer_with_stated_kinds_in_apps_script(live_server, tmp_path):
    """The seed's helpers in Google Sheets' own engine (Apps Script run in Node against the service):
    ESA_MERGE over a table as Sheets hands it over, and ESA_TRANSFER_CHECK with its new trailing
    arguments (the target's kind stated: a municipal school is another receiving unit, s.35)."""
    base, token, _ = live_server
    merge = list(FORMULAS["ESA_MERGE"].example[0])
    line = ["สพป.ขก.5", "พื้นฐาน", "ผลผลิต 1", "งบดำเนินงาน", "ค่าวัสดุ", 50000]
    transfer = [*line, "โรงเรียนเทศบาล 1", "พื้นฐาน", "ผลผลิต 1", "งบดำเนินงาน", "ค่าวัสดุ", 10000]
    transfer += ["", "", "", "", "", "", "", "", "สพป.", "โรงเรียนเทศบาล"]
    (tmp_path / "Code.js").write_text(apps_script(), encoding="utf-8")
    (tmp_path / "run.js").write_text(NODE_APPS_SCRIPT_PLANNING, encoding="utf-8")
    (tmp_path / "args.json").write_text(json.dumps({"merge": merge, "transfer": transfer}), encoding="utf-8")
    merged, checked = node_json(tmp_path / "run.js", tmp_path / "Code.js", base, token, tmp_path / "args.json")
    assert merged == json.loads(json.dumps(call("ESA_MERGE", merge), default=str))
    assert checked[0][:3] == ["โอนไม่ได้", "ไม่อนุญาต (ไม่มีผู้มีอำนาจอนุมัติ)", "S35-UNIT"]


def test_a_one_cell_range_where_a_number_may_go_is_that_number():
    """Excel on the web passes ESA.ALLOCATE's floor and cap, declared as ranges, as [[200]] where the
    sheet says 200: the same answer as the bare number, never an index error."""
    from addin import call

    weights = [[1], [2], [3]]
    assert call("ESA_ALLOCATE", [1000, weights, [[200]]]) == call("ESA_ALLOCATE", [1000, weights, 200])
    assert call("ESA_ALLOCATE", [1000, weights, None, [[400]]]) == call("ESA_ALLOCATE", [1000, weights, None, 400])
    assert call("ESA_ALLOCATE", [1000, weights, [[200]]]) == [[200], [320], [480]]  # 200 each, 400 by 1:2:3


def test_a_reason_shown_in_a_cell_never_names_the_servers_folders():
    """A rules file the office edited is named by its file name; the server's folders stay on the server."""
    from sync.service.web.api import public

    assert public("ไฟล์ /srv/esaplan/rules-data/per_head/tuition.yaml:12: ยังไม่ได้กรอกค่า") == (
        "ไฟล์ tuition.yaml:12: ยังไม่ได้กรอกค่า"
    )
    assert public("อ่าน C:\\esaplan\\data\\x.yaml ไม่ได้") == "อ่าน x.yaml ไม่ได้"
    assert public("แถวที่ 3/4 ของช่วง: 1/2 ของวงเงิน") == "แถวที่ 3/4 ของช่วง: 1/2 ของวงเงิน", "a fraction is no path"
