// Tomorrow: keep or leave out stops, add dropped candidates, pin times, and re-plan (online only).
import { request } from "../api.js";
import { all } from "../db.js";
import { t } from "../i18n.js";
import { addDays, fieldErrors, hhmm, html, localDate, raw, reasonLabels, shortDate } from "../ui.js";
import { planFor, planNotices, storePlan } from "./today.js";

export async function render(main) {
  const day = localDate(addDays(new Date(), 1));
  const plan = await planFor(day);
  const accounts = new Map((await all("accounts")).map((a) => [a.id, a]));
  const name = (id) => accounts.get(id)?.name ?? id;
  const stops = (plan?.stops ?? []).slice().sort((a, b) => a.position - b.position);
  const dropped = (plan?.dropped ?? []).filter((d) => accounts.has(d.id));
  const notices = await planNotices(main);
  main.innerHTML = html`
    <h1>${t("tomorrow.title", { date: shortDate(day) })}</h1>${notices}
    ${plan ? "" : raw(html`<p class="card">${t("tomorrow.none")}</p>`)}
    <form id="tomorrow-form" novalidate>
      <ol class="list">${stops.map((stop) => raw(html`
        <li class="card" data-account="${stop.account_id}">
          <strong>${hhmm(stop.planned_arrival)} ${name(stop.account_id)}</strong>
          <div>${reasonLabels(stop.reason).map((r) => raw(html`<span class="tag">${r}</span>`))}</div>
          <div class="row">
            <label class="check"><input type="checkbox" name="keep" value="${stop.account_id}" checked
              ${raw(stop.appointment_id ? "disabled" : "")}>${t("tomorrow.keep")}</label>
            <label>${t("tomorrow.pin")}
              <input type="time" name="pin" data-account="${stop.account_id}" value="${stop.pinned && !stop.appointment_id ? hhmm(stop.planned_arrival) : ""}"
                ${raw(stop.appointment_id ? "disabled" : "")}></label>
          </div>
        </li>`))}</ol>
      ${dropped.length ? raw(html`<h2>${t("tomorrow.dropped")}</h2>
        <ul class="list">${dropped.map((d) => raw(html`<li class="card">
          <label class="check"><input type="checkbox" name="add" value="${d.id}">${t("tomorrow.add")}: ${name(d.id)}</label>
          <div class="muted">${t(`drop.${d.reason}`)}</div></li>`))}</ul>`) : ""}
      <p id="tomorrow-message" role="status"></p>
      <button id="replan" type="submit">${t("tomorrow.replan")}</button>
    </form>`;
  const form = main.querySelector("#tomorrow-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const message = main.querySelector("#tomorrow-message");
    if (!navigator.onLine) {
      message.textContent = t("tomorrow.offline");
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
      await storePlan(await request("POST", "/api/routes/plan", { date: day, include, exclude, pins }));
      await render(main);
      main.querySelector("#tomorrow-message").textContent = t("tomorrow.done");
    } catch (error) {
      message.textContent = error.status === 0 ? t("tomorrow.offline")
        : [t("tomorrow.failed", { message: error.message }), ...fieldErrors(error)].join(" ");
      button.disabled = false;
    }
  });
}
