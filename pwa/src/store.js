// App state: read from IndexedDB, refreshed from the server when online, shared with the screens.
import { useEffect, useState } from 'preact/hooks';
import { getMeta, localDate, openAppDB, setMeta } from './db.js';
import { countsByOrder, refusedOps } from './outbox.js';
import { createSyncer } from './sync.js';
import { setLang } from './i18n.js';

const listeners = new Set();

export const store = {
  state: {
    ready: false, session: null, lang: 'zh', route: { name: 'agenda' },
    visits: [], flows: {}, tariff: [], local: {}, counts: {}, refused: [],
    agendaMeta: null, sync: {}, online: globalThis.navigator?.onLine ?? true,
    authRequired: false, updateReady: null, syncing: false,
  },
  db: null,
  syncer: null,
  set(patch) {
    this.state = { ...this.state, ...patch };
    for (const fn of listeners) fn(this.state);
  },
};

/** Subscribe a component to the app state. */
export function useStore() {
  const [state, setState] = useState(store.state);
  useEffect(() => {
    listeners.add(setState);
    return () => listeners.delete(setState);
  }, []);
  return state;
}

/** Open the database, load what the phone holds, and start syncing. */
export async function boot() {
  store.db = await openAppDB();
  const lang = (await getMeta(store.db, 'lang')) || 'zh';
  setLang(lang);
  store.syncer = createSyncer({ db: store.db, onChange: () => reload() });
  store.set({ lang, session: (await getMeta(store.db, 'session')) || null });
  await reload();
  store.set({ ready: true });
  globalThis.navigator?.storage?.persist?.().catch(() => {});
  if (store.state.session) {
    store.syncer.kick();
    refreshAgenda().catch(() => {});
  }
}

/** Re-read everything the screens show from IndexedDB. */
export async function reload() {
  const db = store.db;
  const [visits, flows, tariff, local, counts, refused, agendaMeta, sync, authRequired] = await Promise.all([
    db.getAll('agenda'), db.getAll('flows'), db.getAll('tariff'), db.getAll('visits'),
    countsByOrder(db), refusedOps(db), getMeta(db, 'agenda'), getMeta(db, 'sync'), getMeta(db, 'auth_required'),
  ]);
  visits.sort((a, b) => (a.appointment?.starts_at || '').localeCompare(b.appointment?.starts_at || ''));
  store.set({
    visits, tariff, counts, refused, agendaMeta, sync: sync || {}, authRequired: !!authRequired,
    flows: Object.fromEntries(flows.map((f) => [f.type, f])),
    local: Object.fromEntries(local.map((v) => [v.work_order_id, v])),
  });
}

async function api(path, init = {}) {
  const session = await getMeta(store.db, 'session');
  const headers = { 'Content-Type': 'application/json', ...(init.headers || {}) };
  if (session?.token) headers.Authorization = `Bearer ${session.token}`;
  return fetch(path, { ...init, headers });
}

/** Log in; keeps the session on the phone so an offline restart stays logged in. */
export async function login(username, password) {
  let res;
  try {
    res = await api('/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ username, password }) });
  } catch {
    return { error: 'loginOffline' };
  }
  if (!res.ok) return { error: 'loginFailed' };
  const body = await res.json();
  const session = { token: body.token, user: body.user };
  await setMeta(store.db, 'session', session);
  await setMeta(store.db, 'auth_required', false);
  store.set({ session, authRequired: false });
  await refreshAgenda().catch(() => {});
  store.syncer.kick();
  return {};
}

/** Log out: forgets the token but never the queued work. */
export async function logout() {
  await setMeta(store.db, 'session', null);
  store.set({ session: null });
}

/** Download today's and tomorrow's agenda (orders, customers, greetings, flows, tariff) into IndexedDB. */
export async function refreshAgenda() {
  const days = [localDate(0), localDate(1)];
  const bodies = [];
  for (const date of days) {
    const res = await api(`/api/v1/me/agenda?date=${date}`);
    if (res.status === 401) {
      await setMeta(store.db, 'auth_required', true);
      await reload();
      return;
    }
    if (!res.ok) throw new Error(`agenda HTTP ${res.status}`);
    bodies.push(await res.json());
  }
  const tx = store.db.transaction(['agenda', 'flows', 'tariff', 'meta', 'visits'], 'readwrite');
  // Orders gone from the server's agenda stay while the phone holds work on them.
  const fresh = new Set(bodies.flatMap((b) => (b.visits || []).map((v) => v.work_order.id)));
  for (const key of await tx.objectStore('agenda').getAllKeys()) {
    if (!fresh.has(key) && !(await tx.objectStore('visits').get(key))) await tx.objectStore('agenda').delete(key);
  }
  for (const body of bodies) {
    for (const v of body.visits || []) await tx.objectStore('agenda').put({ ...v, date: body.date });
    for (const flow of Object.values(body.flows || {})) await tx.objectStore('flows').put(flow);
  }
  if (bodies[0]?.tariff) {
    await tx.objectStore('tariff').clear();
    for (const item of bodies[0].tariff) await tx.objectStore('tariff').put(item);
  }
  await tx.objectStore('meta').put({ key: 'agenda', value: { refreshed_at: new Date().toISOString(), dates: days } });
  await tx.done;
  await reload();
}

/** Sync now (the technician tapped the indicator, or the network came back). */
export async function syncNow() {
  store.set({ syncing: true });
  try {
    await store.syncer.kick();
  } finally {
    store.set({ syncing: false });
  }
  if (store.state.session && !store.state.authRequired) refreshAgenda().catch(() => {});
}

/** Switch between Chinese and English, remembered on the phone. */
export async function switchLang() {
  const lang = store.state.lang === 'zh' ? 'en' : 'zh';
  setLang(lang);
  await setMeta(store.db, 'lang', lang);
  store.set({ lang });
}

/** Go to a screen. */
export function go(route) {
  store.set({ route });
  globalThis.scrollTo?.(0, 0);
}
