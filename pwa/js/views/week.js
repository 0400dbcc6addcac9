// The weekly PDCA review: plan against do, the week's check figures, and the act — up to three focus
// points for the next week, written by the rep or their manager. Last week's points are shown against
// what this week did. The focus points also reach the rep's phone (Today shows them offline).
import { online } from "../api.js";
import { saveWeeklyFocus, weeklyCsv, weeklyReviews } from "../reports.js";
import { all } from "../db.js";
import { lang, t } from "../i18n.js";
import { teamSettings } from "../settings.js";
import { pickedTeam, reportTabs, reportTeams, teamPicker } from "../teams.js";
import { byName, describe, html, loading, messageText, mondayOf, money, shortDate, teamToday } from "../ui.js";
import { renderRepDay } from "./repday.js";

const MAX_FOCUS = 3;

/** One focus point's problems in words, through the message catalogue. */
function pointMessage(messages, codes) {
  if (Array.isArray(messages)) return messages.map((m, k) => messageText(m, codes?.[k])).join(" ");
  return Object.entries(messages ?? {}).map(([k, v]) => pointMessage(v, codes?.[k])).join(" ");
}

/** The week the review opens on: this one once a working day of the team's in it is over, else the last complete
 *  one (on the week's first working day there is nothing of this week to review yet). Today is the team's, in its
 *  time zone (the server's weeks are), not the phone's: a phone set to another zone would open another week. */
function weekToOpen(today = teamToday()) {
  const monday = mondayOf(today);
  const weekday = Math.round((Date.parse(`${today}T12:00:00Z`) - Date.parse(`${monday}T12:00:00Z`)) / 86400000) + 1;
  const working = teamSettings()?.working_days ?? [1, 2, 3, 4, 5]; // ISO weekdays, Monday 1
  if (working.some((d) => d < weekday)) return monday;
  return mondayOf(new Date(Date.parse(`${monday}T12:00:00`) - 7 * 86400000));
}

function value(v) {
  return v === null || v === undefined ? "–" : String(v);
}

/** The team's week, a line per rep; at a phone's width each line is a card of labelled figures. */
function summary(reviews) {
  const columns = [
    [t("team.planned"), (r) => r.plan.planned_stops],
    [t("week.visits"), (r) => r.do.visits],
    [t("team.not_met"), (r) => r.do.not_met],
    [`${t("category.face_to_face")} %`, (r) => value(r.do.face_to_face_pct)],
    [t("week.on_time"), (r) => `${r.do.on_time_days}/${r.do.days_with_visit}`],
    [t("week.focus_set"), (r) => (r.act.focus.length ? t("daily.yes") : t("daily.no"))],
  ];
  return html`<section class="card" id="week-summary"><h2>${t("week.summary")}</h2>
    <div class="table-box"><table class="report-table cards"><thead><tr>
      <th scope="col">${t("team.rep")}</th>${columns.map(([label]) => html`<th scope="col">${label}</th>`)}</tr></thead>
    <tbody>${reviews.map((r) => html`<tr data-rep="${r.rep_id}">
      <th scope="row"><a href="#/week" data-open="${r.rep_id}">${r.name}</a></th>
      ${columns.map(([label, cell]) => html`<td data-label="${label}"><span class="v">${cell(r)}</span></td>`)}</tr>`)}</tbody></table></div></section>`;
}

function chain(ratios, steps) {
  return steps.map((step) => `${t(`week.step.${step}`)} ${ratios[step] ?? 0}`).join(" → ");
}

function focusText(point) {
  return html`${point.text}${point.account_id ? html` · <a href="#/account/${point.account_id}">${point.account ?? ""}</a>` : ""}`;
}

function focusForm(review, accounts) {
  const points = [...review.act.focus, ...Array(MAX_FOCUS).fill({ text: "" })].slice(0, MAX_FOCUS);
  return html`<form class="focus-form" data-rep="${review.rep_id}" data-version="${review.act.version}" novalidate>
    <h3>${t("week.act")}</h3><p class="muted">${t("week.act_help")}</p>
    ${points.map((p, i) => html`<fieldset class="focus-point"><legend>${t("week.point", { n: i + 1 })}</legend>
      <label for="focus-${review.rep_id}-${i}">${t("week.focus_text")}</label>
      <input id="focus-${review.rep_id}-${i}" name="text" maxlength="200" value="${p.text}" autocomplete="off">
      <label for="focus-account-${review.rep_id}-${i}">${t("week.focus_account")}</label>
      <select id="focus-account-${review.rep_id}-${i}" name="account"><option value="">–</option>
        ${accounts.map((a) => html`<option value="${a.id}" ${a.id === p.account_id ? html`selected` : ""}>${a.name}</option>`)}
      </select><p class="error-text" data-error="${i}"></p></fieldset>`)}
    <p class="muted">${review.act.written_by_name ? t("week.written", {
      name: review.act.written_by_name, at: shortDate(review.act.written_at) }) : ""}</p>
    <p class="muted" role="status"></p>
    <button type="submit">${t("visit.save")}</button></form>`;
}

