// Login: keeps the token on the phone; a different user cannot log in over queued records. Opened from inside
// WeCom (?im=wecom&corp=<corp id>&code=<code WeCom added>) or DingTalk (?im=dingtalk&corp=<corp id>: the code comes
// from DingTalk's JS API, loaded only inside DingTalk), it signs the user in with that code first; a user not
// linked yet whose username matches confirms the link once with their password.
import { confirmImLink, imSignIn, login, online } from "../api.js";
import { clearRecords, getMeta, setMeta, waitingCount } from "../db.js";
import { errorText, lang, t } from "../i18n.js";
import { html } from "../ui.js";

export async function render(main, { onLoggedIn }) {
  const previous = await getMeta("auth", null);
  const again = previous?.expired && !previous.logged_out;
  const username = previous?.logged_out ? "" : previous?.user?.username ?? "";
  if (main.querySelector("#login-form[data-shell]")) adoptShell(main, username);
  else main.innerHTML = html`
    <h1>${t("login.title")}</h1>
    <form id="login-form" class="card" novalidate>
      <label for="username">${t("login.username")}</label>
      <input id="username" name="username" autocomplete="username" required value="${username}">
      <label for="password">${t("login.password")}</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required>
      <p id="login-error" class="error-text" role="alert"></p>
      <button type="submit">${t("login.submit")}</button>
    </form>`;
  const form = main.querySelector("#login-form");
  // Below the form: nothing the user may be pressing moves when it comes (see adoptShell).
  if (again) form.insertAdjacentHTML("afterend", html`<p class="banner">${t("login.again")}</p>`);
  const finish = async (tokens) => {
    if (previous?.user && previous.user.id !== tokens.user.id) {
      // Another person on this phone: drop the last one's copy and start a new sync client.
      await clearRecords();
      await setMeta("client_id", null);
      await setMeta("next_seq", 1);
      await setMeta("rejected", []);
    }
    await setMeta("auth", tokens);
    onLoggedIn(tokens.user);
  };
  const im = imParams();
  if (im && online() && !(previous?.user && (await waitingCount()) > 0)) {
    if (im.code || im.state) history.replaceState(null, "", location.pathname + location.hash); // a code works once
    // WeCom's home page, or a code this tab did not ask for (a link someone sent, an old home page with a fixed
    // state): the code is dropped and the tab asks WeCom for its own. It leaves for WeCom and comes back.
    if (im.provider === "wecom" && !sessionStorage.getItem(WECOM_STATE) && (im.code || !im.state)) return wecomAuthorize(im);
    try {
      if (im.provider === "wecom" && !wecomStateOk(im.state)) throw Object.assign(new Error("im_state_mismatch"), { code: "im_state_mismatch" });
      const code = im.code ?? (im.provider === "dingtalk" ? await dingtalkCode(im.corp) : null);
      if (code) return await finish(await imSignIn(im.provider, im.corp, code));
    } catch (e) {
      if (e.code === "confirm_link") return confirmLink(main, e.body.error, im.provider, finish);
      const message = e instanceof Error ? errorText(e.code, e.message) : e?.errorMessage ?? String(e?.errorCode ?? "");
      main.querySelector("#login-error").textContent = t("login.im_failed", { message });
    }
  }
  let sending = false; // one login at a time: a second tap or Enter while one is on its way sends nothing more
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (sending) return;
    sending = true;
    form.setAttribute("aria-busy", "true");
    try {
      await send(form, main.querySelector("#login-error"), previous, finish);
    } finally {
      sending = false;
      form.removeAttribute("aria-busy");
    }
  });
  // From here this view sends the form; one sent before it came (index.html kept it back) goes now.
  form.setAttribute("data-live", "");
  if (form.hasAttribute("data-pending")) {
    form.removeAttribute("data-pending");
    form.requestSubmit();
  }
}

/** The form's login: said why not (offline, another user's records waiting, refused), or sent and finished. */
async function send(form, error, previous, finish) {
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
    await finish(await login(username, form.password.value));
  } catch (e) {
    error.textContent = t("login.failed", { message: errorText(e.code, e.message) });
  }
}

/** The login form the shell painted before any module ran (index.html) becomes this view's: its words from the
 *  catalogue (the same, in the same language), what was typed in it kept; the screen's skeleton goes.
 *  No element on screen is replaced: the span showing a word stays and only its text is set (the other language's,
 *  hidden, goes). A finger (or mouse) pressed on 登录 while this runs has its press on that span; were the span
 *  replaced, the browser would send no click when it lifts, and the login would silently not go. */
