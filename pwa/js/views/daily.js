// The daily visit report (每日销售报告): built by the server from the day's records; the rep adds a
// short review, the manager a comment; printable.
import { online } from "../api.js";
import { dailyReports, saveDayComment, saveDayReview } from "../reports.js";
import { t } from "../i18n.js";
import { pickedTeam, reportTabs, reportTeams, teamPicker } from "../teams.js";
import { describe, distanceText, hhmm, html, loading, shortDate, teamToday } from "../ui.js";
import { vocab } from "../settings.js";
import { word } from "./records.js";
import { thumbnailUrl } from "../photos.js";


/** The team's day on one screen: a line per rep, each opening that rep's full report below. At a phone's width
 *  each line is a card of labelled figures (eight columns do not fit 360 px). */
function summary(reports) {
  const columns = [
    [t("team.planned"), (r) => r.plan.planned],
    [t("team.done"), (r) => r.plan.done],
    [t("team.not_met"), (r, kept) => kept.filter((v) => v.met === false).length],
    [t("daily.first_col"), (r) => html`${r.first_visit.at ?? "–"}${
      r.first_visit.on_time === false ? html` <span class="late-word">${t("daily.late")}</span>` : ""}`,
     (r) => (r.first_visit.on_time === false ? "late" : "")],
    [`${t("category.face_to_face")} %`, (r) => r.time_split.face_to_face_pct ?? "–"],
    [t("team.away"), (r, kept) => kept.filter((v) => v.away).length],
    [t("daily.review_written"), (r) => (r.review.went_well || r.review.to_improve ? t("daily.yes") : t("daily.no"))],
  ];
  const rows = reports.map((r) => {
    const kept = r.visits.filter((v) => !v.cancelled);
    return html`<tr data-rep="${r.rep_id}">
      <th scope="row"><a href="#/report" data-open="${r.rep_id}">${r.name}</a></th>
      ${columns.map(([label, cell, cls]) => html`<td data-label="${label}" class="${cls?.(r) ?? ""}"><span class="v">${cell(r, kept)}</span></td>`)}</tr>`;
  });
  return html`<section class="card" id="daily-summary"><h2>${t("daily.summary")}</h2>
    <div class="table-box"><table class="report-table cards"><thead><tr>
      <th scope="col">${t("team.rep")}</th>${columns.map(([label]) => html`<th scope="col">${label}</th>`)}</tr></thead>
    <tbody>${rows}</tbody></table></div></section>`;
}

function one(report, user, folded = false) {
  const mine = user.role === "rep";
  const body = oneBody(report, mine);
  if (!folded) return html`<article class="card daily" data-rep="${report.rep_id}">${body}</article>`;
  return html`<details class="card daily" data-rep="${report.rep_id}" id="day-${report.rep_id}">
    <summary>${report.name}</summary>${body}</details>`;
}

/** What the server flags on a visit: not met, checked in away from the account, cancelled (with why). */
function visitFlags(v) {
  return html`${v.met === false ? html`<span class="tag warn" data-flag="not_met">${t("daily.not_met")}</span>` : ""}
    ${v.away ? html`<span class="tag warn" data-flag="away">${t("daily.away", { distance: distanceText(v.check_in_distance_m) })}</span>` : ""}
    ${v.accompanied_by ? html`<span class="tag joint" data-flag="joint">${t("visit.joint_with", { name: v.accompanied_by_name ?? "" })}</span>` : ""}
    ${v.cancelled ? html`<span class="tag bad" data-flag="cancelled">${t("daily.cancelled", { reason: v.cancel_reason || "–" })}</span>` : ""}`;
}

/** Where a stage move went: a lost deal stays at its stage, so it reads "lost (why)", not "S → S". */
function moveTo(move) {
  if (move.status === "lost") return t("daily.lost", { reason: word("loss_reason", move.loss_reason) });
  return move.to;
}

/** "Purpose: …" with the language's own colon (目的：…). */
const labelled = (key, value) => t("ui.labelled", { label: t(key), value });