function one(review, accounts, folded) {
  const { plan, do: done, check, last_week: last } = review;
  const body = html`<h2>${review.name} · ${shortDate(review.week_start)}–${shortDate(review.week_end)}</h2>
    <h3>${t("week.plan")}</h3>
    <p>${t("week.plan_line", { days: plan.planned_days, stops: plan.planned_stops })}
       · ${t("week.target", { target: money(plan.target == null ? null : Math.round(Number(plan.target))), won: money(done.won) })}</p>
    <h3>${t("week.do")}</h3>
    <p>${t("week.do_line", { visits: done.visits, met: done.face_to_face_visits, not_met: done.not_met,
                             away: done.away_from_account, pct: value(done.plan_done_pct) })}</p>
    <p>${t("week.split_line", { f2f: value(done.face_to_face_pct), travel: value(done.travel_pct), admin: value(done.admin_pct) })}</p>
    <table class="report-table first-visits"><thead><tr><th scope="col">${t("week.day")}</th>
      <th scope="col">${t("week.first_visit", { target: done.first_appointment_time })}</th></tr></thead>
      <tbody>${done.first_visits.map((f) => html`<tr class="${f.on_time === false ? "late" : ""}">
        <td>${shortDate(f.date)}</td><td>${f.at}${f.on_time === false
          ? html` <span class="late-word">${t("daily.late")}</span>` : ""}</td></tr>`)}</tbody></table>
    ${done.photos_per_day?.length ? html`<p class="photos-per-day">${t("ui.labelled", { label: t("week.photos"), value: done.photos_per_day.map((d) =>
      t("week.photos_day", { day: shortDate(d.date), n: d.photos })).join(" · ") })}</p>` : ""}
    <h3>${t("week.check")}</h3>
    <ul class="check-figures">${Object.values(check.chains).map((steps) => html`<li>${chain(check.ratios, steps)}</li>`)}
      <li>${t("week.hunting", { farming: check.hunting_farming.farming, hunting: check.hunting_farming.hunting,
                               pct: value(check.hunting_farming.farming_pct) })}</li>
      <li>${t("week.qualification", check.qualification)}</li></ul>
    <h3>${t("week.last_focus")}</h3>
    ${last.focus.length ? html`<ul class="list last-focus">${last.focus.map((p) => html`<li>${focusText(p)}
      ${p.account_id ? html`<span class="tag ${p.met_visits ? "" : "warn"}">${t("week.seen", { visits: p.visits, met: p.met_visits })}</span>` : ""}</li>`)}</ul>`
      : html`<p class="muted">${t("week.no_focus")}</p>`}
    ${focusForm(review, accounts)}`;
  if (!folded) return html`<article class="card week" data-rep="${review.rep_id}">${body}</article>`;
  return html`<details class="card week" data-rep="${review.rep_id}" id="week-${review.rep_id}">
    <summary>${review.name}</summary>${body}</details>`;
}

