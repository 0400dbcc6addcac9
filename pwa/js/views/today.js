// Today: the route plan with arrival times, legs, why each stop is there, and a map.
import { online } from "../api.js";
import { all, byIndex, getMeta, outbox, planOn, setMeta } from "../db.js";
import { dayEnd, dayHasBegun, dayIsOver, planAndKeep, previewPlan } from "../plans.js";
import { t } from "../i18n.js";
import { LEFT_OUT_BY_REP, dayContext, dayNow, dropped, heldStop, lateMinutes, moved, planStart, saveOrder } from "../dayedit.js";
import { navButton, navContext, wireNavLinks } from "../navlinks.js";
import { syncNow } from "../sync.js";
import { addDays, describe, duration, hhmm, html, idle, localDate, mondayOf, position, reasonLabels, shortDate } from "../ui.js";

const MINUTE = 60_000;
const MAP_WAIT_MS = 1500; // the map waits for an idle moment, this long at most
export { dayNow };

/** Where and when the rest of today starts: at the end of the open visit, else here (GPS) and now,
 *  else where the last visit ended; null when nothing says (then the plan starts from home). */
export async function restStart(now = new Date()) {
  const today = localDate(now);
  const visits = (await all("visits")).filter((v) => v.check_in_at && !v.cancelled_at && localDate(new Date(v.check_in_at)) === today)
    .sort((a, b) => a.check_in_at.localeCompare(b.check_in_at));
  const accounts = new Map((await all("accounts")).map((a) => [a.id, a]));
  const open = visits.find((v) => !v.check_out_at);
  if (open && accounts.get(open.account_id)?.latitude != null) {
    const at = Math.max(now.getTime(), new Date(open.check_in_at).getTime() + 30 * MINUTE);
    const a = accounts.get(open.account_id);
    return { latitude: a.latitude, longitude: a.longitude, at: new Date(at).toISOString() };
  }
  const gps = await position(4000);
  if (gps) return { latitude: gps.lat, longitude: gps.lng, at: now.toISOString() };
  const last = visits.filter((v) => v.check_out_at).pop();
  const a = last && accounts.get(last.account_id);
  // No fix and nowhere visited yet: from home (the server's start location for the rep), at this time.
  return a?.latitude != null ? { latitude: a.latitude, longitude: a.longitude, at: now.toISOString() } : { at: now.toISOString() };
}

function changes(current, proposed, accounts, visitedAt) {
  const before = new Map(current.map((s) => [s.account_id, s]));
  const after = new Set(proposed.map((s) => s.account_id));
  const name = (id) => accounts.get(id)?.name ?? "?";
  const rows = proposed.map((s, i) => {
    // A stop visited already stays first: said with when it was visited, not the time it was once planned for
    // (which may be later than the next stop's new time).
    const at = visitedAt.get(s.account_id);
    if (at) return html`<li class="muted" data-done>${hhmm(at)} ${i + 1}. ${name(s.account_id)} <span class="tag">${t("replan.visited")}</span></li>`;
    const old = before.get(s.account_id);
    const what = !old ? t("replan.added") : old.position !== s.position ? t("replan.moved") : "";
    return html`<li>${hhmm(s.planned_arrival)} ${i + 1}. ${name(s.account_id)} ${what ? html`<span class="tag">${what}</span>` : ""}</li>`;
  });
  const gone = current.filter((s) => !after.has(s.account_id))
    .map((s) => html`<li class="muted">${name(s.account_id)} <span class="tag warn">${t("replan.left_out")}</span></li>`);
  return [...rows, ...gone];
}

/** What the planner says beside the stops: when lunch is, or why it is skipped; why a day is empty. */
function planNotes(plan) {
  const notes = [];
  if (!plan.stops.length && plan.empty_reason) notes.push(t(`replan.empty.${plan.empty_reason}`));
  if (plan.lunch?.status === "planned") notes.push(t("replan.lunch", { time: hhmm(plan.lunch.start) }));
  if (plan.lunch?.status === "skipped") notes.push(t(`replan.lunch_skipped.${plan.lunch.reason}`));
  return notes.map((note) => html`<p class="muted" data-note>${note}</p>`);
}

