// Accounts: offline search and filters over the cached territory; the account's whole picture.
import { all, byIndex, get, getMeta, setMeta, writeLocal } from "../db.js";
import { t } from "../i18n.js";
import { byName, cadenceDays, daysSince, distanceText, hhmm, html, isOverdue, metresBetween, money, position, shortDate, stageLabel } from "../ui.js";
import { navButton, navContext, wireNavLinks } from "../navlinks.js";
import { fieldMap } from "../map.js";
import { emit, on } from "../state.js";
import { may } from "../may.js";
import { repName, teamReps } from "../teams.js";
import { flags as opportunityFlags } from "./opportunity.js";
import { word, wordOrText } from "./records.js";
import { photoItems } from "./visit.js";
import { photosOf } from "../photos.js";

const VOLUME_BANDS = [["<1K", 0], ["1-3K", 1000], ["3-5K", 3000], ["5-10K", 5000], ["10-20K", 10000], ["20K+", 20000]];
const AGE_BANDS = ["<1", "1-2", "2-3", "3-4", "4-5", "5+"];

/** A machine's cell in the MIF matrix, counted as the server's report counts it. */
export function mifCell(device, now = new Date()) {
  const volume = VOLUME_BANDS.filter(([, floor]) => (device.monthly_volume ?? 0) >= floor).pop()[0];
  const years = device.installed_on ? (now - new Date(`${device.installed_on}T00:00:00`)) / (365.25 * 86_400_000) : null;
  const age = years === null ? "unknown" : AGE_BANDS[Math.min(Math.max(Math.floor(years), 0), 5)];
  return { volume, age, replacement: age === "5+" && ["5-10K", "10-20K", "20K+"].includes(volume) };
}

/** The open opportunity that replaces a machine (the one opened from its card), if any. */
export function replacingOpportunity(device, opportunities) {
  return opportunities.find((o) => o.device_id === device.id && o.status === "open") ?? null;
}

/** The method's rule: judge a prospect within 3 visits (pursue it with an opportunity past P, or let it go). */
function undecided(visits, opportunities) {
  const met = visits.filter((v) => v.check_in_at).length;
  const decided = opportunities.some((o) => o.status !== "open" || ["A", "D", "C", "O"].includes(o.stage));
  return met >= 3 && !decided;
}

const PAGE = 100; // rows shown at a time; "Show more" adds the next page, the count says how many in all
let cache = null; // [{account, haystack, keys}] built once per data change

on("data-changed", () => { cache = null; });
on("local-write", () => { cache = null; }); // a prospect created on the phone is listed at once

async function index() {
  cache ??= (await all("accounts"))
    .sort(byName.of((a) => a.name))
    .map((account) => ({
      account,
      haystack: `${account.name} ${account.address}`.toLowerCase(),
      // The name's pinyin and initials, derived by the server (server/pinyin.py): `puji`, `pj` find 浦嘉.
      keys: `${account.name_pinyin ?? ""} ${account.name_initials ?? ""}`,
    }));
  return cache;
}

/** Days past the account's cadence (never visited: before any other), for the "overdue" order. */
function overdueBy(account, now) {
  const days = daysSince(account.last_contact_at, now);
  return days === null ? Infinity : days - (cadenceDays(account.account_class) ?? Infinity);
}

/** The accounts in an order: `name`, `overdue` (most overdue first) or `distance` from `here` (nearest first;
 *  accounts without a position last). Without `here`, distance falls back to the name order. */
export function sortAccounts(accounts, sort, here = null, now = new Date()) {
  const byAccountName = byName.of((a) => a.name);
  if (sort === "overdue") {
    const key = new Map(accounts.map((a) => [a.id, overdueBy(a, now)]));
    return accounts.slice().sort((a, b) => (key.get(b.id) - key.get(a.id)) || byAccountName(a, b));
  }
  if (sort === "distance" && here) {
    const away = (a) => (a.latitude == null || a.longitude == null ? Infinity
      : metresBetween(here.lat, here.lng, a.latitude, a.longitude));
    const key = new Map(accounts.map((a) => [a.id, away(a)]));
    return accounts.slice().sort((a, b) => (key.get(a.id) - key.get(b.id)) || byAccountName(a, b));
  }
  return accounts.slice().sort(byAccountName);
}

