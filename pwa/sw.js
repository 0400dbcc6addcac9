// The service worker. The server prepends BUILD (a hash of the app's files), PRECACHE (the shell and every
// file at its versioned URL) and TILE_CACHE_MAX.
// Shell and vendored files: cache-first from a cache named for this build; old builds' caches
// are deleted on activate. API calls always go to the network: the app keeps its data in
// IndexedDB, so nothing from /api is cached here (a stale API answer could undo a sync).
// Map tiles (the only images the app loads from another origin: the CSP lets in nothing else) are kept
// in a cache of their own across builds, at most TILE_CACHE_MAX of them, the oldest dropped first: a map
// seen in the morning still draws in a basement. A tile kept is drawn from the cache, without the network.
/* global BUILD, PRECACHE, TILE_CACHE_MAX */
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

// Tiles are counted once per worker's life (the worker may be stopped between uses), then kept count of;
// one trim at a time, in the order the tiles were put (the Cache API keeps that order).
let tileCount = null;
let trimming = Promise.resolve();

function trimTiles(cache) {
  trimming = trimming.then(async () => {
    if (tileCount === null || tileCount > TILE_CACHE_MAX) {
      const keys = await cache.keys();
      tileCount = keys.length;
      // Past the cap: down to nine tenths of it, so that the next trim is some tiles away.
      const keep = keys.length > TILE_CACHE_MAX ? Math.floor(TILE_CACHE_MAX * 0.9) : keys.length;
      for (const request of keys.slice(0, keys.length - keep)) {
        if (await cache.delete(request)) tileCount -= 1;
      }
    }
  }).catch(() => { tileCount = null; });
  return trimming;
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

async function tile(request) {
  const cache = await caches.open(TILES);
  const kept = await cache.match(request.url);
  if (kept) return kept;
  const response = await fetchTile(request);
  // An opaque answer (a tile server without CORS) cannot be read, only kept: status 0 is taken as a tile.
  if (response.ok || response.type === "opaque") {
    try {
      await cache.put(request.url, response.clone());
      if (tileCount !== null) tileCount += 1;
    } catch {
      tileCount = TILE_CACHE_MAX + 1; // the storage is full: trim now; the tile is still drawn
    }
    await trimTiles(cache);
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET") return;
  if (url.origin !== self.location.origin) {
    if (event.request.destination === "image" && /^https?:$/.test(url.protocol)) event.respondWith(tile(event.request));
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