/** Why a planned day has no stop: a territory with no account yet (a new rep: add a prospect, or the manager
 *  hands accounts over), else what the planner said (`reasons`: its words speak of today). */
export function emptyDay(plan, accounts, { reasons = true } = {}) {
  if (!plan || plan.stops?.length) return "";
  if (!accounts.size) {
    return html`<p class="card" id="plan-empty" data-why="no_accounts">${t("today.no_accounts")}
      <a href="#/account/new">${t("accounts.new")}</a></p>`;
  }
  return reasons && plan.empty_reason
    ? html`<p class="card" id="plan-empty" data-why="${plan.empty_reason}">${t(`replan.empty.${plan.empty_reason}`)}</p>` : "";
}

/** Once today's working day has ended: it says so, and leads to tomorrow (what is left of today is neither
 *  re-planned nor re-ordered: the server refuses both). */
function dayOverCard() {
  return html`<section class="card" id="day-over"><p>${t("today.day_over", { time: dayEnd() })}</p>
    <a class="button" id="to-tomorrow" href="#/tomorrow">${t("today.to_tomorrow")}</a></section>`;
}

/** The visit checked in and not yet out: where, and one big button back into it. */
function openVisitCard(open, accounts) {
  return html`<section class="card next-up" id="next-up"><p id="open-visit">${t("today.open_visit",
    { name: accounts.get(open.account_id)?.name ?? "" })}</p>
    <a class="button big" href="#/visit/${open.id}">${t("today.continue_visit")}</a></section>`;
}

/** When the rep leaves for the next stop (`leave`: dayedit.js `departure`): by the plan's time while it is ahead;
 *  once it has passed, now (or when the open visit's time is up) and when that arrives, never a time gone by.
 *  `headed`: under a card's own "Next" heading, said without "Next:" again. */
export function leaveText(leave, headed = false) {
  const [by, now, late] = headed ? ["today.go_by", "today.go_now", "today.go_late"]
    : ["today.state_next", "today.state_next_now", "today.state_next_late"];
  return !leave.late ? t(by, { time: hhmm(leave.at) })
    : leave.now ? t(now, { time: hhmm(leave.arrive) })
    : t(late, { time: hhmm(leave.at), arrive: hhmm(leave.arrive) });
}

/** The next-stop card's line: when to leave, and the arrival the plan has (said as the plan's once it is late). */
function nextLine(leave) {
  return html`<span class="unit">${leaveText(leave, true)}</span> · <span class="unit">${t(leave.late ? "today.arrive_planned"
    : "today.arrive", { time: hhmm(leave.planned) })}</span>`;
}

/** The day's line above the count: when to leave ("now" once the plan's time has passed). */
function dayLeave(leave) {
  return leave.now ? t("today.leave_now") : t("today.leave", { time: hhmm(leave.at) });
}

/** What comes next, first on the screen: the open visit, or the next stop with its leave-by time and one big
 *  Visit button (and Navigate); nothing once the day is done. */
