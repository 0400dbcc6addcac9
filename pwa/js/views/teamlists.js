// The lists a manager works from on the Team screen: every overdue account, a page at a time and by rep,
// counted in days past the cadence; and the targets as a grid of reps by months, typed in place.
import { monthlyTargets, overduePage, saveMonthlyTarget } from "../reports.js";
import { lang, t } from "../i18n.js";
import { describe, html, money, shortDate } from "../ui.js";

const PER_PAGE = 25;

/** The overdue list of the report's period (as things stood at its end), a page at a time, one rep or all. */
export function renderOverdue(el, { query, reps }) {
  const state = { page: 1, rep: "" };
  el.innerHTML = html`<div class="row overdue-controls">
      <div><label for="overdue-rep">${t("team.rep")}</label>
        <select id="overdue-rep"><option value="">${t("accounts.any")}</option>
          ${reps.map((r) => html`<option value="${r.rep_id}">${r.name}</option>`)}</select></div></div>
    <p id="overdue-count" class="muted" aria-live="polite"></p>
    <ul class="list" id="overdue-list"></ul>
    <div class="row pager"><button type="button" class="secondary" id="overdue-prev">${t("overdue.prev")}</button>
      <button type="button" class="secondary" id="overdue-next">${t("overdue.next")}</button></div>
    <p class="error-text" id="overdue-error" role="alert"></p>`;
  const load = async () => {
    const params = new URLSearchParams(query);
    params.set("page", state.page);
    params.set("per_page", PER_PAGE);
    if (state.rep) {
      params.delete("team_id");
      params.set("rep_id", state.rep);
    }
    const error = el.querySelector("#overdue-error");
    error.textContent = "";
    let answer;
    try {
      answer = await overduePage(params);
    } catch (e) {
      error.textContent = describe(e);
      return;
    }
    if (!el.isConnected) return;
    el.querySelector("#overdue-count").textContent = answer.total
      ? t("overdue.count", { total: answer.total, page: answer.page, pages: answer.pages }) : t("overdue.none");
    el.querySelector("#overdue-list").innerHTML = answer.items.map((a) => html`<li><a class="item" href="#/account/${a.account_id}">
      ${a.name} <span class="tag">${a.account_class}</span>
      <span class="muted">${a.rep_name ?? ""} · ${a.days_overdue === null ? t("team.never_visited")
        : a.days_overdue === 0 ? t("team.due_today") : t("team.days_overdue", { n: a.days_overdue })} · ${a.never_visited ? t("overdue.never", { days: a.cadence_days })
        : t("overdue.every", { days: a.cadence_days, since: a.days_since_contact })}</span></a></li>`).join("");
    el.querySelector("#overdue-prev").disabled = answer.page <= 1;
    el.querySelector("#overdue-next").disabled = answer.page >= answer.pages;
  };
  el.querySelector("#overdue-rep").addEventListener("change", (event) => {
    state.rep = event.target.value;
    state.page = 1;
    load();
  });
  el.querySelector("#overdue-prev").addEventListener("click", () => { state.page -= 1; load(); });
  el.querySelector("#overdue-next").addEventListener("click", () => { state.page += 1; load(); });
  return load();
}

