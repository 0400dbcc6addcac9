// A rep's day from the manager's screen: the stored plan of a date, and plan or re-plan it there (the
// server plans and stores it; the rep's phone gets it at its next sync, with a notice that it changed).
import { online } from "../api.js";
import { LEFT_OUT_BY_REP } from "../dayedit.js";
import { passed, planDay, storedPlan } from "../plans.js";
import { t } from "../i18n.js";
import { describe, html, hhmm, reasonLabels, zonedClock } from "../ui.js";

function stopsList(plan, names) {
  if (!plan.stops.length) return html`<p class="muted" id="rep-day-empty">${plan.empty_reason
    ? t(`replan.empty.${plan.empty_reason}`) : t("repday.no_stops")}</p>`;
  return html`<ol class="list rep-day-stops">${plan.stops.map((s) => html`<li data-account="${s.account_id}">
      <strong>${hhmm(s.planned_arrival)}</strong> ${names.get(s.account_id) ?? "?"}
      <span class="muted">${reasonLabels(s.reason).join(" · ")}</span></li>`)}</ol>`;
}

/** What the plan left out of the day, each with why (folded): which due accounts wait, and whether the rep
 *  left them out or the day had no room, is what a manager re-planning the day wants to see. */
function leftOutList(plan, names) {
  const left = plan.dropped ?? [];
  if (!left.length) return "";
  return html`<details class="left-out" id="rep-day-left-out"><summary>${t("repday.left_out", { n: left.length })}</summary>
    <ul class="list">${left.map((d) => html`<li data-account="${d.id}">${names.get(d.id) ?? "?"}
      <span class="muted">${t(d.reason === LEFT_OUT_BY_REP ? "repday.left_out_by_rep" : `drop.${d.reason}`)}</span></li>`)}</ul>
  </details>`;
}

function planText(plan, names) {
  const left = (plan.dropped ?? []).length;
  const changer = plan.changed_by_name ? t("repday.changed", { name: plan.changed_by_name, at: hhmm(plan.changed_at) }) : "";
  return html`<p id="rep-day-summary">${t("repday.summary", { n: plan.stops.length,
      min: Math.round((plan.total_travel_s ?? 0) / 60) })}${left ? html` · ${t("repday.left_out", { n: left })}` : ""}</p>
    ${plan.lunch?.status === "planned" ? html`<p class="muted">${t("replan.lunch", { time: hhmm(plan.lunch.start) })}</p>` : ""}
    ${changer ? html`<p class="muted">${changer}</p>` : ""}${stopsList(plan, names)}${leftOutList(plan, names)}`;
}

/** The panel inside `el` for one rep (`rep` {id, name, first_appointment_time "HH:MM", timezone: the team's});
 *  `names` maps account ids to names. The rep's today and clock are the team's zone's, not the manager's browser's. */
export function renderRepDay(el, { rep, names }) {
  const repToday = (now = new Date()) => zonedClock(now, rep.timezone).date;
  const today = repToday();
  el.innerHTML = html`<section class="card" id="rep-day" data-rep="${rep.id}"><h2>${t("repday.title", { name: rep.name })}</h2>
    <form class="row" id="rep-day-form" novalidate><div><label for="rep-day-date">${t("repday.date")}</label>
      <input id="rep-day-date" type="date" value="${today}" min="${today}" required></div>
      <button type="submit" class="secondary" style="flex:0 0 auto;align-self:end">${t("team.show")}</button></form>
    <label class="check"><input type="checkbox" id="rep-day-override"> ${t("repday.override")}</label>
    <button type="button" id="rep-day-plan">${t("repday.plan")}</button>
    <p class="muted" id="rep-day-status" role="status" aria-live="polite"></p>
    <div id="rep-day-plan-view"></div></section>`;
  const view = el.querySelector("#rep-day-plan-view");
  const status = el.querySelector("#rep-day-status");
  const day = () => el.querySelector("#rep-day-date").value;
  const planButton = el.querySelector("#rep-day-plan");
  const show = async () => {
    status.textContent = online() ? "" : t("team.offline");
    if (!online()) return;
    view.innerHTML = "";
    let plan;
    try {
      plan = await storedPlan(rep.id, day());
    } catch (e) {
      status.textContent = describe(e);
      return;
    }
    view.innerHTML = plan ? planText(plan, names) : html`<p class="muted" id="rep-day-none">${t("repday.none")}</p>`;
    planButton.textContent = t(plan ? "repday.replan" : "repday.plan");
  };
  el.querySelector("#rep-day-form").addEventListener("submit", (event) => { event.preventDefault(); show(); });
  planButton.addEventListener("click", async () => {
    if (!online()) { status.textContent = t("team.offline"); return; }
    if (day() < repToday()) { status.textContent = t("repday.past"); return; }
    planButton.disabled = true;
    status.textContent = t("today.planning");
    try {
      // Today, once the rep's working day has begun (the rep's first-appointment time, not the manager's own):
      // the rest of it, from the rep's home at this time (the rep's visits so far stay first); the manager
      // does not know where the rep stands.
      const now = new Date();
      const begun = day() === repToday(now) && passed(rep.first_appointment_time, now, rep.timezone);
      const start = begun ? { start: { at: now.toISOString() } } : {};
      const plan = await planDay({ rep_id: rep.id, date: day(), override: el.querySelector("#rep-day-override").checked, ...start });
      view.innerHTML = planText(plan, names);
      planButton.textContent = t("repday.replan");
      status.textContent = t("repday.saved");
    } catch (e) {
      // A rep with no home or office set (a new one) cannot be planned: the way to set it, not a dead end.
      const noStart = e.fieldCodes?.rep_id?.[0]?.code === "no_start";
      status.innerHTML = html`${describe(e)}${noStart ? html` <a id="rep-day-set-start" href="#/admin/user/${rep.id}">${
        t("repday.set_start", { name: rep.name })}</a>` : ""}`;
    } finally {
      planButton.disabled = false;
    }
  });
  return show();
}
