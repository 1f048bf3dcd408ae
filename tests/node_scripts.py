"""The Node.js programs the add-in tests run: Office.js custom functions and the task pane with Microsoft's
office.js shims, Apps Script's runtime (UrlFetchApp, PropertiesService) over Node's fetch; and
:func:`node_json`, which runs one and reads what it printed."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import NODE


def node_json(program: Path, *args: object, env: dict[str, str] | None = None, timeout: float = 120) -> Any:
    """The one JSON line a program of this file printed, run by Node with ``args`` (``env`` added to ours)."""
    assert NODE is not None, "node is needed (the tests that use it are marked needs_node)"
    run = [NODE, str(program), *map(str, args)]
    environment = {**os.environ, **env} if env else None
    return json.loads(
        subprocess.run(run, check=True, capture_output=True, text=True, timeout=timeout, env=environment).stdout
    )


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


APPS_SCRIPT_RUNTIME = """
const { execFileSync } = require("child_process");
const fs = require("fs");
const [, , codeFile, base, token] = process.argv;
// The office's address in the script's properties, the person's own code in their user properties
globalThis.PropertiesService = {
  getScriptProperties: () => ({ getProperty: (k) => ({ ESAPLAN_URL: base })[k] }),
  getUserProperties: () => ({ getProperty: (k) => ({ ESAPLAN_TOKEN: token })[k] }),
};
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


NODE_APPS_SCRIPT = (
    APPS_SCRIPT_RUNTIME
    + """
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
)


NODE_APPS_SCRIPT_CONSOLIDATE = (
    APPS_SCRIPT_RUNTIME
    + """
new Function(code + "; globalThis.esaplanConsolidateNow = esaplanConsolidateNow;")();
esaplanConsolidateNow();
console.log(JSON.stringify(alerts));
"""
)


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


NODE_APPS_SCRIPT_PERHEAD = (
    APPS_SCRIPT_RUNTIME
    + """
new Function(code + "; globalThis.ESA_PERHEAD = ESA_PERHEAD;")();
console.log(JSON.stringify(ESA_PERHEAD("ป.1", 30, "tuition", 2570)));
"""
)


NODE_APPS_SCRIPT_PLANNING = (
    APPS_SCRIPT_RUNTIME
    + """
new Function(code + "; globalThis.ESA_MERGE = ESA_MERGE; globalThis.ESA_TRANSFER_CHECK = ESA_TRANSFER_CHECK;")();
const args = JSON.parse(require("fs").readFileSync(process.argv[5], "utf8"));
console.log(JSON.stringify([ESA_MERGE(...args.merge), ESA_TRANSFER_CHECK(...args.transfer)]));
"""
)


NODE_APPS_SCRIPT_BAHTTEXT = (
    APPS_SCRIPT_RUNTIME
    + """
new Function(code + "; globalThis.ESA_BAHTTEXT = ESA_BAHTTEXT;")();
let answer;
try { answer = ESA_BAHTTEXT(101); } catch (error) { answer = "error: " + error.message; }
console.log(JSON.stringify(answer));
"""
)


NODE_APPS_SCRIPT_COLUMN = (
    APPS_SCRIPT_RUNTIME
    + """
new Function(code + "; globalThis.ESA_BAHTTEXT = ESA_BAHTTEXT;")();
// a column of 20 cells with the same formula, recalculated together
const said = [];
for (let i = 0; i < 20; i++) { try { said.push(ESA_BAHTTEXT(101)); } catch (error) { said.push(error.message); } }
console.log(JSON.stringify(said));
"""
)


NODE_OFFICE_BATCH = """
const [, , base, token] = process.argv;
const registered = {};
class FunctionError extends Error { constructor(code, message) { super(message); this.code = code; } }
globalThis.CustomFunctions = { associate: (name, fn) => { registered[name] = fn; }, Error: FunctionError,
  ErrorCode: { invalidValue: "#VALUE!", notAvailable: "#N/A", divisionByZero: "#DIV/0!", invalidNumber: "#NUM!" } };
globalThis.ESAPLAN_TOKEN = token;
const realFetch = fetch;
const requests = [];
globalThis.fetch = (url, options) => { requests.push(url); return realFetch(url, options); };
(async () => {
  new Function(await (await realFetch(base + "/addin/functions.js")).text())();
  // a recalculation: 600 cells of a column at once (more than one batch holds), two of them failing
  const cells = Array.from({ length: 600 }, (_, i) =>
    i === 7 ? registered.ESA_KPI(3, 0) : i === 8 ? registered.ESA_BAHTTEXT("abc") : registered.ESA_BAHTTEXT(i + 1));
  const settled = await Promise.allSettled(cells);
  const shown = settled.map((s) => (s.status === "fulfilled" ? s.value : [s.reason.code, s.reason.message]));
  console.log(JSON.stringify({ requests, shown }));
})();
"""


NODE_OFFICE_EACH = """
const fs = require("fs");
const [, , callsFile, base, token] = process.argv;
const registered = {};
class FunctionError extends Error { constructor(code, message) { super(message); this.code = code; } }
globalThis.CustomFunctions = { associate: (name, fn) => { registered[name] = fn; }, Error: FunctionError,
  ErrorCode: { invalidValue: "#VALUE!", notAvailable: "#N/A", divisionByZero: "#DIV/0!", invalidNumber: "#NUM!" } };
globalThis.ESAPLAN_TOKEN = token;
(async () => {
  new Function(await (await fetch(base + "/addin/functions.js")).text())();
  const calls = JSON.parse(fs.readFileSync(callsFile, "utf8"));
  const settled = await Promise.allSettled(calls.map(([name, args]) => registered[name](...args)));
  console.log(JSON.stringify(settled.map((s) => (s.status === "fulfilled" ? { value: s.value } : { error: [s.reason.code, s.reason.message] }))));
})();
"""


NODE_APPS_SCRIPT_EACH = (
    APPS_SCRIPT_RUNTIME
    + """
const calls = JSON.parse(fs.readFileSync(process.env.ESAPLAN_CALLS, "utf8"));
const names = [...new Set(calls.map(([name]) => name))];
const functions = new Function(code + "; return {" + names.map((n) => n + ": " + n).join(", ") + "};")();
console.log(JSON.stringify(calls.map(([name, args]) => {
  try { return { value: functions[name](...args) }; } catch (error) { return { error: error.message }; }
})));
"""
)