function oneBody(report, mine) {
  return html`
    <h2>${report.name} · ${shortDate(report.date)}</h2>
    <p>${t("daily.plan", { done: report.plan.done, planned: report.plan.planned })}
       · ${t("daily.first", { at: report.first_visit.at ?? "–", target: report.first_visit.target })}
       ${report.first_visit.on_time === false ? html`<span class="tag warn">${t("daily.late")}</span>` : ""}</p>
    ${report.week_focus?.length ? html`<div class="week-focus"><h3>${t("week.this_focus")}</h3><ul>${report.week_focus.map((p) =>
      html`<li>${p.text}</li>`)}</ul></div>` : ""}
    <p><a href="#/week?week=${report.date}" class="week-link">${t("week.open")}</a></p>
    <h3>${t("daily.visits")}</h3>
    ${report.visits.length ? html`<ol>${report.visits.map((v) => html`<li data-visit="${v.id}"><strong>${hhmm(v.check_in_at)} ${v.account}</strong>
      ${v.planned ? "" : html`<span class="tag">${t("daily.unplanned")}</span>`} ${visitFlags(v)}
      <div>${labelled("daily.purpose", v.purpose)}</div><div>${labelled("visit.outcome", v.outcome || "–")}</div>
      <div>${labelled("visit.next_step", v.next_step || "–")}</div>
      ${v.photos?.length ? html`<div class="daily-photos">${v.photos.map((p) => html`<img class="photo-thumb" data-photo="${p.id}"
        alt="${p.caption || t("photo.taken_at", { time: hhmm(p.taken_at) })}" title="${p.uploaded ? "" : t("photo.waiting")}">`)}</div>` : ""}</li>`)}</ol>`
      : html`<p class="muted">${t("account.none")}</p>`}
    <h3>${t("daily.opportunities")}</h3>
    <ul>${report.new_opportunities.map((o) => html`<li>${labelled("daily.new", `${o.title} (${o.account}) ${o.stage}`)}</li>`)}
        ${report.stage_moves.map((m) => html`<li>${m.title} (${m.account}): ${m.from} → ${moveTo(m)}</li>`)}</ul>
    <h3>${t("clock.split")}</h3>
    <table class="split"><tbody>${vocab("time_split").map((k) => html`<tr><th>${t(`category.${k}`)}</th>
      <td class="num">${Math.round(report.time_split[`${k}_min`] ?? 0)} ${t("clock.minutes")}</td>
      <td class="num">${report.time_split[`${k}_pct`] ?? "–"}\u00a0%</td></tr>`)}</tbody></table>
    <h3>${t("daily.overdue")}</h3>
    <ul class="overdue-tomorrow">${report.overdue_tomorrow.slice(0, 15).map((a) => html`<li><a href="#/account/${a.account_id}">${a.name}</a>
      <span class="tag">${a.account_class}</span> <span class="muted">${a.days_since_contact === null
        ? t("account.never") : t("daily.since", { days: a.days_since_contact })}</span></li>`)}</ul>
    <form class="review" data-date="${report.date}" data-rep="${report.rep_id}">
      <h3>${t("daily.review")}</h3>
      <label for="went-${report.rep_id}">${t("daily.went_well")}</label>
      <textarea id="went-${report.rep_id}" name="went_well" maxlength="5000" ${mine ? "" : html`readonly`}>${report.review.went_well}</textarea>
      <label for="improve-${report.rep_id}">${t("daily.to_improve")}</label>
      <textarea id="improve-${report.rep_id}" name="to_improve" maxlength="5000" ${mine ? "" : html`readonly`}>${report.review.to_improve}</textarea>
      <label for="comment-${report.rep_id}">${t("daily.comment")}</label>
      <textarea id="comment-${report.rep_id}" name="comment" maxlength="5000" ${mine ? html`readonly` : ""}>${report.review.manager_comment}</textarea>
      <p class="muted" role="status"></p>
      <button type="submit">${t("visit.save")}</button>
    </form>`;
}

export async function render(main, { user }) {
  main.innerHTML = html`${reportTabs("daily")}<h1>${t("daily.title")}</h1>${loading()}`; // an admin's teams take a moment to come
  const teams = await reportTeams(user);
  main.innerHTML = html`${reportTabs("daily")}<h1>${t("daily.title")}</h1>
    <form id="daily-pick" class="row">${teamPicker(teams)}<div><label for="daily-date">${t("daily.date")}</label>
      <input id="daily-date" type="date" value="${teamToday()}"></div>
      <button type="submit" style="flex:0 0 auto;align-self:end">${t("team.show")}</button>
      <button type="button" id="print" class="secondary" style="flex:0 0 auto;align-self:end">${t("daily.print")}</button></form>
    <p id="daily-error" class="error-text" role="alert"></p>${loading({ hidden: true })}<div id="daily-reports"></div>`;
  const busy = main.querySelector(".loading");
  let latest = 0; // the newest request draws: an older answer arriving late is dropped
  const load = async () => {
    const mine = ++latest;
    const error = main.querySelector("#daily-error");
    error.textContent = online() ? "" : t("team.offline");
    if (!online()) return;
    busy.hidden = false;
    try {
      const query = new URLSearchParams({ date: main.querySelector("#daily-date").value });
      const team = pickedTeam(main.querySelector("#daily-pick"), teams);
      if (team) query.set("team_id", team);
      const reports = await dailyReports(query).finally(() => { if (mine === latest) busy.hidden = true; });
      const target = main.querySelector("#daily-reports");
      if (!target || mine !== latest) return; // another screen, or a newer request, is showing now
      // A manager's team: the summary first, each rep's day folded under it, one tap away.
      const folded = user.role !== "rep" && reports.length > 1;
      target.innerHTML = html`${folded ? summary(reports) : ""}${reports.map((r) => one(r, user, folded))}`;
      // The visits' photos: the phone's own copies, or the server's thumbnails (a manager's view).
      target.querySelectorAll("img[data-photo]").forEach(async (img) => {
        const url = await thumbnailUrl(img.dataset.photo);
        if (url) img.src = url;
        else img.hidden = true;
      });
      target.querySelectorAll("[data-open]").forEach((link) => link.addEventListener("click", (event) => {
        event.preventDefault();
        const day = target.querySelector(`#day-${link.dataset.open}`);
        day.open = true;
        day.scrollIntoView({ block: "start" });
      }));
    } catch (e) {
      error.textContent = describe(e);
      return;
    }
    main.querySelectorAll("form.review").forEach((form) => form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const status = form.querySelector("[role=status]");
      try {
        if (user.role === "rep") {
          await saveDayReview(form.dataset.date, form.went_well.value, form.to_improve.value);
        } else {
          await saveDayComment(form.dataset.rep, form.dataset.date, form.comment.value);
        }
        status.textContent = t("daily.saved");
      } catch (e) {
        status.textContent = e.status === 0 ? t("team.offline") : describe(e);
      }
    }));
  };
  main.querySelector("#daily-pick").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  main.querySelector("#print").addEventListener("click", () => {
    main.querySelectorAll("details.daily").forEach((d) => { d.open = true; }); // every rep's day on paper
    window.print();
  });
  await load();
}
