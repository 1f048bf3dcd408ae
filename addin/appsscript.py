"""Google Sheets: an Apps Script file generated from the formula registry, plus the macro menu.

One ``@customfunction`` per formula (so Sheets offers it with its Thai description), each a call
to the sync service's JSON API with the person's own connection code; and a menu "esaplan" with
the three macros and "ตั้งรหัสเชื่อมต่อของฉัน". The office sets the script property ESAPLAN_URL
once; each person sets their own code from the menu, kept in their user properties, which only
they can read (Script Properties are read by every editor of the sheet) (README, "Google Sheets").

A formula that cannot answer throws, so the cell shows #ERROR! with the Thai reason and IFERROR
works; a setting left out or wrong is said in Thai, never as Apps Script's raw English. Answers
are kept in the script cache (6 hours, Apps Script's longest) under the formula, its arguments
and the version of the service's rules data, which is asked for at most every 5 minutes: a column
of 260 identical recalculations costs one fetch, and a rate changed on the service shows within
5 minutes. Failures are kept briefly (30 seconds): a question the service refused (its answer is
the same for everyone) and a service out of reach, so a column of 260 cells does not ask a down
service 260 times over; a missing or revoked code is never kept (it is the person's, not the question's).
"""

from __future__ import annotations

import json

from addin.registry import FORMULAS, Formula, described

