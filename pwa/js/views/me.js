// The rep's own screen: who is logged in, what waits to sync, and logging out on purpose. Logging
// out wipes the territory from the phone (a shared phone keeps no customer data); records still
// waiting are kept for their author only, sent after their next login, never dropped silently.
// A rep also finds here their calendar feed (its private URL, Copy, a QR code; made again or stopped) and
// whether reminders come as notifications or as the app's banner; everyone finds their notices and which kinds they get.
import { logout, noticePrefs, notices, online, saveNoticePrefs, session } from "../api.js";
import { feedState, keptFeed, makeFeed, qrSvg, revokeFeed } from "../calendar.js";
import { clearRecords, getMeta, setMeta, waitingCount, waitingFiles } from "../db.js";
import { lang, t } from "../i18n.js";
import { chooseProvider, navChoice, navContext } from "../navlinks.js";
import { noticeItem } from "../notices.js";
import { allowNotifications, notificationState, stopReminders } from "../reminders.js";
import { teamSettings } from "../settings.js";
import { hhmm, html } from "../ui.js";
import { passwordForm, wirePasswordForm } from "./password.js";

/** Log out on this phone, online or not; returns how many records stay queued for this user. */
export async function logOutHere() {
  const waiting = await waitingCount();
  stopReminders();
  await (await import("../webpush.js")).dropPushSubscription().catch(() => {});
  await logout(); // revokes the tokens on the server when it answers; offline, the phone forgets them
  await clearRecords();
  const auth = await session();
  await setMeta("auth", { user: waiting ? auth?.user ?? null : null, expired: true, logged_out: true });
  if (!waiting) {
    await setMeta("client_id", null);
    await setMeta("next_seq", 1);
    await setMeta("rejected", []);
    await setMeta("conflicts", []);
    await setMeta("conflicts_decided", []);
  }
  return waiting;
}

/** `taken`: this browser's push address is kept for another user (webpush.js `pushTaken`). */
function remindersBody(taken) {
  const state = notificationState();
  const minutes = teamSettings();
  return html`<p class="muted">${minutes ? t("reminders.explains", { leave: minutes.leave_reminder_minutes,
                                                                       appointment: minutes.appointment_reminder_minutes }) : ""}</p>
    <p id="reminders-state" data-state="${state}">${t(`reminders.state.${state}`)}</p>
    ${state === "default" ? html`<button type="button" class="secondary" id="allow-notifications">${t("reminders.allow")}</button>` : ""}
    ${taken ? html`<p class="banner" id="push-taken">${t("error.code.push_endpoint_taken")}</p>` : ""}`;
}

/** The feed's URL with Copy and its QR code; or the button that makes one. Offline: the URL kept here, if any. */
function drawFeed(body, feed, { offline = false } = {}) {
  body.className = "";
  if (!feed?.url) {
    body.innerHTML = html`${offline ? html`<p class="muted">${t("calendar.offline")}</p>`
      : html`${feed?.active ? html`<p class="muted" id="calendar-elsewhere">${t("calendar.made_elsewhere")}</p>` : ""}
      <button type="button" id="calendar-make">${t(feed?.active ? "calendar.make_again" : "calendar.make")}</button>`}`;
    return;
  }
  body.innerHTML = html`<label for="calendar-url">${t("calendar.url")}</label>
    <div class="row"><input id="calendar-url" readonly value="${feed.url}">
      <button type="button" class="secondary" id="calendar-copy">${t("calendar.copy")}</button></div>
    <p class="muted" id="calendar-copied" role="status"></p>
    <div id="calendar-qr" class="qr" aria-label="${t("calendar.qr")}"></div>
    <p class="muted">${t("calendar.qr_hint")}</p>
    ${offline ? "" : html`<div class="row"><button type="button" class="secondary" id="calendar-make">${t("calendar.make_again")}</button>
      <button type="button" class="secondary" id="calendar-revoke">${t("calendar.revoke")}</button></div>`}`;
  body.querySelector("#calendar-qr").innerHTML = qrSvg(feed.url); // the library's SVG of our own URL
}

async function wireCalendar(body) {
  const show = async () => {
    if (!online()) return drawFeed(body, await keptFeed(), { offline: true });
    try {
      drawFeed(body, await feedState());
    } catch {
      drawFeed(body, await keptFeed(), { offline: true });
    }
  };
  body.addEventListener("click", async (event) => {
    const id = event.target.id;
    if (id === "calendar-copy") {
      const url = body.querySelector("#calendar-url");
      url.select();
      await navigator.clipboard?.writeText(url.value).catch(() => document.execCommand("copy"));
      body.querySelector("#calendar-copied").textContent = t("calendar.copied");
    } else if (id === "calendar-make" || id === "calendar-revoke") {
      event.target.disabled = true;
      if (id === "calendar-make") drawFeed(body, await makeFeed());
      else {
        await revokeFeed();
        await show();
      }
    }
  });
  await show();
}

