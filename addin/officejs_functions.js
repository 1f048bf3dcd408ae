/*
 * esaplan custom functions for Excel (Office.js): every ESA formula is one call to the sync
 * service. The formula list and the service address are filled in by esaplan from its registry,
 * so a new formula needs no edit here. The connection code (X-Esaplan-Token) is the person's own,
 * made on esaplan's web page, typed once into the task pane and kept in the add-in's storage.
 *
 * Calls are batched, as Microsoft advises for a remote service ("Batch custom function calls for a
 * remote service", learn.microsoft.com/office/dev/add-ins/excel/custom-functions-batching): every call
 * made within ESAPLAN_BATCH_MS goes in one request (POST /api/formulas), so a column of 260 formulas
 * recalculating is one round trip, not 260; each cell still gets its own answer or its own error.
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

const ESAPLAN_BATCH_MS = 30; // calls this close together share a request (Microsoft's sample waits 100 ms)
const ESAPLAN_BATCH_MAX = 500; // calls per request at most: a recalculation of thousands is a few requests
let esaplanWaiting = []; // { id, args, resolve, reject } not sent yet
let esaplanTimer = null;

function esaplanCall(id, args) {
  return new Promise((resolve, reject) => {
    esaplanWaiting.push({ id, args: args.map((a) => (a === undefined ? null : a)), resolve, reject });
    if (esaplanTimer === null) esaplanTimer = setTimeout(esaplanSendWaiting, ESAPLAN_BATCH_MS);
  });
}

function esaplanSendWaiting() {
  const waiting = esaplanWaiting;
  esaplanWaiting = [];
  esaplanTimer = null;
  for (let start = 0; start < waiting.length; start += ESAPLAN_BATCH_MAX) {
    esaplanSend(waiting.slice(start, start + ESAPLAN_BATCH_MAX));
  }
}

async function esaplanSend(batch) {
  let response, body;
  try {
    response = await fetch(`${ESAPLAN_BASE}/api/formulas`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Esaplan-Token": await esaplanToken() },
      body: JSON.stringify({ calls: batch.map((op) => ({ name: op.id, args: op.args })) }),
    });
    body = await response.json();
  } catch (error) {
    const reason = `ติดต่อระบบ esaplan ไม่ได้ (${error.message})`;
    for (const op of batch) op.reject(esaplanError(op.id, CustomFunctions.ErrorCode.notAvailable, reason));
    return;
  }
  if (!response.ok || !Array.isArray(body.results) || body.results.length !== batch.length) { // refused whole: a wrong code, say
    for (const op of batch) op.reject(esaplanError(op.id, esaplanExcelError(body.excel), body.error || `HTTP ${response.status}`));
    return;
  }
  batch.forEach((op, i) => {
    const answer = body.results[i];
    if ("error" in answer) {
      op.reject(esaplanError(op.id, esaplanExcelError(answer.excel), answer.error));
      return;
    }
    const value = esaplanCell(answer.result);
    // a spilling formula must answer with rows
    op.resolve(ESAPLAN_FORMULAS[op.id].spills && !Array.isArray(value) ? [[value]] : value);
  });
}

for (const id of Object.keys(ESAPLAN_FORMULAS)) {
  CustomFunctions.associate(id, (...args) => esaplanCall(id, args));
}
