// Changing today without signal: drop a stop, insert an account where it costs least, move a stop.
// Arrivals are timed again here by the same pass the server runs on the change it receives
// (routing/retime.py), with the server's travel model and the team's service minutes and lunch break (its
// settings as the server gave them after login, server/team_settings.py).
import { writeLocal } from "./db.js";
import { settings, teamSettings } from "./settings.js";
import { atTime, metresBetween } from "./ui.js";

const MINUTE = 60_000;

/** Seconds between two points: geodesic distance x detour / speed, as the server plans without OSRM. */
export function travelSeconds(a, b) {
  if (!a || !b) return 0;
  const { routing_detour: detour, routing_speed_kmh: speed } = settings();
  return Math.round((metresBetween(a[0], a[1], b[0], b[1]) / 1000) * detour / speed * 3600);
}

/** The pass: each leg's arrival (ms), travel (s) and lateness (s), leaving `origin` at `departAt`. */
export function retime(origin, departAt, legs, now, lunchAt = null, lunchMinutes = 0) {
  let cursor = departAt;
  let here = origin;
  let lunchDue = lunchAt !== null;
  return legs.map((leg) => {
    const travel = here && leg.point ? travelSeconds(here, leg.point) : 0;
    let out;
    if (leg.visited) {
      const [arrival, left] = leg.visited;
      cursor = left ?? Math.max(now, arrival + leg.service_s * 1000);
      out = { arrival, travel, late: 0 };
    } else {
      cursor = Math.max(cursor, now);
      if (lunchDue && cursor >= lunchAt) {
        cursor += lunchMinutes * MINUTE;
        lunchDue = false;
      }
      let arrival = cursor + travel * 1000;
      let late = 0;
      if (leg.fixed !== null && leg.fixed !== undefined) {
        if (arrival < leg.fixed) arrival = leg.fixed;
        else late = Math.round((arrival - leg.fixed) / 1000);
      }
      cursor = arrival + leg.service_s * 1000;
      out = { arrival, travel, late };
    }
    if (leg.point) here = leg.point;
    return out;
  });
}

/** Epoch ms of local "HH:MM" on the local date `day` (YYYY-MM-DD). */
function localAt(day, hhmm) {
  return new Date(atTime(`${day}T00:00:00`, hhmm)).getTime();
}

function pointOf(account) {
  return account?.latitude != null ? [account.latitude, account.longitude] : null;
}

/** Where a day starts, as [lat, lng]: where the plan was made from (a re-plan from here and now), else the
 *  rep's home; null when neither is known. */
export function planStart(plan, user) {
  if (plan?.start?.latitude != null) return [plan.start.latitude, plan.start.longitude];
  return user?.start_lat != null ? [user.start_lat, user.start_lng] : null;
}

export const LEFT_OUT_BY_REP = "left_out_by_rep";

/** The plan's left-out list after the rep's new `order`: what the rep took out is left out by the rep
 *  (as the server will store it), what they put back is no longer left out. */
export function droppedAfter(plan, order) {
  const now = new Set(order.map((s) => s.account_id));
  const out = new Set((plan.dropped ?? []).filter((d) => d.reason === LEFT_OUT_BY_REP).map((d) => d.id));
  for (const stop of plan.stops) if (!now.has(stop.account_id)) out.add(stop.account_id);
  for (const id of now) out.delete(id);
  return [...(plan.dropped ?? []).filter((d) => d.reason !== LEFT_OUT_BY_REP && !out.has(d.id) && !now.has(d.id)),
    ...[...out].sort().map((id) => ({ id, reason: LEFT_OUT_BY_REP }))];
}

/** The day's context for timing it: where the rep starts and ends, the first visits of each account. */
export function dayContext(plan, { user, accounts, visits, appointments }) {
  const before = plan.stops.slice().sort((a, b) => a.position - b.position);
  const first = before[0];
  const depart = first ? new Date(first.planned_arrival).getTime() - first.travel_minutes * MINUTE
    : localAt(plan.plan_date, String(teamSettings()?.my_first_appointment_time ?? user?.first_appointment_time).slice(0, 5));
  const dayStart = localAt(plan.plan_date, "00:00");
  const visited = new Map();
  for (const v of visits.slice().sort((a, b) => a.check_in_at.localeCompare(b.check_in_at))) {
    const at = new Date(v.check_in_at).getTime();
    if (v.cancelled_at || at < dayStart || at >= dayStart + 86_400_000 || visited.has(v.account_id)) continue;
    visited.set(v.account_id, [at, v.check_out_at ? new Date(v.check_out_at).getTime() : null]);
  }
  const origin = planStart(plan, user);
  const home = user?.start_lat != null ? [user.start_lat, user.start_lng] : null;
  const end = user?.end_lat != null ? [user.end_lat, user.end_lng] : home ?? origin;
  return { day: plan.plan_date, pins: plan.choices?.pins ?? {}, before, depart, visited, origin, end, accounts,
           startedAt: plan.start?.at ? new Date(plan.start.at).getTime() : null,
           appointments: new Map(appointments.map((a) => [a.id, a])) };
}

