// A visit: purpose first (the method requires it), check in with GPS when granted, record, check out.
import { all, byIndex, get, getMeta, uuid, writeLocal } from "../db.js";
import { t } from "../i18n.js";
import { teamSettings } from "../settings.js";
import { HHMM, atTime, distanceText, fixProblem, freshFix, hhmm, html, localDate, metresBetween, presetChips, stageLabel } from "../ui.js";
import { nextStop, running, visitEnded, visitStarted } from "../dayclock.js";
import { leaveText } from "./today.js";
import { navButton, navContext, wireNavLinks } from "../navlinks.js";
import { manUnknown, moveNeeds, stages } from "./opportunity.js";
import { addPhoto, photosOf } from "../photos.js";
import { on } from "../state.js";
import { syncNow } from "../sync.js";
import { may, ownsVisit } from "../may.js";

function personName(person) {
  return person ? person.display_name || person.username || "" : "";
}

// "Manager" in either of the app's languages: a name is written in either, whatever the phone speaks.
const SAYS_MANAGER = /经理|manager/i;

/** An opportunity to link the visit to, with its stage in words as everywhere else ("P 有意向客户", not "(P)"). */
const opportunityOption = (o) => `${o.title} · ${stageLabel(o.stage)}`;

/** The box a rep ticks when their manager went along: named, and called the manager once (a name such as
 *  "陈经理" or "Manager Chen" says it already). */
export function accompaniedLabel(manager) {
  const name = personName(manager);
  return t(SAYS_MANAGER.test(name) ? "visit.accompanied_named" : "visit.accompanied", { name });
}

/** Who went along, in words, on this user's phone: themselves, the rep's manager by name, or a manager. */
function jointText(visit, user) {
  if (!visit.accompanied_by) return "";
  if (visit.accompanied_by === user?.id) return t("visit.joint_you");
  const name = visit.accompanied_by === user?.manager?.id ? personName(user.manager) : t("team.manager");
  return t("visit.joint_with", { name });
}


/** The rep's visit still open (checked in, not out, not cancelled), if any: one at a time. */
export async function openVisit() {
  return (await all("visits")).find((v) => v.check_in_at && !v.check_out_at && !v.cancelled_at) ?? null;
}

/** Metres between the check-in and the account's position, or null when either is unknown. */
export function checkInDistance(visit, account) {
  if (visit.check_in_lat == null || account?.latitude == null) return null;
  return metresBetween(visit.check_in_lat, visit.check_in_lng, account.latitude, account.longitude);
}

function gpsText(lat, accuracy) {
  return lat == null ? t("visit.no_gps") : t("visit.gps", { m: Math.round(accuracy ?? 0) });
}

