// Datums of positions in China, the phone's side. The rule: every stored position is WGS-84; a point
// goes into GCJ-02 (高德, 腾讯, Apple Maps in mainland China) or BD-09 (百度) only at the edge, here
// (a navigation link), and comes back from them only in the server's server/datum.py (an import).
// The formulas are the vendored gcoord's; this module adds what the server's module decides the same way:
//  - one "in China" rectangle (gcoord's own): outside it every conversion is the identity (gcoord alone
//    would still shift a BD-09 point in London);
//  - an iterative GCJ-02 -> WGS-84 inverse that always ends (gcoord's loops forever for a point near
//    the rectangle's edge whose WGS-84 lies outside it), exact to millimetres inside China.
// Points are [longitude, latitude] in degrees, as GeoJSON and gcoord order them.
import gcoord from "../vendor/gcoord/gcoord.js";

export const WGS84 = "wgs84";
export const GCJ02 = "gcj02";
export const BD09 = "bd09";
export const DATUMS = [WGS84, GCJ02, BD09];

export const CHINA_LNG = [72.004, 137.8347];
export const CHINA_LAT = [0.8293, 55.8271];

export function inChina([lng, lat]) {
  return lng >= CHINA_LNG[0] && lng <= CHINA_LNG[1] && lat >= CHINA_LAT[0] && lat <= CHINA_LAT[1];
}

function point(p) {
  const [lng, lat] = [Number(p?.[0]), Number(p?.[1])];
  if (!Number.isFinite(lng) || !Number.isFinite(lat) || Math.abs(lng) > 180 || Math.abs(lat) > 90) {
    throw new RangeError(`not a position: ${p}`);
  }
  return [lng, lat];
}

export function wgs84ToGcj02(p) {
  const q = point(p);
  return inChina(q) ? gcoord.transform(q, gcoord.WGS84, gcoord.GCJ02) : q;
}

/** The WGS-84 point whose GCJ-02 is `p`: a fixed-point iteration of the forward transform, at most 20 steps. */
export function gcj02ToWgs84(p) {
  const target = point(p);
  if (!inChina(target)) return target;
  let [lng, lat] = target;
  for (let i = 0; i < 20; i++) {
    const [g, h] = wgs84ToGcj02([lng, lat]);
    const [dLng, dLat] = [g - target[0], h - target[1]];
    lng -= dLng;
    lat -= dLat;
    if (Math.abs(dLng) < 1e-10 && Math.abs(dLat) < 1e-10) break;
  }
  return [lng, lat];
}

export function gcj02ToBd09(p) {
  const q = point(p);
  return inChina(q) ? gcoord.transform(q, gcoord.GCJ02, gcoord.BD09) : q;
}

export function bd09ToGcj02(p) {
  const q = point(p);
  return inChina(q) ? gcoord.transform(q, gcoord.BD09, gcoord.GCJ02) : q;
}

export const wgs84ToBd09 = (p) => gcj02ToBd09(wgs84ToGcj02(p));
export const bd09ToWgs84 = (p) => gcj02ToWgs84(bd09ToGcj02(p));

const FROM_WGS84 = { [WGS84]: point, [GCJ02]: wgs84ToGcj02, [BD09]: wgs84ToBd09 };
const TO_WGS84 = { [WGS84]: point, [GCJ02]: gcj02ToWgs84, [BD09]: bd09ToWgs84 };

function known(datum) {
  if (!DATUMS.includes(datum)) throw new RangeError(`unknown datum ${datum}: one of ${DATUMS.join(", ")}`);
  return datum;
}

/** A stored (WGS-84) point in `datum`. */
export const fromWgs84 = (p, datum) => FROM_WGS84[known(datum)](p);
/** A point given in `datum` as WGS-84, as it is stored. */
export const toWgs84 = (p, datum) => TO_WGS84[known(datum)](p);

/** Metres between two [lng, lat] points (haversine, mean Earth radius), as the server's distance_m. */
export function distanceM([lng1, lat1], [lng2, lat2]) {
  const rad = Math.PI / 180;
  const h = Math.sin(((lat2 - lat1) * rad) / 2) ** 2
    + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lng2 - lng1) * rad) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
}
