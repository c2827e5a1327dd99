import { describe, expect, it } from 'vitest';
import { fakeServer, freshDB } from './helpers.js';
import { getMeta } from '../src/db.js';
import { allOps, pendingOps, recordAction, refusedOps, retryOp } from '../src/outbox.js';
import { BASE_DELAY_MS, MAX_DELAY_MS, POISON_AFTER, backoffDelay, consecutiveRuns, createSyncer } from '../src/sync.js';

const act = (db, workOrderId, type, data = {}, extra = {}) => recordAction(db, { workOrderId, type, data, ...extra });

describe('sync loop', () => {
  it('sends ops in order, in batches, and empties the outbox on applied', async () => {
    const db = await freshDB();
    for (let i = 0; i < 5; i++) await act(db, 1 + (i % 2), 'arrive.knock', { round: i });
    const server = fakeServer();
    const r = await createSyncer({ db, fetch: server.fetch, batchSize: 2 }).drain();
    expect(r).toMatchObject({ status: 'ok', sent: 5 });
    const sentRounds = server.requests.map((q) => JSON.parse(q.body).ops.map((o) => o.data.round));
    expect(sentRounds).toEqual([[0, 1], [2, 3], [4]]);
    expect(await allOps(db)).toEqual([]);
    expect(server.requests[0].headers.Authorization).toBe('Bearer tok');
    expect((await getMeta(db, 'sync')).last_success).toBeTruthy();
  });

  it('removes an op answered duplicate: a lost response is not applied twice', async () => {
    const db = await freshDB();
    await act(db, 1, 'visit.complete');
    let lose = true;
    const server = fakeServer(() => (lose ? { lose: true } : null));
    const syncer = createSyncer({ db, fetch: server.fetch });
    expect((await syncer.drain()).status).toBe('retry');
    expect(server.applied.size).toBe(1);
    expect(await pendingOps(db)).toHaveLength(1);
    lose = false;
    expect((await syncer.drain()).status).toBe('ok');
    expect(server.applied.size).toBe(1);
    expect(await allOps(db)).toEqual([]);
  });

  it('keeps a conflict in words without blocking other work orders', async () => {
    const db = await freshDB();
    const cancelled = await act(db, 1, 'arrive.checkin');
    await act(db, 2, 'arrive.checkin');
    const server = fakeServer(() => ({
      results: { [cancelled.op_id]: { status: 'conflict', code: 'order_cancelled', message: '工单已取消' } },
    }));
    expect((await createSyncer({ db, fetch: server.fetch }).drain()).status).toBe('ok');
    const refused = await refusedOps(db);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ work_order_id: 1, state: 'failed', result: { status: 'conflict', code: 'order_cancelled' } });
    expect([...server.applied.values()].map((o) => o.work_order_id)).toEqual([2]);
  });

  it('keeps a refused op that sits between applied ones, and finds pending ops behind refused ones', async () => {
    const db = await freshDB();
    const ops = [];
    for (let i = 0; i < 6; i++) ops.push(await act(db, 1 + i, 'arrive.checkin'));
    const refused = new Set([ops[1].op_id, ops[2].op_id, ops[4].op_id]);
    let refuse = true;
    const server = fakeServer(() => (refuse ? {
      results: Object.fromEntries([...refused].map((id) => [id, { status: 'conflict', code: 'order_cancelled', message: '工单已取消' }])),
    } : null));
    expect(await createSyncer({ db, fetch: server.fetch, batchSize: 4 }).drain()).toMatchObject({ status: 'ok', sent: 6 });
    expect((await allOps(db)).map((op) => op.op_id)).toEqual([ops[1].op_id, ops[2].op_id, ops[4].op_id]);
    // New work queued behind the refused ops is found past them, a batch at a time.
    refuse = false;
    const later = [await act(db, 9, 'arrive.checkin'), await act(db, 9, 'visit.complete')];
    expect((await pendingOps(db, 1)).map((op) => op.op_id)).toEqual([later[0].op_id]);
    expect(await createSyncer({ db, fetch: server.fetch, batchSize: 1 }).drain()).toMatchObject({ status: 'ok', sent: 2 });
    expect((await refusedOps(db)).map((op) => op.op_id)).toEqual([ops[1].op_id, ops[2].op_id, ops[4].op_id]);
    // A refused op queued between two that are sent now stays, whatever the two are answered.
    const [before, between, after] = [await act(db, 10, 'arrive.checkin'), await act(db, 11, 'arrive.checkin'), await act(db, 12, 'arrive.checkin')];
    await db.put('outbox', { ...(await db.get('outbox', between.seq)), state: 'failed' });
    expect(await createSyncer({ db, fetch: server.fetch }).drain()).toMatchObject({ status: 'ok', sent: 2 });
    expect((await allOps(db)).map((op) => op.op_id)).not.toContain(before.op_id);
    expect((await allOps(db)).map((op) => op.op_id)).not.toContain(after.op_id);
    expect((await refusedOps(db)).map((op) => op.op_id)).toContain(between.op_id);
  });

  it('deletes settled ops by runs of consecutive keys', () => {
    expect(consecutiveRuns([12, 3, 5, 4, 9, 10])).toEqual([[3, 5], [9, 10], [12, 12]]);
    expect(consecutiveRuns([7, 7, 8])).toEqual([[7, 8]]);
    expect(consecutiveRuns([])).toEqual([]);
  });

  it('keeps a rejected op with its field errors until the technician retries it', async () => {
    const db = await freshDB();
    const bad = await act(db, 1, 'operate.record', { fees: [{ tariff_code: 'X', qty: 1 }] });
    let reject = true;
    const server = fakeServer(() => (reject ? {
      results: { [bad.op_id]: { status: 'rejected', code: 'not_in_tariff', message: 'fee X', errors: { fees: ['X'] } } },
    } : null));
    const syncer = createSyncer({ db, fetch: server.fetch });
    await syncer.drain();
    await syncer.drain();
    expect(server.requests).toHaveLength(1);
    expect((await refusedOps(db))[0].result.errors).toEqual({ fees: ['X'] });
    reject = false;
    await retryOp(db, bad.seq);
    await syncer.drain();
    expect(await allOps(db)).toEqual([]);
  });

  it('backs off on 5xx and network errors, and keeps everything', async () => {
    const db = await freshDB();
    await act(db, 1, 'visit.complete');
    const outcomes = [{ status: 503 }, new TypeError('offline'), { status: 500 }];
    const server = fakeServer((req, i) => outcomes[i - 1] ?? null);
    const syncer = createSyncer({ db, fetch: server.fetch, random: () => 1 });
    const delays = [];
    for (let i = 0; i < 3; i++) delays.push((await syncer.drain()).delay);
    expect(delays).toEqual([BASE_DELAY_MS, BASE_DELAY_MS * 2, BASE_DELAY_MS * 4]);
    expect((await getMeta(db, 'sync')).last_error).toBe('HTTP 500');
    expect((await syncer.drain()).status).toBe('ok');
    expect(await allOps(db)).toEqual([]);
  });

  it('asks to log in again on 401, keeps the queue, then drains', async () => {
    const db = await freshDB();
    await act(db, 1, 'visit.complete');
    let expired = true;
    const server = fakeServer(() => (expired ? { status: 401 } : null));
    const syncer = createSyncer({ db, fetch: server.fetch });
    expect((await syncer.drain()).status).toBe('auth');
    expect(await getMeta(db, 'auth_required')).toBe(true);
    expect(await pendingOps(db)).toHaveLength(1);
    expired = false;
    expect((await syncer.drain()).status).toBe('ok');
    expect(await getMeta(db, 'auth_required')).toBe(false);
  });

  it('uploads a photo before the op that refers to it, and marks it uploaded', async () => {
    const db = await freshDB();
    const blob = new Blob(['jpeg'], { type: 'image/jpeg' });
    await act(db, 1, 'attachment.link', { attachment_id: 'p-1', step: 'operate', kind: 'photo' }, {
      blobs: [{ id: 'p-1', kind: 'photo', blob, content_type: 'image/jpeg' }],
    });
    const server = fakeServer();
    await createSyncer({ db, fetch: server.fetch }).drain();
    expect(server.requests.map((r) => r.method)).toEqual(['PUT', 'POST']);
    expect(server.requests[0].url).toBe('/api/v1/attachments/p-1');
    expect(server.requests[0].headers['X-Content-SHA256']).toMatch(/^[0-9a-f]{64}$/);
    expect((await db.get('blobs', 'p-1')).uploaded).toBe(true);
  });

  it('does not send an op whose photo failed to upload for a network reason', async () => {
    const db = await freshDB();
    await act(db, 1, 'attachment.link', { attachment_id: 'p-1', step: 'operate', kind: 'photo' }, {
      blobs: [{ id: 'p-1', kind: 'photo', blob: new Blob(['x']), content_type: 'image/jpeg' }],
    });
    const server = fakeServer((req) => (req.method === 'PUT' ? new TypeError('offline') : null));
    expect((await createSyncer({ db, fetch: server.fetch }).drain()).status).toBe('retry');
    expect(server.requests.map((r) => r.method)).toEqual(['PUT']);
    expect((await db.get('blobs', 'p-1')).uploaded).toBe(false);
  });

  it('grows the delay exponentially up to a cap, with jitter', () => {
    expect(backoffDelay(1, () => 0)).toBe(BASE_DELAY_MS / 2);
    expect(backoffDelay(3, () => 1)).toBe(BASE_DELAY_MS * 4);
    expect(backoffDelay(30, () => 1)).toBe(MAX_DELAY_MS);
  });
});

