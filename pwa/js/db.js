// The phone's copy of the territory and its outbox, in IndexedDB through idb.
// Rules: a local write and its outbox entry share one transaction; no fetch inside a
// transaction; upgrades add stores step by step and never drop the outbox.
import { openDB, deleteDB } from "../vendor/idb/idb.js";
import { emit } from "./state.js";

import { BINARY, DB_VERSION, STORES } from "./entities.js";

export { DB_VERSION, STORES };

/** The store that keeps the bytes (Blobs) of a binary entity's records on this phone: "photo_files". */
export function filesStore(entity) {
  return `${entity}_files`;
}
export const DB_NAME = "fieldday";
/** The meta key of the Team screen's last figures (reports.js), forgotten for another user. */
export const TEAM_FIGURES = "team_figures";
export const SCHEMA = 1; // the sync protocol's mutation schema this app writes

// STORES (entity -> [object store, indexes, version that made it]) and DB_VERSION come from the
// server's declaration of the synced entities (sync/entities.py), generated into entities.js.
export const RECORD_STORES = Object.values(STORES).map(([name]) => name);

let opening = null;

export function db() {
  opening ??= openDB(DB_NAME, DB_VERSION, {
    upgrade(database, oldVersion, _newVersion, transaction) {
      for (const [entity, [name, indexes, since]] of Object.entries(STORES)) {
        if (oldVersion >= since) continue;
        const store = database.createObjectStore(name, { keyPath: "id" });
        for (const index of indexes) store.createIndex(index, index);
        // Beside a binary entity's records, their bytes: kept apart, so a pulled record never replaces them.
        if (BINARY.has(entity)) database.createObjectStore(filesStore(entity), { keyPath: "id" });
      }
      if (oldVersion < 1) {
        // Outbox entries are keyed by their protocol seq, so key order is push order.
        database.createObjectStore("outbox", { keyPath: "seq" });
        database.createObjectStore("meta");
      }
      if (oldVersion < 2) {
        // Visits and activities this phone wrote and the server acknowledged, kept a while after
        // leaving the outbox, to offer again if the server lost them (a restore from a backup).
        database.createObjectStore("sent", { keyPath: "id" });
      }
      if (oldVersion >= 1 && Object.values(STORES).some(([, , since]) => oldVersion < since)) {
        // A new entity's store (the weekly reviews at 3): an older app skipped its changes, so the phone
        // takes the snapshot again (the outbox stays) to get those written meanwhile.
        transaction.objectStore("meta").delete("cursor");
      }
      if (oldVersion >= 1 && oldVersion < 4) {
        // Accounts carry their name's pinyin keys (name_pinyin, name_initials), which the server back-filled
        // without a change row: take the snapshot again (the outbox stays) so offline search finds them.
        transaction.objectStore("meta").delete("cursor");
      }
      // A new entity's store is made from its declaration above. Other changes: add
      // `if (oldVersion < n) { ... }` steps here; never delete "outbox".
    },
    blocking() {
      // A newer app version in another tab wants to upgrade: step aside.
      opening?.then((d) => d.close());
      opening = null;
    },
  });
  return opening;
}

export async function getMeta(key, fallback = undefined) {
  const value = await (await db()).get("meta", key);
  return value === undefined ? fallback : value;
}

export async function setMeta(key, value) {
  return (await db()).put("meta", value, key);
}

export async function all(store) {
  return (await db()).getAll(store);
}

export async function get(store, id) {
  return (await db()).get(store, id);
}

export async function byIndex(store, index, value) {
  return (await db()).getAllFromIndex(store, index, value);
}

/** The route plan kept for a local date, or null. */
export async function planOn(day) {
  const plans = await byIndex("route_plans", "plan_date", day);
  return plans[0] ?? null;
}

/** Keep a plan the server made, in place of any other plan of its day. */
export async function keepPlan(plan) {
  const tx = (await db()).transaction("route_plans", "readwrite");
  for (const old of await tx.store.index("plan_date").getAll(plan.plan_date)) {
    if (old.id !== plan.id) await tx.store.delete(old.id);
  }
  await tx.store.put(plan);
  await tx.done;
}

