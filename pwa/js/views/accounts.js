// Accounts: offline search and filters over the cached territory; the account's whole picture.
import { all, byIndex, get } from "../db.js";
import { t } from "../i18n.js";
import { CADENCE_DAYS, daysSince, html, isOverdue, raw, shortDate } from "../ui.js";
import { on } from "../state.js";

const SHOWN = 100;
let cache = null; // [{account, haystack}] built once per data change

on("data-changed", () => { cache = null; });

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
  return raw(html`<option value="${value}" ${raw(selected ? "selected" : "")}>${label}</option>`);
}

export async function renderList(main, { query }) {
  const entries = await index();
  const regions = [...new Set(entries.map((e) => e.account.region).filter(Boolean))].sort();
  const state = { q: query.get("q") ?? "", cls: query.get("class") ?? "", region: query.get("region") ?? "",
                  overdue: query.get("overdue") === "1" };
  main.innerHTML = html`
    <h1>${t("accounts.title")}</h1>
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
      <label class="check"><input type="checkbox" id="overdue" name="overdue" ${raw(state.overdue ? "checked" : "")}>${t("accounts.overdue")}</label>
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
        ${isOverdue(a, now) ? raw(html`<span class="tag warn">${t("account.overdue")}</span>`) : ""}
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
  const [contacts, devices, opportunities, visits] = await Promise.all(
    ["contacts", "devices", "opportunities", "visits"].map((s) => byIndex(s, "account_id", id)));
  const days = daysSince(account.last_contact_at);
  const cadence = CADENCE_DAYS[account.account_class] ?? 30;
  const none = raw(html`<p class="muted">${t("account.none")}</p>`);
  visits.sort((a, b) => String(b.check_in_at ?? b.planned_start).localeCompare(String(a.check_in_at ?? a.planned_start)));
  main.innerHTML = html`
    <h1>${account.name} <span class="tag">${account.account_class}</span></h1>
    <p class="muted">${account.address} · ${account.region} · ${account.industry}</p>
    ${account.latitude == null || account.longitude == null ? raw(html`<p><span class="tag bad">${t("account.no_position")}</span></p>`) : ""}
    <p>${days === null ? t("account.never") : t("account.days", { days, cadence })}
       ${isOverdue(account) ? raw(html`<span class="tag warn">${t("account.overdue")}</span>`) : ""}</p>
    <a class="button" href="#/visit/new?account=${account.id}">${t("account.new_visit")}</a>
    <h2>${t("account.contacts")}</h2>
    ${contacts.length ? raw(contacts.map((c) => html`<div class="card"><strong>${c.name}</strong> ${c.title}
        <div class="muted">${c.purchase_role ?? ""} ${c.phone}</div></div>`).join("")) : none}
    <h2>${t("account.devices")}</h2>
    ${devices.length ? raw(devices.map((d) => html`<div class="card">${d.brand} ${d.model}
        <span class="tag ${d.ownership === "ours" ? "" : "warn"}">${t(`device.${d.ownership}`)}</span>
        <div class="muted">${d.colour} · ${d.installed_on ?? ""} · ${t("device.volume", { n: d.monthly_volume })}</div></div>`).join("")) : none}
    <h2>${t("account.opportunities")}</h2>
    ${opportunities.length ? raw(opportunities.map((o) => html`<div class="card">${o.title}
        <span class="tag">${t(`stage.${o.stage}`)}</span> <span class="muted">${o.status} · ${o.amount}</span></div>`).join("")) : none}
    <h2>${t("account.visits")}</h2>
    ${visits.length ? raw(visits.map((v) => html`<a class="card item" style="display:block;color:inherit" href="#/visit/${v.id}">
        ${v.check_in_at ? shortDate(v.check_in_at) : ""} — ${v.purpose}
        <div class="muted">${v.outcome}</div></a>`).join("")) : none}`;
}
