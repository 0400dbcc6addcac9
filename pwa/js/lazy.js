// Libraries only some screens need, loaded the first time such a screen draws: Leaflet (and its CSS)
// when a map draws, leaflet.markercluster on the territory map, Chart.js on the manager's Team screen, DingTalk's
// JS API on the login screen inside DingTalk only. Each loads once; a library that cannot load
// (offline before the service worker cached it) resolves to null and the screen draws without it.
// Each is asked for by its versioned URL: the shell's import map gives it (`import.meta.resolve`).
const loading = new Map();

function once(key, load) {
  if (!loading.has(key)) loading.set(key, load().catch(() => { loading.delete(key); return null; }));
  return loading.get(key);
}

function script(path) {
  const src = import.meta.resolve(path);
  return once(src, () => new Promise((resolve, reject) => {
    const element = Object.assign(document.createElement("script"), { src, async: true });
    // Resolved in a task of its own: the library's evaluation is one long task, what uses it another.
    element.addEventListener("load", () => setTimeout(() => resolve(element)), { once: true });
    element.addEventListener("error", () => { element.remove(); reject(new Error(`${src} did not load`)); }, { once: true });
    document.head.append(element);
  }));
}

function style(path) {
  const href = import.meta.resolve(path);
  return once(href, () => new Promise((resolve, reject) => {
    const element = Object.assign(document.createElement("link"), { rel: "stylesheet", href });
    // Resolved in a task of its own: the library's evaluation is one long task, what uses it another.
    element.addEventListener("load", () => setTimeout(() => resolve(element)), { once: true });
    element.addEventListener("error", () => { element.remove(); reject(new Error(`${href} did not load`)); }, { once: true });
    // Before the app's own stylesheet, as a vendor's styles were when the shell linked them: the app's rules
    // (tap-sized map controls) still win over the library's at equal specificity.
    const own = document.getElementById("app-css") ?? document.querySelector('link[rel="stylesheet"][href*="/css/app.css"]');
    if (own) own.before(element);
    else document.head.append(element);
  }));
}

/** Leaflet's `L`, with its stylesheet applied, or null when it cannot load. */
export async function leaflet() {
  if (window.L) return window.L;
  const [css, js] = await Promise.all([style("/vendor/leaflet/leaflet.css"), script("/vendor/leaflet/leaflet.js")]);
  return css && js ? window.L ?? null : null;
}

/** Chart.js's `Chart`, or null when it cannot load. */
export async function chartjs() {
  if (window.Chart) return window.Chart;
  return (await script("/vendor/chartjs/chart.umd.min.js")) ? window.Chart ?? null : null;
}

/** Leaflet with leaflet.markercluster (`L.markerClusterGroup`) and their stylesheets, or null. */
export async function markercluster() {
  const L = await leaflet();
  if (!L) return null;
  if (L.markerClusterGroup) return L;
  const [css, cssDefault] = await Promise.all([style("/vendor/markercluster/MarkerCluster.css"),
    style("/vendor/markercluster/MarkerCluster.Default.css")]);
  const js = await script("/vendor/markercluster/leaflet.markercluster.js");
  return css && cssDefault && js && L.markerClusterGroup ? L : null;
}

/** DingTalk's JS API (`dd`), only when the page is inside DingTalk (its user agent says so); else null. */
export async function dingtalk() {
  if (!/DingTalk/i.test(navigator.userAgent)) return null;
  return (await script("/vendor/dingtalk-jsapi/dingtalk.open.js")) ? window.dd ?? null : null;
}
