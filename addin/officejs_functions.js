/*
 * esaplan custom functions for Excel (Office.js): every ESA formula is one call to the sync
 * service. The formula list and the service address are filled in by esaplan from its registry,
 * so a new formula needs no edit here. The connection code (X-Esaplan-Token) is the one in
 * <ESAPLAN_HOME>/api-token.txt, typed once into the task pane and kept in the add-in's storage.
 *
 * A formula that cannot answer is an Excel error, not text: #VALUE! with the Thai reason (shown
 * when the cell's error mark is clicked), #N/A while the service cannot be reached, so IFERROR
 * and ISERROR work on it. It is named as typed here: ESA.ALLOCATE, not ESA_ALLOCATE.
 */
const ESAPLAN_BASE = __ESAPLAN_BASE__;
const ESAPLAN_FORMULAS = __ESAPLAN_FORMULAS__; // id -> { name: as typed in Excel, spills: result is a range }
const ESAPLAN_MESSAGE_MAX = 250; // Excel shows at most 256 characters of an error's message

// The code is kept in the add-in's storage; where the browser refuses the frame its storage
// (third-party storage blocked), it is kept in the page until the pane is closed.
async function esaplanToken() {
  try {
    if (typeof OfficeRuntime !== "undefined" && OfficeRuntime.storage) {
      const kept = await OfficeRuntime.storage.getItem("esaplan-token");
      if (kept) return kept;
    }
  } catch (refused) { /* storage blocked: the page's own copy below */ }
  return (typeof globalThis.ESAPLAN_TOKEN === "string" && globalThis.ESAPLAN_TOKEN) || "";
}

async function esaplanSaveToken(token) {
  globalThis.ESAPLAN_TOKEN = token;
  try {
    await OfficeRuntime.storage.setItem("esaplan-token", token);
    return true;
  } catch (refused) {
    return false;
  }
}

function esaplanCell(value) {
  // Excel shows null as 0; a blank result must stay blank.
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(esaplanCell);
  return value;
}

// the service's error kind (addin.registry.EXCEL_ERRORS) as Excel's own error value (read when needed:
// office.js defines CustomFunctions after this file is loaded)
function esaplanExcelError(excel) {
  const codes = CustomFunctions.ErrorCode;
  return { "#DIV/0!": codes.divisionByZero, "#NUM!": codes.invalidNumber, "#N/A": codes.notAvailable }[excel] || codes.invalidValue;
}

function esaplanError(id, code, reason) {
  const message = `${ESAPLAN_FORMULAS[id].name}: ${reason}`.slice(0, ESAPLAN_MESSAGE_MAX);
  return new CustomFunctions.Error(code, message);
}

async function esaplanCall(id, args) {
  let response, body;
  try {
    response = await fetch(`${ESAPLAN_BASE}/api/formulas/${id}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Esaplan-Token": await esaplanToken() },
      body: JSON.stringify({ args: args.map((a) => (a === undefined ? null : a)) }),
    });
    body = await response.json();
  } catch (error) {
    throw esaplanError(id, CustomFunctions.ErrorCode.notAvailable, `ติดต่อระบบ esaplan ไม่ได้ (${error.message})`);
  }
  if (!response.ok) {
    throw esaplanError(id, esaplanExcelError(body.excel), body.error || `HTTP ${response.status}`);
  }
  const value = esaplanCell(body.result);
  // a spilling formula must answer with rows
  return ESAPLAN_FORMULAS[id].spills && !Array.isArray(value) ? [[value]] : value;
}

for (const id of Object.keys(ESAPLAN_FORMULAS)) {
  CustomFunctions.associate(id, (...args) => esaplanCall(id, args));
}