/** "2027-01" plus `n` months. */
export function addMonths(month, n) {
  const [y, m] = month.split("-").map(Number);
  const d = new Date(y, m - 1 + n, 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`;
}

function lastDay(month) {
  const [y, m] = month.split("-").map(Number);
  return `${month}-${String(new Date(y, m, 0).getDate()).padStart(2, "0")}`;
}

function monthLabel(month) {
  const [y, m] = month.split("-").map(Number);
  return new Date(y, m - 1, 1).toLocaleDateString(lang(), { year: "numeric", month: "short" });
}

/** An amount as typed in a target cell: digits with separators, no symbol ("150,000"). */
export function grouped(amount) {
  if (amount === null || amount === undefined) return "";
  const cents = !Number.isInteger(Number(amount)); // as money() shows it: cents only when there are some
  return new Intl.NumberFormat(lang(), { minimumFractionDigits: cents ? 2 : 0, maximumFractionDigits: 2 }).format(amount);
}

/** What was typed in a target cell as a number, or null when it is not an amount ("¥150,000" and "150000" are). */
export function parseAmount(text) {
  const plain = String(text).replace(/[\s,，_]/g, "").replace(/^[¥￥]/, "");
  return /^\d{1,11}(\.\d{1,2})?$/.test(plain) ? Number(plain) : null;
}

const MONTHS = 3;

/** The targets as a grid, reps by `MONTHS` months from the one picked; a cell saves when it is left or on Enter
 *  and shows the saved amount at once. `editable`: managers and admins; a rep reads theirs. */
export function renderTargets(el, { teamId, month, editable }) {
  const symbol = money(0).replace(/[\d.,\s]/g, "");
  el.innerHTML = html`<div class="row"><div><label for="target-month">${t("targets.first_month")}</label>
      <input id="target-month" type="month" value="${month}" required></div></div>
    <p id="targets-status" class="muted" role="status"></p>
    <div class="targets-box"><table class="report-table targets-grid" id="targets-grid"></table></div>`;
  const grid = el.querySelector("#targets-grid");
  const status = el.querySelector("#targets-status");
  const load = async () => {
    const first = el.querySelector("#target-month").value;
    if (!/^\d{4}-\d{2}$/.test(first)) return;
    const months = Array.from({ length: MONTHS }, (_, i) => addMonths(first, i));
    const params = new URLSearchParams({ from: `${months[0]}-01`, to: lastDay(months[MONTHS - 1]) });
    if (teamId) params.set("team_id", teamId);
    let answer;
    try {
      answer = await monthlyTargets(params);
    } catch (e) {
      status.textContent = describe(e);
      return;
    }
    if (!el.isConnected || el.querySelector("#target-month").value !== first) return; // another month meanwhile
    const cells = new Map(answer.rows.map((r) => [`${r.rep_id}|${r.month}`, r]));
    const reps = [...new Map(answer.rows.map((r) => [r.rep_id, r.name]))];
    grid.innerHTML = html`<thead><tr><th scope="col">${t("team.rep")}</th>${months.map((m) =>
      html`<th scope="col" data-month="${m}">${monthLabel(m)}</th>`)}</tr></thead>
      <tbody>${reps.map(([rep, name]) => html`<tr data-rep="${rep}"><th scope="row">${name}</th>${months.map((m) => {
        const r = cells.get(`${rep}|${m}`) ?? {};
        const id = `target-${rep}-${m}`;
        return html`<td data-month="${m}" title="${r.set_by_name ? t("team.set_by", { name: r.set_by_name, at: shortDate(r.set_at) }) : ""}">
          <label class="visually-hidden" for="${id}">${t("targets.cell", { name, month: monthLabel(m) })}</label>
          <span class="target-cell"><span aria-hidden="true">${symbol}</span>${editable
            ? html`<input id="${id}" class="target-input" inputmode="decimal" autocomplete="off" data-rep="${rep}"
                data-month="${m}" data-name="${name}" value="${grouped(r.target)}" placeholder="–">`
            : html`<span id="${id}">${grouped(r.target) || "–"}</span>`}</span>
          <span class="muted won-line">${t("targets.won", { amount: money(r.won ?? 0),
            pct: r.attainment_pct === null || r.attainment_pct === undefined ? "–" : `${r.attainment_pct}\u00a0%` })}</span></td>`;
      })}</tr>`)}</tbody>`;
  };
  const save = async (input) => {
    const amount = parseAmount(input.value);
    if (input.value.trim() === "" && !input.defaultValue) return; // nothing typed where nothing was set
    if (amount === null) {
      status.textContent = t("targets.invalid", { name: input.dataset.name, month: monthLabel(input.dataset.month) });
      input.setAttribute("aria-invalid", "true");
      return;
    }
    try {
      const saved = await saveMonthlyTarget(input.dataset.rep, input.dataset.month, amount);
      input.value = grouped(saved.amount); // the amount as the server keeps it, at once
      input.defaultValue = input.value;
      input.removeAttribute("aria-invalid");
      input.closest("td").dataset.saved = "true";
      status.textContent = t("targets.saved", { name: input.dataset.name, month: monthLabel(saved.month), amount: money(saved.amount) });
    } catch (e) {
      input.setAttribute("aria-invalid", "true");
      status.textContent = describe(e);
    }
  };
  grid.addEventListener("change", (event) => { if (event.target.matches(".target-input")) save(event.target); });
  grid.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches(".target-input")) {
      event.preventDefault();
      if (event.target.value !== event.target.defaultValue) save(event.target);
    }
  });
  el.querySelector("#target-month").addEventListener("change", () => { status.textContent = ""; load(); });
  return load();
}
