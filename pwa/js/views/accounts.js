// Accounts: offline search and filters over the cached territory; the account's whole picture.
import { all, byIndex, get, getMeta, setMeta, writeLocal } from "../db.js";
import { t } from "../i18n.js";
import { cadenceDays, daysSince, hhmm, html, isOverdue, shortDate } from "../ui.js";
import { on } from "../state.js";
import { flags as opportunityFlags } from "./opportunity.js";
import { word } from "./records.js";

const VOLUME_BANDS = [["<1K", 0], ["1-3K", 1000], ["3-5K", 3000], ["5-10K", 5000], ["10-20K", 10000], ["20K+", 20000]];
const AGE_BANDS = ["<1", "1-2", "2-3", "3-4", "4-5", "5+"];

/** A machine's cell in the MIF matrix, counted as the server's report counts it. */
export function mifCell(device, now = new Date()) {
  const volume = VOLUME_BANDS.filter(([, floor]) => (device.monthly_volume ?? 0) >= floor).pop()[0];
  const years = device.installed_on ? (now - new Date(`${device.installed_on}T00:00:00`)) / (365.25 * 86_400_000) : null;
  const age = years === null ? "unknown" : AGE_BANDS[Math.min(Math.max(Math.floor(years), 0), 5)];
  return { volume, age, replacement: age === "5+" && ["5-10K", "10-20K", "20K+"].includes(volume) };
}

/** The method's rule: judge a prospect within 3 visits (pursue it with an opportunity past P, or let it go). */
function undecided(visits, opportunities) {
  const met = visits.filter((v) => v.check_in_at).length;
  const decided = opportunities.some((o) => o.status !== "open" || ["A", "D", "C", "O"].includes(o.stage));
  return met >= 3 && !decided;
}

const SHOWN = 100;
let cache = null; // [{account, haystack}] built once per data change

on("data-changed", () => { cache = null; });
on("local-write", () => { cache = null; }); // a prospect created on the phone is listed at once

async function index() {
  cache ??= (await all("accounts"))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((account) => ({ account, haystack: `${account.name} ${account.address}`.toLowerCase() }));
  return cache;
}

/** Accounts matching a query and filters, from the phone's copy. */
export async function search({ q = "", cls = "", region = "", overdue = false } = {}) {
  const needle = q.trim().toLowerCase();
  const now = new Date();
  return (await index()).filter(({ account, haystack }) =>
    (!needle || haystack.includes(needle)) && (!cls || account.account_class === cls)
    && (!region || account.region === region) && (!overdue || isOverdue(account, now))).map((e) => e.account);
}

function option(value, label, selected) {
  return html`<option value="${value}" ${selected ? html`selected` : ""}>${label}</option>`;
}

