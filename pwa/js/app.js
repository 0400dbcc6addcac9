// The app shell: boot, hash routes, the sync indicator, the language switch, the service worker.
import { ApiError, refreshUser, session } from "./api.js";
import { errorText, lang, loadAll, setLang, t } from "./i18n.js";
import { loadSettings, loadTeamSettings } from "./settings.js";
import { on } from "./state.js";
import { currentStatus, dismissRejected, fetchTeamSettings, refreshStatus, startSyncTriggers, syncNow } from "./sync.js";
import { describe, hhmm, html, idle } from "./ui.js";

// Each screen's module loads the first time it is shown (the service worker precaches them all for offline use).
const VIEWS = {
  admin: () => import("./views/admin.js"),
  accounts: () => import("./views/accounts.js"),
  clock: () => import("./views/clock.js"),
  daily: () => import("./views/daily.js"),
  login: () => import("./views/login.js"),
  me: () => import("./views/me.js"),
  nearby: () => import("./views/nearby.js"),
  opportunity: () => import("./views/opportunity.js"),
  password: () => import("./views/password.js"),
  records: () => import("./views/records.js"),
  settings: () => import("./views/settings.js"),
  territory: () => import("./views/territory.js"),
  team: () => import("./views/team.js"),
  today: () => import("./views/today.js"),
  tomorrow: () => import("./views/tomorrow.js"),
  transfer: () => import("./views/transfer.js"),
  visit: () => import("./views/visit.js"),
  week: () => import("./views/week.js"),
};
// The screens whose words are all in the first part of the catalogue (js/i18n.js): every other waits for the rest.
const FIRST_SCREENS = new Set(["login", "today"]);
/** A route's view: `lazy("today", "render")` calls views/today.js's render once the module (and, for a screen
 *  other than the first ones, the rest of the catalogue) has loaded. */
const lazy = (name, fn) => async (...args) => {
  const [module] = await Promise.all([VIEWS[name](), FIRST_SCREENS.has(name) || loadAll()]);
  return module[fn](...args);
};
const admin = { render: lazy("admin", "render"), renderUser: lazy("admin", "renderUser") };
const accounts = { renderList: lazy("accounts", "renderList"), renderDetail: lazy("accounts", "renderDetail") };
const clock = { render: lazy("clock", "render") };
const daily = { render: lazy("daily", "render") };
const login = { render: lazy("login", "render") };
const me = { render: lazy("me", "render"), logOutHere: lazy("me", "logOutHere") };
const nearby = { render: lazy("nearby", "render") };
const opportunity = { render: lazy("opportunity", "render") };
const password = { render: lazy("password", "render") };
const records = { renderForm: lazy("records", "renderForm") };
const settingsView = { render: lazy("settings", "render") };
const team = { render: lazy("team", "render") };
const territory = { render: lazy("territory", "render") };
const today = { render: lazy("today", "render") };
const tomorrow = { render: lazy("tomorrow", "render") };
const transfer = { render: lazy("transfer", "render") };
const visit = { render: lazy("visit", "render"), renderNew: lazy("visit", "renderNew") };
const week = { render: lazy("week", "render") };

const main = document.getElementById("view");
const tabs = document.getElementById("tabs");
const banner = document.getElementById("banner");
let user = null;

