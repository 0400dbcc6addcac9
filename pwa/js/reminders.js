// Reminders while the app is open, with or without signal: leave for the next stop (its leave-by time, as Today
// shows it: dayclock.nextStop) and an appointment about to start. Worked out on the phone from the synced plan and
// appointments; the minutes before come from the team's settings on the server (leave_reminder_minutes,
// appointment_reminder_minutes), never from here. A reminder is a system notification when the rep allowed them,
// else a banner at the top of the app until the rep dismisses it or its moment has passed.
import { all, getMeta, setMeta } from "./db.js";
import { closeTheDay, nextStop } from "./dayclock.js";
import { t } from "./i18n.js";
import { teamSettings } from "./settings.js";
import { hhmm, html } from "./ui.js";

const MINUTE = 60_000;
const CHECK_EVERY_MS = 15_000;
let timer = null;
let currentUser = null;

/** The reminders due at `now`: [{key, kind, text, until}]. Empty when the team's settings are not on the phone. */
export async function dueReminders(user, now = new Date()) {
  const settings = teamSettings();
  if (!settings || settings.leave_reminder_minutes == null) return [];
  const accounts = new Map((await all("accounts")).map((a) => [a.id, a]));
  const due = [];
  const next = await nextStop(now);
  if (next) {
    const leaveBy = new Date(next.leaveBy).getTime();
    const arrive = new Date(next.stop.planned_arrival).getTime();
    if (now.getTime() >= leaveBy - settings.leave_reminder_minutes * MINUTE && now.getTime() < arrive) {
      // The key is the notification's tag, the same the server's pushed reminder has (server/notify/reminders.py
      // `reminder_tag`: the stop and the moment in ms): the phone shows one of the two, not both.
      // Once the leave-by time has gone by (the banner stays until the arrival): leave now, and when that gets there;
      // in a visit whose planned time is not up yet, leave when it is (as Today says), and when that gets there.
      const name = accounts.get(next.stop.account_id)?.name ?? "?";
      const { leave } = next;
      due.push({ key: `leave:${next.stop.account_id}:${leaveBy}`, kind: "leave", until: arrive,
                 text: leave.now ? t("reminder.leave_now", { n: next.number, name, arrive: hhmm(leave.arrive) })
                   : t("reminder.leave", { time: hhmm(leave.at), n: next.number, name, arrive: hhmm(leave.arrive) }) });
    }
  }
  const soon = settings.appointment_reminder_minutes * MINUTE;
  for (const a of await all("appointments")) {
    if (a.rep_id && user && a.rep_id !== user.id) continue;
    const starts = new Date(a.starts_at).getTime();
    if (now.getTime() >= starts - soon && now.getTime() < starts) {
      due.push({ key: `appointment:${a.id}:${starts}`, kind: "appointment", until: starts,
                 text: t("reminder.appointment", { time: hhmm(a.starts_at), name: accounts.get(a.account_id)?.name ?? "?",
                                                   min: Math.ceil((starts - now.getTime()) / MINUTE) }) });
    }
  }
  return due;
}

/** Whether reminders go out as system notifications ("granted"), or as the in-app banner. */
export function notificationState() {
  return "Notification" in window ? Notification.permission : "unsupported";
}

/** Ask the phone to allow notifications (a tap on the Me screen); answers the new state. */
export async function allowNotifications() {
  if (!("Notification" in window)) return "unsupported";
  return Notification.requestPermission();
}

async function notify(reminder) {
  const options = { body: reminder.text, tag: reminder.key, icon: "/icons/icon-192.png" };
  // Chrome on Android shows notifications through the service worker only.
  const registration = await navigator.serviceWorker?.getRegistration?.().catch(() => null);
  // A worker still installing cannot show one yet (it throws): the page's own Notification does meanwhile.
  if (registration?.active) await registration.showNotification(t(`reminder.title.${reminder.kind}`), options);
  else new Notification(t(`reminder.title.${reminder.kind}`), options);
}

function drawBanner(shown) {
  const banner = document.getElementById("reminder-banner");
  if (!banner) return;
  banner.hidden = !shown.length;
  banner.innerHTML = shown.map((r) => html`<p data-reminder="${r.kind}" data-key="${r.key}">${r.text}
    <button type="button" class="secondary" data-dismiss="${r.key}">${t("sync.dismiss")}</button></p>`).join("");
}

/** Look once: notify what is newly due (or show it in the banner), and forget what has passed. */
export async function checkReminders(now = new Date()) {
  if (!currentUser) return;
  const due = await dueReminders(currentUser, now);
  const seen = await getMeta("reminders_seen", {}); // key -> "notified" | "dismissed", until the moment passes
  const keep = Object.fromEntries(Object.entries(seen).filter(([key]) => due.some((r) => r.key === key)));
  const channel = notificationState() === "granted" ? "notification" : "banner";
  for (const reminder of due) {
    if (keep[reminder.key]) continue;
    if (channel === "notification") {
      try {
        await notify(reminder);
        keep[reminder.key] = "notified";
      } catch {
        // The phone refused after all: the banner shows it instead.
      }
    }
  }
  await setMeta("reminders_seen", keep);
  drawBanner(due.filter((r) => !keep[r.key]));
}

/** Start looking (after login); `stopReminders` at logout. */
export function startReminders(user) {
  currentUser = user;
  const banner = document.getElementById("reminder-banner");
  if (banner && !banner.dataset.wired) {
    banner.dataset.wired = "1";
    banner.addEventListener("click", async (event) => {
      const key = event.target.dataset?.dismiss;
      if (!key) return;
      await setMeta("reminders_seen", { ...(await getMeta("reminders_seen", {})), [key]: "dismissed" });
      checkReminders();
    });
  }
  // The same look, every few seconds, also stops the day clock at the working day's end.
  if (!timer) timer = setInterval(() => closeTheDay().then(checkReminders).catch(() => {}), CHECK_EVERY_MS);
  return checkReminders();
}

export function stopReminders() {
  currentUser = null;
  clearInterval(timer);
  timer = null;
  drawBanner([]);
}