export async function renderNew(main, { query, navigate, user = null }) {
  if (!may(user, "record_visit")) { // a manager goes along: the rep's visit names them
    main.innerHTML = html`<p class="card" id="not-offered">${t("visit.not_offered")}</p>`;
    return;
  }
  const account = await get("accounts", query.get("account"));
  if (!account) {
    main.innerHTML = html`<p class="card">${t("account.missing")}</p>`;
    return;
  }
  const opportunities = (await byIndex("opportunities", "account_id", account.id)).filter((o) => o.status === "open");
  const open = await openVisit();
  if (open) {
    const where = (await get("accounts", open.account_id))?.name ?? "";
    main.innerHTML = html`<h1>${t("visit.title", { name: account.name })}</h1>
      <div class="card" id="still-open"><p>${t("visit.still_open", { name: where, time: hhmm(open.check_in_at) })}</p>
        <a class="button" href="#/visit/${open.id}">${t("visit.open_it")}</a></div>`;
    return;
  }
  const today = new Date().toDateString();
  const earlier = (await byIndex("visits", "account_id", account.id))
    .find((v) => v.check_in_at && !v.cancelled_at && new Date(v.check_in_at).toDateString() === today);
  main.innerHTML = html`
    <h1>${t("visit.title", { name: account.name })}</h1>
    <form id="visit-start" class="card" novalidate>
      <label for="purpose">${t("visit.purpose")}</label>
      <input id="purpose" name="purpose" required maxlength="500" aria-describedby="purpose-hint">${presetChips("visit_purpose", "purpose")}
      <p id="purpose-hint" class="muted">${t("visit.purpose_needed")}</p>
      <label for="opportunity">${t("visit.opportunity")}</label>
      <select id="opportunity" name="opportunity">
        <option value="">${t("visit.no_opportunity")}</option>
        ${opportunities.map((o) => html`<option value="${o.id}">${opportunityOption(o)}</option>`)}
      </select>
      ${user?.manager ? html`<label class="check"><input type="checkbox" id="accompanied" name="accompanied">${
        accompaniedLabel(user.manager)}</label>` : ""}
      <p id="check-in-status" class="muted" role="status" aria-live="polite"></p>
      <button id="check-in" type="submit" disabled>${t("visit.check_in")}</button>
    </form>
    ${earlier ? html`<p class="card">${t("visit.already_today", { time: hhmm(earlier.check_in_at) })}
      <a href="#/visit/${earlier.id}">${t("visit.open_it")}</a></p>` : ""}`;
  const form = main.querySelector("#visit-start");
  const button = main.querySelector("#check-in");
  form.purpose.addEventListener("input", () => { button.disabled = !form.purpose.value.trim(); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const purpose = form.purpose.value.trim();
    if (!purpose) return;
    button.disabled = true;
    const at = new Date().toISOString();
    main.querySelector("#check-in-status").textContent = t("fix.locating");
    const gps = await freshFix(); // a fresh fix: never the position of the last customer
    const id = uuid();
    try {
      await visitStarted(at); // the day clock runs face-to-face through the visit
      await writeLocal("visit", "create", id, {
        account_id: account.id, purpose, opportunity_id: form.opportunity.value || null, check_in_at: at,
        check_in_lat: gps.lat, check_in_lng: gps.lng, check_in_accuracy_m: gps.accuracy,
        outcome: "", notes: "", next_step: "",
        ...(form.accompanied?.checked ? { accompanied_by: user.manager.id } : {}),
      }, { local: { check_in_fix: gps.problem } }); // why a fix is missing: said on this phone, not sent
    } catch {
      button.disabled = false; // the phone refused the write (storage full; the banner says so): retry later
      return;
    }
    navigate(`#/visit/${id}`, { replace: true });
  });
}

