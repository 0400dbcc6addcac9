// Every string the app shows, in English and zh-CN: one catalogue per language (pwa/js/i18n/), of which the
// app loads the one in use before any screen draws (a rep never loads the other); a switch loads the other.
export const LANGUAGES = ["en", "zh-CN"];
const LOAD = { en: () => import("./i18n/en.js"), "zh-CN": () => import("./i18n/zh-CN.js") };
const catalogues = {};
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

async function load(language) {
  catalogues[language] ??= (await LOAD[language]()).default;
  return catalogues[language];
}

export function lang() {
  return current;
}

/** Switch to `value` (English when unknown) once its catalogue has loaded. */
export async function setLang(value) {
  const wanted = LANGUAGES.includes(value) ? value : "en";
  await load(wanted);
  current = wanted;
  localStorage.setItem("fieldday.lang", current);
  document.documentElement.lang = current;
}

export function t(key, params = {}) {
  const text = catalogues[current][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (params[name] ?? ""));
}

/** Whether the catalogue has `key` (every language's has the same keys: `missingKeys`). */
export function has(key) {
  return key in catalogues[current];
}

/** A server error in words: its `code` through the catalogue, the server's English message only as a fallback;
 *  `params` fill the message's placeholders (a busy planner's `{seconds}`: the answer's Retry-After). */
export function errorText(code, message = "", params = {}) {
  const key = `error.code.${code}`;
  const text = catalogues[current][key];
  if (text === undefined) return message || code || "";
  if (/\{seconds\}/.test(text) && params.seconds == null) return message || t(key, { seconds: "…" });
  return t(key, params);
}

/** Keys one language's catalogue has and the other's lacks (loads both). */
export async function missingKeys() {
  const [a, b] = (await Promise.all(LANGUAGES.map(load))).map((c) => new Set(Object.keys(c)));
  return [...a].filter((k) => !b.has(k)).concat([...b].filter((k) => !a.has(k)));
}

await load(current);
document.documentElement.lang = current;
