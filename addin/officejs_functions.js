/*
 * esaplan custom functions for Excel (Office.js): every ESA formula is one call to the sync
 * service. The formula list and the service address are filled in by esaplan from its registry,
 * so a new formula needs no edit here. The connection code (X-Esaplan-Token) is the one in
 * <ESAPLAN_HOME>/api-token.txt, typed once into the taskpane and kept in the add-in's storage.
 */
const ESAPLAN_BASE = __ESAPLAN_BASE__;
const ESAPLAN_FORMULAS = __ESAPLAN_FORMULAS__; // name -> true when the result spills

async function esaplanToken() {
  if (typeof OfficeRuntime !== "undefined" && OfficeRuntime.storage) {
    return (await OfficeRuntime.storage.getItem("esaplan-token")) || "";
  }
  return (typeof globalThis.ESAPLAN_TOKEN === "string" && globalThis.ESAPLAN_TOKEN) || "";
}

function esaplanCell(value) {
  // Excel shows null as 0; a blank result must stay blank.
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(esaplanCell);
  return value;
}

async function esaplanCall(name, args) {
  const value = await esaplanFetch(name, args);
  // a spilling formula must answer with rows, even when the answer is a message
  return ESAPLAN_FORMULAS[name] && !Array.isArray(value) ? [[value]] : value;
}

async function esaplanFetch(name, args) {
  try {
    const response = await fetch(`${ESAPLAN_BASE}/api/formulas/${name}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Esaplan-Token": await esaplanToken() },
      body: JSON.stringify({ args: args.map((a) => (a === undefined ? null : a)) }),
    });
    const body = await response.json();
    if (!response.ok) return `⚠ ${name}: ${body.error || response.status}`;
    return esaplanCell(body.result);
  } catch (error) {
    return `⚠ ${name}: ติดต่อระบบ esaplan ไม่ได้ (${error.message})`;
  }
}

for (const name of Object.keys(ESAPLAN_FORMULAS)) {
  CustomFunctions.associate(name, (...args) => esaplanCall(name, args));
}