export async function render(main, { id, user = null }) {
  const visit = await get("visits", id);
  if (!visit) {
    main.innerHTML = html`<p class="card">${t("visit.unknown")}</p>`;
    return;
  }
  // The visit is its rep's: only they change it. Anyone else who sees it (their manager) reads it.
  const mine = ownsVisit(user, visit);
  const joint = jointText(visit, user);
  const account = (await get("accounts", visit.account_id)) ?? { name: "?" };
  const opportunity = visit.opportunity_id ? await get("opportunities", visit.opportunity_id) : null;
  const open = !visit.check_out_at && !visit.cancelled_at;
  const distance = checkInDistance(visit, account);
  const radius = teamSettings()?.checkin_radius_m; // the team's, from the server
  const cameraOnly = teamSettings()?.photo_camera_only === true; // the team's: no album, the camera only
  const away = distance !== null && radius != null && distance > radius;
  // A poor or missing fix is said, so a flag (or its absence) is read for what it is worth.
  const fixes = [
    visit.check_in_at ? fixProblem("in", visit.check_in_lat, visit.check_in_accuracy_m, visit.check_in_fix) : "",
    visit.check_out_at ? fixProblem("out", visit.check_out_lat, visit.check_out_accuracy_m, visit.check_out_fix) : "",
  ].filter(Boolean);
  const allOpportunities = await byIndex("opportunities", "account_id", visit.account_id);
  // Any open opportunity may be linked, and a wrong link corrected; the linked one stays listed whatever its status.
  const linkable = allOpportunities.filter((o) => o.status === "open" || o.id === visit.opportunity_id);
  const visits = (await byIndex("visits", "account_id", visit.account_id)).filter((v) => v.check_in_at && !v.cancelled_at);
  // Just checked out of the day's latest visit: what comes next (the next stop, the travel clock running).
  const todays = (await all("visits")).filter((v) => v.check_in_at && !v.cancelled_at
    && new Date(v.check_in_at).toDateString() === new Date().toDateString());
  const latest = mine && todays.every((v) => v.check_out_at)
    ? todays.sort((a, b) => a.check_out_at.localeCompare(b.check_out_at)).pop() : null;
  const after = latest?.id === visit.id ? await nextStop() : null;
  const afterAccount = after ? await get("accounts", after.stop.account_id) : null;
  const clock = latest?.id === visit.id ? await running() : null;
  const nav = after ? await navContext() : null;
  // The visit's own day (as the phone counts days): its next step may not be due before it.
  const visitDay = visit.check_in_at || visit.planned_start ? localDate(new Date(visit.check_in_at || visit.planned_start)) : null;
  const undecided = visits.length >= 3 && !allOpportunities.some((o) => o.status !== "open" || ["A", "D", "C", "O"].includes(o.stage));
  main.innerHTML = html`
    <h1>${t("visit.title", { name: account.name })}</h1>
    ${visit.cancelled_at ? html`<p class="card"><span class="tag bad">${t("visit.cancelled")}</span> ${visit.cancel_reason}</p>` : ""}
    ${visit.met === false ? html`<p><span class="tag warn">${t("visit.not_met_tag")}</span></p>` : ""}
    ${fixes.length ? html`<div class="card" id="fix-warning" role="status">${fixes.map((f) => html`<p>${f}</p>`)}</div>` : ""}
    ${after && afterAccount ? html`<section class="card next-up" id="next-stop">
      <p><strong>${t("visit.next_stop", { name: `${after.number}. ${afterAccount.name}` })}</strong><br>
        ${leaveText(after.leave, true)}</p>
      ${clock?.category === "travel" ? html`<p class="muted" id="travel-clock">${t("visit.travel_started", { time: hhmm(clock.started_at) })}</p>` : ""}
      <div class="row"><a class="button big" href="#/visit/new?account=${afterAccount.id}">${t("today.visit")}</a>
        ${navButton(afterAccount, nav)}</div></section>`
      : latest?.id !== visit.id || visit.cancelled_at ? ""
      // No stop planned next but the travel clock runs (a day with nothing planned): not the day's last stop.
      : clock?.category === "travel" ? html`<p class="card muted" id="travel-clock">${t("visit.travel_started", { time: hhmm(clock.started_at) })}</p>`
      : html`<p class="card" id="day-done">${t("visit.day_done")}</p>`}
    ${visit.met === false && !visit.cancelled_at && mine ? html`<p class="card" id="not-met-next">${t("visit.not_met_next")}
      <a class="button" href="#/nearby">${t("nearby.title")}</a></p>` : ""}
    ${away ? html`<p><span class="tag warn" id="away-flag">${t("visit.away", { distance: distanceText(distance) })}</span></p>` : ""}
    ${joint ? html`<p class="card" id="joint-line"><span class="tag joint">${t("visit.joint_tag")}</span> ${joint}</p>` : ""}
    ${mine && account.id && account.latitude == null && visit.check_in_lat != null ? html`<p class="card" id="no-position">${t("visit.no_account_position")}
      <button type="button" class="secondary" id="take-position">${t("visit.take_position")}</button></p>` : ""}
    <p class="card"><strong>${visit.purpose}</strong><br>
      ${visit.check_in_at ? t("visit.checked_in", { time: hhmm(visit.check_in_at) }) : ""}
      · ${gpsText(visit.check_in_lat, visit.check_in_accuracy_m)}
      ${visit.check_out_at ? html`<br>${t("visit.checked_out", { time: hhmm(visit.check_out_at) })}` : ""}</p>
    ${mine ? "" : html`<div class="card" id="visit-read">
      ${[["visit.notes", visit.notes], ["visit.outcome", visit.outcome], ["visit.next_step", visit.next_step],
        ["visit.next_step_due", visit.next_step_due]]
        .filter(([, text]) => text).map(([key, text]) => html`<p><strong>${t(key)}</strong><br>${text}</p>`)}
      <p class="muted">${t("visit.rep_only")}</p>
      ${may(user, "join_visit") && user?.may && !visit.cancelled_at && !visit.accompanied_by
        ? html`<button type="button" id="join-visit">${t("visit.join")}</button>` : ""}
      ${may(user, "join_visit") && user?.may && visit.accompanied_by === user?.id
        ? html`<button type="button" class="secondary" id="leave-visit">${t("visit.leave")}</button>` : ""}</div>`}
    ${visit.check_in_at ? html`<section class="card" id="photos" aria-labelledby="photos-title">
      <h2 id="photos-title">${t("photo.title")}</h2>
      ${visit.cancelled_at || !mine ? "" : html`<label for="photo-caption">${t("photo.caption")}</label>
        <input id="photo-caption" maxlength="500">
        <div class="row"><label class="button" id="take-photo" for="photo-input">${t("photo.take")}</label>
          ${cameraOnly ? "" : html`<label class="button secondary" id="pick-photo" for="photo-album">${t("photo.album")}</label>`}</div>
        <input id="photo-input" type="file" accept="image/*" capture="environment" hidden>
        ${cameraOnly ? "" : html`<input id="photo-album" type="file" accept="image/*" multiple hidden>`}`}
      <p id="photo-status" class="muted" role="status" aria-live="polite"></p>
      <ul id="photo-list" class="photo-list large"></ul></section>` : ""}
    ${mine && visit.check_in_at && !visit.cancelled_at && !open ? html`<details class="card" id="correct-times">
      <summary>${t("visit.correct_times")}</summary>
      <form id="times-form" novalidate>
        <label for="check-in-time">${t("visit.check_in_time")}</label>
        <input id="check-in-time" name="check_in" type="text" inputmode="numeric" pattern="${HHMM}" placeholder="HH:MM"
          maxlength="5" required value="${hhmm(visit.check_in_at)}">
        <label for="check-out-time">${t("visit.check_out_time")}</label>
        <input id="check-out-time" name="check_out" type="text" inputmode="numeric" pattern="${HHMM}" placeholder="HH:MM"
          maxlength="5" required value="${hhmm(visit.check_out_at)}">
        <p id="times-error" class="error-text" role="alert"></p>
        <button type="submit" class="secondary">${t("visit.save_times")}</button>
      </form></details>` : ""}
    ${mine ? html`<form id="visit-form" class="card" novalidate>
      <label for="purpose-edit">${t("visit.purpose_edit")}</label>
      <input id="purpose-edit" name="purpose" required maxlength="500" value="${visit.purpose ?? ""}">${presetChips("visit_purpose", "purpose-edit")}
      <label class="check"><input type="checkbox" name="not_met" ${visit.met === false ? html`checked` : ""}>${t("visit.not_met")}</label>
      ${user?.manager || visit.accompanied_by ? html`<label class="check"><input type="checkbox" id="accompanied" name="accompanied"
        ${visit.accompanied_by ? html`checked` : ""}>${user?.manager ? accompaniedLabel(user.manager)
          : t("visit.accompanied_generic")}</label>` : ""}
      ${linkable.length ? html`<label for="link-opportunity">${t("visit.opportunity")}</label>
        <select id="link-opportunity" name="link_opportunity"><option value="">${t("visit.no_opportunity")}</option>
          ${linkable.map((o) => html`<option value="${o.id}" ${o.id === visit.opportunity_id ? html`selected` : ""}>${opportunityOption(o)}</option>`)}</select>` : ""}
      <label for="notes">${t("visit.notes")}</label>
      <textarea id="notes" name="notes" maxlength="20000">${visit.notes ?? ""}</textarea>
      <label for="outcome">${t("visit.outcome")}</label>
      <textarea id="outcome" name="outcome" maxlength="5000">${visit.outcome ?? ""}</textarea>${presetChips("visit_outcome", "outcome")}
      <div class="row next-step">
        <div><label for="next_step">${t("visit.next_step")}</label>
          <input id="next_step" name="next_step" maxlength="2000" value="${visit.next_step ?? ""}"></div>
        <div><label for="next_step_due">${t("visit.next_step_due")}</label>
          <input id="next_step_due" name="next_step_due" type="date" min="${visitDay ?? ""}" value="${visit.next_step_due ?? ""}"
            aria-describedby="next-step-due-error"></div>
      </div>
      <p id="next-step-due-error" class="error-text" role="alert"></p>
      ${opportunity ? html`
        <fieldset><legend>${opportunity.title}</legend>
          <label for="stage">${t("visit.stage")}</label>
          <select id="stage" name="stage">${stages().map((s) => html`<option value="${s}" ${s === opportunity.stage ? html`selected` : ""}>${stageLabel(s)}</option>`)}</select>
          <p><strong>${t("visit.man")}</strong></p>
          ${["money", "authority", "need"].map((k) => html`<label class="check"><input type="checkbox" name="man_${k}" ${opportunity[`man_${k}`] ? html`checked` : ""}>${t(`visit.man_${k}`)}</label>`)}
          <div id="visit-back-reason" hidden><label for="stage-why">${t("opportunity.why_back")}</label>
            <input id="stage-why" name="stage_why" maxlength="500"></div>
          <p id="stage-note" class="muted" role="status" aria-live="polite"></p>
        </fieldset>` : ""}
      ${undecided ? html`<p><span class="tag warn">${t("account.judge_in_3")}</span></p>` : ""}
      <p><a class="button secondary" id="book-follow-up" href="#/appointment/new?account=${visit.account_id}&purpose=${encodeURIComponent(visit.next_step || visit.purpose || "")}">${t("visit.book_follow_up")}</a></p>
      <p id="visit-saved" class="muted" aria-live="polite"></p>
      <div class="row">
        <button id="save-visit" type="submit" class="secondary">${t("visit.save")}</button>
        ${open ? html`<button id="check-out" type="button">${t("visit.check_out")}</button>` : ""}
      </div>
    </form>
    ${visit.cancelled_at ? "" : html`<form id="cancel-visit" class="card" novalidate>
      <label for="cancel-reason">${t("visit.cancel_reason")}</label>
      <input id="cancel-reason" name="reason" maxlength="500">
      <p id="cancel-error" class="error-text" role="alert"></p>
      <button type="submit" class="secondary">${t("visit.cancel")}</button></form>`}` : ""}`;
  if (main.querySelector("#next-stop")) wireNavLinks(main.querySelector("#next-stop"));
  // A manager of the rep's team says they went along (a joint visit), or takes it back: the only change theirs.
  for (const [button, along] of [["#join-visit", user?.id], ["#leave-visit", null]]) {
    main.querySelector(button)?.addEventListener("click", async () => {
      await writeLocal("visit", "update", id, { accompanied_by: along });
      await render(main, { id, user });
    });
  }
  if (visit.check_in_at) await wirePhotos(main, visit, account);
  const form = main.querySelector("#visit-form");
  if (!form) return; // read only: the visit is another's
  let confirmedStage = null;
  /** The method's stage rules, as on the opportunity screen: true when the move may be saved. */
  const stageAllowed = async () => {
    if (!opportunity) return true;
    const current = await get("opportunities", opportunity.id);
    const to = form.stage.value;
    if (to === current.stage) return true;
    const asked = { ...current, ...Object.fromEntries(["money", "authority", "need"].map((k) => [`man_${k}`, form[`man_${k}`].checked])) };
    const needs = moveNeeds(asked, to);
    const note = main.querySelector("#stage-note");
    if (needs === "back" && !form.stage_why.value.trim()) {
      main.querySelector("#visit-back-reason").hidden = false;
      note.textContent = t("opportunity.why_back_needed");
      return false;
    }
    if ((needs === "jump" || needs === "man") && confirmedStage !== to) {
      confirmedStage = to;
      note.textContent = needs === "jump" ? t("opportunity.confirm_jump", { from: current.stage, to })
        : t("opportunity.confirm_man", { which: manUnknown(asked).map((k) => t(`opportunity.man_${k}`)).join(" ") });
      note.textContent += ` ${t("visit.save_again")}`;
      return false;
    }
    return true;
  };
  const save = async (extra = {}, local = {}) => {
    if (!(await stageAllowed())) return false;
    const latest = await get("visits", id);
    const changes = {};
    for (const field of ["notes", "outcome", "next_step"]) {
      if (form[field].value !== (latest[field] ?? "")) changes[field] = form[field].value;
    }
    const due = form.next_step_due.value || null; // "": no date (or one the phone could not read)
    const dueError = main.querySelector("#next-step-due-error");
    dueError.textContent = "";
    if (due && visitDay && due < visitDay) {
      dueError.textContent = t("msg.not_before_visit_day", { day: visitDay });
      return false;
    }
    if (due !== (latest.next_step_due ?? null)) changes.next_step_due = due;
    if (form.purpose.value.trim() && form.purpose.value.trim() !== latest.purpose) changes.purpose = form.purpose.value.trim();
    const met = !form.not_met.checked;
    if (met !== (latest.met !== false)) changes.met = met;
    if (form.accompanied) { // the rep names their manager as having gone along (or takes it back)
      const along = form.accompanied.checked ? latest.accompanied_by ?? user?.manager?.id ?? null : null;
      if (along !== (latest.accompanied_by ?? null)) changes.accompanied_by = along;
    }
    const relinked = form.link_opportunity && form.link_opportunity.value !== (latest.opportunity_id ?? "");
    if (relinked) changes.opportunity_id = form.link_opportunity.value || null;
    Object.assign(changes, extra);
    if (Object.keys(changes).length) await writeLocal("visit", "update", id, changes, { local });
    if (relinked) {
      await render(main, { id, user }); // the stage fields now belong to the newly linked opportunity
      main.querySelector("#visit-saved").textContent = t("visit.saved");
      return true;
    }
    if (opportunity) {
      const current = await get("opportunities", opportunity.id);
      const oppChanges = {};
      if (form.stage.value !== current.stage) {
        oppChanges.stage = form.stage.value;
        if (form.stage.value === "O") oppChanges.status = "won"; // O is the order
        if (moveNeeds(current, form.stage.value) === "back") {
          oppChanges.loss_note = t("opportunity.back_note", { from: current.stage, to: form.stage.value, why: form.stage_why.value.trim() });
        }
      }
      for (const k of ["money", "authority", "need"]) {
        if (form[`man_${k}`].checked !== Boolean(current[`man_${k}`])) oppChanges[`man_${k}`] = form[`man_${k}`].checked;
      }
      if (Object.keys(oppChanges).length) {
        await writeLocal("opportunity", "update", opportunity.id, oppChanges, { baseVersion: current.version });
      }
    }
    if ("met" in changes && !extra.check_out_at) {
      await render(main, { id, user }); // met or not changes what the screen offers (Near me when not met)
    }
    main.querySelector("#visit-saved").textContent = t("visit.saved");
    return true;
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await save();
  });
  main.querySelector("#check-out")?.addEventListener("click", async (event) => {
    event.target.disabled = true;
    const at = new Date().toISOString();
    main.querySelector("#visit-saved").textContent = t("fix.locating");
    const gps = await freshFix();
    const saved = await save({ check_out_at: at, check_out_lat: gps.lat, check_out_lng: gps.lng,
                               check_out_accuracy_m: gps.accuracy }, { check_out_fix: gps.problem });
    if (!saved) {
      event.target.disabled = false; // the stage move needs a word from the rep first
      return;
    }
    await visitEnded(at); // the day clock: travel to the next stop, or stopped after the last one
    await render(main, { id, user });
    // What comes next (the next stop, or the day done) is at the top: the screen goes there, not left where the
    // check-out button was.
    window.scrollTo(0, 0);
    main.focus({ preventScroll: true });
  });
  main.querySelector("#times-form")?.addEventListener("submit", async (event) => {
    // A wrongly recorded visit is corrected on the day it was made: times only, the date stays.
    event.preventDefault();
    const times = event.target;
    const error = main.querySelector("#times-error");
    if (![times.check_in, times.check_out].every((input) => input.checkValidity())) {
      error.textContent = t("visit.time_format");
      return;
    }
    const changes = {};
    if (times.check_in.value !== hhmm(visit.check_in_at)) changes.check_in_at = atTime(visit.check_in_at, times.check_in.value);
    if (times.check_out.value !== hhmm(visit.check_out_at)) changes.check_out_at = atTime(visit.check_in_at, times.check_out.value);
    const checkIn = new Date(changes.check_in_at ?? visit.check_in_at);
    const checkOut = new Date(changes.check_out_at ?? visit.check_out_at);
    if (checkOut <= checkIn) {
      error.textContent = t("visit.out_before_in");
      return;
    }
    if (checkOut > new Date()) {
      error.textContent = t("visit.time_in_future");
      return;
    }
    if (Object.keys(changes).length) await writeLocal("visit", "update", id, changes);
    await render(main, { id, user });
    main.querySelector("#visit-saved").textContent = t("visit.saved");
  });
  main.querySelector("#take-position")?.addEventListener("click", async () => {
    // The account had no map position: the rep confirms it is where they checked in.
    await writeLocal("account", "update", account.id, { latitude: visit.check_in_lat, longitude: visit.check_in_lng },
                     { baseVersion: account.version ?? 0 });
    await render(main, { id, user });
  });
  main.querySelector("#cancel-visit")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const reason = event.target.reason.value.trim();
    if (!reason) {
      main.querySelector("#cancel-error").textContent = t("visit.cancel_needs_reason");
      return;
    }
    await writeLocal("visit", "update", id, { cancelled_at: new Date().toISOString(), cancel_reason: reason });
    await render(main, { id, user });
  });
}

