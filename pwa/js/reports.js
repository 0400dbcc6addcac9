// The manager's figures from the server, for the views to draw: the report list and each report, the lists
// and targets under them, the daily and weekly reviews. The Team screen's last figures are kept on this
// device for when there is no signal (forgotten with the other records when another user signs in).
import { download, request } from "./api.js";
import { TEAM_FIGURES, getMeta, setMeta } from "./db.js";
import { lang } from "./i18n.js";
import { distinctNames } from "./ui.js";

let reportList = null;
/** The names of the reports the server offers (GET /api/reports), the scorecard apart; asked once. */
export function reportNames() {
  reportList ??= request("GET", "/api/reports").then((answer) => answer.reports.map((r) => r.name).filter((n) => n !== "scorecard"))
    .catch((e) => { reportList = null; throw e; });
  return reportList;
}

/** One report's answer for `query` (URLSearchParams: from, to, team_id or rep_id, …). */
export function report(name, query) {
  return request("GET", `/api/reports/${name}?${query}`);
}

/** One report's table as a CSV file in the app's language (codes beside the words), downloaded. */
export function reportCsv(name, query, table = "rows") {
  return download(`/api/reports/${name}?${query}&format=csv&table=${table}&lang=${lang()}`, `${name}.csv`);
}

/** Keep the Team screen's figures of `query` (the scorecard and every other report's answer), with when. */
export function keepTeamFigures(query, scorecard, data) {
  return setMeta(TEAM_FIGURES, { query: String(query), at: new Date().toISOString(), scorecard, data });
}

/** The Team screen's last figures kept ({query, at, scorecard, data}), or null. */
export function keptTeamFigures() {
  return getMeta(TEAM_FIGURES, null);
}

export function saveFaceTimeGoal(teamId, pct) {
  return request("PUT", "/api/reports/face-time-target", { team_id: teamId, face_time_target_pct: pct });
}

/** A page of the overdue list (`params`: the period, page, per_page, team_id or rep_id). */
export function overduePage(params) {
  return request("GET", `/api/reports/overdue?${params}`);
}

export function monthlyTargets(params) {
  return request("GET", `/api/reports/targets?${params}`);
}

export function saveMonthlyTarget(repId, month, amount) {
  return request("PUT", "/api/reports/targets/monthly", { rep_id: repId, month, amount });
}

/** The daily reports of `query` (date, team_id). */
export async function dailyReports(query) {
  return distinctNames((await request("GET", `/api/reports/daily?${query}`)).reports);
}

/** The rep's own review of their day. */
export function saveDayReview(date, wentWell, toImprove) {
  return request("PUT", "/api/reports/daily/review", { date, went_well: wentWell, to_improve: toImprove });
}

/** The manager's comment on a rep's day. */
export function saveDayComment(repId, date, comment) {
  return request("PUT", "/api/reports/daily/comment", { rep_id: repId, date, comment });
}

/** The weekly reviews of `query` (week, team_id or rep_id). */
export async function weeklyReviews(query) {
  return distinctNames((await request("GET", `/api/reports/weekly-review?${query}`)).reviews);
}

/** A week's focus points (`body`: week, focus, version, and rep_id for a manager). */
export function saveWeeklyFocus(body) {
  return request("PUT", "/api/reports/weekly-review", body);
}

export function weeklyCsv(query) {
  return download(`/api/reports/weekly-review?${query}`, `weekly-review-${query.get("week")}.csv`);
}