HEADER = r"""/**
 * esaplan สำหรับ Google Sheets - สร้างจากทะเบียนสูตรของ esaplan อย่าแก้ไขด้วยมือ
 * (generated from esaplan's formula registry; do not edit by hand)
 * ตั้งค่าครั้งเดียวต่อไฟล์: ส่วนขยาย > Apps Script > การตั้งค่าโครงการ > คุณสมบัติของสคริปต์
 *   ESAPLAN_URL = ที่อยู่ระบบ esaplan เช่น https://esaplan.example.go.th
 * แต่ละคน: เมนู esaplan > ตั้งรหัสเชื่อมต่อของฉัน (รหัสจากหน้าเว็บ esaplan เมนู รหัสเชื่อมต่อสูตร)
 *   เก็บในคุณสมบัติของผู้ใช้ (User Properties): ผู้แก้ไขไฟล์คนอื่นมองไม่เห็น
 */

var ESAPLAN_CACHE_S = 21600; // answers kept 6 hours (Apps Script's longest) under the rules version
var ESAPLAN_RULES_S = 300; // the rules version asked for at most every 5 minutes
var ESAPLAN_FAILED_S = 30; // a refused question or a service out of reach, kept this long
var ESAPLAN_SETTINGS_TH = "ส่วนขยาย > Apps Script > การตั้งค่าโครงการ > คุณสมบัติของสคริปต์";
var ESAPLAN_MY_CODE_TH = "เมนู esaplan > ตั้งรหัสเชื่อมต่อของฉัน (สร้างรหัสที่หน้าเว็บ esaplan เมนู รหัสเชื่อมต่อสูตร)";

function esaplanSettings_() {
  var url = String(PropertiesService.getScriptProperties().getProperty("ESAPLAN_URL") || "").trim().replace(/\/+$/, "");
  var token = String(PropertiesService.getUserProperties().getProperty("ESAPLAN_TOKEN") || "").trim();
  if (!/^https?:\/\/[^\s]+$/.test(url)) throw new Error("ยังไม่ได้ตั้งค่า ESAPLAN_URL (ที่อยู่ระบบ esaplan เช่น https://esaplan.example.go.th) ที่ " + ESAPLAN_SETTINGS_TH);
  if (!token) throw new Error("ยังไม่ได้ตั้งรหัสเชื่อมต่อของท่าน: " + ESAPLAN_MY_CODE_TH);
  return { url: url, token: token };
}

// A failure that is the question's or the service's, the same for everyone: kept ESAPLAN_FAILED_S seconds.
function esaplanShared_(message) {
  var error = new Error(message);
  error.shared = true;
  return error;
}

// A body makes it a POST; the answer is { code, data } whatever the status. A busy or restarting service
// (429, 502, 503, 504, or no answer) is asked again after 0.5, 1 and 2 seconds (a custom function has 30);
// what still goes wrong is thrown in Thai, saying which it is: the address, the service, or the code.
var ESAPLAN_RETRY_MS = [500, 1000, 2000];

function esaplanRequest_(path, body) {
  var settings = esaplanSettings_();
  var options = { method: "get", headers: { "X-Esaplan-Token": settings.token }, muteHttpExceptions: true };
  if (body !== undefined) {
    options.method = "post";
    options.contentType = "application/json";
    options.payload = JSON.stringify(body);
  }
  var cache = CacheService.getScriptCache();
  var down = cache.get("esaplan-down");
  if (down !== null) throw esaplanShared_(down);
  var response = null, failure = null, code = 0;
  for (var attempt = 0; attempt <= ESAPLAN_RETRY_MS.length; attempt++) {
    if (attempt > 0) Utilities.sleep(ESAPLAN_RETRY_MS[attempt - 1]);
    try {
      response = UrlFetchApp.fetch(settings.url + "/api/" + path, options);
      failure = null;
      code = response.getResponseCode();
      if ([429, 502, 503, 504].indexOf(code) < 0) break;
    } catch (error) {
      failure = error;
    }
  }
  var unreachable = null;
  if (failure !== null) {
    unreachable = "ติดต่อระบบ esaplan ที่ " + settings.url + " ไม่ได้ (ลอง 4 ครั้ง): ตรวจ ESAPLAN_URL และว่าเครื่องบริการเปิดอยู่ (" + failure.message + ")";
  }
  var data;
  if (unreachable === null) {
    try {
      data = JSON.parse(response.getContentText());
    } catch (error) {
      if (code === 429) unreachable = "ระบบ esaplan มีคำขอมากเกินไปในขณะนี้ (HTTP 429): รอสักครู่แล้วคำนวณใหม่";
      else if (code >= 500) unreachable = "เครื่องบริการ esaplan ไม่ตอบ (HTTP " + code + " จากเครื่องหน้าระบบ): รอสักครู่แล้วคำนวณใหม่ หากยังเป็นอยู่แจ้งผู้ดูแลระบบ";
      else throw new Error("ที่อยู่ " + settings.url + " ไม่ใช่ระบบ esaplan (ได้หน้าเว็บแทนข้อมูล HTTP " + code + "): ตรวจ ESAPLAN_URL ที่ " + ESAPLAN_SETTINGS_TH);
    }
  }
  if (unreachable !== null) {
    cache.put("esaplan-down", unreachable, ESAPLAN_FAILED_S);
    throw esaplanShared_(unreachable);
  }
  if (code === 401) throw new Error("รหัสเชื่อมต่อของท่านไม่ถูกต้องหรือถูกยกเลิกแล้ว: สร้างรหัสใหม่ที่หน้าเว็บ esaplan แล้วตั้งที่ " + ESAPLAN_MY_CODE_TH);
  return { code: code, data: data };
}

function esaplanPost_(path, body) {
  var answer = esaplanRequest_(path, body);
  if (answer.code >= 400) {
    var message = esaplanRefusal_(answer);
    throw answer.code === 422 || answer.code === 404 ? esaplanShared_(message) : new Error(message);
  }
  return answer.data;
}

// Sheets shows #ERROR! for any throw: the Excel error a user expects (#DIV/0!, #NUM!, #N/A) leads the reason.
function esaplanRefusal_(answer) {
  var excel = answer.data.excel && answer.data.excel !== "#VALUE!" ? answer.data.excel + " " : "";
  return excel + (answer.data.error || String(answer.code));
}

function esaplanCell_(value) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(esaplanCell_);
  return value;
}

function esaplanRulesVersion_(cache) {
  var version = cache.get("esaplan-rules");
  if (version === null) {
    version = esaplanRequest_("rules-version").data.version;
    cache.put("esaplan-rules", version, ESAPLAN_RULES_S);
  }
  return version;
}

function esaplanFormula_(name, args, spills) {
  var values = Array.prototype.slice.call(args).map(function (a) { return a === undefined ? null : a; });
  var cache = CacheService.getScriptCache();
  try {
    var question = JSON.stringify([esaplanRulesVersion_(cache), name, values]);
    var key = "esaplan-v2-" + Utilities.base64EncodeWebSafe(Utilities.computeDigest(Utilities.DigestAlgorithm.SHA_256, question, Utilities.Charset.UTF_8));
    var kept = cache.get(key);
    if (kept !== null) {
      kept = JSON.parse(kept);
      if (kept && kept.refused !== undefined) throw new Error(kept.refused);
      return kept.answer;
    }
    try {
      var result = esaplanCell_(esaplanPost_("formulas/" + name, { args: values }).result);
    } catch (error) {
      if (error.shared) cache.put(key, JSON.stringify({ refused: error.message }), ESAPLAN_FAILED_S);
      throw error;
    }
    result = spills && !Array.isArray(result) ? [[result]] : result;
    var text = JSON.stringify({ answer: result });
    if (text.length < 100000) cache.put(key, text, ESAPLAN_CACHE_S); // the cache's limit per value
    return result;
  } catch (error) {
    throw new Error(name + ": " + error.message);
  }
}
"""

