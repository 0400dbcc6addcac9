// Small view helpers: escaping, dates in the phone's local time, the method's cadence.
import { errorText, has, lang, t } from "./i18n.js";
import { phrases, settings, teamSettings, words } from "./settings.js";

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Built HTML, as `html` returns it: kept as it is where it is interpolated into another template,
 * and turned into markup by `innerHTML = ` (or String()). Nothing else makes one. */
class Html {
  #text;
  constructor(text) { this.#text = text; }
  toString() { return this.#text; }
}

function piece(value) {
  if (value instanceof Html) return value.toString();
  if (Array.isArray(value)) return value.map(piece).join("");
  return esc(value);
}

/** Tagged template: every interpolated value is escaped, except templates (and arrays of them) built
 * with `html` itself, which nest as they are. `${cond ? html`checked` : ""}` sets an attribute. */
export function html(strings, ...values) {
  return new Html(strings.reduce((out, s, i) => out + piece(values[i - 1]) + s));
}

/** The sign that a screen is fetching what it will show (a report from the server): words beside a spinner,
 *  announced to screen readers; `hidden` to show it later, at each request. */
export function loading({ hidden = false } = {}) {
  return html`<p class="loading muted" role="status" ${hidden ? html`hidden` : ""}>${t("ui.loading")}</p>`;
}

/** Days after the last face-to-face contact an account of this class is due again (the team's table, from the
 *  server after login); null while the phone has not had it yet. */
export function cadenceDays(accountClass) {
  const table = teamSettings()?.cadence_days;
  if (!table) return null;
  return table[accountClass] ?? Math.max(...Object.values(table));
}

/** An amount of money in the team's currency with separators (¥86,000; cents only when there are some). The one
 *  place amounts are formatted: every screen that shows one uses it. */
export function money(amount) {
  if (amount === null || amount === undefined || amount === "") return "–";
  const value = Number(amount);
  if (!Number.isFinite(value)) return String(amount);
  const cents = !Number.isInteger(value);
  return new Intl.NumberFormat(lang(), {
    style: "currency", currency: settings().currency || "CNY", currencyDisplay: "narrowSymbol",
    minimumFractionDigits: cents ? 2 : 0, maximumFractionDigits: cents ? 2 : 0,
  }).format(value);
}

/** A funnel stage as its letter and the method's name for it in the phone's language ("S 潜在客户"). */
export function stageLabel(code) {
  const name = words("stage", code, lang());
  return name ? `${code} ${name}` : String(code ?? "");
}

/** A distance on the ground, "850 m" or "2.4 km". */
export function distanceText(metres) {
  return metres < 1000 ? t("unit.m", { n: Math.round(metres) }) : t("unit.km", { n: (metres / 1000).toFixed(1) });
}

/** The method's usual phrases for the field `inputId` as one-tap chips (`visit_purpose`, `visit_outcome`, from the
 *  server); a tap fills the field (a text area: adds a line), and typing anything else still works. */
export function presetChips(name, inputId) {
  const list = phrases(name, lang());
  if (!list.length) return "";
  return html`<div class="chips" role="group" aria-label="${t("presets.label")}">${list.map((phrase) =>
    html`<button type="button" class="chip" data-preset-for="${inputId}" data-phrase="${phrase}">${phrase}</button>`)}</div>`;
}

if (typeof document !== "undefined") {
  document.addEventListener("click", (event) => {
    const chip = event.target.closest?.("[data-preset-for]");
    const field = chip && document.getElementById(chip.dataset.presetFor);
    if (!field) return;
    const phrase = chip.dataset.phrase;
    const text = field.value.trim();
    field.value = field.tagName === "TEXTAREA" && text && !text.split("\n").includes(phrase) ? `${text}\n${phrase}` : phrase;
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.focus();
  });
}

export function localDate(date = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** An instant's date ("YYYY-MM-DD") and minutes past midnight in an IANA time zone (a team's, as the server
 *  gives it); in the browser's own when none is given. */
export function zonedClock(date = new Date(), zone = undefined) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(date).map((p) => [p.type, p.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

/** Today's date ("YYYY-MM-DD") in the team's time zone (its days are the server's: plans, reports), in the phone's
 *  own before the team's settings have come. */
export function teamToday(now = new Date()) {
  return zonedClock(now, teamSettings()?.timezone).date;
}

export function addDays(date, days) {
  const copy = new Date(date);
  copy.setDate(copy.getDate() + days);
  return copy;
}

/** The Monday that starts the week of a local date ("YYYY-MM-DD", or a Date), as a local date. */
export function mondayOf(day = new Date()) {
  const date = typeof day === "string" ? new Date(`${day}T12:00:00`) : day;
  return localDate(addDays(date, -((date.getDay() + 6) % 7)));
}

/** A named reporting period as [from, to] local dates: day, week (from Monday), month (to date) or last_month. */
export function period(kind, anchor = new Date()) {
  const today = localDate(anchor);
  if (kind === "day") return [today, today];
  if (kind === "week") return [mondayOf(anchor), today];
  if (kind === "last_month") {
    const first = new Date(anchor.getFullYear(), anchor.getMonth() - 1, 1);
    return [localDate(first), localDate(new Date(anchor.getFullYear(), anchor.getMonth(), 0))];
  }
  return [`${today.slice(0, 8)}01`, today];
}

/** The period a report screen opens on: the month so far, or the last full month while fewer than 7 days of
 *  this one have passed (so the 1st of a month does not open on a near-empty day). */
export function defaultPeriodKind(anchor = new Date()) {
  return anchor.getDate() <= 7 ? "last_month" : "month";
}

// One formatter per kind and language: making one costs far more than using it (a list formats hundreds).
const formatters = new Map();
const FORMATS = {
  hhmm: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
  shortDate: { month: "short", day: "numeric", weekday: "short" },
};

function formatter(kind) {
  const key = `${kind} ${lang()}`;
  if (!formatters.has(key)) formatters.set(key, new Intl.DateTimeFormat(lang(), FORMATS[kind]));
  return formatters.get(key);
}

/** A number of minutes in words: "45 min", or "13 h 51 min" from an hour on. */
export function duration(minutes) {
  const whole = Math.round(minutes);
  return whole < 60 ? t("duration.min", { min: whole }) : t("duration.hm", { h: Math.floor(whole / 60), min: whole % 60 });
}

export function hhmm(iso) {
  if (!iso) return "";
  return formatter("hhmm").format(new Date(iso));
}

/** Resolves when the phone is idle (with `timeoutMs`, at the latest then): work a screen does not need to be
 *  drawn and used (a map, a prefetch) waits for it, out of the way of the screen's first layout and taps. */
export function idle(timeoutMs = undefined) {
  return new Promise((resolve) => (window.requestIdleCallback
    ? requestIdleCallback(() => resolve(), timeoutMs ? { timeout: timeoutMs } : {}) : setTimeout(resolve, 200)));
}

/** Resolves in a task of its own: long work split with it lets the page answer a tap between its parts. */
export function nextTask() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A 24-hour time field's pattern, whatever the phone's locale. */
export const HHMM = "([01][0-9]|2[0-3]):[0-5][0-9]";

/** A time of day typed as 24-hour "HH:MM" (`<input type="time">` follows the browser's locale, which may be
 *  an English phone's AM/PM while the app speaks Chinese; a clock in China is read 08:45, 17:30). */
export function clockInput(id, value, { name = id } = {}) {
  return html`<input id="${id}" name="${name}" type="text" inputmode="numeric" pattern="${HHMM}" placeholder="HH:MM"
    maxlength="5" autocomplete="off" value="${value ?? ""}" required>`;
}

/** The instant at local time "HH:MM" on the local day of `iso`. */
export function atTime(iso, time) {
  const [h, m] = time.split(":").map(Number);
  const at = new Date(iso);
  at.setHours(h, m, 0, 0);
  return at.toISOString();
}

export function shortDate(iso) {
  return formatter("shortDate").format(new Date(iso));
}

/** A calendar day ("2026-11-30", as reports give days and weeks) said as `shortDate` says it ("11月30日周一"). */
export function dayDate(day) {
  return shortDate(`${day}T12:00:00`);
}

export function daysSince(iso, now = new Date()) {
  return iso ? Math.floor((now - new Date(iso)) / 86_400_000) : null;
}

/** The rule of server/cadence.py: past the class's cadence since the last contact, or, never visited,
 * since the account was created (its first visit is due until then). */
export function isOverdue(account, now = new Date()) {
  const days = daysSince(account.last_contact_at ?? account.created_at, now);
  const cadence = cadenceDays(account.account_class);
  return days !== null && cadence !== null && days >= cadence;
}

// Names (accounts, people, regions) in one order whichever language the app shows: Chinese by pinyin, as the
// team reads them (an English collator orders Han characters by code point, which means nothing to anyone),
// Latin letters alphabetically, numbers by value ("1-9" before "1-10"). Made on the first comparison: a Chinese
// collator takes some 15 ms to make, which a screen that sorts no names (Today) does not wait for.
let names = null;

/** Rep rows (`rep_id`, `name`, `username`) with each name two rows share told apart by the username:
 *  孙军（rep3）. Two reps may bear the same name; a manager's table must not show them as one. */
export function distinctNames(rows) {
  const seen = new Map();
  rows.forEach((r) => seen.set(r.name, (seen.get(r.name) ?? 0) + 1));
  return rows.map((r) => (seen.get(r.name) > 1 && r.username && r.username !== r.name
    ? { ...r, name: t("ui.name_username", { name: r.name, username: r.username }) } : r));
}

/** Compare two names (`sort(byName)`); `key` picks the name of a record: `sort(byName.of((a) => a.name))`. */
export function byName(a, b) {
  names ??= new Intl.Collator("zh-CN", { numeric: true, sensitivity: "base" });
  return names.compare(a ?? "", b ?? "");
}
byName.of = (key) => (a, b) => byName(key(a), key(b));

export function reasonLabels(reason) {
  return String(reason || "").split(",").filter(Boolean).map((code) => {
    if (code.startsWith("opportunity_")) return t("reason.opportunity", { stage: code.slice(-1) });
    return t(`reason.${code}`);
  });
}

/** A field's name in words, or the name itself for a field the catalogue does not know. */
export function fieldLabel(name) {
  return has(`field.${name}`) ? t(`field.${name}`) : name;
}

/** One server message in words: its code through the catalogue, the English text only as a fallback. */
export function messageText(message, coded) {
  return coded?.code && has(`msg.${coded.code}`) ? t(`msg.${coded.code}`, worded(coded.params)) : String(message ?? "");
}

/** A geocoder's reason code (messages.GEO_REASONS on the server) in words, the provider's own detail in brackets. */
function worded(params) {
  const code = params?.reason;
  if (!code || !has(`geo.reason.${code}`)) return params;
  const reason = t(`geo.reason.${code}`, params);
  return { ...params, reason: params.detail ? t("geo.reason_detail", { reason, detail: params.detail }) : reason };
}

function flatten(messages, codes) {
  if (Array.isArray(messages) && messages.every((m) => typeof m === "string")) {
    return messages.map((m, i) => messageText(m, codes?.[i])).join(" ");
  }
  if (messages && typeof messages === "object") {
    return Object.entries(messages).map(([k, v]) => `${k}: ${flatten(v, codes?.[k])}`).join("; ");
  }
  return messageText(messages, codes?.[0]);
}

/** Each field's problems in words: "Field: message". */
export function fieldErrors(error) {
  const codes = error.fieldCodes || {};
  return Object.entries(error.fields || {}).map(([field, messages]) =>
    t("error.field", { field: fieldLabel(field), message: flatten(messages, codes[field]) }));
}

/** A failed request in words: the error's code through the catalogue, then each field's problem. "Some fields
 *  are not valid" says nothing the fields' own words do not, so it is said only when no field is named. */
export function describe(error) {
  const fields = fieldErrors(error);
  if (error.code === "validation_failed" && fields.length) return fields.join(" ");
  return [errorText(error.code, error.message, error.params), ...fields].join(" ");
}

/** Metres along the Earth between two positions (haversine), as the server's geodesic counts them closely enough. */
export function metresBetween(lat1, lng1, lat2, lng2) {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLng = (lng2 - lng1) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(h));
}

export function minutesBetween(a, b) {
  return Math.max(0, (new Date(b) - new Date(a)) / 60_000);
}

export function position(timeoutMs = 5000) {
  // GPS is recorded when the browser grants it; a visit never waits on it for long.
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null);
    const timer = setTimeout(() => resolve(null), timeoutMs + 500);
    navigator.geolocation.getCurrentPosition(
      (p) => { clearTimeout(timer); resolve({ lat: p.coords.latitude, lng: p.coords.longitude, accuracy: p.coords.accuracy }); },
      () => { clearTimeout(timer); resolve(null); },
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 60_000 },
    );
  });
}

