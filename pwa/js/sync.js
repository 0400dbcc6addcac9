// The sync client: push the outbox, then pull the change log (sync/PROTOCOL.md).
// Runs on app start, on `online`, after each local write and on a timer; one runner at a
// time across tabs (Web Locks). No Background Sync: iOS Safari lacks it.
import { ApiError, request } from "./api.js";
import { STORES, RECORD_STORES, clearRecords, db, getMeta, outbox, setMeta, uuid, waitingCount } from "./db.js";
import { emit } from "./state.js";

const BATCH = 200;
const PAGE = 1000; // the server's largest page: fewer round trips and transactions
const TIMER_MS = 60_000;

let queued = null; // the one follow-up run waiting for the lock
let status = { state: "idle", waiting: 0, lastSync: null, error: null, rejected: [] };

export function currentStatus() {
  return status;
}

async function publish(patch) {
  status = { ...status, ...patch, waiting: await waitingCount(), lastSync: await getMeta("last_sync", null),
             rejected: await getMeta("rejected", []) };
  emit("sync-status", status);
}

export async function clientId() {
  let id = await getMeta("client_id");
  if (!id) {
    id = uuid();
    await setMeta("client_id", id);
  }
  return id;
}

/** Sync now unless a sync is already running here or in another tab. */
export async function syncNow() {
  if (!navigator.onLine) return publish({ state: "offline" });
  const run = async () => {
    await publish({ state: "syncing", error: null });
    try {
      await push();
      await pull();
      await setMeta("last_sync", new Date().toISOString());
      await publish({ state: "idle" });
      emit("data-changed");
    } catch (error) {
      const state = error.status === 0 ? "offline" : error.code === "login_required" ? "login" : "error";
      await publish({ state, error: state === "offline" ? null : error.message });
    }
  };
  if (!navigator.locks) return run();
  return navigator.locks.request("fieldday-sync", { ifAvailable: true }, (lock) => {
    if (lock) return run();
    // A sync is running (here or in another tab) and may have passed the outbox already:
    // queue one more run after it, coalescing any number of requests made meanwhile.
    queued ??= navigator.locks.request("fieldday-sync", () => {
      queued = null;
      return run();
    });
    return queued;
  });
}

async function push() {
  const client_id = await clientId();
  for (;;) {
    const batch = (await outbox()).slice(0, BATCH);
    if (!batch.length) return;
    let answer;
    try {
      answer = await request("POST", "/api/sync/push", { client_id, mutations: batch });
    } catch (error) {
      if (error instanceof ApiError && error.code === "seq_gap") {
        await renumber(batch, error.body.error.expected_seq);
        continue;
      }
      if (error instanceof ApiError && error.code === "upgrade_required") {
        throw new ApiError(426, { error: { code: "upgrade_required", message: "Update the app to send the rest." } });
      }
      throw error;
    }
    await settle(batch, answer.results);
  }
}

// The server never applied anything past its last seq, so the queue can be renumbered from there.
async function renumber(batch, expected) {
  if (!(expected < batch[0].seq)) throw new ApiError(409, { error: { code: "seq_gap", message: "Sync sequence out of step." } });
  const tx = (await db()).transaction(["outbox", "meta"], "readwrite");
  const store = tx.objectStore("outbox");
  const entries = await store.getAll();
  await store.clear();
  let seq = expected;
  for (const entry of entries) await store.put({ ...entry, seq: seq++ });
  await tx.objectStore("meta").put(seq, "next_seq");
  await tx.done;
}

async function settle(batch, results) {
  const byId = new Map(batch.map((m) => [m.id, m]));
  const tx = (await db()).transaction([...RECORD_STORES, "outbox", "meta"], "readwrite");
  const rejected = (await tx.objectStore("meta").get("rejected")) ?? [];
  for (const result of results) {
    const mutation = byId.get(result.id);
    if (!mutation) continue;
    await tx.objectStore("outbox").delete(mutation.seq);
    const store = tx.objectStore(STORES[mutation.entity][0]);
    const status = result.status === "duplicate" ? result.first_status : result.status;
    if (status === "conflict" && result.server) {
      await store.put(result.server);
    } else if (status === "rejected") {
      rejected.push({ entity: mutation.entity, entity_id: mutation.entity_id, reason: result.reason,
                      message: result.message, fields: result.fields, at: new Date().toISOString() });
    } else if (result.version !== undefined && mutation.op !== "delete") {
      const record = await store.get(mutation.entity_id);
      if (record && (record.version ?? 0) < result.version) await store.put({ ...record, version: result.version });
    }
  }
  await tx.objectStore("meta").put(rejected.slice(-50), "rejected");
  await tx.done;
}

async function pull() {
  for (;;) {
    const cursor = await getMeta("cursor", null);
    const query = new URLSearchParams({ limit: PAGE });
    if (cursor) query.set("cursor", cursor);
    const page = await request("GET", `/api/sync/pull?${query}`);
    if (page.reset_required) {
      await clearRecords();
      continue;
    }
    await applyPage(page);
    if (!page.has_more) return;
  }
}

async function applyPage(page) {
  const tx = (await db()).transaction([...RECORD_STORES, "outbox", "meta"], "readwrite");
  // A record with queued local edits keeps the local copy until those edits are pushed.
  const pending = new Set((await tx.objectStore("outbox").getAll()).map((m) => m.entity_id));
  // A page names each record once, so its requests can all be queued at once (IndexedDB runs them in order).
  await Promise.all(page.changes.map(async (change) => {
    const entry = STORES[change.entity];
    if (!entry || pending.has(change.id)) return;
    const store = tx.objectStore(entry[0]);
    if (change.op === "delete") {
      await store.delete(change.id);
      return;
    }
    const local = await store.get(change.id);
    if (!local || (local.version ?? 0) <= change.version) await store.put({ ...change.data, version: change.version });
  }));
  await tx.objectStore("meta").put(page.cursor, "cursor");
  await tx.done;
}

export async function dismissRejected() {
  await setMeta("rejected", []);
  await publish({});
}

export function startSyncTriggers() {
  window.addEventListener("online", () => syncNow());
  window.addEventListener("offline", () => publish({ state: "offline" }));
  setInterval(() => syncNow(), TIMER_MS);
  publish({ state: navigator.onLine ? "idle" : "offline" });
}

export async function refreshStatus() {
  return publish({});
}
