// The service worker. The server prepends BUILD (a hash of the app's files) and PRECACHE.
// Shell and vendored files: cache-first from a cache named for this build; old builds' caches
// are deleted on activate. API calls always go to the network: the app keeps its data in
// IndexedDB, so nothing from /api is cached here (a stale API answer could undo a sync).
/* global BUILD, PRECACHE */
const CACHE = `fieldday-shell-${BUILD}`;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("fieldday-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (event.request.mode === "navigate") {
    // Any page load opens the app shell, with or without a network.
    event.respondWith(caches.match("/", { cacheName: CACHE }).then((hit) => hit || fetch(event.request)));
    return;
  }
  event.respondWith(caches.match(url.pathname, { cacheName: CACHE }).then((hit) => hit || fetch(event.request)));
});
