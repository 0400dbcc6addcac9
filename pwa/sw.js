// The service worker. The server prepends BUILD (a hash of the app's files), PRECACHE (the shell and every
// file at its versioned URL) and TILE_CACHE_BYTES.
// Web Push messages (server/notify/webpush.py) are shown as notifications; a tap opens the app.
// Shell and vendored files: cache-first from a cache named for this build; old builds' caches
// are deleted on activate. API calls always go to the network: the app keeps its data in
// IndexedDB, so nothing from /api is cached here (a stale API answer could undo a sync).
// Map tiles (the only images the app loads from another origin: the CSP lets in nothing else) are kept
// in a cache of their own across builds, at most TILE_CACHE_BYTES of them, the least recently used dropped
// first: a map seen in the morning still draws in a basement. A tile kept is drawn from the cache, without the
// network.
/* global BUILD, PRECACHE, TILE_CACHE_BYTES */
const CACHE = `fieldday-shell-${BUILD}`;
const TILES = "fieldday-tiles";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("fieldday-") && name !== CACHE && name !== TILES) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// Tiles are kept least recently used first: a tile drawn from the cache is put again (the Cache API appends
// a put, so its order is the order of use, and survives the worker being stopped between uses). Their bytes
// are added up once per worker's life from the size each was stored with, then kept count of; one change at
// a time. A readable tile (its server answers CORS) is stored with its size; an opaque one cannot be read and
// is counted as OPAQUE_TILE_BYTES (a typical tile).
const TILE_BYTES = "X-Fieldday-Tile-Bytes";
const OPAQUE_TILE_BYTES = 32 * 1024;
let tileIndex = null; // url -> bytes, least recently used first (a Map keeps the order of its sets)
let tileBytes = 0;
let tileQueue = Promise.resolve();

function tileJob(job) {
  tileQueue = tileQueue.then(job).catch(() => { tileIndex = null; }); // counted afresh next time
  return tileQueue;
}

function storedBytes(response) {
  const bytes = Number(response.headers.get(TILE_BYTES));
  return Number.isFinite(bytes) && bytes > 0 ? bytes : OPAQUE_TILE_BYTES;
}

async function tileSizes(cache) {
  if (tileIndex) return tileIndex;
  const index = new Map();
  let total = 0;
  for (const request of await cache.keys()) {
    const kept = await cache.match(request);
    if (!kept) continue;
    const bytes = storedBytes(kept);
    index.set(request.url, bytes);
    total += bytes;
  }
  tileIndex = index;
  tileBytes = total;
  return index;
}

function noteTile(index, url, bytes) {
  tileBytes += bytes - (index.get(url) || 0);
  index.delete(url);
  index.set(url, bytes); // now the most recently used
}

// Past the cap (or when the storage refused a tile): the least recently used go, down to nine tenths of it,
// so that the next trim is some tiles away. The tile just kept is never the one dropped.
async function trimTiles(cache, index, limit, spare, full = false) {
  if (tileBytes <= limit && !full) return;
  const target = Math.floor(limit * 0.9);
  for (const [url, bytes] of index) {
    if (tileBytes <= target) break;
    if (url === spare) continue;
    await cache.delete(url);
    index.delete(url);
    tileBytes -= bytes;
  }
}

// A tile drawn from the cache: put again, as the most recently used.
function touchTile(cache, url, response) {
  return tileJob(async () => {
    const index = await tileSizes(cache);
    await cache.put(url, response);
    noteTile(index, url, storedBytes(response));
    await trimTiles(cache, index, TILE_CACHE_BYTES, url);
  });
}

// A tile from the network, stored (readable: with its size) before it is answered, so a tile drawn is a tile
// kept; counted, and the cache trimmed, after.
async function keepTile(event, cache, url, response) {
  let stored = response;
  let bytes = OPAQUE_TILE_BYTES;
  if (response.type !== "opaque") {
    const body = await response.blob();
    bytes = body.size;
    const headers = new Headers(response.headers);
    headers.set(TILE_BYTES, String(bytes));
    stored = new Response(body, { status: response.status, statusText: response.statusText, headers });
  }
  let full = false;
  try {
    await cache.put(url, stored);
  } catch {
    full = true; // the storage refused it: make room; the tile is still drawn
  }
  event.waitUntil(tileJob(async () => {
    const index = await tileSizes(cache);
    if (full) {
      await trimTiles(cache, index, Math.min(TILE_CACHE_BYTES, tileBytes), url, true);
      return;
    }
    noteTile(index, url, bytes);
    await trimTiles(cache, index, TILE_CACHE_BYTES, url);
  }));
}

// A tile server that answers CORS gives a readable tile, stored at its own size; one that does not gives an
// opaque one, which the browser counts as far larger against the site's storage quota. Each origin is asked
// with CORS first; one that refuses is asked without from then on (for this worker's life).
const opaqueOrigins = new Set();

async function fetchTile(request) {
  const origin = new URL(request.url).origin;
  if (opaqueOrigins.has(origin)) return fetch(request);
  try {
    return await fetch(new Request(request.url, { mode: "cors", credentials: "omit" }));
  } catch {
    // No CORS, or no network: the plain request says which (it fails too without a network).
    const response = await fetch(request);
    opaqueOrigins.add(origin);
    return response;
  }
}

// A kept tile is answered at once, noting its use after; a new one once it is kept.
async function tile(event) {
  const url = event.request.url;
  const cache = await caches.open(TILES);
  const kept = await cache.match(url);
  if (kept) {
    event.waitUntil(touchTile(cache, url, kept.clone()));
    return kept;
  }
  const response = await fetchTile(event.request);
  // An opaque answer (a tile server without CORS) cannot be read, only kept: status 0 is taken as a tile.
  if (response.ok || response.type === "opaque") {
    await keepTile(event, cache, url, response.clone()).catch(() => {}); // not kept: still drawn
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET") return;
  if (url.origin !== self.location.origin) {
    if (event.request.destination === "image" && /^https?:$/.test(url.protocol)) event.respondWith(tile(event));
    return;
  }
  if (url.pathname.startsWith("/api/")) return;
  if (event.request.mode === "navigate") {
    // Any page load opens the app shell, with or without a network.
    event.respondWith(caches.match("/", { cacheName: CACHE }).then((hit) => hit || fetch(event.request)));
    return;
  }
  // The app asks for its files by versioned URLs (`?v=` a hash of the file); this build's cache holds one
  // version of each path, which answers whatever version is asked for (a page of an older build included).
  event.respondWith(caches.match(url.pathname, { cacheName: CACHE, ignoreSearch: true })
    .then((hit) => hit || fetch(event.request)));
});

// Web Push (server/notify/webpush.py): a notice shown as a notification; a tap opens the app at its address.
self.addEventListener("push", (event) => {
  let message;
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = { body: event.data ? event.data.text() : "" };
  }
  event.waitUntil(self.registration.showNotification(message.title || "Fieldday", {
    body: message.body || "", tag: message.tag, icon: "/icons/icon-192.png", data: { url: message.url || "/" },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url || "/", self.location.origin).href;
  event.waitUntil((async () => {
    for (const client of await self.clients.matchAll({ type: "window", includeUncontrolled: true })) {
      if ("focus" in client) {
        await client.navigate?.(url).catch(() => {});
        return client.focus();
      }
    }
    return self.clients.openWindow(url);
  })());
});
