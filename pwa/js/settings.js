// Settings the server gives every client (the map's tile server, the method's vocabulary), kept for
// starts without signal.
import { getMeta, setMeta } from "./db.js";

const DEFAULTS = {
  map_tile_url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
  map_tile_attribution: "© OpenStreetMap contributors",
  routing_detour: 1.35, // the server's travel model without OSRM: geodesic distance x detour / speed
  routing_speed_kmh: 22,
  checkin_radius_m: 300, // a check-in farther from the account is flagged "away from the account"
  cadence_days: { A: 7, B: 14, C: 30 }, // the method's A/B/C cadence until the server's table is in
};
let current = DEFAULTS;

export function settings() {
  return current;
}

/** The method's codes in the server's order (`stage`: S-P-A-D-C-O, `time_split`, `loss_reason`, …). */
export function vocab(name) {
  return current.vocab?.[name] ?? [];
}

/** The copy kept on the phone (fast), then the server's answer when it comes (kept for next time).
 * On the first start there is no copy of the vocabulary yet: it waits for the server's. */
export async function loadSettings() {
  const kept = await getMeta("settings", {});
  current = { ...DEFAULTS, ...kept };
  const fresh = fetch("/api/client-settings")
    .then((response) => (response.ok ? response.json() : null))
    .then((answer) => answer && setMeta("settings", (current = { ...DEFAULTS, ...answer })))
    .catch(() => {}); // offline: the kept copy stands
  if (!kept.vocab) await fresh;
}