function adoptShell(main, username) {
  for (const element of main.querySelectorAll("[data-t]")) {
    const text = t(element.dataset.t);
    const shown = element.querySelector(`:scope > [lang="${lang()}"]`);
    for (const child of [...element.children]) if (child !== shown) child.remove();
    if (!shown) element.textContent = text;
    else if (shown.textContent !== text) shown.textContent = text;
    element.removeAttribute("data-t");
    element.classList.remove("shell-login");
  }
  const form = main.querySelector("#login-form");
  form.classList.remove("shell-login");
  form.removeAttribute("data-shell");
  main.querySelector(".shell-screen")?.remove();
  const input = main.querySelector("#username");
  if (!input.value) input.value = username;
}

/** The sign-in code WeCom or DingTalk added to the page's address, with whose company it is (and for WeCom the
 *  `state` it was given, and the app's AgentId). DingTalk adds none: its page asks DingTalk's JS API for one
 *  (`dingtalkCode`), so there `code` is null; WeCom's home page is this page without a code, which starts the trip. */
function imParams() {
  const params = new URLSearchParams(location.search);
  const provider = params.get("im");
  const corp = params.get("corp");
  const code = params.get("code") || params.get("authCode") || null;
  if (!["wecom", "dingtalk"].includes(provider) || !corp) return null;
  return { provider, corp, code, state: params.get("state"), agent: params.get("agent") };
}

const WECOM_AUTHORIZE = "https://open.weixin.qq.com/connect/oauth2/authorize";
const WECOM_STATE = "fieldday-wecom-state";

/** WeCom's OAuth2 trip (snsapi_base), started here with a random `state` kept for this tab, so that the code coming
 *  back can be told from one in a link someone else sent: theirs would sign this phone in as them. */
function wecomAuthorize({ corp, agent }) {
  const state = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  sessionStorage.setItem(WECOM_STATE, state);
  const back = new URL(location.pathname, location.origin);
  back.search = new URLSearchParams({ im: "wecom", corp, ...(agent ? { agent } : {}) }).toString();
  const url = new URL(WECOM_AUTHORIZE);
  url.search = new URLSearchParams({
    appid: corp, redirect_uri: back.href, response_type: "code", scope: "snsapi_base", state,
    ...(agent ? { agentid: agent } : {}),
  }).toString();
  url.hash = "wechat_redirect";
  location.assign(url.href);
}

/** True once, for the state this tab sent WeCom; a code with any other state (or none) is not taken. */
function wecomStateOk(state) {
  const sent = sessionStorage.getItem(WECOM_STATE);
  sessionStorage.removeItem(WECOM_STATE);
  return Boolean(sent) && state === sent;
}

/** Inside DingTalk: the 免登 code from DingTalk's JS API for the company (null outside DingTalk, where the API
 *  is not loaded and the password login shows as usual). DingTalk refusing is thrown as its `{errorCode,
 *  errorMessage}`. */
async function dingtalkCode(corpId) {
  const { dingtalk } = await import("../lazy.js"); // inside DingTalk only: not on every login's way
  const dd = await dingtalk();
  if (!dd) return null;
  const answer = await dd.runtime.permission.requestAuthCode({ corpId });
  return answer?.code || null;
}

/** Once: the user's Fieldday password links their WeCom / DingTalk id to their account and signs them in. */
function confirmLink(main, offer, provider, finish) {
  main.innerHTML = html`<h1>${t("login.title")}</h1>
    <form id="im-link-form" class="card" novalidate>
      <p>${t("login.im_confirm", { username: offer.username, app: t(`notice.channel.${provider}`) })}</p>
      <label for="im-password">${t("login.password")}</label>
      <input id="im-password" name="password" type="password" autocomplete="current-password" required>
      <p id="login-error" class="error-text" role="alert"></p>
      <button type="submit">${t("login.im_link")}</button>
    </form>`;
  const form = main.querySelector("#im-link-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = form.querySelector("#login-error");
    error.textContent = "";
    try {
      await finish(await confirmImLink(offer.ticket, form.password.value));
    } catch (e) {
      error.textContent = t("login.failed", { message: errorText(e.code, e.message) });
    }
  });
}
