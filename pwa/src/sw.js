// Service worker: precache the app shell, serve it offline, drain the outbox on Background Sync.
import { clientsClaim } from 'workbox-core';
import { createHandlerBoundToURL, precacheAndRoute, cleanupOutdatedCaches } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { openAppDB } from './db.js';
import { createSyncer } from './sync.js';

// The first version takes the open page at once; later versions wait for the technician (see main.js).
clientsClaim();
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL('/app/index.html'), { allowlist: [/^\/app\//] }));

self.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') self.skipWaiting();
});

self.addEventListener('sync', (event) => {
  if (event.tag !== 'outbox') return;
  event.waitUntil((async () => {
    const db = await openAppDB();
    const result = await createSyncer({ db }).drain();
    db.close();
    // Ask the browser to try again later: it applies its own backoff.
    if (result.status === 'retry') throw new Error('outbox not drained');
  })());
});