/** Time `order` ([{account_id, appointment_id}]) as the server will: the stops as the plan stores them. */
export function timeOrder(order, ctx, now = Date.now()) {
  const team = teamSettings();
  const old = new Map(ctx.before.map((s) => [s.account_id, s]));
  const legs = order.map((item) => {
    const account = ctx.accounts.get(item.account_id);
    const prev = old.get(item.account_id);
    const appointment = item.appointment_id ? ctx.appointments.get(item.appointment_id) : null;
    const pin = ctx.pins[item.account_id];
    const fixed = appointment ? new Date(appointment.starts_at).getTime()
      : pin ? localAt(ctx.day, pin)
      : (item.appointment_id || prev?.pinned) && prev ? new Date(prev.planned_arrival).getTime() : null;
    const service = prev?.service_minutes ?? team?.service_minutes?.[account?.account_class] ?? 0;
    return { point: pointOf(account), service_s: service * 60, fixed, visited: ctx.visited.get(item.account_id) ?? null };
  });
  // The lunch break starts between the team's earliest and latest start; once the latest has passed, none; nor
  // when the day was re-planned at lunchtime with the break before its first drive (as the server times it).
  const noon = team ? localAt(ctx.day, team.lunch_earliest) : null;
  const eaten = team && ctx.startedAt !== null && ctx.depart >= noon
    && ctx.depart - Math.max(ctx.startedAt, noon) >= (team.lunch_minutes - 1) * MINUTE;
  const lunchAt = team && now <= localAt(ctx.day, team.lunch_latest) && !eaten ? noon : null;
  const timed = retime(ctx.origin, ctx.depart, legs, now, lunchAt, team?.lunch_minutes ?? 0);
  const stops = order.map((item, i) => {
    const prev = old.get(item.account_id);
    return {
      ...(prev ?? {}), position: i, account_id: item.account_id, appointment_id: item.appointment_id ?? null,
      planned_arrival: new Date(timed[i].arrival).toISOString(), service_minutes: legs[i].service_s / 60,
      travel_minutes: Math.round(timed[i].travel / 60), reason: prev?.reason ?? "rep_added", pinned: prev?.pinned ?? false,
      late_minutes: Math.round(timed[i].late / 60),
    };
  });
  const last = [...legs].reverse().find((l) => l.point)?.point ?? ctx.origin;
  const travel = timed.reduce((sum, t) => sum + t.travel, 0) + travelSeconds(last, ctx.end);
  return { stops, total_travel_s: travel, late: timed.some((t) => t.late > 0) };
}

function orderOf(plan) {
  return plan.stops.slice().sort((a, b) => a.position - b.position)
    .map((s) => ({ account_id: s.account_id, appointment_id: s.appointment_id ?? null }));
}

/** The first position a change may touch: after the last stop visited or being visited. */
export function firstOpen(order, ctx) {
  let open = 0;
  order.forEach((item, i) => { if (ctx.visited.has(item.account_id)) open = i + 1; });
  return open;
}

export function dropped(plan, index) {
  const order = orderOf(plan);
  order.splice(index, 1);
  return order;
}

export function moved(plan, index, delta) {
  const order = orderOf(plan);
  const to = index + delta;
  if (to < 0 || to >= order.length) return order;
  const [item] = order.splice(index, 1);
  order.splice(to, 0, item);
  return order;
}

/** `accountId` where it costs least: no fixed stop made late if any position allows, then the least
 *  travel, then the earliest position; never before a stop already visited. */
export function inserted(plan, accountId, ctx, now = Date.now()) {
  const order = orderOf(plan);
  let best = null;
  for (let at = firstOpen(order, ctx); at <= order.length; at += 1) {
    const candidate = [...order.slice(0, at), { account_id: accountId, appointment_id: null }, ...order.slice(at)];
    const timed = timeOrder(candidate, ctx, now);
    const lateness = timed.stops.reduce((sum, s) => sum + s.late_minutes, 0);
    const key = [lateness, timed.total_travel_s, at];
    if (!best || key[0] < best.key[0] || (key[0] === best.key[0] && key[1] < best.key[1])) best = { key, candidate };
  }
  return best.candidate;
}

/** Minutes a stop arrives after its fixed time (an appointment or a pin), 0 when on time or not fixed. */
export function lateMinutes(stop, ctx) {
  const appointment = stop.appointment_id ? ctx.appointments.get(stop.appointment_id) : null;
  const pin = ctx.pins[stop.account_id];
  const fixed = appointment ? new Date(appointment.starts_at).getTime() : pin ? localAt(ctx.day, pin) : null;
  if (fixed === null) return 0;
  return Math.max(0, Math.round((new Date(stop.planned_arrival).getTime() - fixed) / MINUTE));
}

