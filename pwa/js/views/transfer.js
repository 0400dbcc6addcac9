// Managers bring a team's spreadsheet in (accounts, installed base, contacts) and take data out.
import { online } from "../api.js";
import { has, t } from "../i18n.js";
import { exportFile, importFile, importJob, importJobs, importTemplate } from "../transfers.js";
import { defaultPeriodKind, describe, fieldLabel, html, messageText, period } from "../ui.js";

const IMPORTS = ["accounts", "devices", "contacts"];
const EXPORTS = ["accounts", "contacts", "devices", "opportunities", "visits", "activities", "photos"];

/** A coded field's allowed values as the phone's words (which an import reads as well as the codes): "one of
 *  head_office, branch, factory" reads 总部 / 分支机构 / 工厂 in zh-CN; the codes when a word is missing. */
function choicesInWords(field, coded) {
  const choices = coded.code === "one_of" && typeof coded.params?.choices === "string" ? coded.params.choices.split(", ") : [];
  if (!choices.length || !choices.every((c) => has(`code.${field}.${c}`))) return coded;
  return { ...coded, params: { ...coded.params, choices: choices.map((c) => t(`code.${field}.${c}`)).join(" / ") } };
}

/** A listed problem in the phone's language: each of its messages by code, the English text as a fallback. */
function problemText(problem) {
  if (!problem.codes?.length) return problem.message;
  return problem.codes.every((c) => c.code)
    ? problem.codes.map((c) => messageText("", choicesInWords(problem.field, c))).join(" ") : problem.message;
}

/** The counts line: what was written; on a check, what would be; on a refusal, rows fine and rows at fault
 * (a refused file's "new" would read as written). */
function countsKey(result) {
  if (result.dry_run) return "transfer.counts_dry";
  return result.written || !result.error_count ? "transfer.counts" : "transfer.counts_refused";
}

export function report(result) {
  const problems = [...(result.errors || []).map((p) => ({ ...p, kind: "error" })),
                    ...(result.warnings || []).map((p) => ({ ...p, kind: "warning" }))];
  return html`<div class="card" id="import-report">
    <p><strong>${result.written && result.rows > result.skipped ? t("transfer.written") : t("transfer.not_written")}</strong></p>
    ${typeof result.rows === "number" ? html`<p id="import-counts">${t(countsKey(result), { ...result, fine: result.rows - result.skipped })}</p>` : ""}
    ${result.error_count > (result.errors || []).length ? html`<p class="muted">${t("transfer.more_problems",
      { shown: result.errors.length, total: result.error_count })}</p>` : ""}
    ${problems.length ? html`<div style="overflow-x:auto"><table class="report-table"><thead><tr>
      <th>${t("transfer.row")}</th><th>${t("transfer.field")}</th><th>${t("transfer.message")}</th></tr></thead><tbody>
      ${problems.slice(0, 500).map((p) => html`<tr class="${p.kind}"><td>${p.row}</td><td>${fieldLabel(p.field)}</td>
        <td style="text-align:left">${problemText(p)}</td></tr>`)}</tbody></table></div>` : ""}
  </div>`;
}

const POLL_MS = 1000;
const RECENT_MS = 15 * 60 * 1000; // a background import that ended this long ago is still shown on return

/** A background job's progress card: rows read and the share of the file, until its report is in. */
function progress(job) {
  const percent = job.progress?.percent ?? 0;
  return html`<div class="card" id="import-progress" data-status="${job.status}">
    <p><strong>${t(`transfer.job.${job.status}`)}</strong></p>
    <progress max="100" value="${percent}" aria-label="${t("transfer.job.progress")}"></progress>
    <p>${t("transfer.job.read", { rows: job.progress?.rows_read ?? 0, percent: Math.round(percent) })}</p>
  </div>`;
}

/** Follow a background import until it ends; the screen may be left and come back to it meanwhile. */
async function follow(main, job) {
  const result = main.querySelector("#import-result");
  while (main.isConnected && (job.status === "queued" || job.status === "running")) {
    result.innerHTML = progress(job);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    try {
      job = await importJob(job.id);
    } catch (e) {
      main.querySelector("#import-error").textContent = describe(e);
      return; // offline or signed out: the job goes on, and this screen shows it again when opened
    }
  }
  if (!main.isConnected) return;
  if (job.status === "failed") {
    result.innerHTML = "";
    main.querySelector("#import-error").textContent = job.failure_code ? t(`transfer.job.${job.failure_code}`)
      : job.failure || t("transfer.job.failed");
  } else {
    result.innerHTML = report(job.report);
  }
}