// Each view renders into a fresh element of its own: a slow render that finishes after the user has
// moved on writes into a detached element, never over the screen now showing.
const ROUTES = [
  [/^#\/today$/, (el) => today.render(el, { user }), "today"],
  [/^#\/accounts$/, (el, m, query) => accounts.renderList(el, { query, user }), "accounts"],
  [/^#\/account\/new$/, (el) => records.renderForm(el, { entity: "account", navigate, user }), "accounts"],
  [/^#\/account\/([\w-]+)\/edit$/, (el, m) => records.renderForm(el, { entity: "account", id: m[1], navigate, user }), "accounts"],
  [/^#\/account\/([\w-]+)$/, (el, m) => accounts.renderDetail(el, { id: m[1], user }), "accounts"],
  [/^#\/(contact|device|opportunity|appointment)\/new$/, (el, m, query) =>
    records.renderForm(el, { entity: m[1], accountId: query.get("account"), query, navigate, user }), "accounts"],
  [/^#\/opportunity\/([\w-]+)\/edit$/, (el, m) => records.renderForm(el, { entity: "opportunity", id: m[1], navigate }), "accounts"],
  [/^#\/opportunity\/([\w-]+)$/, (el, m) => opportunity.render(el, { id: m[1], navigate }), "accounts"],
  [/^#\/(contact|device|appointment)\/([\w-]+)$/, (el, m) => records.renderForm(el, { entity: m[1], id: m[2], navigate }), "accounts"],
  [/^#\/visit\/new$/, (el, m, query) => visit.renderNew(el, { query, navigate, user }), "today"],
  [/^#\/visit\/([\w-]+)$/, (el, m) => visit.render(el, { id: m[1], user }), "today"],
  [/^#\/clock$/, (el) => clock.render(el), "clock"],
  [/^#\/map$/, (el, m, query) => territory.render(el, { query }), "accounts"],
  [/^#\/nearby$/, (el, m, query) => nearby.render(el, { user, query }), "accounts"],
  [/^#\/tomorrow$/, (el) => tomorrow.render(el, { user }), "tomorrow"],
  [/^#\/team$/, (el) => team.render(el, { user }), "team"],
  [/^#\/report$/, (el) => daily.render(el, { user }), "report"],
  [/^#\/week$/, (el, m, query) => week.render(el, { user, query }), "report"],
  [/^#\/data$/, (el) => transfer.render(el), "data"],
  [/^#\/admin$/, (el) => admin.render(el, { user, navigate }), "admin"],
  [/^#\/admin\/user\/([\w-]+)$/, (el, m) => admin.renderUser(el, { user, id: m[1], navigate }), "admin"],
  [/^#\/settings$/, (el) => (user.role === "rep" ? navigate(home(), { replace: true }) : settingsView.render(el, { user })), "settings"],
  [/^#\/me$/, (el) => me.render(el, { user, onLoggedOut: () => showLogin() }), ""],
];
const TABS = {
  rep: [["today", "#/today"], ["accounts", "#/accounts"], ["clock", "#/clock"], ["tomorrow", "#/tomorrow"],
        ["report", "#/report"]],
  manager: [["team", "#/team"], ["report", "#/report"], ["accounts", "#/accounts"], ["data", "#/data"], ["admin", "#/admin"],
            ["settings", "#/settings"]],
  admin: [["admin", "#/admin"], ["team", "#/team"], ["report", "#/report"], ["accounts", "#/accounts"], ["data", "#/data"],
          ["settings", "#/settings"]],
};

function home() {
  return { rep: "#/today", admin: "#/admin" }[user?.role] ?? "#/team";
}

export function navigate(hash, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", hash);
  else history.pushState(null, "", hash);
  route();
}

async function route() {
  if (!user) return;
  // Re-drawn (another language) unless the user is typing in it.
  if (user.must_change_password) return showPasswordChange({ force: !main.contains(document.activeElement) });
  const [path, search = ""] = (location.hash || home()).split("?");
  const query = new URLSearchParams(search);
  for (const [pattern, view, tab] of ROUTES) {
    const match = path.match(pattern);
    if (match) {
      renderTabs(tab);
      const screen = document.createElement("div");
      main.replaceChildren(screen);
      await view(screen, match, query);
      drawnAt = Date.now();
      warmViews();
      return;
    }
  }
  navigate(home(), { replace: true });
}

let warmed = false;
let drawnAt = 0; // when the screen showing was drawn
// A sync that changed nothing does not draw again a screen drawn less than this ago (the start's sync, just after
// the first screen); an older one is drawn again, so that what depends on the time of day moves on with each sync.
const REDRAW_UNCHANGED_MS = 30_000;
/** Once the first screen after login has drawn, every other screen's module is fetched in idle time: a screen
 *  first opened later, without signal and before the service worker has finished its cache, still opens.
 *  A page the service worker controls has them all in its cache already: nothing to fetch or compile. */
function warmViews() {
  if (warmed) return;
  warmed = true;
  // The rest of the catalogue: the next screen draws without waiting for it.
  idle().then(() => loadAll().catch(() => {}));
  if (navigator.serviceWorker?.controller) return;
  idle().then(() => { for (const load of Object.values(VIEWS)) load().catch(() => {}); });
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
  button.dataset.waiting = String(status.waiting); // the same facts as the words, in any language
  button.dataset.lastSync = status.lastSync ?? "";
  // A snapshot (the first sync) counts its records as they are written: "12,000 / 25,188".
  const progress = status.state === "syncing" && status.progress ? status.progress : null;
  button.dataset.progress = progress ? `${progress.done}/${progress.total}` : "";
  const counted = (notation) => t("sync.progress", Object.fromEntries(["done", "total"].map((k) =>
    [k, progress[k].toLocaleString(lang(), { notation })])));
  const syncing = progress ? counted("standard") : t("sync.syncing");
  const last = status.lastSync ? t("sync.last", { time: hhmm(status.lastSync) }) : t("sync.never");
  const parts = [status.state === "offline" ? t("sync.offline") : status.state === "syncing" ? syncing : t("sync.online"),
    t("sync.waiting", { n: status.waiting }), last];
  // On the button, what matters at a glance (one line at 360 px): the state (online goes without saying beside the
  // last sync; a failed sync is the button's colour and the banner's words), then the records waiting when there are
  // some, else the last sync; read aloud, all three.
  const shown = ["idle", "error"].includes(status.state) && !status.waiting ? [last]
    : [parts[0], ...(status.waiting ? [parts[1]] : status.state === "syncing" ? [] : [parts[2]])];
  button.textContent = shown.join(" · ");
  // A count too long for the button's one line ("Syncing 100,000/250,000" in English at 360 px) shows short
  // ("100K/250K"), then without the records waiting beside it; never cut with "…"; read aloud in full.
  if (progress) {
    const short = counted("compact");
    for (const words of [button.textContent.replace(syncing, short), short]) {
      if (button.scrollWidth <= button.clientWidth) break;
      button.textContent = words;
    }
  }
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

// The shell (index.html) paints the login form, or a screen's skeleton while someone is signed in here.
const SIGNED_IN = "fieldday.signed-in";

let loginShowing = null; // the login form being drawn or taken over, until it is

async function showLogin({ force = false } = {}) {
  user = null;
  localStorage.removeItem(SIGNED_IN);
  tabs.hidden = true;
  document.getElementById("notice-banner").hidden = true;
  document.getElementById("account-button").hidden = true;
  // Already asking: never wipe what is being typed (the shell's form, painted before this module ran, is taken over).
  // A second ask while the form is being taken over (the start's own, and a sync's "log in first") waits for the
  // first: drawn again, the form would lose what was typed and a login sent meanwhile.
  if (!force && main.querySelector("#login-form:not([data-shell])")) return;
  if (!force && loginShowing) return loginShowing;
  loginShowing = login.render(main, { onLoggedIn: (u) => start(u) }).finally(() => { loginShowing = null; });
  await loginShowing;
}

/** A temporary password (after a reset) is changed before anything else opens: no tabs, no sync. */
async function showPasswordChange({ force = false } = {}) {
  tabs.hidden = true;
  document.getElementById("account-button").hidden = true;
  if (!force && main.querySelector("#password-forced")) return; // already asking: never wipe what is being typed
  const screen = document.createElement("div");
  main.replaceChildren(screen);
  await password.render(screen, {
    user,
    onChanged: (changed) => start({ ...user, ...changed }),
    onLogOut: async () => { await me.logOutHere(); showLogin({ force: true }); },
  });
}

async function start(u) {
  user = u;
  localStorage.setItem(SIGNED_IN, "1");
  if (user.must_change_password) return showPasswordChange();
  // The team's settings: those kept since the last sync, or (just logged in) the server's before the first screen.
  if (!(await loadTeamSettings())) await fetchTeamSettings().catch(() => {}); // offline: they come with the next sync
  // After a login the day starts at home, not on the screen the last person logged out from.
  if (!location.hash || ["#/logout", "#/me"].includes(location.hash)) history.replaceState(null, "", home());
  await route();
  syncNow();
  // Reminders and notices load once the first screen has drawn (they are not part of it).
  if (user.role === "rep") import("./reminders.js").then((m) => m.startReminders(user)).catch(() => {});
  import("./notices.js").then((m) => m.showNoticeBanner(document.getElementById("notice-banner"))).catch(() => {});
  // Web Push where this browser may show notifications and reaches a push service (not relied upon).
  import("./webpush.js").then((m) => m.keepPushSubscription()).catch(() => {});
  // What this user's phone may create comes from the server (with the login, and here once per start): a change
  // of role or team, or a session from before the server said it, is taken up without a new login.
  const fresh = await refreshUser();
  if (fresh && user?.id === fresh.id && JSON.stringify([fresh.may, fresh.manager]) !== JSON.stringify([user.may, user.manager])) {
    user = fresh;
    if (!main.contains(document.activeElement)) await route();
  } else if (fresh && user?.id === fresh.id) {
    user = fresh;
  }
}

function renderLangSwitch() {
  const button = document.getElementById("lang-switch");
  button.textContent = t("lang.switch");
  button.setAttribute("aria-label", t("lang.switch.label"));
}

// Over plain HTTP (not localhost) the browser gives the app no service worker: it syncs, but the app is
// not kept for use without signal. Say so, and what fixes it (HTTPS in front, README "Run it for a team").
function renderInsecureBanner() {
  const note = document.getElementById("insecure-banner");
  note.hidden = window.isSecureContext;
  note.textContent = window.isSecureContext ? "" : t("insecure.offline");
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
  renderInsecureBanner();
  document.getElementById("lang-switch").addEventListener("click", async () => {
    await setLang(lang() === "zh-CN" ? "en" : "zh-CN");
    renderLangSwitch();
    renderInsecureBanner();
    showStatus(currentStatus());
    user ? route() : showLogin({ force: true });
    // The notice banner in the language now shown (the server words notices in the one asked).
    if (user) import("./notices.js").then((m) => m.showNoticeBanner(document.getElementById("notice-banner"))).catch(() => {});
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
  on("password-change-required", () => {
    if (user && !user.must_change_password) {
      user = { ...user, must_change_password: true };
      showPasswordChange();
    }
  });
  on("local-write", () => { refreshStatus(); syncNow(); });
  on("data-changed", ({ changed = true } = {}) => {
    if (!changed && Date.now() - drawnAt < REDRAW_UNCHANGED_MS) return;
    // A new plan or appointment may make a reminder due now; a notice may have come with the news.
    if (user?.role === "rep") import("./reminders.js").then((m) => m.startReminders(user)).catch(() => {});
    if (user) import("./notices.js").then((m) => m.showNoticeBanner(document.getElementById("notice-banner"))).catch(() => {});
    // Re-draw read-only screens with fresh data; never a form the rep is typing in.
    // Nor one waiting on the rep's answer (a re-plan being worked out or shown: `.busy`).
    // Nor a form (a new prospect, an edit): drawn again it would lose what was typed and ask its questions again.
    if (/^#\/(today|accounts|account\/|clock|tomorrow)/.test(location.hash) && !/\/(new|edit)(\?|$)/.test(location.hash)
        && !main.contains(document.activeElement) && !main.querySelector(".busy")) route();
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
