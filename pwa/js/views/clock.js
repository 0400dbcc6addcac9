// Day clock: one tap switches the running activity, a tap on the running one stops it (its button says so; the rules:
// dayclock.js, which the visit loop also runs);
// visits count as face-to-face on their own: while one is open the clock shows face-to-face and waits for its
// check-out (a tap on another kind beside an open visit would say two things at once).
import { all } from "../db.js";
import { running, switchTo } from "../dayclock.js";
import { t } from "../i18n.js";
import { hhmm, html, localDate, minutesBetween } from "../ui.js";
import { vocab } from "../settings.js";

const categories = () => vocab("activity_category");

/** Minutes per category today, so far: activities plus visits (face-to-face), clipped to today. */
export async function todaySplit(now = new Date()) {
  const today = localDate(now);
  const dayStart = new Date(`${today}T00:00:00`);
  const clip = (from, to) => minutesBetween(new Date(Math.max(new Date(from), dayStart)), to ?? now);
  const split = Object.fromEntries(categories().map((c) => [c, 0]));
  const visits = (await all("visits")).filter((v) => v.check_in_at && !v.cancelled_at);
  // Each minute counts once, as the server's report counts it: a visit wins over an activity (the clock runs
  // face-to-face through a visit, which is the same time).
  const under = (from, to) => visits.reduce((sum, v) => {
    const a = Math.max(new Date(from), new Date(v.check_in_at));
    const b = Math.min(new Date(to ?? now), new Date(v.check_out_at ?? now));
    return sum + (b > a ? minutesBetween(new Date(Math.max(a, dayStart)), new Date(Math.max(b, dayStart))) : 0);
  }, 0);
  for (const a of await all("activities")) {
    if ((a.ended_at ? new Date(a.ended_at) : now) > dayStart) {
      split[a.category] += Math.max(0, clip(a.started_at, a.ended_at) - under(a.started_at, a.ended_at));
    }
  }
  for (const v of visits) {
    if ((v.check_out_at ? new Date(v.check_out_at) : now) > dayStart) {
      split[v.met === false ? "travel" : "face_to_face"] += clip(v.check_in_at, v.check_out_at); // absent: no face time
    }
  }
  return split;
}

export async function render(main) {
  const current = await running();
  const openVisit = (await all("visits")).find((v) => v.check_in_at && !v.check_out_at && !v.cancelled_at);
  const split = await todaySplit();
  const total = Object.values(split).reduce((a, b) => a + b, 0);
  const status = openVisit ? t("clock.in_visit", { time: hhmm(openVisit.check_in_at) })
    : current ? t("clock.now", { category: t(`category.${current.category}`), time: hhmm(current.started_at) })
    : t("clock.idle");
  main.innerHTML = html`
    <h1>${t("clock.title")}</h1>
    <p id="clock-status" class="card" aria-live="polite">${status}
      ${openVisit ? html` <a href="#/visit/${openVisit.id}">${t("visit.open_it")}</a>` : ""}</p>
    ${openVisit ? html`<p class="muted" id="clock-held">${t("clock.visit_holds")}</p>` : ""}
    <div class="clock">${categories().map((c) => html`
      <button type="button" data-category="${c}" aria-pressed="${(openVisit ? "face_to_face" : current?.category) === c ? "true" : "false"}"
        ${openVisit ? html`disabled` : ""}>${t(`category.${c}`)}${!openVisit && current?.category === c
          ? html`<small class="hint" id="clock-stop-hint">${t("clock.tap_to_stop")}</small>` : ""}</button>`)}</div>
    <h2>${t("clock.split")}</h2>
    <table class="split"><tbody>${categories().map((c) => html`<tr><th>${t(`category.${c}`)}</th>
      <td class="num">${Math.round(split[c])} ${t("clock.minutes")}</td>
      <td class="num">${total ? Math.round((split[c] / total) * 100) : 0}\u00a0%</td></tr>`)}
      <tr><th>${t("clock.total")}</th><td class="num">${Math.round(total)} ${t("clock.minutes")}</td><td></td></tr>
    </tbody></table>`;
  main.querySelectorAll("[data-category]").forEach((button) => button.addEventListener("click", async () => {
    await switchTo(button.dataset.category);
    await render(main);
  }));
}
