import { describe, expect, it } from 'vitest';
import { freshDB } from './helpers.js';
import { MIGRATIONS, openAppDB } from '../src/db.js';
import { countsByOrder, getVisit, pendingOps, recordAction } from '../src/outbox.js';

describe('outbox', () => {
  it('keeps actions in the order they were taken, with the DESIGN.md envelope', async () => {
    const db = await freshDB();
    await recordAction(db, { workOrderId: 7, type: 'call.attempt', data: { outcome: 'reached' } });
    await recordAction(db, { workOrderId: 8, type: 'arrive.checkin', data: {} });
    await recordAction(db, { workOrderId: 7, type: 'step.complete', data: { step: 'call' } });
    const ops = await pendingOps(db);
    expect(ops.map((o) => [o.work_order_id, o.type])).toEqual([
      [7, 'call.attempt'], [8, 'arrive.checkin'], [7, 'step.complete'],
    ]);
    expect(ops[0].op_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(ops[0].at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    expect(new Set(ops.map((o) => o.op_id)).size).toBe(3);
  });

  it('writes the local change and the op together', async () => {
    const db = await freshDB();
    await recordAction(db, {
      workOrderId: 7, type: 'checklist.answer', data: { step: 'call', item: 'no_wei', value: true },
      update: (v) => ({ ...v, answers: { call: { no_wei: true } } }),
    });
    expect((await getVisit(db, 7)).answers.call.no_wei).toBe(true);
    expect(await countsByOrder(db)).toEqual({ 7: { pending: 1, failed: 0 } });
  });

  it('writes neither when the local change fails', async () => {
    const db = await freshDB();
    await expect(recordAction(db, {
      workOrderId: 7, type: 'step.complete', data: { step: 'call' },
      update: () => { throw new Error('boom'); },
    })).rejects.toThrow('boom');
    expect(await pendingOps(db)).toEqual([]);
  });

  it('keeps queued ops through a schema upgrade', async () => {
    const name = `upgrade-${Math.random()}`;
    const old = await openAppDB(name, 1);
    await old.add('outbox', { op_id: 'a', work_order_id: 3, type: 'visit.complete', data: {}, state: 'pending' });
    old.close();
    const db = await openAppDB(name, MIGRATIONS.length);
    const ops = await db.getAllFromIndex('outbox', 'work_order_id', 3);
    expect(ops.map((o) => o.op_id)).toEqual(['a']);
  });

  it('lists the photos an op refers to so they upload first', async () => {
    const db = await freshDB();
    const op = await recordAction(db, {
      workOrderId: 7, type: 'arrive.no_access', data: { notice_attachment_id: 'n-1' },
      blobs: [{ id: 'n-1', kind: 'notice', blob: new Blob(['x'], { type: 'image/jpeg' }), content_type: 'image/jpeg' }],
    });
    expect(op.attachments).toEqual(['n-1']);
    expect((await db.get('blobs', 'n-1')).uploaded).toBe(false);
  });
});

describe('blobs', () => {
  it('keeps a photo until its upload is confirmed, then lets it go after two days', async () => {
    const { purgeUploadedBlobs } = await import('../src/outbox.js');
    const db = await freshDB();
    const day = 24 * 3600 * 1000;
    await db.put('blobs', { id: 'waiting', uploaded: false, stored_at: 0 });
    await db.put('blobs', { id: 'recent', uploaded: true, uploaded_at: 10 * day });
    await db.put('blobs', { id: 'old', uploaded: true, uploaded_at: 1 * day });
    expect(await purgeUploadedBlobs(db, 2 * day, 11 * day)).toBe(1);
    expect((await db.getAllKeys('blobs')).sort()).toEqual(['recent', 'waiting']);
  });
});
