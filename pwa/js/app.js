// The app shell: boot, hash routes, the sync indicator, the language switch, the service worker.
import { ApiError, session } from "./api.js";
import { errorText, lang, setLang, t } from "./i18n.js";
import { loadSettings } from "./settings.js";
import { on } from "./state.js";
import { currentStatus, dismissRejected, refreshStatus, startSyncTriggers, syncNow } from "./sync.js";
import { describe, hhmm, html } from "./ui.js";
import * as accounts from "./views/accounts.js";
import * as clock from "./views/clock.js";
import * as daily from "./views/daily.js";
import * as login from "./views/login.js";
import * as me from "./views/me.js";
import * as nearby from "./views/nearby.js";
import * as opportunity from "./views/opportunity.js";
import * as records from "./views/records.js";
import * as team from "./views/team.js";
import * as today from "./views/today.js";
import * as tomorrow from "./views/tomorrow.js";
import * as transfer from "./views/transfer.js";
import * as visit from "./views/visit.js";
import * as week from "./views/week.js";

const main = document.getElementById("view");
const tabs = document.getElementById("tabs");
const banner = document.getElementById("banner");
let user = null;

// Each view renders into a fresh element of its own: a slow render that finishes after the user has
// moved on writes into a detached element, never over the screen now showing.
const ROUTES = [
  [/^#\/today$/, (el) => today.render(el, { user }), "today"],
  [/^#\/accounts$/, (el, m, query) => accounts.renderList(el, { query }), "accounts"],
  [/^#\/account\/new$/, (el) => records.renderForm(el, { entity: "account", navigate, user }), "accounts"],
  [/^#\/account\/([\w-]+)\/edit$/, (el, m) => records.renderForm(el, { entity: "account", id: m[1], navigate, user }), "accounts"],
  [/^#\/account\/([\w-]+)$/, (el, m) => accounts.renderDetail(el, { id: m[1] }), "accounts"],
  [/^#\/(contact|device|opportunity|appointment)\/new$/, (el, m, query) =>
    records.renderForm(el, { entity: m[1], accountId: query.get("account"), query, navigate }), "accounts"],
  [/^#\/opportunity\/([\w-]+)\/edit$/, (el, m) => records.renderForm(el, { entity: "opportunity", id: m[1], navigate }), "accounts"],
  [/^#\/opportunity\/([\w-]+)$/, (el, m) => opportunity.render(el, { id: m[1], navigate }), "accounts"],
  [/^#\/(contact|device|appointment)\/([\w-]+)$/, (el, m) => records.renderForm(el, { entity: m[1], id: m[2], navigate }), "accounts"],
  [/^#\/visit\/new$/, (el, m, query) => visit.renderNew(el, { query, navigate }), "today"],
  [/^#\/visit\/([\w-]+)$/, (el, m) => visit.render(el, { id: m[1] }), "today"],
  [/^#\/clock$/, (el) => clock.render(el), "clock"],
  [/^#\/nearby$/, (el, m, query) => nearby.render(el, { user, query }), "accounts"],
  [/^#\/tomorrow$/, (el) => tomorrow.render(el, { user }), "tomorrow"],
  [/^#\/team$/, (el) => team.render(el, { user }), "team"],
  [/^#\/report$/, (el) => daily.render(el, { user }), "report"],
  [/^#\/week$/, (el, m, query) => week.render(el, { user, query }), "report"],
  [/^#\/data$/, (el) => transfer.render(el), "data"],
  [/^#\/me$/, (el) => me.render(el, { user, onLoggedOut: () => showLogin() }), ""],
];
const TABS = {
  rep: [["today", "#/today"], ["accounts", "#/accounts"], ["clock", "#/clock"], ["tomorrow", "#/tomorrow"],
        ["report", "#/report"]],
  manager: [["team", "#/team"], ["report", "#/report"], ["accounts", "#/accounts"], ["data", "#/data"]],
};

function home() {
  return user?.role === "rep" ? "#/today" : "#/team";
}

export function navigate(hash, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", hash);
  else history.pushState(null, "", hash);
  route();
}

async function route() {
  if (!user) return;
  const [path, search = ""] = (location.hash || home()).split("?");
  const query = new URLSearchParams(search);
  for (const [pattern, view, tab] of ROUTES) {
    const match = path.match(pattern);
    if (match) {
      renderTabs(tab);
      const screen = document.createElement("div");
      main.replaceChildren(screen);
      await view(screen, match, query);
      return;
    }
  }
  navigate(home(), { replace: true });
}

function renderTabs(active) {
  tabs.hidden = false;
  tabs.innerHTML = (TABS[user.role] ?? TABS.manager).map(([name, href]) => html`<a href="${href}" ${name === active ? html`aria-current="page"` : ""}>${t(`tab.${name}`)}</a>`)
    .join("");
  const account = document.getElementById("account-button");
  account.hidden = false;
  account.textContent = t("me.button");
}

function showStatus(status) {
  const button = document.getElementById("sync-status");
  button.dataset.state = status.state;
  const parts = [status.state === "offline" ? t("sync.offline") : status.state === "syncing" ? t("sync.syncing") : t("sync.online"),
    t("sync.waiting", { n: status.waiting }),
    status.lastSync ? t("sync.last", { time: hhmm(status.lastSync) }) : t("sync.never")];
  button.textContent = parts.join(" · ");
  button.setAttribute("aria-label", parts.join(", "));
  const messages = [];
  if (status.state === "error" && status.error) messages.push(t("sync.error", { message: errorText(status.code, status.error) }));
  if (status.state === "login") messages.push(t("sync.login"));
  if (status.rejected?.length) {
    messages.push(t("sync.rejected", { n: status.rejected.length,
                                       reason: status.rejected.map((r) => describe({ ...r, code: r.reason })).join("; ") }));
  }
  const clashes = (status.conflicts ?? []).filter((c) => c.entity === "account");
  banner.hidden = !messages.length;
  banner.className = "banner error";
  const dismiss = status.rejected?.length
    ? html`<button type="button" id="dismiss-rejected" class="secondary">${t("sync.dismiss")}</button>` : "";
  const links = clashes.map((c) => html` <a href="#/account/${c.entity_id}">${t("conflict.open")}</a>`);
  if (clashes.length) {
    messages.push(t("conflict.banner", { n: clashes.length }));
    banner.hidden = false;
  }
  banner.innerHTML = messages.length ? html`${messages.join(" ")}${links} ${dismiss}` : "";
  document.getElementById("dismiss-rejected")?.addEventListener("click", dismissRejected);
}

async function showLogin({ force = false } = {}) {
  user = null;
  tabs.hidden = true;
  document.getElementById("account-button").hidden = true;
  if (!force && main.querySelector("#login-form")) return; // already asking: never wipe what is being typed
  await login.render(main, { onLoggedIn: (u) => start(u) });
}

async function start(u) {
  user = u;
  // After a login the day starts at home, not on the screen the last person logged out from.
  if (!location.hash || ["#/logout", "#/me"].includes(location.hash)) history.replaceState(null, "", home());
  await route();
  syncNow();
}

function renderLangSwitch() {
  const button = document.getElementById("lang-switch");
  button.textContent = t("lang.switch");
  button.setAttribute("aria-label", t("lang.switch.label"));
}

function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  let controlled = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (!controlled) {
      controlled = true; // the first install taking control of this page, not an update
      return;
    }
    // A new version took over; the outbox lives in IndexedDB and is untouched by it.
    banner.hidden = false;
    banner.className = "banner";
    banner.innerHTML = html`${t("sync.update")} <button type="button" id="reload-app">${t("sync.reload")}</button>`;
    document.getElementById("reload-app").addEventListener("click", () => location.reload());
  });
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error) => console.warn("service worker", error));
}

async function boot() {
  await loadSettings();
  renderLangSwitch();
  document.getElementById("lang-switch").addEventListener("click", () => {
    setLang(lang() === "zh-CN" ? "en" : "zh-CN");
    renderLangSwitch();
    showStatus(currentStatus());
    user ? route() : showLogin({ force: true });
  });
  document.getElementById("sync-status").addEventListener("click", () => syncNow());
  document.getElementById("account-button").addEventListener("click", () => navigate("#/me"));
  window.addEventListener("hashchange", async () => {
    if (location.hash === "#/logout") { // an old link: the deliberate way is the Me screen
      return navigate("#/me", { replace: true });
    }
    route();
  });
  on("sync-status", showStatus);
  on("auth-required", showLogin);
  on("local-write", () => { refreshStatus(); syncNow(); });
  on("data-changed", () => {
    // Re-draw read-only screens with fresh data; never a form the rep is typing in.
    // Nor one waiting on the rep's answer (a re-plan being worked out or shown: `.busy`).
    if (/^#\/(today|accounts|account\/|clock|tomorrow)/.test(location.hash) && !main.contains(document.activeElement)
        && !main.querySelector(".busy")) route();
  });
  // A failure is loud and says what failed: the phone's storage (full, evicted: nothing was sent),
  // the server or the network (the server's words), or this screen itself (saved records are safe).
  const showError = (text) => {
    banner.hidden = false;
    banner.className = "banner error";
    banner.textContent = text;
  };
  const message = (reason) => reason?.message ?? String(reason);
  on("local-write-failed", (reason) => showError(t("error.local", { message: message(reason) })));
  window.addEventListener("unhandledrejection", ({ reason }) => showError(
    reason instanceof ApiError ? describe(reason)
      : reason instanceof DOMException ? t("error.local", { message: message(reason) }) // IndexedDB's errors
        : t("error.unexpected", { message: message(reason) })));
  navigator.storage?.persist?.();
  registerServiceWorker();
  startSyncTriggers();
  const auth = await session();
  if (auth?.user && !auth.expired) await start(auth.user);
  else await showLogin();
}

boot();
