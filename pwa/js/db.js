// The phone's copy of the territory and its outbox, in IndexedDB through idb.
// Rules: a local write and its outbox entry share one transaction; no fetch inside a
// transaction; upgrades add stores step by step and never drop the outbox.
import { openDB, deleteDB } from "../vendor/idb/idb.js";
import { emit } from "./state.js";

export const DB_NAME = "fieldday";
export const DB_VERSION = 3;
export const SCHEMA = 1; // the sync protocol's mutation schema this app writes

// Sync entity name -> object store, and the indexes each store keeps.
export const STORES = {
  account: ["accounts", []],
  contact: ["contacts", ["account_id"]],
  device: ["devices", ["account_id"]],
  opportunity: ["opportunities", ["account_id"]],
  appointment: ["appointments", ["account_id"]],
  visit: ["visits", ["account_id"]],
  activity: ["activities", ["started_at"]],
  route_plan: ["route_plans", ["plan_date"]],
  weekly_review: ["weekly_reviews", ["week"]],
};
export const RECORD_STORES = Object.values(STORES).map(([name]) => name);

let opening = null;

export function db() {
  opening ??= openDB(DB_NAME, DB_VERSION, {
    upgrade(database, oldVersion, _newVersion, transaction) {
      if (oldVersion < 1) {
        for (const [name, indexes] of Object.values(STORES).filter(([store]) => store !== "weekly_reviews")) {
          const store = database.createObjectStore(name, { keyPath: "id" });
          for (const index of indexes) store.createIndex(index, index);
        }
        // Outbox entries are keyed by their protocol seq, so key order is push order.
        database.createObjectStore("outbox", { keyPath: "seq" });
        database.createObjectStore("meta");
      }
      if (oldVersion < 2) {
        // Visits and activities this phone wrote and the server acknowledged, kept a while after
        // leaving the outbox, to offer again if the server lost them (a restore from a backup).
        database.createObjectStore("sent", { keyPath: "id" });
      }
      if (oldVersion < 3) {
        // The weekly reviews' focus points. An older app skipped their changes, so a phone coming from
        // version 1 or 2 takes the snapshot again (the outbox stays) to get those written meanwhile.
        database.createObjectStore("weekly_reviews", { keyPath: "id" }).createIndex("week", "week");
        if (oldVersion >= 1) transaction.objectStore("meta").delete("cursor");
      }
      // Later versions: add `if (oldVersion < n) { ... }` steps here; never delete "outbox".
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

export function uuid() {
  return crypto.randomUUID();
}

/**
 * Write a record locally and queue its mutation, in one transaction.
 * `op` is create|update|delete; for update, `changes` holds only the changed fields.
 * `local` is kept in the local record only, over `changes` (e.g. the stops of a day as the phone timed them).
 */
export async function writeLocal(entity, op, id, changes, { baseVersion, local = {} } = {}) {
  const [storeName] = STORES[entity];
  const tx = (await db()).transaction([storeName, "outbox", "meta"], "readwrite");
  tx.done.catch(() => {}); // an abort is reported below, once
  let mutation;
  try {
    const store = tx.objectStore(storeName);
    const meta = tx.objectStore("meta");
    const seq = (await meta.get("next_seq")) ?? 1;
    const current = await store.get(id);
    if (op === "delete") {
      await store.delete(id);
    } else {
      // `local`: what the phone derives from the change (shown at once), not sent: the server derives its own.
      await store.put({ ...(current ?? {}), ...changes, ...local, id, version: current?.version ?? 0 });
    }
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

export async function outbox() {
  return (await db()).getAll("outbox");
}

/** Records waiting to sync: distinct records, however many edits each has queued. */
export async function waitingCount() {
  const entries = await outbox();
  return new Set(entries.map((m) => `${m.entity}:${m.entity_id}`)).size;
}

/** Forget every server record, keeping the outbox. After a reset (`reoffer`), what this phone
 *  sent is offered again once the snapshot is in; for another user, what the last one sent is dropped. */
export async function clearRecords({ reoffer = false } = {}) {
  const tx = (await db()).transaction([...RECORD_STORES, "sent", "meta"], "readwrite");
  await Promise.all(RECORD_STORES.map((name) => tx.objectStore(name).clear()));
  await tx.objectStore("meta").delete("cursor");
  if (reoffer) await tx.objectStore("meta").put(true, "reoffer");
  else await Promise.all([tx.objectStore("sent").clear(), tx.objectStore("meta").delete("reoffer")]);
  await tx.done;
}

export async function wipe() {
  (await db()).close();
  opening = null;
  await deleteDB(DB_NAME);
}
