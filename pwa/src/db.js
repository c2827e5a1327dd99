// IndexedDB schema of the app: what the technician needs offline, the outbox and the blobs.
import { openDB } from 'idb';

export const DB_NAME = 'doorstep';

// Each entry upgrades the schema from version (index) to version (index + 1).
// Never edit a released entry: add a new one, so phones with queued work keep it.
export const MIGRATIONS = [
  // v1: the base stores.
  (db) => {
    db.createObjectStore('meta', { keyPath: 'key' });
    db.createObjectStore('agenda', { keyPath: 'work_order.id' });
    db.createObjectStore('flows', { keyPath: 'type' });
    db.createObjectStore('tariff', { keyPath: 'code' });
    db.createObjectStore('visits', { keyPath: 'work_order_id' });
    const outbox = db.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true });
    outbox.createIndex('op_id', 'op_id', { unique: true });
    db.createObjectStore('blobs', { keyPath: 'id' });
  },
  // v2: find a work order's queued ops without scanning the whole outbox.
  (db, tx) => {
    tx.objectStore('outbox').createIndex('work_order_id', 'work_order_id');
  },
  // v3: what the technician (or the customer) has typed or drawn but not saved yet (src/drafts.js).
  (db) => {
    db.createObjectStore('drafts', { keyPath: 'key' });
  },
];

export const DB_VERSION = MIGRATIONS.length;

/** Open the app database, running every migration the stored version has not seen. */
export function openAppDB(name = DB_NAME, version = DB_VERSION) {
  return openDB(name, version, {
    upgrade(db, oldVersion, newVersion, tx) {
      for (let v = oldVersion; v < newVersion; v++) MIGRATIONS[v](db, tx);
    },
  });
}

/** Read one value of the meta store (session, device, sync status, agenda info). */
export async function getMeta(db, key) {
  const row = await db.get('meta', key);
  return row ? row.value : undefined;
}

/** Write one value of the meta store. */
export function setMeta(db, key, value) {
  return db.put('meta', { key, value });
}

/** Return this device's id, creating it on first use. */
export async function deviceId(db) {
  let id = await getMeta(db, 'device_id');
  if (!id) {
    id = uuid();
    await setMeta(db, 'device_id', id);
  }
  return id;
}

/** Make a random uuid4 (crypto.randomUUID is missing on insecure origins). */
export function uuid() {
  if (globalThis.crypto?.randomUUID) return globalThis.crypto.randomUUID();
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Format a Date as ISO 8601 with the device's own UTC offset, as the sync envelope wants. */
export function isoLocal(d = new Date()) {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const pad = (n) => String(Math.abs(Math.trunc(n))).padStart(2, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` +
    `${sign}${pad(off / 60)}:${pad(off % 60)}`
  );
}

/** Return the device's local date as YYYY-MM-DD, shifted by `days`. */
export function localDate(days = 0, now = new Date()) {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() + days);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
