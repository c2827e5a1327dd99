// Test helpers: a fresh app database per test and a fake server speaking the sync protocol.
import 'fake-indexeddb/auto';
import { openAppDB, setMeta } from '../src/db.js';

let n = 0;

/** Open a fresh, empty app database with a logged-in session. */
export async function freshDB() {
  n += 1;
  const db = await openAppDB(`test-${n}-${Math.random()}`);
  await setMeta(db, 'session', { token: 'tok', user: { id: 1, name: '李明' } });
  return db;
}

/** Build a fetch that answers like the backend; `script(req)` may return a custom outcome. */
export function fakeServer(script = () => null) {
  const applied = new Map();
  const uploads = new Map();
  const requests = [];
  const fetch = async (url, init) => {
    const req = { url, method: init.method, headers: init.headers, body: init.body };
    requests.push(req);
    const custom = script(req, requests.length);
    if (custom instanceof Error) throw custom;
    if (custom && custom.status && !custom.results) return json(custom.status, custom.body || {});
    if (url.endsWith('/api/v1/me')) return json(200, { id: 1 });
    if (url.includes('/api/v1/attachments/')) {
      uploads.set(url.split('/').pop(), init.body);
      return json(201, {});
    }
    const body = JSON.parse(init.body);
    const results = body.ops.map((op) => {
      if (custom?.results?.[op.op_id]) return { op_id: op.op_id, ...custom.results[op.op_id] };
      if (applied.has(op.op_id)) return { op_id: op.op_id, status: 'duplicate' };
      applied.set(op.op_id, op);
      return { op_id: op.op_id, status: 'applied' };
    });
    if (custom?.lose) return Promise.reject(new TypeError('Failed to fetch'));
    return json(200, { results, server_time: new Date().toISOString() });
  };
  return { fetch, applied, uploads, requests };
}

function json(status, body) {
  return { status, ok: status >= 200 && status < 300, json: async () => body };
}
