/*
 * The esaplan task pane's three macros (Consolidate now, Validate this sheet, Allocation
 * register). A file of its own, not inline: the page's Content-Security-Policy runs scripts from
 * the service and office.js's CDN only. ESAPLAN_BASE comes from functions.js, loaded before.
 */
const show = (text) => { document.getElementById("status").textContent = text; };

// A body makes it a POST; the answer is { ok, data } whatever the status.
async function esaplanRequest(path, body) {
  const token = await esaplanToken();
  const options = body === undefined
    ? { headers: { "X-Esaplan-Token": token } }
    : { method: "POST", headers: { "Content-Type": "application/json", "X-Esaplan-Token": token }, body: JSON.stringify(body) };
  const response = await fetch(`${ESAPLAN_BASE}/api/${path}`, options);
  return { ok: response.ok, data: await response.json() };
}

async function esaplanApi(path, body) {
  const { ok, data } = await esaplanRequest(path, body || {});
  if (!ok) throw new Error(data.error || "?");
  return data;
}

// A consolidation longer than the service's 50-second answer is followed until it ends.
async function esaplanConsolidate() {
  let { ok, data } = await esaplanRequest("consolidate", {});
  while (data.job && data.job.status === "running") {
    show(`กำลังรวมข้อมูล ${data.job.percent}% (${data.job.phase_th})`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    ({ ok, data } = await esaplanRequest(`jobs/${data.job.id}/summary`));
  }
  if (!ok) throw new Error(data.error || "?");
  return data;
}

// The notes column sits after the data or over an earlier run's notes (the service says which),
// counted from where the used range starts, which is not always A1.
async function esaplanValidate(context) {
  const sheet = context.workbook.worksheets.getActiveWorksheet();
  const used = sheet.getUsedRange();
  sheet.load("name");
  used.load(["values", "rowIndex", "columnIndex"]);
  await context.sync();
  const result = await esaplanApi("validate", { sheet: sheet.name, grid: used.values, origin: [used.rowIndex + 1, used.columnIndex + 1] });
  if (result.form) {
    sheet.getRangeByIndexes(used.rowIndex, used.columnIndex + result.notes_column, result.notes.length, 1).values = result.notes;
    await context.sync();
  }
  return result.message;
}

async function esaplanRegister(context) {
  const selection = context.workbook.getSelectedRange();
  selection.load("values");
  await context.sync();
  const names = selection.values.map((row) => row[0]);
  const weights = selection.values.map((row) => row[1]);
  const result = await esaplanApi("allocation-register", { names, weights, total: document.getElementById("total").value });
  const sheet = context.workbook.worksheets.add("ทะเบียนจัดสรร " + new Date().toISOString().slice(0, 10));
  sheet.getRangeByIndexes(0, 0, result.table.length, 4).values = result.table;
  sheet.getRange("A1:D1").format.font.bold = true;
  sheet.getRangeByIndexes(1, 3, result.table.length - 1, 1).numberFormat = result.table.slice(1).map(() => ["#,##0.00"]);
  sheet.activate();
  await context.sync();
}

Office.onReady(() => {
  document.getElementById("connection").onsubmit = async (event) => {
    event.preventDefault();
    const kept = await esaplanSaveToken(document.getElementById("token").value.trim());
    show(kept ? "บันทึกรหัสเชื่อมต่อแล้ว" : "ใช้รหัสเชื่อมต่อได้จนปิดแผงนี้ (เบราว์เซอร์ไม่ให้บันทึกไว้)");
  };
  document.getElementById("consolidate").onclick = async () => {
    show("กำลังรวมข้อมูล...");
    try {
      const result = await esaplanConsolidate();
      const lines = Object.entries(result.summary).map(([form, c]) => `${form}: ส่งแล้ว ${c.submitted}/${c.expected} ส่งช้า ${c.late} มีข้อผิดพลาด ${c.errors} ยังไม่ส่ง ${c.missing}`);
      show(`ปีงบประมาณ ${result.fiscal_year} รอบ ${result.round} เดือน\n${lines.join("\n")}\nไฟล์รวม: ${result.master}`);
    } catch (error) { show(`รวมข้อมูลไม่สำเร็จ: ${error.message}`); }
  };
  document.getElementById("validate").onclick = () => Excel.run(esaplanValidate).then(show, (error) => show(`ตรวจไม่สำเร็จ: ${error.message}`));
  document.getElementById("register").onclick = () => Excel.run(esaplanRegister).then(() => show("เขียนทะเบียนจัดสรรแล้ว"), (error) => show(`ทำทะเบียนจัดสรรไม่สำเร็จ: ${error.message}`));
});
