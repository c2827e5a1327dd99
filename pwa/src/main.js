// Entry point: boot the app from IndexedDB, register the service worker, wire the sync triggers.
import { render } from 'preact';
import { html } from 'htm/preact';
import { flushDrafts } from './drafts.js';
import { boot, store, syncNow } from './store.js';
import { App } from './ui/app.js';
import './style.css';

function watchNetwork() {
  addEventListener('online', () => {
    store.set({ online: true });
    if (store.state.session) syncNow();
  });
  addEventListener('offline', () => store.set({ online: false }));
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && store.state.session) syncNow();
    // A hidden app may be killed without another word: write what is being typed now.
    if (document.visibilityState === 'hidden') flushDrafts();
  });
  addEventListener('pagehide', () => flushDrafts());
}

async function registerWorker() {
  if (!('serviceWorker' in navigator)) return;
  const reg = await navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' });
  // A new version waits until the technician chooses to update, so nothing is cut mid-action;
  // then the page reloads onto the new files. The first worker claims the page without a reload.
  let updating = false;
  const offer = (worker) => store.set({
    updateReady: () => {
      updating = true;
      worker.postMessage({ type: 'SKIP_WAITING' });
    },
  });
  if (reg.waiting && navigator.serviceWorker.controller) offer(reg.waiting);
  reg.addEventListener('updatefound', () => {
    const worker = reg.installing;
    worker?.addEventListener('statechange', () => {
      if (worker.state === 'installed' && navigator.serviceWorker.controller) offer(worker);
    });
  });
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (updating) location.reload();
  });
  // Background Sync drains the outbox even after the app is closed, where the browser has it.
  addEventListener('doorstep:queued', () => reg.sync?.register('outbox').catch(() => {}));
  setInterval(() => reg.update().catch(() => {}), 30 * 60 * 1000);
}

render(html`<${App} />`, document.getElementById('app'));
await boot();
watchNetwork();
registerWorker().catch((err) => console.warn('service worker', err));
