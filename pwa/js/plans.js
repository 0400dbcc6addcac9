// Route plans from the server: plan a day (kept on this phone when it is the user's own), preview a re-plan,
// and read a rep's stored plan (a manager's view of a rep's day).
import { request } from "./api.js";
import { keepPlan } from "./db.js";
import { teamSettings } from "./settings.js";
import { zonedClock } from "./ui.js";

/** Whether today's working day has begun: later than the first appointment (the server's setting, after login),
 *  in the team's time zone. A plan of today made then starts from here and now, not from the first appointment. */
export function dayHasBegun(user, now = new Date()) {
  const team = teamSettings();
  return passed(team?.my_first_appointment_time ?? user?.first_appointment_time, now, team?.timezone);
}

/** Whether today's working day has ended (the server's `day_end`, in the team's time zone): what is left of today
 *  is then neither re-planned nor re-ordered (the server refuses both), and Today points to tomorrow. */
export function dayIsOver(now = new Date()) {
  const end = dayEnd();
  return end !== null && minutesPast(end, now, teamSettings().timezone) >= 0;
}

/** The working day's end ("HH:MM", the server's setting), null before the settings have come. */
export function dayEnd() {
  const end = teamSettings()?.day_end;
  return end ? String(end).slice(0, 5) : null;
}

/** Whether `now` is later than `first` ("HH:MM", someone's first-appointment time) on its day in `zone` (the
 *  team's, where that time is meant; the browser's when none). */
export function passed(first, now = new Date(), zone = undefined) {
  return Boolean(first) && minutesPast(first, now, zone) > 0;
}

/** Minutes from `hhmm` ("HH:MM") to `now` on its day's clock in `zone` (negative before it). */
function minutesPast(hhmm, now, zone) {
  const [h, m] = String(hhmm).split(":").map(Number);
  return zonedClock(now, zone).minutes - (h * 60 + m);
}

/** Plan a day on the server (`body`: date, rep_id for a manager, include/exclude/pins, start, override). */
export function planDay(body) {
  return request("POST", "/api/routes/plan", body);
}

/** Plan one's own day and keep the plan on this phone; answers the plan kept. */
export async function planAndKeep(body) {
  const plan = await planDay(body);
  await keepPlan(plan);
  return plan;
}

/** What a re-plan would be, nothing stored. */
export function previewPlan(body) {
  return planDay({ ...body, preview: true });
}

/** A rep's stored plan for `day` (YYYY-MM-DD), null when there is none: asked of the plans' list, which answers
 *  a day without a plan with no rows (the one plan's address answers 404, an error in the browser's console). */
export async function storedPlan(repId, day) {
  const { items } = await request("GET", `/api/route-plans?${new URLSearchParams({ rep_id: repId, date: day })}`);
  return items[0] ?? null;
}