function nextUp(where, stops, accounts, open, nav, visitedToday) {
  if (open) return openVisitCard(open, accounts);
  const stop = stops[where.nextIndex];
  if (!stop) return "";
  const account = accounts.get(stop.account_id) ?? { name: "?" };
  const visited = visitedToday.get(stop.account_id);
  return html`<section class="card next-up" id="next-up" data-account="${stop.account_id}">
    <p class="muted">${t("today.next_up")}</p>
    <p><strong>${where.nextIndex + 1}. ${account.name}</strong><br>
      <span id="next-leave">${nextLine(where.leave)}</span></p>
    <div class="row"><a class="button big" id="next-visit" href="${visited ? `#/visit/${visited}` : `#/visit/new?account=${stop.account_id}`}">${t("today.visit")}</a>
      ${navButton(account, nav)}</div></section>`;
}

function delayWords(delay) {
  return delay > 0 ? t("today.behind", { time: duration(delay) }) : delay < 0 ? t("today.ahead", { time: duration(-delay) })
    : t("today.on_time");
}

/** What of the screen the clock alone changes: each stop's state, the next stop, whether the day is over. */
function timeKey(where, over) {
  return JSON.stringify([where.states.map((s) => s.state), where.nextIndex, over]);
}

let ticking = null; // the one timer of the Today screen drawn last

/** Time moves the day on while the screen stays open: each minute the day is worked out again from what was
 *  drawn. The delay is written in place; a change of a stop's state, the next stop or the day's end draws the
 *  screen again, unless the rep is busy on it (typing, a menu open, a re-plan shown), then at the next minute. */
function tick(main, drawn, again) {
  clearInterval(ticking);
  ticking = setInterval(() => {
    if (main.todayDrawn !== drawn || !main.isConnected) {
      clearInterval(ticking);
      return;
    }
    const now = new Date();
    const over = dayIsOver(now);
    const where = drawn.where(now, over);
    if (timeKey(where, over) !== drawn.key) {
      if (!main.contains(document.activeElement) && !main.querySelector(".busy, details.more[open]")) again();
      return;
    }
    // Once the leave-by time has passed, "leave now" and its arrival move on with the clock.
    if (where.leave) {
      const line = main.querySelector("#next-leave");
      if (line) line.innerHTML = nextLine(where.leave);
      main.querySelector("#route [data-leave]")?.replaceChildren(leaveText(where.leave));
      main.querySelector("#day-leave-at")?.replaceChildren(dayLeave(where.leave));
    }
    const delay = main.querySelector("#day-delay");
    if (delay && where.delay !== null) {
      delay.textContent = delayWords(where.delay);
      delay.classList.toggle("late", where.delay > 10);
    }
  }, MINUTE);
}

/** "Your plan for <day> was changed by <name> at <time>", until the rep dismisses it. */
export async function planNotices(main) {
  const notices = await getMeta("plan_notices", []);
  if (!notices.length) return "";
  main.addEventListener("click", async (event) => { // the screen's own element: the listener goes with it
    if (event.target.id !== "dismiss-plan-notices") return;
    await setMeta("plan_notices", []);
    main.querySelector("#plan-notices")?.remove();
  });
  return html`<div class="card banner" id="plan-notices">${notices.map((n) => html`<p>${t("today.plan_changed",
    { day: shortDate(`${n.plan_date}T12:00:00`), name: n.name ?? "", time: hhmm(n.at) })}</p>`)}
    <button type="button" class="secondary" id="dismiss-plan-notices">${t("sync.dismiss")}</button></div>`;
}

/** What the rep set out to do this week (the act of last week's review), from the phone's copy. */
async function weekFocus(today, accounts) {
  const lastMonday = mondayOf(addDays(new Date(`${mondayOf(today)}T12:00:00`), -7));
  const [review] = await byIndex("weekly_reviews", "week", lastMonday);
  if (!review?.focus?.length) return "";
  return html`<section class="card" id="week-focus"><h2>${t("week.this_focus")}</h2><ul>${review.focus.map((p) =>
    html`<li>${p.text}${p.account_id && accounts.get(p.account_id)
      ? html` · <a href="#/account/${p.account_id}">${accounts.get(p.account_id).name}</a>` : ""}</li>`)}</ul></section>`;
}

export async function render(main, { user }) {
  const now = new Date();
  const today = localDate(now);
  const over = dayIsOver(now);
  const notices = await planNotices(main);
  const plan = await planOn(today);
  const accounts = new Map((await all("accounts")).map((a) => [a.id, a]));
  const visits = (await all("visits")).filter((v) => v.check_in_at && !v.cancelled_at);
  // "Visit" on a stop already visited today opens that visit rather than starting a second one.
  const todays = visits.filter((v) => localDate(new Date(v.check_in_at)) === today);
  const visitedToday = new Map(todays.map((v) => [v.account_id, v.id]));
  const open = visits.find((v) => !v.check_out_at);
  const focus = await weekFocus(today, accounts);
  const openCard = html`${open ? openVisitCard(open, accounts) : ""}${focus ?? ""}`;
  if (!plan || !plan.stops?.length) {
    // Before this phone's first sync has finished, "no route" would be a guess: the day may be on its way.
    const first = !plan && (await getMeta("last_sync", null)) === null;
    main.innerHTML = html`<h1>${t("today.title", { date: shortDate(today) })}</h1>${notices}${openCard}
      ${emptyDay(plan, accounts) || html`<p class="card" id="today-none" data-first-sync="${first}">${t(first ? "today.first_sync" : "today.none")}</p>`}
      ${over ? dayOverCard() : html`<button id="plan-today" type="button">${t("today.plan")}</button>
      <p id="plan-error" class="error-text" role="alert"></p>`}`;
    // Left open, the screen turns to the day's end when it comes.
    const drawn = { key: timeKey(dayNow([], [], now, { over }), over), where: (at, overAt) => dayNow([], [], at, { over: overAt }) };
    main.todayDrawn = drawn;
    tick(main, drawn, () => render(main, { user }));
    main.querySelector("#plan-today")?.addEventListener("click", async (event) => {
      const error = main.querySelector("#plan-error");
      if (!online()) {
        error.textContent = t("today.offline_plan");
        return;
      }
      event.target.disabled = true;
      event.target.textContent = t("today.planning");
      try {
        // Later than the first appointment: plan from here and now, not from 08:45 at home.
        const start = dayHasBegun(user) ? await restStart() : null;
        await planAndKeep({ date: today, ...(start ? { start } : {}) });
        render(main, { user });
      } catch (e) {
        error.textContent = describe(e);
        event.target.disabled = false;
        event.target.textContent = t("today.plan");
      }
    });
    return;
  }
  const stops = plan.stops.slice().sort((a, b) => a.position - b.position);
  const ctx = dayContext(plan, { user, accounts, visits, appointments: await all("appointments") });
  const theirs = heldStop(accounts);
  const where = dayNow(stops, todays, now, { over, theirs });
  const count = (state) => where.states.filter((s) => s.state === state).length;
  const nav = await navContext();
  const items = stops.map((stop, i) => {
    const account = accounts.get(stop.account_id) ?? { name: "?", address: "" };
    const done = visitedToday.has(stop.account_id);
    const { state, visit } = where.states[i];
    const mark = state === "not_met" ? html`<span class="tag warn" title="${t("visit.not_met_tag")}">✗</span>`
      : done ? html`<span class="tag">✓</span>` : "";
    const status = state === "done" ? t("today.state_done", { from: hhmm(visit.check_in_at), to: hhmm(visit.check_out_at) })
      : state === "not_met" ? t("today.state_not_met", { from: hhmm(visit.check_in_at), to: hhmm(visit.check_out_at) })
      : state === "current" ? t("today.state_current", { from: hhmm(visit.check_in_at) })
      : state === "next" ? leaveText(where.leave)
      : state === "past" ? t("today.state_past") : "";
    const reasons = reasonLabels(stop.reason).concat(stop.pinned && stop.reason !== "appointment" ? [t("reason.pinned")] : []);
    const late = lateMinutes(stop, ctx);
    const editable = !over && !["done", "not_met", "current"].includes(state);
    // Two actions on the card (Visit, Navigate); the day's edits behind one "More".
    return html`
      <li class="leg">${t("today.travel", { min: stop.travel_minutes })}</li>
      <li class="card stop ${state}" data-stop="${i + 1}" data-state="${state}" data-account="${stop.account_id}">
        <div class="time">${hhmm(stop.planned_arrival)}</div>
        <div>
          <div><strong>${i + 1}. ${account.name}</strong> ${mark}</div>
          ${status ? html`<div class="state"><span class="tag ${state === "past" || state === "not_met" ? "warn" : ""}" ${state === "next" ? html`data-leave` : ""}>${status}</span></div>` : ""}
          <div class="muted">${account.address}</div>
          <div>${reasons.map((r) => html`<span class="tag">${r}</span>`)}
            ${late > 0 ? html`<span class="tag bad late-fixed">${t("today.late_fixed", { time: duration(late) })}</span>` : ""}</div>
          <div class="row" style="margin-top:6px">
            <a class="button" href="${done ? `#/visit/${visitedToday.get(stop.account_id)}` : `#/visit/new?account=${stop.account_id}`}">${t("today.visit")}</a>
            ${navButton(account, nav)}
          </div>
          ${editable ? html`<details class="more"><summary>${t("today.more")}</summary><div class="row stop-edit">
            <button type="button" class="secondary" data-move="-1" data-index="${i}" aria-label="${t("today.move_up", { name: account.name })}" ${i === 0 ? html`disabled` : ""}>↑</button>
            <button type="button" class="secondary" data-move="1" data-index="${i}" aria-label="${t("today.move_down", { name: account.name })}" ${i === stops.length - 1 ? html`disabled` : ""}>↓</button>
            ${stop.appointment_id ? "" : html`<button type="button" class="secondary" data-drop="${i}">${t("today.leave_out")}</button>`}
          </div></details>` : ""}
        </div>
      </li>`;
  });
  const leftOut = (plan.dropped ?? []).filter((d) => d.reason === LEFT_OUT_BY_REP && accounts.has(d.id));
  const mapFolded = await getMeta("today_map_folded", false);
  main.innerHTML = html`
    <h1>${t("today.title", { date: shortDate(today) })}</h1>${notices}
    ${nextUp(where, stops, accounts, open, nav, visitedToday)}${focus ?? ""}
    <p class="muted" id="day-leave">${where.leave && where.nextIndex !== -1 && !open ? html`<span id="day-leave-at">${dayLeave(where.leave)}</span> · ` : ""}${
      t("today.total_travel", { min: Math.round(plan.total_travel_s / 60) })}</p>
    <p id="day-count">${t("today.count", { done: count("done"), planned: stops.length })}${
      count("not_met") ? html` · <span class="tag warn">${t("today.count_not_met", { n: count("not_met") })}</span>` : ""}</p>
    ${where.delay !== null ? html`<p id="day-delay" class="card ${where.delay > 10 ? "late" : ""}" aria-live="polite">${delayWords(where.delay)}</p>`
      : over && count("past") ? dayOverCard()
      : where.nextIndex === -1 && todays.length ? html`<p id="day-delay" class="card">${count("not_met")
        ? t("today.none_left", { done: count("done"), not_met: count("not_met") }) : t("today.all_done")}</p>` : ""}
    <details id="map-fold" ${mapFolded ? "" : html`open`}><summary>${t("today.map_fold")}</summary>
      <div id="today-map" class="map" role="img" aria-label="${t("today.map")}"></div></details>
    <div class="row"><a class="button secondary" href="#/nearby">${t("nearby.title")}</a>
      ${over ? "" : html`<button type="button" class="secondary" id="replan-rest">${t("replan.button")}</button>`}</div>
    <div id="replan" aria-live="polite"></div>
    ${plan.edited_here ? html`<p class="muted" id="day-edited">${t("today.edited_here")}</p>` : ""}
    <ol class="list" id="route">${items}</ol>
    ${leftOut.length ? html`<h2>${t("today.left_out")}</h2><ul class="list" id="left-out">${leftOut.map((d) =>
      html`<li class="card muted" data-account="${d.id}">${accounts.get(d.id).name}
        <span class="tag warn">${t("drop.left_out_by_rep")}</span></li>`)}</ul>` : ""}`;
  const drawn = { key: timeKey(where, over), where: (at, overAt) => dayNow(stops, todays, at, { over: overAt, theirs }) };
  main.todayDrawn = drawn;
  tick(main, drawn, () => render(main, { user }));
  let map = null; // drawn below, once Leaflet has loaded
  const fold = main.querySelector("#map-fold");
  fold.addEventListener("toggle", () => {
    setMeta("today_map_folded", !fold.open); // kept on the phone: the map stays as the rep left it
    if (fold.open && map) {
      map.map.invalidateSize();
      map.fitDay();
    }
  });
  if (main.querySelector("#next-up")) wireNavLinks(main.querySelector("#next-up"));
  wireNavLinks(main.querySelector("#route"));
  main.querySelector("#route").addEventListener("click", async (event) => {
    // Offline changes to today: timed here at once, synced, timed again by the server.
    const button = event.target.closest("button[data-move], button[data-drop]");
    if (!button) return;
    button.disabled = true;
    const order = button.dataset.drop !== undefined ? dropped(plan, Number(button.dataset.drop))
      : moved(plan, Number(button.dataset.index), Number(button.dataset.move));
    await saveOrder(plan, order, ctx);
    render(main, { user });
  });
  main.querySelector("#replan-rest")?.addEventListener("click", async (event) => {
    const box = main.querySelector("#replan");
    if (!online()) {
      box.innerHTML = html`<p class="card">${t("today.offline_plan")}</p>`;
      return;
    }
    event.target.disabled = true;
    box.classList.add("busy"); // no redraw under the rep's answer
    // The phone's own changes to today reach the server first: it re-plans with them.
    if ((await outbox()).some((m) => m.entity === "route_plan")) await syncNow();
    const start = await restStart();
    const body = { date: today, ...(start ? { start } : {}) };
    // The plan accepted is the one shown: the server stores it as previewed, or refuses it (409 preview_stale)
    // when the day changed since, and the phone shows the new preview instead.
    // Done with the preview (kept the old plan, or it failed): the box emptied or saying why, Re-plan again.
    const close = (message = "") => {
      box.innerHTML = message ? html`<p class="error-text">${message}</p>` : "";
      box.classList.remove("busy");
      event.target.disabled = false;
    };
    const preview = async (note = "") => {
      try {
        const proposed = await previewPlan(body);
        box.innerHTML = html`<div class="card" id="replan-preview">${note ? html`<p class="error-text" id="replan-stale" role="status">${note}</p>` : ""}
          <strong>${t("replan.proposed")}</strong>
          <ol class="list">${changes(stops, proposed.stops, accounts, new Map(todays.map((v) => [v.account_id, v.check_in_at])))}</ol>${planNotes(proposed)}
          <div class="row"><button type="button" id="replan-accept">${t("replan.accept")}</button>
            <button type="button" class="secondary" id="replan-keep">${t("replan.keep")}</button></div></div>`;
        box.querySelector("#replan-keep").addEventListener("click", () => close());
        box.querySelector("#replan-accept").addEventListener("click", async (click) => {
          click.target.disabled = true;
          try {
            await planAndKeep({ ...body, accept: proposed.preview_token });
          } catch (e) {
            // The day changed since (and only that): its new preview instead.
            if (e.code === "preview_stale") return preview(t("error.code.preview_stale"));
            return close(describe(e));
          }
          render(main, { user });
        });
      } catch (e) {
        close(describe(e));
      }
    };
    await preview();
  });
  // The map's modules (and Leaflet) load once the day is drawn, laid out and the phone idle: never on the way to
  // it, and the screen does not wait for them (a screen drawn again meanwhile draws its own map).
  idle(MAP_WAIT_MS).then(async () => {
    if (!main.isConnected) return;
    const { drawRoute, showHere } = await import("../map.js");
    map = await drawRoute(main.querySelector("#today-map"), planStart(plan, user), stops.map((stop, i) => {
      const account = accounts.get(stop.account_id);
      return account?.latitude != null ? { lat: account.latitude, lng: account.longitude, label: `${i + 1}`,
                                           name: `${i + 1}. ${account.name}` } : null;
    }).filter(Boolean));
    showHere(map);
  });
}
