// App state: read from IndexedDB, refreshed from the server when online, shared with the screens.
import { useEffect, useState } from 'preact/hooks';
import { getMeta, localDate, openAppDB, setMeta } from './db.js';
import { draftsTyped } from './drafts.js';
import { purgeUploadedBlobs } from './outbox.js';
import { createSyncer } from './sync.js';
import { HOME_OF_ROLE, apiFetch, keepOfficeSession, rememberHome } from './http.js';
import { setLang } from './i18n.js';

const listeners = new Set();

function routeFromHash() {
  const m = /^#visit\/(\d+)$/.exec(globalThis.location?.hash || '');
  return m ? { name: 'visit', id: Number(m[1]) } : { name: 'agenda' };
}

export const store = {
  state: {
    ready: false, session: null, lang: 'zh', route: routeFromHash(),
    visits: [], flows: {}, tariff: [], local: {}, drafts: {}, counts: {}, refused: [],
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

// A copy of what the agenda shows, kept in localStorage so the agenda paints before IndexedDB opens.
// IndexedDB stays the truth: the screen is redrawn from it a moment later. No token is copied here.
const SNAPSHOT_KEY = 'doorstep:agenda-snapshot';

function readSnapshot() {
  try {
    return JSON.parse(globalThis.localStorage?.getItem(SNAPSHOT_KEY) || 'null');
  } catch {
    return null;
  }
}

function writeSnapshot(state) {
  try {
    const local = Object.fromEntries(Object.entries(state.local).map(([k, v]) => [k, { done: v.done }]));
    const { lang, visits, counts, refused, agendaMeta, sync, authRequired } = state;
    const session = state.session ? { user: state.session.user } : null;
    globalThis.localStorage?.setItem(SNAPSHOT_KEY, JSON.stringify({
      lang, session, visits, counts, refused, agendaMeta, sync, authRequired, local }));
  } catch {
    // A full or missing localStorage only costs the fast first paint.
  }
}

/** Open the database, load what the phone holds, and start syncing. */
export async function boot() {
  const snapshot = readSnapshot();
  if (snapshot?.session) {
    setLang(snapshot.lang);
    store.set({ ...snapshot, ready: true });
  }
  store.db = await openAppDB();
  store.syncer = createSyncer({ db: store.db, onChange: reloadAfterSync });
  await reload();
  setLang(store.state.lang);
  store.set({ ready: true });
  globalThis.navigator?.storage?.persist?.().catch(() => {});
  purgeUploadedBlobs(store.db).catch(() => {});
  if (store.state.session) {
    store.syncer.kick();
    refreshAgenda().catch(() => {});
  }
}

const STORES = ['agenda', 'flows', 'tariff', 'visits', 'outbox', 'meta', 'drafts'];

// A draining outbox reports every batch: the screens follow it at most this often.
const RELOAD_AFTER_SYNC_MS = 250;
let reloadPending = null;

/**
 * Reload once, a moment after the syncer reports a batch, however many it reports meanwhile, and
 * at once when a drain is over. A full reload per batch, each racing the next batch for
 * IndexedDB, made draining the outbox twice as slow as the server.
 */
function reloadAfterSync(final) {
  if (final) clearTimeout(reloadPending);
  else if (reloadPending) return;
  reloadPending = setTimeout(() => {
    reloadPending = null;
    reload().catch(() => {});
  }, final ? 0 : RELOAD_AFTER_SYNC_MS);
}

/** Re-read everything the screens show from IndexedDB, in one transaction. */
export async function reload() {
  const tx = store.db.transaction(STORES);
  const [visits, flows, tariff, local, ops, meta, drafts] = await Promise.all(STORES.map((name) => tx.objectStore(name).getAll()));
  const m = Object.fromEntries(meta.map((row) => [row.key, row.value]));
  const counts = {};
  for (const op of ops) {
    const c = (counts[op.work_order_id] ||= { pending: 0, failed: 0 });
    c[op.state === 'failed' ? 'failed' : 'pending'] += 1;
  }
  visits.sort((a, b) => (a.appointment?.starts_at || '').localeCompare(b.appointment?.starts_at || ''));
  store.set({
    visits, tariff, counts, refused: ops.filter((op) => op.state === 'failed'),
    agendaMeta: m.agenda || null, sync: m.sync || {}, authRequired: !!m.auth_required,
    session: m.session || null, lang: m.lang || 'zh', greetings: m.greetings || null,
    flows: Object.fromEntries(flows.map((f) => [f.type, f])),
    local: Object.fromEntries(local.map((v) => [v.work_order_id, v])),
    // Drafts typed in this session may not be written yet: a reload mid-typing must not undo keystrokes.
    drafts: { ...Object.fromEntries(drafts.map((row) => [row.key, row.value])), ...draftsTyped() },
  });
  writeSnapshot(store.state);
}

async function api(path, init = {}) {
  const session = await getMeta(store.db, 'session');
  return apiFetch(path, { ...init, token: session?.token });
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
  rememberHome(body.user.role);
  if (HOME_OF_ROLE[body.user.role] !== '/app/') {
    // Office staff work in the console: the session moves to it (this tab only), the phone keeps none.
    keepOfficeSession({ token: body.token, user: body.user });
    location.assign(HOME_OF_ROLE[body.user.role]);
    return {};
  }
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
  await reload();
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
  if (bodies[0]?.greetings) await tx.objectStore('meta').put({ key: 'greetings', value: bodies[0].greetings });
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
  // The screen is kept in the URL hash, so a reload (e.g. onto a new version) returns to it.
  history.replaceState(null, '', route.name === 'visit' ? `#visit/${route.id}` : '#');
  store.set({ route });
  globalThis.scrollTo?.(0, 0);
}
