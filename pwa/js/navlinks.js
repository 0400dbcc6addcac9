// Navigation hand-off: the link that opens the rep's map app on a stored (WGS-84) point, one builder per
// app, each in the datum that app reads (converted here through datum.js, nowhere else), and the rep's
// choice of app, kept on the phone (IndexedDB meta, which logging out keeps).
//   高德 (amap)    https://uri.amap.com/navigation  GCJ-02, coordinate=gaode; callnative=1 opens the app
//   百度 (baidu)   baidumap://map/direction, web fallback api.map.baidu.com/direction (output=html);
//                 coord_type=wgs84, so the stored point goes as it is
//   腾讯 (tencent) https://apis.map.qq.com/uri/v1/routeplan  tocoord in GCJ-02 (its default type),
//                 referer = the company's key (TENCENT_MAP_KEY); not offered without one
//   Apple Maps     https://maps.apple.com/?daddr=  GCJ-02 in mainland China (identity elsewhere)
//   geo:           geo:lat,lng?q=lat,lng(name)  WGS-84, the phone's own choice of app
import { getMeta, setMeta } from "./db.js";
import { wgs84ToGcj02 } from "./datum.js";
import { t } from "./i18n.js";
import { settings } from "./settings.js";
import { html } from "./ui.js";

export const SOURCE = "fieldday";
export const BAIDU_SOURCE = "webapp.fieldday.fieldday"; // 百度's src is platform.company.app
export const PROVIDERS = ["amap", "baidu", "tencent", "apple", "geo"];
const META_KEY = "nav_app";

// Six decimals: 0.1 m, finer than any phone's fix.
const fixed = (x) => Number(x).toFixed(6);
const enc = encodeURIComponent;

function stored({ latitude, longitude }) {
  if (latitude == null || longitude == null) return null;
  return [Number(longitude), Number(latitude)];
}

/** 高德: GCJ-02 "lng,lat,name"; mode=car, policy=0 (its recommended route). */
export function amap(place, name = "") {
  const p = stored(place);
  if (!p) return null;
  const [lng, lat] = wgs84ToGcj02(p);
  const to = [fixed(lng), fixed(lat), name].map(enc).join(",");
  return { href: `https://uri.amap.com/navigation?to=${to}&mode=car&policy=0&src=${SOURCE}&coordinate=gaode&callnative=1` };
}

/** 百度: the app's scheme first, its web page when the app is not there; the point stays WGS-84 (coord_type). */
export function baidu(place, name = "") {
  const p = stored(place);
  if (!p) return null;
  const destination = `latlng:${fixed(p[1])},${fixed(p[0])}|name:${name}`;
  const query = `destination=${enc(destination)}&coord_type=wgs84&mode=driving&src=${enc(BAIDU_SOURCE)}`;
  return {
    app: `baidumap://map/direction?${query}`,
    href: `https://api.map.baidu.com/direction?${query}&output=html`,
  };
}

/** 腾讯: GCJ-02 "lat,lng" and the company's key as referer; null without a key. */
export function tencent(place, name = "", key = "") {
  const p = stored(place);
  if (!p || !key) return null;
  const [lng, lat] = wgs84ToGcj02(p);
  return {
    href: `https://apis.map.qq.com/uri/v1/routeplan?type=drive&to=${enc(name)}&tocoord=${fixed(lat)},${fixed(lng)}&referer=${enc(key)}`,
  };
}

/** Apple Maps: driving directions to GCJ-02 "lat,lng" (Apple's maps of mainland China are GCJ-02). */
export function apple(place) {
  const p = stored(place);
  if (!p) return null;
  const [lng, lat] = wgs84ToGcj02(p);
  return { href: `https://maps.apple.com/?daddr=${fixed(lat)},${fixed(lng)}&dirflg=d` };
}

/** geo: URI (RFC 5870) with the name as Android's label, WGS-84. */
export function geo(place, name = "") {
  const p = stored(place);
  if (!p) return null;
  const [lng, lat] = p.map(fixed);
  return { href: `geo:${lat},${lng}?q=${lat},${lng}(${enc(name)})` };
}

