// Today: the route plan with arrival times, legs, why each stop is there, and a map.
import { request } from "../api.js";
import { all, byIndex, db, get } from "../db.js";
import { t } from "../i18n.js";
import { settings } from "../settings.js";
import { fieldErrors, hhmm, html, localDate, raw, reasonLabels, shortDate } from "../ui.js";

export async function planFor(day) {
  const plans = await byIndex("route_plans", "plan_date", day);
  return plans[0] ?? null;
}

export async function storePlan(plan) {
  const tx = (await db()).transaction("route_plans", "readwrite");
  for (const old of await tx.store.index("plan_date").getAll(plan.plan_date)) {
    if (old.id !== plan.id) await tx.store.delete(old.id);
  }
  await tx.store.put(plan);
  await tx.done;
}

function navLinks(account) {
  const { latitude: lat, longitude: lng, name } = account;
  if (lat == null || lng == null) return "";
  const geo = `geo:${lat},${lng}?q=${lat},${lng}(${encodeURIComponent(name)})`;
  const maps = `https://uri.amap.com/navigation?to=${lng},${lat},${encodeURIComponent(name)}&mode=car`;
  return html`<a class="button secondary" href="${geo}">${t("today.navigate")}</a>
              <a class="button secondary" href="${maps}" target="_blank" rel="noopener">${t("today.maps")}</a>`;
}

export function drawMap(element, user, points) {
  if (!window.L || !element) return null;
  const map = L.map(element, { attributionControl: true, zoomControl: true });
  // Tiles need the network; offline the markers and the route line still draw on a plain background.
  const { map_tile_url: tiles, map_tile_attribution: attribution } = settings();
  if (tiles) L.tileLayer(tiles, { maxZoom: 18, attribution }).addTo(map);
  const line = [];
  if (user?.start_lat != null) {
    line.push([user.start_lat, user.start_lng]);
    L.circleMarker(line[0], { radius: 7, color: "#0f766e", fillOpacity: 1 }).addTo(map);
  }
  points.forEach(({ lat, lng, label }) => {
    line.push([lat, lng]);
    L.marker([lat, lng], { title: label, alt: label }).addTo(map).bindTooltip(label, { permanent: true, direction: "top" });
  });
  if (line.length) {
    L.polyline(line, { color: "#0f766e", weight: 4 }).addTo(map);
    map.fitBounds(L.latLngBounds(line).pad(0.2));
  }
  return map;
}

export async function render(main, { user }) {
  const today = localDate();
  const plan = await planFor(today);
  const accounts = new Map((await all("accounts")).map((a) => [a.id, a]));
  const visits = (await all("visits")).filter((v) => v.check_in_at && !v.cancelled_at);
  // "Visit" on a stop already visited today opens that visit rather than starting a second one.
  const visitedToday = new Map(visits.filter((v) => localDate(new Date(v.check_in_at)) === today)
    .map((v) => [v.account_id, v.id]));
  const open = visits.find((v) => !v.check_out_at);
  const openCard = open ? raw(html`<p class="card" id="open-visit"><a href="#/visit/${open.id}">${t("today.open_visit",
    { name: accounts.get(open.account_id)?.name ?? "" })}</a></p>`) : "";
  if (!plan || !plan.stops?.length) {
    main.innerHTML = html`<h1>${t("today.title", { date: shortDate(today) })}</h1>${openCard}
      <p class="card">${t("today.none")}</p>
      <button id="plan-today" type="button">${t("today.plan")}</button>
      <p id="plan-error" class="error-text" role="alert"></p>`;
    main.querySelector("#plan-today").addEventListener("click", async (event) => {
      const error = main.querySelector("#plan-error");
      if (!navigator.onLine) {
        error.textContent = t("today.offline_plan");
        return;
      }
      event.target.disabled = true;
      event.target.textContent = t("today.planning");
      try {
        await storePlan(await request("POST", "/api/routes/plan", { date: today }));
        render(main, { user });
      } catch (e) {
        error.textContent = [e.message, ...fieldErrors(e)].join(" ");
        event.target.disabled = false;
        event.target.textContent = t("today.plan");
      }
    });
    return;
  }
  const stops = plan.stops.slice().sort((a, b) => a.position - b.position);
  const first = stops[0];
  const leave = new Date(new Date(first.planned_arrival) - first.travel_minutes * 60_000).toISOString();
  const items = stops.map((stop, i) => {
    const account = accounts.get(stop.account_id) ?? { name: "?", address: "" };
    const done = visitedToday.has(stop.account_id);
    const reasons = reasonLabels(stop.reason).concat(stop.pinned && stop.reason !== "appointment" ? [t("reason.pinned")] : []);
    return html`
      <li class="leg">${t("today.travel", { min: stop.travel_minutes })}</li>
      <li class="card stop" data-stop="${i + 1}">
        <div class="time">${hhmm(stop.planned_arrival)}</div>
        <div>
          <div><strong>${i + 1}. ${account.name}</strong> ${done ? raw('<span class="tag">✓</span>') : ""}</div>
          <div class="muted">${account.address}</div>
          <div>${reasons.map((r) => raw(html`<span class="tag">${r}</span>`))}</div>
          <div class="row" style="margin-top:6px">
            <a class="button" href="${done ? `#/visit/${visitedToday.get(stop.account_id)}` : `#/visit/new?account=${stop.account_id}`}">${t("today.visit")}</a>
            ${raw(navLinks(account))}
          </div>
        </div>
      </li>`;
  });
  main.innerHTML = html`
    <h1>${t("today.title", { date: shortDate(today) })}</h1>${openCard}
    <p class="muted">${t("today.leave", { time: hhmm(leave) })} · ${t("today.total_travel", { min: Math.round(plan.total_travel_s / 60) })}</p>
    <div id="today-map" class="map" role="img" aria-label="${t("today.map")}"></div>
    <ol class="list" id="route">${items.map(raw)}</ol>`;
  drawMap(main.querySelector("#today-map"), user, stops.map((stop, i) => {
    const account = accounts.get(stop.account_id);
    return account?.latitude != null ? { lat: account.latitude, lng: account.longitude, label: `${i + 1}` } : null;
  }).filter(Boolean));
}
