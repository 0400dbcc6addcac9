// The sync client: push the outbox, then pull the change log (sync/PROTOCOL.md).
// Runs on app start, on `online`, after each local write and on a timer; one runner at a
// time across tabs (Web Locks). No Background Sync: iOS Safari lacks it.
import { ApiError, online, request, session } from "./api.js";
import { AUTHORED, PATHS } from "./entities.js";
import { STORES, RECORD_STORES, clearRecords, db, getMeta, outbox, setMeta, uuid, waitingCount, waitingFiles } from "./db.js";
import { keepTeamSettings, teamSettings } from "./settings.js";
import { emit } from "./state.js";
import { unwrap } from "../vendor/idb/idb.js";

const BATCH = 200;
const PAGE = 1000; // the server's largest page: fewer round trips and transactions
const TIMER_MS = 60_000;
const KEEP_SENT_MS = 30 * 86_400_000; // how long acknowledged visits and activities are kept to offer again

let queued = null; // the one follow-up run waiting for the lock
let ongoing = null; // without Web Locks (plain HTTP): the run under way in this tab
let status = { state: "idle", waiting: 0, lastSync: null, error: null, rejected: [] };

export function currentStatus() {
  return status;
}

async function publish(patch) {
  status = { ...status, ...patch, waiting: await waitingCount(), lastSync: await getMeta("last_sync", null),
             rejected: await getMeta("rejected", []), conflicts: await getMeta("conflicts", []) };
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
  if (!online()) return publish({ state: "offline" });
  const auth = await session();
  // Logged out: nothing is sent or fetched until someone logs in (the queue waits for its author).
  if (!auth?.access_token || auth.logged_out) return publish({ state: "login" });
  const run = async () => {
    await publish({ state: "syncing", error: null, progress: null });
    try {
      let changed = (await push()) > 0;
      await reportDecided();
      // Photos' bytes, once their records are accepted; a refusal blocks nothing. The photo module loads
      // only when there is a photo to send (a phone that takes none never loads it).
      if ((await waitingFiles("photo")).length) {
        await (await import("./photos.js")).uploadWaiting();
        changed = true;
      }
      changed = (await pull()) > 0 || changed;
      if (await offerAgain()) {
        await push();
        await pull();
        changed = true;
      }
      changed = (await fetchTeamSettings()) || changed;
      // The first sync this phone finishes changes what a screen may say ("bringing today's route"), even empty.
      changed = (await getMeta("last_sync", null)) === null || changed;
      await setMeta("last_sync", new Date().toISOString());
      await publish({ state: "idle" });
      // `changed`: whether anything the phone holds changed (a screen drawn a moment ago needs no new drawing).
      emit("data-changed", { changed });
    } catch (error) {
      const state = error.status === 0 ? "offline" : error.code === "login_required" ? "login" : "error";
      await publish({ state, error: state === "offline" ? null : error.message, code: error.code });
    }
  };
  if (!navigator.locks) return oneAtATime(run); // an insecure context (plain HTTP) has no Web Locks
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

/** Without Web Locks, runs in this tab take turns as under the lock: one under way, one more queued after it
 *  (any number of requests made meanwhile coalesced into it). Two runs at once would each pull and write. */
function oneAtATime(run) {
  if (!ongoing) {
    ongoing = run().finally(() => { ongoing = null; });
    return ongoing;
  }
  queued ??= ongoing.then(() => {
    queued = null;
    return oneAtATime(run);
  });
  return queued;
}

/** The team's settings as the server has them now (after login and with each sync), kept on the phone;
 *  whether they differ from those kept before. */
export async function fetchTeamSettings() {
  const before = JSON.stringify(teamSettings());
  const answer = await request("GET", "/api/settings");
  await keepTeamSettings(answer);
  return JSON.stringify(answer) !== before;
}

/** Send the outbox; how many changes were sent. */
async function push() {
  const client_id = await clientId();
  let sent = 0;
  for (;;) {
    const batch = (await outbox()).slice(0, BATCH);
    if (!batch.length) return sent;
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
    await revert(await settle(batch, answer.results));
    sent += batch.length;
  }
}

/** The conflicts whose fields the rep has decided (kept theirs or the office's), told to the server, which
 *  otherwise tells the rep's manager of one left open (sync/PROTOCOL.md). One the server does not know (this
 *  phone's client id was replaced) is dropped; a network failure keeps them for the next run. */
async function reportDecided() {
  const ids = (await getMeta("conflicts_decided", [])).slice(0, BATCH);
  if (!ids.length) return;
  try {
    await request("POST", "/api/sync/conflicts/resolved", { client_id: await clientId(), ids });
  } catch (error) {
    if (!(error instanceof ApiError && [404, 422].includes(error.status))) throw error;
  }
  const told = new Set(ids);
  await setMeta("conflicts_decided", (await getMeta("conflicts_decided", [])).filter((id) => !told.has(id)));
}

/** A refused change does not stay on the phone as if it were stored: the record is read back from the
 *  server (a refused create, not there, is removed), unless later edits of it still wait to be sent.
 *  The refusal itself stays listed in the banner until dismissed. */
async function revert(refused) {
  if (!refused.length) return;
  const waiting = new Set((await outbox()).map((m) => `${m.entity}:${m.entity_id}`));
  for (const mutation of refused) {
    if (waiting.has(`${mutation.entity}:${mutation.entity_id}`) || !PATHS[mutation.entity]) continue;
    let server = null;
    try {
      server = await request("GET", `/api/${PATHS[mutation.entity]}/${mutation.entity_id}`);
    } catch (error) {
      if (error.status !== 404) continue; // offline or failing: the banner still says it was refused
    }
    const tx = (await db()).transaction(STORES[mutation.entity][0], "readwrite");
    if (server) await tx.store.put(server);
    else await tx.store.delete(mutation.entity_id);
    await tx.done;
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
  const tx = (await db()).transaction([...RECORD_STORES, "outbox", "sent", "meta"], "readwrite");
  const rejected = (await tx.objectStore("meta").get("rejected")) ?? [];
  const conflicts = (await tx.objectStore("meta").get("conflicts")) ?? [];
  const refused = [];
  const now = Date.now();
  for (const result of results) {
    const mutation = byId.get(result.id);
    if (!mutation) continue;
    await tx.objectStore("outbox").delete(mutation.seq);
    const store = tx.objectStore(STORES[mutation.entity][0]);
    const status = result.status === "duplicate" ? result.first_status : result.status;
    if (status === "applied" && AUTHORED.has(mutation.entity) && mutation.op !== "delete") {
      await tx.objectStore("sent").put({ ...mutation, acked_at: now });
    }
    if (status === "conflict" && result.server) {
      await store.put(result.server);
      // Both values stay on the phone until the rep chooses (on the record's screen).
      if (result.conflicts) conflicts.push({ key: mutation.id, entity: mutation.entity, entity_id: mutation.entity_id,
                                            conflicts: result.conflicts, at: new Date().toISOString() });
    } else if (status === "rejected") {
      refused.push(mutation);
      rejected.push({ entity: mutation.entity, entity_id: mutation.entity_id, reason: result.reason,
                      message: result.message, fields: result.fields, fieldCodes: result.field_codes,
                      at: new Date().toISOString() });
    } else if (result.version !== undefined && mutation.op !== "delete") {
      const record = await store.get(mutation.entity_id);
      if (record && (record.version ?? 0) < result.version) await store.put({ ...record, version: result.version });
    }
  }
  await tx.objectStore("meta").put(rejected.slice(-50), "rejected");
  await tx.objectStore("meta").put(conflicts.slice(-50), "conflicts");
  for (const kept of await tx.objectStore("sent").getAll()) {
    if (now - kept.acked_at > KEEP_SENT_MS) await tx.objectStore("sent").delete(kept.id);
  }
  await tx.done;
  return refused;
}

/** After a reset, once the snapshot is in: queue again, under their own mutation ids, the visits and
 *  activities this phone sent that the snapshot lacks (the server lost them: a restore). A server
 *  that still knows a mutation answers it `duplicate`, so nothing deleted there comes back. */
async function offerAgain() {
  const tx = (await db()).transaction([...RECORD_STORES, "outbox", "sent", "meta"], "readwrite");
  const meta = tx.objectStore("meta");
  if (!(await meta.get("reoffer"))) {
    await tx.done;
    return 0;
  }
  const queued = new Set((await tx.objectStore("outbox").getAll()).map((m) => m.id));
  const kept = (await tx.objectStore("sent").getAll()).sort((a, b) => a.seq - b.seq);
  let seq = (await meta.get("next_seq")) ?? 1;
  let offered = 0;
  for (const mutation of kept) {
    const store = tx.objectStore(STORES[mutation.entity][0]);
    if (queued.has(mutation.id) || (await store.get(mutation.entity_id))) continue;
    const { acked_at, ...again } = mutation;
    await tx.objectStore("outbox").put({ ...again, seq: seq++ });
    offered += 1;
  }
  // The records come back on screen from what was sent (a create holds the whole record).
  for (const mutation of kept) {
    const store = tx.objectStore(STORES[mutation.entity][0]);
    const local = await store.get(mutation.entity_id);
    if (mutation.op === "create" && !local) await store.put({ ...mutation.data, id: mutation.entity_id, version: 0 });
    else if (mutation.op === "update" && local && (local.version ?? 0) === 0) await store.put({ ...local, ...mutation.data });
  }
  await meta.put(seq, "next_seq");
  await meta.delete("reoffer");
  await tx.done;
  return offered;
}

/** One page of the change log (or of the snapshot, without a cursor). Its failure is seen where it is awaited,
 *  never as an unhandled rejection while the page before it is being written. */
function fetchPage(cursor) {
  const query = new URLSearchParams({ limit: PAGE });
  if (cursor) query.set("cursor", cursor);
  const page = request("GET", `/api/sync/pull?${query}`);
  page.catch(() => {});
  return page;
}

async function recordsHeld() {
  const tx = (await db()).transaction(RECORD_STORES);
  const counts = await Promise.all(RECORD_STORES.map((name) => tx.objectStore(name).count()));
  await tx.done;
  return counts.reduce((a, b) => a + b, 0);
}

/** Pull until the server has nothing more: page N+1 is fetched while page N is written. A snapshot taken
 *  into an empty phone writes its records without reading each first (there is nothing to compare with),
 *  and the indicator counts its progress ("12,000 / 25,188"). Returns how many changes came (a reset counts). */
async function pull() {
  const cursor = await getMeta("cursor", null);
  let blind = !cursor && (await recordsHeld()) === 0;
  let next = fetchPage(cursor);
  let done = 0;
  let resets = 0;
  let total = null;
  for (;;) {
    const page = await next;
    if (page.reset_required) {
      await clearRecords({ reoffer: true });
      resets += 1; // the phone's copy is gone: whatever the snapshot brings, the screens change
      blind = true; // emptied just now
      next = fetchPage(null);
      continue;
    }
    next = page.has_more ? fetchPage(page.cursor) : null;
    if (blind && page.first?.length) {
      // The day's plans and their accounts first: Today draws while the rest of the snapshot comes.
      await writeFirst(page.first);
      emit("data-changed", { changed: true });
    }
    total ??= page.snapshot_total ?? null;
    await applyPage(page, { blind: blind && page.snapshot === true });
    done += page.changes.length;
    if (total !== null && page.has_more) await publish({ progress: { done: Math.min(done, total), total } });
    if (!page.has_more) {
      if (total !== null) await publish({ progress: null });
      return done + resets;
    }
  }
}

/** Write a page and its cursor in one transaction. `blind`: a snapshot's page, and the phone held no record
 *  when the snapshot started, so a record is put without reading the phone's copy first (a snapshot names
 *  each record once; a record the rep changes meanwhile waits in the outbox and is skipped as always). The
 *  change log after the snapshot is written as always, version against version. (Exported for make bench,
 *  which compares ways of taking a snapshot.) */
export async function applyPage(page, { blind = false } = {}) {
  const tx = (await db()).transaction([...RECORD_STORES, "outbox", "meta"], "readwrite");
  // A record with queued local edits keeps the local copy until those edits are pushed.
  const pending = new Set((await tx.objectStore("outbox").getAll()).map((m) => m.entity_id));
  if (blind) return writeBlind(tx, page, pending);
  const notices = (await tx.objectStore("meta").get("plan_notices")) ?? [];
  const noticed = notices.length;
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
    const plan = change.data;
    if (change.entity === "route_plan" && plan.changed_by && plan.changed_by !== plan.rep_id && local
        && local.changed_at !== plan.changed_at) {
      // Someone else re-planned the rep's day: say so, never change it behind their back.
      notices.push({ plan_date: plan.plan_date, name: plan.changed_by_name, at: plan.changed_at });
    }
    if (!local || (local.version ?? 0) <= change.version) await store.put({ ...change.data, version: change.version });
  }));
  if (notices.length !== noticed) await tx.objectStore("meta").put(notices.slice(-10), "plan_notices");
  await tx.objectStore("meta").put(page.cursor, "cursor");
  await tx.done;
}

