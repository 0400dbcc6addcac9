// The rep's calendar feed: its private URL (made, made again, revoked on the server; the server keeps only a hash
// of its token, so the URL is kept here when it is made, and wiped with the records at logout), the QR code that
// carries it to another device, and one appointment as a `.ics` file.
import { download, request } from "./api.js";
import { getMeta, setMeta } from "./db.js";
import qrcode from "../vendor/qrcode-generator/qrcode.mjs";

/** {active, created_at, url}: the server's state, with the URL this phone made (null when made elsewhere). */
export async function feedState() {
  const kept = await getMeta("calendar_feed", null);
  const state = await request("GET", "/api/calendar/feed");
  if (!state.active && kept) await setMeta("calendar_feed", null);
  const url = state.active && kept && kept.created_at === state.created_at ? kept.url : null;
  return { ...state, url, webcal_url: url ? kept.webcal_url : null };
}

/** The URL kept on the phone (offline), or null. */
export async function keptFeed() {
  return getMeta("calendar_feed", null);
}

/** A new feed URL; the one before it stops working. */
export async function makeFeed() {
  const made = await request("POST", "/api/calendar/feed");
  await setMeta("calendar_feed", made);
  return made;
}

export async function revokeFeed() {
  await request("DELETE", "/api/calendar/feed");
  await setMeta("calendar_feed", null);
}

/** The URL as a QR code (SVG markup). */
export function qrSvg(text) {
  const code = qrcode(0, "M");
  code.addData(text);
  code.make();
  return code.createSvgTag({ cellSize: 4, margin: 2, scalable: true, alt: "QR" });
}

/** One appointment as a `.ics` download. */
export function downloadAppointment(appointment) {
  return download(`/api/calendar/appointments/${appointment.id}.ics`, `appointment-${appointment.starts_at.slice(0, 10)}.ics`);
}