/** Accounts matching a query and filters, from the phone's copy. */
export async function search({ q = "", cls = "", region = "", overdue = false, owner = "" } = {}) {
  const needle = q.trim().toLowerCase();
  const compact = needle.replace(/[\s']/g, ""); // "pu jia", "pu'jia" are typed as well as "pujia"
  const now = new Date();
  return (await index()).filter(({ account, haystack, keys }) =>
    (!needle || haystack.includes(needle) || (compact && keys.includes(compact)))
    && (!cls || account.account_class === cls)
    && (!region || account.region === region) && (!overdue || isOverdue(account, now))
    && (!owner || account.owner_id === owner)).map((e) => e.account);
}

/** The territory's regions, as the accounts on the phone name them. */
export async function regions() {
  return [...new Set((await index()).map((e) => e.account.region).filter(Boolean))].sort(byName);
}

function option(value, label, selected) {
  return html`<option value="${value}" ${selected ? html`selected` : ""}>${label}</option>`;
}

const SORTS = ["name", "overdue", "distance"];

export async function renderList(main, { query, user = null }) {
  const territoryRegions = await regions();
  // A manager reads the team's accounts: whose each one is, and one rep's at a time.
  const reps = await teamReps(user);
  const repName = new Map(reps.map((r) => [r.id, r.name]));
  const state = { q: query.get("q") ?? "", cls: query.get("class") ?? "", region: query.get("region") ?? "",
                  owner: query.get("rep") ?? "",
                  overdue: query.get("overdue") === "1",
                  sort: SORTS.includes(query.get("sort")) ? query.get("sort") : "name" };
  main.innerHTML = html`
    <div class="row"><h1>${t("accounts.title")}</h1>
      <a class="button secondary" style="flex:0 0 auto" href="#/nearby">${t("nearby.title")}</a>
      <a class="button secondary" style="flex:0 0 auto" href="#/map" id="territory-link">${t("territory.button")}</a>
      ${may(user, "create_account") ? html`<a class="button" style="flex:0 0 auto" id="new-prospect" href="#/account/new">${t("accounts.new")}</a>` : ""}</div>
    <form id="account-filters" class="card" role="search">
      <label for="q">${t("accounts.search")}</label>
      <input id="q" name="q" type="search" value="${state.q}" autocomplete="off" placeholder="${t("accounts.search_hint")}">
      <div class="row">
        <div><label for="class">${t("accounts.class")}</label>
          <select id="class" name="class">${[option("", t("accounts.any"), !state.cls),
            ...["A", "B", "C"].map((c) => option(c, c, state.cls === c))]}</select></div>
        <div><label for="region">${t("accounts.region")}</label>
          <select id="region" name="region">${[option("", t("accounts.any"), !state.region),
            ...territoryRegions.map((r) => option(r, r, state.region === r))]}</select></div>
        ${reps.length ? html`<div><label for="owner">${t("accounts.owner")}</label>
          <select id="owner" name="owner">${[option("", t("accounts.any"), !state.owner),
            ...reps.map((r) => option(r.id, r.name, state.owner === r.id))]}</select></div>` : ""}
        <div><label for="sort">${t("accounts.sort")}</label>
          <select id="sort" name="sort">${SORTS.map((s) => option(s, t(`accounts.sort.${s}`), state.sort === s))}</select></div>
      </div>
      <label class="check"><input type="checkbox" id="overdue" name="overdue" ${state.overdue ? html`checked` : ""}>${t("accounts.overdue")}</label>
    </form>
    <p id="account-count" class="muted" aria-live="polite"></p>
    <ul id="account-list" class="list"></ul>
    <button type="button" id="account-more" class="secondary" hidden></button>`;
  const form = main.querySelector("#account-filters");
  const more = main.querySelector("#account-more");
  let here = null; // the GPS position, asked for once the distance order is chosen
  let found = [];
  let shown = PAGE;
  const now = new Date();
  const draw = () => {
    const count = main.querySelector("#account-count");
    const rows = found.slice(0, shown);
    count.textContent = found.length ? t("accounts.count", { shown: rows.length, total: found.length }) : t("accounts.empty");
    if (state.sort === "distance" && !here) count.textContent += " " + t("accounts.no_position");
    main.querySelector("#account-list").innerHTML = rows.map((a) => html`
      <li><a class="item" href="#/account/${a.id}">
        <strong>${a.name}</strong> <span class="tag">${a.account_class}</span>
        ${isOverdue(a, now) ? html`<span class="tag warn">${t("account.overdue")}</span>` : ""}
        ${reps.length ? html`<span class="muted owner" data-owner="${a.owner_id}">${repName.get(a.owner_id) ?? "–"}</span>` : ""}
        ${here && a.latitude != null && a.longitude != null ? html`<span class="muted distance">${distanceText(
          metresBetween(here.lat, here.lng, a.latitude, a.longitude))}</span>` : ""}
        <div class="muted">${a.address}</div></a></li>`).join("");
    more.hidden = found.length <= rows.length;
    more.textContent = t("accounts.show_more", { n: Math.min(PAGE, found.length - rows.length), rest: found.length - rows.length });
  };
  const update = async () => {
    state.q = form.q.value;
    state.cls = form.class.value;
    state.region = form.region.value;
    state.overdue = form.overdue.checked;
    state.sort = form.sort.value;
    state.owner = form.owner?.value ?? "";
    if (state.sort === "distance" && !here) here = await position();
    found = sortAccounts(await search(state), state.sort, state.sort === "distance" ? here : null, now);
    shown = PAGE;
    draw();
  };
  more.addEventListener("click", () => {
    shown += PAGE;
    draw();
  });
  form.addEventListener("input", update);
  form.addEventListener("submit", (e) => e.preventDefault());
  await update();
}

export async function renderDetail(main, { id, user = null }) {
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
  const cadence = cadenceDays(account.account_class) ?? "–";
  const none = html`<p class="muted">${t("account.none")}</p>`;
  visits.sort((a, b) => String(b.check_in_at ?? b.planned_start).localeCompare(String(a.check_in_at ?? a.planned_start)));
  const nav = await navContext();
  const photos = await photosOf({ account: id }); // newest first
  const visitOf = new Map(visits.map((v) => [v.id, v]));
  const owner = await repName(user, account.owner_id); // drawn now, or filled in once the team's reps have come
  const ownerLine = (name) => t("ui.labelled", { label: t("accounts.owner"), value: name });
  main.innerHTML = html`
    <h1>${account.name} <span class="tag">${account.account_class}</span></h1>
    ${owner.name ? html`<p id="account-owner">${ownerLine(owner.name)}</p>` : owner.later ? html`<p id="account-owner" hidden></p>` : ""}
    <p class="muted">${[account.address, account.region, wordOrText("industry", account.industry), account.org_type ? word("org_type", account.org_type) : ""]
      .filter(Boolean).join(" · ")}</p>
    ${account.latitude == null || account.longitude == null ? html`<p><span class="tag bad">${t("account.no_position")}</span></p>` : ""}
    <p>${days === null ? t("account.never") : t("account.days", { days, cadence })}
       ${isOverdue(account) ? html`<span class="tag warn">${t("account.overdue")}</span>` : ""}</p>
    ${undecided(visits, opportunities) ? html`<p><span class="tag warn">${t("account.judge_in_3")}</span></p>` : ""}
    ${conflicts.map((c) => html`<div class="card conflict" data-conflict="${c.key}"><strong>${t("conflict.title")}</strong>
      ${conflictRows(c.conflicts).map(({ field, label, client, server }) => html`<div class="conflict-field" data-field="${field}">
        <p>${label}: ${t("conflict.yours")} <strong>${client ?? "–"}</strong> · ${t("conflict.theirs")} <strong>${server ?? "–"}</strong></p>
        <div class="row"><button type="button" data-keep="mine" data-field="${field}">${t("conflict.keep_mine")}</button>
          <button type="button" class="secondary" data-keep="theirs" data-field="${field}">${t("conflict.keep_theirs")}</button></div></div>`)}
      </div>`)}
    <details id="position-fold" class="card"><summary>${t("account.position_map")}</summary>
      <p class="muted">${t("account.position_hint")}</p>
      <div id="account-map" class="map" role="application" aria-label="${t("account.position_map")}"></div>
      <div id="position-change" aria-live="polite"></div></details>
    <div class="row">${may(user, "record_visit") ? html`<a class="button" id="new-visit" href="#/visit/new?account=${account.id}">${t("account.new_visit")}</a>` : ""}
      <a class="button secondary" href="#/account/${account.id}/edit">${t("form.edit")}</a>
      ${may(user, "book_appointment") ? html`<a class="button secondary" id="book-appointment" href="#/appointment/new?account=${account.id}">${t("account.book")}</a>` : ""}
      ${navButton(account, nav)}</div>
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
      const replacing = replacingOpportunity(d, opportunities);
      return html`<div class="card device"><a href="#/device/${d.id}">${d.brand} ${d.model}</a>
        <span class="tag ${d.ownership === "ours" ? "" : "warn"}">${word("ownership", d.ownership)}</span>
        <div class="muted">${word("colour", d.colour)} · ${t("device.age", { band: t(`age.${cell.age}`) })} · ${t("device.volume_band", { band: cell.volume })}
          · ${t("device.volume", { n: d.monthly_volume ?? 0 })}</div>
        ${replacing ? html`<p class="replaced-by">${t("device.replaced_by")}:
          <a href="#/opportunity/${replacing.id}">${replacing.title}</a> <span class="tag">${stageLabel(replacing.stage)}</span></p>`
        : cell.replacement ? html`<p><span class="tag bad">${t("device.replacement")}</span>
          <a class="button" href="#/opportunity/new?account=${account.id}&device=${d.id}">${t("device.open_opportunity")}</a></p>` : ""}</div>`;
    }) : none}
    <h2>${t("account.opportunities")} <a class="button secondary" href="#/opportunity/new?account=${account.id}">${t("account.add_opportunity")}</a></h2>
    ${opportunities.length ? opportunities.map((o) => html`<a class="card item" style="display:block;color:inherit" href="#/opportunity/${o.id}">${o.title}
        <span class="tag">${stageLabel(o.stage)}</span> <span class="muted">${word("status", o.status)}${o.amount != null ? html` · ${money(o.amount)}` : ""}</span>
        ${opportunityFlags(o).map(([key, values]) => html`<span class="tag warn">${t(key, values)}</span>`)}</a>`) : none}
    <h2>${t("account.visits")}</h2>
    ${visits.length ? visits.map((v) => html`<a class="card item" style="display:block;color:inherit" href="#/visit/${v.id}">
        ${v.check_in_at ? shortDate(v.check_in_at) : ""} — ${v.purpose}
        ${v.accompanied_by ? html` <span class="tag joint">${t("visit.joint_tag")}</span>` : ""}
        <div class="muted">${v.outcome}</div></a>`) : none}
    <h2>${t("photo.title")}</h2>
    ${photos.length ? html`<ul class="photo-list card" id="account-photos">${photos.map((p) => html`<li>
        <a href="#/visit/${p.record.visit_id}">${shortDate(p.record.taken_at)} — ${t("photo.of_visit", { purpose: visitOf.get(p.record.visit_id)?.purpose ?? "" })}</a>
        <ul class="photo-list">${photoItems([p])}</ul></li>`)}</ul>` : none}`;
  main.querySelectorAll("a.nav-link").forEach((a) => wireNavLinks(a));
  const ownerSlot = main.querySelector("#account-owner[hidden]");
  owner.later?.then((name) => {
    if (!ownerSlot.isConnected) return; // another screen meanwhile
    if (!name) return ownerSlot.remove();
    ownerSlot.textContent = ownerLine(name);
    ownerSlot.hidden = false;
  });
  const fold = main.querySelector("#position-fold");
  fold.addEventListener("toggle", () => { if (fold.open) positionMap(main, account); }, { once: true });
  main.querySelectorAll("[data-keep]").forEach((button) => button.addEventListener("click", async () => {
    const fields = button.dataset.field.split(","); // a position is decided whole: latitude and longitude together
    const entry = conflicts.find((c) => fields.every((f) => c.conflicts[f]));
    if (button.dataset.keep === "mine") {
      const current = await get("accounts", id);
      await writeLocal("account", "update", id, Object.fromEntries(fields.map((f) => [f, entry.conflicts[f].client])),
                       { baseVersion: current.version ?? 0 });
    }
    const rest = (await getMeta("conflicts", [])).map((c) => {
      if (c.key !== entry.key) return c;
      return { ...c, conflicts: Object.fromEntries(Object.entries(c.conflicts).filter(([f]) => !fields.includes(f))) };
    }).filter((c) => Object.keys(c.conflicts).length);
    await setMeta("conflicts", rest);
    if (!rest.some((c) => c.key === entry.key)) { // every field decided: the server hears so with the next sync
      await setMeta("conflicts_decided", [...await getMeta("conflicts_decided", []), entry.key]);
      emit("local-write");
    }
    await renderDetail(main, { id });
  }));
}

const coordinates = (p) => `${p.lat.toFixed(6)}, ${p.lng.toFixed(6)}`;

/** A conflict's fields as the rep decides them: latitude and longitude as one position (keeping half of
 *  each would make a point nobody chose), every other field by itself. */
function conflictRows(conflicts) {
  const rows = [];
  const { latitude, longitude, ...others } = conflicts;
  if (latitude && longitude) {
    const at = (side) => (latitude[side] == null || longitude[side] == null ? null
      : coordinates({ lat: latitude[side], lng: longitude[side] }));
    rows.push({ field: "latitude,longitude", label: t("account.position"), client: at("client"), server: at("server") });
  } else {
    Object.assign(others, latitude ? { latitude } : {}, longitude ? { longitude } : {});
  }
  for (const [field, v] of Object.entries(others)) rows.push({ field, label: t(`field.${field}`), client: v.client, server: v.server });
  return rows;
}

/** The account on a map; its position corrected by dragging its marker or tapping the map, the old and the
 *  new position shown before it is saved as an edit of the account (the outbox syncs it like any field). */
async function positionMap(main, account) {
  const fm = await fieldMap(main.querySelector("#account-map"));
  if (!fm) return;
  const box = main.querySelector("#position-change");
  const old = account.latitude != null && account.longitude != null ? { lat: account.latitude, lng: account.longitude } : null;
  const centre = old ?? { lat: 31.2304, lng: 121.4737 };
  fm.fit([[centre.lat, centre.lng]], { zoom: 16 });
  const marker = fm.marker(centre.lat, centre.lng, { draggable: true, title: account.name, alt: account.name,
                                                    opacity: old ? 1 : 0.4 }).addTo(fm.map);
  marker.getElement()?.classList.add("account-position");
  const propose = (next) => {
    fm.place(marker, next.lat, next.lng);
    box.classList.add("busy"); // a sync's redraw must not drop the rep's correction
    box.innerHTML = html`<div class="card" id="position-preview" data-lat="${next.lat}" data-lng="${next.lng}">
      <p>${t("ui.labelled", { label: t("account.position_old") })}<strong id="position-old">${old ? coordinates(old) : "–"}</strong></p>
      <p>${t("ui.labelled", { label: t("account.position_new") })}<strong id="position-new">${coordinates(next)}</strong>
        ${old ? html`<span class="muted">${t("account.position_moved", { m: Math.round(metresBetween(old.lat, old.lng, next.lat, next.lng)) })}</span>` : ""}</p>
      <div class="row"><button type="button" id="position-save">${t("account.position_save")}</button>
        <button type="button" class="secondary" id="position-cancel">${t("account.position_cancel")}</button></div></div>`;
    box.querySelector("#position-cancel").addEventListener("click", () => {
      if (old) fm.place(marker, old.lat, old.lng);
      box.innerHTML = "";
      box.classList.remove("busy");
    });
    box.querySelector("#position-save").addEventListener("click", async () => {
      const current = await get("accounts", account.id);
      // Seven decimals: about a centimetre, what the tap itself can tell.
      const round = (x) => Math.round(x * 1e7) / 1e7;
      await writeLocal("account", "update", account.id, { latitude: round(next.lat), longitude: round(next.lng) },
                       { baseVersion: current?.version ?? 0 });
      box.classList.remove("busy");
      box.innerHTML = html`<p class="muted" id="position-saved" role="status">${t("account.position_saved")}</p>`;
    });
  };
  fm.onDrop(marker, propose);
  fm.onTap(propose);
}
