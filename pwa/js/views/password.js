// Changing one's own password: forced right after a login with a temporary password (after a reset), and
// offered to anyone on the Me screen. The server ends the user's other logins when it changes.
import { changePassword, online } from "../api.js";
import { t } from "../i18n.js";
import { describe, html } from "../ui.js";

const MIN_LENGTH = 8; // the server's PASSWORD_MIN_LENGTH

/** The form's markup; `forced` words it for a temporary password. */
export function passwordForm({ forced = false } = {}) {
  return html`<form id="password-form" class="card" novalidate>
    ${forced ? html`<p class="banner" id="password-forced">${t("password.forced")}</p>` : html`<h2>${t("password.title")}</h2>`}
    <label for="old-password">${t(forced ? "password.temporary" : "password.old")}</label>
    <input id="old-password" name="old_password" type="password" autocomplete="current-password" required>
    <label for="new-password">${t("password.new")}</label>
    <input id="new-password" name="new_password" type="password" autocomplete="new-password" minlength="${MIN_LENGTH}" required>
    <label for="repeat-password">${t("password.repeat")}</label>
    <input id="repeat-password" name="repeat" type="password" autocomplete="new-password" required>
    <p id="password-error" class="error-text" role="alert"></p>
    <p id="password-done" class="muted" role="status"></p>
    <button type="submit">${t("password.submit")}</button>
  </form>`;
}

/** Wire the form drawn by passwordForm: checks, the server's answer, then `onChanged(user)`. */
export function wirePasswordForm(root, onChanged) {
  const form = root.querySelector("#password-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = form.querySelector("#password-error");
    const done = form.querySelector("#password-done");
    error.textContent = "";
    done.textContent = "";
    if (!online()) {
      error.textContent = t("password.offline");
      return;
    }
    if (form.new_password.value.length < MIN_LENGTH) {
      error.textContent = t("password.too_short", { n: MIN_LENGTH });
      return;
    }
    if (form.new_password.value !== form.repeat.value) {
      error.textContent = t("password.mismatch");
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const user = await changePassword(form.old_password.value, form.new_password.value);
      form.reset();
      done.textContent = t("password.changed");
      await onChanged?.(user);
    } catch (e) {
      error.textContent = describe(e);
    } finally {
      button.disabled = false;
    }
  });
}

/** The screen shown right after a login with a temporary password: nothing else opens until it is changed. */
export async function render(main, { user, onChanged, onLogOut }) {
  main.innerHTML = html`<h1>${t("password.forced_title")}</h1>
    <p class="muted">${user.display_name || user.username} (${user.username})</p>
    ${passwordForm({ forced: true })}
    <button type="button" id="forced-logout" class="secondary">${t("logout")}</button>`;
  wirePasswordForm(main, onChanged);
  main.querySelector("#forced-logout").addEventListener("click", (event) => {
    event.target.disabled = true;
    onLogOut();
  });
}