describe('a poison op', () => {
  const poisonServer = (poisonId) => fakeServer((req) => {
    if (!req.url.endsWith('/api/v1/sync')) return null;
    return JSON.parse(req.body).ops.some((op) => op.op_id === poisonId) ? { status: 500 } : null;
  });

  it('is found after repeated 5xx, refused in words and kept, and the rest of the outbox drains', async () => {
    const db = await freshDB();
    const before = [];
    for (let i = 0; i < 3; i++) before.push(await act(db, 1, 'arrive.knock', { round: i }));
    const poison = await act(db, 2, 'operate.record', { notes: 'x' });
    for (let i = 0; i < 4; i++) await act(db, 3, 'arrive.knock', { round: i });
    const server = poisonServer(poison.op_id);
    const syncer = createSyncer({ db, fetch: server.fetch, random: () => 1 });
    for (let i = 1; i < POISON_AFTER; i++) expect((await syncer.drain()).status).toBe('retry');
    expect(server.applied.size).toBe(0);
    expect((await syncer.drain()).status).toBe('ok');
    expect(server.applied.size).toBe(7);
    expect(await pendingOps(db)).toEqual([]);
    const refused = await refusedOps(db);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ op_id: poison.op_id, state: 'failed', result: { status: 'rejected', code: 'server_error' } });
  });

  it('is not blamed when the server is down for everything: all ops stay pending', async () => {
    const db = await freshDB();
    await act(db, 1, 'arrive.knock', { round: 1 });
    await act(db, 1, 'arrive.knock', { round: 2 });
    const server = fakeServer(() => ({ status: 503 }));
    const syncer = createSyncer({ db, fetch: server.fetch, random: () => 1 });
    for (let i = 0; i < POISON_AFTER + 2; i++) expect((await syncer.drain()).status).toBe('retry');
    expect(await refusedOps(db)).toEqual([]);
    expect(await pendingOps(db)).toHaveLength(2);
  });

  it('alone in the outbox is refused once the server answers other requests', async () => {
    const db = await freshDB();
    const poison = await act(db, 1, 'visit.complete');
    const server = poisonServer(poison.op_id);
    const syncer = createSyncer({ db, fetch: server.fetch, random: () => 1 });
    for (let i = 1; i < POISON_AFTER; i++) expect((await syncer.drain()).status).toBe('retry');
    expect((await syncer.drain()).status).toBe('ok');
    expect((await refusedOps(db))[0].result.code).toBe('server_error');
  });
});
