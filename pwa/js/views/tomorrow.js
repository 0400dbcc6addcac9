// Tomorrow: keep or leave out stops, add dropped candidates, pin times, and re-plan (online only).
import { online } from "../api.js";
import { all, planOn } from "../db.js";
import { planAndKeep } from "../plans.js";
import { errorText, t } from "../i18n.js";
import { HHMM, addDays, daysSince, distanceText, fieldErrors, hhmm, html, isOverdue, localDate, metresBetween, reasonLabels,
  shortDate } from "../ui.js";
import { planStart } from "../dayedit.js";
import { drawRoute } from "../map.js";
import { emptyDay, planNotices } from "./today.js";

/** What a left-out candidate is: its class, days overdue (or never visited) and distance from the nearest stop. */
function candidateFacts(account, planned, now) {
  const facts = [account.account_class];
  const days = daysSince(account.last_contact_at, now);
  if (days === null) facts.push(t("tomorrow.never"));
  else if (isOverdue(account, now)) facts.push(t("tomorrow.overdue_days", { days }));
  if (account.latitude != null && account.longitude != null && planned.length) {
    const nearest = Math.min(...planned.map((p) => metresBetween(p.latitude, p.longitude, account.latitude, account.longitude)));
    facts.push(t("tomorrow.away", { km: distanceText(nearest) }));
  }
  return facts.join(" · ");
}