export async function renderList(main, { query }) {
  const entries = await index();
  const regions = [...new Set(entries.map((e) => e.account.region).filter(Boolean))].sort();
  const state = { q: query.get("q") ?? "", cls: query.get("class") ?? "", region: query.get("region") ?? "",
                  overdue: query.get("overdue") === "1" };
  main.innerHTML = html`
    <div class="row"><h1>${t("accounts.title")}</h1>
      <a class="button secondary" style="flex:0 0 auto" href="#/nearby">${t("nearby.title")}</a>
      <a class="button" style="flex:0 0 auto" href="#/account/new">${t("accounts.new")}</a></div>
    <form id="account-filters" class="card" role="search">
      <label for="q">${t("accounts.search")}</label>
      <input id="q" name="q" type="search" value="${state.q}" autocomplete="off">
      <div class="row">
        <div><label for="class">${t("accounts.class")}</label>
          <select id="class" name="class">${[option("", t("accounts.any"), !state.cls),
            ...["A", "B", "C"].map((c) => option(c, c, state.cls === c))]}</select></div>
        <div><label for="region">${t("accounts.region")}</label>
          <select id="region" name="region">${[option("", t("accounts.any"), !state.region),
            ...regions.map((r) => option(r, r, state.region === r))]}</select></div>
      </div>
      <label class="check"><input type="checkbox" id="overdue" name="overdue" ${state.overdue ? html`checked` : ""}>${t("accounts.overdue")}</label>
    </form>
    <p id="account-count" class="muted" aria-live="polite"></p>
    <ul id="account-list" class="list"></ul>`;
  const form = main.querySelector("#account-filters");
  const update = async () => {
    state.q = form.q.value;
    state.cls = form.class.value;
    state.region = form.region.value;
    state.overdue = form.overdue.checked;
    const found = await search(state);
    const now = new Date();
    main.querySelector("#account-count").textContent = found.length
      ? t("accounts.count", { shown: Math.min(found.length, SHOWN), total: found.length })
        + (found.length > SHOWN ? " " + t("accounts.more", { n: found.length - SHOWN }) : "")
      : t("accounts.empty");
    main.querySelector("#account-list").innerHTML = found.slice(0, SHOWN).map((a) => html`
      <li><a class="item" href="#/account/${a.id}">
        <strong>${a.name}</strong> <span class="tag">${a.account_class}</span>
        ${isOverdue(a, now) ? html`<span class="tag warn">${t("account.overdue")}</span>` : ""}
        <div class="muted">${a.address}</div></a></li>`).join("");
  };
  form.addEventListener("input", update);
  form.addEventListener("submit", (e) => e.preventDefault());
  await update();
}