/** Keep the new order on the phone, timed, and queue it for the server (which times it again). */
export async function saveOrder(plan, order, ctx, now = Date.now()) {
  const timed = timeOrder(order, ctx, now);
  const changedAt = new Date(now).toISOString();
  await writeLocal("route_plan", "update", plan.id,
                   { stops: order.map((s) => ({ account_id: s.account_id, appointment_id: s.appointment_id })), changed_at: changedAt },
                   { baseVersion: plan.version, local: { stops: timed.stops, total_travel_s: timed.total_travel_s, edited_here: true,
                                                           dropped: droppedAfter(plan, order) } });
  return timed;
}

/** When to leave for `stop` (its planned arrival and travel minutes): by the plan's leave-by time while that is still
 *  ahead; once it has passed, now, or when the rep is `free` (an open visit's time with the customer up), arriving
 *  that much later (`late`). Answers {leaveBy, at, now, late, arrive, planned} (times as ISO strings). */
export function departure(stop, now = new Date(), free = now.getTime()) {
  const arrival = new Date(stop.planned_arrival).getTime();
  const leaveBy = arrival - stop.travel_minutes * MINUTE;
  const iso = (ms) => new Date(ms).toISOString();
  const planned = iso(arrival);
  if (leaveBy >= free) return { leaveBy: iso(leaveBy), at: iso(leaveBy), now: false, late: false, arrive: planned, planned };
  const at = Math.max(free, now.getTime());
  return { leaveBy: iso(leaveBy), at: iso(at), now: at <= now.getTime(), late: true, arrive: iso(at + stop.travel_minutes * MINUTE),
           planned };
}

/** A predicate for `dayNow`: a stop at an account on this phone (`accounts`: a Map or Set by id), or booked by
 *  appointment; a stop at an account reassigned away since the plan was made is not the rep's to visit, as the
 *  server's reminder (server/notify/reminders.py `_next_stop`). */
export function heldStop(accounts) {
  return (stop) => accounts.has(stop.account_id) || Boolean(stop.appointment_id);
}

/** Where the day stands now: each stop done (with its visit), current (the open visit), past (its time
 *  went by unvisited), next (the first one still to do) or later; and how far ahead or behind. `over`: the
 *  working day has ended, so no stop is still to do (every one not visited is past) and no one is behind. `leave`:
 *  when to leave for the next stop (`departure`); `free`: when the rep is free to leave (now, or when the open
 *  visit's planned time with the customer is up). `theirs(stop)`: whether a stop is still the rep's to visit (see
 *  `heldStop`); one that is not is never the next. `onward`: the next stop as the day goes on, never one before the
 *  stop visited last (those were passed by): the next one, or the first still to do after that stop (-1: none). */
export function dayNow(stops, visits, now = new Date(), { over = false, theirs = () => true } = {}) {
  const byAccount = new Map();
  for (const v of visits) if (!byAccount.has(v.account_id) || v.check_in_at > byAccount.get(v.account_id).check_in_at) byAccount.set(v.account_id, v);
  let nextIndex = -1;
  const states = stops.map((stop, i) => {
    const visit = byAccount.get(stop.account_id);
    // A call where the customer was not met is no visit done: it keeps its own state.
    if (visit) return { state: !visit.check_out_at ? "current" : visit.met === false ? "not_met" : "done", visit };
    const departs = new Date(stop.planned_arrival).getTime() + (stop.service_minutes ?? 0) * MINUTE;
    if (nextIndex === -1 && departs >= now.getTime() && theirs(stop)) nextIndex = i;
    return { state: departs < now.getTime() ? "past" : "later" };
  });
  if (over) {
    for (const s of states) if (s.state === "later") s.state = "past";
    return { states, nextIndex: -1, onward: -1, delay: null, leave: null, free: now.getTime() };
  }
  if (nextIndex === -1) nextIndex = states.findIndex((s, i) => s.state === "past" && theirs(stops[i])); // late for all: the first missed
  if (nextIndex !== -1) states[nextIndex].state = "next";
  const latest = [...byAccount.values()].reduce((a, v) => (!a || v.check_in_at > a.check_in_at ? v : a), null);
  const last = latest ? stops.findIndex((s) => s.account_id === latest.account_id) : -1;
  const onward = nextIndex === -1 || nextIndex >= last ? nextIndex
    : states.findIndex((s, i) => i > last && theirs(stops[i]) && ["later", "past"].includes(s.state));
  const next = stops[nextIndex];
  let delay = null;
  const started = visits.length > 0 || (stops[0] && now >= new Date(new Date(stops[0].planned_arrival) - stops[0].travel_minutes * MINUTE));
  const open = states.find((s) => s.state === "current");
  const openStop = open ? stops[states.indexOf(open)] : null;
  // Free to leave: now, or when the open visit's planned time with the customer is up.
  const free = open ? Math.max(now.getTime(), new Date(open.visit.check_in_at).getTime() + (openStop.service_minutes ?? 0) * MINUTE)
    : now.getTime();
  if (next && started) delay = Math.round((free + next.travel_minutes * MINUTE - new Date(next.planned_arrival).getTime()) / MINUTE);
  // Once the plan's leave-by time has passed, the rep leaves now (or when free), not at a time gone by.
  const leave = next ? departure(next, now, free) : null;
  return { states, nextIndex, onward, delay, leave, free };
}