/** A check-in or check-out fix worse than this many metres is shown as poor: the distance to the account may be wrong. */
export const POOR_FIX_M = 100;

/** A fresh position for a check-in or check-out: never one the browser kept from earlier (`maximumAge: 0`: a
 *  position a minute old may be the last customer's). Resolves `{lat, lng, accuracy, problem}`; `problem` is
 *  null, "poor" (accuracy worse than POOR_FIX_M), or, without a position, "denied", "timeout" or "unavailable". */
export function freshFix(timeoutMs = 10_000) {
  return new Promise((resolve) => {
    const none = (problem) => resolve({ lat: null, lng: null, accuracy: null, problem });
    if (!navigator.geolocation) return none("unavailable");
    const timer = setTimeout(() => none("timeout"), timeoutMs + 500);
    navigator.geolocation.getCurrentPosition(
      (p) => {
        clearTimeout(timer);
        const { latitude: lat, longitude: lng, accuracy } = p.coords;
        resolve({ lat, lng, accuracy, problem: accuracy > POOR_FIX_M ? "poor" : null });
      },
      (error) => {
        clearTimeout(timer);
        none(error.code === error.PERMISSION_DENIED ? "denied" : error.code === error.TIMEOUT ? "timeout" : "unavailable");
      },
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 0 },
    );
  });
}

/** What the screen says of a check-in or check-out fix (`when`: "in" or "out"), or "" when it is good. */
export function fixProblem(when, lat, accuracy, problem) {
  if (lat == null) return t(`fix.none_${when}`, { why: t(`fix.${problem ?? "unavailable"}`) });
  if (accuracy > POOR_FIX_M) return t(`fix.poor_${when}`, { m: Math.round(accuracy) });
  return "";
}