export async function renderDetail(main, { id }) {
  const account = await get("accounts", id);
  if (!account) {
    main.innerHTML = html`<p class="card">${t("account.missing")}</p>`;
    return;
  }
  const [contacts, devices, opportunities, visits, appointments] = await Promise.all(
    ["contacts", "devices", "opportunities", "visits", "appointments"].map((s) => byIndex(s, "account_id", id)));
  const conflicts = (await getMeta("conflicts", [])).filter((c) => c.entity === "account" && c.entity_id === id);
  const upcoming = appointments.filter((a) => new Date(a.ends_at) >= new Date()).sort((a, b) => a.starts_at.localeCompare(b.starts_at));
  const days = daysSince(account.last_contact_at);
  const cadence = cadenceDays(account.account_class);
  const none = html`<p class="muted">${t("account.none")}</p>`;
  visits.sort((a, b) => String(b.check_in_at ?? b.planned_start).localeCompare(String(a.check_in_at ?? a.planned_start)));
  main.innerHTML = html`
    <h1>${account.name} <span class="tag">${account.account_class}</span></h1>
    <p class="muted">${[account.address, account.region, account.industry, account.org_type ? word("org_type", account.org_type) : ""]
      .filter(Boolean).join(" · ")}</p>
    ${account.latitude == null || account.longitude == null ? html`<p><span class="tag bad">${t("account.no_position")}</span></p>` : ""}
    <p>${days === null ? t("account.never") : t("account.days", { days, cadence })}
       ${isOverdue(account) ? html`<span class="tag warn">${t("account.overdue")}</span>` : ""}</p>
    ${undecided(visits, opportunities) ? html`<p><span class="tag warn">${t("account.judge_in_3")}</span></p>` : ""}
    ${conflicts.map((c) => html`<div class="card conflict" data-conflict="${c.key}"><strong>${t("conflict.title")}</strong>
      ${Object.entries(c.conflicts).map(([field, v]) => html`<div class="conflict-field" data-field="${field}">
        <p>${t(`field.${field}`)}: ${t("conflict.yours")} <strong>${v.client ?? "–"}</strong> · ${t("conflict.theirs")} <strong>${v.server ?? "–"}</strong></p>
        <div class="row"><button type="button" data-keep="mine" data-field="${field}">${t("conflict.keep_mine")}</button>
          <button type="button" class="secondary" data-keep="theirs" data-field="${field}">${t("conflict.keep_theirs")}</button></div></div>`)}
      </div>`)}
    <div class="row"><a class="button" href="#/visit/new?account=${account.id}">${t("account.new_visit")}</a>
      <a class="button secondary" href="#/account/${account.id}/edit">${t("form.edit")}</a>
      <a class="button secondary" href="#/appointment/new?account=${account.id}">${t("account.book")}</a></div>
    <h2>${t("account.appointments")}</h2>
    ${upcoming.length ? upcoming.map((a) => html`<a class="card item" style="display:block;color:inherit" href="#/appointment/${a.id}">
        ${shortDate(a.starts_at)} ${hhmm(a.starts_at)}–${hhmm(a.ends_at)} · ${a.purpose}</a>`) : none}
    <h2>${t("account.contacts")} <a class="button secondary" href="#/contact/new?account=${account.id}">${t("account.add_contact")}</a></h2>
    ${contacts.length ? contacts.map((c) => html`<div class="card"><a href="#/contact/${c.id}"><strong>${c.name}</strong></a> ${c.title}
        <div class="muted">${word("purchase_role", c.purchase_role)}
          ${c.phone ? html` · <a href="tel:${c.phone}">${c.phone}</a>` : ""}
          ${c.email ? html` · <a href="mailto:${c.email}">${c.email}</a>` : ""}</div></div>`) : none}
    <h2>${t("account.devices")} <a class="button secondary" href="#/device/new?account=${account.id}">${t("account.add_device")}</a></h2>
    ${devices.length ? devices.map((d) => {
      const cell = mifCell(d);
      return html`<div class="card device"><a href="#/device/${d.id}">${d.brand} ${d.model}</a>
        <span class="tag ${d.ownership === "ours" ? "" : "warn"}">${word("ownership", d.ownership)}</span>
        <div class="muted">${word("colour", d.colour)} · ${t("device.age", { band: t(`age.${cell.age}`) })} · ${t("device.volume_band", { band: cell.volume })}
          · ${t("device.volume", { n: d.monthly_volume ?? 0 })}</div>
        ${cell.replacement ? html`<p><span class="tag bad">${t("device.replacement")}</span>
          <a class="button" href="#/opportunity/new?account=${account.id}&device=${d.id}">${t("device.open_opportunity")}</a></p>` : ""}</div>`;
    }) : none}
    <h2>${t("account.opportunities")} <a class="button secondary" href="#/opportunity/new?account=${account.id}">${t("account.add_opportunity")}</a></h2>
    ${opportunities.length ? opportunities.map((o) => html`<a class="card item" style="display:block;color:inherit" href="#/opportunity/${o.id}">${o.title}
        <span class="tag">${t(`stage.${o.stage}`)}</span> <span class="muted">${word("status", o.status)} · ${o.amount ?? ""}</span>
        ${opportunityFlags(o).map(([key, values]) => html`<span class="tag warn">${t(key, values)}</span>`)}</a>`) : none}
    <h2>${t("account.visits")}</h2>
    ${visits.length ? visits.map((v) => html`<a class="card item" style="display:block;color:inherit" href="#/visit/${v.id}">
        ${v.check_in_at ? shortDate(v.check_in_at) : ""} — ${v.purpose}
        <div class="muted">${v.outcome}</div></a>`) : none}`;
  main.querySelectorAll("[data-keep]").forEach((button) => button.addEventListener("click", async () => {
    const field = button.dataset.field;
    const entry = conflicts.find((c) => c.conflicts[field]);
    if (button.dataset.keep === "mine") {
      const current = await get("accounts", id);
      await writeLocal("account", "update", id, { [field]: entry.conflicts[field].client }, { baseVersion: current.version ?? 0 });
    }
    const rest = (await getMeta("conflicts", [])).map((c) => {
      if (c.key !== entry.key) return c;
      const { [field]: _, ...others } = c.conflicts;
      return { ...c, conflicts: others };
    }).filter((c) => Object.keys(c.conflicts).length);
    await setMeta("conflicts", rest);
    await renderDetail(main, { id });
  }));
}
