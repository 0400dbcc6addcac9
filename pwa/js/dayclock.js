// The day clock (face-to-face, travel, admin, meeting) as Activity records on the phone, and the visit loop
// keeping it: face-to-face from check-in, travel from check-out while a stop of the day is still to come (or no
// stop was planned that day), stopped after the last one or once the working day has ended (closeTheDay, each time the reminders look).
// The rep only corrects (views/clock.js). The one place these rules live.
import { all, planOn, uuid, writeLocal } from "./db.js";
import { dayNow, departure, heldStop } from "./dayedit.js";
import { dayEnd, dayIsOver } from "./plans.js";
import { atTime, localDate } from "./ui.js";

export async function running() {
  return (await all("activities")).find((a) => !a.ended_at) ?? null;
}

/** End whatever activity is running (at `at`). */
export async function stopRunning(at = new Date().toISOString()) {
  const current = await running();
  if (current) await writeLocal("activity", "update", current.id, { ended_at: at });
  return current;
}

/** Run `category` from `at`: the running one ends there; the same one already running stays. */
export async function runFrom(category, at = new Date().toISOString()) {
  const current = await running();
  if (current?.category === category) return current.id;
  if (current) await writeLocal("activity", "update", current.id, { ended_at: at });
  const id = uuid();
  await writeLocal("activity", "create", id, { category, started_at: at });
  return id;
}

/** The rep's tap: switch to `category`; tapping the running one stops it. */
export async function switchTo(category, at = new Date().toISOString()) {
  const current = await running();
  if (current?.category === category) {
    await stopRunning(at);
    return null;
  }
  return runFrom(category, at);
}

/** Today's stop still to come after the visits so far (the stop, its number, its leave-by and when to leave: see
 *  dayedit.js `departure`), or null: dayNow's `onward`, the next one as Today shows it but never one before the
 *  stop visited last (those were passed by: the day goes on). */
export async function nextStop(now = new Date()) {
  const today = localDate(now);
  const plan = await planOn(today);
  if (!plan?.stops?.length) return null;
  const stops = plan.stops.slice().sort((a, b) => a.position - b.position);
  const visits = (await all("visits"))
    .filter((v) => v.check_in_at && !v.cancelled_at && localDate(new Date(v.check_in_at)) === today);
  const theirs = heldStop(new Set((await all("accounts")).map((a) => a.id)));
  const where = dayNow(stops, visits, now, { over: dayIsOver(now), theirs });
  const index = where.onward;
  if (index === -1) return null;
  const stop = stops[index];
  const leave = departure(stop, now, where.free); // from when the open visit's planned time is up, as Today says
  return { stop, number: index + 1, leaveBy: leave.leaveBy, leave };
}

/** The working day's end stops the clock: an activity still running then (the travel after a check-out, a meeting
 *  never stopped) ends at the end of the day it started, as the rep would have stopped it; not while a visit is open
 *  (its check-out stops it). Answers the activity ended, or null. */
export async function closeTheDay(now = new Date()) {
  const end = dayEnd();
  const current = end ? await running() : null;
  if (!current) return null;
  const started = new Date(current.started_at);
  const closes = new Date(atTime(`${localDate(started)}T12:00:00`, end));
  if (now < closes || started >= closes) return null;
  if ((await all("visits")).some((v) => v.check_in_at && !v.check_out_at && !v.cancelled_at)) return null;
  await writeLocal("activity", "update", current.id, { ended_at: closes.toISOString() });
  return current;
}

/** A check-in: the visit is face-to-face time. */
export async function visitStarted(at) {
  return runFrom("face_to_face", at);
}

/** A check-out: travel to the next stop, or, after the day's last stop, the clock stops. A day with no stops planned
 *  (a new rep's, whose start is not set yet; a day of walk-ins) has no last stop: travel runs on, to the next check-in
 *  or the working day's end (closeTheDay), unless the day is over already. */
export async function visitEnded(at) {
  const when = new Date(at);
  const next = await nextStop(when);
  const planned = (await planOn(localDate(when)))?.stops?.length > 0;
  if (next || (!planned && !dayIsOver(when))) await runFrom("travel", at);
  else await stopRunning(at);
  return next;
}