/** A snapshot's page written blind, as plain IndexedDB requests, none awaited on its own: the transaction's end
 *  says every one was written (a failed one aborts it, and the page with it). A promise and a wrapper per record
 *  cost about as much as the write: a 25,000-record snapshot's writes alone took 0.79 of the time this way (medians
 *  of 14 turns in one page, 2.67 -> 2.11 s on a loaded machine). A page's records are the sync's own, parsed from
 *  its answer: each takes its version in place. */
async function writeBlind(tx, page, pending) {
  putBlind(unwrap(tx), page.changes, pending).objectStore("meta").put(page.cursor, "cursor");
  await tx.done;
}

/** A snapshot's first records (its first page's `first`: the day's plans, their accounts and appointments, open
 *  and recent visits), written blind before the rest, without a cursor: each comes again in its place. */
async function writeFirst(changes) {
  const tx = (await db()).transaction([...RECORD_STORES, "outbox"], "readwrite");
  const pending = new Set((await tx.objectStore("outbox").getAll()).map((m) => m.entity_id));
  putBlind(unwrap(tx), changes, pending);
  await tx.done;
}

/** Queue a put (or delete) of each change not waiting in the outbox, on the raw transaction; returns it. */
function putBlind(raw, changes, pending) {
  const stores = {};
  for (const change of changes) {
    const entry = STORES[change.entity];
    if (!entry || pending.has(change.id)) continue;
    const store = (stores[entry[0]] ??= raw.objectStore(entry[0]));
    if (change.op === "delete") {
      store.delete(change.id);
      continue;
    }
    change.data.version = change.version;
    store.put(change.data);
  }
  return raw;
}

export async function dismissRejected() {
  await setMeta("rejected", []);
  await publish({});
}

export function startSyncTriggers() {
  window.addEventListener("online", () => syncNow());
  window.addEventListener("offline", () => publish({ state: "offline" }));
  setInterval(() => syncNow(), TIMER_MS);
  publish({ state: online() ? "idle" : "offline" });
}

export async function refreshStatus() {
  return publish({});
}
