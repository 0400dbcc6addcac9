// Day clock: one tap switches the running activity; visits count as face-to-face on their own.
import { all, writeLocal } from "../db.js";
import { t } from "../i18n.js";
import { hhmm, html, localDate, minutesBetween } from "../ui.js";
import { vocab } from "../settings.js";

const categories = () => vocab("activity_category");

export async function running() {
  return (await all("activities")).find((a) => !a.ended_at) ?? null;
}

/** End whatever activity is running (at `at`), e.g. when a visit checks in. */
export async function stopRunning(at = new Date().toISOString()) {
  const current = await running();
  if (current) await writeLocal("activity", "update", current.id, { ended_at: at });
  return current;
}

export async function switchTo(category) {
  const now = new Date().toISOString();
  const current = await stopRunning(now);
  if (current?.category === category) return null; // tapping the running one stops it
  const id = crypto.randomUUID();
  await writeLocal("activity", "create", id, { category, started_at: now });
  return id;
}

/** Minutes per category today, so far: activities plus visits (face-to-face), clipped to today. */
export async function todaySplit(now = new Date()) {
  const today = localDate(now);
  const dayStart = new Date(`${today}T00:00:00`);
  const clip = (from, to) => minutesBetween(new Date(Math.max(new Date(from), dayStart)), to ?? now);
  const split = Object.fromEntries(categories().map((c) => [c, 0]));
  for (const a of await all("activities")) {
    if ((a.ended_at ? new Date(a.ended_at) : now) > dayStart) split[a.category] += clip(a.started_at, a.ended_at);
  }
  for (const v of await all("visits")) {
    if (v.check_in_at && !v.cancelled_at && (v.check_out_at ? new Date(v.check_out_at) : now) > dayStart) {
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
    <div class="clock">${categories().map((c) => html`
      <button type="button" data-category="${c}" aria-pressed="${current?.category === c ? "true" : "false"}">
        ${t(`category.${c}`)}</button>`)}</div>
    <h2>${t("clock.split")}</h2>
    <table class="split"><tbody>${categories().map((c) => html`<tr><th>${t(`category.${c}`)}</th>
      <td class="num">${Math.round(split[c])} ${t("clock.minutes")}</td>
      <td class="num">${total ? Math.round((split[c] / total) * 100) : 0} %</td></tr>`)}
      <tr><th>${t("clock.total")}</th><td class="num">${Math.round(total)} ${t("clock.minutes")}</td><td></td></tr>
    </tbody></table>`;
  main.querySelectorAll("[data-category]").forEach((button) => button.addEventListener("click", async () => {
    await switchTo(button.dataset.category);
    await render(main);
  }));
}