/**
 * A random UUID (version 4) for a record made on the phone. Browsers offer `crypto.randomUUID` only in a
 * secure context (HTTPS or localhost); `crypto.getRandomValues` everywhere, so over plain HTTP on a LAN
 * address the id is built from it (RFC 9562: version 4, variant 10).
 */
export function uuid() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Write a record locally and queue its mutation, in one transaction.
 * `op` is create|update|delete; for update, `changes` holds only the changed fields.
 * `local` is kept in the local record only, over `changes` (e.g. the stops of a day as the phone timed them).
 */
export async function writeLocal(entity, op, id, changes, { baseVersion, local = {}, file = null } = {}) {
  const [storeName] = STORES[entity];
  // A visit moves its account's last contact on the phone at once (in the same transaction), as the server will.
  const stores = entity === "visit" ? [storeName, "accounts", "outbox", "meta"] : [storeName, "outbox", "meta"];
  // A binary record's bytes (`file`: {blob, ...}) are kept in the same transaction as the record and its mutation.
  if (file) stores.push(filesStore(entity));
  const tx = (await db()).transaction(stores, "readwrite");
  tx.done.catch(() => {}); // an abort is reported below, once
  let mutation;
  try {
    const store = tx.objectStore(storeName);
    const meta = tx.objectStore("meta");
    const seq = (await meta.get("next_seq")) ?? 1;
    const current = await store.get(id);
    let written = null;
    if (op === "delete") {
      await store.delete(id);
    } else {
      // `local`: what the phone derives from the change (shown at once), not sent: the server derives its own.
      written = { ...(current ?? {}), ...changes, ...local, id, version: current?.version ?? 0 };
      await store.put(written);
    }
    if (entity === "visit") await followContact(tx, current ?? null, written);
    if (file) await tx.objectStore(filesStore(entity)).put({ ...file, id, uploaded: false });
    mutation = {
      seq, id: uuid(), entity, entity_id: id, op, schema: SCHEMA, client_time: new Date().toISOString(),
    };
    if (op !== "delete") mutation.data = op === "create" ? { id, ...changes } : changes;
    if (baseVersion !== undefined) mutation.base_version = baseVersion;
    await tx.objectStore("outbox").put(mutation);
    await meta.put(seq + 1, "next_seq");
    await tx.done;
  } catch (error) {
    // Storage full, evicted or a value it cannot keep: nothing of this write may stay behind.
    try { tx.abort(); } catch { /* already aborted by the browser */ }
    emit("local-write-failed", error);
    throw error;
  }
  emit("local-write", mutation);
  return mutation;
}

// An account's last contact as the phone shows it until the server's own value comes back: the rule of
// server/last_contact.py, kept here alone (views read `last_contact_at` and never derive it).
const CONTACT_FIELDS = ["account_id", "check_in_at", "met", "cancelled_at"];

/** The instant (ms) a visit makes its account's last contact, or null when it does not count: checked in,
 *  the customer met, not cancelled; the check-in or now, whichever is earlier. */
export function contactMoment(visit, now = new Date()) {
  if (!visit?.check_in_at || !visit.account_id || visit.met === false || visit.cancelled_at) return null;
  return Math.min(Date.parse(visit.check_in_at), now.getTime());
}

const instant = (iso) => (iso ? Date.parse(iso) : null);
const iso = (ms) => (ms === null ? null : new Date(ms).toISOString());

/** Keep `at` as the account's last contact on the phone, and beside it (`contact_floor`) the value the
 *  server last gave, which the phone's own visits never take it below. A pull of the account replaces both. */
async function putContact(accounts, account, at, floor) {
  if (instant(account.last_contact_at) === at) return;
  // Not an edit of the account: no outbox entry, its version stays (the server derives its own value).
  await accounts.put({ ...account, last_contact_at: iso(at), contact_floor: iso(floor) });
}

/** Follow a visit written on the phone (`before` null on create, `after` null on delete), inside its
 *  transaction: a new visit that counts moves the last contact forward only; a change to its check-in,
 *  meeting, cancellation or account recomputes it from the account's visits on the phone. */
