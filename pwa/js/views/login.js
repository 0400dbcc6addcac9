// Login: keeps the token on the phone; a different user cannot log in over queued records.
import { login, online } from "../api.js";
import { clearRecords, getMeta, setMeta, waitingCount } from "../db.js";
import { errorText, t } from "../i18n.js";
import { html } from "../ui.js";

export async function render(main, { onLoggedIn }) {
  const previous = await getMeta("auth", null);
  main.innerHTML = html`
    <h1>${t("login.title")}</h1>
    ${previous?.expired && !previous.logged_out ? html`<p class="banner">${t("login.again")}</p>` : ""}
    <form id="login-form" class="card" novalidate>
      <label for="username">${t("login.username")}</label>
      <input id="username" name="username" autocomplete="username" required value="${previous?.logged_out ? "" : previous?.user?.username ?? ""}">
      <label for="password">${t("login.password")}</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required>
      <p id="login-error" class="error-text" role="alert"></p>
      <button type="submit">${t("login.submit")}</button>
    </form>`;
  const form = main.querySelector("#login-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = main.querySelector("#login-error");
    error.textContent = "";
    const username = form.username.value.trim();
    if (!online()) {
      error.textContent = t("login.offline");
      return;
    }
    const waiting = await waitingCount();
    if (previous?.user && previous.user.username !== username && waiting > 0) {
      error.textContent = previous.logged_out ? t("login.other_user_waiting") : t("login.other_user", { user: previous.user.username });
      return;
    }
    try {
      const tokens = await login(username, form.password.value);
      if (previous?.user && previous.user.id !== tokens.user.id) {
        // Another person on this phone: drop the last one's copy and start a new sync client.
        await clearRecords();
        await setMeta("client_id", null);
        await setMeta("next_seq", 1);
        await setMeta("rejected", []);
      }
      await setMeta("auth", tokens);
      onLoggedIn(tokens.user);
    } catch (e) {
      error.textContent = t("login.failed", { message: errorText(e.code, e.message) });
    }
  });
}