const BUILDERS = { amap, baidu, tencent, apple, geo };

/** The link for `provider` to an account (or anything with latitude/longitude/name); null without a position. */
export function navLink(provider, place, { tencentKey = "" } = {}) {
  const build = BUILDERS[provider];
  if (!build) throw new RangeError(`unknown navigation app ${provider}`);
  return build(place, place.name ?? "", tencentKey);
}

/** The apps this phone can be offered (腾讯 only with the company's key). */
export function available({ tencentKey = "" } = {}) {
  return PROVIDERS.filter((p) => p !== "tencent" || tencentKey);
}

const CHINA_ZONES = ["Asia/Shanghai", "Asia/Urumqi", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "PRC"];

/** Without a choice: iPhone/iPad -> Apple Maps, Android in China (time zone or zh-CN) -> 高德, else geo:. */
export function defaultProvider({
  userAgent = navigator.userAgent,
  timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone,
  language = navigator.language,
} = {}) {
  if (/iPhone|iPad|iPod/.test(userAgent) || (/Macintosh/.test(userAgent) && /Mobile/.test(userAgent))) return "apple";
  const inChina = CHINA_ZONES.includes(timeZone) || /^zh-(CN|Hans-CN)$/i.test(language ?? "");
  if (/Android/.test(userAgent) && inChina) return "amap";
  return "geo";
}

/** The rep's chosen app on this phone, else the phone's default. */
export async function chosenProvider(options = {}) {
  const kept = await getMeta(META_KEY, null);
  return available(options).includes(kept) ? kept : defaultProvider();
}

export async function chooseProvider(provider) {
  if (!PROVIDERS.includes(provider)) throw new RangeError(`unknown navigation app ${provider}`);
  await setMeta(META_KEY, provider);
}

/** Opens an app-scheme link (百度) and falls back to its web page when the app did not take over. */
export function openWithFallback(link, { wait = 1500 } = {}) {
  if (!link.app) return false;
  let left = false;
  const away = () => { left = true; };
  document.addEventListener("visibilitychange", away, { once: true });
  window.addEventListener("pagehide", away, { once: true });
  location.href = link.app;
  setTimeout(() => {
    document.removeEventListener("visibilitychange", away);
    window.removeEventListener("pagehide", away);
    if (!left && !document.hidden) location.href = link.href;
  }, wait);
  return true;
}

/** What a screen needs to draw its Navigate buttons: the chosen app and the company's 腾讯 key. */
export async function navContext() {
  const tencentKey = settings().tencent_map_key ?? "";
  return { provider: await chosenProvider({ tencentKey }), tencentKey };
}

/** "Navigate" to a place in the chosen app; nothing without a position. Wire clicks with wireNavLinks. */
export function navButton(place, { provider, tencentKey }) {
  const link = navLink(provider, place, { tencentKey });
  if (!link) return "";
  const web = link.href.startsWith("https:");
  return html`<a class="button secondary nav-link" href="${link.href}" data-provider="${provider}"
    data-app="${link.app ?? ""}" target="${web ? "_blank" : "_self"}" rel="noopener"
    title="${t(`nav.app.${provider}`)}">${t("today.navigate")}</a>`;
}

/** A link with an app scheme (百度) tries the app, then its web page. */
export function wireNavLinks(root) {
  root.addEventListener("click", (event) => {
    const a = event.target.closest("a.nav-link[data-app]");
    if (!a || !a.dataset.app) return;
    event.preventDefault();
    openWithFallback({ app: a.dataset.app, href: a.href });
  });
}

/** The Me screen's choice of navigation app. */
export function navChoice({ provider, tencentKey }) {
  return html`<label>${t("nav.choose")}
    <select id="nav-app">${available({ tencentKey }).map((p) =>
      html`<option value="${p}" ${p === provider ? html`selected` : ""}>${t(`nav.app.${p}`)}</option>`)}</select></label>
    <p class="muted">${t("nav.explains")}</p>`;
}