export async function render(main, { user } = {}) {
  const day = localDate(addDays(new Date(), 1));
  const plan = await planOn(day);
  const accounts = new Map((await all("accounts")).map((a) => [a.id, a]));
  const name = (id) => accounts.get(id)?.name ?? id;
  const stops = (plan?.stops ?? []).slice().sort((a, b) => a.position - b.position);
  const dropped = (plan?.dropped ?? []).filter((d) => accounts.has(d.id));
  const notices = await planNotices(main);
  const now = new Date();
  const planned = stops.map((stop) => accounts.get(stop.account_id)).filter((a) => a?.latitude != null && a.longitude != null);
  main.innerHTML = html`
    <h1>${t("tomorrow.title", { date: shortDate(day) })}${stops.length ? html` <span class="muted">${t("tomorrow.stops", { n: stops.length })}</span>` : ""}</h1>${notices}
    ${plan ? emptyDay(plan, accounts, { reasons: false }) : html`<p class="card">${t("tomorrow.none")}</p>`}
    <form id="tomorrow-form" novalidate>
      ${stops.length ? html`<div id="tomorrow-map" class="map" role="img" aria-label="${t("today.map")}"></div>` : ""}
      ${stops.length ? html`<p class="muted tomorrow-columns" aria-hidden="true"><span>${t("tomorrow.keep")}</span><span>${t("tomorrow.pin")}</span></p>` : ""}
      <ol class="list" id="tomorrow-stops">${stops.map((stop) => html`
        <li class="card tomorrow-stop" data-account="${stop.account_id}">
          <div class="what"><strong>${hhmm(stop.planned_arrival)} ${name(stop.account_id)}</strong>
            <span class="leg-min">${t("today.travel", { min: stop.travel_minutes })}</span>
            ${reasonLabels(stop.reason).map((r) => html`<span class="tag">${r}</span>`)}</div>
          <div class="controls">
            <label class="check" title="${t("tomorrow.keep")}"><input type="checkbox" name="keep" value="${stop.account_id}" checked
              aria-label="${t("tomorrow.keep")}: ${name(stop.account_id)}" ${stop.appointment_id ? html`disabled` : ""}></label>
            <input type="text" name="pin" inputmode="numeric" pattern="${HHMM}" placeholder="HH:MM" maxlength="5"
              aria-label="${t("tomorrow.pin")}: ${name(stop.account_id)}" title="${t("tomorrow.pin")}"
              data-account="${stop.account_id}" value="${stop.pinned && !stop.appointment_id ? hhmm(stop.planned_arrival) : ""}"
              ${stop.appointment_id ? html`disabled` : ""}>
          </div>
        </li>`)}</ol>
      ${dropped.length ? html`<details class="left-out" id="tomorrow-left-out"><summary>${t("tomorrow.left_out", { n: dropped.length })}</summary>
        <ul class="list">${dropped.map((d) => html`<li class="card" data-candidate="${d.id}">
          <label class="check"><input type="checkbox" name="add" value="${d.id}">${t("tomorrow.add")}: ${name(d.id)}</label>
          <div class="muted">${t(`drop.${d.reason}`)} · ${candidateFacts(accounts.get(d.id), planned, now)}</div></li>`)}</ul>
        </details>` : ""}
      <h2>${t("tomorrow.add_any")}</h2>
      <div class="row"><input id="add-account" list="territory" autocomplete="off" aria-label="${t("tomorrow.add_any")}"
          placeholder="${t("accounts.search")}">
        <button type="button" class="secondary" id="add-account-button" style="flex:0 0 auto">${t("tomorrow.add_button")}</button></div>
      <datalist id="territory">${[...accounts.values()].slice(0, 2000).map((a) => html`<option value="${a.name}">`)}</datalist>
      <ul class="list" id="added"></ul>
      <div class="sticky-actions"><p id="tomorrow-message" role="status"></p>
        <button id="replan" type="submit">${t(plan ? "tomorrow.replan" : "tomorrow.plan")}</button></div>
    </form>`;
  const form = main.querySelector("#tomorrow-form");
  if (stops.length) {
    drawRoute(main.querySelector("#tomorrow-map"), planStart(plan, user), stops.map((stop, i) => {
      const account = accounts.get(stop.account_id);
      return account?.latitude != null ? { lat: account.latitude, lng: account.longitude, label: `${i + 1}`,
                                           name: `${i + 1}. ${account.name}` } : null;
    }).filter(Boolean));
  }
  const byName = new Map([...accounts.values()].map((a) => [a.name, a]));
  main.querySelector("#add-account-button").addEventListener("click", () => {
    const input = main.querySelector("#add-account");
    const account = byName.get(input.value.trim());
    if (!account) {
      main.querySelector("#tomorrow-message").textContent = t("tomorrow.not_found");
      return;
    }
    main.querySelector("#added").insertAdjacentHTML("beforeend", html`<li class="card">
      <label class="check"><input type="checkbox" name="add" value="${account.id}" checked>${t("tomorrow.add")}: ${account.name}</label></li>`);
    input.value = "";
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const message = main.querySelector("#tomorrow-message");
    if (!online()) {
      message.textContent = t("tomorrow.offline");
      return;
    }
    const badPin = [...form.querySelectorAll('input[name="pin"]')].find((i) => i.value && !i.checkValidity());
    if (badPin) {
      message.textContent = t("tomorrow.bad_time");
      badPin.focus();
      return;
    }
    const exclude = [...form.querySelectorAll('input[name="keep"]:not(:checked):not(:disabled)')].map((i) => i.value);
    const include = [...form.querySelectorAll('input[name="add"]:checked')].map((i) => i.value);
    const pins = [...form.querySelectorAll('input[name="pin"]:not(:disabled)')]
      .filter((i) => i.value && !exclude.includes(i.dataset.account))
      .map((i) => ({ account_id: i.dataset.account, at: i.value.slice(0, 5) }));
    const button = main.querySelector("#replan");
    button.disabled = true;
    message.textContent = t("today.planning");
    try {
      await planAndKeep({ date: day, include, exclude, pins });
      await render(main);
      main.querySelector("#tomorrow-message").textContent = t("tomorrow.done");
    } catch (error) {
      message.textContent = error.status === 0 ? t("tomorrow.offline")
        : [t("tomorrow.failed", { message: errorText(error.code, error.message, error.params) }), ...fieldErrors(error)].join(" ");
      button.disabled = false;
    }
  });
}
