// The sync loop: drains the outbox to POST /api/v1/sync, uploading blobs first.
import { deviceId, getMeta, setMeta } from './db.js';
import { pendingOps } from './outbox.js';

export const BATCH_SIZE = 100;
export const BASE_DELAY_MS = 2000;
export const MAX_DELAY_MS = 5 * 60 * 1000;
export const PERIOD_MS = 60 * 1000;
// After this many server errors in a row for the same batch, look for the op the server chokes on.
export const POISON_AFTER = 3;

/** Return how long to wait before retry number `attempt` (1-based): exponential, capped, with full jitter in [½, 1]. */
export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

class Retryable extends Error {}
/** The server answered 5xx: it may be down, or one op of the batch may be making it fail. */
class ServerError extends Retryable {}
class AuthRequired extends Error {}

const batchKey = (ops) => ops.map((op) => op.op_id).join(',');

/**
 * Return the runs of consecutive integers in `numbers` as [first, last] pairs: outbox keys a
 * range can delete at once, since no other key lies between them (a refused op breaks a run).
 */
export function consecutiveRuns(numbers) {
  const runs = [];
  for (const n of [...numbers].sort((a, b) => a - b)) {
    const run = runs[runs.length - 1];
    if (run && n === run[1] + 1) run[1] = n;
    else if (!run || n !== run[1]) runs.push([n, n]);
  }
  return runs;
}

