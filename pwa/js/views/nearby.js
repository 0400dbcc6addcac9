// Near me: when a customer is absent, the method says visit a nearby prospect instead. From the GPS
// position (or the current stop), offline: the territory's accounts by distance, with travel minutes
// from the server's own travel model and the reason to go.
import { all, planOn } from "../db.js";
import { dayContext, inserted, saveOrder } from "../dayedit.js";
import { navButton, navContext, wireNavLinks } from "../navlinks.js";
import { on } from "../state.js";
import { t } from "../i18n.js";
import { may } from "../may.js";
import { dayIsOver } from "../plans.js";
import { settings } from "../settings.js";
import { daysSince, html, isOverdue, localDate, metresBetween, position } from "../ui.js";
import { mifCell, replacingOpportunity } from "./accounts.js";

const SHOWN = 50;
let records = null; // the territory as read from IndexedDB, kept until the data changes

on("data-changed", () => { records = null; });
on("local-write", () => { records = null; });

async function territory() {
  records ??= Promise.all(["accounts", "opportunities", "devices", "visits"].map(all))
    .then(([accounts, opportunities, devices, visits]) => ({ accounts, opportunities, devices, visits }));
  return records;
}
export const REASONS = ["overdue", "opportunity", "replacement", "new"];

/** Travel minutes as the server plans them without OSRM. */
export function travelMinutes(distanceKm) {
  const { routing_detour: detour, routing_speed_kmh: speed } = settings();
  return Math.round((distanceKm * detour) / speed * 60);
}

/** Accounts by distance from `here` with their reasons to go, from the phone's copy. */
export function rank(here, accounts, { opportunities = [], devices = [], visits = [] } = {}, now = new Date()) {
  const stage = new Map();
  const order = (s) => "SPADCO".indexOf(s);
  for (const o of opportunities) {
    if (o.status === "open" && (!stage.has(o.account_id) || order(o.stage) > order(stage.get(o.account_id)))) stage.set(o.account_id, o.stage);
  }
  // A machine due for replacement is a reason to go until an open opportunity replaces it.
  const replace = new Set(devices.filter((d) => mifCell(d, now).replacement && !replacingOpportunity(d, opportunities))
    .map((d) => d.account_id));
  const visited = new Set(visits.map((v) => v.account_id));
  const out = [];
  for (const a of accounts) {
    if (a.latitude == null || a.longitude == null) continue;
    const distance = metresBetween(here.lat, here.lng, a.latitude, a.longitude) / 1000;
    const reasons = [];
    if (a.last_contact_at && isOverdue(a, now)) reasons.push(["overdue", daysSince(a.last_contact_at, now)]);
    if (stage.has(a.id)) reasons.push(["opportunity", stage.get(a.id)]);
    if (replace.has(a.id)) reasons.push(["replacement"]);
    if (!a.last_contact_at && !visited.has(a.id)) reasons.push(["new"]);
    out.push({ account: a, distance, minutes: travelMinutes(distance), reasons });
  }
  return out.sort((x, y) => x.distance - y.distance);
}

function reasonText([code, value]) {
  if (code === "overdue") return t("nearby.reason.overdue", { days: value });
  if (code === "opportunity") return t("nearby.reason.opportunity", { stage: value });
  return t(`nearby.reason.${code}`);
}

async function origin(user) {
  const gps = await position(4000);
  if (gps) return { lat: gps.lat, lng: gps.lng, label: t("nearby.from_gps", { m: Math.round(gps.accuracy ?? 0) }) };
  const open = (await all("visits")).find((v) => v.check_in_at && !v.check_out_at && !v.cancelled_at);
  const accounts = await all("accounts");
  const at = open && accounts.find((a) => a.id === open.account_id);
  if (at?.latitude != null) return { lat: at.latitude, lng: at.longitude, label: t("nearby.from_stop", { name: at.name }) };
  if (user?.start_lat != null) return { lat: user.start_lat, lng: user.start_lng, label: t("nearby.from_start") };
  return null;
}

export async function render(main, { user, query }) {
  main.innerHTML = html`<h1>${t("nearby.title")}</h1><p class="muted">${t("nearby.locating")}</p>`;
  const [here] = await Promise.all([origin(user), territory()]); // the GPS fix and the reads at once
  if (!here) {
    main.innerHTML = html`<h1>${t("nearby.title")}</h1><p class="card">${t("nearby.no_position")}</p>`;
    return;
  }
  const { accounts, ...related } = await territory();
  const ranked = rank(here, accounts, related);
  // Once the working day has ended, nothing is added to today (the server refuses it): the list still leads to a visit.
  const plan = dayIsOver() ? null : await planOn(localDate());
  const planned = new Set((plan?.stops ?? []).map((s) => s.account_id));
  const wanted = query?.get("reason") ?? "";
  const nav = await navContext();
  main.innerHTML = html`<h1>${t("nearby.title")}</h1>
    <p class="muted" id="nearby-origin">${here.label}</p>
    <label for="nearby-reason">${t("nearby.filter")}</label>
    <select id="nearby-reason">${["", ...REASONS].map((r) => html`<option value="${r}" ${r === wanted ? html`selected` : ""}>${r ? t(`nearby.filter.${r}`) : t("nearby.filter.any")}</option>`)}</select>
    <ul id="nearby-list" class="list"></ul>`;
  const visits = may(user, "record_visit"); // the day's visits and their order are the rep's own
  const draw = () => {
    const reason = main.querySelector("#nearby-reason").value;
    const shown = ranked.filter((r) => (reason ? r.reasons.some(([c]) => c === reason) : r.reasons.length)).slice(0, SHOWN);
    main.querySelector("#nearby-list").innerHTML = shown.length ? shown.map((r) => html`<li class="card nearby" data-account="${r.account.id}">
      <div class="row"><a href="#/account/${r.account.id}"><strong>${r.account.name}</strong></a>
        <span class="muted" style="flex:0 0 auto">${t("nearby.distance", { km: r.distance.toFixed(1), min: r.minutes })}</span></div>
      <div>${r.reasons.map((x) => html`<span class="tag ${x[0] === "overdue" ? "warn" : ""}">${reasonText(x)}</span>`)}</div>
      <div class="row">${visits ? html`<a class="button" href="#/visit/new?account=${r.account.id}">${t("nearby.visit")}</a>` : ""}
        ${navButton(r.account, nav)}
        ${visits && plan && !planned.has(r.account.id) ? html`<button type="button" class="secondary" data-insert="${r.account.id}">${t("nearby.insert")}</button>`
          : visits && plan ? html`<span class="tag">${t("nearby.in_today")}</span>` : ""}</div></li>`).join("")
      : html`<li class="card">${t("nearby.none")}</li>`;
  };
  main.querySelector("#nearby-list").addEventListener("click", async (event) => {
    // Into today where it costs least, offline; Today shows the times that follow.
    const id = event.target.dataset?.insert;
    if (!id || !plan) return;
    event.target.disabled = true;
    const ctx = dayContext(plan, { user, accounts: new Map(accounts.map((a) => [a.id, a])),
                                   visits: related.visits.filter((v) => v.check_in_at), appointments: await all("appointments") });
    await saveOrder(plan, inserted(plan, id, ctx), ctx);
    location.hash = "#/today";
  });
  wireNavLinks(main.querySelector("#nearby-list"));
  main.querySelector("#nearby-reason").addEventListener("change", draw);
  draw();
}
