// Settings the server gives every client (the map's tile server), kept for starts without signal.
import { getMeta, setMeta } from "./db.js";

const DEFAULTS = {
  map_tile_url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
  map_tile_attribution: "© OpenStreetMap contributors",
};
let current = DEFAULTS;

export function settings() {
  return current;
}

/** The copy kept on the phone (fast), then the server's answer when it comes (kept for next time). */
export async function loadSettings() {
  current = { ...DEFAULTS, ...(await getMeta("settings", {})) };
  fetch("/api/client-settings")
    .then((response) => (response.ok ? response.json() : null))
    .then((fresh) => fresh && setMeta("settings", (current = { ...DEFAULTS, ...fresh })))
    .catch(() => {}); // offline: the kept copy stands
}