export async function render(main) {
  const [from, to] = period(defaultPeriodKind()); // the last full month early in a month
  main.innerHTML = html`<h1>${t("transfer.title")}</h1>
    <form id="import-form" class="card">
      <h2>${t("transfer.import")}</h2>
      <label for="import-kind">${t("transfer.kind")}</label>
      <select id="import-kind" name="kind">${IMPORTS.map((k) => html`<option value="${k}">${t(`transfer.${k}`)}</option>`)}</select>
      <label for="import-file">${t("transfer.file")}</label>
      <input id="import-file" name="file" type="file" accept=".csv,text/csv" required>
      <label for="import-owner">${t("transfer.owner")}</label>
      <input id="import-owner" name="owner" autocomplete="off">
      <label for="import-datum">${t("transfer.datum")}</label>
      <select id="import-datum" name="datum">${["wgs84", "gcj02", "bd09"].map((d) =>
        html`<option value="${d}">${t(`transfer.datum.${d}`)}</option>`)}</select>
      <label class="check"><input type="checkbox" name="dry_run" checked>${t("transfer.dry_run")}</label>
      <label class="check"><input type="checkbox" name="skip_invalid">${t("transfer.skip_invalid")}</label>
      <button type="submit">${t("transfer.upload")}</button>
      <p class="row">${t("transfer.template")}
        <button type="button" class="secondary" data-template="zh-CN">中文 CSV</button>
        <button type="button" class="secondary" data-template="en">English CSV</button></p>
    </form>
    <p id="import-error" class="error-text" role="alert"></p>
    <div id="import-result" aria-live="polite"></div>
    <section class="card"><h2>${t("transfer.export")}</h2>
      <div class="row"><div><label for="export-from">${t("team.from")}</label><input id="export-from" type="date" value="${from}"></div>
        <div><label for="export-to">${t("team.to")}</label><input id="export-to" type="date" value="${to}"></div></div>
      <div class="row">${EXPORTS.map((k) => html`<button type="button" class="secondary" data-export="${k}">${t(`transfer.${k}`)} CSV</button>`)}
        <button type="button" class="secondary" data-export="photos" data-format="zip">${t("transfer.photos")} ZIP</button></div>
    </section>`;
  const form = main.querySelector("#import-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = main.querySelector("#import-error");
    error.textContent = online() ? "" : t("team.offline");
    if (!online() || !form.file.files.length) return;
    const body = new FormData();
    body.append("file", form.file.files[0]);
    const options = { dry_run: form.dry_run.checked, skip_invalid: form.skip_invalid.checked };
    if (form.owner.value.trim()) options.owner = form.owner.value.trim();
    if (form.kind.value === "accounts") options.datum = form.datum.value;
    try {
      const answer = await importFile(form.kind.value, body, options);
      if (answer.status && answer.id) await follow(main, answer); // a large file: imported in the background
      else main.querySelector("#import-result").innerHTML = report(answer);
    } catch (e) {
      error.textContent = describe(e);
      if (e.body?.error?.report) main.querySelector("#import-result").innerHTML = report(e.body.error.report);
    }
  });
  if (online()) { // the newest import, still going or ended a moment ago, from an earlier visit
    importJobs().then((jobs) => {
      const [last] = jobs;
      const recent = last && (!last.finished_at || Date.now() - Date.parse(last.finished_at) < RECENT_MS);
      if (recent && !main.querySelector("#import-result").childElementCount) follow(main, last);
    }).catch(() => {});
  }
  main.querySelectorAll("[data-template]").forEach((button) => button.addEventListener("click", () => {
    importTemplate(form.kind.value, button.dataset.template)
      .catch((e) => { main.querySelector("#import-error").textContent = describe(e); });
  }));
  main.querySelectorAll("[data-export]").forEach((button) => button.addEventListener("click", () => {
    const format = button.dataset.format ?? "csv"; // zip: the CSV and the photos it names
    exportFile(button.dataset.export, main.querySelector("#export-from").value, main.querySelector("#export-to").value, format)
      .catch((e) => { main.querySelector("#import-error").textContent = describe(e); });
  }));
}
