// Settings from the server. Before login: what every client needs (the map's tile server, the travel model,
// the method's vocabulary), kept for starts without signal. After login and with each sync: the team's settings
// (cadence, service minutes, lunch, first appointment, check-in radius, working days, visit presets, the
// reminders' minutes, camera-only photos), kept in
// IndexedDB with the records and wiped with them at logout. The phone has no copy of its own of either.
import { getMeta, setMeta } from "./db.js";

const DEFAULTS = {
  map_tile_url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
  map_tile_attribution: "© OpenStreetMap contributors",
  routing_detour: 1.35, // the server's travel model without OSRM: geodesic distance x detour / speed
  routing_speed_kmh: 22,
  currency: "CNY", // the currency amounts are shown in, until the server says
};
let current = DEFAULTS;
let team = null; // the logged-in user's team's settings (GET /api/settings), null until they are in

export function settings() {
  return current;
}

/** Whether the server turns addresses into positions (a geocoder is set up); an older server's answer: it may. */
export function geocoding() {
  return current.geocoding !== false;
}

/** The team's settings as the server last gave them, or null (not logged in, or never fetched yet). */
export function teamSettings() {
  return team;
}

/** The method's codes in the server's order (`stage`: S-P-A-D-C-O, `time_split`, `loss_reason`, …). */
export function vocab(name) {
  return current.vocab?.[name] ?? [];
}

/** A code in words in the phone's language (`stage`, "S" -> "潜在客户"), from the server; "" when it has none. */
export function words(name, code, language = "en") {
  const entry = current.words?.[name]?.[code];
  return entry ? entry[language] ?? entry.en ?? "" : "";
}

const PRESETS = { visit_purpose: "visit_purposes", visit_outcome: "visit_outcomes" };

/** The team's presets for a field (`visit_purpose`, `visit_outcome`) in the phone's language, from the server. */
export function phrases(name, language = "en") {
  return (team?.[PRESETS[name]] ?? []).map((p) => p[language] ?? p.en).filter(Boolean);
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

/** The team's settings kept on the phone (after a login); null when there are none yet. */
export async function loadTeamSettings() {
  team = await getMeta("team_settings", null);
  return team;
}

/** Keep the team's settings the server answered (`GET /api/settings`, fetched by sync.js). */
export async function keepTeamSettings(answer) {
  team = answer;
  await setMeta("team_settings", answer);
}

/** Forget them (logout, a reset): the next user may be of another team. */
export function forgetTeamSettings() {
  team = null;
}
