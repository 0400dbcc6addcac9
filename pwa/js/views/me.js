// The rep's own screen: who is logged in, what waits to sync, and logging out on purpose. Logging
// out wipes the territory from the phone (a shared phone keeps no customer data); records still
// waiting are kept for their author only, sent after their next login, never dropped silently.
import { logout, session } from "../api.js";
import { clearRecords, getMeta, setMeta, waitingCount } from "../db.js";
import { t } from "../i18n.js";
import { hhmm, html } from "../ui.js";

/** Log out on this phone, online or not; returns how many records stay queued for this user. */
export async function logOutHere() {
  const waiting = await waitingCount();
  await logout(); // revokes the tokens on the server when it answers; offline, the phone forgets them
  await clearRecords();
  const auth = await session();
  await setMeta("auth", { user: waiting ? auth?.user ?? null : null, expired: true, logged_out: true });
  if (!waiting) {
    await setMeta("client_id", null);
    await setMeta("next_seq", 1);
    await setMeta("rejected", []);
    await setMeta("conflicts", []);
  }
  return waiting;
}

export async function render(main, { user, onLoggedOut }) {
  const waiting = await waitingCount();
  const last = await getMeta("last_sync", null);
  main.innerHTML = html`<h1>${t("me.title")}</h1>
    <p class="card"><strong>${user.display_name || user.username}</strong> (${user.username})<br>
      ${t("sync.waiting", { n: waiting })} · ${last ? t("sync.last", { time: hhmm(last) }) : t("sync.never")}</p>
    <div class="card" id="logout-card">
      <p>${t("me.logout_explains")}</p>
      ${waiting ? html`<p class="banner" id="logout-waiting">${t("me.logout_waiting", { n: waiting })}</p>` : ""}
      <button type="button" id="confirm-logout" class="${waiting ? "secondary" : ""}">${t(waiting ? "me.logout_anyway" : "logout")}</button>
    </div>`;
  main.querySelector("#confirm-logout").addEventListener("click", async (event) => {
    event.target.disabled = true;
    await logOutHere();
    onLoggedOut();
  });
}