export async function render(main, { user, query }) {
  main.innerHTML = html`${reportTabs("weekly")}<h1>${t("week.title")}</h1>${loading()}`; // an admin's teams take a moment to come
  const teams = await reportTeams(user);
  const week = query?.get("week") ? mondayOf(query.get("week")) : weekToOpen();
  const rep = user.role === "rep" ? null : query?.get("rep"); // one rep's week, opened from the scorecard
  main.innerHTML = html`${reportTabs("weekly")}<h1>${t("week.title")}</h1>
    <form id="week-pick" class="row">${teamPicker(teams)}<div><label for="week-date">${t("week.week_of")}</label>
      <input id="week-date" type="date" value="${week}"></div>
      <button type="submit" style="flex:0 0 auto;align-self:end">${t("team.show")}</button>
      <button type="button" id="week-csv" class="secondary" style="flex:0 0 auto;align-self:end">${t("team.csv")}</button></form>
    <p id="week-error" class="error-text" role="alert"></p>${loading({ hidden: true })}
    <div id="week-reviews"></div><div id="week-rep-day"></div>`;
  const busy = main.querySelector(".loading");
  let latest = 0; // the newest request draws: an older answer arriving late is dropped
  const load = async () => {
    const mine = ++latest;
    const error = main.querySelector("#week-error");
    error.textContent = online() ? "" : t("team.offline");
    if (!online()) return;
    const query = new URLSearchParams({ week: main.querySelector("#week-date").value });
    const team = pickedTeam(main.querySelector("#week-pick"), teams);
    if (rep) query.set("rep_id", rep);
    else if (team) query.set("team_id", team);
    let reviews;
    busy.hidden = false;
    try {
      reviews = await weeklyReviews(query);
    } catch (e) {
      if (mine === latest) error.textContent = describe(e);
      return;
    } finally {
      if (mine === latest) busy.hidden = true;
    }
    const target = main.querySelector("#week-reviews");
    if (!target || mine !== latest) return; // another screen, or a newer request, is showing now
    const accounts = await all("accounts");
    const owned = (rep) => accounts.filter((a) => a.owner_id === rep && !a.deleted_at)
      .sort(byName.of((a) => a.name));
    const folded = user.role !== "rep" && reviews.length > 1;
    target.innerHTML = html`${folded ? summary(reviews) : ""}${reviews.map((r) => one(r, owned(r.rep_id), folded))}`;
    target.dataset.week = reviews[0]?.week_start ?? "";
    const day = main.querySelector("#week-rep-day");
    if (rep && reviews.length === 1 && day && !day.firstChild) { // the manager plans this rep's day here
      const { name, do: done, timezone } = reviews[0];
      renderRepDay(day, { rep: { id: rep, name, first_appointment_time: done.first_appointment_time, timezone },
        names: new Map(accounts.map((a) => [a.id, a.name])) });
    }
    target.querySelectorAll("[data-open]").forEach((link) => link.addEventListener("click", (event) => {
      event.preventDefault();
      const card = target.querySelector(`#week-${link.dataset.open}`);
      card.open = true;
      card.scrollIntoView({ block: "start" });
    }));
    target.querySelectorAll("form.focus-form").forEach((form) => form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const status = form.querySelector("[role=status]");
      form.querySelectorAll("[data-error]").forEach((p) => { p.textContent = ""; });
      const focus = [...form.querySelectorAll(".focus-point")].map((f) => ({
        text: f.querySelector("[name=text]").value.trim(), account_id: f.querySelector("[name=account]").value || null,
      })).filter((p) => p.text || p.account_id);
      const blank = focus.findIndex((p) => !p.text);
      if (blank !== -1) { // an account without words: say what to do there, nothing is sent
        form.querySelectorAll("[data-error]")[blank].textContent = t("msg.focus_text");
        return;
      }
      try {
        const saved = await saveWeeklyFocus({
          ...(user.role === "rep" ? {} : { rep_id: form.dataset.rep }), week: main.querySelector("#week-date").value,
          focus, version: Number(form.dataset.version) });
        form.dataset.version = saved.version;
        status.textContent = t("daily.saved");
      } catch (e) {
        if (e.status === 409) {
          status.textContent = t("week.changed_meanwhile");
          await load(); // show what the other one wrote
          return;
        }
        status.textContent = e.status === 0 ? t("team.offline") : describe(e);
        const perPoint = e.fields?.focus;
        if (perPoint && !Array.isArray(perPoint)) {
          Object.entries(perPoint).forEach(([i, messages]) => {
            const slot = form.querySelectorAll("[data-error]")[Number(i)];
            if (slot) slot.textContent = pointMessage(messages, e.fieldCodes?.focus?.[i]);
          });
        }
      }
    }));
  };
  main.querySelector("#week-pick").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  main.querySelector("#week-csv").addEventListener("click", () => {
    const query = new URLSearchParams({ week: main.querySelector("#week-date").value, format: "csv", lang: lang() });
    const team = pickedTeam(main.querySelector("#week-pick"), teams);
    if (team) query.set("team_id", team);
    weeklyCsv(query)
      .catch((e) => { main.querySelector("#week-error").textContent = describe(e); });
  });
  await load();
}