/** Return the hex SHA-256 of a Blob (the server checks it on upload). */
async function sha256Hex(blob) {
  const buf = await blob.arrayBuffer();
  const digest = await globalThis.crypto.subtle.digest('SHA-256', buf);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function envelope(op) {
  return { op_id: op.op_id, work_order_id: op.work_order_id, type: op.type, at: op.at, data: op.data };
}

/**
 * Build a sync loop around an app database; `fetch` and `random` are injectable for tests.
 * `onChange(final)` is told after each batch, and with `final` true when a drain is over.
 */
export function createSyncer({ db, fetch = globalThis.fetch.bind(globalThis), baseUrl = '', random = Math.random, batchSize = BATCH_SIZE, onChange = () => {} }) {
  let running = null;
  let attempt = 0;
  let device = null; // this phone's id: read once, it never changes
  let timer = null;
  // Server errors in a row, for the batch at the head of the queue.
  let failing = { key: null, count: 0 };

  async function call(path, init) {
    const session = await getMeta(db, 'session');
    const headers = { ...(init.headers || {}) };
    if (session?.token) headers.Authorization = `Bearer ${session.token}`;
    let res;
    try {
      res = await fetch(baseUrl + path, { ...init, headers });
    } catch (err) {
      throw new Retryable(`network: ${err.message || err}`);
    }
    if (res.status === 401) throw new AuthRequired('login required');
    if (res.status >= 500) throw new ServerError(`HTTP ${res.status}`);
    if (res.status === 408 || res.status === 429) throw new Retryable(`HTTP ${res.status}`);
    return res;
  }

  async function uploadBlob(blob) {
    const res = await call(`/api/v1/attachments/${blob.id}`, {
      method: 'PUT',
      headers: { 'Content-Type': blob.content_type, 'X-Content-SHA256': await sha256Hex(blob.blob) },
      body: blob.blob,
    });
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      return { ok: false, code: body.code || `http_${res.status}`, message: body.message || `HTTP ${res.status}` };
    }
    await db.put('blobs', { ...blob, uploaded: true, uploaded_at: Date.now() });
    return { ok: true };
  }

  async function markRefused(op, result) {
    const cur = await db.get('outbox', op.seq);
    if (cur) await db.put('outbox', { ...cur, state: 'failed', result });
  }

  /** Send one batch; return how many ops left the pending state. */
  async function sendBatch(ops) {
    const refusedBlobs = new Map();
    for (const id of new Set(ops.flatMap((op) => op.attachments || []))) {
      const blob = await db.get('blobs', id);
      if (blob && !blob.uploaded) {
        const r = await uploadBlob(blob);
        if (!r.ok) refusedBlobs.set(id, r);
      }
    }
    const sendable = [];
    for (const op of ops) {
      const bad = (op.attachments || []).map((id) => refusedBlobs.get(id)).find(Boolean);
      if (bad) await markRefused(op, { op_id: op.op_id, status: 'rejected', code: bad.code, message: bad.message });
      else sendable.push(op);
    }
    if (!sendable.length) return ops.length;
    const res = await call('/api/v1/sync', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ device_id: (device ??= await deviceId(db)), ops: sendable.map(envelope) }),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      // The whole batch was refused as a request: every op gets the server's words.
      for (const op of sendable) {
        await markRefused(op, { op_id: op.op_id, status: 'rejected', code: body.code || `http_${res.status}`, message: body.message || `HTTP ${res.status}`, errors: body.errors });
      }
      return ops.length;
    }
    const byId = new Map(sendable.map((op) => [op.op_id, op]));
    let settled = ops.length - sendable.length;
    // One transaction settles the whole batch (a transaction per op made draining slow), its
    // requests sent at once rather than one after another's answer.
    const tx = db.transaction('outbox', 'readwrite');
    const requests = [];
    const done = [];
    for (const result of body.results || []) {
      const op = byId.get(result.op_id);
      if (!op) continue;
      settled += 1;
      if (result.status === 'applied' || result.status === 'duplicate') {
        done.push(op.seq);
      } else {
        requests.push(tx.store.get(op.seq).then((cur) => cur && tx.store.put({ ...cur, state: 'failed', result })));
      }
    }
    for (const [first, last] of consecutiveRuns(done)) requests.push(tx.store.delete(IDBKeyRange.bound(first, last)));
    await Promise.all([...requests, tx.done]);
    return settled;
  }

  /** Whether the server answers an authenticated request: it is up, so a 5xx is the op's doing. */
  async function serverAnswers() {
    try {
      return (await call('/api/v1/me', { method: 'GET' })).ok;
    } catch (err) {
      if (err instanceof Retryable) return false;
      throw err;
    }
  }

  /**
   * The same batch keeps failing with 5xx: send it in halves to find the op(s) the server cannot
   * take, mark those refused (kept in the outbox, in words, never dropped) and let the rest apply.
   * When nothing gets through and the server does not answer at all, it is down: retry later.
   */
  async function isolatePoison(ops) {
    let serverUp = false;
    let settled = 0;
    const suspects = [];
    async function probe(group) {
      try {
        settled += await sendBatch(group);
        serverUp = true;
      } catch (err) {
        if (!(err instanceof ServerError)) throw err;
        if (group.length === 1) suspects.push(group[0]);
        else {
          const mid = Math.ceil(group.length / 2);
          await probe(group.slice(0, mid));
          await probe(group.slice(mid));
        }
      }
    }
    await probe(ops);
    if (!serverUp && !(await serverAnswers())) throw new ServerError('server error');
    for (const op of suspects) {
      // A passing 5xx must not get a good op refused: blame it only if it fails alone every time.
      let failures = 1;
      while (failures < POISON_AFTER) {
        try {
          settled += await sendBatch([op]);
          break;
        } catch (err) {
          if (!(err instanceof ServerError)) throw err;
          failures += 1;
        }
      }
      if (failures === POISON_AFTER) {
        await markRefused(op, { op_id: op.op_id, status: 'rejected', code: 'server_error', message: 'The server could not process this action.' });
        settled += 1;
      }
    }
    return settled;
  }

  async function sendOrIsolate(ops) {
    try {
      const settled = await sendBatch(ops);
      failing = { key: null, count: 0 };
      return settled;
    } catch (err) {
      if (!(err instanceof ServerError)) throw err;
      const key = batchKey(ops);
      failing = { key, count: failing.key === key ? failing.count + 1 : 1 };
      if (failing.count < POISON_AFTER) throw err;
      failing = { key: null, count: 0 };
      return isolatePoison(ops);
    }
  }

  async function drainOnce() {
    let sent = 0;
    for (;;) {
      const ops = await pendingOps(db, batchSize);
      if (!ops.length) break;
      const settled = await sendOrIsolate(ops);
      sent += settled;
      onChange(false);
      if (settled === 0) throw new Retryable('server returned no results');
    }
    return sent;
  }

  /** Drain the outbox now; resolve to {status: 'ok'|'retry'|'auth', sent, delay?}. */
  async function drain() {
    if (running) return running;
    // The page and the service worker (Background Sync) may both drain: one at a time.
    const locks = globalThis.navigator?.locks;
    const exclusive = (fn) => (locks ? locks.request('doorstep-outbox', fn) : fn());
    running = exclusive(async () => {
      const status = (await getMeta(db, 'sync')) || {};
      try {
        const sent = await drainOnce();
        attempt = 0;
        await setMeta(db, 'sync', { ...status, last_success: new Date().toISOString(), last_error: null });
        await setMeta(db, 'auth_required', false);
        return { status: 'ok', sent };
      } catch (err) {
        if (err instanceof AuthRequired) {
          await setMeta(db, 'auth_required', true);
          await setMeta(db, 'sync', { ...status, last_error: 'auth', last_error_at: new Date().toISOString() });
          return { status: 'auth', sent: 0 };
        }
        if (!(err instanceof Retryable)) throw err;
        attempt += 1;
        await setMeta(db, 'sync', { ...status, last_error: err.message, last_error_at: new Date().toISOString() });
        return { status: 'retry', sent: 0, delay: backoffDelay(attempt, random) };
      } finally {
        onChange(true);
      }
    });
    try {
      return await running;
    } finally {
      running = null;
    }
  }

  /** Drain now and keep draining: after a failure with backoff, otherwise every PERIOD_MS. */
  async function kick() {
    clearTimeout(timer);
    const result = await drain();
    if (result.status === 'auth') return result;
    timer = setTimeout(kick, result.status === 'retry' ? result.delay : PERIOD_MS);
    return result;
  }

  function stop() {
    clearTimeout(timer);
  }

  return { drain, kick, stop };
}