/** The visit's photos, newest first, each with its state (waiting to upload, uploaded, refused). */
export function photoItems(items) {
  return items.map(({ record, url, state, size, refused }) => html`<li class="photo" data-id="${record.id}" data-state="${state}">
    ${url ? html`<img src="${url}" alt="${record.caption || t("photo.taken_at", { time: hhmm(record.taken_at) })}" loading="lazy">` : ""}
    <span>${record.caption ? html`${record.caption}<br>` : ""}${t("photo.taken_at", { time: hhmm(record.taken_at) })}
      · ${state === "refused" ? t("photo.refused", { why: refused?.message || refused?.code || "" }) : t(`photo.${state}`)}
      · ${Math.round(size / 1024)} KB</span></li>`);
}

async function wirePhotos(main, visit, account) {
  const list = main.querySelector("#photo-list");
  const status = main.querySelector("#photo-status");
  const show = async () => {
    const items = await photosOf({ visit: visit.id });
    list.innerHTML = items.length ? html`${photoItems(items)}` : html`<li class="muted">${t("photo.none")}</li>`;
  };
  await show();
  // After a sync the states change (waiting -> uploaded): listed again while this screen shows.
  const off = on("data-changed", () => (list.isConnected ? show() : off()));
  const taken = async (input) => {
    const files = [...input.files];
    input.value = "";
    const user = (await getMeta("auth", null))?.user ?? {};
    for (const file of files) {
      status.textContent = t("photo.working");
      try {
        await addPhoto(file, { visit, account, repName: user.display_name || user.username || "",
                               caption: main.querySelector("#photo-caption").value.trim() });
        status.textContent = t("photo.kept");
      } catch (error) {
        // A full phone says so in words and offers to send what waits; the visit itself is kept (written before).
        if (error?.name === "QuotaExceededError") {
          status.innerHTML = html`${t("photo.full")} <button type="button" class="secondary" id="photo-send-now">${t("photo.send_now")}</button>`;
          status.querySelector("#photo-send-now").addEventListener("click", () => syncNow());
        } else {
          status.textContent = t("photo.failed", { why: error?.message ?? "" });
        }
      }
      await show();
    }
    main.querySelector("#photo-caption").value = "";
    syncNow();
  };
  for (const input of main.querySelectorAll("#photo-input, #photo-album")) input.addEventListener("change", () => taken(input));
}
