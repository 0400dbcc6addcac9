// Photos at a visit: scaled and watermarked on the phone, kept with the visit in IndexedDB (a Blob, with
// its record and mutation in one transaction), uploaded by PUT of the bytes under the photo's id once the
// server has accepted the photo's record (sync.js calls `uploadWaiting` after each push).
import { ApiError, getBlob, online, putBytes } from "./api.js";
import { byIndex, get, getFile, markFile, outbox, uuid, waitingFiles, writeLocal } from "./db.js";
import { PATHS } from "./entities.js";
import { lang, t } from "./i18n.js";
import { freshFix } from "./ui.js";

export const MAX_SIDE = 1600; // px, the longer side
export const QUALITY = 0.8; // JPEG quality
// The library's worker loads it from here (its versioned URL, from the shell's import map), never from a CDN.
const LIB_URL = "/vendor/browser-image-compression/browser-image-compression.js";

/** Scale a camera picture down to MAX_SIDE as a JPEG. Chromium applies the EXIF orientation when it draws,
 *  and the library's output carries none, so the picture is never turned twice. The library (20 KB gzipped)
 *  loads with the first picture, not with the app. */
export async function scale(file) {
  const { default: imageCompression } = await import("../vendor/browser-image-compression/browser-image-compression.mjs");
  return imageCompression(file, {
    maxWidthOrHeight: MAX_SIDE, initialQuality: QUALITY, fileType: "image/jpeg", useWebWorker: true, libURL: import.meta.resolve(LIB_URL),
  });
}

/** The watermark's lines, in the app's language: time, account, GPS position with its accuracy, rep. */
export function watermarkLines({ takenAt, accountName, fix, repName }) {
  const time = new Intl.DateTimeFormat(lang(), { dateStyle: "medium", timeStyle: "short" }).format(takenAt);
  const gps = fix?.lat != null
    ? t("photo.mark_gps", { lat: fix.lat.toFixed(5), lng: fix.lng.toFixed(5), m: Math.round(fix.accuracy ?? 0) })
    : t("photo.mark_no_gps");
  return [t("photo.mark_time", { time }), accountName, gps, t("photo.mark_rep", { name: repName })];
}

/** Draw the lines over the bottom of the picture, on a dark band, and encode it as a JPEG. */
export async function watermark(blob, lines) {
  const bitmap = await createImageBitmap(blob);
  const canvas = document.createElement("canvas");
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const size = Math.max(14, Math.round(Math.max(canvas.width, canvas.height) / 48));
  const gap = Math.round(size * 1.3);
  const pad = Math.round(size / 2);
  const band = lines.length * gap + 2 * pad;
  ctx.fillStyle = "rgba(0, 0, 0, 0.6)";
  ctx.fillRect(0, canvas.height - band, canvas.width, band);
  ctx.fillStyle = "#fff";
  ctx.font = `${size}px sans-serif`;
  ctx.textBaseline = "top";
  lines.forEach((line, i) => ctx.fillText(line, pad, canvas.height - band + pad + i * gap, canvas.width - 2 * pad));
  return new Promise((resolve, reject) => canvas.toBlob((out) => (out ? resolve(out) : reject(new Error("encode"))),
                                                        "image/jpeg", QUALITY));
}

/** SHA-256 of a Blob in hex (the server checks the upload against it). */
export async function sha256(blob) {
  if (!crypto.subtle) throw new Error(t("photo.needs_https"));
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Take a photo at a visit: scale, watermark, keep it with its record and mutation. Resolves the record. */
export async function addPhoto(file, { visit, account, repName, caption = "" }) {
  const takenAt = new Date();
  // Photos wait on the phone until sent: ask the browser not to evict them (Safari drops script-written
  // storage after 7 days without use otherwise).
  navigator.storage?.persist?.().catch(() => {});
  const fix = await freshFix(5000);
  const scaled = await scale(file);
  const blob = await watermark(scaled, watermarkLines({ takenAt, accountName: account.name, fix, repName }));
  const id = uuid();
  const record = {
    visit_id: visit.id, taken_at: takenAt.toISOString(), latitude: fix.lat, longitude: fix.lng,
    accuracy_m: fix.accuracy, caption, size: blob.size, sha256: await sha256(blob),
  };
  // The account is the phone's own note (the server takes it from the visit), for the account's history.
  await writeLocal("photo", "create", id, record, { local: { account_id: visit.account_id },
                                                    file: { blob, at: record.taken_at } });
  return { id, ...record };
}

/** Upload the bytes of every photo whose record the server holds, oldest first. A network failure stops
 *  (they go next time); a refusal (another content, too large, not an image) is kept with its reason and
 *  never blocks the rest. Answers how many were sent. */
export async function uploadWaiting() {
  const files = await waitingFiles("photo");
  if (!files.length || !online()) return 0;
  const queued = new Set((await outbox()).map((m) => m.entity_id));
  let sent = 0;
  for (const file of files) {
    const record = await get("photos", file.id);
    if (!record && !queued.has(file.id)) {
      // The server refused the photo's record (its visit was refused): nothing to send it under.
      await markFile("photo", file.id, { refused: { code: "record_refused", message: "" } });
      continue;
    }
    if (!record || queued.has(file.id) || !record.version) continue; // its record is not accepted yet
    try {
      await putBytes(`/api/${PATHS.photo}/${file.id}/content`, file.blob, record.sha256);
      await markFile("photo", file.id, { uploaded: true, sent_at: new Date().toISOString() });
      sent += 1;
    } catch (error) {
      if (!(error instanceof ApiError) || error.code === "digest_mismatch" || error.status === 0 || error.status >= 500 || error.status === 401
          || error.status === 429 || error.status === 404) return sent; // try again on the next sync
      await markFile("photo", file.id, { refused: { code: error.code, message: error.message } });
    }
  }
  return sent;
}

/** The photos of a visit (or an account: `{ account }`), newest first, each with where its picture is
 *  (`url`: an object URL of the phone's copy or of the server's thumbnail, null when neither is at hand)
 *  and its state: "waiting", "sent", "refused" or "server" (taken on another phone). */
export async function photosOf({ visit, account }) {
  const records = visit ? await byIndex("photos", "visit_id", visit) : await byIndex("photos", "account_id", account);
  records.sort((a, b) => String(b.taken_at).localeCompare(String(a.taken_at)));
  return Promise.all(records.map(async (record) => {
    const file = await getFile("photo", record.id);
    let url = file ? URL.createObjectURL(file.blob) : null;
    if (!url && record.uploaded_at && online()) {
      url = await getBlob(`/api/${PATHS.photo}/${record.id}/thumbnail`).then((b) => URL.createObjectURL(b), () => null);
    }
    const state = !file ? "server" : file.refused ? "refused" : file.uploaded ? "sent" : "waiting";
    return { record, url, state, size: file?.blob.size ?? record.size, refused: file?.refused ?? null };
  }));
}

/** An object URL for a photo's picture: the phone's own copy, else the server's thumbnail when online
 *  (null when neither is at hand, or the photo is not the caller's to see). */
export async function thumbnailUrl(id) {
  const file = await getFile("photo", id);
  if (file) return URL.createObjectURL(file.blob);
  if (!online()) return null;
  return getBlob(`/api/${PATHS.photo}/${id}/thumbnail`).then((b) => URL.createObjectURL(b), () => null);
}