export async function render(main, { user, onLoggedOut }) {
  const waiting = await waitingCount();
  const last = await getMeta("last_sync", null);
  const photos = await waitingFiles("photo");
  const photoBytes = photos.reduce((sum, f) => sum + f.blob.size, 0);
  const [mine, prefs] = await Promise.all([notices({ lang: lang() }).catch(() => []), noticePrefs().catch(() => null)]);
  const webpush = () => import("../webpush.js");
  // Where Web Push works, not relied upon: only a push address kept for someone else is worth saying.
  const pushTaken = () => webpush().then((m) => m.pushTaken()).catch(() => false);
  main.innerHTML = html`<h1>${t("me.title")}</h1>
    <p class="card"><strong>${user.display_name || user.username}</strong> (${user.username})<br>
      ${t("sync.waiting", { n: waiting })} · ${last ? t("sync.last", { time: hhmm(last) }) : t("sync.never")}</p>
    ${photos.length ? html`<p class="card" id="photos-waiting">${t("photo.waiting_me", { n: photos.length, kb: Math.round(photoBytes / 1024) })}</p>` : ""}
    ${noticesCard(mine, prefs)}
    <div class="card" id="nav-card">${navChoice(await navContext())}</div>
    ${user.role === "rep" ? html`<section class="card" id="calendar-card"><h2>${t("calendar.title")}</h2>
      <p class="muted">${t("calendar.explains")}</p><div id="calendar-body" class="busy"></div></section>
    <section class="card" id="reminders-card"><h2>${t("reminders.title")}</h2><div id="reminders-body">${remindersBody(await pushTaken())}</div></section>` : ""}
    ${passwordForm()}
    <div class="card" id="logout-card">
      <p>${t("me.logout_explains")}</p>
      ${waiting ? html`<p class="banner" id="logout-waiting">${t("me.logout_waiting", { n: waiting })}</p>` : ""}
      <button type="button" id="confirm-logout" class="${waiting ? "secondary" : ""}">${t(waiting ? "me.logout_anyway" : "logout")}</button>
    </div>`;
  wirePasswordForm(main);
  if (user.role === "rep") wireCalendar(main.querySelector("#calendar-body"));
  main.querySelector("#reminders-body")?.addEventListener("click", async (event) => {
    if (event.target.id !== "allow-notifications") return;
    await allowNotifications();
    const body = main.querySelector("#reminders-body");
    body.innerHTML = remindersBody(false);
    await webpush().then((m) => m.keepPushSubscription()).catch(() => {});
    body.innerHTML = remindersBody(await pushTaken());
  });
  main.querySelectorAll("#notice-kinds input").forEach((box) => box.addEventListener("change", async () => {
    const kind = box.dataset.kind;
    const on = main.querySelector(`input[data-kind="${kind}"][data-part="on"]`).checked;
    const anyTime = main.querySelector(`input[data-kind="${kind}"][data-part="any_time"]`).checked;
    await saveNoticePrefs({ [kind]: { on, any_time: anyTime } });
  }));
  main.querySelector("#nav-app").addEventListener("change", (event) => chooseProvider(event.target.value));
  main.querySelector("#confirm-logout").addEventListener("click", async (event) => {
    event.target.disabled = true;
    await logOutHere();
    onLoggedOut();
  });
}

/** The user's notices and two switches per kind they receive: on, and also outside the team's working hours. The
 *  switches stand in two columns, each named once at its head (and to a screen reader at each box). */
function noticesCard(mine, prefs) {
  const list = mine.length ? html`<ul class="notices">${mine.map((n) => noticeItem(n))}</ul>` : html`<p>${t("notice.none")}</p>`;
  const box = (kind, part, checked, label) => html`<td><label class="tap"><input type="checkbox" data-kind="${kind}" data-part="${part}"
    aria-label="${t("ui.labelled", { label: t(`notice.kind.${kind}`), value: label })}" ${checked ? html`checked` : ""}></label></td>`;
  const rows = prefs ? prefs.mine.map((kind) => {
    const pref = prefs.kinds[kind];
    return html`<tr><th scope="row">${t(`notice.kind.${kind}`)}</th>${box(kind, "on", pref.on, t("notice.on"))}${
      box(kind, "any_time", pref.any_time, t("notice.any_time"))}</tr>`;
  }) : [];
  return html`<div class="card" id="notices-card"><h2>${t("notice.title")}</h2>${list}
    ${rows.length ? html`<h3>${t("notice.kinds")}</h3><table id="notice-kinds" class="notice-kinds"><thead><tr>
      <th scope="col">${t("notice.kind")}</th><th scope="col">${t("notice.on")}</th><th scope="col">${t("notice.any_time")}</th>
      </tr></thead><tbody>${rows}</tbody></table>` : ""}</div>`;
}
