// The Consolidate panel: follows the running job until it ends, then shows the result.
(function () {
  const panel = document.getElementById("job");
  if (!panel || panel.dataset.status !== "running") return;
  const bar = document.getElementById("job-bar");
  const percent = document.getElementById("job-percent");
  const phase = document.getElementById("job-phase");
  const count = document.getElementById("job-count");
  const unit = document.getElementById("job-unit");
  async function poll() {
    try {
      const response = await fetch(panel.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      const job = await response.json();
      bar.value = job.percent;
      percent.textContent = job.percent + "%";
      if (phase.textContent !== job.phase_th) phase.textContent = job.phase_th; // a live region: said when the phase changes, not every count
      count.textContent = job.total ? `${job.done}/${job.total}` : "";
      unit.textContent = job.unit_code ? `${job.unit_code} ${job.unit_name}` : "";
      if (job.status !== "running") {
        panel.dataset.status = job.status;
        window.setTimeout(() => window.location.reload(), 700);
        return;
      }
    } catch (error) {
      unit.textContent = "เชื่อมต่อไม่ได้ชั่วคราว กำลังลองใหม่...";
    }
    window.setTimeout(poll, 700);
  }
  poll();
})();

// Copy buttons for upload links: one link (data-copy), or a whole list from a text box (data-copy-from).
document.querySelectorAll("button[data-copy], button[data-copy-from]").forEach((button) => {
  button.addEventListener("click", async () => {
    const text = button.dataset.copyFrom ? document.getElementById(button.dataset.copyFrom).value : button.dataset.copy;
    await navigator.clipboard.writeText(text);
    button.textContent = "คัดลอกแล้ว";
  });
});

// Forms that take a few seconds (a document printed by LibreOffice): one press, and say it is working.
document.querySelectorAll("form[data-busy]").forEach((form) => {
  form.addEventListener("submit", () => {
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    button.textContent = form.dataset.busy;
  });
});
