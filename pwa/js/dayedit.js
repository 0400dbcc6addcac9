// Changing today without signal: drop a stop, insert an account where it costs least, move a stop.
// Arrivals are timed again here by the same pass the server runs on the change it receives
// (routing/retime.py), with the server's travel model kept on the phone.
import { writeLocal } from "./db.js";
import { settings } from "./settings.js";
import { atTime, metresBetween } from "./ui.js";

const MINUTE = 60_000;
const SERVICE_MINUTES = { A: 60, B: 45, C: 30 }; // as the planner gives a stop of each class
const LUNCH = { from: "12:00", until: "13:00", minutes: 45 };

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

/** The day's context for timing it: where the rep starts and ends, the first visits of each account. */
export function dayContext(plan, { user, accounts, visits, appointments }) {
  const before = plan.stops.slice().sort((a, b) => a.position - b.position);
  const first = before[0];
  const depart = first ? new Date(first.planned_arrival).getTime() - first.travel_minutes * MINUTE
    : localAt(plan.plan_date, String(user?.first_appointment_time ?? "08:45").slice(0, 5));
  const dayStart = localAt(plan.plan_date, "00:00");
  const visited = new Map();
  for (const v of visits.slice().sort((a, b) => a.check_in_at.localeCompare(b.check_in_at))) {
    const at = new Date(v.check_in_at).getTime();
    if (v.cancelled_at || at < dayStart || at >= dayStart + 86_400_000 || visited.has(v.account_id)) continue;
    visited.set(v.account_id, [at, v.check_out_at ? new Date(v.check_out_at).getTime() : null]);
  }
  const origin = user?.start_lat != null ? [user.start_lat, user.start_lng] : null;
  const end = user?.end_lat != null ? [user.end_lat, user.end_lng] : origin;
  return { day: plan.plan_date, pins: plan.choices?.pins ?? {}, before, depart, visited, origin, end, accounts,
           appointments: new Map(appointments.map((a) => [a.id, a])) };
}

/** Time `order` ([{account_id, appointment_id}]) as the server will: the stops as the plan stores them. */
export function timeOrder(order, ctx, now = Date.now()) {
  const old = new Map(ctx.before.map((s) => [s.account_id, s]));
  const legs = order.map((item) => {
    const account = ctx.accounts.get(item.account_id);
    const prev = old.get(item.account_id);
    const appointment = item.appointment_id ? ctx.appointments.get(item.appointment_id) : null;
    const pin = ctx.pins[item.account_id];
    const fixed = appointment ? new Date(appointment.starts_at).getTime()
      : pin ? localAt(ctx.day, pin)
      : (item.appointment_id || prev?.pinned) && prev ? new Date(prev.planned_arrival).getTime() : null;
    const service = prev?.service_minutes ?? SERVICE_MINUTES[account?.account_class] ?? 30;
    return { point: pointOf(account), service_s: service * 60, fixed, visited: ctx.visited.get(item.account_id) ?? null };
  });
  const lunchAt = now <= localAt(ctx.day, LUNCH.until) ? localAt(ctx.day, LUNCH.from) : null;
  const timed = retime(ctx.origin, ctx.depart, legs, now, lunchAt, LUNCH.minutes);
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
                   { baseVersion: plan.version, local: { stops: timed.stops, total_travel_s: timed.total_travel_s, edited_here: true } });
  return timed;
}