async function followContact(tx, before, after) {
  const accounts = tx.objectStore("accounts");
  const now = new Date();
  if (!before) {
    const at = contactMoment(after, now);
    const account = at === null ? null : await accounts.get(after.account_id);
    if (!account) return;
    const stored = instant(account.last_contact_at);
    const floor = "contact_floor" in account ? instant(account.contact_floor) : stored;
    if (stored === null || stored < at) await putContact(accounts, account, at, floor);
    return;
  }
  if (after && !CONTACT_FIELDS.some((key) => (before[key] ?? null) !== (after[key] ?? null))) return;
  const visits = tx.objectStore("visits").index("account_id");
  for (const accountId of new Set([before.account_id, after?.account_id].filter(Boolean))) {
    const account = await accounts.get(accountId);
    if (!account) continue;
    const own = await visits.getAll(accountId);
    const stored = instant(account.last_contact_at);
    // Without a floor kept yet: a stored value that came from a visit on the phone is decided by the visits,
    // one from elsewhere (an import, a visit this phone never held) is the floor.
    const fromVisit = stored !== null && [...own, before].some((v) => instant(v.check_in_at) === stored);
    const floor = "contact_floor" in account ? instant(account.contact_floor) : fromVisit ? null : stored;
    let latest = floor;
    for (const visit of own) {
      const at = contactMoment(visit, now);
      if (at !== null && (latest === null || at > latest)) latest = at;
    }
    await putContact(accounts, account, latest, floor);
  }
}

export async function outbox() {
  return (await db()).getAll("outbox");
}

/** Records waiting to sync: distinct records, however many edits each has queued, and bytes not yet uploaded. */
export async function waitingCount() {
  const entries = await outbox();
  const waiting = new Set(entries.map((m) => `${m.entity}:${m.entity_id}`));
  for (const entity of BINARY) {
    for (const file of await waitingFiles(entity)) waiting.add(`${entity}:${file.id}`);
  }
  return waiting.size;
}

/** A binary entity's bytes still to upload (not sent, not refused by the server), oldest first. */
export async function waitingFiles(entity) {
  const files = await (await db()).getAll(filesStore(entity));
  return files.filter((f) => !f.uploaded && !f.refused).sort((a, b) => String(a.at).localeCompare(String(b.at)));
}

/** The bytes kept for one record of a binary entity, or undefined. */
export async function getFile(entity, id) {
  return (await db()).get(filesStore(entity), id);
}

/** Mark a record's bytes sent (or refused, with the server's reason); the Blob stays to be shown offline. */
export async function markFile(entity, id, patch) {
  const tx = (await db()).transaction(filesStore(entity), "readwrite");
  const file = await tx.store.get(id);
  if (file) await tx.store.put({ ...file, ...patch });
  await tx.done;
}

/** Forget every server record, keeping the outbox. After a reset (`reoffer`), what this phone
 *  sent is offered again once the snapshot is in; for another user, what the last one sent is dropped. */
export async function clearRecords({ reoffer = false } = {}) {
  const tx = (await db()).transaction([...RECORD_STORES, "sent", "meta"], "readwrite");
  await Promise.all(RECORD_STORES.map((name) => tx.objectStore(name).clear()));
  await tx.objectStore("meta").delete("cursor");
  await tx.objectStore("meta").delete("team_settings"); // the team's settings come again with the next sync
  await tx.objectStore("meta").delete("calendar_feed"); // the feed's URL is its user's secret
  await tx.objectStore("meta").delete("reminders_seen");
  await tx.objectStore("meta").delete(TEAM_FIGURES); // the Team screen's last figures: this user's team only
  if (reoffer) await tx.objectStore("meta").put(true, "reoffer");
  else await Promise.all([tx.objectStore("sent").clear(), tx.objectStore("meta").delete("reoffer")]);
  await tx.done;
}

export async function wipe() {
  (await db()).close();
  opening = null;
  await deleteDB(DB_NAME);
}