MENU = """
function onOpen() {
  SpreadsheetApp.getUi()
    .createMenu("esaplan")
    .addItem("รวมข้อมูลเดี๋ยวนี้ (Consolidate now)", "esaplanConsolidateNow")
    .addItem("ตรวจแผ่นงานนี้ (Validate this sheet)", "esaplanValidateThisSheet")
    .addItem("ทะเบียนจัดสรร (Allocation register)", "esaplanAllocationRegister")
    .addSeparator()
    .addItem("ตั้งรหัสเชื่อมต่อของฉัน (My connection code)", "esaplanSetMyCode")
    .addToUi();
}

// The person's own code, in their user properties: no other editor of the sheet can read it.
function esaplanSetMyCode() {
  var ui = SpreadsheetApp.getUi();
  var answer = ui.prompt("วางรหัสเชื่อมต่อของท่าน (สร้างที่หน้าเว็บ esaplan เมนู รหัสเชื่อมต่อสูตร) เว้นว่างเพื่อลบรหัสที่ตั้งไว้");
  if (answer.getSelectedButton() !== ui.Button.OK) return;
  var code = answer.getResponseText().trim();
  var props = PropertiesService.getUserProperties();
  if (code) props.setProperty("ESAPLAN_TOKEN", code); else props.deleteProperty("ESAPLAN_TOKEN");
  ui.alert(code ? "ตั้งรหัสเชื่อมต่อของท่านแล้ว (ผู้อื่นมองไม่เห็น)" : "ลบรหัสเชื่อมต่อของท่านแล้ว");
}

// A consolidation longer than the service's 50-second answer is followed until it ends, within
// Apps Script's 6-minute limit; past that the web page shows it to the end.
function esaplanConsolidateNow() {
  var answer = esaplanRequest_("consolidate", {});
  var started = Date.now();
  while (answer.data.job && answer.data.job.status === "running") {
    if (Date.now() - started > 240000) {
      SpreadsheetApp.getUi().alert("ยังรวมข้อมูลอยู่ (" + answer.data.job.percent + "%) ดูความคืบหน้าและผลที่หน้าเว็บของระบบ esaplan");
      return;
    }
    Utilities.sleep(3000);
    answer = esaplanRequest_("jobs/" + answer.data.job.id + "/summary");
  }
  if (answer.code >= 400) throw new Error(esaplanRefusal_(answer));
  var result = answer.data;
  var lines = Object.keys(result.summary).map(function (form) {
    var c = result.summary[form];
    return form + ": ส่งแล้ว " + c.submitted + "/" + c.expected + " ส่งช้า " + c.late + " มีข้อผิดพลาด " + c.errors + " ยังไม่ส่ง " + c.missing;
  });
  SpreadsheetApp.getUi().alert("ปีงบประมาณ " + result.fiscal_year + " รอบ " + result.round + " เดือน\\n" + lines.join("\\n"));
}

// The notes go in the column after the data, or over the notes of an earlier run (the service says which).
function esaplanValidateThisSheet() {
  var sheet = SpreadsheetApp.getActiveSheet();
  var range = sheet.getDataRange();
  var result = esaplanPost_("validate", { sheet: sheet.getName(), grid: range.getValues(), origin: [range.getRow(), range.getColumn()] });
  if (!result.form) { SpreadsheetApp.getUi().alert(result.message); return; }
  sheet.getRange(range.getRow(), range.getColumn() + result.notes_column, result.notes.length, 1).setValues(result.notes);
  SpreadsheetApp.getUi().alert(result.message);
}

function esaplanAllocationRegister() {
  var ui = SpreadsheetApp.getUi();
  var answer = ui.prompt("วงเงินรวม (บาท) - เลือกช่วง 2 คอลัมน์: ชื่อหน่วย และน้ำหนัก ไว้ก่อน");
  if (answer.getSelectedButton() !== ui.Button.OK) return;
  var values = SpreadsheetApp.getActiveRange().getValues();
  var result = esaplanPost_("allocation-register", {
    names: values.map(function (row) { return row[0]; }),
    weights: values.map(function (row) { return row[1]; }),
    total: answer.getResponseText(),
  });
  var sheet = SpreadsheetApp.getActive().insertSheet("ทะเบียนจัดสรร " + new Date().toISOString().slice(0, 10));
  sheet.getRange(1, 1, result.table.length, 4).setValues(result.table.map(function (row) { return row.map(esaplanCell_); }));
  sheet.getRange(1, 1, 1, 4).setFontWeight("bold");
  sheet.getRange(2, 4, result.table.length - 1, 1).setNumberFormat("#,##0.00");
}
"""


def _function(entry: Formula) -> str:
    params = [p.name for p in entry.params]
    doc = [f" * {entry.th}", f" * {entry.en}"]
    doc += [
        f" * @param {{{'any' if p.type in ('range', 'any') or entry.lifts else 'number' if p.type == 'number' else 'string'}}} {p.name} {described(p)}"
        for p in entry.params
    ]
    doc += [" * @return ผลลัพธ์", " * @customfunction"]
    return "\n".join(
        [
            "/**",
            *doc,
            " */",
            f"function {entry.name}({', '.join(params)}) {{",
            f"  return esaplanFormula_({json.dumps(entry.name)}, arguments, {str(entry.spills).lower()});",
            "}",
        ]
    )


def apps_script() -> str:
    """The whole Code.gs: helpers, one custom function per registry formula, the macro menu."""
    return HEADER + "\n" + "\n\n".join(_function(f) for f in FORMULAS.values()) + "\n" + MENU
