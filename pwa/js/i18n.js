// Every string the app shows, in English and zh-CN: per language (pwa/js/i18n/), the strings the shell, the
// login and Today need (en.js, zh-CN.js) and the other screens' (en.more.js, zh-CN.more.js). The app loads the
// first part of the language in use before any screen draws, the rest once the first screen has drawn (`loadAll`,
// in idle time) and before any other screen draws (js/app.js); a rep never loads the other language. A switch
// loads the whole catalogue of the other language before it shows.
export const LANGUAGES = ["en", "zh-CN"];
const LOAD = {
  en: [() => import("./i18n/en.js"), () => import("./i18n/en.more.js")],
  "zh-CN": [() => import("./i18n/zh-CN.js"), () => import("./i18n/zh-CN.more.js")],
};
const catalogues = {}; // language -> {key: text}, the parts loaded so far merged
const parts = {}; // "language/part" -> the promise of that part merged into catalogues[language]
const whole = new Set(); // languages whose catalogue has every part
let current = choose();

function choose() {
  const saved = localStorage.getItem("fieldday.lang");
  if (saved && LANGUAGES.includes(saved)) return saved;
  const wanted = navigator.languages?.length ? navigator.languages : [navigator.language || "en"];
  for (const tag of wanted) {
    if (tag.toLowerCase().startsWith("zh")) return "zh-CN";
    if (tag.toLowerCase().startsWith("en")) return "en";
  }
  return "en";
}

function part(language, index) {
  parts[`${language}/${index}`] ??= LOAD[language][index]().then((module) => {
    catalogues[language] = { ...catalogues[language], ...module.default };
  }).catch((error) => {
    delete parts[`${language}/${index}`]; // asked for again next time (offline before the cache had it)
    throw error;
  });
  return parts[`${language}/${index}`];
}

async function load(language) {
  await part(language, 0);
  return catalogues[language];
}

/** The whole catalogue of `language` (the one in use by default): before any screen but login and Today draws. */
export async function loadAll(language = current) {
  if (!whole.has(language)) {
    await Promise.all(LOAD[language].map((_, index) => part(language, index)));
    whole.add(language);
  }
  return catalogues[language];
}

export function lang() {
  return current;
}

/** Switch to `value` (English when unknown) once its whole catalogue has loaded. */
export async function setLang(value) {
  const wanted = LANGUAGES.includes(value) ? value : "en";
  await loadAll(wanted);
  current = wanted;
  localStorage.setItem("fieldday.lang", current);
  document.documentElement.lang = current;
}

/** A key the catalogue lacks shows as itself. Asked for before the rest of the catalogue has come (which no
 *  module of the first screen does: tests/pwa/test_static.py), it also fetches the rest for what draws next. */
function lookup(key) {
  const text = catalogues[current][key];
  if (text === undefined && !whole.has(current)) loadAll().catch(() => {});
  return text;
}

export function t(key, params = {}) {
  const text = lookup(key) ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (params[name] ?? ""));
}

/** Whether the catalogue has `key` (every language's has the same keys: `missingKeys`). Before the rest of the
 *  catalogue has come, only the first part's keys: a caller's fallback (the server's message, a field's own name)
 *  shows meanwhile. */
export function has(key) {
  return lookup(key) !== undefined;
}

/** A server error in words: its `code` through the catalogue, the server's English message only as a fallback;
 *  `params` fill the message's placeholders (a busy planner's `{seconds}`: the answer's Retry-After). */
export function errorText(code, message = "", params = {}) {
  const key = `error.code.${code}`;
  const text = lookup(key);
  if (text === undefined) return message || code || "";
  if (/\{seconds\}/.test(text) && params.seconds == null) return message || t(key, { seconds: "…" });
  return t(key, params);
}

/** Keys one language's catalogue has and the other's lacks (loads both whole). */
export async function missingKeys() {
  const [a, b] = (await Promise.all(LANGUAGES.map((language) => loadAll(language)))).map((c) => new Set(Object.keys(c)));
  return [...a].filter((k) => !b.has(k)).concat([...b].filter((k) => !a.has(k)));
}

await load(current);
document.documentElement.lang = current;
